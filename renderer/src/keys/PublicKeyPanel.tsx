import { useChannelQuery } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { CopyButton } from '../components/CopyButton.tsx';

export function PublicKeyPanel({ keyId, version }: { keyId: string; version: number }) {
  const publicKey = useChannelQuery('keys:publicKey', { keyId, version });
  return (
    <div className="subsection">
      <h3>Public key (PEM{publicKey.data ? `, version ${publicKey.data.version}` : ''})</h3>
      {publicKey.isPending && <p role="status">Loading public key…</p>}
      <ErrorMessage error={publicKey.error} />
      {publicKey.data && (
        <>
          <pre className="pem" aria-label="Public key PEM">
            {publicKey.data.pem}
          </pre>
          <CopyButton text={publicKey.data.pem} label="Copy public key" />
        </>
      )}
    </div>
  );
}
