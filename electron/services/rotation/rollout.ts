// Rollouts of new key versions to robots (issue 13, docs/rotation.md "Rollout to robots"). When a key that robots hold
// gets a new version (an officer's rotation, the scheduler, a batch job: all go through the key service's rotate, whose
// change notice calls noteKeyChanged), a rollout is queued: the robots holding an older version, split into a canary
// wave and the rest (rolloutPlan.ts). The distribution path (field key bundles, the station in distribute mode) asks
// `gate` which version each robot is due: a robot whose wave is not open yet, or whose rollout is halted, keeps
// receiving the version it holds. The bundle service reports what a robot installed (INSTALLED verified) or failed, in
// the bundle's own transaction; the rollout then opens its next wave, finishes, or halts when failures pass the
// policy's threshold. Officers halt and resume. Previous versions stay valid for the policy's grace; a version is
// retired when no robot holds it and its grace ended (the scheduler's pass), or by an officer, refused while robots
// hold it unless forced with a reason, which flags those robots "needs a visit". Every step is audited.
import { randomUUID } from 'node:crypto';
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import {
  DEFAULT_ROLLOUT_POLICY,
  type RolloutPolicy,
  RolloutPolicySchema,
  type RolloutView,
} from '../../../shared/rolloutContract.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import type { FleetRepo } from '../../store/fleetRepo.ts';
import type { KeysRepo } from '../../store/keysRepo.ts';
import type { RolloutRepo, RolloutRow } from '../../store/rolloutRepo.ts';
import type { AuditDetails, AuditLog } from '../audit/auditLog.ts';
import type { ChosenKey } from '../fleet/keyAssignments.ts';
import type { Session } from '../session/session.ts';
import { decide, dueVersion, graceOf, planWaves } from './rolloutPlan.ts';

export interface RolloutDeps {
  repo: RolloutRepo;
  keys: KeysRepo;
  fleetRepo: FleetRepo;
  session: Session;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  transaction<T>(fn: () => T): T;
  onChanged?(keyId: string | null): void;
}

export type PolicySource = 'key' | 'default' | 'builtin';

export interface VersionStatus {
  version: number;
  state: 'current' | 'in_grace' | 'grace_ended' | 'retired';
  holders: number;
  supersededAt: string | null;
  retiredAt: string | null;
  retiredBy: string | null;
  forced: boolean;
  reason: string | null;
  /** While an officer's reinstatement holds, when it ends. */
  reinstatedUntil: string | null;
}

export interface Rollouts {
  /** A key's version changed: queue a rollout when robots hold an older version and none covers the current one. */
  noteKeyChanged(keyId: string | null): void;
  /**
   * Opens every wave of the key's running rollout at once (an emergency rotation: the robots outside a compromised
   * scope must not keep the old version, which the compromised robots hold, while a canary is watched). Audited.
   */
  expedite(keyId: string, reason: string): void;
  /** Queues every rollout missing (at unlock and at every scheduler pass), then retires versions due (unlocked only). */
  sweep(now: number): void;
  /** The versions a robot is due: `chosen` (each key at its current version) with gated keys moved back. */
  gate(deviceId: string, chosen: ChosenKey[]): ChosenKey[];
  /** Inside the bundle's transaction: the robot proved the installation of these versions. */
  noteInstalled(deviceId: string, keys: ReadonlyArray<{ keyId: string; version: number }>): void;
  /** Inside the bundle's transaction: the robot did not install a bundle carrying these versions. */
  noteFailed(deviceId: string, keys: ReadonlyArray<{ keyId: string; version: number }>, code: string): void;
  list(o: { keyId?: string | undefined; state?: RolloutRow['state'] | undefined; limit?: number | undefined }): RolloutView[];
  get(rolloutId: string, robots: boolean): RolloutView;
  halt(rolloutId: string, reason: string): RolloutView;
  resume(rolloutId: string, reason?: string): RolloutView;
  policy(keyId?: string): { policy: RolloutPolicy; source: PolicySource };
  setPolicy(keyId: string | undefined, policy: RolloutPolicy | null): { policy: RolloutPolicy; source: PolicySource };
  holdings(keyId?: string): Array<{ site: string; keyId: string; currentVersion: number; current: number; previous: number; older: number }>;
  versions(keyId: string): { keyId: string; currentVersion: number; versions: VersionStatus[] };
  retire(keyId: string, version: number, o?: { force?: boolean | undefined; reason?: string | undefined }): { version: VersionStatus; flagged: string[] };
  /**
   * Undoes a retirement so the version decrypts again (to re-encrypt what it protected); for `days` no scheduler pass
   * retires it again (an officer still may). Audited with the reason.
   */
  reinstate(keyId: string, version: number, o: { reason: string; days: number }): { version: VersionStatus; until: string };
  needsVisit(site?: string): Array<{ deviceId: string; site: string; keyId: string; version: number; reason: string; flaggedAt: string; flaggedBy: string }>;
}

/** Robots that receive rollouts: those the bundle service will serve. */
const DISTRIBUTABLE = new Set(['provisioned', 'deployed']);
/** Robots whose holdings count (retirement, holdings): all but revoked and decommissioned ones. */
const HOLDING = new Set(['provisioned', 'deployed', 'quarantined']);
const DEFAULT_SCOPE = '*';

export function createRollouts(deps: RolloutDeps): Rollouts {
  const { repo, keys, fleetRepo, clock } = deps;
  const iso = (ms: number) => new Date(ms).toISOString();
  const actor = () => deps.session.actor();
  const audit = (action: string, targetType: 'key' | 'robot', targetId: string, outcome: 'success' | 'failure', details: AuditDetails) =>
    deps.audit.append({ actor: actor(), action, targetType, targetId, outcome, details });

  const effectivePolicy = (keyId?: string): { policy: RolloutPolicy; source: PolicySource } => {
    const own = keyId === undefined ? null : repo.policy(keyId);
    if (own !== null) return { policy: RolloutPolicySchema.parse(JSON.parse(own)), source: 'key' };
    const def = repo.policy(DEFAULT_SCOPE);
    if (def !== null) return { policy: RolloutPolicySchema.parse(JSON.parse(def)), source: 'default' };
    return { policy: DEFAULT_ROLLOUT_POLICY, source: 'builtin' };
  };

  const loadKey = (keyId: string) => {
    const key = keys.get(keyId);
    if (!key) throw new ConsoleError('not_found', `No key with id ${keyId}.`, { field: 'keyId' });
    return key;
  };
  const loadRollout = (id: string) => {
    const r = repo.get(id);
    if (!r) throw new ConsoleError('not_found', `No rollout with id ${id}.`, { field: 'rolloutId' });
    return r;
  };

  const toView = (r: RolloutRow, withRobots: boolean): RolloutView => {
    const progress = new Map<string, { wave: number; site: string; robots: number; installed: number; failed: number; pending: number }>();
    for (const c of repo.counts(r.id)) {
      const k = `${c.wave}\u0000${c.site}`;
      const p = progress.get(k) ?? { wave: c.wave, site: c.site, robots: 0, installed: 0, failed: 0, pending: 0 };
      p.robots += c.robots;
      p[c.state] += c.robots;
      progress.set(k, p);
    }
    const rows = [...progress.values()].sort((a, b) => a.wave - b.wave || a.site.localeCompare(b.site));
    const sum = (f: 'robots' | 'installed' | 'failed' | 'pending') => rows.reduce((n, p) => n + p[f], 0);
    return {
      rolloutId: r.id,
      keyId: r.keyId,
      fromVersion: r.fromVersion,
      toVersion: r.toVersion,
      state: r.state,
      openWave: r.openWave,
      waves: r.waves,
      robots: sum('robots'),
      installed: sum('installed'),
      failed: sum('failed'),
      pending: sum('pending'),
      progress: rows,
      policy: RolloutPolicySchema.parse(JSON.parse(r.policy)),
      createdAt: iso(r.createdAt),
      createdBy: r.createdBy,
      updatedAt: iso(r.updatedAt),
      haltReason: r.haltReason,
      haltedBy: r.haltedBy,
      finishedAt: r.finishedAt === null ? null : iso(r.finishedAt),
      ...(withRobots
        ? { members: repo.robots(r.id).map((m) => ({ deviceId: m.deviceId, site: m.site, wave: m.wave, state: m.state, attempts: m.attempts, errorCode: m.errorCode })) }
        : {}),
    };
  };

  /** Opens the next wave, finishes or halts a running rollout, as its robots' states say (in the caller's transaction). */
  const evaluate = (rolloutId: string) => {
    for (;;) {
      const r = repo.get(rolloutId);
      if (!r || r.state !== 'running') return;
      const policy = RolloutPolicySchema.parse(JSON.parse(r.policy));
      const d = decide(r.openWave, r.waves, repo.robots(r.id), policy.maxFailureRatio);
      const now = clock.now();
      const base = { rolloutId: r.id, fromVersion: r.fromVersion, toVersion: r.toVersion };
      if (d.action === 'none') return;
      if (d.action === 'open') {
        repo.update(r.id, { openWave: d.wave }, now);
        audit('rollout.wave_open', 'key', r.keyId, 'success', { ...base, wave: d.wave, waves: r.waves });
        continue;
      }
      if (d.action === 'done') {
        repo.update(r.id, { state: 'done', finishedAt: now }, now);
        audit('rollout.done', 'key', r.keyId, 'success', base);
        return;
      }
      const reason = `${d.failed} of ${d.robots} robots of the opened waves failed (${Math.round(d.ratio * 100)} %), above the threshold of ${Math.round(policy.maxFailureRatio * 100)} %.`;
      repo.update(r.id, { state: 'halted', haltReason: reason, haltedBy: 'auto' }, now);
      audit('rollout.halt', 'key', r.keyId, 'failure', { ...base, by: 'auto', wave: r.openWave, failed: d.failed, robots: d.robots, maxFailureRatio: policy.maxFailureRatio, severity: 'critical' });
      return;
    }
  };

  /** Queues the rollout of the key's current version (in its own transaction); nothing when none is needed. */
  const queue = (keyId: string): boolean => {
    const queued = deps.transaction(() => {
      const key = keys.get(keyId);
      if (!key || key.state !== 'active') return false;
      const latest = repo.latestFor(keyId);
      if (latest && latest.toVersion >= key.currentVersion) return false;
      const robots: Array<{ deviceId: string; site: string }> = [];
      for (const deviceId of fleetRepo.holders(keyId)) {
        const robot = fleetRepo.get(deviceId);
        const held = fleetRepo.keysOf(deviceId).find((k) => k.keyId === keyId)?.version ?? key.currentVersion;
        if (robot && DISTRIBUTABLE.has(robot.status) && held < key.currentVersion) robots.push({ deviceId, site: robot.site });
      }
      if (robots.length === 0) return false;
      const now = clock.now();
      for (const old of repo.openFor(keyId)) {
        repo.update(old.id, { state: 'superseded', finishedAt: now }, now);
        audit('rollout.supersede', 'key', keyId, 'success', { rolloutId: old.id, toVersion: old.toVersion, by: key.currentVersion });
      }
      const { policy } = effectivePolicy(keyId);
      const id = randomUUID();
      const planned = planWaves(robots, policy, `${keyId}@${key.currentVersion}`);
      const waves = Math.max(...planned.map((p) => p.wave));
      repo.insert(
        {
          id, keyId, fromVersion: key.currentVersion - 1, toVersion: key.currentVersion, state: 'running', openWave: 1, waves, policy: JSON.stringify(policy),
          createdAt: now, createdBy: actor(), updatedAt: now, haltReason: null, haltedBy: null, finishedAt: null,
        },
        planned,
      );
      audit('rollout.queue', 'key', keyId, 'success', {
        rolloutId: id, fromVersion: key.currentVersion - 1, toVersion: key.currentVersion, robots: planned.length,
        canary: planned.filter((p) => p.wave === 1).length, waves,
      });
      return true;
    });
    if (queued) deps.onChanged?.(keyId);
    return queued;
  };

  const retiredOrGone = (keyId: string, version: number) => {
    const v = keys.getVersion(keyId, version);
    return !v || v.destroyed || !v.wrappedMaterial || repo.retirement(keyId, version) !== null;
  };

  const holdersOf = (keyId: string, version: number) =>
    fleetRepo.holders(keyId, version).filter((id) => {
      const r = fleetRepo.get(id);
      return r !== null && HOLDING.has(r.status);
    });

  const supersededAt = (keyId: string, version: number): number | null => {
    const next = keys.getVersion(keyId, version + 1);
    return next ? Date.parse(next.createdAt) : null;
  };

  const versionStatus = (keyId: string, currentVersion: number, version: number, now: number): VersionStatus => {
    const retired = repo.retirement(keyId, version);
    const at = supersededAt(keyId, version);
    const state = retired ? 'retired' : graceOf(version, currentVersion, at, now, effectivePolicy(keyId).policy);
    return {
      version,
      state,
      holders: holdersOf(keyId, version).length,
      supersededAt: at === null ? null : iso(at),
      retiredAt: retired ? iso(retired.retiredAt) : null,
      retiredBy: retired?.retiredBy ?? null,
      forced: retired?.forced ?? false,
      reason: retired?.reason ?? null,
      reinstatedUntil: reinstatedUntil(keyId, version, now),
    };
  };

  /** While a reinstatement holds (not retired since), when it ends; otherwise null. */
  const reinstatedUntil = (keyId: string, version: number, now: number): string | null => {
    const r = repo.reinstatement(keyId, version);
    return r && r.until > now && repo.retirement(keyId, version) === null ? iso(r.until) : null;
  };

  /** Records a retirement, flagging the robots left holding it (in the caller's transaction). */
  const recordRetirement = (keyId: string, version: number, by: string, forced: boolean, reason: string | null, holders: string[]) => {
    const now = clock.now();
    repo.insertRetirement({ keyId, version, retiredAt: now, retiredBy: by, forced, reason, holders: holders.length });
    for (const deviceId of holders) {
      repo.flagVisit({ deviceId, keyId, version, reason: reason ?? 'retired', flaggedAt: now, flaggedBy: by });
      audit('robot.needs_visit', 'robot', deviceId, 'success', { keyId, version, reason: reason ?? null });
    }
    audit('rollout.retire', 'key', keyId, 'success', { version, forced, reason, holders: holders.length, by: by === 'auto' ? 'auto' : 'officer' });
  };

  const service: Rollouts = {
    expedite(keyId, reason) {
      const opened = deps.transaction(() => {
        let n = 0;
        for (const r of repo.openFor(keyId)) {
          // A halted rollout stays halted: an officer stopped it on purpose.
          if (r.state !== 'running' || r.openWave >= r.waves) continue;
          repo.update(r.id, { openWave: r.waves }, clock.now());
          audit('rollout.expedite', 'key', keyId, 'success', { rolloutId: r.id, toVersion: r.toVersion, fromWave: r.openWave, waves: r.waves, reason });
          n += 1;
        }
        return n;
      });
      if (opened > 0) deps.onChanged?.(keyId);
    },
    noteKeyChanged(keyId) {
      if (keyId === null || deps.session.status().state !== 'unlocked') return;
      try {
        queue(keyId);
      } catch (e) {
        // The rotation itself committed; the next sweep (unlock, scheduler pass) queues what was missed.
        deps.logger.error('queueing a rollout failed', { keyId, error: isConsoleError(e) ? e.code : e instanceof Error ? e.name : 'unknown' });
      }
    },

    sweep(now) {
      if (deps.session.status().state !== 'unlocked') return;
      for (const k of repo.keysToRollOut()) queue(k.keyId);
      // Previous versions of rolled-out keys that nobody holds and whose grace ended retire on their own.
      for (const keyId of repo.rolledOutKeys()) {
        const key = keys.get(keyId);
        if (!key) continue;
        for (let v = 1; v < key.currentVersion; v++) {
          if (repo.retirement(keyId, v) || !keys.getVersion(keyId, v)) continue;
          if ((repo.reinstatement(keyId, v)?.until ?? 0) > now) continue;
          const s = versionStatus(keyId, key.currentVersion, v, now);
          if (s.state === 'grace_ended' && s.holders === 0) deps.transaction(() => recordRetirement(keyId, v, 'auto', false, null, []));
        }
      }
    },

    gate(deviceId, chosen) {
      return chosen.map((c) => {
        let r = repo.latestFor(c.key.id);
        if (!r || r.toVersion < c.key.currentVersion) {
          // A rotation whose change notice was missed: queue before deciding, so the gate is never skipped.
          if (queue(c.key.id)) r = repo.latestFor(c.key.id);
        }
        const held = fleetRepo.keysOf(deviceId).find((k) => k.keyId === c.key.id)?.version ?? null;
        const member = r ? repo.robot(r.id, deviceId) : null;
        const due = dueVersion({
          rollout: r,
          member,
          currentVersion: c.key.currentVersion,
          held,
          deliverable: (v) => !retiredOrGone(c.key.id, v),
        });
        if (due === c.version.version) return c;
        const row = keys.getVersion(c.key.id, due);
        return row ? { key: c.key, version: row } : c;
      });
    },

    noteInstalled(deviceId, installed) {
      for (const k of installed) {
        if (repo.clearVisit(deviceId, k.keyId, k.version)) audit('robot.visit_done', 'robot', deviceId, 'success', { keyId: k.keyId, version: k.version });
        const r = repo.latestFor(k.keyId);
        if (!r || r.toVersion !== k.version || r.state === 'superseded') continue;
        const m = repo.robot(r.id, deviceId);
        if (!m || m.state === 'installed') continue;
        repo.setRobot(r.id, deviceId, 'installed', null, clock.now(), true);
        evaluate(r.id);
      }
      deps.onChanged?.(null);
    },

    noteFailed(deviceId, carried, code) {
      for (const k of carried) {
        const r = repo.latestFor(k.keyId);
        if (!r || r.toVersion !== k.version || r.state !== 'running') continue;
        const m = repo.robot(r.id, deviceId);
        if (!m || m.state === 'installed') continue;
        repo.setRobot(r.id, deviceId, 'failed', code.slice(0, 64), clock.now(), true);
        evaluate(r.id);
      }
      deps.onChanged?.(null);
    },

    list({ keyId, state, limit }) {
      deps.session.require();
      return repo.list({ ...(keyId === undefined ? {} : { keyId }), ...(state === undefined ? {} : { state }), limit: limit ?? 100 }).map((r) => toView(r, false));
    },

    get(rolloutId, robots) {
      deps.session.require();
      return toView(loadRollout(rolloutId), robots);
    },

    halt(rolloutId, reason) {
      return officerStep('rollout.halt', rolloutId, { reason }, (r, now) => {
        if (r.state !== 'running') throw new ConsoleError('illegal_transition', `Rollout ${r.id} is ${r.state}: only a running rollout can be halted.`, { state: r.state });
        repo.update(r.id, { state: 'halted', haltReason: reason, haltedBy: actor() }, now);
      });
    },

    resume(rolloutId, reason) {
      return officerStep('rollout.resume', rolloutId, { reason: reason ?? null }, (r, now) => {
        if (r.state !== 'halted') throw new ConsoleError('illegal_transition', `Rollout ${r.id} is ${r.state}: only a halted rollout can be resumed.`, { state: r.state });
        const retried = repo.resetFailed(r.id, now);
        repo.update(r.id, { state: 'running', haltReason: null, haltedBy: null }, now);
        evaluate(r.id);
        return { retried };
      });
    },

    policy(keyId) {
      deps.session.require();
      if (keyId !== undefined) loadKey(keyId);
      return effectivePolicy(keyId);
    },

    setPolicy(keyId, policy) {
      const target = keyId ?? null;
      try {
        const out = deps.transaction(() => {
          deps.session.require();
          if (keyId !== undefined) loadKey(keyId);
          if (policy === null && keyId === undefined) {
            repo.setPolicy(DEFAULT_SCOPE, null, clock.now(), actor());
          } else {
            const parsed = policy === null ? null : RolloutPolicySchema.safeParse(policy);
            if (parsed && !parsed.success) {
              const issue = parsed.error.issues[0];
              throw new ConsoleError('invalid_input', `The rollout policy is not valid: ${issue?.message ?? 'invalid'}.`, { field: issue?.path.join('.') ?? 'policy' });
            }
            repo.setPolicy(keyId ?? DEFAULT_SCOPE, parsed ? JSON.stringify(parsed.data) : null, clock.now(), actor());
          }
          const eff = effectivePolicy(keyId);
          deps.audit.append({ actor: actor(), action: 'rollout.policy_set', targetType: target ? 'key' : null, targetId: target, outcome: 'success', details: { scope: keyId ?? 'default', policy: policy === null ? null : JSON.stringify(policy) } });
          return eff;
        });
        return out;
      } catch (e) {
        const code = isConsoleError(e) ? e.code : 'internal';
        deps.audit.append({ actor: actor(), action: 'rollout.policy_set', targetType: target ? 'key' : null, targetId: target, outcome: 'failure', details: { scope: keyId ?? 'default', code } });
        throw isConsoleError(e) ? e : new ConsoleError('internal', 'Setting the rollout policy failed unexpectedly.');
      }
    },

    holdings(keyId) {
      deps.session.require();
      if (keyId !== undefined) loadKey(keyId);
      return repo.holdingsBySite(keyId);
    },

    versions(keyId) {
      deps.session.require();
      const key = loadKey(keyId);
      const now = clock.now();
      const versions: VersionStatus[] = [];
      for (let v = 1; v <= key.currentVersion; v++) if (keys.getVersion(keyId, v)) versions.push(versionStatus(keyId, key.currentVersion, v, now));
      return { keyId, currentVersion: key.currentVersion, versions };
    },

    retire(keyId, version, o = {}) {
      const force = o.force === true;
      try {
        return deps.transaction(() => {
          deps.session.require();
          const key = loadKey(keyId);
          if (!keys.getVersion(keyId, version)) throw new ConsoleError('not_found', `Key ${keyId} has no version ${version}.`, { field: 'version' });
          if (version >= key.currentVersion) throw new ConsoleError('illegal_transition', `Version ${version} is the current version of key ${keyId}: rotate the key first.`, { field: 'version' });
          if (repo.retirement(keyId, version)) throw new ConsoleError('illegal_transition', `Version ${version} of key ${keyId} is already retired.`, { field: 'version' });
          if (force && (o.reason === undefined || o.reason.trim() === '')) throw new ConsoleError('invalid_input', 'A forced retirement needs a reason.', { field: 'reason' });
          const holders = holdersOf(keyId, version);
          if (holders.length > 0 && !force) {
            throw new ConsoleError(
              'illegal_transition',
              `${holders.length} robot(s) still hold version ${version} of key ${keyId}: wait until the rollout reaches them, or force the retirement with a reason (they will be flagged "needs a visit").`,
              { reason: 'held_by_robots', holders: holders.length, keyId, version },
            );
          }
          recordRetirement(keyId, version, actor(), force, o.reason?.trim() ?? null, holders);
          return { version: versionStatus(keyId, key.currentVersion, version, clock.now()), flagged: holders };
        });
      } catch (e) {
        const code = isConsoleError(e) ? e.code : 'internal';
        audit('rollout.retire', 'key', keyId, 'failure', { version, forced: force, code, holders: isConsoleError(e) && typeof e.details?.holders === 'number' ? e.details.holders : null });
        throw isConsoleError(e) ? e : new ConsoleError('internal', 'Retiring the version failed unexpectedly.');
      } finally {
        deps.onChanged?.(keyId);
      }
    },

    reinstate(keyId, version, o) {
      try {
        return deps.transaction(() => {
          deps.session.require();
          loadKey(keyId);
          const v = keys.getVersion(keyId, version);
          if (!v) throw new ConsoleError('not_found', `Key ${keyId} has no version ${version}.`, { field: 'version' });
          if (v.destroyed) throw new ConsoleError('key_destroyed', `Version ${version} of key ${keyId} was destroyed; there is nothing to reinstate.`, { field: 'version' });
          const retired = repo.retirement(keyId, version);
          if (!retired) throw new ConsoleError('illegal_transition', `Version ${version} of key ${keyId} is not retired.`, { field: 'version' });
          const reason = o.reason.trim();
          if (reason === '') throw new ConsoleError('invalid_input', 'A reinstatement needs a reason.', { field: 'reason' });
          const now = clock.now();
          const until = now + o.days * 86_400_000;
          repo.reinstate({ keyId, version, reinstatedAt: now, reinstatedBy: actor(), reason, until, retiredAt: retired.retiredAt, retiredBy: retired.retiredBy });
          audit('rollout.reinstate', 'key', keyId, 'success', { version, reason, until: iso(until), retiredAt: iso(retired.retiredAt), retiredBy: retired.retiredBy });
          const key = loadKey(keyId);
          return { version: versionStatus(keyId, key.currentVersion, version, now), until: iso(until) };
        });
      } catch (e) {
        audit('rollout.reinstate', 'key', keyId, 'failure', { version, code: isConsoleError(e) ? e.code : 'internal' });
        throw isConsoleError(e) ? e : new ConsoleError('internal', 'Reinstating the version failed unexpectedly.');
      } finally {
        deps.onChanged?.(keyId);
      }
    },

    needsVisit(site) {
      deps.session.require();
      return repo.visits(site).map((v) => ({ deviceId: v.deviceId, site: v.site, keyId: v.keyId, version: v.version, reason: v.reason, flaggedAt: iso(v.flaggedAt), flaggedBy: v.flaggedBy }));
    },
  };

  /** An officer's halt or resume: the change and its record in one transaction; a refusal audited with its code. */
  function officerStep(action: string, rolloutId: string, details: AuditDetails, step: (r: RolloutRow, now: number) => AuditDetails | void): RolloutView {
    let keyId: string | null = null;
    try {
      const view = deps.transaction(() => {
        deps.session.require();
        const r = loadRollout(rolloutId);
        keyId = r.keyId;
        const extra = step(r, clock.now()) ?? {};
        audit(action, 'key', r.keyId, 'success', { rolloutId, by: 'officer', ...details, ...extra });
        return toView(loadRollout(rolloutId), false);
      });
      deps.onChanged?.(keyId);
      return view;
    } catch (e) {
      const code = isConsoleError(e) ? e.code : 'internal';
      deps.audit.append({ actor: actor(), action, targetType: keyId ? 'key' : null, targetId: keyId, outcome: 'failure', details: { rolloutId, by: 'officer', ...details, code } });
      throw isConsoleError(e) ? e : new ConsoleError('internal', `${action} failed unexpectedly.`);
    }
  }

  return service;
}
