// Repository for rollouts of new key versions to robots (issue 13, migration 13; docs/rotation.md "Rollout to
// robots"): one row per rollout (a key's new version, its waves, its state), one per robot in it (its wave and whether
// it confirmed the installation), the rollout policies (default and per key), the retired key versions, and the
// robots flagged "needs a visit" by a forced retirement. Also the per-site holdings query (current, previous, older).
// Times are epoch milliseconds (BIGINT). Portable SQL only (PostgreSQL runs it). Ids, versions and states only.
import type { Db } from './database.ts';

/** DDL of migration 29: officers' reinstatements of retired versions (a history; the retirement row is removed). */
export const REINSTATEMENT_SCHEMA_SQL = `
CREATE TABLE key_version_reinstatements (
  key_id VARCHAR(36) NOT NULL REFERENCES keys (id),
  version INTEGER NOT NULL,
  reinstated_at BIGINT NOT NULL,
  reinstated_by VARCHAR(128) NOT NULL,
  reason VARCHAR(500) NOT NULL,
  until_at BIGINT NOT NULL,
  retired_at BIGINT NOT NULL,
  retired_by VARCHAR(128) NOT NULL
);
CREATE INDEX key_version_reinstatements_version ON key_version_reinstatements (key_id, version, reinstated_at);
`;

/** DDL of migration 13. */
export const ROLLOUT_SCHEMA_SQL = `
CREATE TABLE rollout_policies (
  scope VARCHAR(36) PRIMARY KEY,
  policy VARCHAR(8000) NOT NULL,
  updated_at BIGINT NOT NULL,
  updated_by VARCHAR(128) NOT NULL
);
CREATE TABLE rollouts (
  id VARCHAR(36) PRIMARY KEY,
  key_id VARCHAR(36) NOT NULL REFERENCES keys (id),
  from_version INTEGER NOT NULL,
  to_version INTEGER NOT NULL,
  state VARCHAR(12) NOT NULL CHECK (state IN ('running', 'halted', 'done', 'superseded')),
  open_wave INTEGER NOT NULL,
  waves INTEGER NOT NULL,
  policy VARCHAR(8000) NOT NULL,
  created_at BIGINT NOT NULL,
  created_by VARCHAR(128) NOT NULL,
  updated_at BIGINT NOT NULL,
  halt_reason VARCHAR(500),
  halted_by VARCHAR(128),
  finished_at BIGINT,
  UNIQUE (key_id, to_version)
);
CREATE INDEX rollouts_created ON rollouts (created_at);
CREATE TABLE rollout_robots (
  rollout_id VARCHAR(36) NOT NULL REFERENCES rollouts (id),
  device_id VARCHAR(64) NOT NULL REFERENCES robots (device_id),
  site VARCHAR(64) NOT NULL,
  wave INTEGER NOT NULL,
  state VARCHAR(12) NOT NULL CHECK (state IN ('pending', 'installed', 'failed')),
  attempts INTEGER NOT NULL,
  error_code VARCHAR(64),
  updated_at BIGINT,
  PRIMARY KEY (rollout_id, device_id)
);
CREATE INDEX rollout_robots_device ON rollout_robots (device_id, rollout_id);
CREATE TABLE key_version_retirements (
  key_id VARCHAR(36) NOT NULL REFERENCES keys (id),
  version INTEGER NOT NULL,
  retired_at BIGINT NOT NULL,
  retired_by VARCHAR(128) NOT NULL,
  forced INTEGER NOT NULL,
  reason VARCHAR(500),
  holders INTEGER NOT NULL,
  PRIMARY KEY (key_id, version)
);
CREATE TABLE robot_visits (
  device_id VARCHAR(64) NOT NULL REFERENCES robots (device_id),
  key_id VARCHAR(36) NOT NULL REFERENCES keys (id),
  version INTEGER NOT NULL,
  reason VARCHAR(500) NOT NULL,
  flagged_at BIGINT NOT NULL,
  flagged_by VARCHAR(128) NOT NULL,
  PRIMARY KEY (device_id, key_id)
);
`;

export type RolloutState = 'running' | 'halted' | 'done' | 'superseded';
export type RolloutRobotState = 'pending' | 'installed' | 'failed';

export interface RolloutRow {
  id: string;
  keyId: string;
  fromVersion: number;
  toVersion: number;
  state: RolloutState;
  /** The highest wave whose robots may receive the new version (1 = canary). */
  openWave: number;
  waves: number;
  /** The policy the rollout was planned with (JSON). */
  policy: string;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  haltReason: string | null;
  haltedBy: string | null;
  finishedAt: number | null;
}

export interface RolloutRobotRow {
  rolloutId: string;
  deviceId: string;
  site: string;
  wave: number;
  state: RolloutRobotState;
  attempts: number;
  errorCode: string | null;
  updatedAt: number | null;
}

export interface RetirementRow {
  keyId: string;
  version: number;
  retiredAt: number;
  retiredBy: string;
  forced: boolean;
  reason: string | null;
  /** Robots that still held the version when it was retired (flagged "needs a visit"). */
  holders: number;
}

/** An officer's reinstatement of a retired version (migration 29): the retirement it undid, and until when it holds. */
export interface ReinstatementRow {
  keyId: string;
  version: number;
  reinstatedAt: number;
  reinstatedBy: string;
  reason: string;
  /** Until then the version is not retired again by a scheduler pass (an officer may still retire it). */
  until: number;
  retiredAt: number;
  retiredBy: string;
}

export interface VisitRow {
  deviceId: string;
  keyId: string;
  version: number;
  reason: string;
  flaggedAt: number;
  flaggedBy: string;
}

export interface SiteHolding {
  site: string;
  keyId: string;
  currentVersion: number;
  current: number;
  previous: number;
  older: number;
}

export interface RolloutRepo {
  policy(scope: string): string | null;
  setPolicy(scope: string, policy: string | null, at: number, by: string): void;
  insert(row: RolloutRow, robots: ReadonlyArray<Pick<RolloutRobotRow, 'deviceId' | 'site' | 'wave'>>): void;
  get(id: string): RolloutRow | null;
  /** The rollout to the key's highest version rolled out (any state), or null. */
  latestFor(keyId: string): RolloutRow | null;
  /** Most recent first, optionally one key's or one state's. */
  list(o: { keyId?: string; state?: RolloutState; limit: number }): RolloutRow[];
  /** Rollouts of the key still open (running or halted). */
  openFor(keyId: string): RolloutRow[];
  update(id: string, change: Partial<Pick<RolloutRow, 'state' | 'openWave' | 'haltReason' | 'haltedBy' | 'finishedAt'>>, at: number): void;
  robots(rolloutId: string): RolloutRobotRow[];
  robot(rolloutId: string, deviceId: string): RolloutRobotRow | null;
  setRobot(rolloutId: string, deviceId: string, state: RolloutRobotState, errorCode: string | null, at: number, countAttempt: boolean): void;
  /** Failed robots of the opened waves back to pending (an officer resumed the rollout). */
  resetFailed(rolloutId: string, at: number): number;
  /** Robot and site counts per wave and state. */
  counts(rolloutId: string): Array<{ site: string; wave: number; state: RolloutRobotState; robots: number }>;
  /** Keys that robots hold whose current version is newer than every rollout of the key (a rollout to queue). */
  keysToRollOut(): Array<{ keyId: string; currentVersion: number }>;
  /** Keys that had at least one rollout. */
  rolledOutKeys(): string[];
  holdingsBySite(keyId?: string): SiteHolding[];
  retirement(keyId: string, version: number): RetirementRow | null;
  retirements(keyId: string): RetirementRow[];
  insertRetirement(row: RetirementRow): void;
  /** Undoes a retirement and records the reinstatement (in the caller's transaction). */
  reinstate(row: ReinstatementRow): void;
  /** The latest reinstatement of a version, or null. */
  reinstatement(keyId: string, version: number): ReinstatementRow | null;
  flagVisit(row: VisitRow): void;
  /** Clears the robot's visit flag for the key when it now holds a version newer than the flagged one. */
  clearVisit(deviceId: string, keyId: string, installedVersion: number): boolean;
  visits(site?: string): Array<VisitRow & { site: string }>;
  visitsOf(deviceId: string): VisitRow[];
}

interface RawRollout {
  id: string;
  key_id: string;
  from_version: number;
  to_version: number;
  state: RolloutState;
  open_wave: number;
  waves: number;
  policy: string;
  created_at: number | bigint;
  created_by: string;
  updated_at: number | bigint;
  halt_reason: string | null;
  halted_by: string | null;
  finished_at: number | bigint | null;
}

interface RawRobot {
  rollout_id: string;
  device_id: string;
  site: string;
  wave: number;
  state: RolloutRobotState;
  attempts: number;
  error_code: string | null;
  updated_at: number | bigint | null;
}

interface RawVisit {
  device_id: string;
  key_id: string;
  version: number;
  reason: string;
  flagged_at: number | bigint;
  flagged_by: string;
}

const toRollout = (r: RawRollout): RolloutRow => ({
  id: r.id,
  keyId: r.key_id,
  fromVersion: r.from_version,
  toVersion: r.to_version,
  state: r.state,
  openWave: r.open_wave,
  waves: r.waves,
  policy: r.policy,
  createdAt: Number(r.created_at),
  createdBy: r.created_by,
  updatedAt: Number(r.updated_at),
  haltReason: r.halt_reason,
  haltedBy: r.halted_by,
  finishedAt: r.finished_at === null ? null : Number(r.finished_at),
});

const toRobot = (r: RawRobot): RolloutRobotRow => ({
  rolloutId: r.rollout_id,
  deviceId: r.device_id,
  site: r.site,
  wave: r.wave,
  state: r.state,
  attempts: r.attempts,
  errorCode: r.error_code,
  updatedAt: r.updated_at === null ? null : Number(r.updated_at),
});

const toVisit = (r: RawVisit): VisitRow => ({
  deviceId: r.device_id,
  keyId: r.key_id,
  version: r.version,
  reason: r.reason,
  flaggedAt: Number(r.flagged_at),
  flaggedBy: r.flagged_by,
});

/** Robots counted in holdings and rollouts: those that can still receive keys or come back to (not revoked or decommissioned). */
const HOLDING_STATUSES = "('provisioned', 'deployed', 'quarantined')";

export function createRolloutRepo(db: Db): RolloutRepo {
  const insertRollout = db.prepare(
    `INSERT INTO rollouts (id, key_id, from_version, to_version, state, open_wave, waves, policy, created_at, created_by, updated_at, halt_reason, halted_by, finished_at)
     VALUES (@id, @keyId, @fromVersion, @toVersion, @state, @openWave, @waves, @policy, @createdAt, @createdBy, @updatedAt, @haltReason, @haltedBy, @finishedAt)`,
  );
  const insertRobot = db.prepare(
    "INSERT INTO rollout_robots (rollout_id, device_id, site, wave, state, attempts, error_code, updated_at) VALUES (?, ?, ?, ?, 'pending', 0, NULL, NULL)",
  );
  const holdings = (filter: string) =>
    db.prepare(
      `SELECT r.site AS site, h.key_id AS key_id, k.current_version AS current_version,
         SUM(CASE WHEN h.key_version = k.current_version THEN 1 ELSE 0 END) AS current_count,
         SUM(CASE WHEN h.key_version = k.current_version - 1 THEN 1 ELSE 0 END) AS previous_count,
         SUM(CASE WHEN h.key_version < k.current_version - 1 THEN 1 ELSE 0 END) AS older_count
       FROM robot_keys h JOIN robots r ON r.device_id = h.device_id JOIN keys k ON k.id = h.key_id
       WHERE r.status IN ${HOLDING_STATUSES} ${filter}
       GROUP BY r.site, h.key_id, k.current_version ORDER BY r.site, h.key_id`,
    );
  const holdingsAll = holdings('');
  // Read at every decryption (a retired version no longer decrypts): prepared once.
  const retirementOf = db.prepare('SELECT * FROM key_version_retirements WHERE key_id = ? AND version = ?');
  const holdingsOfKey = holdings('AND h.key_id = ?');

  return {
    policy: (scope) => (db.prepare('SELECT policy FROM rollout_policies WHERE scope = ?').pluck().get(scope) as string | undefined) ?? null,
    setPolicy(scope, policy, at, by) {
      if (policy === null) db.prepare('DELETE FROM rollout_policies WHERE scope = ?').run(scope);
      else
        db.prepare(
          'INSERT INTO rollout_policies (scope, policy, updated_at, updated_by) VALUES (?, ?, ?, ?) ON CONFLICT (scope) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at, updated_by = excluded.updated_by',
        ).run(scope, policy, at, by);
    },
    insert(row, robots) {
      insertRollout.run(row);
      for (const r of robots) insertRobot.run(row.id, r.deviceId, r.site, r.wave);
    },
    get(id) {
      const r = db.prepare('SELECT * FROM rollouts WHERE id = ?').get(id) as RawRollout | undefined;
      return r ? toRollout(r) : null;
    },
    latestFor(keyId) {
      const r = db.prepare('SELECT * FROM rollouts WHERE key_id = ? ORDER BY to_version DESC LIMIT 1').get(keyId) as RawRollout | undefined;
      return r ? toRollout(r) : null;
    },
    list({ keyId, state, limit }) {
      const where: string[] = [];
      const args: Array<string | number> = [];
      if (keyId !== undefined) {
        where.push('key_id = ?');
        args.push(keyId);
      }
      if (state !== undefined) {
        where.push('state = ?');
        args.push(state);
      }
      const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
      return (db.prepare(`SELECT * FROM rollouts ${clause} ORDER BY created_at DESC, id LIMIT ?`).all(...args, limit) as RawRollout[]).map(toRollout);
    },
    openFor: (keyId) =>
      (db.prepare("SELECT * FROM rollouts WHERE key_id = ? AND state IN ('running', 'halted') ORDER BY to_version").all(keyId) as RawRollout[]).map(toRollout),
    update(id, change, at) {
      const cols: Record<string, string> = { state: 'state', openWave: 'open_wave', haltReason: 'halt_reason', haltedBy: 'halted_by', finishedAt: 'finished_at' };
      const sets: string[] = ['updated_at = ?'];
      const args: Array<string | number | null> = [at];
      for (const [field, column] of Object.entries(cols)) {
        const value = (change as Record<string, string | number | null | undefined>)[field];
        if (value === undefined) continue;
        sets.push(`${column} = ?`);
        args.push(value);
      }
      db.prepare(`UPDATE rollouts SET ${sets.join(', ')} WHERE id = ?`).run(...args, id);
    },
    robots: (rolloutId) => (db.prepare('SELECT * FROM rollout_robots WHERE rollout_id = ? ORDER BY wave, site, device_id').all(rolloutId) as RawRobot[]).map(toRobot),
    robot(rolloutId, deviceId) {
      const r = db.prepare('SELECT * FROM rollout_robots WHERE rollout_id = ? AND device_id = ?').get(rolloutId, deviceId) as RawRobot | undefined;
      return r ? toRobot(r) : null;
    },
    setRobot(rolloutId, deviceId, state, errorCode, at, countAttempt) {
      db.prepare('UPDATE rollout_robots SET state = ?, error_code = ?, updated_at = ?, attempts = attempts + ? WHERE rollout_id = ? AND device_id = ?').run(
        state, errorCode, at, countAttempt ? 1 : 0, rolloutId, deviceId,
      );
    },
    resetFailed: (rolloutId, at) =>
      db.prepare("UPDATE rollout_robots SET state = 'pending', updated_at = ? WHERE rollout_id = ? AND state = 'failed'").run(at, rolloutId).changes,
    counts: (rolloutId) =>
      db
        .prepare('SELECT site, wave, state, COUNT(*) AS robots FROM rollout_robots WHERE rollout_id = ? GROUP BY site, wave, state ORDER BY site, wave, state')
        .all(rolloutId) as Array<{ site: string; wave: number; state: RolloutRobotState; robots: number }>,
    keysToRollOut: () =>
      (
        db
          .prepare(
            `SELECT k.id AS key_id, k.current_version AS current_version FROM keys k
             WHERE k.state = 'active'
               AND EXISTS (SELECT 1 FROM robot_keys h JOIN robots r ON r.device_id = h.device_id
                           WHERE h.key_id = k.id AND h.key_version < k.current_version AND r.status IN ('provisioned', 'deployed'))
               AND k.current_version > COALESCE((SELECT MAX(o.to_version) FROM rollouts o WHERE o.key_id = k.id), 1)
             ORDER BY k.id`,
          )
          .all() as Array<{ key_id: string; current_version: number }>
      ).map((r) => ({ keyId: r.key_id, currentVersion: r.current_version })),
    rolledOutKeys: () => db.prepare('SELECT DISTINCT key_id FROM rollouts ORDER BY key_id').pluck().all() as string[],
    holdingsBySite(keyId) {
      const rows = (keyId === undefined ? holdingsAll.all() : holdingsOfKey.all(keyId)) as Array<{
        site: string; key_id: string; current_version: number; current_count: number; previous_count: number; older_count: number;
      }>;
      return rows.map((r) => ({
        site: r.site, keyId: r.key_id, currentVersion: r.current_version, current: Number(r.current_count), previous: Number(r.previous_count), older: Number(r.older_count),
      }));
    },
    retirement(keyId, version) {
      const r = retirementOf.get(keyId, version) as Record<string, unknown> | undefined;
      return r ? toRetirement(r) : null;
    },
    retirements: (keyId) =>
      (db.prepare('SELECT * FROM key_version_retirements WHERE key_id = ? ORDER BY version').all(keyId) as Array<Record<string, unknown>>).map(toRetirement),
    insertRetirement(row) {
      db.prepare('INSERT INTO key_version_retirements (key_id, version, retired_at, retired_by, forced, reason, holders) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
        row.keyId, row.version, row.retiredAt, row.retiredBy, row.forced ? 1 : 0, row.reason, row.holders,
      );
    },
    reinstate(row) {
      db.prepare('DELETE FROM key_version_retirements WHERE key_id = ? AND version = ?').run(row.keyId, row.version);
      db.prepare(
        'INSERT INTO key_version_reinstatements (key_id, version, reinstated_at, reinstated_by, reason, until_at, retired_at, retired_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(row.keyId, row.version, row.reinstatedAt, row.reinstatedBy, row.reason, row.until, row.retiredAt, row.retiredBy);
    },
    reinstatement(keyId, version) {
      const r = db
        .prepare('SELECT * FROM key_version_reinstatements WHERE key_id = ? AND version = ? ORDER BY reinstated_at DESC, until_at DESC')
        .get(keyId, version) as Record<string, unknown> | undefined;
      if (!r) return null;
      return {
        keyId: String(r.key_id), version: Number(r.version), reinstatedAt: Number(r.reinstated_at), reinstatedBy: String(r.reinstated_by),
        reason: String(r.reason), until: Number(r.until_at), retiredAt: Number(r.retired_at), retiredBy: String(r.retired_by),
      };
    },
    flagVisit(row) {
      db.prepare(
        `INSERT INTO robot_visits (device_id, key_id, version, reason, flagged_at, flagged_by) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (device_id, key_id) DO UPDATE SET version = excluded.version, reason = excluded.reason, flagged_at = excluded.flagged_at, flagged_by = excluded.flagged_by`,
      ).run(row.deviceId, row.keyId, row.version, row.reason, row.flaggedAt, row.flaggedBy);
    },
    clearVisit: (deviceId, keyId, installedVersion) =>
      db.prepare('DELETE FROM robot_visits WHERE device_id = ? AND key_id = ? AND version < ?').run(deviceId, keyId, installedVersion).changes > 0,
    visits: (site) =>
      (
        (site === undefined
          ? db.prepare('SELECT v.*, r.site AS site FROM robot_visits v JOIN robots r ON r.device_id = v.device_id ORDER BY r.site, v.device_id, v.key_id').all()
          : db.prepare('SELECT v.*, r.site AS site FROM robot_visits v JOIN robots r ON r.device_id = v.device_id WHERE r.site = ? ORDER BY v.device_id, v.key_id').all(site)) as Array<
          RawVisit & { site: string }
        >
      ).map((r) => ({ ...toVisit(r), site: r.site })),
    visitsOf: (deviceId) => (db.prepare('SELECT * FROM robot_visits WHERE device_id = ? ORDER BY key_id').all(deviceId) as RawVisit[]).map(toVisit),
  };
}

const toRetirement = (r: Record<string, unknown>): RetirementRow => ({
  keyId: r.key_id as string,
  version: r.version as number,
  retiredAt: Number(r.retired_at),
  retiredBy: r.retired_by as string,
  forced: r.forced === 1,
  reason: (r.reason as string | null) ?? null,
  holders: r.holders as number,
});
