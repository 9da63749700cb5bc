// The offline console's calls (shared/kitOfflineContract.ts): typed over the kit contract, carried by the browser
// host's socket like the console's channels (api.ts callRaw). Query keys are [channel] so a use can refresh them all.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { KitOfflineChannel, KitOfflineInput, KitOfflineOutput } from '../../../shared/kitOfflineContract.ts';
import { callRaw } from '../api.ts';

export async function callKit<C extends KitOfflineChannel>(channel: C, input: KitOfflineInput<C>): Promise<KitOfflineOutput<C>> {
  return (await callRaw(channel, input)) as KitOfflineOutput<C>;
}

/** The kit's status: resolves in kit mode; the console on a store refuses the channel (unknown_channel). */
export const kitStatusQuery = { queryKey: ['kitOffline:status'] as const, queryFn: () => callKit('kitOffline:status', {}) };

export function useKitQuery<C extends Exclude<KitOfflineChannel, 'kitOffline:useOrder' | 'kitOffline:signIn' | 'kitOffline:signOut'>>(channel: C) {
  return useQuery({ queryKey: [channel], queryFn: () => callKit(channel, {} as KitOfflineInput<C>) });
}

/** A kit call that changes the kit: every kit query is read again after it (uses left, registry copy, chain). */
export function useKitMutation<C extends 'kitOffline:useOrder' | 'kitOffline:signIn' | 'kitOffline:signOut'>(channel: C) {
  const client = useQueryClient();
  return useMutation<KitOfflineOutput<C>, Error, KitOfflineInput<C>>({
    mutationFn: (input) => callKit(channel, input),
    onSettled: () => client.invalidateQueries({ predicate: (q) => String(q.queryKey[0]).startsWith('kitOffline:') }),
  });
}
