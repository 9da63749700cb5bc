// Turns the filters as typed (UI state) into the audit:query input (without cursor/limit), and says whether a picked
// time range is reversed (the picker refuses it; the main process refuses it too, naming "to").
import { checkedInWords, errorInWords } from '../components/errorWords.ts';

/** The audit filters as typed (UI state, held in state/uiStore.ts). */
export interface AuditFilters {
  /** One action picked from the log's list of actions ('' = any). */
  action: string;
  /** Text the action starts with, and text anywhere in the record, as typed. */
  actionPrefix: string;
  text: string;
  actor: string;
  /** A key id picked from the list, and a robot's device id as typed. */
  keyId: string;
  robotId: string;
  /** The time range as picked (ISO 8601 with the local offset), or null. */
  range: { start: string; end: string } | null;
}

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

/**
 * The rule a reversed range breaks, in the one wording of every screen (components/errorWords.ts): said under the
 * "Time range" field's label, and inside the picker, which refuses to apply such a range.
 */
export const REVERSED_RANGE_WORDS = 'The end must not be earlier than the start.';

/** The filter fields the main process may name in a refusal of the range, and the one field that shows them. */
const RANGE_FIELDS = { from: 'Time range', to: 'Time range' } as const;

/** True when both ends are given and the end is earlier than the start. */
export function isReversed(start: string | undefined, end: string | undefined): boolean {
  const a = toUtc(start);
  const b = toUtc(end);
  return a !== undefined && b !== undefined && b < a;
}

/**
 * The error shown under the "Time range" field: the filters' own check (a reversed range) said like every form's, or
 * the main process's refusal of `from`/`to` (its sentence, through the same words helper); null when neither.
 */
export function rangeErrorOf(filters: AuditFilters, queryError: unknown): string | null {
  const local = checkedInWords({ range: isReversed(filters.range?.start, filters.range?.end) ? REVERSED_RANGE_WORDS : null });
  if (local.fields.range) return local.fields.range;
  const fromMain = errorInWords(queryError, RANGE_FIELDS).fields;
  return fromMain.to ?? fromMain.from ?? null;
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
