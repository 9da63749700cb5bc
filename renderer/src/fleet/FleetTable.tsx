// The fleet as a Cloudscape table over pages fetched from the main process: fleet:list searches, filters, sorts and
// pages in SQL, so the window holds one page (FLEET_PAGE_SIZE rows) whether the fleet has 100 robots or 100,000.
// Arrow keys move between cells (the table's grid keyboard navigation); Enter on a device id opens the robot in the
// split panel. Ticked robots (bulk selection) are counted in the header.
import { useMemo } from 'react';
import { keepPreviousData } from '@tanstack/react-query';
import Table, { type TableProps } from '@cloudscape-design/components/table';
import Header from '@cloudscape-design/components/header';
import Link from '@cloudscape-design/components/link';
import Pagination from '@cloudscape-design/components/pagination';
import Box from '@cloudscape-design/components/box';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Button from '@cloudscape-design/components/button';
import type { RobotSortField, RobotSummary } from '../../../shared/fleetContract.ts';
import { useChannelQuery } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { formatTime } from '../format.ts';
import { FLEET_PAGE_SIZE, listPage, type FleetListFilter } from './fleetListInput.ts';
import { useFleetUi } from './fleetUiStore.ts';
import { RobotStatusIndicator } from './StatusBadge.tsx';
import { ExportFleet } from './ExportFleet.tsx';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import { useNeedsVisit, type Visit } from './needsVisit.ts';
import { RENEWAL_WORDS, useRenewals, type Renewal } from './renewals.ts';

const n = (v: number) => v.toLocaleString('en-US');

type Column = TableProps.ColumnDefinition<RobotSummary> & { sortingField?: RobotSortField };

function columns(onOpen: (deviceId: string) => void, visits: ReadonlyMap<string, readonly Visit[]>, renewals: ReadonlyMap<string, Renewal>): Column[] {
  return [
    {
      id: 'deviceId',
      header: 'Device id',
      sortingField: 'deviceId',
      isRowHeader: true,
      cell: (r) => (
        <Link
          href={`#/fleet?robot=${encodeURIComponent(r.deviceId)}`}
          onFollow={(e) => {
            e.preventDefault();
            onOpen(r.deviceId);
          }}
        >
          {r.deviceId}
        </Link>
      ),
    },
    { id: 'name', header: 'Name', sortingField: 'name', cell: (r) => r.name },
    { id: 'model', header: 'Model', sortingField: 'model', cell: (r) => r.model },
    { id: 'site', header: 'Site', sortingField: 'site', cell: (r) => r.site },
    { id: 'firmware', header: 'Firmware', sortingField: 'firmware', cell: (r) => r.firmware || '—' },
    { id: 'tags', header: 'Tags', cell: (r) => r.tags.join(', ') || '—' },
    {
      id: 'status',
      header: 'Status',
      sortingField: 'status',
      cell: (r) => (
        <SpaceBetween size="xxs">
          <RobotStatusIndicator status={r.status} />
          {visits.has(r.deviceId) && <StatusIndicator type="warning">Needs a visit</StatusIndicator>}
        </SpaceBetween>
      ),
    },
    {
      id: 'certificate',
      header: 'Certificate',
      cell: (r) => {
        const renewal = renewals.get(r.deviceId);
        return renewal ? <StatusIndicator type="warning">{`Needs a new certificate (${RENEWAL_WORDS[renewal.reason]})`}</StatusIndicator> : '—';
      },
    },
    { id: 'lastSeen', header: 'Last seen', sortingField: 'lastSeen', cell: (r) => formatTime(r.lastSeen) },
  ];
}

export function FleetTable({ filter, filtered, actions, filterBar }: { filter: FleetListFilter; filtered: boolean; actions: React.ReactNode; filterBar: React.ReactNode }) {
  const pageIndex = useFleetUi((s) => s.pageIndex);
  const setPage = useFleetUi((s) => s.setPage);
  const setSort = useFleetUi((s) => s.setSort);
  const select = useFleetUi((s) => s.select);
  const ticked = useFleetUi((s) => s.ticked);
  const setTicked = useFleetUi((s) => s.setTicked);
  const clearFilters = useFleetUi((s) => s.clearFilters);
  const list = useChannelQuery('fleet:list', listPage(filter, pageIndex), { placeholderData: keepPreviousData });
  const total = list.data?.total ?? 0;
  const pagesCount = Math.max(1, Math.ceil(total / FLEET_PAGE_SIZE));
  const { byRobot: visits } = useNeedsVisit();
  const renewals = useRenewals();
  const defs = useMemo(() => columns(select, visits, renewals), [select, visits, renewals]);
  const sortingColumn = defs.find((c) => c.sortingField === filter.sort);
  // Ticks are kept by device id across pages; the table is given the ticked robots of the page in view.
  const tickedSet = new Set(ticked);
  const items = list.data?.robots ?? [];
  const selectedItems = items.filter((r) => tickedSet.has(r.deviceId));
  const countText = list.isPending ? 'Loading robots…' : `${n(total)} ${filtered ? 'matching ' : ''}robot${total === 1 ? '' : 's'}`;

  return (
    <Table<RobotSummary>
      variant="full-page"
      enableKeyboardNavigation
      items={items}
      trackBy="deviceId"
      columnDefinitions={defs}
      loading={list.isPending}
      loadingText="Loading robots"
      sortingColumn={sortingColumn}
      sortingDescending={filter.dir === 'desc'}
      onSortingChange={(e) => {
        const field = (e.detail.sortingColumn as Column).sortingField;
        if (field) setSort(field, e.detail.isDescending ? 'desc' : 'asc');
      }}
      selectionType="multi"
      selectedItems={selectedItems}
      onSelectionChange={(e) => {
        const onPage = new Set(items.map((r) => r.deviceId));
        const keep = ticked.filter((id) => !onPage.has(id));
        setTicked([...keep, ...e.detail.selectedItems.map((r) => r.deviceId)]);
      }}
      totalItemsCount={total}
      firstIndex={pageIndex * FLEET_PAGE_SIZE + 1}
      ariaLabels={{
        tableLabel: 'Robots',
        selectionGroupLabel: 'Robot selection',
        allItemsSelectionLabel: () => 'Tick every robot on this page',
        itemSelectionLabel: (_, r) => `Tick ${r.deviceId}`,
      }}
      renderAriaLive={({ firstIndex, lastIndex, totalItemsCount }) => `Robots ${firstIndex} to ${lastIndex} of ${totalItemsCount ?? total}`}
      header={
        <Header
          variant="awsui-h1-sticky"
          counter={ticked.length > 0 ? `(${n(ticked.length)}/${n(total)})` : `(${n(total)})`}
          description={
            <SpaceBetween size="xs" direction="horizontal">
              <span role="status" aria-live="polite" data-testid="fleet-count">
                {countText}
              </span>
              {ticked.length > 0 && (
                <span data-testid="fleet-ticked">
                  {`${n(ticked.length)} selected`}{' '}
                  <Button variant="inline-link" onClick={() => setTicked([])}>
                    Clear selection
                  </Button>
                </span>
              )}
            </SpaceBetween>
          }
          actions={
            <SpaceBetween size="xs" direction="horizontal">
              {actions}
              <ExportFleet />
            </SpaceBetween>
          }
        >
          Fleet
        </Header>
      }
      pagination={
        <Pagination
          currentPageIndex={pageIndex + 1}
          pagesCount={pagesCount}
          onChange={(e) => setPage(e.detail.currentPageIndex - 1)}
          ariaLabels={{
            nextPageLabel: 'Next page',
            previousPageLabel: 'Previous page',
            pageLabel: (p) => `Page ${p} of ${pagesCount}`,
            paginationLabel: 'Robot pages',
          }}
        />
      }
      empty={
        <Box textAlign="center" color="inherit" padding="m">
          <SpaceBetween size="xs">
            <b>{filtered ? 'No robots match these filters.' : 'No robots registered yet. Add one or import a CSV.'}</b>
            {filtered && <Button onClick={clearFilters}>Clear filters</Button>}
          </SpaceBetween>
        </Box>
      }
      filter={filterBar}
      footer={list.error ? <ErrorMessage error={list.error} /> : undefined}
    />
  );
}
