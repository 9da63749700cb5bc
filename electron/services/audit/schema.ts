// DDL for the audit tables; CORE's store migration 1 runs it with db.exec(). Portable SQL (SQLite and PostgreSQL):
// no AUTOINCREMENT, no WITHOUT ROWID, hashes and signatures as text so any database and any tool can read them.
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
