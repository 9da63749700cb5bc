// UI state of the fleet screens only: filters as typed, sort, the page of the table, the robots ticked for bulk
// actions, the robot whose detail is open (the split panel; its device id is in the URL), the open dialog, and what a
// link asked for that the screen refused. Robots themselves live in the main process (React Query owns them).
import { create } from 'zustand';
import { ROBOT_STATUSES, type RobotStatus } from '../../../shared/domain.ts';
import type { RenewalFilter, RobotSortField } from '../../../shared/fleetContract.ts';
import type { RouteParams } from '../shell/routes.ts';
import { filterProblems } from './fleetFilters.ts';

export interface FleetFilters {
  query: string;
  status: RobotStatus | '';
  site: string;
  model: string;
  /** Robots needing a certificate from the current CA ('any' or one reason); '' = no such filter. */
  renewal: RenewalFilter | '';
}

export const EMPTY_FLEET_FILTERS: FleetFilters = { query: '', status: '', site: '', model: '', renewal: '' };

export type FleetDialog = { kind: 'import' } | { kind: 'create' } | { kind: 'status'; deviceId: string } | null;

interface FleetUiStore {
  filters: FleetFilters;
  sort: RobotSortField;
  dir: 'asc' | 'desc';
  /** Zero-based page of the table (pages of FLEET_PAGE_SIZE robots, fetched from the main process). */
  pageIndex: number;
  /** Device ids ticked in the table (bulk selection; the actions arrive with later work). */
  ticked: string[];
  selected: string | null;
  dialog: FleetDialog;
  /** Values a deep link carried that the screen did not apply, in words (shown above the table). */
  refused: string[];
  setFilter<K extends keyof FleetFilters>(name: K, value: FleetFilters[K]): void;
  clearFilters(): void;
  /** Sorting by the current column flips the direction; a new column starts ascending. */
  sortBy(field: RobotSortField): void;
  setSort(field: RobotSortField, dir: 'asc' | 'desc'): void;
  setPage(pageIndex: number): void;
  setTicked(ids: string[]): void;
  select(deviceId: string | null): void;
  open(dialog: FleetDialog): void;
  reset(): void;
}

const INITIAL = { filters: EMPTY_FLEET_FILTERS, sort: 'deviceId' as RobotSortField, dir: 'asc' as const, pageIndex: 0, ticked: [], selected: null, dialog: null, refused: [] };

export const useFleetUi = create<FleetUiStore>((set) => ({
  ...INITIAL,
  // A new filter or sort is a new list: back to its first page; ticks stay (they name robots, not rows).
  setFilter: (name, value) => set((s) => ({ filters: { ...s.filters, [name]: value }, pageIndex: 0, refused: [] })),
  clearFilters: () => set({ filters: EMPTY_FLEET_FILTERS, pageIndex: 0, refused: [] }),
  sortBy: (field) => set((s) => (s.sort === field ? { dir: s.dir === 'asc' ? 'desc' : 'asc', pageIndex: 0 } : { sort: field, dir: 'asc', pageIndex: 0 })),
  setSort: (sort, dir) => set({ sort, dir, pageIndex: 0 }),
  setPage: (pageIndex) => set({ pageIndex }),
  setTicked: (ticked) => set({ ticked }),
  select: (selected) => set({ selected }),
  open: (dialog) => set({ dialog }),
  reset: () => set(INITIAL),
}));

/**
 * A fleet route's parameters (status, site, q, robot: shell/routes.ts) applied to this store. A value the screen
 * cannot use is not silently dropped: it is left out of the filters and named in `refused`, which the screen shows.
 */
export function applyFleetRoute(params: RouteParams): void {
  const { status, site, q, robot } = params;
  if (status === undefined && site === undefined && q === undefined && robot === undefined) return;
  const refused: string[] = [];
  const validStatus = status !== undefined && (ROBOT_STATUSES as readonly string[]).includes(status) ? (status as RobotStatus) : '';
  if (status !== undefined && validStatus === '') refused.push(`The link asks for status "${status}", which is not a robot status (${ROBOT_STATUSES.join(', ')}).`);
  const wanted: FleetFilters = { ...EMPTY_FLEET_FILTERS, status: validStatus, site: site ?? '', query: q ?? '' };
  const problems = filterProblems(wanted);
  for (const [field, message] of Object.entries(problems)) refused.push(`The link's ${field === 'query' ? 'search text' : field} ${message}`);
  const filters: FleetFilters = {
    status: validStatus,
    site: problems.site ? '' : wanted.site,
    query: problems.query ? '' : wanted.query,
    model: '',
    renewal: '',
  };
  useFleetUi.setState({ filters, pageIndex: 0, selected: robot ?? null, refused });
}
