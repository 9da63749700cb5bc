import { useQueryClient } from '@tanstack/react-query';
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
    <button type="button" className="lock" onClick={() => lock.mutate({})} disabled={lock.isPending} title={lock.error?.message}>
      {lock.isPending ? 'Locking…' : 'Lock'}
    </button>
  );
}
