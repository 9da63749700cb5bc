// Repository for batch rotation jobs (issue 13, migration 12): one row per job (what it selected, its concurrency and
// retry budget, its state) and one row per key in it. An item records the version it rotates away from when the job
// is made; before its rotation is asked of the key service the item is marked `rotating` (the intent, committed first),
// so a restarted console can tell from the key's current version whether that rotation committed (done) or not
// (tried again, adopting a provider version made before the crash). Times are epoch milliseconds (BIGINT).
// Portable SQL only (PostgreSQL runs it): no SQLite-only types or functions.
import type { Db } from './database.ts';

/** DDL of migration 12. */
export const ROTATION_BATCH_SCHEMA_SQL = `
CREATE TABLE rotation_batches (
  id VARCHAR(36) PRIMARY KEY,
  selection_kind VARCHAR(8) NOT NULL CHECK (selection_kind IN ('keys', 'type', 'site')),
  selection_value VARCHAR(64),
  concurrency INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  state VARCHAR(12) NOT NULL CHECK (state IN ('running', 'done', 'cancelled')),
  total INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  created_by VARCHAR(128) NOT NULL,
  finished_at BIGINT,
  cancelled_by VARCHAR(128)
);
CREATE INDEX rotation_batches_created ON rotation_batches (created_at);
CREATE TABLE rotation_batch_items (
  batch_id VARCHAR(36) NOT NULL REFERENCES rotation_batches (id),
  seq INTEGER NOT NULL,
  key_id VARCHAR(36) NOT NULL REFERENCES keys (id),
  from_version INTEGER NOT NULL,
  state VARCHAR(12) NOT NULL CHECK (state IN ('pending', 'rotating', 'done', 'failed', 'superseded', 'cancelled')),
  attempts INTEGER NOT NULL,
  next_attempt_at BIGINT,
  to_version INTEGER,
  error_code VARCHAR(64),
  error_message VARCHAR(1000),
  recovered INTEGER NOT NULL,
  started_at BIGINT,
  finished_at BIGINT,
  PRIMARY KEY (batch_id, seq),
  UNIQUE (batch_id, key_id)
);
CREATE INDEX rotation_batch_items_state ON rotation_batch_items (batch_id, state, seq);
`;

export type BatchSelectionKind = 'keys' | 'type' | 'site';
export type BatchState = 'running' | 'done' | 'cancelled';
export type BatchItemState = 'pending' | 'rotating' | 'done' | 'failed' | 'superseded' | 'cancelled';

export interface BatchRow {
  id: string;
  selectionKind: BatchSelectionKind;
  /** The key type or the site (null for a list of keys). */
  selectionValue: string | null;
  concurrency: number;
  maxAttempts: number;
  state: BatchState;
  total: number;
  createdAt: number;
  createdBy: string;
  finishedAt: number | null;
  cancelledBy: string | null;
}

export interface BatchItemRow {
  batchId: string;
  seq: number;
  keyId: string;
  /** The key's current version when the job was made: the item makes at most fromVersion + 1. */
  fromVersion: number;
  state: BatchItemState;
  attempts: number;
  nextAttemptAt: number | null;
  toVersion: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  /** Finished by the reconciliation after a restart (the rotation had committed before the crash). */
  recovered: boolean;
  startedAt: number | null;
  finishedAt: number | null;
}

export interface BatchCounts {
  total: number;
  pending: number;
  rotating: number;
  done: number;
  failed: number;
  superseded: number;
  cancelled: number;
}

export interface RotationBatchRepo {
  insertBatch(row: BatchRow, items: Array<{ keyId: string; fromVersion: number }>): void;
  getBatch(id: string): BatchRow | null;
  /** Most recent first. */
  listBatches(limit: number): BatchRow[];
  listRunning(): BatchRow[];
  items(batchId: string): BatchItemRow[];
  /**
   * One page of a job's items in order (keyset: the items after `afterSeq`, 0 for the first page), at most `limit`,
   * only those in `state` when given. Served by the primary key (batch_id, seq) or rotation_batch_items_state.
   */
  itemsPage(batchId: string, afterSeq: number, limit: number, state: BatchItemState | null): BatchItemRow[];
  /** How many of a job's items are in `state` (every item when null). */
  countItems(batchId: string, state: BatchItemState | null): number;
  item(batchId: string, seq: number): BatchItemRow | null;
  counts(batchId: string): BatchCounts;
  /** Items not finished (pending or rotating), in order. */
  openItems(batchId: string): BatchItemRow[];
  /** The intent, committed before the rotation is asked for: attempts + 1. */
  markRotating(batchId: string, seq: number, at: number): void;
  markDone(batchId: string, seq: number, at: number, toVersion: number, recovered: boolean): void;
  /** Back to pending (a retryable failure: next attempt at `nextAttemptAt`; the console locked: null). */
  markRetry(batchId: string, seq: number, code: string, message: string, nextAttemptAt: number | null): void;
  markFailed(batchId: string, seq: number, at: number, code: string, message: string): void;
  markSuperseded(batchId: string, seq: number, at: number, toVersion: number): void;
  /** Every pending item of the job becomes cancelled (rotating ones finish). */
  cancelPending(batchId: string, at: number): number;
  finishBatch(id: string, state: BatchState, at: number, cancelledBy: string | null): void;
  /** An officer asked to cancel (the job finishes as cancelled once its rotations in flight end). */
  setCancelledBy(id: string, by: string): void;
  markCancelled(batchId: string, seq: number, at: number): void;
  /** Active keys of a type, or keys assigned to a site (at the site or to one of its robots), ordered by id. */
  keysOfType(type: string): Array<{ id: string; currentVersion: number; state: string }>;
  keysOfSite(site: string): Array<{ id: string; currentVersion: number; state: string }>;
  siteExists(site: string): boolean;
}

interface RawBatch {
  id: string;
  selection_kind: BatchSelectionKind;
  selection_value: string | null;
  concurrency: number;
  max_attempts: number;
  state: BatchState;
  total: number;
  created_at: number | bigint;
  created_by: string;
  finished_at: number | bigint | null;
  cancelled_by: string | null;
}

interface RawItem {
  batch_id: string;
  seq: number;
  key_id: string;
  from_version: number;
  state: BatchItemState;
  attempts: number;
  next_attempt_at: number | bigint | null;
  to_version: number | null;
  error_code: string | null;
  error_message: string | null;
  recovered: number;
  started_at: number | bigint | null;
  finished_at: number | bigint | null;
}

const num = (v: number | bigint | null): number | null => (v === null ? null : Number(v));

const toBatch = (r: RawBatch): BatchRow => ({
  id: r.id,
  selectionKind: r.selection_kind,
  selectionValue: r.selection_value,
  concurrency: r.concurrency,
  maxAttempts: r.max_attempts,
  state: r.state,
  total: r.total,
  createdAt: Number(r.created_at),
  createdBy: r.created_by,
  finishedAt: num(r.finished_at),
  cancelledBy: r.cancelled_by,
});

const toItem = (r: RawItem): BatchItemRow => ({
  batchId: r.batch_id,
  seq: r.seq,
  keyId: r.key_id,
  fromVersion: r.from_version,
  state: r.state,
  attempts: r.attempts,
  nextAttemptAt: num(r.next_attempt_at),
  toVersion: r.to_version,
  errorCode: r.error_code,
  errorMessage: r.error_message,
  recovered: r.recovered === 1,
  startedAt: num(r.started_at),
  finishedAt: num(r.finished_at),
});

export function createRotationBatchRepo(db: Db): RotationBatchRepo {
  const insertBatch = db.prepare(
    `INSERT INTO rotation_batches (id, selection_kind, selection_value, concurrency, max_attempts, state, total, created_at, created_by, finished_at, cancelled_by)
     VALUES (@id, @selectionKind, @selectionValue, @concurrency, @maxAttempts, @state, @total, @createdAt, @createdBy, @finishedAt, @cancelledBy)`,
  );
  const insertItem = db.prepare(
    `INSERT INTO rotation_batch_items (batch_id, seq, key_id, from_version, state, attempts, next_attempt_at, to_version, error_code, error_message, recovered, started_at, finished_at)
     VALUES (?, ?, ?, ?, 'pending', 0, NULL, NULL, NULL, NULL, 0, NULL, NULL)`,
  );
  const getBatch = db.prepare('SELECT * FROM rotation_batches WHERE id = ?');
  const listBatches = db.prepare('SELECT * FROM rotation_batches ORDER BY created_at DESC, id LIMIT ?');
  const listRunning = db.prepare("SELECT * FROM rotation_batches WHERE state = 'running' ORDER BY created_at, id");
  const items = db.prepare('SELECT * FROM rotation_batch_items WHERE batch_id = ? ORDER BY seq');
  const item = db.prepare('SELECT * FROM rotation_batch_items WHERE batch_id = ? AND seq = ?');
  const pageAll = db.prepare('SELECT * FROM rotation_batch_items WHERE batch_id = ? AND seq > ? ORDER BY seq LIMIT ?');
  const pageOf = db.prepare('SELECT * FROM rotation_batch_items WHERE batch_id = ? AND state = ? AND seq > ? ORDER BY seq LIMIT ?');
  const countAll = db.prepare('SELECT COUNT(*) AS n FROM rotation_batch_items WHERE batch_id = ?');
  const countOf = db.prepare('SELECT COUNT(*) AS n FROM rotation_batch_items WHERE batch_id = ? AND state = ?');
  const openItems = db.prepare("SELECT * FROM rotation_batch_items WHERE batch_id = ? AND state IN ('pending', 'rotating') ORDER BY seq");
  const counts = db.prepare('SELECT state, COUNT(*) AS n FROM rotation_batch_items WHERE batch_id = ? GROUP BY state');
  const rotating = db.prepare(
    "UPDATE rotation_batch_items SET state = 'rotating', attempts = attempts + 1, started_at = ?, next_attempt_at = NULL WHERE batch_id = ? AND seq = ?",
  );
  const done = db.prepare(
    "UPDATE rotation_batch_items SET state = 'done', finished_at = ?, to_version = ?, recovered = ?, error_code = NULL, error_message = NULL, next_attempt_at = NULL WHERE batch_id = ? AND seq = ?",
  );
  const retry = db.prepare("UPDATE rotation_batch_items SET state = 'pending', error_code = ?, error_message = ?, next_attempt_at = ? WHERE batch_id = ? AND seq = ?");
  const failed = db.prepare(
    "UPDATE rotation_batch_items SET state = 'failed', finished_at = ?, error_code = ?, error_message = ?, next_attempt_at = NULL WHERE batch_id = ? AND seq = ?",
  );
  const superseded = db.prepare(
    "UPDATE rotation_batch_items SET state = 'superseded', finished_at = ?, to_version = ?, next_attempt_at = NULL WHERE batch_id = ? AND seq = ?",
  );
  const cancelPending = db.prepare("UPDATE rotation_batch_items SET state = 'cancelled', finished_at = ?, next_attempt_at = NULL WHERE batch_id = ? AND state = 'pending'");
  const finish = db.prepare('UPDATE rotation_batches SET state = ?, finished_at = ?, cancelled_by = ? WHERE id = ?');
  const cancelledBy = db.prepare('UPDATE rotation_batches SET cancelled_by = ? WHERE id = ?');
  const cancelItem = db.prepare("UPDATE rotation_batch_items SET state = 'cancelled', finished_at = ?, next_attempt_at = NULL WHERE batch_id = ? AND seq = ?");
  const ofType = db.prepare("SELECT id, current_version, state FROM keys WHERE key_type = ? AND state = 'active' ORDER BY id");
  const ofSite = db.prepare(
    `SELECT id, current_version, state FROM keys WHERE id IN (
       SELECT key_id FROM key_assignments WHERE scope = 'site' AND scope_id = ?
       UNION SELECT key_id FROM key_assignments WHERE scope = 'robot' AND scope_id IN (SELECT device_id FROM robots WHERE site = ?)
     ) ORDER BY id`,
  );
  const site = db.prepare('SELECT 1 AS one FROM fleet_sites WHERE name = ?');

  type RawKey = { id: string; current_version: number; state: string };
  const keyOf = (r: RawKey) => ({ id: r.id, currentVersion: r.current_version, state: r.state });

  return {
    insertBatch(row, list) {
      insertBatch.run(row);
      list.forEach((it, i) => insertItem.run(row.id, i + 1, it.keyId, it.fromVersion));
    },
    getBatch(id) {
      const r = getBatch.get(id) as RawBatch | undefined;
      return r ? toBatch(r) : null;
    },
    listBatches: (limit) => (listBatches.all(limit) as RawBatch[]).map(toBatch),
    listRunning: () => (listRunning.all() as RawBatch[]).map(toBatch),
    items: (batchId) => (items.all(batchId) as RawItem[]).map(toItem),
    itemsPage: (batchId, afterSeq, limit, state) =>
      ((state === null ? pageAll.all(batchId, afterSeq, limit) : pageOf.all(batchId, state, afterSeq, limit)) as RawItem[]).map(toItem),
    countItems(batchId, state) {
      const r = (state === null ? countAll.get(batchId) : countOf.get(batchId, state)) as { n: number | bigint };
      return Number(r.n);
    },
    item(batchId, seq) {
      const r = item.get(batchId, seq) as RawItem | undefined;
      return r ? toItem(r) : null;
    },
    counts(batchId) {
      const c: BatchCounts = { total: 0, pending: 0, rotating: 0, done: 0, failed: 0, superseded: 0, cancelled: 0 };
      for (const r of counts.all(batchId) as Array<{ state: BatchItemState; n: number | bigint }>) {
        c[r.state] = Number(r.n);
        c.total += Number(r.n);
      }
      return c;
    },
    openItems: (batchId) => (openItems.all(batchId) as RawItem[]).map(toItem),
    markRotating(batchId, seq, at) {
      rotating.run(at, batchId, seq);
    },
    markDone(batchId, seq, at, toVersion, recovered) {
      done.run(at, toVersion, recovered ? 1 : 0, batchId, seq);
    },
    markRetry(batchId, seq, code, message, nextAttemptAt) {
      retry.run(code, message.slice(0, 1000), nextAttemptAt, batchId, seq);
    },
    markFailed(batchId, seq, at, code, message) {
      failed.run(at, code, message.slice(0, 1000), batchId, seq);
    },
    markSuperseded(batchId, seq, at, toVersion) {
      superseded.run(at, toVersion, batchId, seq);
    },
    cancelPending: (batchId, at) => cancelPending.run(at, batchId).changes,
    finishBatch(id, state, at, cancelledBy) {
      finish.run(state, at, cancelledBy, id);
    },
    setCancelledBy(id, by) {
      cancelledBy.run(by, id);
    },
    markCancelled(batchId, seq, at) {
      cancelItem.run(at, batchId, seq);
    },
    keysOfType: (type) => (ofType.all(type) as RawKey[]).map(keyOf),
    keysOfSite: (s) => (ofSite.all(s, s) as RawKey[]).map(keyOf),
    siteExists: (s) => site.get(s) !== undefined,
  };
}
