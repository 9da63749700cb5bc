// React Query over the contract: query keys are [channel, input], so an event can invalidate by channel name.
import { useMutation, useQuery, useQueryClient, type UseQueryOptions } from '@tanstack/react-query';
import type { ChannelInput, ChannelName, ChannelOutput } from '../../../shared/contract.ts';
import { call } from '../api.ts';
import { channelKey } from './channelKey.ts';

export { channelKey };

type ExtraOptions<C extends ChannelName> = Omit<UseQueryOptions<ChannelOutput<C>, Error, ChannelOutput<C>, readonly [C, ChannelInput<C>]>, 'queryKey' | 'queryFn'>;

export function useChannelQuery<C extends ChannelName>(channel: C, input: ChannelInput<C>, options?: ExtraOptions<C>) {
  return useQuery({
    queryKey: channelKey(channel, input),
    queryFn: () => call(channel, input),
    ...options,
  });
}

/** A mutation over one channel; the pushed events do the invalidation, so callers rarely need onSuccess. */
export function useChannelMutation<C extends ChannelName>(channel: C, onSuccess?: (value: ChannelOutput<C>) => void) {
  return useMutation<ChannelOutput<C>, Error, ChannelInput<C>>({
    mutationFn: (input) => call(channel, input),
    onSuccess,
  });
}

export { useQueryClient };
