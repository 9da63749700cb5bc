// Google Cloud KMS service account: EITHER a key file picked here (read in the window, sent once as the secret
// setting gcp_credentials_json, sealed by the main process) OR credentials_path (a file on the console machine).
// The key itself is never put in the page: only the client_email read from the file is shown.
import { useState } from 'react';
import FormField from '@cloudscape-design/components/form-field';
import FileInput from '@cloudscape-design/components/file-input';
import RadioGroup from '@cloudscape-design/components/radio-group';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Box from '@cloudscape-design/components/box';
import type { ProviderField } from './providerFields.ts';
import type { GcpCredentialSource } from './providerConfig.ts';
import { ProviderFieldInput } from './ProviderField.tsx';

/** Service-account files are a few KB; anything far larger is not one (the main process accepts up to 16 KB). */
const MAX_FILE_BYTES = 64 * 1024;

interface Props {
  fileField: ProviderField;
  pathField: ProviderField;
  source: GcpCredentialSource;
  onSource(source: GcpCredentialSource): void;
  /** The picked file's content, until it is sent ('' after). */
  content: string;
  onContent(content: string): void;
  path: string;
  onPath(path: string): void;
  /** The main process holds a service-account file for this provider. */
  fileStored: boolean;
  errorFor(name: string): string | null;
}

/** The client_email of a service-account key file, or null when the text is not one. */
function clientEmailOf(text: string): string | null {
  try {
    const o = JSON.parse(text) as unknown;
    if (o && typeof o === 'object' && typeof (o as { client_email?: unknown }).client_email === 'string') return (o as { client_email: string }).client_email;
  } catch {
    // Not JSON: the main process refuses it beside the field.
  }
  return null;
}

export function ServiceAccountFields(props: Props) {
  const { fileField, pathField, source, content, fileStored, errorFor } = props;
  const [picked, setPicked] = useState<{ file: File; email: string | null } | null>(null);
  const [localError, setLocalError] = useState<string | null>(null);
  const error = localError ?? errorFor(fileField.name);

  async function pick(file: File | undefined) {
    setLocalError(null);
    props.onContent('');
    setPicked(null);
    if (!file) return;
    if (file.size > MAX_FILE_BYTES) {
      setLocalError(`${file.name} is ${file.size.toLocaleString('en')} bytes: a service-account key file is a few thousand. Pick the JSON key file.`);
      return;
    }
    const text = await file.text();
    setPicked({ file, email: clientEmailOf(text) });
    props.onContent(text);
  }

  // Once the content has been sent (and cleared from the form), the picker shows no file either.
  const selected = content !== '' ? picked : null;
  const status = selected
    ? selected.email
      ? `service-account file selected: ${selected.email}`
      : `file selected: ${selected.file.name} (no client_email found in it)`
    : fileStored
      ? 'A service-account file is stored — leave empty to keep it, or pick another to replace it.'
      : 'The file is read here and sent once; only its client_email is shown.';
  return (
    <SpaceBetween size="s">
      <div>
        <Box variant="h4">Service account</Box>
        <Box variant="small">
          A key file picked here is sealed in the console’s store and needs nothing on disk; a path names a key file the
          console machine reads itself. With neither, Application Default Credentials are used.
        </Box>
      </div>
        <RadioGroup
          ariaLabel="How to give the service account"
          value={source}
          onChange={(e) => props.onSource(e.detail.value as GcpCredentialSource)}
          items={[
            { value: 'file', label: 'Key file, sealed in the store' },
            { value: 'path', label: 'Path on the console machine' },
          ]}
        />
        {source === 'file' ? (
          <FormField
            label={fileField.label}
            description={
              <span role="status" aria-label="Service-account file">
                {status}
              </span>
            }
            errorText={error ?? undefined}
            i18nStrings={{ errorIconAriaLabel: 'Error' }}
          >
            <FileInput accept=".json,application/json" value={selected ? [selected.file] : []} onChange={(e) => void pick(e.detail.value[0])}>
              Choose key file
            </FileInput>
          </FormField>
        ) : (
          <ProviderFieldInput
            field={{ ...pathField, help: 'Absolute path of the JSON key file on the console machine (like GOOGLE_APPLICATION_CREDENTIALS).' }}
            value={props.path}
            onChange={(v) => props.onPath(typeof v === 'string' ? v : '')}
            secretStored={false}
            error={errorFor(pathField.name)}
          />
        )}
    </SpaceBetween>
  );
}
