// Encrypt with the selected key: short text typed in, or a file (picked or dropped) of any size up to the tester's
// limit; the ciphertext is offered as a file, and shown as base64 only when it is small enough to copy by hand.
import { useState } from 'react';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Textarea from '@cloudscape-design/components/textarea';
import Input from '@cloudscape-design/components/input';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Header from '@cloudscape-design/components/header';
import ProgressBar from '@cloudscape-design/components/progress-bar';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import type { KeySummary } from '../../../shared/contract.ts';
import { call } from '../api.ts';
import { errorInWords } from '../components/errorWords.ts';
import { formErrorText } from '../components/FormErrorText.tsx';
import { CopyButton } from '../components/CopyButton.tsx';
import { FilePick, bytesText } from '../components/FilePick.tsx';
import { downloadBytes } from '../download.ts';
import { bytesToBase64, utf8Bytes } from '../format.ts';
import { encryptBytes, MAX_FILE_BYTES, type Progress } from './testerFile.ts';

/** Typed text stays short (a big paste froze the tab); anything larger goes in as a file. */
export const MAX_TEXT_CHARS = 4096;
/** A ciphertext up to this size is also shown as base64 to copy; every size can be saved as a file. */
export const SHOW_BASE64_BYTES = 16 * 1024;

interface Result {
  ciphertext: Uint8Array;
  version: number;
  keyId: string;
  parts: number;
  source: string;
}

export function EncryptPane({ keySummary }: { keySummary: KeySummary }) {
  const [plaintext, setPlaintext] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [aad, setAad] = useState('');
  const [busy, setBusy] = useState<Progress | null>(null);
  const [result, setResult] = useState<Result | null>(null);
  const [error, setError] = useState<unknown>(null);
  const words = errorInWords(error, { plaintext: 'Plaintext', aad: 'Associated data for encryption (optional)' });
  const tooBig = file !== null && file.size > MAX_FILE_BYTES;
  const base64 = result && result.ciphertext.byteLength <= SHOW_BASE64_BYTES ? bytesToBase64(result.ciphertext) : null;

  async function submit() {
    if (busy || tooBig) return;
    setError(null);
    setResult(null);
    try {
      const bytes = file ? new Uint8Array(await file.arrayBuffer()) : utf8Bytes(plaintext);
      setBusy({ done: 0, total: 1 });
      const r = await encryptBytes(
        bytes,
        utf8Bytes(aad),
        (p, a) => call('keys:encrypt', { keyId: keySummary.id, plaintext: p, ...(a ? { aad: a } : {}) }),
        setBusy,
      );
      setResult({ ...r, source: file ? file.name : 'text' });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  }

  return (
    <form
      aria-label="Encrypt"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <Form
        header={<Header variant="h3">{`Encrypt with “${keySummary.label}”`}</Header>}
        errorText={formErrorText(words)}
        errorIconAriaLabel="Error"
        actions={
          <Button variant="primary" formAction="submit" loading={busy !== null} loadingText="Encrypting" disabled={tooBig || (!file && plaintext === '')}>
            Encrypt
          </Button>
        }
      >
        <SpaceBetween size="m">
          <FormField
            label="Plaintext"
            description="Short text, typed or pasted."
            constraintText={`Up to ${MAX_TEXT_CHARS.toLocaleString('en')} characters; give anything larger as a file.`}
            errorText={file ? undefined : words.fields.plaintext}
          >
            <Textarea value={plaintext} onChange={(e) => setPlaintext(e.detail.value)} rows={3} disabled={file !== null} nativeTextareaAttributes={{ maxLength: MAX_TEXT_CHARS }} />
          </FormField>
          <FormField
            label="Input file"
            description="Instead of the text: pick a file or drop it here."
            constraintText={`Up to ${bytesText(MAX_FILE_BYTES)}.`}
            errorText={tooBig ? `This file has ${bytesText(file.size)}; the tester takes up to ${bytesText(MAX_FILE_BYTES)}.` : file ? words.fields.plaintext : undefined}
          >
            <FilePick file={file} onChange={setFile} chooseLabel="Choose an input file" dropText="Drop the input file here" invalid={tooBig} />
          </FormField>
          <FormField label="Associated data for encryption (optional)" errorText={words.fields.aad}>
            <Input value={aad} onChange={(e) => setAad(e.detail.value)} invalid={!!words.fields.aad} />
          </FormField>
          {busy && busy.total > 1 && (
            <ProgressBar value={Math.round((busy.done / busy.total) * 100)} label="Encrypting" description={`Part ${Math.min(busy.done + 1, busy.total)} of ${busy.total}`} />
          )}
          {result && (
            <Alert type="success" header={`Encrypted ${result.source === 'text' ? 'the text' : result.source}`}>
              <SpaceBetween size="s">
                <Box>
                  Encrypted with version {result.version} of <Box variant="code">{result.keyId}</Box>. Ciphertext: {bytesText(result.ciphertext.byteLength)}
                  {result.parts > 1 ? ` in ${result.parts} parts` : ''}.
                </Box>
                {base64 !== null && (
                  <FormField label="Ciphertext (base64)">
                    <Textarea readOnly value={base64} rows={4} />
                  </FormField>
                )}
                <SpaceBetween direction="horizontal" size="xs">
                  <Button iconName="download" onClick={() => downloadBytes(`${result.source === 'text' ? 'plaintext' : result.source}.ecps`, result.ciphertext)}>
                    Download ciphertext
                  </Button>
                  {base64 !== null && <CopyButton text={base64} label="Copy ciphertext" />}
                </SpaceBetween>
              </SpaceBetween>
            </Alert>
          )}
        </SpaceBetween>
      </Form>
    </form>
  );
}
