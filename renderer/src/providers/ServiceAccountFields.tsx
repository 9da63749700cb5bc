// Google Cloud KMS service account: EITHER a key file picked here (read in the window, sent once as the secret
// setting gcp_credentials_json, sealed by the main process) OR credentials_path (a file on the console machine).
// The key itself is never put in the page: only the client_email read from the file is shown.
import { useEffect, useId, useRef, useState } from 'react';
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
  const inputRef = useRef<HTMLInputElement>(null);
  const fileId = useId();
  const statusId = useId();
  const errorId = useId();
  const [picked, setPicked] = useState<{ name: string; email: string | null } | null>(null);
  const [localError, setLocalError] = useState<string | null>(null);
  const error = localError ?? errorFor(fileField.name);

  // Once the content has been sent (and cleared from the form), the picker forgets the file too.
  useEffect(() => {
    if (content === '' && inputRef.current) inputRef.current.value = '';
  }, [content]);

  async function pick(file: File | undefined) {
    setLocalError(null);
    props.onContent('');
    setPicked(null);
    if (!file) return;
    if (file.size > MAX_FILE_BYTES) {
      setLocalError(`${file.name} is ${Math.round(file.size / 1024)} KB: a service-account key file is a few KB. Pick the JSON key file.`);
      return;
    }
    const text = await file.text();
    setPicked({ name: file.name, email: clientEmailOf(text) });
    props.onContent(text);
  }

  const selected = content !== '' && picked;
  return (
    <fieldset className="field-group nested-group">
      <legend>Service account</legend>
      <p className="muted small">
        A key file picked here is sealed in the console’s store and needs nothing on disk; a path names a key file the
        console machine reads itself. With neither, Application Default Credentials are used.
      </p>
      <div className="radio-row" role="radiogroup" aria-label="How to give the service account">
        <label className="checkbox">
          <input type="radio" name="gcp-credential-source" checked={source === 'file'} onChange={() => props.onSource('file')} />
          Key file, sealed in the store
        </label>
        <label className="checkbox">
          <input type="radio" name="gcp-credential-source" checked={source === 'path'} onChange={() => props.onSource('path')} />
          Path on the console machine
        </label>
      </div>
      {source === 'file' ? (
        <div className={error ? 'field invalid' : 'field'}>
          <label htmlFor={fileId}>{fileField.label}</label>
          <input
            ref={inputRef}
            id={fileId}
            type="file"
            name={fileField.name}
            accept=".json,application/json"
            aria-invalid={error ? true : undefined}
            aria-describedby={[statusId, error ? errorId : ''].filter(Boolean).join(' ')}
            onChange={(e) => void pick(e.target.files?.[0])}
          />
          <span className="muted small field-help" id={statusId} role="status" aria-label="Service-account file">
            {selected
              ? picked.email
                ? `service-account file selected: ${picked.email}`
                : `file selected: ${picked.name} (no client_email found in it)`
              : fileStored
                ? 'A service-account file is stored — leave empty to keep it, or pick another to replace it.'
                : 'The file is read here and sent once; only its client_email is shown.'}
          </span>
          {error && (
            <span className="field-error" id={errorId}>
              {error}
            </span>
          )}
        </div>
      ) : (
        <ProviderFieldInput
          field={{ ...pathField, help: 'Absolute path of the JSON key file on the console machine (like GOOGLE_APPLICATION_CREDENTIALS).' }}
          value={props.path}
          onChange={(v) => props.onPath(typeof v === 'string' ? v : '')}
          secretStored={false}
          error={errorFor(pathField.name)}
        />
      )}
    </fieldset>
  );
}
