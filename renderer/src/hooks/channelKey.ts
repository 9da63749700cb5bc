// React Query keys over the contract: [channel, input], so an event can invalidate by channel name. Its own module so
// that code without the socket (and the Node-side tests of it) can build keys.
import type { ChannelInput, ChannelName } from '../../../shared/contract.ts';

export function channelKey<C extends ChannelName>(channel: C, input: ChannelInput<C>): readonly [C, ChannelInput<C>] {
  return [channel, input] as const;
}
