// UI state of the fleet screens only: filters as typed, sort, the selected robot, the open dialog.
// Robots themselves live in the main process (React Query owns them).
import { create } from 'zustand';
import type { RobotStatus } from '../../../shared/domain.ts';
import type { RobotSortField } from '../../../shared/fleetContract.ts';

export interface FleetFilters {
  query: string;
  status: RobotStatus | '';
  site: string;
  model: string;
}

export const EMPTY_FLEET_FILTERS: FleetFilters = { query: '', status: '', site: '', model: '' };

export type FleetDialog = { kind: 'import' } | { kind: 'create' } | { kind: 'status'; deviceId: string } | null;

interface FleetUiStore {
  filters: FleetFilters;
  sort: RobotSortField;
  dir: 'asc' | 'desc';
  selected: string | null;
  dialog: FleetDialog;
  setFilter<K extends keyof FleetFilters>(name: K, value: FleetFilters[K]): void;
  clearFilters(): void;
  /** Sorting by the current column flips the direction; a new column starts ascending. */
  sortBy(field: RobotSortField): void;
  select(deviceId: string | null): void;
  open(dialog: FleetDialog): void;
  reset(): void;
}

export const useFleetUi = create<FleetUiStore>((set) => ({
  filters: EMPTY_FLEET_FILTERS,
  sort: 'deviceId',
  dir: 'asc',
  selected: null,
  dialog: null,
  setFilter: (name, value) => set((s) => ({ filters: { ...s.filters, [name]: value } })),
  clearFilters: () => set({ filters: EMPTY_FLEET_FILTERS }),
  sortBy: (field) => set((s) => (s.sort === field ? { dir: s.dir === 'asc' ? 'desc' : 'asc' } : { sort: field, dir: 'asc' })),
  select: (selected) => set({ selected }),
  open: (dialog) => set({ dialog }),
  reset: () => set({ filters: EMPTY_FLEET_FILTERS, sort: 'deviceId', dir: 'asc', selected: null, dialog: null }),
}));
