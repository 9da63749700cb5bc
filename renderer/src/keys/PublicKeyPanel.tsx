import Container from '@cloudscape-design/components/container';
import Header from '@cloudscape-design/components/header';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import { useChannelQuery } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { CopyButton } from '../components/CopyButton.tsx';

export function PublicKeyPanel({ keyId, version }: { keyId: string; version: number }) {
  const publicKey = useChannelQuery('keys:publicKey', { keyId, version });
  return (
    <Container
      header={
        <Header variant="h3" actions={publicKey.data && <CopyButton text={publicKey.data.pem} label="Copy public key" />}>
          Public key (PEM{publicKey.data ? `, version ${publicKey.data.version}` : ''})
        </Header>
      }
    >
      {publicKey.isPending && <StatusIndicator type="loading">Loading public key…</StatusIndicator>}
      <ErrorMessage error={publicKey.error} />
      {publicKey.data && (
        <pre className="pem" aria-label="Public key PEM">
          {publicKey.data.pem}
        </pre>
      )}
    </Container>
  );
}
