// The typed filters -> the fleet:list input (empty fields, and fields refused by filterProblems, left out, so the
// query key stays stable and the main process never sees a value the screen has already refused beside its field).
import type { ChannelInput } from '../../../shared/contract.ts';
import type { RobotSortField } from '../../../shared/fleetContract.ts';
import type { FilterProblems } from './fleetFilters.ts';
import type { FleetFilters } from './fleetUiStore.ts';

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
