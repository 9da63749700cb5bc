// Turns the filters as typed (UI state) into the audit:query input (without offset/limit).
import type { AuditFilters } from '../state/uiStore.ts';
import { localInputToIso } from '../format.ts';

export interface AuditFilterInput {
  action?: string;
  actor?: string;
  targetId?: string;
  from?: string;
  to?: string;
}

export function toFilterInput(filters: AuditFilters): AuditFilterInput {
  const input: AuditFilterInput = {};
  const action = filters.action.trim();
  const actor = filters.actor.trim();
  const from = localInputToIso(filters.from);
  const to = localInputToIso(filters.to);
  if (action) input.action = action;
  if (actor) input.actor = actor;
  if (filters.targetId) input.targetId = filters.targetId;
  if (from) input.from = from;
  if (to) input.to = to;
  return input;
}
