// What the fleet filters accept, said in words: the same limits fleet:list enforces (shared/fleetContract.ts), checked
// here so that a bad value is refused beside its field instead of being sent, refused by the main process, or ignored.
import { FLEET_NAME_PATTERN } from '../../../shared/domain.ts';
import type { FleetFilters } from './fleetUiStore.ts';

export const MAX_FLEET_QUERY = 64;
const CONTROL = /[\u0000-\u001f\u007f]/;

export type FilterProblems = Partial<Record<keyof FleetFilters, string>>;

export function filterProblems(f: FleetFilters): FilterProblems {
  const out: FilterProblems = {};
  if (f.query.trim().length > MAX_FLEET_QUERY) out.query = `is ${f.query.trim().length} characters long; a search is at most ${MAX_FLEET_QUERY}.`;
  else if (CONTROL.test(f.query)) out.query = 'contains a control character (a tab or line break, say); type plain text.';
  for (const field of ['site', 'model'] as const) {
    const v = f[field].trim();
    if (v !== '' && !FLEET_NAME_PATTERN.test(v)) out[field] = `"${v.slice(0, 40)}" is not a ${field} name (1 to 64 letters, digits, spaces and . _ / -).`;
  }
  return out;
}
