import { useQueryClient } from '@tanstack/react-query';
import Button from '@cloudscape-design/components/button';
import { channelKey, useChannelMutation } from '../hooks/channelQuery.ts';
import { useUiStore } from '../state/uiStore.ts';

export function LockButton() {
  const queryClient = useQueryClient();
  const lock = useChannelMutation('session:lock', (status) => {
    queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== 'session:status' });
    queryClient.setQueryData(channelKey('session:status', {}), status);
    useUiStore.getState().reset();
  });
  return (
    <Button onClick={() => lock.mutate({})} disabled={lock.isPending} loading={lock.isPending}>
      Lock
    </Button>
  );
}
