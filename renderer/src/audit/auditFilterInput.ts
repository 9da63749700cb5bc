// Turns the filters as typed (UI state) into the audit:query input (without cursor/limit), and says whether a picked
// time range is reversed (the picker refuses it; the main process refuses it too, naming "to").
import type { AuditFilters } from '../state/uiStore.ts';

export interface AuditFilterInput {
  action?: string;
  actionPrefix?: string;
  text?: string;
  actor?: string;
  keyId?: string;
  robotId?: string;
  from?: string;
  to?: string;
}

/** An ISO 8601 instant (any offset) as UTC ISO, or undefined when it is not one. */
function toUtc(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

export const REVERSED_RANGE_WORDS = 'The end of the time range is before its start. Choose an end at or after the start.';

/** True when both ends are given and the end is earlier than the start. */
export function isReversed(start: string | undefined, end: string | undefined): boolean {
  const a = toUtc(start);
  const b = toUtc(end);
  return a !== undefined && b !== undefined && b < a;
}

export function toFilterInput(filters: AuditFilters): AuditFilterInput {
  const input: AuditFilterInput = {};
  const set = (name: keyof AuditFilterInput, value: string | undefined) => {
    const v = value?.trim();
    if (v) input[name] = v;
  };
  set('action', filters.action);
  set('actionPrefix', filters.actionPrefix);
  set('text', filters.text);
  set('actor', filters.actor);
  set('keyId', filters.keyId);
  set('robotId', filters.robotId);
  // A reversed range never leaves the window (the picker does not apply it); should one arrive here, it is sent as is
  // and the main process refuses it with invalid_input naming "to".
  set('from', toUtc(filters.range?.start));
  set('to', toUtc(filters.range?.end));
  return input;
}
