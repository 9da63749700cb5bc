import Button from '@cloudscape-design/components/button';
import Alert from '@cloudscape-design/components/alert';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';

/** Re-checks the stored key material of every version against its recorded check value. */
export function IntegrityCheck({ keyId }: { keyId: string }) {
  const check = useChannelMutation('keys:verifyIntegrity');
  const result = check.data;

  return (
    <SpaceBetween size="xs">
      <div>
        <Button onClick={() => check.mutate({ keyId })} loading={check.isPending} loadingText="Checking integrity">
          Check integrity
        </Button>
      </div>
      {result && (
        <div role="status">
          <Alert type={result.ok ? 'success' : 'error'}>
            {result.ok ? `Integrity verified: all ${result.versions.length} version(s) intact.` : 'Integrity check FAILED.'}
            {!result.ok && (
              <ul>
                {result.versions
                  .filter((v) => !v.ok)
                  .map((v) => (
                    <li key={v.version}>
                      Version {v.version}: {v.reason ?? 'failed'}
                    </li>
                  ))}
              </ul>
            )}
          </Alert>
        </div>
      )}
      <ErrorMessage error={check.error} />
    </SpaceBetween>
  );
}
