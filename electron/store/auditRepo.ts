// Repository of the audit tables: the DDL (migration 1), the statements of the hash chain (head, insert, records in
// chain order, checkpoints) and the paged reads of the Audit screen. The chain rules (hashing, signing, verification)
// live in services/audit/; this file only moves rows. Portable SQL (SQLite and PostgreSQL): no AUTOINCREMENT, no
// WITHOUT ROWID, hashes and signatures as text so any database and any tool can read them.
import type { Db } from './database.ts';

export const AUDIT_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS audit_records (
  seq INTEGER PRIMARY KEY,
  ts TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target_type TEXT,
  target_id TEXT,
  outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
  details TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_records_by_action ON audit_records (action, seq);
CREATE INDEX IF NOT EXISTS audit_records_by_actor ON audit_records (actor, seq);
CREATE INDEX IF NOT EXISTS audit_records_by_target ON audit_records (target_id, seq);
CREATE INDEX IF NOT EXISTS audit_records_by_ts ON audit_records (ts, seq);
CREATE TABLE IF NOT EXISTS audit_checkpoints (
  seq INTEGER PRIMARY KEY,
  head TEXT NOT NULL,
  ts TEXT NOT NULL,
  public_key TEXT NOT NULL,
  signature TEXT NOT NULL
);
`;

export interface CheckpointRow {
  seq: number;
  head: string;
  ts: string;
  /** Base64 DER SPKI of the key that signed it: informative only, never used to verify (see docs/audit-log.md). */
  public_key: string;
  signature: string;
}

/** A stored record as an array, in chain order: seq, ts, actor, action, target_type, target_id, outcome, details, hash. */
export type RecordTuple = [number, string, string, string, string | null, string | null, string, string, string];

export interface AuditRecordInsert {
  seq: number;
  ts: string;
  actor: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  outcome: string;
  details: string;
  hash: string;
}

/** Filters of the Audit screen, already validated by the service (null = no filter). */
export interface AuditPageFilter {
  action: string | null;
  actor: string | null;
  targetId: string | null;
  from: string | null;
  to: string | null;
}

export interface AuditRepo {
  /** The newest record's seq and hash, or null when the log is empty. */
  head(): { seq: number; hash: string } | null;
  /** The stored hash of record seq, or null when it does not exist. */
  hashAt(seq: number): string | null;
  insert(r: AuditRecordInsert): void;
  /** Up to `limit` records with afterSeq < seq <= endSeq in chain order, as arrays (flat memory on millions of rows). */
  recordsAfter(afterSeq: number, endSeq: number, limit: number): RecordTuple[];
  lastCheckpoint(): CheckpointRow | null;
  checkpoints(): CheckpointRow[];
  insertCheckpoint(cp: CheckpointRow): void;
  /** One page of records (newest first) and the total matching the filter. */
  page(filter: AuditPageFilter, limit: number, offset: number): { total: number; rows: RecordTuple[] };
  /** Wraps fn in an immediate (write) transaction; nested calls become savepoints of the caller's transaction. */
  writeTransaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  /** Wraps fn in a deferred (read) transaction, so a long read sees one snapshot. */
  readTransaction<R>(fn: () => R): () => R;
  /** True inside any transaction on this connection (the caller's or ours). */
  inTransaction(): boolean;
  isOpen(): boolean;
}

export function createAuditRepo(db: Db): AuditRepo {
  const head = db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1');
  const hashAt = db.prepare<[number], string>('SELECT hash FROM audit_records WHERE seq = ?').pluck();
  const insert = db.prepare(
    'INSERT INTO audit_records (seq, ts, actor, action, target_type, target_id, outcome, details, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const chunk = db
    .prepare<[number, number, number]>(
      'SELECT seq, ts, actor, action, target_type, target_id, outcome, details, hash FROM audit_records WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?',
    )
    .raw(true);
  const lastCheckpoint = db.prepare<[], CheckpointRow>('SELECT seq, head, ts, public_key, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1');
  const checkpoints = db.prepare<[], CheckpointRow>('SELECT seq, head, ts, public_key, signature FROM audit_checkpoints ORDER BY seq');
  const insertCheckpoint = db.prepare('INSERT INTO audit_checkpoints (seq, head, ts, public_key, signature) VALUES (?, ?, ?, ?, ?)');

  return {
    head: () => head.get() ?? null,
    hashAt: (seq) => hashAt.get(seq) ?? null,
    insert(r) {
      insert.run(r.seq, r.ts, r.actor, r.action, r.targetType, r.targetId, r.outcome, r.details, r.hash);
    },
    recordsAfter: (afterSeq, endSeq, limit) => chunk.all(afterSeq, endSeq, limit) as RecordTuple[],
    lastCheckpoint: () => lastCheckpoint.get() ?? null,
    checkpoints: () => checkpoints.all(),
    insertCheckpoint(cp) {
      insertCheckpoint.run(cp.seq, cp.head, cp.ts, cp.public_key, cp.signature);
    },
    page(filter, limit, offset) {
      const where: string[] = [];
      const params: string[] = [];
      const add = (sql: string, v: string | null) => {
        if (v !== null) {
          where.push(sql);
          params.push(v);
        }
      };
      add('action = ?', filter.action);
      add('actor = ?', filter.actor);
      add('target_id = ?', filter.targetId);
      add('ts >= ?', filter.from);
      add('ts <= ?', filter.to);
      const clause = where.length ? ` WHERE ${where.join(' AND ')}` : '';
      // With only a time filter, walk the (ts, seq) index; otherwise the filter's (column, seq) index or the primary key.
      const timeOnly = filter.action === null && filter.actor === null && filter.targetId === null && (filter.from !== null || filter.to !== null);
      const order = timeOnly ? 'ts DESC, seq DESC' : 'seq DESC';
      // Prepared per call: there are only a few filter shapes and preparing costs microseconds next to the read.
      const total = (db.prepare(`SELECT count(*) FROM audit_records${clause}`).pluck().get(...params) as number) ?? 0;
      const rows = db
        .prepare(`SELECT seq, ts, actor, action, target_type, target_id, outcome, details, hash FROM audit_records${clause} ORDER BY ${order} LIMIT ? OFFSET ?`)
        .raw(true)
        .all(...params, limit, offset) as RecordTuple[];
      return { total, rows };
    },
    writeTransaction: (fn) => {
      const tx = db.transaction(fn);
      return (...args) => tx.immediate(...args);
    },
    readTransaction: (fn) => db.transaction(fn),
    inTransaction: () => db.inTransaction,
    isOpen: () => db.open,
  };
}
