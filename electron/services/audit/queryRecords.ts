// Paged, filtered reads for the Audit screen: newest first, with the total count. Each filter has an index
// (action, actor, target_id, ts) that also orders by seq, so pages stay fast on millions of records.
import type Database from 'better-sqlite3';
import type { AuditRecord } from '../../../shared/contract.ts';
import { ConsoleError } from '../../../shared/errors.ts';
import type { AuditQuery } from './auditLog.ts';

type Row = [number, string, string, string, string | null, string | null, 'success' | 'failure', string];

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

export function queryRecords(db: Database.Database, q: AuditQuery): { total: number; records: AuditRecord[] } {
  if (!Number.isInteger(q.offset) || q.offset < 0) throw new ConsoleError('invalid_input', 'Audit query: offset must be a non-negative integer');
  if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > MAX_LIMIT) {
    throw new ConsoleError('invalid_input', `Audit query: limit must be an integer from 1 to ${MAX_LIMIT}`);
  }
  const where: string[] = [];
  const params: Array<string | number> = [];
  const add = (sql: string, v: string | null) => {
    if (v !== null) {
      where.push(sql);
      params.push(v);
    }
  };
  add('action = ?', filterText('action', q.action));
  add('actor = ?', filterText('actor', q.actor));
  add('target_id = ?', filterText('targetId', q.targetId));
  add('ts >= ?', isoBound('from', q.from));
  add('ts <= ?', isoBound('to', q.to));
  const clause = where.length ? ` WHERE ${where.join(' AND ')}` : '';
  // With only a time filter, walk the (ts, seq) index; otherwise the filter's (column, seq) index or the primary key.
  const timeOnly = q.action === undefined && q.actor === undefined && q.targetId === undefined && (q.from !== undefined || q.to !== undefined);
  const order = timeOnly ? 'ts DESC, seq DESC' : 'seq DESC';
  // Prepared per call: there are only a few filter shapes and preparing costs microseconds next to the read.
  const total = (db.prepare(`SELECT count(*) FROM audit_records${clause}`).pluck().get(...params) as number) ?? 0;
  const rows = db
    .prepare(`SELECT seq, ts, actor, action, target_type, target_id, outcome, details FROM audit_records${clause} ORDER BY ${order} LIMIT ? OFFSET ?`)
    .raw(true)
    .all(...params, q.limit, q.offset) as Row[];
  return {
    total,
    records: rows.map((r) => ({
      seq: r[0], ts: r[1], actor: r[2], action: r[3], targetType: r[4], targetId: r[5], outcome: r[6], details: parseDetails(r[7]),
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
