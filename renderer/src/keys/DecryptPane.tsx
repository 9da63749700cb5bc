// Decrypt any ciphertext the console made (its header names the key and version): base64 pasted in, or a ciphertext
// file (the encrypt pane's download, picked or dropped). The plaintext is offered as a file and shown as text when it
// is short UTF-8.
import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
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
import type { ChannelOutput } from '../../../shared/contract.ts';
import { call } from '../api.ts';
import { channelKey } from '../hooks/channelQuery.ts';
import { errorInWords } from '../components/errorWords.ts';
import { formErrorText } from '../components/FormErrorText.tsx';
import { FilePick, bytesText } from '../components/FilePick.tsx';
import { downloadBytes } from '../download.ts';
import { base64ToBytes, bytesToUtf8, utf8Bytes } from '../format.ts';
import { decryptBytes, MAX_FILE_BYTES, type Progress } from './testerFile.ts';
import { SHOW_BASE64_BYTES } from './EncryptPane.tsx';

/** Base64 typed or pasted: enough for a short text's ciphertext; larger ones come as files. */
const MAX_BASE64_CHARS = 64 * 1024;

interface Result {
  plaintext: Uint8Array;
  version: number;
  keyId: string;
  parts: number;
  source: string;
}

export function DecryptPane() {
  const queryClient = useQueryClient();
  const [ciphertext, setCiphertext] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [aad, setAad] = useState('');
  const [notBase64, setNotBase64] = useState(false);
  const [busy, setBusy] = useState<Progress | null>(null);
  const [result, setResult] = useState<Result | null>(null);
  const [error, setError] = useState<unknown>(null);
  const words = errorInWords(error, { ciphertext: 'Ciphertext', aad: 'Associated data for decryption (optional)' });
  const tooBig = file !== null && file.size > MAX_FILE_BYTES + 64 * 1024;
  const text = result && result.plaintext.byteLength <= SHOW_BASE64_BYTES ? bytesToUtf8(result.plaintext) : null;
  const keys = queryClient.getQueryData<ChannelOutput<'keys:list'>>(channelKey('keys:list', {}))?.keys ?? [];
  const decryptedBy = result ? keys.find((k) => k.id === result.keyId) : undefined;

  async function submit() {
    if (busy || tooBig) return;
    setError(null);
    setResult(null);
    let bytes: Uint8Array | null;
    if (file) bytes = new Uint8Array(await file.arrayBuffer());
    else {
      bytes = base64ToBytes(ciphertext);
      setNotBase64(bytes === null);
      if (bytes === null) return;
    }
    try {
      setBusy({ done: 0, total: 1 });
      const r = await decryptBytes(bytes, utf8Bytes(aad), (c, a) => call('keys:decrypt', { ciphertext: c, ...(a ? { aad: a } : {}) }), setBusy);
      setResult({ ...r, source: file ? file.name.replace(/\.ecps$/, '') : 'decrypted.txt' });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  }

  return (
    <form
      aria-label="Decrypt"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <Form
        header={<Header variant="h3">Decrypt</Header>}
        errorText={formErrorText(words)}
        errorIconAriaLabel="Error"
        actions={
          <Button variant="primary" formAction="submit" loading={busy !== null} loadingText="Decrypting" disabled={tooBig || (!file && ciphertext.trim() === '')}>
            Decrypt
          </Button>
        }
      >
        <SpaceBetween size="m">
          <FormField
            label="Ciphertext to decrypt (base64)"
            constraintText={`As the encrypt tester showed it, up to ${MAX_BASE64_CHARS.toLocaleString('en')} characters; larger ciphertexts as a file.`}
            errorText={notBase64 && !file ? 'The ciphertext is not base64: paste it exactly as the encrypt tester showed it.' : undefined}
          >
            <Textarea
              value={ciphertext}
              onChange={(e) => {
                setCiphertext(e.detail.value);
                setNotBase64(false);
              }}
              rows={4}
              disabled={file !== null}
              invalid={notBase64 && !file}
              nativeTextareaAttributes={{ maxLength: MAX_BASE64_CHARS }}
            />
          </FormField>
          <FormField
            label="Ciphertext file"
            description="Instead of base64: the file the encrypt tester saved, picked or dropped here."
            errorText={tooBig ? `This file has ${bytesText(file.size)}; the tester takes ciphertext files up to ${bytesText(MAX_FILE_BYTES + 64 * 1024)}.` : undefined}
          >
            <FilePick file={file} onChange={setFile} chooseLabel="Choose a ciphertext file" dropText="Drop a ciphertext file here" invalid={tooBig} />
          </FormField>
          <FormField label="Associated data for decryption (optional)" errorText={words.fields.aad}>
            <Input value={aad} onChange={(e) => setAad(e.detail.value)} invalid={!!words.fields.aad} />
          </FormField>
          {busy && busy.total > 1 && (
            <ProgressBar value={Math.round((busy.done / busy.total) * 100)} label="Decrypting" description={`Part ${Math.min(busy.done + 1, busy.total)} of ${busy.total}`} />
          )}
          {result && (
            <div role="status">
              <Alert type="success">
                <SpaceBetween size="s">
                  <Box>
                    Decrypted by key <strong>{decryptedBy?.label ?? result.keyId}</strong>, version {result.version}. Plaintext: {bytesText(result.plaintext.byteLength)}
                    {result.parts > 1 ? ` from ${result.parts} parts` : ''}.
                  </Box>
                  {text !== null && (
                    <FormField label="Decrypted plaintext">
                      <Textarea readOnly value={text} rows={3} />
                    </FormField>
                  )}
                  {text === null && result.plaintext.byteLength <= SHOW_BASE64_BYTES && <Box variant="small">Not UTF-8 text: save it as a file.</Box>}
                  <div>
                    <Button iconName="download" onClick={() => downloadBytes(result.source, result.plaintext)}>
                      Download plaintext
                    </Button>
                  </div>
                </SpaceBetween>
              </Alert>
            </div>
          )}
        </SpaceBetween>
      </Form>
    </form>
  );
}
