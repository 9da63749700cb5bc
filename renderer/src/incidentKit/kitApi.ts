// The offline console's calls (shared/kitOfflineContract.ts): typed over the kit contract, carried by the browser
// host's socket like the console's channels (api.ts callRaw). Query keys are [channel] so a use can refresh them all.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { KitOfflineChannel, KitOfflineInput, KitOfflineOutput } from '../../../shared/kitOfflineContract.ts';
import { callRaw, isApiError } from '../api.ts';

export async function callKit<C extends KitOfflineChannel>(channel: C, input: KitOfflineInput<C>): Promise<KitOfflineOutput<C>> {
  return (await callRaw(channel, input)) as KitOfflineOutput<C>;
}

/**
 * The kit's status: resolves in kit mode; the console on a store refuses the channel (unknown_channel). Read again
 * every 15 s (a passive call: it does not keep the kit open) so an idle lock by the main side shows the sign-in page.
 */
export const kitStatusQuery = {
  queryKey: ['kitOffline:status'] as const,
  queryFn: () => callKit('kitOffline:status', {}),
  refetchInterval: (q: { state: { data?: KitOfflineOutput<'kitOffline:status'> } }) => (q.state.data?.signedIn ? 15_000 : false as const),
};

/** Tells the main side the page was hidden or shown (hidden for the idle time locks the kit). */
export const reportKitVisibility = (hidden: boolean) => callKit('kitOffline:visibility', { hidden });

export function useKitQuery<C extends Exclude<KitOfflineChannel, 'kitOffline:useOrder' | 'kitOffline:signIn' | 'kitOffline:signOut' | 'kitOffline:visibility'>>(channel: C) {
  const client = useQueryClient();
  return useQuery({
    queryKey: [channel],
    queryFn: async () => {
      try {
        return await callKit(channel, {} as KitOfflineInput<C>);
      } catch (e) {
        // Locked by the main side (idle): the status read again shows the sign-in page.
        if (isApiError(e) && e.code === 'locked') void client.invalidateQueries({ queryKey: kitStatusQuery.queryKey });
        throw e;
      }
    },
  });
}

/** A kit call that changes the kit: every kit query is read again after it (uses left, registry copy, chain). */
export function useKitMutation<C extends 'kitOffline:useOrder' | 'kitOffline:signIn' | 'kitOffline:signOut'>(channel: C) {
  const client = useQueryClient();
  return useMutation<KitOfflineOutput<C>, Error, KitOfflineInput<C>>({
    mutationFn: (input) => callKit(channel, input),
    onSettled: () => client.invalidateQueries({ predicate: (q) => String(q.queryKey[0]).startsWith('kitOffline:') }),
  });
}
