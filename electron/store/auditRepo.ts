// Repository of the audit tables: the DDL (migration 1, indexes of migration 10), the statements of the hash chain
// (head, insert, records in chain order, checkpoints) and the paged reads of the Audit screen. The chain rules
// (hashing, signing, verification) live in services/audit/; this file only moves rows. Portable SQL (SQLite and
// PostgreSQL): no AUTOINCREMENT, no WITHOUT ROWID, hashes and signatures as text so any database and any tool can
// read them; keyset paging with plain comparisons (no row values, no OFFSET on the viewer's path).
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

/**
 * The indexes behind the Audit screen's pages (migration 10): one per filter it offers, each ending in (ts, seq) so a
 * filtered page is a range of one index in the order the screen shows, plus actor + action together. The unfiltered
 * list pages by seq (the primary key).
 */
export const AUDIT_QUERY_INDEXES_SQL = `
DROP INDEX IF EXISTS audit_records_by_action;
DROP INDEX IF EXISTS audit_records_by_actor;
DROP INDEX IF EXISTS audit_records_by_target;
CREATE INDEX audit_records_by_action_ts ON audit_records (action, ts, seq);
CREATE INDEX audit_records_by_actor_ts ON audit_records (actor, ts, seq);
CREATE INDEX audit_records_by_actor_action_ts ON audit_records (actor, action, ts, seq);
CREATE INDEX audit_records_by_target_ts ON audit_records (target_id, ts, seq);
`;

/** Filters of the Audit screen, already validated by the service (null = no filter). */
export interface AuditPageFilter {
  action: string | null;
  actor: string | null;
  targetId: string | null;
  from: string | null;
  to: string | null;
  /** The action starts with this text (LIKE, %, _ and \\ matched literally; ASCII letters in any case). */
  actionPrefix?: string | null;
  /** This text appears in the actor, action, target id or details (LIKE, literal, ASCII letters in any case). */
  text?: string | null;
  /** Records about this robot (target type robot) or this key (target type key). */
  robotId?: string | null;
  keyId?: string | null;
}

export interface AuditPageRequest {
  limit: number;
  before?: number;
  after?: number;
  offset?: number;
}

const COLUMNS = 'seq, ts, actor, action, target_type, target_id, outcome, details, hash';

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
  /** Up to `limit` checkpoints with afterSeq < seq <= endSeq, ascending (chunked reads for the walk and the export). */
  checkpointsAfter(afterSeq: number, endSeq: number, limit: number): CheckpointRow[];
  /** How many checkpoints sign records up to endSeq. */
  checkpointCount(endSeq: number): number;
  insertCheckpoint(cp: CheckpointRow): void;
  /**
   * One page of records, newest first, and whether more follow in the paging direction. Unfiltered: by seq. Filtered:
   * by (ts, seq), the order of the filter's index. `before`: the page after that record (older); `after`: the page
   * before it (newer). `offset` (legacy, costs the rows it skips) only without a cursor.
   */
  page(filter: AuditPageFilter, p: AuditPageRequest): { rows: RecordTuple[]; more: boolean };
  /** How many records match, counting at most cap + 1 (so the cost is bounded by the cap). */
  countUpTo(filter: AuditPageFilter, cap: number): number;
  /** The newest seq (0 when empty). */
  headSeq(): number;
  /** Every distinct action in the log, sorted: one index probe per action (a skip scan), not a scan of the log. */
  distinctActions(): string[];
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
  const headSeq = db.prepare<[], number>('SELECT max(seq) FROM audit_records').pluck();
  // A skip scan written out (SQLite and PostgreSQL both run WITH RECURSIVE): the smallest action, then the smallest one
  // above it, ... each a probe of the (action, ts, seq) index, so the cost grows with the actions, not the records.
  const distinctActions = db
    .prepare<[], string>(
      `WITH RECURSIVE acts(action) AS (
         SELECT min(action) FROM audit_records
         UNION ALL
         SELECT (SELECT min(a.action) FROM audit_records a WHERE a.action > acts.action) FROM acts WHERE acts.action IS NOT NULL
       )
       SELECT action FROM acts WHERE action IS NOT NULL`,
    )
    .pluck();
  const tsOf = db.prepare<[number], string>('SELECT ts FROM audit_records WHERE seq = ?').pluck();
  const lastCheckpoint = db.prepare<[], CheckpointRow>('SELECT seq, head, ts, public_key, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1');
  const checkpoints = db.prepare<[], CheckpointRow>('SELECT seq, head, ts, public_key, signature FROM audit_checkpoints ORDER BY seq');
  const checkpointsAfter = db.prepare<[number, number, number], CheckpointRow>(
    'SELECT seq, head, ts, public_key, signature FROM audit_checkpoints WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?',
  );
  const checkpointCount = db.prepare<[number], number>('SELECT count(*) FROM audit_checkpoints WHERE seq <= ?').pluck();
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
    checkpointsAfter: (afterSeq, endSeq, limit) => checkpointsAfter.all(afterSeq, endSeq, limit),
    checkpointCount: (endSeq) => checkpointCount.get(endSeq) ?? 0,
    insertCheckpoint(cp) {
      insertCheckpoint.run(cp.seq, cp.head, cp.ts, cp.public_key, cp.signature);
    },
    page(filter, p) {
      const byTime = isFiltered(filter);
      const newer = p.after !== undefined;
      const cursor = p.after ?? p.before;
      let bounded = filter;
      const after: string[] = [];
      const afterArgs: Array<string | number> = [];
      if (cursor !== undefined) {
        if (!byTime) {
          after.push(newer ? 'seq > ?' : 'seq < ?');
          afterArgs.push(cursor);
        } else {
          const ts = tsOf.get(cursor);
          if (ts === undefined) return { rows: [], more: false };
          // The cursor's time replaces the filter's bound on that side when it is tighter: with two bounds on one side
          // SQLite ranges over one of them only, and a page deep in a range then scanned everything above it.
          bounded = newer
            ? { ...filter, from: filter.from === null || filter.from < ts ? ts : filter.from }
            : { ...filter, to: filter.to === null || filter.to > ts ? ts : filter.to };
          // (ts, seq) strictly after the cursor in the list's order (ISO times compare as text).
          after.push(newer ? '(ts > ? OR seq > ?)' : '(ts < ? OR seq < ?)');
          afterArgs.push(ts, cursor);
        }
      } else if (!byTime) {
        // The first unfiltered page: a range of the primary key from the head down.
        after.push('seq <= ?');
        afterArgs.push(headSeq.get() ?? 0);
      }
      const { clause, params } = whereOf(bounded);
      const where = [...clause, ...after];
      const args: Array<string | number> = [...params, ...afterArgs];
      const dir = newer ? 'ASC' : 'DESC';
      const whereSql = where.length ? ` WHERE ${where.join(' AND ')}` : '';
      const limits = `LIMIT ?${p.offset ? ' OFFSET ?' : ''}`;
      args.push(p.limit + 1);
      if (p.offset) args.push(p.offset);
      // Prepared per call: there are only a few filter shapes and preparing costs microseconds next to the read.
      let rows: RecordTuple[];
      if (!byTime) {
        rows = db.prepare(`SELECT ${COLUMNS} FROM audit_records${whereSql} ORDER BY seq ${dir} ${limits}`).raw(true).all(...args) as RecordTuple[];
      } else {
        // Two steps: the page's seqs from the filter's index alone (a query the index covers, which is what makes the
        // planner pick the index with every filter column, e.g. actor + action + time), then those rows by seq.
        const seqs = db.prepare(`SELECT seq FROM audit_records${whereSql} ORDER BY ts ${dir}, seq ${dir} ${limits}`).pluck().all(...args) as number[];
        const bySeq = new Map<number, RecordTuple>();
        if (seqs.length) {
          const found = db.prepare(`SELECT ${COLUMNS} FROM audit_records WHERE seq IN (${seqs.map(() => '?').join(', ')})`).raw(true).all(...seqs) as RecordTuple[];
          for (const r of found) bySeq.set(r[0], r);
        }
        rows = [];
        for (const seq of seqs) {
          const r = bySeq.get(seq);
          if (r) rows.push(r);
        }
      }
      const more = rows.length > p.limit;
      if (more) rows.pop();
      if (newer) rows.reverse();
      return { rows, more };
    },
    countUpTo(filter, cap) {
      const { clause, params } = whereOf(filter);
      const sql = `SELECT count(*) FROM (SELECT 1 FROM audit_records${clause.length ? ` WHERE ${clause.join(' AND ')}` : ''} LIMIT ?) AS capped`;
      return (db.prepare(sql).pluck().get(...params, cap + 1) as number) ?? 0;
    },
    headSeq: () => headSeq.get() ?? 0,
    distinctActions: () => distinctActions.all(),
    writeTransaction: (fn) => {
      const tx = db.transaction(fn);
      return (...args) => tx.immediate(...args);
    },
    readTransaction: (fn) => db.transaction(fn),
    inTransaction: () => db.inTransaction,
    isOpen: () => db.open,
  };
}

const isFiltered = (f: AuditPageFilter) =>
  f.action !== null || f.actor !== null || f.targetId !== null || f.from !== null || f.to !== null ||
  (f.actionPrefix ?? null) !== null || (f.text ?? null) !== null || (f.robotId ?? null) !== null || (f.keyId ?? null) !== null;

/** LIKE's wildcards (% and _) and its escape character (a backslash: every statement says so with ESCAPE) made literal. */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Lower-cases ASCII letters only, as SQLite's lower() does (without ICU): the pattern and the lowered column then agree
 * on ASCII letters on SQLite and PostgreSQL alike, whatever each database's LIKE does with case (SQLite ignores ASCII
 * case, PostgreSQL does not).
 */
const asciiLower = (text: string) => text.replace(/[A-Z]/g, (c) => c.toLowerCase());

function whereOf(f: AuditPageFilter): { clause: string[]; params: string[] } {
  const clause: string[] = [];
  const params: string[] = [];
  const add = (sql: string, v: string | null) => {
    if (v === null) return;
    clause.push(sql);
    params.push(v);
  };
  add('action = ?', f.action);
  add('actor = ?', f.actor);
  add('target_id = ?', f.targetId);
  add('ts >= ?', f.from);
  add('ts <= ?', f.to);
  // Never spliced into the SQL: the typed text is a bound parameter with its wildcards escaped.
  if (f.actionPrefix != null) add("lower(action) LIKE ? ESCAPE '\\'", `${likeLiteral(asciiLower(f.actionPrefix))}%`);
  if (f.robotId != null) {
    clause.push("target_type = 'robot'");
    add('target_id = ?', f.robotId);
  }
  if (f.keyId != null) {
    clause.push("target_type = 'key'");
    add('target_id = ?', f.keyId);
  }
  if (f.text != null) {
    const pattern = `%${likeLiteral(asciiLower(f.text))}%`;
    const columns = ['actor', 'action', 'target_id', 'details'];
    clause.push(`(${columns.map((c) => `lower(${c}) LIKE ? ESCAPE '\\'`).join(' OR ')})`);
    for (let i = 0; i < columns.length; i++) params.push(pattern);
  }
  return { clause, params };
}
