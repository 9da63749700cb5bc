// The audit log as a virtualised table: only the rows in view exist in the DOM, and only the pages (of PAGE_SIZE
// records, newest first) that those rows fall into are fetched, so 100,000 records cost what a screenful costs.
import { useEffect, useRef } from 'react';
import { keepPreviousData, useQueries } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { AuditRecord } from '../../../shared/contract.ts';
import { call } from '../api.ts';
import { channelKey, useChannelQuery } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import type { AuditFilterInput } from './auditFilterInput.ts';
import { AuditRow, AUDIT_COLUMNS } from './AuditRow.tsx';

const PAGE_SIZE = 100;
const ROW_HEIGHT = 28;

function pagesFor(indexes: number[]): number[] {
  return [...new Set(indexes.map((i) => Math.floor(i / PAGE_SIZE)))];
}

export function AuditList({ filter }: { filter: AuditFilterInput }) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const head = useChannelQuery('audit:query', { ...filter, offset: 0, limit: PAGE_SIZE }, { placeholderData: keepPreviousData });
  const total = head.data?.total ?? 0;

  // No React Compiler in this build: the virtualiser re-renders this component itself when the window moves.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });

  // A new filter is a new list: start at its newest record.
  useEffect(() => {
    scrollRef.current?.scrollTo({ top: 0 });
  }, [filter]);

  const items = virtualizer.getVirtualItems();
  const pageNumbers = pagesFor(items.map((i) => i.index));
  const pages = useQueries({
    queries: pageNumbers.map((page) => {
      const input = { ...filter, offset: page * PAGE_SIZE, limit: PAGE_SIZE };
      return { queryKey: channelKey('audit:query', input), queryFn: () => call('audit:query', input), placeholderData: keepPreviousData };
    }),
  });
  const recordsByPage = new Map<number, AuditRecord[]>();
  pageNumbers.forEach((page, i) => {
    const data = pages[i]?.data;
    if (data) recordsByPage.set(page, data.records);
  });
  const pageError = pages.find((p) => p.isError)?.error;
  const keys = useChannelQuery('keys:list', {});
  const keyLabels = new Map((keys.data?.keys ?? []).map((k) => [k.id, k.label]));

  return (
    <div className="audit-list">
      <p className="muted" role="status" aria-live="polite">
        {head.isPending ? 'Loading audit records…' : `${total.toLocaleString('en-US')} ${Object.keys(filter).length ? 'matching ' : ''}records`}
      </p>
      <ErrorMessage error={head.error ?? pageError} />
      <div role="table" aria-label="Audit records" aria-rowcount={total + 1} className="vtable">
        <div role="rowgroup" className="vhead">
          <div role="row" aria-rowindex={1} className="vrow">
            {AUDIT_COLUMNS.map((c) => (
              <div role="columnheader" key={c.id} className={`vcell col-${c.id}`}>
                {c.label}
              </div>
            ))}
          </div>
        </div>
        <div ref={scrollRef} className="vscroll" tabIndex={0} aria-label="Audit records, scrollable" data-testid="audit-scroll">
          <div role="rowgroup" className="vbody" style={{ height: virtualizer.getTotalSize() }}>
            {items.map((item) => {
              const record = recordsByPage.get(Math.floor(item.index / PAGE_SIZE))?.[item.index % PAGE_SIZE];
              const label = record?.targetId ? keyLabels.get(record.targetId) : undefined;
              return <AuditRow key={item.key} index={item.index} top={item.start} height={ROW_HEIGHT} record={record} targetLabel={label} />;
            })}
          </div>
        </div>
      </div>
      {!head.isPending && total === 0 && <p className="empty">No audit records match these filters.</p>}
    </div>
  );
}
