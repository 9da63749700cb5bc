// The rotation scheduler (issue 13). Jobs are persisted, one per key version to rotate away from (rotation_jobs,
// primary key key id + version), so the scheduler never rotates one version twice, also across restarts and crashes.
//
// A pass (tick) at time `now` (the injected clock):
// 0. beforePass (the drift check of providerRotation.ts, while unlocked);
// 1. plans: every active key whose policy is scheduled (and console-driven) gets a job for its current version, due at the version's
//    creation (its last rotation) + the period + a jitter fixed per version (0 .. jitterSeconds, from a hash, so a
//    restart computes the same); jobs of keys that moved on (an officer rotated) are superseded; a job left running by
//    a crash is finished when its rotation had committed (the key is past its version) or tried again otherwise;
// 2. selects the jobs due at `now`: due time reached, key active and still at that version, policy still scheduled,
//    `now` inside the maintenance window (if any) and outside every blackout window; a usage-limit job is due at once
//    whatever the windows (encryption with the version is already refused, waiting would only prolong that);
// 3. runs them through the key service's rotate (audited key.rotate), a few at a time, while the store is unlocked
//    and the scheduler not paused; otherwise they wait and status().waiting says how many.
// A rotation that was missed (sleep, a closed laptop, a crash, a locked console) runs once when next possible, whatever
// the number of periods missed: the next job is planned from the new version's creation. Its lateness (start - due)
// is recorded on the job and in the rotation.run audit record. A failure is audited (severity critical); a retryable
// one (provider unreachable, console locked meanwhile) is tried again with backoff, at most MAX_ATTEMPTS times.
import type { KeyType } from '../../../shared/domain.ts';
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import { nodeTimers, type Timers } from '../../providers/resilience/resilienceOptions.ts';
import type { KeyRow, KeysRepo } from '../../store/keysRepo.ts';
import type { JobReason, JobRow, JobState, RotationRepo } from '../../store/rotationRepo.ts';
import type { AuditDetails, AuditLog } from '../audit/auditLog.ts';
import type { Session } from '../session/session.ts';
import type { RotationPolicies } from './policies.ts';
import type { RotationPolicy } from './policy.ts';
import { jitterMs } from './jitter.ts';
import { forecastRotations, type Forecast } from './upcoming.ts';

export const DEFAULT_TICK_MS = 60_000;
export const DEFAULT_CONCURRENCY = 4;
export const MAX_ATTEMPTS = 8;
export const RETRY_BASE_MS = 60_000;
export const RETRY_MAX_MS = 3_600_000;
const RETRYABLE = new Set(['provider_unavailable', 'locked', 'store_busy']);

export interface SchedulerDeps {
  keys: KeysRepo;
  repo: RotationRepo;
  policies: RotationPolicies;
  /**
   * The key service's rotate (audited as key.rotate), refused with illegal_transition (details.expectedVersion) when
   * the key is no longer at expectVersion: another rotation (an officer's, queued on the key's lock) got there first.
   */
  rotate(keyId: string, expectVersion: number): Promise<{ currentVersion: number }>;
  session: Session;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  transaction<T>(fn: () => T): T;
  timers?: Pick<Timers, 'setInterval'>;
  tickMs?: number;
  concurrency?: number;
  onChanged?(): void;
  /** Runs at the start of each pass while unlocked (the drift check, providerRotation.ts); its failures are logged, never fatal. */
  beforePass?(now: number): Promise<void>;
}

/** Why a due job does not start now. */
export type WaitReason = 'locked' | 'paused' | 'maintenance' | 'blackout';

export interface ScheduledRotation {
  keyId: string;
  keyType: KeyType;
  fromVersion: number;
  reason: JobReason;
  dueAt: string;
  state: JobState;
  attempts: number;
  /** A due job that does not start now, and why (null: it starts at this pass, or is not due yet). */
  waitingFor: WaitReason | null;
}

export interface RotationRun {
  keyId: string;
  /** Who started it: the scheduler's pass, or an officer's "run now". */
  by?: 'scheduler' | 'officer';
  fromVersion: number;
  toVersion: number | null;
  reason: JobReason;
  lateMs: number;
  outcome: 'success' | 'failure' | 'skipped';
  code: string | null;
}

export interface SchedulerStatus {
  paused: boolean;
  locked: boolean;
  /** Rotations due now that wait (locked, paused, or outside their windows). */
  waiting: number;
  /** ... of which for a window (maintenance / blackout). */
  deferredByWindow: number;
  /** The earliest due time among the planned rotations (ISO), null when none. */
  nextDueAt: string | null;
  running: number;
}

export interface TickReport {
  ran: RotationRun[];
  status: SchedulerStatus;
}

export interface RotationScheduler {
  /** One pass: plan, then run what is due (see the header). Passes never overlap: a second call joins the first. */
  tick(): Promise<TickReport>;
  status(): SchedulerStatus;
  /** The planned and due rotations (not yet run), earliest first. */
  upcoming(): ScheduledRotation[];
  /** Job history, most recent first. */
  jobs(limit?: number, keyId?: string): JobRow[];
  /** Stops starting rotations until resume (persisted; audited). */
  pause(): void;
  resume(): void;
  /** Periodic passes every tickMs (and one soon after a usage limit is reached); stop() ends them. */
  start(): void;
  stop(): void;
  /** A usage limit was reached: a pass soon (only while the periodic passes run). */
  kick(): void;
  /**
   * An officer's "run now": the key's planned or due rotation (its job for the current version) runs at once, whatever
   * its due time, windows or the pause; audited as key.rotate and rotation.run (by officer). Refused when the key has
   * no rotation planned (a manual policy: rotate it on the Keys screen) or one is running.
   */
  runNow(keyId: string): Promise<RotationRun>;
  /** The rotations due up to horizonMs from now, projected from policies, windows and jitter (upcoming.ts). */
  forecast(horizonMs: number, maxItems?: number): Forecast;
  /** Called at unlock (before the pass it triggers): counts the rotations that waited while the console was locked. */
  noteUnlocked(): void;
  /**
   * Keeps each active key's shown next rotation (`keys.next_rotation_at`: the Keys screen, the dashboard's overdue
   * keys) at this scheduler's due time for its current version under its effective policy, or empty when the policy is
   * manual; provider-driven keys are left to the provider's schedule. One key, or every active key. Returns how many
   * changed. Runs at each pass, after a key changes and after a policy changes.
   */
  syncNextRotation(keyId?: string | null): number;
  /** What the last unlock found waiting (rotations due then), or null before the first unlock of this process. */
  lastUnlock(): { at: string; waiting: number } | null;
}

export { jitterMs };

export function retryDelayMs(attempts: number): number {
  return Math.min(RETRY_BASE_MS * 2 ** Math.max(0, attempts - 1), RETRY_MAX_MS);
}

interface Candidate {
  key: KeyRow;
  job: JobRow;
  /** Not yet stored: planned at this pass. */
  fresh: boolean;
  /** A stored pending job whose due time moved (its policy changed): written at this pass; unchanged ones are not. */
  moved: boolean;
  due: boolean;
  waitingFor: WaitReason | null;
}

export function createRotationScheduler(deps: SchedulerDeps): RotationScheduler {
  const { repo, keys, clock } = deps;
  const concurrency = deps.concurrency ?? DEFAULT_CONCURRENCY;
  const inFlight = new Set<string>();
  let current: Promise<TickReport> | null = null;
  let stopTimer: (() => void) | null = null;
  let kickQueued = false;

  const unlocked = () => deps.session.status().state === 'unlocked';
  const iso = (ms: number) => new Date(ms).toISOString();

  const auditRun = (key: string, outcome: 'success' | 'failure', details: AuditDetails) =>
    deps.audit.append({ actor: deps.session.actor(), action: 'rotation.run', targetType: 'key', targetId: key, outcome, details: { by: 'scheduler', ...details } });

  /** A scheduled key's current version is due a period after it was made (its last rotation), plus its jitter. */
  const dueOf = (key: KeyRow, policy: RotationPolicy): number | null => {
    const v = keys.getVersion(key.id, key.currentVersion);
    if (!v || policy.periodSeconds === null) return null;
    return Date.parse(v.createdAt) + policy.periodSeconds * 1000 + jitterMs(key.id, key.currentVersion, policy.jitterSeconds);
  };

  /** What the store says should happen at `now`; writes nothing. */
  const candidates = (now: number): Candidate[] => {
    const open = new Map(repo.listOpenJobs().map((j) => [`${j.keyId}\u0000${j.fromVersion}`, j]));
    const out: Candidate[] = [];
    for (const key of keys.list({ state: 'active' })) {
      const eff = deps.policies.forKey(key);
      let job = open.get(`${key.id}\u0000${key.currentVersion}`) ?? null;
      let fresh = false;
      let moved = false;
      // A provider-driven key rotates at its provider: the console plans no scheduled job for it (a usage-limit job still runs).
      const scheduled = eff.policy.mode === 'scheduled' && eff.policy.periodSeconds !== null && eff.policy.driver === 'console';
      if (!job && scheduled) {
        if (repo.getJob(key.id, key.currentVersion)) continue; // finished (done / failed for good) for this version
        const dueAt = dueOf(key, eff.policy);
        if (dueAt === null) continue;
        job = {
          keyId: key.id, fromVersion: key.currentVersion, reason: 'schedule', dueAt, state: 'pending', attempts: 0, nextAttemptAt: null,
          startedAt: null, finishedAt: null, lateMs: null, toVersion: null, errorCode: null,
        };
        fresh = true;
      } else if (job && job.reason === 'schedule' && job.state === 'pending' && scheduled) {
        // The policy may have changed since the job was planned: its due time follows the policy.
        const dueAt = dueOf(key, eff.policy);
        if (dueAt !== null && dueAt !== job.dueAt) {
          job = { ...job, dueAt };
          moved = true;
        }
      }
      if (!job) continue;
      if (job.reason === 'schedule' && !scheduled) continue; // the policy became manual
      if (job.state === 'running' && inFlight.has(key.id)) continue;
      const at = job.state === 'failed' ? (job.nextAttemptAt ?? Infinity) : job.dueAt;
      const due = Math.max(at, job.dueAt) <= now;
      let waitingFor: WaitReason | null = null;
      if (due && job.reason === 'schedule') waitingFor = eff.windows.blocks(now);
      out.push({ key, job, fresh, moved, due, waitingFor });
    }
    return out;
  };

  const statusOf = (list: Candidate[]): SchedulerStatus => {
    const paused = repo.paused();
    const locked = !unlocked();
    const due = list.filter((c) => c.due);
    const byWindow = due.filter((c) => c.waitingFor !== null).length;
    const startable = due.length - byWindow;
    const notDue = list.filter((c) => !c.due).map((c) => c.job.dueAt);
    return {
      paused,
      locked,
      waiting: byWindow + (paused || locked ? startable : 0),
      deferredByWindow: byWindow,
      nextDueAt: notDue.length > 0 ? iso(Math.min(...notDue)) : null,
      running: inFlight.size,
    };
  };

  /** Jobs whose key moved on, or that a crash left running. */
  const reconcile = (now: number) => {
    for (const j of repo.listOpenJobs()) {
      if (inFlight.has(j.keyId)) continue;
      const key = keys.get(j.keyId);
      if (!key) continue;
      if (key.currentVersion > j.fromVersion) {
        if (j.state === 'running') {
          // The rotation committed (its version exists, audited as key.rotate) but the job was not marked: a crash.
          const lateMs = Math.max(0, (j.startedAt ?? now) - j.dueAt);
          deps.transaction(() => {
            repo.markDone(j.keyId, j.fromVersion, now, lateMs, j.fromVersion + 1);
            auditRun(j.keyId, 'success', { fromVersion: j.fromVersion, toVersion: j.fromVersion + 1, reason: j.reason, dueAt: iso(j.dueAt), lateMs, recovered: true });
          });
        } else {
          repo.markSuperseded(j.keyId, j.fromVersion, now, key.currentVersion);
        }
      } else if (j.state === 'running') {
        // Interrupted before its rotation committed: tried again now.
        repo.markFailed(j.keyId, j.fromVersion, now, 'interrupted', now);
      }
    }
  };

  const runOne = async (c: Candidate, now: number, by: 'scheduler' | 'officer' = 'scheduler'): Promise<RotationRun & { error?: unknown }> => {
    const { job } = c;
    const lateMs = Math.max(0, now - job.dueAt);
    const base = { keyId: job.keyId, by, fromVersion: job.fromVersion, reason: job.reason, lateMs };
    const fresh = keys.get(job.keyId);
    // An officer's run now (or another pass) may hold the key meanwhile: never two rotations of one version.
    if (inFlight.has(job.keyId)) return { ...base, toVersion: null, outcome: 'skipped', code: null };
    if (!fresh || fresh.currentVersion !== job.fromVersion || fresh.state !== 'active') {
      if (fresh && fresh.currentVersion > job.fromVersion) repo.markSuperseded(job.keyId, job.fromVersion, now, fresh.currentVersion);
      return { ...base, toVersion: null, outcome: 'skipped', code: null };
    }
    inFlight.add(job.keyId);
    try {
      deps.transaction(() => repo.markRunning(job.keyId, job.fromVersion, now));
      const attempts = job.attempts + 1;
      try {
        let rotated: { currentVersion: number };
        try {
          rotated = await deps.rotate(job.keyId, job.fromVersion);
        } catch (e) {
          // An officer's rotation made the next version while this job waited for the key: the job stands down, as
          // when it finds the key rotated before it starts (superseded; no failure, no second version).
          if (!isConsoleError(e) || e.code !== 'illegal_transition' || typeof e.details?.currentVersion !== 'number' || e.details.expectedVersion !== job.fromVersion) throw e;
          const now2 = clock.now();
          const to = e.details.currentVersion;
          deps.transaction(() => repo.markSuperseded(job.keyId, job.fromVersion, now2, to));
          return { ...base, toVersion: null, outcome: 'skipped', code: null };
        }
        deps.transaction(() => {
          repo.markDone(job.keyId, job.fromVersion, clock.now(), lateMs, rotated.currentVersion);
          auditRun(job.keyId, 'success', { by, fromVersion: job.fromVersion, toVersion: rotated.currentVersion, reason: job.reason, dueAt: iso(job.dueAt), lateMs, attempts });
        });
        return { ...base, toVersion: rotated.currentVersion, outcome: 'success', code: null };
      } catch (e) {
        const code = isConsoleError(e) ? e.code : 'internal';
        const retry = RETRYABLE.has(code) && attempts < MAX_ATTEMPTS ? clock.now() + (code === 'locked' ? 0 : retryDelayMs(attempts)) : null;
        deps.transaction(() => {
          repo.markFailed(job.keyId, job.fromVersion, clock.now(), code, retry);
          auditRun(job.keyId, 'failure', {
            by, fromVersion: job.fromVersion, reason: job.reason, dueAt: iso(job.dueAt), lateMs, attempts, code, severity: 'critical',
            retryAt: retry === null ? null : iso(retry),
          });
        });
        deps.logger.error('scheduled key rotation failed', { keyId: job.keyId, code });
        return { ...base, toVersion: null, outcome: 'failure', code, error: e };
      }
    } finally {
      inFlight.delete(job.keyId);
    }
  };

  const syncNextRotation = (keyId?: string | null): number => {
    const targets = keyId ? [keys.get(keyId)].filter((k): k is KeyRow => k !== null && k.state === 'active') : keys.list({ state: 'active' });
    let changed = 0;
    for (const key of targets) {
      const { policy } = deps.policies.forKey(key);
      if (policy.driver !== 'console') continue;
      const due = policy.mode === 'scheduled' ? dueOf(key, policy) : null;
      const shown = due === null ? null : iso(due);
      if (key.nextRotationAt === shown) continue;
      keys.setNextRotation(key.id, shown);
      changed++;
    }
    return changed;
  };

  const pass = async (): Promise<TickReport> => {
    if (deps.beforePass && unlocked()) {
      await deps.beforePass(clock.now()).catch((e: unknown) => deps.logger.error('rotation pre-pass failed', { error: isConsoleError(e) ? e.code : e instanceof Error ? e.name : 'unknown' }));
    }
    const now = clock.now();
    const list = candidates(now);
    const shownChanged = deps.transaction(() => {
      for (const c of list) {
        if (c.fresh) repo.insertJob(c.job);
        else if (c.moved) repo.setPendingDue(c.job.keyId, c.job.fromVersion, c.job.dueAt);
      }
      return syncNextRotation();
    });
    if (shownChanged > 0) deps.onChanged?.();
    const ran: RotationRun[] = [];
    if (unlocked() && !repo.paused()) {
      reconcile(now);
      const startable = candidates(now).filter((c) => c.due && c.waitingFor === null);
      let next = 0;
      const worker = async () => {
        // Stops when the console is locked meanwhile; the rest wait for the next pass.
        while (next < startable.length && unlocked()) {
          const c = startable[next++]!;
          ran.push(await runOne(c, now));
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, startable.length) }, worker));
      if (ran.length > 0) deps.onChanged?.();
    }
    return { ran, status: statusOf(candidates(clock.now())) };
  };

  const setPaused = (paused: boolean) => {
    deps.session.require();
    const actor = deps.session.actor();
    deps.transaction(() => {
      repo.setPaused(paused, iso(clock.now()), actor);
      deps.audit.append({ actor, action: paused ? 'rotation.pause' : 'rotation.resume', targetType: null, targetId: null, outcome: 'success' });
    });
    deps.onChanged?.();
  };

  let unlockSnapshot: { at: string; waiting: number } | null = null;

  const scheduler: RotationScheduler = {
    tick() {
      current ??= pass().finally(() => {
        current = null;
      });
      return current;
    },
    status: () => statusOf(candidates(clock.now())),
    upcoming() {
      const list = candidates(clock.now());
      const s = statusOf(list);
      return list
        .sort((a, b) => a.job.dueAt - b.job.dueAt || a.key.id.localeCompare(b.key.id))
        .map((c) => ({
          keyId: c.key.id, keyType: c.key.type, fromVersion: c.job.fromVersion, reason: c.job.reason, dueAt: iso(c.job.dueAt), state: c.job.state,
          attempts: c.job.attempts, waitingFor: c.due ? (c.waitingFor ?? (s.locked ? 'locked' : s.paused ? 'paused' : null)) : null,
        }));
    },
    jobs: (limit = 100, keyId) => repo.listJobs(limit, keyId),
    pause: () => setPaused(true),
    resume: () => setPaused(false),
    start() {
      if (stopTimer) return;
      const tick = () => {
        scheduler.tick().catch((e: unknown) => deps.logger.error('rotation pass failed', { error: isConsoleError(e) ? e.code : e instanceof Error ? e.name : 'unknown' }));
      };
      stopTimer = (deps.timers ?? nodeTimers).setInterval(tick, deps.tickMs ?? DEFAULT_TICK_MS);
    },
    stop() {
      stopTimer?.();
      stopTimer = null;
    },
    async runNow(keyId) {
      deps.session.require();
      const key = keys.get(keyId);
      if (!key) throw new ConsoleError('not_found', `No key with id ${keyId}.`);
      if (inFlight.has(keyId)) throw new ConsoleError('illegal_transition', `A rotation of key "${key.label}" is running already.`);
      if (key.state !== 'active') throw new ConsoleError('key_disabled', `Key "${key.label}" is ${key.state}: only an active key rotates.`);
      const now = clock.now();
      const c = candidates(now).find((x) => x.key.id === keyId);
      if (!c) throw new ConsoleError('illegal_transition', `Key "${key.label}" has no rotation planned (its policy is manual): rotate it on the Keys screen.`);
      if (c.fresh) deps.transaction(() => repo.insertJob(c.job));
      const { error, ...run } = await runOne(c, now, 'officer');
      deps.onChanged?.();
      if (run.outcome === 'failure') throw isConsoleError(error) ? error : new ConsoleError('internal', 'The rotation failed unexpectedly; the console log has details.');
      if (run.outcome === 'skipped') throw new ConsoleError('illegal_transition', `Key "${key.label}" was rotated meanwhile; its next rotation is planned.`);
      return run;
    },
    forecast(horizonMs, maxItems) {
      const now = clock.now();
      const list = candidates(now).map((c) => {
        const eff = deps.policies.forKey(c.key);
        return {
          id: c.key.id, label: c.key.label, type: c.key.type, currentVersion: c.key.currentVersion, policy: eff.policy, windows: eff.windows,
          job: { reason: c.job.reason, dueAt: c.job.dueAt, nextAttemptAt: c.job.state === 'failed' ? c.job.nextAttemptAt : null },
        };
      });
      return forecastRotations(list, now, horizonMs, maxItems);
    },
    syncNextRotation,
    noteUnlocked() {
      try {
        const waiting = candidates(clock.now()).filter((c) => c.due).length;
        unlockSnapshot = { at: iso(clock.now()), waiting };
      } catch (e) {
        deps.logger.warn('counting the rotations that waited failed', { error: isConsoleError(e) ? e.code : 'internal' });
      }
    },
    lastUnlock: () => unlockSnapshot,
    kick() {
      if (!stopTimer || kickQueued) return;
      kickQueued = true;
      setImmediate(() => {
        kickQueued = false;
        if (stopTimer) void scheduler.tick().catch(() => undefined);
      });
    },
  };
  return scheduler;
}
