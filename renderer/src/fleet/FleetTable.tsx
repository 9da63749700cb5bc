// The fleet as a virtualised table: only the rows in view exist in the DOM, and only the pages (PAGE_SIZE robots,
// searched, filtered and sorted by the main process in SQL) those rows fall into are fetched. 100,000 robots cost
// what a screenful costs.
import { useCallback, useEffect, useRef } from 'react';
import { keepPreviousData, useQueries } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { RobotSummary } from '../../../shared/fleetContract.ts';
import { call } from '../api.ts';
import { channelKey, useChannelQuery } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import type { FleetListFilter } from './fleetListInput.ts';
import { FLEET_COLUMNS, FleetRow } from './FleetRow.tsx';
import { useFleetUi } from './fleetUiStore.ts';

const PAGE_SIZE = 200;
const ROW_HEIGHT = 30;

export function FleetTable({ filter }: { filter: FleetListFilter }) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const sortBy = useFleetUi((s) => s.sortBy);
  const select = useFleetUi((s) => s.select);
  const onOpen = useCallback((deviceId: string) => select(deviceId), [select]);
  const head = useChannelQuery('fleet:list', { ...filter, offset: 0, limit: PAGE_SIZE }, { placeholderData: keepPreviousData });
  const total = head.data?.total ?? 0;

  // No React Compiler in this build: the virtualiser re-renders this component itself when the window moves.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
  });

  // A new filter or sort is a new list: start at its top.
  useEffect(() => {
    scrollRef.current?.scrollTo({ top: 0 });
  }, [filter]);

  const items = virtualizer.getVirtualItems();
  const pageNumbers = [...new Set(items.map((i) => Math.floor(i.index / PAGE_SIZE)))];
  const pages = useQueries({
    queries: pageNumbers.map((page) => {
      const input = { ...filter, offset: page * PAGE_SIZE, limit: PAGE_SIZE };
      return { queryKey: channelKey('fleet:list', input), queryFn: () => call('fleet:list', input), placeholderData: keepPreviousData };
    }),
  });
  const robotsByPage = new Map<number, RobotSummary[]>();
  pageNumbers.forEach((page, i) => {
    const data = pages[i]?.data;
    if (data) robotsByPage.set(page, data.robots);
  });
  const pageError = pages.find((p) => p.isError)?.error;
  const filtered = filter.query !== '' || filter.status !== undefined || filter.site !== undefined || filter.model !== undefined;

  return (
    <div className="fleet-list">
      <p className="muted" role="status" aria-live="polite" data-testid="fleet-count">
        {head.isPending ? 'Loading robots…' : `${total.toLocaleString('en-US')} ${filtered ? 'matching ' : ''}robot${total === 1 ? '' : 's'}`}
      </p>
      <ErrorMessage error={head.error ?? pageError} />
      <div role="table" aria-label="Robots" aria-rowcount={total + 1} className="vtable">
        <div role="rowgroup" className="vhead">
          <div role="row" aria-rowindex={1} className="vrow">
            {FLEET_COLUMNS.map((c) => {
              const active = c.sortable && filter.sort === c.id;
              return (
                <div
                  role="columnheader"
                  key={c.id}
                  className={`vcell fcol-${c.id}`}
                  aria-sort={active ? (filter.dir === 'asc' ? 'ascending' : 'descending') : undefined}
                >
                  {c.sortable ? (
                    <button type="button" className="sort" onClick={() => sortBy(c.id)}>
                      {c.label}
                      {active ? (filter.dir === 'asc' ? ' ▲' : ' ▼') : ''}
                    </button>
                  ) : (
                    c.label
                  )}
                </div>
              );
            })}
          </div>
        </div>
        <div ref={scrollRef} className="vscroll" tabIndex={0} role="rowgroup" aria-label="Robots, scrollable" data-testid="fleet-scroll">
          <div className="vbody" style={{ height: virtualizer.getTotalSize() }}>
            {items.map((item) => {
              const robot = robotsByPage.get(Math.floor(item.index / PAGE_SIZE))?.[item.index % PAGE_SIZE];
              return <FleetRow key={item.key} index={item.index} top={item.start} height={ROW_HEIGHT} robot={robot} onOpen={onOpen} />;
            })}
          </div>
        </div>
      </div>
      {!head.isPending && total === 0 && <p className="empty">{filtered ? 'No robots match these filters.' : 'No robots registered yet. Add one or import a CSV.'}</p>}
    </div>
  );
}
