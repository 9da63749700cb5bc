// The typed filters -> the fleet:list input (empty fields, and fields refused by filterProblems, left out, so the
// query key stays stable and the main process never sees a value the screen has already refused beside its field).
import type { ChannelInput } from '../../../shared/contract.ts';
import type { RobotSortField } from '../../../shared/fleetContract.ts';
import { filterProblems, type FilterProblems } from './fleetFilters.ts';
import type { FleetFilters } from './fleetUiStore.ts';

/** Robots per page of the Fleet table (one fleet:list call). */
export const FLEET_PAGE_SIZE = 50;

export type FleetListFilter = Omit<ChannelInput<'fleet:list'>, 'offset' | 'limit'>;

export function toFleetListFilter(f: FleetFilters, sort: RobotSortField, dir: 'asc' | 'desc', problems: FilterProblems = {}): FleetListFilter {
  return {
    query: problems.query ? '' : f.query.trim(),
    ...(f.status ? { status: f.status } : {}),
    ...(f.site && !problems.site ? { site: f.site.trim() } : {}),
    ...(f.model && !problems.model ? { model: f.model.trim() } : {}),
    ...(f.renewal ? { renewal: f.renewal } : {}),
    sort,
    dir,
  };
}

/** The list the screen shows: its filters with the search text as applied (typing is debounced, so it can lag). */
export function appliedListFilter(filters: FleetFilters, query: string, sort: RobotSortField, dir: 'asc' | 'desc'): FleetListFilter {
  const applied = { ...filters, query };
  return toFleetListFilter(applied, sort, dir, filterProblems(applied));
}

/** One page of that list: the fleet:list input. */
export const listPage = (filter: FleetListFilter, pageIndex: number): ChannelInput<'fleet:list'> => ({ ...filter, offset: pageIndex * FLEET_PAGE_SIZE, limit: FLEET_PAGE_SIZE });

/** The screen's state a fleet:list call is made from (fleetUiStore.ts). */
export interface FleetListState {
  filters: FleetFilters;
  sort: RobotSortField;
  dir: 'asc' | 'desc';
  pageIndex: number;
}

/**
 * The fleet:list input for the screen's state and applied search text. The table queries it (FleetPage, FleetTable)
 * and a picked filter prefetches it (listPrefetch.ts): both build it here, so the prefetched answer sits under the
 * table's query key.
 */
export const fleetListCall = (s: FleetListState, query: string) => listPage(appliedListFilter(s.filters, query, s.sort, s.dir), s.pageIndex);
