// Prepared statements over the audit tables, prepared once per AuditLog.
import type Database from 'better-sqlite3';

export interface CheckpointRow {
  seq: number;
  head: string;
  ts: string;
  public_key: string;
  signature: string;
}

export function prepareStatements(db: Database.Database) {
  return {
    head: db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1'),
    insert: db.prepare(
      'INSERT INTO audit_records (seq, ts, actor, action, target_type, target_id, outcome, details, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    /** Rows in chain order as arrays (raw mode), read in chunks so memory stays flat on millions of records. */
    chunk: db
      .prepare<[number, number, number]>(
        'SELECT seq, ts, actor, action, target_type, target_id, outcome, details, hash FROM audit_records WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?',
      )
      .raw(true),
    lastCheckpoint: db.prepare<[], CheckpointRow>('SELECT seq, head, ts, public_key, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1'),
    checkpoints: db.prepare<[], CheckpointRow>('SELECT seq, head, ts, public_key, signature FROM audit_checkpoints ORDER BY seq'),
    insertCheckpoint: db.prepare('INSERT INTO audit_checkpoints (seq, head, ts, public_key, signature) VALUES (?, ?, ?, ?, ?)'),
  };
}

export type AuditStatements = ReturnType<typeof prepareStatements>;
