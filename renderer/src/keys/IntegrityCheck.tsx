import { useChannelMutation } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';

/** Re-checks the stored key material of every version against its recorded check value. */
export function IntegrityCheck({ keyId }: { keyId: string }) {
  const check = useChannelMutation('keys:verifyIntegrity');
  const result = check.data;

  return (
    <div className="subsection">
      <button type="button" onClick={() => check.mutate({ keyId })} disabled={check.isPending}>
        {check.isPending ? 'Checking…' : 'Check integrity'}
      </button>
      {result && (
        <div className={result.ok ? 'result-ok' : 'result-bad'} role="status">
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
        </div>
      )}
      <ErrorMessage error={check.error} />
    </div>
  );
}
