import { useChannelMutation } from '../hooks/channelQuery.ts';
import { isApiError } from '../api.ts';

/** providers:test for one provider, with the answer (healthy + latency, or what failed) beside the button. */
export function TestConnectionButton({ providerId, compact }: { providerId: string; compact?: boolean }) {
  const test = useChannelMutation('providers:test');
  const result = test.data;
  return (
    <span className="test-connection">
      <button type="button" onClick={() => test.mutate({ id: providerId })} disabled={test.isPending} aria-label={`Test connection to ${providerId}`}>
        {test.isPending ? 'Testing…' : 'Test connection'}
      </button>
      <span role="status" aria-label={`Connection test result for ${providerId}`} className={compact ? 'small' : undefined}>
        {result &&
          (result.ok ? (
            <span className="ok-text">Healthy — {Math.round(result.latencyMs)} ms</span>
          ) : (
            <span className="bad-text" title={result.detail ?? undefined}>
              Failed after {Math.round(result.latencyMs)} ms{result.detail && !compact ? `: ${result.detail}` : ''}
            </span>
          ))}
        {test.error && <span className="bad-text" title={test.error.message}>{isApiError(test.error) ? `${test.error.code}: ` : ''}{test.error.message}</span>}
      </span>
    </span>
  );
}
