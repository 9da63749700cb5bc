// Paged, filtered reads for the Audit screen: newest first, with the total count. The filters are checked here; the
// repository's indexes (action, actor, target_id, ts, each with seq) keep pages fast on millions of records.
import type { AuditRecord } from '../../../shared/contract.ts';
import { ConsoleError } from '../../../shared/errors.ts';
import type { AuditRepo } from '../../store/auditRepo.ts';
import type { AuditQuery } from './auditLog.ts';

const MAX_LIMIT = 1000;

function isoBound(name: string, v: string | undefined): string | null {
  if (v === undefined) return null;
  const ms = typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) throw new ConsoleError('invalid_input', `Audit query: ${name} must be an ISO date-time`);
  return new Date(ms).toISOString();
}

function filterText(name: string, v: string | undefined): string | null {
  if (v === undefined || v === '') return null;
  if (typeof v !== 'string' || v.length > 256) throw new ConsoleError('invalid_input', `Audit query: ${name} must be a string of at most 256 characters`);
  return v;
}

export function queryRecords(repo: AuditRepo, q: AuditQuery): { total: number; records: AuditRecord[] } {
  if (!Number.isInteger(q.offset) || q.offset < 0) throw new ConsoleError('invalid_input', 'Audit query: offset must be a non-negative integer');
  if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > MAX_LIMIT) {
    throw new ConsoleError('invalid_input', `Audit query: limit must be an integer from 1 to ${MAX_LIMIT}`);
  }
  const filter = {
    action: filterText('action', q.action),
    actor: filterText('actor', q.actor),
    targetId: filterText('targetId', q.targetId),
    from: isoBound('from', q.from),
    to: isoBound('to', q.to),
  };
  const { total, rows } = repo.page(filter, q.limit, q.offset);
  return {
    total,
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
