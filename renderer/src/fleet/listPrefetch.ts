// A picked filter, sort or page asks the main process for its list at once, from the store change itself, instead of
// after React has rendered the screen with the change: the table's query would otherwise start only in the effect that
// follows that render (hundreds of ms on a loaded machine), so the round trip and the render ran one after the other.
// Now they overlap; the table's query (same key, fleetListCall) finds the answer in flight or in the cache. Typing in
// the search box is left to the table: its text is debounced there. The hook is usePrefetchFleetList.ts.
import type { QueryClient } from '@tanstack/query-core';
import type { ChannelInput, ChannelOutput } from '../../../shared/contract.ts';
import { channelKey } from '../hooks/channelKey.ts';
import { fleetListCall, type FleetListState } from './fleetListInput.ts';
import { useFleetUi } from './fleetUiStore.ts';

/** Whether a store change makes a new list the table will ask for (not a change of the typed search text). */
export function asksForNewList(next: FleetListState, prev: FleetListState): boolean {
  if (next.filters.query !== prev.filters.query) return false;
  return next.filters !== prev.filters || next.sort !== prev.sort || next.dir !== prev.dir || next.pageIndex !== prev.pageIndex;
}

export type ListFetch = (input: ChannelInput<'fleet:list'>) => Promise<ChannelOutput<'fleet:list'>>;

/** Prefetches, into `queryClient`, the list of each store change that asks for one; answers the unsubscribe. */
export function prefetchListChanges(queryClient: QueryClient, appliedQuery: () => string, fetchList: ListFetch): () => void {
  return useFleetUi.subscribe((next, prev) => {
    if (!asksForNewList(next, prev)) return;
    const input = fleetListCall(next, appliedQuery());
    void queryClient.prefetchQuery({ queryKey: channelKey('fleet:list', input), queryFn: () => fetchList(input) });
  });
}
