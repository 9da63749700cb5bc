// The audit log as a Cloudscape Table, paged by the main process: a page is PAGE_SIZE records, newest first, one
// keyset page of audit:query (a cursor, never an offset), so a page costs the same on 1,000 or 1,000,000 records and
// only one page of rows is ever in the DOM.
// - Unfiltered, the list is the chain itself: page p holds the records head - (p-1)*PAGE_SIZE downwards, so any page
//   (the last one too, or the one holding a given record number) is one request away.
// - Filtered, pages follow each other (each starts after the last record of the one before); the total is exact up to
//   1,000 matches, beyond that the pagination is open-ended and the status says "More than 1,000".
import { useEffect, useState } from 'react';
import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import Pagination from '@cloudscape-design/components/pagination';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table, { type TableProps } from '@cloudscape-design/components/table';
import type { AuditRecord } from '../../../shared/contract.ts';
import { detailsText } from './detailsText.ts';
import { call } from '../api.ts';
import { channelKey, useChannelQuery } from '../hooks/channelQuery.ts';
import { formatTime } from '../format.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import type { AuditFilterInput } from './auditFilterInput.ts';

export const PAGE_SIZE = 100;

/**
 * The filters' labels (AuditFiltersBar), for the main process's refusals of a filter: said here in the one wording
 * rule, the label then the rule (the bar cannot highlight a property filter's token).
 */
const FILTER_LABELS: Readonly<Record<string, string>> = {
  action: 'Action',
  actionPrefix: 'Action starts with',
  text: 'Contains text',
  actor: 'Actor',
  keyId: 'Key',
  robotId: 'Robot',
  from: 'Start of the time range',
  to: 'End of the time range',
};

/** A row: a record, or the seq of a record the chain lacks (deleted). */
type Row = { kind: 'record'; record: AuditRecord } | { kind: 'missing'; seq: number };

export function AuditList({ filter, onError }: { filter: AuditFilterInput; onError: (error: unknown) => void }) {
  // A new filter is a new list (keyed by it): it starts on its first page.
  return Object.keys(filter).length ? <FilteredList key={JSON.stringify(filter)} filter={filter} onError={onError} /> : <ChainList />;
}

/** Unfiltered: page p shows records head-(p-1)*PAGE_SIZE down to the page's last, each by its seq. */
function ChainList() {
  const head = useChannelQuery('audit:query', { limit: 1 }, { placeholderData: keepPreviousData });
  const headSeq = head.data?.total ?? 0;
  const [page, setPage] = useState(1);
  const pages = Math.max(1, Math.ceil(headSeq / PAGE_SIZE));
  const current = Math.min(page, pages);
  const top = headSeq - (current - 1) * PAGE_SIZE;
  const data = useChannelQuery('audit:query', { before: top + 1, limit: PAGE_SIZE }, { enabled: headSeq > 0, placeholderData: keepPreviousData });
  const rows: Row[] = [];
  if (data.data && !data.isPlaceholderData) {
    const bySeq = new Map(data.data.records.map((r) => [r.seq, r]));
    // The page holds every record of its seq range that exists: a seq it lacks was deleted (verify names it).
    for (let seq = top; seq > Math.max(0, top - PAGE_SIZE); seq--) {
      const record = bySeq.get(seq);
      rows.push(record ? { kind: 'record', record } : { kind: 'missing', seq });
    }
  }
  const status = head.isPending ? 'Loading audit records…' : `${headSeq.toLocaleString('en-US')} records`;
  const goTo = (seq: number) => setPage(Math.floor((headSeq - seq) / PAGE_SIZE) + 1);
  return (
    <AuditTable
      rows={rows}
      loading={head.isPending || (headSeq > 0 && (data.isPending || data.isPlaceholderData))}
      status={status}
      error={head.error ?? data.error}
      pagination={<Pagination currentPageIndex={current} pagesCount={pages} onChange={(e) => setPage(e.detail.currentPageIndex)} ariaLabels={PAGINATION_LABELS} />}
      goToRecord={headSeq > 0 ? { max: headSeq, go: goTo } : null}
    />
  );
}

/** Filtered: keyset pages in order; the exact total (up to 1,000) sizes the pagination, else it is open-ended. */
function FilteredList({ filter, onError }: { filter: AuditFilterInput; onError: (error: unknown) => void }) {
  const [page, setPage] = useState(1);
  const pages = useInfiniteQuery({
    queryKey: channelKey('audit:query', { ...filter, limit: PAGE_SIZE }),
    queryFn: ({ pageParam }) => call('audit:query', { ...filter, limit: PAGE_SIZE, ...(pageParam === null ? {} : { before: pageParam }) }),
    initialPageParam: null as number | null,
    getNextPageParam: (last) => (last.more ? (last.records.at(-1)?.seq ?? null) : null),
    retry: false,
  });
  useEffect(() => onError(pages.error), [pages.error, onError]);
  const loaded = pages.data?.pages ?? [];
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = pages;
  // Pages are read in order: asking for page p reads the ones before it first (at most ten while the count is exact).
  useEffect(() => {
    if (loaded.length > 0 && loaded.length < page && hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [loaded.length, page, hasNextPage, isFetchingNextPage, fetchNextPage]);
  const first = loaded[0];
  const exact = first?.totalExact ?? true;
  const total = first?.total ?? 0;
  const pagesCount = exact ? Math.max(1, Math.ceil(total / PAGE_SIZE)) : Math.max(page, loaded.length);
  const shown = loaded[page - 1];
  const rows: Row[] = (shown?.records ?? []).map((record) => ({ kind: 'record', record }));
  const status = pages.isPending
    ? 'Loading audit records…'
    : exact
      ? `${total.toLocaleString('en-US')} matching records`
      : `More than ${total.toLocaleString('en-US')} matching records (counting stops there; the next pages load more)`;
  return (
    <AuditTable
      rows={rows}
      loading={pages.isPending || (!shown && (hasNextPage || isFetchingNextPage))}
      status={status}
      error={pages.error}
      empty="No audit records match these filters."
      pagination={
        <Pagination
          currentPageIndex={page}
          pagesCount={pagesCount}
          openEnd={!exact && (hasNextPage || loaded.length > page)}
          onChange={(e) => setPage(e.detail.currentPageIndex)}
          onNextPageClick={(e) => {
            if (!e.detail.requestedPageAvailable) setPage(e.detail.requestedPageIndex);
          }}
          ariaLabels={PAGINATION_LABELS}
        />
      }
      goToRecord={null}
    />
  );
}

const PAGINATION_LABELS = {
  nextPageLabel: 'Next page (older records)',
  previousPageLabel: 'Previous page (newer records)',
  pageLabel: (n: number) => `Page ${n}`,
  paginationLabel: 'Audit record pages',
};

function targetText(record: AuditRecord, keyLabels: ReadonlyMap<string, string>): string {
  if (!record.targetId) return '—';
  const label = keyLabels.get(record.targetId);
  const name = label ? `“${label}” ${record.targetId}` : record.targetId;
  return `${record.targetType ?? ''} ${name}`.trim();
}


function DetailsCell({ details }: { details: AuditRecord['details'] }) {
  const shown = detailsText(details);
  const full = detailsText(details, true);
  return shown === full ? shown : <span title={full}>{shown}</span>;
}

function columns(keyLabels: ReadonlyMap<string, string>): TableProps.ColumnDefinition<Row>[] {
  const whenRecord = (render: (r: AuditRecord) => React.ReactNode, missing: React.ReactNode = null) => (row: Row) => (row.kind === 'record' ? render(row.record) : missing);
  return [
    { id: 'seq', header: 'Seq', cell: (row) => <span data-seq={row.kind === 'record' ? row.record.seq : row.seq}>{row.kind === 'record' ? row.record.seq : row.seq}</span>, width: 90 },
    { id: 'time', header: 'Time', cell: whenRecord((r) => formatTime(r.ts), <StatusIndicator type="error">Record missing from the log (deleted?): run Verify chain.</StatusIndicator>), width: 180 },
    { id: 'actor', header: 'Actor', cell: whenRecord((r) => r.actor) },
    { id: 'action', header: 'Action', cell: whenRecord((r) => r.action) },
    { id: 'target', header: 'Target', cell: whenRecord((r) => targetText(r, keyLabels)) },
    {
      id: 'outcome',
      header: 'Outcome',
      cell: whenRecord((r) => <StatusIndicator type={r.outcome === 'success' ? 'success' : 'error'}>{r.outcome}</StatusIndicator>),
      width: 130,
    },
    { id: 'details', header: 'Details', cell: whenRecord((r) => <DetailsCell details={r.details} />) },
  ];
}

interface AuditTableProps {
  rows: Row[];
  loading: boolean;
  status: string;
  error: unknown;
  empty?: string;
  pagination: React.ReactNode;
  goToRecord: { max: number; go: (seq: number) => void } | null;
}

function AuditTable(p: AuditTableProps) {
  const keys = useChannelQuery('keys:list', {});
  const keyLabels = new Map((keys.data?.keys ?? []).map((k) => [k.id, k.label]));
  return (
    <Table<Row>
      variant="container"
      items={p.rows}
      trackBy={(row) => String(row.kind === 'record' ? row.record.seq : row.seq)}
      columnDefinitions={columns(keyLabels)}
      wrapLines={false}
      resizableColumns
      loading={p.loading}
      loadingText="Loading audit records"
      ariaLabels={{ tableLabel: 'Audit records' }}
      empty={<Box textAlign="center">{p.empty ?? 'The audit log is empty.'}</Box>}
      header={
        <Header
          variant="h2"
          description={
            <span role="status" aria-live="polite" data-testid="audit-status">
              {p.status}
            </span>
          }
          actions={p.goToRecord && <GoToRecord max={p.goToRecord.max} go={p.goToRecord.go} />}
        >
          Records
        </Header>
      }
      pagination={p.pagination}
      footer={p.error ? <ErrorMessage error={p.error} header="The records could not be read" fieldLabels={FILTER_LABELS} fieldsShown={false} /> : undefined}
    />
  );
}

/** Jumps to the page that holds a record number (unfiltered list only: there, a record's page is known from its seq). */
function GoToRecord({ max, go }: { max: number; go: (seq: number) => void }) {
  const [value, setValue] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const submit = () => {
    const seq = Number(value);
    if (!/^\d+$/.test(value.trim()) || seq < 1 || seq > max) {
      setProblem(`Give a record number from 1 to ${max.toLocaleString('en-US')}.`);
      return;
    }
    setProblem(null);
    go(seq);
  };
  return (
    <form
      aria-label="Go to record"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <SpaceBetween direction="horizontal" size="xs" alignItems="end">
        <FormField label="Record number" errorText={problem ?? undefined}>
          <Input value={value} inputMode="numeric" onChange={(e) => setValue(e.detail.value)} />
        </FormField>
        <Button formAction="submit">Go to record</Button>
      </SpaceBetween>
    </form>
  );
}
