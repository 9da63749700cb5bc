// The Fleet screen's prefetch of picked lists (listPrefetch.ts) over the socket, while the screen is open.
import { useEffect, useRef } from 'react';
import { call } from '../api.ts';
import { useQueryClient } from '../hooks/channelQuery.ts';
import { prefetchListChanges } from './listPrefetch.ts';

/** `query`: the search text as applied (debounced). */
export function usePrefetchFleetList(query: string): void {
  const queryClient = useQueryClient();
  const applied = useRef(query);
  useEffect(() => {
    applied.current = query;
  }, [query]);
  useEffect(() => prefetchListChanges(queryClient, () => applied.current, (input) => call('fleet:list', input)), [queryClient]);
}
