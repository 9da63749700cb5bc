// The audit filters' time range in the one wording of every form (issue 12; renderer/src/audit/auditFilterInput.ts
// rangeErrorOf): a reversed range is said under the "Time range" field as a rule, whether the filter bar found it
// or the main process refused it; other refusals are not the range's. Inputs are real: the audit service's own
// refusal of a reversed range and the router's refusal of a bad instant. Expected words are written here.
import { describe, expect, it } from 'vitest';
import { contract } from '../../shared/contract.ts';
import { ConsoleError } from '../../shared/errors.ts';
import { invalidInputError } from '../../electron/ipc/router.ts';
import { queryRecords } from '../../electron/services/audit/queryRecords.ts';
import { rangeErrorOf, type AuditFilters } from '../../renderer/src/audit/auditFilterInput.ts';

const NONE: AuditFilters = { action: '', actionPrefix: '', text: '', actor: '', keyId: '', robotId: '', range: null };
const REVERSED: AuditFilters = { ...NONE, range: { start: '2026-03-02T10:00:00+01:00', end: '2026-03-01T10:00:00+01:00' } };
const FORWARD: AuditFilters = { ...NONE, range: { start: '2026-03-01T10:00:00+01:00', end: '2026-03-02T10:00:00+01:00' } };
/** The same instant in two offsets is not reversed (the ends are compared as instants). */
const SAME_INSTANT: AuditFilters = { ...NONE, range: { start: '2026-03-01T10:00:00+01:00', end: '2026-03-01T09:00:00Z' } };

/** An error as the window holds it (api.ts ApiError: an Error carrying the envelope's code, message and details). */
const asReceived = (info: { code: string; message: string; details?: Record<string, unknown> }) => Object.assign(new Error(info.message), info);

/** The audit service's refusal of a reversed range (it refuses before reading anything). */
function serviceRefusal(): Error {
  try {
    queryRecords({} as never, { from: '2026-03-02T00:00:00.000Z', to: '2026-03-01T00:00:00.000Z', limit: 10 });
  } catch (e) {
    if (e instanceof ConsoleError) return asReceived(e.toInfo());
    throw e;
  }
  throw new Error('the reversed range was accepted');
}

/** The router's refusal of an audit:query input. */
function routerRefusal(input: unknown): Error {
  const parsed = contract['audit:query'].input.safeParse(input);
  if (parsed.success) throw new Error('test input was accepted');
  return asReceived(invalidInputError('audit:query', parsed.error).toInfo());
}

describe('the audit time range error, under its field', () => {
  it.each<[string, AuditFilters, () => unknown, string | null]>([
    ['no range, no refusal', NONE, () => null, null],
    ['a forward range', FORWARD, () => null, null],
    ['the same instant in two offsets', SAME_INSTANT, () => null, null],
    ['a reversed range found by the filter bar', REVERSED, () => null, 'The end must not be earlier than the start.'],
    ['a reversed range refused by the audit service', NONE, serviceRefusal, 'The time range ends before it starts: the end must not be earlier than the start.'],
    ['a bad start refused by the router', NONE, () => routerRefusal({ from: 'yesterday', limit: 10 }), 'Must be a date and time.'],
    ['a refusal of another filter is not the range\'s', NONE, () => routerRefusal({ text: 'x'.repeat(129), limit: 10 }), null],
  ])('%s', (_name, filters, error, expected) => {
    const words = rangeErrorOf(filters, error());
    expect(words).toBe(expected);
    if (words) expect(words).not.toMatch(/audit:|Invalid input for|\bto\b:|\bfrom\b:/);
  });
});
