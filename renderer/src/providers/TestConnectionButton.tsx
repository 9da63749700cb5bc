import Button from '@cloudscape-design/components/button';
import Box from '@cloudscape-design/components/box';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { errorInWords } from '../components/errorWords.ts';
import { useMayCall } from '../session/permissions.ts';

/** providers:test for one provider, with the answer (healthy + latency, or what failed) beside the button; nothing for a role that may not test. */
export function TestConnectionButton({ providerId, compact }: { providerId: string; compact?: boolean }) {
  const test = useChannelMutation('providers:test');
  const result = test.data;
  // providers:test is the admin's (it answers with the provider's detail): no button for the other roles.
  const mayTest = useMayCall('providers:test');
  if (!mayTest) return null;
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
