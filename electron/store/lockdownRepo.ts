// Repository for lockdown orders (issue 15, migration 16): one row per order the console signed (lockdowns and lifts
// share one sequence, so robots can refuse a replayed or older order). The row is written in the same transaction
// that reserves the sequence, before the signature: a failed signature leaves the row `failed` and the number burnt.
import type { Db } from './database.ts';

/** DDL of migration 16. */
export const LOCKDOWN_SCHEMA_SQL = `
CREATE TABLE lockdown_orders (
  sequence INTEGER PRIMARY KEY,
  order_id VARCHAR(32) NOT NULL UNIQUE,
  kind VARCHAR(8) NOT NULL CHECK (kind IN ('lockdown', 'lift')),
  scope VARCHAR(4000) NOT NULL,
  actions VARCHAR(200) NOT NULL,
  issued_at VARCHAR(40) NOT NULL,
  expires_at VARCHAR(40) NOT NULL,
  key_id VARCHAR(36) NOT NULL,
  key_version INTEGER,
  reason VARCHAR(500) NOT NULL,
  issued_by VARCHAR(128) NOT NULL,
  state VARCHAR(8) NOT NULL CHECK (state IN ('signing', 'issued', 'failed'))
);
CREATE INDEX lockdown_orders_issued ON lockdown_orders (issued_at);
`;

export interface LockdownOrderRow {
  sequence: number;
  orderId: string;
  kind: 'lockdown' | 'lift';
  /** The scope as JSON text (the order's own scope member). */
  scope: string;
  /** Comma-separated actions. */
  actions: string;
  issuedAt: string;
  expiresAt: string;
  keyId: string;
  keyVersion: number | null;
  reason: string;
  issuedBy: string;
  state: 'signing' | 'issued' | 'failed';
}

interface Raw {
  sequence: number;
  order_id: string;
  kind: 'lockdown' | 'lift';
  scope: string;
  actions: string;
  issued_at: string;
  expires_at: string;
  key_id: string;
  key_version: number | null;
  reason: string;
  issued_by: string;
  state: 'signing' | 'issued' | 'failed';
}

const fromRaw = (r: Raw): LockdownOrderRow => ({
  sequence: r.sequence, orderId: r.order_id, kind: r.kind, scope: r.scope, actions: r.actions, issuedAt: r.issued_at, expiresAt: r.expires_at,
  keyId: r.key_id, keyVersion: r.key_version, reason: r.reason, issuedBy: r.issued_by, state: r.state,
});

export interface LockdownRepo {
  /** Reserves the next sequence (MAX + 1) and writes the row in state `signing`, in one transaction. */
  reserve(row: Omit<LockdownOrderRow, 'sequence' | 'state' | 'keyVersion'>): number;
  markIssued(sequence: number, keyVersion: number): void;
  markFailed(sequence: number): void;
  get(sequence: number): LockdownOrderRow | null;
  list(limit: number): LockdownOrderRow[];
}

export function createLockdownRepo(db: Db): LockdownRepo {
  const next = db.prepare('SELECT COALESCE(MAX(sequence), 0) + 1 AS n FROM lockdown_orders');
  const insert = db.prepare(
    `INSERT INTO lockdown_orders (sequence, order_id, kind, scope, actions, issued_at, expires_at, key_id, key_version, reason, issued_by, state)
     VALUES (@sequence, @orderId, @kind, @scope, @actions, @issuedAt, @expiresAt, @keyId, NULL, @reason, @issuedBy, 'signing')`,
  );
  const setIssued = db.prepare("UPDATE lockdown_orders SET state = 'issued', key_version = ? WHERE sequence = ? AND state = 'signing'");
  const setFailed = db.prepare("UPDATE lockdown_orders SET state = 'failed' WHERE sequence = ? AND state = 'signing'");
  const listStmt = db.prepare('SELECT * FROM lockdown_orders ORDER BY sequence DESC LIMIT ?');
  const getStmt = db.prepare('SELECT * FROM lockdown_orders WHERE sequence = ?');
  const reserve = db.transaction((row: Omit<LockdownOrderRow, 'sequence' | 'state' | 'keyVersion'>) => {
    const sequence = (next.get() as { n: number }).n;
    insert.run({ ...row, sequence });
    return sequence;
  });
  return {
    reserve: (row) => reserve(row),
    markIssued: (sequence, keyVersion) => void setIssued.run(keyVersion, sequence),
    markFailed: (sequence) => void setFailed.run(sequence),
    get: (sequence) => {
      const r = getStmt.get(sequence) as Raw | undefined;
      return r ? fromRaw(r) : null;
    },
    list: (limit) => (listStmt.all(limit) as Raw[]).map(fromRaw),
  };
}
