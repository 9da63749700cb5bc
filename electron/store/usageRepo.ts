// Repository for the usage counters of key versions (issue 13): how many encryptions the console may have made with
// each version. `reserved` only ever grows: the console writes a block ahead of what it hands out (services/rotation/
// usageMeter.ts), so after a crash the stored value can only be above the true count, never below it.
import type { Db } from './database.ts';

/** DDL of migration 11 (with the rotation tables of rotationRepo.ts). */
export const KEY_VERSION_USAGE_SQL = `
CREATE TABLE key_version_usage (
  key_id VARCHAR(36) NOT NULL REFERENCES keys (id),
  version INTEGER NOT NULL,
  reserved BIGINT NOT NULL,
  warned_at VARCHAR(40),
  limit_reached_at VARCHAR(40),
  PRIMARY KEY (key_id, version)
);
`;

export interface VersionUsageRow {
  keyId: string;
  version: number;
  /** Uses reserved durably: at least the number of encryptions the console made with the version. */
  reserved: number;
  /** When the 80 % warning was recorded (null: not yet). */
  warnedAt: string | null;
  /** When the limit was reached and automatic rotation requested (null: not yet). */
  limitReachedAt: string | null;
}

export interface UsageRepo {
  get(keyId: string, version: number): VersionUsageRow | null;
  listForKey(keyId: string): VersionUsageRow[];
  /** Raises `reserved` to at least `reserved` (never lowers it). */
  reserveAtLeast(keyId: string, version: number, reserved: number): void;
  markWarned(keyId: string, version: number, at: string): void;
  markLimitReached(keyId: string, version: number, at: string): void;
}

interface RawUsage {
  keyId: string;
  version: number;
  reserved: number | bigint;
  warnedAt: string | null;
  limitReachedAt: string | null;
}

const toRow = (r: RawUsage): VersionUsageRow => ({ ...r, reserved: Number(r.reserved) });

const COLUMNS = 'key_id AS keyId, version, reserved, warned_at AS warnedAt, limit_reached_at AS limitReachedAt';

export function createUsageRepo(db: Db): UsageRepo {
  const get = db.prepare(`SELECT ${COLUMNS} FROM key_version_usage WHERE key_id = ? AND version = ?`);
  const list = db.prepare(`SELECT ${COLUMNS} FROM key_version_usage WHERE key_id = ? ORDER BY version`);
  const reserve = db.prepare(
    `INSERT INTO key_version_usage (key_id, version, reserved, warned_at, limit_reached_at) VALUES (?, ?, ?, NULL, NULL)
     ON CONFLICT (key_id, version) DO UPDATE SET reserved = excluded.reserved WHERE key_version_usage.reserved < excluded.reserved`,
  );
  const warned = db.prepare('UPDATE key_version_usage SET warned_at = ? WHERE key_id = ? AND version = ? AND warned_at IS NULL');
  const reached = db.prepare('UPDATE key_version_usage SET limit_reached_at = ? WHERE key_id = ? AND version = ? AND limit_reached_at IS NULL');
  return {
    get(keyId, version) {
      const r = get.get(keyId, version) as RawUsage | undefined;
      return r ? toRow(r) : null;
    },
    listForKey(keyId) {
      return (list.all(keyId) as RawUsage[]).map(toRow);
    },
    reserveAtLeast(keyId, version, reserved) {
      reserve.run(keyId, version, reserved);
    },
    markWarned(keyId, version, at) {
      warned.run(at, keyId, version);
    },
    markLimitReached(keyId, version, at) {
      reached.run(at, keyId, version);
    },
  };
}
