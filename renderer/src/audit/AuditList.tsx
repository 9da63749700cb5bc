// The audit log as a virtualised table: only the rows in view exist in the DOM, and only the pages (of PAGE_SIZE
// records, newest first) those rows fall into are fetched, each one keyset page (audit:query with a cursor), so a page
// costs the same on 1,000 or 1,000,000 records.
// - Unfiltered, the list is the chain itself: row i is record head - i, so any scroll position is one page away.
// - Filtered, pages follow each other (each starts after the last record of the one before); the total is exact up
//   to 1,000 matches, beyond that the list grows as it scrolls and says "more than 1,000".
import { useEffect, useRef } from 'react';
import { keepPreviousData, useInfiniteQuery, useQueries } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { AuditRecord } from '../../../shared/contract.ts';
import { call } from '../api.ts';
import { channelKey, useChannelQuery } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import type { AuditFilterInput } from './auditFilterInput.ts';
import { AuditRow, AUDIT_COLUMNS, type RowState } from './AuditRow.tsx';

const PAGE_SIZE = 100;
const ROW_HEIGHT = 28;

export function AuditList({ filter }: { filter: AuditFilterInput }) {
  return Object.keys(filter).length ? <FilteredList filter={filter} /> : <ChainList />;
}

/** Unfiltered: row i shows record head - i; a page is the seq range it covers, fetched with before = its top + 1. */
function ChainList() {
  const head = useChannelQuery('audit:query', { limit: PAGE_SIZE }, { placeholderData: keepPreviousData });
  const headSeq = head.data?.total ?? 0;
  const table = useTable(headSeq, []);
  const pageNumbers = [...new Set(table.items.map((i) => Math.floor(i.index / PAGE_SIZE)))];
  const pages = useQueries({
    queries: pageNumbers.map((page) => {
      const input = { before: headSeq - page * PAGE_SIZE + 1, limit: PAGE_SIZE };
      return { queryKey: channelKey('audit:query', input), queryFn: () => call('audit:query', input), placeholderData: keepPreviousData, enabled: headSeq > 0 };
    }),
  });
  const bySeq = new Map<number, AuditRecord>();
  const loaded = new Set<number>();
  pageNumbers.forEach((page, i) => {
    const data = pages[i]?.data;
    if (!data) return;
    // Records are placed by their seq, so another page's placeholder data never shows in the wrong row.
    for (const r of data.records) bySeq.set(r.seq, r);
    if (!pages[i]?.isPlaceholderData) loaded.add(page);
  });
  const rowAt = (index: number): RowState => {
    const seq = headSeq - index;
    const record = bySeq.get(seq);
    if (record) return { record };
    // The page holds every record of its seq range that exists: a seq it lacks was deleted (verify names it).
    return loaded.has(Math.floor(index / PAGE_SIZE)) ? { missingSeq: seq } : {};
  };
  const status = head.isPending ? 'Loading audit records…' : `${headSeq.toLocaleString('en-US')} records`;
  return <AuditTable table={table} rowAt={rowAt} status={status} error={head.error ?? pages.find((p) => p.isError)?.error} empty={!head.isPending && headSeq === 0} />;
}

/** Filtered: keyset pages in order; the exact total (up to 1,000) sizes the list, else it grows as it scrolls. */
function FilteredList({ filter }: { filter: AuditFilterInput }) {
  const pages = useInfiniteQuery({
    queryKey: channelKey('audit:query', { ...filter, limit: PAGE_SIZE }),
    queryFn: ({ pageParam }) => call('audit:query', { ...filter, limit: PAGE_SIZE, ...(pageParam === null ? {} : { before: pageParam }) }),
    initialPageParam: null as number | null,
    getNextPageParam: (last) => (last.more ? (last.records.at(-1)?.seq ?? null) : null),
    placeholderData: keepPreviousData,
  });
  const first = pages.data?.pages[0];
  const records = pages.data?.pages.flatMap((p) => p.records) ?? [];
  const exact = first?.totalExact ?? true;
  const total = first?.total ?? 0;
  const count = exact ? total : records.length + (pages.hasNextPage ? 1 : 0);
  const table = useTable(count, [filter]);
  const lastWanted = table.items.at(-1)?.index ?? -1;
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = pages;
  useEffect(() => {
    if (lastWanted >= records.length && hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [lastWanted, records.length, hasNextPage, isFetchingNextPage, fetchNextPage]);
  const rowAt = (index: number): RowState => {
    const record = records[index];
    return record ? { record } : {};
  };
  const status = pages.isPending
    ? 'Loading audit records…'
    : exact
      ? `${total.toLocaleString('en-US')} matching records`
      : `More than ${total.toLocaleString('en-US')} matching records (counting stops there; scroll to load more)`;
  return <AuditTable table={table} rowAt={rowAt} status={status} error={pages.error} empty={!pages.isPending && count === 0} />;
}

function useTable(count: number, resetOn: unknown[]) {
  const scrollRef = useRef<HTMLDivElement>(null);
  // No React Compiler in this build: the virtualiser re-renders this component itself when the window moves.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({ count, getScrollElement: () => scrollRef.current, estimateSize: () => ROW_HEIGHT, overscan: 12 });
  // A new filter is a new list: start at its newest record.
  useEffect(() => {
    scrollRef.current?.scrollTo({ top: 0 });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, resetOn);
  return { scrollRef, virtualizer, count, items: virtualizer.getVirtualItems() };
}

function AuditTable(p: { table: ReturnType<typeof useTable>; rowAt: (index: number) => RowState; status: string; error: unknown; empty: boolean }) {
  const { scrollRef, virtualizer, count, items } = p.table;
  const keys = useChannelQuery('keys:list', {});
  const keyLabels = new Map((keys.data?.keys ?? []).map((k) => [k.id, k.label]));
  return (
    <div className="audit-list">
      <p className="muted" role="status" aria-live="polite">
        {p.status}
      </p>
      <ErrorMessage error={p.error} />
      <div role="table" aria-label="Audit records" aria-rowcount={count + 1} className="vtable">
        <div role="rowgroup" className="vhead">
          <div role="row" aria-rowindex={1} className="vrow">
            {AUDIT_COLUMNS.map((c) => (
              <div role="columnheader" key={c.id} className={`vcell col-${c.id}`}>
                {c.label}
              </div>
            ))}
          </div>
        </div>
        <div ref={scrollRef} className="vscroll" tabIndex={0} role="rowgroup" aria-label="Audit records, scrollable" data-testid="audit-scroll">
          <div className="vbody" style={{ height: virtualizer.getTotalSize() }}>
            {items.map((item) => {
              const row = p.rowAt(item.index);
              const label = row.record?.targetId ? keyLabels.get(row.record.targetId) : undefined;
              return <AuditRow key={item.key} index={item.index} top={item.start} height={ROW_HEIGHT} record={row.record} missingSeq={row.missingSeq} targetLabel={label} />;
            })}
          </div>
        </div>
      </div>
      {p.empty && <p className="empty">No audit records match these filters.</p>}
    </div>
  );
}
