// DDL and repository of the field link's per-robot contact record (migration 26; docs/field-link.md): when a robot was
// first and last seen over the network link, from which address, how many polls it made and how the last one ended
// (`up_to_date`, `installed`, a refusal or failure code). Public data only. Never edit this DDL once shipped; add a
// migration instead.
import type { Db } from './database.ts';

export const FIELD_CONTACTS_SCHEMA_SQL = `
CREATE TABLE field_contacts (
  device_id VARCHAR(64) PRIMARY KEY REFERENCES robots (device_id),
  first_seen VARCHAR(40) NOT NULL,
  last_seen VARCHAR(40) NOT NULL,
  last_address VARCHAR(64) NOT NULL,
  last_result VARCHAR(64) NOT NULL,
  polls INTEGER NOT NULL
);
CREATE INDEX field_contacts_last_seen ON field_contacts (last_seen);
`;

export interface FieldContactRow {
  deviceId: string;
  firstSeen: string;
  lastSeen: string;
  lastAddress: string;
  lastResult: string;
  polls: number;
}

export interface FieldContactRepo {
  /** One poll of a known robot: inserts its row or moves its last contact forward (one statement). */
  record(c: { deviceId: string; at: string; address: string; result: string }): void;
  /** The outcome of a poll already counted (the session's end: installed, a failure code). */
  setResult(deviceId: string, result: string): void;
  get(deviceId: string): FieldContactRow | null;
  /** Most recently seen first. */
  list(limit: number): FieldContactRow[];
}

interface Raw { device_id: string; first_seen: string; last_seen: string; last_address: string; last_result: string; polls: number }
const rowOf = (r: Raw): FieldContactRow => ({
  deviceId: r.device_id, firstSeen: r.first_seen, lastSeen: r.last_seen, lastAddress: r.last_address, lastResult: r.last_result, polls: Number(r.polls),
});

export function createFieldContactRepo(db: Db): FieldContactRepo {
  const upsert = db.prepare(
    `INSERT INTO field_contacts (device_id, first_seen, last_seen, last_address, last_result, polls) VALUES (@deviceId, @at, @at, @address, @result, 1)
     ON CONFLICT (device_id) DO UPDATE SET last_seen = excluded.last_seen, last_address = excluded.last_address, last_result = excluded.last_result, polls = field_contacts.polls + 1`,
  );
  const setResult = db.prepare('UPDATE field_contacts SET last_result = ? WHERE device_id = ?');
  const get = db.prepare('SELECT * FROM field_contacts WHERE device_id = ?');
  const list = db.prepare('SELECT * FROM field_contacts ORDER BY last_seen DESC, device_id LIMIT ?');
  return {
    record: (c) => void upsert.run(c),
    setResult: (deviceId, result) => void setResult.run(result.slice(0, 64), deviceId),
    get(deviceId) {
      const r = get.get(deviceId) as Raw | undefined;
      return r ? rowOf(r) : null;
    },
    list: (limit) => (list.all(limit) as Raw[]).map(rowOf),
  };
}
