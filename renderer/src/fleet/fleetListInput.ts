// The typed filters -> the fleet:list input (empty fields left out, so the query key stays stable).
import type { ChannelInput } from '../../../shared/contract.ts';
import type { RobotSortField } from '../../../shared/fleetContract.ts';
import type { FleetFilters } from './fleetUiStore.ts';

export type FleetListFilter = Omit<ChannelInput<'fleet:list'>, 'offset' | 'limit'>;

export function toFleetListFilter(f: FleetFilters, sort: RobotSortField, dir: 'asc' | 'desc'): FleetListFilter {
  return {
    query: f.query.trim().slice(0, 64),
    ...(f.status ? { status: f.status } : {}),
    ...(f.site ? { site: f.site } : {}),
    ...(f.model ? { model: f.model } : {}),
    sort,
    dir,
  };
}
