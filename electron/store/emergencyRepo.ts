// Repository of emergency response (issue 15, migration 17): which robots a scope names (one robot, a list, a site, a
// model, a firmware version, a tag, the holders of a key version, the robot carrying a certificate, the fleet), the
// facts a blast-radius preview shows about them, and the playbook runs with one row per action (their progress, so a
// failed action can be retried). Every scope is one predicate over `robots r` answered from an index (robots_site,
// robots_model, robots_firmware, robot_tags, robot_keys_key_version_device, robot_certificates' key), so a preview
// costs the scope, not the fleet. A list of robots is cut into chunks of bound parameters.
import type { Db } from './database.ts';
import type { RobotRow } from './fleetRepo.ts';

/** DDL of migration 17 (robot_tags is filled from robots.tags by the migration and kept in step by fleetRepo). */
export const EMERGENCY_SCHEMA_SQL = `
CREATE TABLE robot_tags (
  tag VARCHAR(32) NOT NULL,
  device_id VARCHAR(64) NOT NULL REFERENCES robots (device_id),
  PRIMARY KEY (tag, device_id)
);
CREATE INDEX robot_tags_device ON robot_tags (device_id);
CREATE TABLE emergency_runs (
  run_id VARCHAR(36) PRIMARY KEY,
  created_at VARCHAR(40) NOT NULL,
  updated_at VARCHAR(40) NOT NULL,
  actor VARCHAR(128) NOT NULL,
  scope TEXT NOT NULL,
  actions VARCHAR(200) NOT NULL,
  reason VARCHAR(500) NOT NULL,
  options TEXT NOT NULL,
  robots INTEGER NOT NULL,
  state VARCHAR(8) NOT NULL CHECK (state IN ('running', 'done', 'failed')),
  break_glass_reason VARCHAR(500),
  review VARCHAR(12) NOT NULL CHECK (review IN ('not_needed', 'needs_review', 'reviewed')),
  reviewed_by VARCHAR(128),
  reviewed_at VARCHAR(40),
  review_note VARCHAR(500)
);
CREATE INDEX emergency_runs_created ON emergency_runs (created_at, run_id);
CREATE INDEX emergency_runs_review ON emergency_runs (review, created_at);
CREATE TABLE emergency_run_actions (
  run_id VARCHAR(36) NOT NULL REFERENCES emergency_runs (run_id),
  position INTEGER NOT NULL,
  action VARCHAR(32) NOT NULL,
  state VARCHAR(8) NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'skipped')),
  attempts INTEGER NOT NULL,
  detail TEXT NOT NULL,
  error_code VARCHAR(64),
  error_message VARCHAR(1000),
  updated_at VARCHAR(40) NOT NULL,
  PRIMARY KEY (run_id, position)
);
`;

/** Migration 17's backfill: every tag of every robot into robot_tags. */
export function backfillRobotTags(db: Db): void {
  const insert = db.prepare('INSERT INTO robot_tags (tag, device_id) VALUES (?, ?) ON CONFLICT (tag, device_id) DO NOTHING');
  // Read first, then written: better-sqlite3 allows no write while a statement of the connection is iterating.
  for (const r of db.prepare("SELECT device_id, tags FROM robots WHERE tags <> ''").all() as Array<{ device_id: string; tags: string }>) {
    for (const tag of r.tags.split(';')) if (tag !== '') insert.run(tag, r.device_id);
  }
}

export type ScopeFilter =
  | { kind: 'robots'; deviceIds: readonly string[] }
  | { kind: 'site'; site: string }
  | { kind: 'model'; model: string }
  | { kind: 'firmware'; firmware: string }
  | { kind: 'tag'; tag: string }
  | { kind: 'key'; keyId: string; version?: number | undefined }
  | { kind: 'serial'; serial: string }
  | { kind: 'fleet' };

export interface ScopeFacts {
  robots: number;
  byStatus: Array<{ status: string; count: number }>;
  /** The first robots of the scope by device id. */
  sample: RobotRow[];
  /** Active certificates (the registry's copies) of the robots in scope. */
  certificates: number;
  certificateSample: Array<{ serial: string; deviceId: string; notAfter: string }>;
  /** Key versions held by robots in scope, with how many of them hold each. */
  holdings: Array<{ keyId: string; version: number; robots: number }>;
}

export type RunState = 'running' | 'done' | 'failed';
export type ReviewState = 'not_needed' | 'needs_review' | 'reviewed';
export type ActionState = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface RunRow {
  runId: string;
  createdAt: string;
  updatedAt: string;
  actor: string;
  /** JSON text of the scope. */
  scope: string;
  actions: string[];
  reason: string;
  /** JSON text of the run's options (certificate reason, lockdown settings). */
  options: string;
  robots: number;
  state: RunState;
  breakGlassReason: string | null;
  review: ReviewState;
  reviewedBy: string | null;
  reviewedAt: string | null;
  reviewNote: string | null;
}

export interface RunActionRow {
  runId: string;
  position: number;
  action: string;
  state: ActionState;
  attempts: number;
  /** JSON text: what the action did, per item. */
  detail: string;
  errorCode: string | null;
  errorMessage: string | null;
  updatedAt: string;
}

export interface EmergencyRepo {
  facts(scope: ScopeFilter, sampleSize: number): ScopeFacts;
  /** Every robot of the scope, in device-id order (an action's work list). */
  robotsOf(scope: ScopeFilter): RobotRow[];
  /** Which of these (few) robots fall in the scope. */
  membersOf(scope: ScopeFilter, deviceIds: readonly string[]): string[];
  /** Active certificate copies of the scope's robots, in issue order (notBefore, then serial). */
  certificatesOf(scope: ScopeFilter): Array<{ serial: string; deviceId: string }>;
  /** certificatesOf as two lists, the i-th serial's robot the i-th device id (an emergency run's 10,000: no object per row). */
  certificateListOf(scope: ScopeFilter): { serials: string[]; deviceIds: string[] };
  /**
   * The valid certificates (neither revoked nor expired at `at`) of every fleet CA held by the scope's robots, in issue
   * order (issued_at, then serial): one query over the scope (what robotsOf and then the CA's certificates of 500 robots a query answered).
   */
  validCaCertificatesOf(scope: ScopeFilter, at: string): Array<{ caId: string; serial: string; deviceId: string }>;
  /** validCaCertificatesOf as three lists (the i-th entry of each is one certificate). */
  validCaCertificateListOf(scope: ScopeFilter, at: string): { caIds: string[]; serials: string[]; deviceIds: string[] };
  insertRun(run: RunRow, actions: readonly RunActionRow[]): void;
  getRun(runId: string): { run: RunRow; actions: RunActionRow[] } | null;
  listRuns(limit: number, review?: ReviewState): RunRow[];
  updateAction(row: Pick<RunActionRow, 'runId' | 'position' | 'state' | 'attempts' | 'detail' | 'errorCode' | 'errorMessage' | 'updatedAt'>): void;
  /** An action starts (again): its state and attempts, its detail unchanged. */
  markActionRunning(runId: string, position: number, attempts: number, at: string): void;
  setRunState(runId: string, state: RunState, at: string): void;
  /** Records the review of a run that needs one; false when it does not (any more). */
  review(runId: string, by: string, at: string, note: string): boolean;
}

const CHUNK = 500;

interface Predicate {
  sql: string;
  params: unknown[];
}

/** The scope as predicates over `robots r`: one, or one per chunk of a robot list (sorted, so samples come in order). */
function predicates(scope: ScopeFilter): Predicate[] {
  switch (scope.kind) {
    case 'robots': {
      const ids = [...new Set(scope.deviceIds)].sort();
      const out: Predicate[] = [];
      for (let i = 0; i < ids.length; i += CHUNK) {
        const part = ids.slice(i, i + CHUNK);
        out.push({ sql: `r.device_id IN (${part.map(() => '?').join(', ')})`, params: part });
      }
      return out;
    }
    case 'site':
      return [{ sql: 'r.site = ?', params: [scope.site] }];
    case 'model':
      return [{ sql: 'r.model = ?', params: [scope.model] }];
    case 'firmware':
      return [{ sql: 'r.firmware = ?', params: [scope.firmware] }];
    case 'tag':
      return [{ sql: 'r.device_id IN (SELECT device_id FROM robot_tags WHERE tag = ?)', params: [scope.tag] }];
    case 'key':
      // A version: the robots that hold it. The whole key: also the robots and sites it is assigned to (they
      // receive it with their next bundle).
      return scope.version === undefined
        ? [{
          sql: `(r.device_id IN (SELECT device_id FROM robot_keys WHERE key_id = ?)
            OR r.device_id IN (SELECT scope_id FROM key_assignments WHERE key_id = ? AND scope = 'robot')
            OR r.site IN (SELECT scope_id FROM key_assignments WHERE key_id = ? AND scope = 'site'))`,
          params: [scope.keyId, scope.keyId, scope.keyId],
        }]
        : [{ sql: 'r.device_id IN (SELECT device_id FROM robot_keys WHERE key_id = ? AND key_version = ?)', params: [scope.keyId, scope.version] }];
    case 'serial':
      return [{ sql: 'r.device_id IN (SELECT device_id FROM robot_certificates WHERE serial = ?)', params: [scope.serial] }];
    case 'fleet':
      return [{ sql: '1 = 1', params: [] }];
  }
}

interface RawRobot {
  device_id: string; name: string; model: string; site: string; firmware: string; tags: string; status: RobotRow['status'];
  status_reason: string | null; last_seen: string | null; created_at: string; updated_at: string;
}
const toRobot = (r: RawRobot): RobotRow => ({
  deviceId: r.device_id, name: r.name, model: r.model, site: r.site, firmware: r.firmware, tags: r.tags === '' ? [] : r.tags.split(';'),
  status: r.status, statusReason: r.status_reason, lastSeen: r.last_seen, createdAt: r.created_at, updatedAt: r.updated_at,
});

interface RawRun {
  run_id: string; created_at: string; updated_at: string; actor: string; scope: string; actions: string; reason: string; options: string;
  robots: number; state: RunState; break_glass_reason: string | null; review: ReviewState; reviewed_by: string | null; reviewed_at: string | null; review_note: string | null;
}
const toRun = (r: RawRun): RunRow => ({
  runId: r.run_id, createdAt: r.created_at, updatedAt: r.updated_at, actor: r.actor, scope: r.scope, actions: r.actions === '' ? [] : r.actions.split(','),
  reason: r.reason, options: r.options, robots: r.robots, state: r.state, breakGlassReason: r.break_glass_reason, review: r.review,
  reviewedBy: r.reviewed_by, reviewedAt: r.reviewed_at, reviewNote: r.review_note,
});
interface RawAction {
  run_id: string; position: number; action: string; state: ActionState; attempts: number; detail: string; error_code: string | null; error_message: string | null; updated_at: string;
}
const toAction = (r: RawAction): RunActionRow => ({
  runId: r.run_id, position: r.position, action: r.action, state: r.state, attempts: r.attempts, detail: r.detail, errorCode: r.error_code,
  errorMessage: r.error_message, updatedAt: r.updated_at,
});

export function createEmergencyRepo(db: Db): EmergencyRepo {
  const each = <T>(scope: ScopeFilter, sql: (where: string) => string, fold: (rows: T[]) => void) => {
    for (const p of predicates(scope)) fold(db.prepare(sql(p.sql)).all(...p.params) as T[]);
  };
  // Rows as arrays (raw), copied into one list per column. In issue order (the registry copy's notBefore, the CA row's
  // issued_at; the serial breaks ties), not serial order: the run revokes them in this order, 500 to an UPDATE, and a
  // table's rows lie in the order they were inserted, i.e. issued. A CA's serials are random, so 500 taken in serial
  // order lie on nearly every page of the table, and each of the 20 UPDATEs journals and rewrites nearly all of them;
  // 500 taken in issue order lie on a twentieth (the two UPDATE sets over 10,000: 181 -> 116 ms, docs/benchmarks.md).
  // Only speed depends on it: any order revokes the same rows.
  function certificateListOf(scope: ScopeFilter): { serials: string[]; deviceIds: string[] } {
    const serials: string[] = [];
    const deviceIds: string[] = [];
    for (const p of predicates(scope)) {
      const rows = db
        .prepare(`SELECT c.serial, c.device_id FROM robots r JOIN robot_certificates c ON c.device_id = r.device_id WHERE c.status = 'active' AND ${p.sql} ORDER BY c.not_before, c.serial`)
        .raw(true)
        .all(...p.params) as Array<[string, string]>;
      for (const r of rows) {
        serials.push(r[0]);
        deviceIds.push(r[1]);
      }
    }
    return { serials, deviceIds };
  }
  function validCaCertificateListOf(scope: ScopeFilter, at: string): { caIds: string[]; serials: string[]; deviceIds: string[] } {
    const caIds: string[] = [];
    const serials: string[] = [];
    const deviceIds: string[] = [];
    for (const p of predicates(scope)) {
      const rows = db
        .prepare(`SELECT f.ca_id, f.serial, f.device_id FROM robots r JOIN fleet_certificates f ON f.device_id = r.device_id WHERE f.revoked_at IS NULL AND f.not_after > ? AND ${p.sql} ORDER BY f.issued_at, f.serial`)
        .raw(true)
        .all(at, ...p.params) as Array<[string, string, string]>;
      for (const r of rows) {
        caIds.push(r[0]);
        serials.push(r[1]);
        deviceIds.push(r[2]);
      }
    }
    return { caIds, serials, deviceIds };
  }
  const insertRun = db.prepare(
    `INSERT INTO emergency_runs (run_id, created_at, updated_at, actor, scope, actions, reason, options, robots, state, break_glass_reason, review, reviewed_by, reviewed_at, review_note)
     VALUES (@runId, @createdAt, @updatedAt, @actor, @scope, @actions, @reason, @options, @robots, @state, @breakGlassReason, @review, @reviewedBy, @reviewedAt, @reviewNote)`,
  );
  const insertAction = db.prepare(
    `INSERT INTO emergency_run_actions (run_id, position, action, state, attempts, detail, error_code, error_message, updated_at)
     VALUES (@runId, @position, @action, @state, @attempts, @detail, @errorCode, @errorMessage, @updatedAt)`,
  );
  const updateAction = db.prepare(
    `UPDATE emergency_run_actions SET state = @state, attempts = @attempts, detail = @detail, error_code = @errorCode, error_message = @errorMessage, updated_at = @updatedAt
     WHERE run_id = @runId AND position = @position`,
  );

  return {
    facts(scope, sampleSize) {
      let robots = 0;
      let certificates = 0;
      const byStatus = new Map<string, number>();
      const holdings = new Map<string, { keyId: string; version: number; robots: number }>();
      const sample: RobotRow[] = [];
      const certificateSample: ScopeFacts['certificateSample'] = [];
      each<{ status: string; n: number }>(scope, (w) => `SELECT r.status AS status, COUNT(*) AS n FROM robots r WHERE ${w} GROUP BY r.status`, (rows) => {
        for (const r of rows) {
          robots += r.n;
          byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + r.n);
        }
      });
      each<RawRobot>(scope, (w) => `SELECT r.* FROM robots r WHERE ${w} ORDER BY r.device_id LIMIT ${Math.max(0, Math.trunc(sampleSize))}`, (rows) => {
        for (const r of rows) if (sample.length < sampleSize) sample.push(toRobot(r));
      });
      each<{ n: number }>(scope, (w) => `SELECT COUNT(*) AS n FROM robots r JOIN robot_certificates c ON c.device_id = r.device_id WHERE c.status = 'active' AND ${w}`, (rows) => {
        certificates += rows[0]?.n ?? 0;
      });
      each<{ serial: string; device_id: string; not_after: string }>(
        scope,
        (w) => `SELECT c.serial, c.device_id, c.not_after FROM robots r JOIN robot_certificates c ON c.device_id = r.device_id WHERE c.status = 'active' AND ${w} ORDER BY r.device_id, c.serial LIMIT ${Math.max(0, Math.trunc(sampleSize))}`,
        (rows) => {
          for (const r of rows) if (certificateSample.length < sampleSize) certificateSample.push({ serial: r.serial, deviceId: r.device_id, notAfter: r.not_after });
        },
      );
      each<{ key_id: string; key_version: number; n: number }>(
        scope,
        (w) => `SELECT k.key_id, k.key_version, COUNT(*) AS n FROM robots r JOIN robot_keys k ON k.device_id = r.device_id WHERE ${w} GROUP BY k.key_id, k.key_version`,
        (rows) => {
          for (const r of rows) {
            const id = `${r.key_id}@${r.key_version}`;
            const h = holdings.get(id) ?? { keyId: r.key_id, version: r.key_version, robots: 0 };
            h.robots += r.n;
            holdings.set(id, h);
          }
        },
      );
      return {
        robots,
        byStatus: [...byStatus].map(([status, count]) => ({ status, count })).sort((a, b) => a.status.localeCompare(b.status)),
        sample,
        certificates,
        certificateSample,
        holdings: [...holdings.values()].sort((a, b) => a.keyId.localeCompare(b.keyId) || a.version - b.version),
      };
    },
    robotsOf(scope) {
      const out: RobotRow[] = [];
      each<RawRobot>(scope, (w) => `SELECT r.* FROM robots r WHERE ${w} ORDER BY r.device_id`, (rows) => {
        for (const r of rows) out.push(toRobot(r));
      });
      return out;
    },
    membersOf(scope, deviceIds) {
      const ids = [...new Set(deviceIds)].slice(0, CHUNK);
      if (ids.length === 0) return [];
      const out: string[] = [];
      const marks = ids.map(() => '?').join(', ');
      for (const p of predicates(scope)) {
        const rows = db.prepare(`SELECT r.device_id FROM robots r WHERE ${p.sql} AND r.device_id IN (${marks})`).all(...p.params, ...ids) as Array<{ device_id: string }>;
        for (const r of rows) out.push(r.device_id);
      }
      return out.sort();
    },
    certificatesOf(scope) {
      const { serials, deviceIds } = certificateListOf(scope);
      return serials.map((serial, i) => ({ serial, deviceId: deviceIds[i]! }));
    },
    certificateListOf,
    validCaCertificatesOf(scope, at) {
      const { caIds, serials, deviceIds } = validCaCertificateListOf(scope, at);
      return serials.map((serial, i) => ({ caId: caIds[i]!, serial, deviceId: deviceIds[i]! }));
    },
    validCaCertificateListOf,
    insertRun(run, actions) {
      insertRun.run({ ...run, actions: run.actions.join(',') });
      for (const a of actions) insertAction.run(a);
    },
    getRun(runId) {
      const r = db.prepare('SELECT * FROM emergency_runs WHERE run_id = ?').get(runId) as RawRun | undefined;
      if (!r) return null;
      const actions = (db.prepare('SELECT * FROM emergency_run_actions WHERE run_id = ? ORDER BY position').all(runId) as RawAction[]).map(toAction);
      return { run: toRun(r), actions };
    },
    listRuns(limit, review) {
      const rows = review === undefined
        ? db.prepare('SELECT * FROM emergency_runs ORDER BY created_at DESC, run_id DESC LIMIT ?').all(limit)
        : db.prepare('SELECT * FROM emergency_runs WHERE review = ? ORDER BY created_at DESC, run_id DESC LIMIT ?').all(review, limit);
      return (rows as RawRun[]).map(toRun);
    },
    updateAction: (row) => void updateAction.run(row),
    markActionRunning: (runId, position, attempts, at) =>
      void db.prepare("UPDATE emergency_run_actions SET state = 'running', attempts = ?, updated_at = ? WHERE run_id = ? AND position = ?").run(attempts, at, runId, position),
    setRunState: (runId, state, at) => void db.prepare('UPDATE emergency_runs SET state = ?, updated_at = ? WHERE run_id = ?').run(state, at, runId),
    review: (runId, by, at, note) =>
      db
        .prepare("UPDATE emergency_runs SET review = 'reviewed', reviewed_by = ?, reviewed_at = ?, review_note = ? WHERE run_id = ? AND review = 'needs_review'")
        .run(by, at, note, runId).changes === 1,
  };
}
