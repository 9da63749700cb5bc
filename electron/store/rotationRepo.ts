// Repository for rotation (issue 13): policies per key type and per key, the scheduler's persisted jobs (one per key
// version to rotate away from, so a version is never rotated twice by the scheduler), and the scheduler's pause flag.
// Times the scheduler computes with are epoch milliseconds (BIGINT); times shown to people are ISO strings.
import type { Db } from './database.ts';

/** DDL of migration 11 (with key_version_usage from usageRepo.ts). */
export const ROTATION_SCHEMA_SQL = `
CREATE TABLE rotation_policies (
  scope VARCHAR(8) NOT NULL CHECK (scope IN ('type', 'key')),
  scope_id VARCHAR(36) NOT NULL,
  mode VARCHAR(10) NOT NULL CHECK (mode IN ('scheduled', 'manual')),
  period_seconds BIGINT,
  jitter_seconds INTEGER NOT NULL,
  usage_limit BIGINT NOT NULL,
  time_zone VARCHAR(64) NOT NULL,
  maintenance_window VARCHAR(300),
  blackout_windows VARCHAR(4000) NOT NULL,
  updated_at VARCHAR(40) NOT NULL,
  updated_by VARCHAR(128) NOT NULL,
  PRIMARY KEY (scope, scope_id)
);
CREATE TABLE rotation_jobs (
  key_id VARCHAR(36) NOT NULL REFERENCES keys (id),
  from_version INTEGER NOT NULL,
  reason VARCHAR(16) NOT NULL CHECK (reason IN ('schedule', 'usage_limit')),
  due_at BIGINT NOT NULL,
  state VARCHAR(12) NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'superseded')),
  attempts INTEGER NOT NULL,
  next_attempt_at BIGINT,
  started_at BIGINT,
  finished_at BIGINT,
  late_ms BIGINT,
  to_version INTEGER,
  error_code VARCHAR(64),
  PRIMARY KEY (key_id, from_version)
);
CREATE INDEX rotation_jobs_state_due ON rotation_jobs (state, due_at);
CREATE TABLE rotation_scheduler (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  paused INTEGER NOT NULL,
  changed_at VARCHAR(40) NOT NULL,
  changed_by VARCHAR(128) NOT NULL
);
`;

/** A window as stored: a cron expression (5 fields) for its start and how long it lasts. */
export interface StoredWindow {
  cron: string;
  durationMinutes: number;
}

export interface PolicyRow {
  scope: 'type' | 'key';
  /** The key type (scope 'type') or the key id (scope 'key'). */
  scopeId: string;
  mode: 'scheduled' | 'manual';
  /** Who rotates on the schedule; stored inside blackout_windows (see blackoutColumn), so migration 11 holds it. */
  driver: 'console' | 'provider';
  periodSeconds: number | null;
  jitterSeconds: number;
  usageLimit: number;
  timeZone: string;
  maintenanceWindow: StoredWindow | null;
  blackoutWindows: StoredWindow[];
  updatedAt: string;
  updatedBy: string;
}

export type JobState = 'pending' | 'running' | 'done' | 'failed' | 'superseded';
export type JobReason = 'schedule' | 'usage_limit';

export interface JobRow {
  keyId: string;
  /** The version this job rotates away from: done once the key's current version is above it. */
  fromVersion: number;
  reason: JobReason;
  /** When the rotation is due (period end plus this job's jitter; the time the limit was reached). */
  dueAt: number;
  state: JobState;
  attempts: number;
  /** A failed job with a retryable error: when it is tried again (null: it is not). */
  nextAttemptAt: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  /** How late the rotation ran after dueAt. */
  lateMs: number | null;
  toVersion: number | null;
  errorCode: string | null;
}

export interface RotationRepo {
  getPolicy(scope: 'type' | 'key', scopeId: string): PolicyRow | null;
  listPolicies(): PolicyRow[];
  putPolicy(row: PolicyRow): void;
  deletePolicy(scope: 'type' | 'key', scopeId: string): void;

  getJob(keyId: string, fromVersion: number): JobRow | null;
  /** Jobs not finished: pending, running, or failed with a retry planned. */
  listOpenJobs(): JobRow[];
  /** Most recent first. */
  listJobs(limit: number, keyId?: string): JobRow[];
  /** Adds a pending job unless one exists for that key version. */
  insertJob(row: JobRow): void;
  /** A pending job's due time follows its policy (the policy changed). */
  setPendingDue(keyId: string, fromVersion: number, dueAt: number): void;
  /** The version reached its usage limit: its job (new, pending or failed) becomes due now, for that reason. */
  requestNow(keyId: string, fromVersion: number, dueAt: number): void;
  markRunning(keyId: string, fromVersion: number, startedAt: number): void;
  markDone(keyId: string, fromVersion: number, finishedAt: number, lateMs: number, toVersion: number): void;
  markFailed(keyId: string, fromVersion: number, finishedAt: number, code: string, nextAttemptAt: number | null): void;
  markSuperseded(keyId: string, fromVersion: number, finishedAt: number, toVersion: number): void;

  paused(): boolean;
  setPaused(paused: boolean, at: string, by: string): void;
}

interface RawPolicy {
  scope: 'type' | 'key';
  scope_id: string;
  mode: 'scheduled' | 'manual';
  period_seconds: number | bigint | null;
  jitter_seconds: number;
  usage_limit: number | bigint;
  time_zone: string;
  maintenance_window: string | null;
  blackout_windows: string;
  updated_at: string;
  updated_by: string;
}

interface RawJob {
  key_id: string;
  from_version: number;
  reason: JobReason;
  due_at: number | bigint;
  state: JobState;
  attempts: number;
  next_attempt_at: number | bigint | null;
  started_at: number | bigint | null;
  finished_at: number | bigint | null;
  late_ms: number | bigint | null;
  to_version: number | null;
  error_code: string | null;
}

const num = (v: number | bigint | null): number | null => (v === null ? null : Number(v));

/**
 * The blackout_windows column holds JSON: a console-driven policy's windows as a list (as migration 11 wrote them), a
 * provider-driven one as {"driver":"provider","windows":[]} (such a policy has no windows). A list reads as 'console'.
 */
const blackoutColumn = (row: Pick<PolicyRow, 'driver' | 'blackoutWindows'>): string =>
  JSON.stringify(row.driver === 'provider' ? { driver: 'provider', windows: row.blackoutWindows } : row.blackoutWindows);

const fromBlackoutColumn = (text: string): { driver: 'console' | 'provider'; windows: StoredWindow[] } => {
  const v = JSON.parse(text) as StoredWindow[] | { driver: 'provider'; windows: StoredWindow[] };
  return Array.isArray(v) ? { driver: 'console', windows: v } : { driver: v.driver === 'provider' ? 'provider' : 'console', windows: v.windows };
};

const toPolicy = (r: RawPolicy): PolicyRow => ({
  scope: r.scope,
  scopeId: r.scope_id,
  mode: r.mode,
  driver: fromBlackoutColumn(r.blackout_windows).driver,
  periodSeconds: num(r.period_seconds),
  jitterSeconds: r.jitter_seconds,
  usageLimit: Number(r.usage_limit),
  timeZone: r.time_zone,
  maintenanceWindow: r.maintenance_window === null ? null : (JSON.parse(r.maintenance_window) as StoredWindow),
  blackoutWindows: fromBlackoutColumn(r.blackout_windows).windows,
  updatedAt: r.updated_at,
  updatedBy: r.updated_by,
});

const toJob = (r: RawJob): JobRow => ({
  keyId: r.key_id,
  fromVersion: r.from_version,
  reason: r.reason,
  dueAt: Number(r.due_at),
  state: r.state,
  attempts: r.attempts,
  nextAttemptAt: num(r.next_attempt_at),
  startedAt: num(r.started_at),
  finishedAt: num(r.finished_at),
  lateMs: num(r.late_ms),
  toVersion: r.to_version,
  errorCode: r.error_code,
});

export function createRotationRepo(db: Db): RotationRepo {
  const getPolicy = db.prepare('SELECT * FROM rotation_policies WHERE scope = ? AND scope_id = ?');
  const listPolicies = db.prepare('SELECT * FROM rotation_policies ORDER BY scope DESC, scope_id');
  const putPolicy = db.prepare(
    `INSERT INTO rotation_policies (scope, scope_id, mode, period_seconds, jitter_seconds, usage_limit, time_zone, maintenance_window, blackout_windows, updated_at, updated_by)
     VALUES (@scope, @scopeId, @mode, @periodSeconds, @jitterSeconds, @usageLimit, @timeZone, @maintenanceWindow, @blackoutWindows, @updatedAt, @updatedBy)
     ON CONFLICT (scope, scope_id) DO UPDATE SET mode = excluded.mode, period_seconds = excluded.period_seconds, jitter_seconds = excluded.jitter_seconds,
       usage_limit = excluded.usage_limit, time_zone = excluded.time_zone, maintenance_window = excluded.maintenance_window,
       blackout_windows = excluded.blackout_windows, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
  );
  const deletePolicy = db.prepare('DELETE FROM rotation_policies WHERE scope = ? AND scope_id = ?');

  const getJob = db.prepare('SELECT * FROM rotation_jobs WHERE key_id = ? AND from_version = ?');
  const listOpen = db.prepare(
    "SELECT * FROM rotation_jobs WHERE state IN ('pending', 'running') OR (state = 'failed' AND next_attempt_at IS NOT NULL) ORDER BY due_at, key_id",
  );
  const listRecent = db.prepare('SELECT * FROM rotation_jobs ORDER BY due_at DESC, key_id LIMIT ?');
  const listRecentForKey = db.prepare('SELECT * FROM rotation_jobs WHERE key_id = ? ORDER BY from_version DESC LIMIT ?');
  const insertJob = db.prepare(
    `INSERT INTO rotation_jobs (key_id, from_version, reason, due_at, state, attempts, next_attempt_at, started_at, finished_at, late_ms, to_version, error_code)
     VALUES (@keyId, @fromVersion, @reason, @dueAt, @state, @attempts, @nextAttemptAt, @startedAt, @finishedAt, @lateMs, @toVersion, @errorCode)
     ON CONFLICT (key_id, from_version) DO NOTHING`,
  );
  const setDue = db.prepare("UPDATE rotation_jobs SET due_at = ? WHERE key_id = ? AND from_version = ? AND state = 'pending'");
  const requestNow = db.prepare(
    `INSERT INTO rotation_jobs (key_id, from_version, reason, due_at, state, attempts, next_attempt_at, started_at, finished_at, late_ms, to_version, error_code)
     VALUES (?, ?, 'usage_limit', ?, 'pending', 0, NULL, NULL, NULL, NULL, NULL, NULL)
     ON CONFLICT (key_id, from_version) DO UPDATE SET reason = 'usage_limit', due_at = excluded.due_at, state = 'pending', next_attempt_at = NULL
       WHERE rotation_jobs.state IN ('pending', 'failed')`,
  );
  const running = db.prepare("UPDATE rotation_jobs SET state = 'running', started_at = ?, attempts = attempts + 1 WHERE key_id = ? AND from_version = ?");
  const done = db.prepare(
    "UPDATE rotation_jobs SET state = 'done', finished_at = ?, late_ms = ?, to_version = ?, error_code = NULL, next_attempt_at = NULL WHERE key_id = ? AND from_version = ?",
  );
  const failed = db.prepare("UPDATE rotation_jobs SET state = 'failed', finished_at = ?, error_code = ?, next_attempt_at = ? WHERE key_id = ? AND from_version = ?");
  const superseded = db.prepare(
    "UPDATE rotation_jobs SET state = 'superseded', finished_at = ?, to_version = ?, next_attempt_at = NULL WHERE key_id = ? AND from_version = ?",
  );
  const getPaused = db.prepare('SELECT paused FROM rotation_scheduler WHERE id = 1');
  const setPaused = db.prepare(
    `INSERT INTO rotation_scheduler (id, paused, changed_at, changed_by) VALUES (1, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET paused = excluded.paused, changed_at = excluded.changed_at, changed_by = excluded.changed_by`,
  );

  return {
    getPolicy(scope, scopeId) {
      const r = getPolicy.get(scope, scopeId) as RawPolicy | undefined;
      return r ? toPolicy(r) : null;
    },
    listPolicies: () => (listPolicies.all() as RawPolicy[]).map(toPolicy),
    putPolicy(row) {
      const { driver: _driver, ...columns } = row;
      putPolicy.run({
        ...columns,
        maintenanceWindow: row.maintenanceWindow ? JSON.stringify(row.maintenanceWindow) : null,
        blackoutWindows: blackoutColumn(row),
      });
    },
    deletePolicy(scope, scopeId) {
      deletePolicy.run(scope, scopeId);
    },
    getJob(keyId, fromVersion) {
      const r = getJob.get(keyId, fromVersion) as RawJob | undefined;
      return r ? toJob(r) : null;
    },
    listOpenJobs: () => (listOpen.all() as RawJob[]).map(toJob),
    listJobs(limit, keyId) {
      const rows = keyId === undefined ? listRecent.all(limit) : listRecentForKey.all(keyId, limit);
      return (rows as RawJob[]).map(toJob);
    },
    insertJob(row) {
      insertJob.run(row);
    },
    setPendingDue(keyId, fromVersion, dueAt) {
      setDue.run(dueAt, keyId, fromVersion);
    },
    requestNow(keyId, fromVersion, dueAt) {
      requestNow.run(keyId, fromVersion, dueAt);
    },
    markRunning(keyId, fromVersion, startedAt) {
      running.run(startedAt, keyId, fromVersion);
    },
    markDone(keyId, fromVersion, finishedAt, lateMs, toVersion) {
      done.run(finishedAt, lateMs, toVersion, keyId, fromVersion);
    },
    markFailed(keyId, fromVersion, finishedAt, code, nextAttemptAt) {
      failed.run(finishedAt, code, nextAttemptAt, keyId, fromVersion);
    },
    markSuperseded(keyId, fromVersion, finishedAt, toVersion) {
      superseded.run(finishedAt, toVersion, keyId, fromVersion);
    },
    paused: () => ((getPaused.get() as { paused: number } | undefined)?.paused ?? 0) === 1,
    setPaused(paused, at, by) {
      setPaused.run(paused ? 1 : 0, at, by);
    },
  };
}
