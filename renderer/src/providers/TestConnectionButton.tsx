import Button from '@cloudscape-design/components/button';
import Box from '@cloudscape-design/components/box';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { errorInWords } from '../components/errorWords.ts';

/** providers:test for one provider, with the answer (healthy + latency, or what failed) beside the button. */
export function TestConnectionButton({ providerId, compact }: { providerId: string; compact?: boolean }) {
  const test = useChannelMutation('providers:test');
  const result = test.data;
  return (
    <span className="test-connection">
      <Button variant={compact ? 'inline-link' : 'normal'} onClick={() => test.mutate({ id: providerId })} loading={test.isPending} ariaLabel={`Test connection to ${providerId}`}>
        Test connection
      </Button>
      <span role="status" aria-label={`Connection test result for ${providerId}`}>
        {result &&
          (result.ok ? (
            <Box variant="small" color="text-status-success" display="inline">{`Healthy — ${Math.round(result.latencyMs)} ms`}</Box>
          ) : (
            <Box variant="small" color="text-status-error" display="inline">
              <span title={result.detail ?? undefined}>{`Failed after ${Math.round(result.latencyMs)} ms${result.detail && !compact ? `: ${result.detail}` : ''}`}</span>
            </Box>
          ))}
        {test.error && (
          <Box variant="small" color="text-status-error" display="inline">
            {errorInWords(test.error).summary}
          </Box>
        )}
      </span>
    </span>
  );
}
