// Paged, filtered reads for the Audit screen, flat in the size of the log: keyset pages (a cursor seq, never an
// offset on the screen's path) over one index range each (auditRepo.ts), and a total that is exact only where it is
// cheap: the unfiltered total is the head's seq; a filtered count stops at TOTAL_CAP and then says "more than".
import type { AuditRecord } from '../../../shared/contract.ts';
import { ConsoleError } from '../../../shared/errors.ts';
import type { AuditRepo } from '../../store/auditRepo.ts';
import type { AuditQuery, AuditQueryResult } from './auditLog.ts';

const MAX_LIMIT = 1000;
/**
 * A filtered total counts at most this many records (then "more than 1,000"): ten screenfuls, and a count of 1,001
 * index entries costs about what the page itself does, so a first page stays flat (test/bench/audit-scale.bench.ts).
 */
export const TOTAL_CAP = 1_000;

/** The words of the refusal of a time range whose end is before its start (the contract says the same). */
export const REVERSED_RANGE = 'The time range ends before it starts: the end must not be earlier than the start.';

function isoBound(name: string, v: string | undefined): string | null {
  if (v === undefined) return null;
  const ms = typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) throw new ConsoleError('invalid_input', `Audit query: ${name} must be an ISO date-time`);
  return new Date(ms).toISOString();
}

function filterText(name: string, v: string | undefined): string | null {
  if (v === undefined || v === '') return null;
  if (typeof v !== 'string' || v.length > 256) throw new ConsoleError('invalid_input', `Audit query: ${name} must be a string of at most 256 characters`, { field: name });
  return v;
}

function cursor(name: string, v: number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isSafeInteger(v) || v < 0) throw new ConsoleError('invalid_input', `Audit query: ${name} must be a record seq (a non-negative integer)`);
  return v;
}

export function queryRecords(repo: AuditRepo, q: AuditQuery, cap = TOTAL_CAP): AuditQueryResult {
  const offset = q.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0) throw new ConsoleError('invalid_input', 'Audit query: offset must be a non-negative integer');
  if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > MAX_LIMIT) {
    throw new ConsoleError('invalid_input', `Audit query: limit must be an integer from 1 to ${MAX_LIMIT}`);
  }
  const before = cursor('before', q.before);
  const after = cursor('after', q.after);
  if (before !== undefined && after !== undefined) throw new ConsoleError('invalid_input', 'Audit query: give before or after, not both');
  if ((before !== undefined || after !== undefined) && offset > 0) throw new ConsoleError('invalid_input', 'Audit query: a cursor (before/after) pages without an offset');
  const filter = {
    action: filterText('action', q.action),
    actor: filterText('actor', q.actor),
    targetId: filterText('targetId', q.targetId),
    from: isoBound('from', q.from),
    to: isoBound('to', q.to),
    actionPrefix: filterText('actionPrefix', q.actionPrefix),
    text: filterText('text', q.text),
    robotId: filterText('robotId', q.robotId),
    keyId: filterText('keyId', q.keyId),
  };
  // A reversed range is refused, never read as "nothing matches" (the officer would think the log is empty there).
  if (filter.from !== null && filter.to !== null && filter.to < filter.from) {
    throw new ConsoleError('invalid_input', REVERSED_RANGE, { field: 'to' });
  }
  const { rows, more } = repo.page(filter, { limit: q.limit, ...(before === undefined ? {} : { before }), ...(after === undefined ? {} : { after }), offset });
  let total: number | null = null;
  let totalExact = true;
  if (before === undefined && after === undefined) {
    const filtered = Object.values(filter).some((v) => v !== null);
    if (!filtered) total = repo.headSeq();
    else {
      const counted = repo.countUpTo(filter, cap);
      totalExact = counted <= cap;
      total = Math.min(counted, cap);
    }
  }
  return {
    total,
    totalExact,
    more,
    records: rows.map((r) => ({
      seq: r[0], ts: r[1], actor: r[2], action: r[3], targetType: r[4], targetId: r[5], outcome: r[6] as AuditRecord['outcome'], details: parseDetails(r[7]),
    })),
  };
}

function parseDetails(text: string): AuditRecord['details'] {
  try {
    const v: unknown = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as AuditRecord['details'];
  } catch {
    // fall through: a damaged row is still listed; verify() names it
  }
  return { unreadable: 'details damaged; run audit verification' };
}
