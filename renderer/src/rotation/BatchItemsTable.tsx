// A batch job's keys on the Rotation schedules screen, a page at a time (rotation:batchItems: keyset pages in the job's
// order, docs/rotation.md "Batch jobs"): a job over every key of a type can hold thousands. The pages already reached
// keep their cursors, so Previous and the page numbers go back; Next follows the last page's cursor. "Show" filters by
// outcome (failed only ...), which starts again from the first page. The open page is read again whenever the job's
// counts change (a progress event or a cancel refreshes the job list, which hands the counts down).
import { useEffect, useRef, useState } from 'react';
import Table from '@cloudscape-design/components/table';
import Header from '@cloudscape-design/components/header';
import Box from '@cloudscape-design/components/box';
import Pagination from '@cloudscape-design/components/pagination';
import Select from '@cloudscape-design/components/select';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import type { ChannelOutput } from '../../../shared/contract.ts';
import { BATCH_ITEM_STATES } from '../../../shared/rotationBatchContract.ts';
import { useChannelQuery } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';

type ItemState = (typeof BATCH_ITEM_STATES)[number];
type BatchItem = ChannelOutput<'rotation:batchItems'>['items'][number];

/** Keys per page of the table. */
export const BATCH_ITEMS_PAGE_SIZE = 25;

export const ITEM_STATE_WORDS: Readonly<Record<ItemState, { type: 'success' | 'error' | 'pending' | 'in-progress' | 'stopped'; text: string }>> = {
  pending: { type: 'pending', text: 'Waiting' },
  rotating: { type: 'in-progress', text: 'Rotating' },
  done: { type: 'success', text: 'Rotated' },
  failed: { type: 'error', text: 'Failed' },
  superseded: { type: 'stopped', text: 'Superseded (rotated by someone else)' },
  cancelled: { type: 'stopped', text: 'Cancelled' },
};

const ALL = { value: 'all', label: 'All keys' };
const FILTER_OPTIONS = [ALL, ...BATCH_ITEM_STATES.map((s) => ({ value: s, label: `${ITEM_STATE_WORDS[s].text.replace(/ \(.*\)$/, '')} only` }))];

const PAGINATION_LABELS = {
  nextPageLabel: 'Next page of keys',
  previousPageLabel: 'Previous page of keys',
  pageLabel: (p: number) => `Page ${p} of the keys`,
  paginationLabel: 'Pages of the job’s keys',
};

export function BatchItemsTable({ batchId, title, description, counts, keyLabel }: {
  batchId: string;
  title: string;
  description: string;
  /** Changes whenever the job's counts or state change: the open page is read again. */
  counts: string;
  keyLabel(id: string): string;
}) {
  const [filter, setFilter] = useState<ItemState | null>(null);
  // cursors[i] reads page i + 1 (undefined: the first page).
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const [page, setPage] = useState(1);
  const cursor = cursors[page - 1];
  const query = useChannelQuery('rotation:batchItems', {
    batchId,
    limit: BATCH_ITEMS_PAGE_SIZE,
    ...(filter ? { state: filter } : {}),
    ...(cursor ? { cursor } : {}),
  });
  const { refetch } = query;
  const seenCounts = useRef(counts);
  useEffect(() => {
    if (seenCounts.current === counts) return; // the query itself reads the page when it mounts
    seenCounts.current = counts;
    void refetch();
  }, [counts, refetch]);

  const next = query.data?.nextCursor ?? null;
  const onLastKnown = page === cursors.length;
  const pagesCount = cursors.length + (onLastKnown && next !== null ? 1 : 0);
  const goTo = (index: number) => {
    if (index > cursors.length && next !== null) setCursors([...cursors, next]);
    setPage(Math.min(index, cursors.length + (next !== null ? 1 : 0)));
  };
  const chooseFilter = (value: string) => {
    setFilter(value === ALL.value ? null : (value as ItemState));
    setCursors([undefined]);
    setPage(1);
  };
  const matching = query.data?.matching;
  const items: BatchItem[] = query.data?.items ?? [];

  return (
    <>
      <Table
        ariaLabels={{ tableLabel: 'Keys of the batch job' }}
        variant="embedded"
        header={
          <Header variant="h3" counter={matching === undefined ? undefined : `(${matching.toLocaleString('en-US')})`} description={description}>
            {title}
          </Header>
        }
        filter={
          <Select
            ariaLabel="Show keys by outcome"
            inlineLabelText="Show"
            selectedOption={FILTER_OPTIONS.find((o) => o.value === (filter ?? ALL.value)) ?? ALL}
            onChange={(e) => chooseFilter(e.detail.selectedOption.value ?? ALL.value)}
            options={FILTER_OPTIONS}
          />
        }
        pagination={<Pagination currentPageIndex={page} pagesCount={pagesCount} onChange={(e) => goTo(e.detail.currentPageIndex)} ariaLabels={PAGINATION_LABELS} />}
        items={items}
        loading={query.isPending}
        loadingText="Loading the job's keys"
        trackBy="seq"
        empty={<Box textAlign="center">{filter ? `No ${ITEM_STATE_WORDS[filter].text.toLowerCase()} keys.` : 'No keys.'}</Box>}
        columnDefinitions={[
          { id: 'key', header: 'Key', cell: (i) => keyLabel(i.keyId) },
          { id: 'versions', header: 'Versions', cell: (i) => (i.toVersion === null ? `from v${i.fromVersion}` : `v${i.fromVersion} → v${i.toVersion}`) },
          { id: 'state', header: 'Outcome', cell: (i) => <StatusIndicator type={ITEM_STATE_WORDS[i.state].type}>{ITEM_STATE_WORDS[i.state].text}</StatusIndicator> },
          { id: 'attempts', header: 'Attempts', cell: (i) => String(i.attempts) },
          { id: 'error', header: 'Error', cell: (i) => (i.errorCode ? `${i.errorCode}: ${i.errorMessage ?? ''}${i.state === 'pending' ? ' (tried again soon)' : ''}` : i.recovered ? 'finished after a restart' : '—') },
        ]}
      />
      <ErrorMessage error={query.error} />
    </>
  );
}
