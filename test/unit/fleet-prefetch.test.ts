// The Fleet screen's prefetch (renderer/src/fleet/listPrefetch.ts): a picked filter, sort or page sends its
// fleet:list call from the store change itself, before any render, under the key the table then queries; typing in the
// search box sends nothing (the table debounces it). Real zustand store and React Query client; the socket call is a
// recorder.
import { afterEach, describe, expect, it } from 'vitest';
import { QueryClient } from '@tanstack/query-core';
import type { ChannelInput, ChannelOutput } from '../../shared/contract.ts';
import { fleetListCall } from '../../renderer/src/fleet/fleetListInput.ts';
import { prefetchListChanges } from '../../renderer/src/fleet/listPrefetch.ts';
import { EMPTY_FLEET_FILTERS, useFleetUi } from '../../renderer/src/fleet/fleetUiStore.ts';

afterEach(() => useFleetUi.getState().reset());

describe('fleetListCall: the fleet:list input of the screen state', () => {
  // state, applied search text -> input (written out by hand from the channel's fields; pages of 50)
  const TABLE = [
    [{ filters: EMPTY_FLEET_FILTERS, sort: 'deviceId', dir: 'asc', pageIndex: 0 }, '', { query: '', sort: 'deviceId', dir: 'asc', offset: 0, limit: 50 }],
    [
      { filters: { ...EMPTY_FLEET_FILTERS, query: 'typed but not applied', status: 'deployed', site: ' Depot ', model: 'UV-9' }, sort: 'name', dir: 'desc', pageIndex: 3 },
      'uv ',
      { query: 'uv', status: 'deployed', site: 'Depot', model: 'UV-9', sort: 'name', dir: 'desc', offset: 150, limit: 50 },
    ],
    // a site the screen refuses beside its field (not a site name) and an over-long search are left out
    [{ filters: { ...EMPTY_FLEET_FILTERS, site: 'no;site', renewal: 'any' }, sort: 'status', dir: 'asc', pageIndex: 1 }, 'x'.repeat(65), { query: '', renewal: 'any', sort: 'status', dir: 'asc', offset: 50, limit: 50 }],
  ] as const;
  for (const [state, query, input] of TABLE) {
    it(`${JSON.stringify(state.filters)} page ${state.pageIndex} -> offset ${input.offset}`, () => {
      expect(fleetListCall(state, query)).toEqual(input);
    });
  }
});

describe('prefetchListChanges', () => {
  function recorder() {
    const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: 5_000 } } });
    const sent: Array<ChannelInput<'fleet:list'>> = [];
    const unsubscribe = prefetchListChanges(queryClient, () => 'applied', (input) => {
      sent.push(input);
      return new Promise<ChannelOutput<'fleet:list'>>(() => undefined);
    });
    return { queryClient, sent, unsubscribe };
  }

  it('a picked status sends its first page at once, under the key the table queries', () => {
    const { queryClient, sent, unsubscribe } = recorder();
    useFleetUi.getState().setPage(4);
    sent.length = 0;
    useFleetUi.getState().setFilter('status', 'quarantined');
    const expected = { query: 'applied', status: 'quarantined', sort: 'deviceId', dir: 'asc', offset: 0, limit: 50 } as const;
    expect(sent).toEqual([expected]);
    expect(queryClient.getQueryState(['fleet:list', expected])?.fetchStatus).toBe('fetching');
    unsubscribe();
  });

  it('a sort, a page and a filter each send their list; a list fetched moments ago is not asked again', () => {
    const { sent, unsubscribe } = recorder();
    const ui = useFleetUi.getState();
    ui.setSort('site', 'desc');
    ui.setPage(2);
    ui.setFilter('site', 'Depot');
    ui.clearFilters(); // the first list again, still fresh in the cache (staleTime 5 s)
    expect(sent.map((s) => [s.sort, s.dir, s.offset, s.site])).toEqual([
      ['site', 'desc', 0, undefined],
      ['site', 'desc', 100, undefined],
      ['site', 'desc', 0, 'Depot'],
    ]);
    unsubscribe();
  });

  it('typing, ticking, opening a robot or a dialog send nothing; after unsubscribing nothing is sent', () => {
    const { sent, unsubscribe } = recorder();
    const ui = useFleetUi.getState();
    ui.setFilter('query', 'robot-0001');
    ui.setTicked(['robot-000001']);
    ui.select('robot-000001');
    ui.open({ kind: 'create' });
    expect(sent).toEqual([]);
    unsubscribe();
    ui.setFilter('status', 'revoked');
    expect(sent).toEqual([]);
  });
});
