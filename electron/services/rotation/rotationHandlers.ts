// The rotation:* channel handlers (issue 13): inputs arrive parsed by the router (shared/rotationContract.ts); the
// policies, the scheduler and the usage meter do the work, the checks and the auditing. Reads need an unlocked store.
import type { Handlers } from '../../../shared/contract.ts';
import type { KeyType } from '../../../shared/domain.ts';
import { ConsoleError } from '../../../shared/errors.ts';
import { OVERDUE_AFTER_MS } from '../../../shared/rotationContract.ts';
import type { Clock } from '../../clock.ts';
import type { KeyRow, KeysRepo } from '../../store/keysRepo.ts';
import type { JobRow } from '../../store/rotationRepo.ts';
import type { Session } from '../session/session.ts';
import { KEY_TYPES } from '../../../shared/domain.ts';
import type { RotationPolicies } from './policies.ts';
import type { ProviderRotation } from './providerRotation.ts';
import type { RotationScheduler } from './scheduler.ts';
import { DEFAULT_FORECAST_DAYS } from './upcoming.ts';
import type { VersionUsage } from './usageMeter.ts';

type RotationChannel =
  | 'rotation:status'
  | 'rotation:due'
  | 'rotation:runNow'
  | 'rotation:policies'
  | 'rotation:setTypePolicy'
  | 'rotation:setKeyPolicy'
  | 'rotation:clearKeyPolicy'
  | 'rotation:pause'
  | 'rotation:resume'
  | 'rotation:jobs'
  | 'rotation:usage'
  | 'rotation:upcoming'
  | 'rotation:providerSchedule'
  | 'rotation:checkDrift';

export interface RotationHandlerDeps {
  policies: RotationPolicies;
  /** A key's own policy goes through the provider-aware setter: a provider-driven policy (or leaving one) sets, reads
   * back or switches off the provider's schedule before the policy is stored (docs/rotation.md). */
  keyPolicy: Pick<ProviderRotation, 'setKeyPolicy' | 'schedule' | 'checkDrift'>;
  scheduler: RotationScheduler;
  keys: KeysRepo;
  session: Pick<Session, 'require'>;
  clock: Clock;
  usage(key: KeyRow, version: number): VersionUsage;
  /** Sites a key serves (its site assignments and the sites of robots it is assigned to). */
  sitesOf(keyId: string): string[];
  /** Whether periodic passes run in this process. */
  periodic(): boolean;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export function createRotationHandlers(deps: RotationHandlerDeps): Pick<Handlers, RotationChannel> {
  const { scheduler, keys, clock } = deps;

  const dueList = () => {
    const now = clock.now();
    const items = scheduler
      .upcoming()
      .filter((u) => Date.parse(u.dueAt) <= now)
      .map((u) => {
        const key = keys.get(u.keyId);
        const lateMs = Math.max(0, now - Date.parse(u.dueAt));
        return {
          keyId: u.keyId, label: key?.label ?? u.keyId, keyType: u.keyType, fromVersion: u.fromVersion, reason: u.reason, dueAt: u.dueAt, lateMs,
          overdue: lateMs >= OVERDUE_AFTER_MS, state: u.state === 'running' ? ('running' as const) : u.state === 'failed' ? ('failed' as const) : ('pending' as const),
          attempts: u.attempts, waitingFor: u.waitingFor,
        };
      })
      .sort((a, b) => b.lateMs - a.lateMs || a.keyId.localeCompare(b.keyId));
    return { now, items };
  };

  const status = () => {
    deps.session.require();
    const s = scheduler.status();
    const { now, items } = dueList();
    const overdue = items.filter((i) => i.overdue);
    const waited = scheduler.lastUnlock();
    return {
      now: iso(now), paused: s.paused, periodic: deps.periodic(), running: s.running, dueNow: items.length, overdue: overdue.length,
      maxLateMs: items.reduce((m, i) => Math.max(m, i.lateMs), 0), waiting: s.waiting, deferredByWindow: s.deferredByWindow, nextDueAt: s.nextDueAt,
      waitedWhileLocked: waited && waited.waiting > 0 ? { count: waited.waiting, unlockedAt: waited.at } : null,
    };
  };

  const keyOrThrow = (keyId: string): KeyRow => {
    const key = keys.get(keyId);
    if (!key) throw new ConsoleError('not_found', `No key with id ${keyId}.`, { field: 'keyId' });
    return key;
  };

  const jobView = (j: JobRow) => {
    const key = keys.get(j.keyId);
    return {
      keyId: j.keyId, label: key?.label ?? null, keyType: key?.type ?? null, fromVersion: j.fromVersion, toVersion: j.toVersion, reason: j.reason, state: j.state,
      dueAt: iso(j.dueAt), startedAt: isoOrNull(j.startedAt), finishedAt: isoOrNull(j.finishedAt), lateMs: j.lateMs, attempts: j.attempts, errorCode: j.errorCode,
      nextAttemptAt: isoOrNull(j.nextAttemptAt),
    };
  };

  const usageView = (key: KeyRow, version: number) => {
    const u = deps.usage(key, version);
    return {
      keyId: key.id, label: key.label, keyType: key.type, version, current: version === key.currentVersion, count: u.count, limit: u.limit, warnAt: u.warnAt,
      warned: u.warned, limitReached: u.limitReached,
    };
  };

  return {
    'rotation:status': async () => status(),
    'rotation:due': async () => {
      deps.session.require();
      const { now, items } = dueList();
      return { now: iso(now), items };
    },
    'rotation:runNow': async ({ keyId }) => {
      // Locked or not initialised first: an unknown key id must not be told apart from a known one while locked.
      deps.session.require();
      keyOrThrow(keyId);
      const run = await scheduler.runNow(keyId);
      if (run.toVersion === null) throw new ConsoleError('internal', 'The rotation made no version.');
      return { keyId, fromVersion: run.fromVersion, toVersion: run.toVersion, lateMs: run.lateMs, reason: run.reason };
    },
    'rotation:policies': async ({ keyId }) => {
      deps.session.require();
      const types = (KEY_TYPES as readonly KeyType[]).map((type) => {
        const e = deps.policies.forType(type);
        return { type, policy: e.policy, source: e.source };
      });
      const overrides = deps.policies
        .list()
        .filter((p) => p.scope === 'key')
        .map((p) => {
          const key = keys.get(p.scopeId);
          return { keyId: p.scopeId, label: key?.label ?? null, keyType: key?.type ?? null, policy: p.policy, updatedAt: p.updatedAt, updatedBy: p.updatedBy };
        });
      let key = null;
      if (keyId !== undefined) {
        const e = deps.policies.forKey(keyOrThrow(keyId));
        key = { keyId, policy: e.policy, source: e.source };
      }
      return { types, overrides, key };
    },
    'rotation:setTypePolicy': async ({ type, policy }) => {
      deps.policies.setTypePolicy(type, policy);
      deps.scheduler.syncNextRotation();
      const e = deps.policies.forType(type);
      return { type, policy: e.policy, source: e.source };
    },
    'rotation:setKeyPolicy': async ({ keyId, policy }) => {
      await deps.keyPolicy.setKeyPolicy(keyId, policy);
      deps.scheduler.syncNextRotation(keyId);
      const e = deps.policies.forKey(keyOrThrow(keyId));
      return { keyId, policy: e.policy, source: e.source };
    },
    'rotation:providerSchedule': async ({ keyId }) => {
      const s = await deps.keyPolicy.schedule(keyId);
      return { keyId, provider: keyOrThrow(keyId).provider, enabled: s.enabled, periodSeconds: s.periodSeconds, nextRotationAt: s.nextRotationAt };
    },
    'rotation:checkDrift': async ({ keyId }) => {
      const r = await deps.keyPolicy.checkDrift({ ...(keyId === undefined ? {} : { keyId }), by: 'officer' });
      return { checked: r.checked, drift: r.drift, errors: r.errors };
    },
    'rotation:clearKeyPolicy': async ({ keyId }) => {
      await deps.keyPolicy.setKeyPolicy(keyId, null);
      deps.scheduler.syncNextRotation(keyId);
      const e = deps.policies.forKey(keyOrThrow(keyId));
      return { keyId, policy: e.policy, source: e.source };
    },
    'rotation:pause': async () => {
      scheduler.pause();
      return status();
    },
    'rotation:resume': async () => {
      scheduler.resume();
      return status();
    },
    'rotation:jobs': async ({ keyId, limit }) => {
      deps.session.require();
      if (keyId !== undefined) keyOrThrow(keyId);
      return { jobs: scheduler.jobs(limit ?? 100, keyId).map(jobView) };
    },
    'rotation:usage': async ({ keyId }) => {
      deps.session.require();
      if (keyId !== undefined) {
        const key = keyOrThrow(keyId);
        const versions = Array.from({ length: key.currentVersion }, (_, i) => key.currentVersion - i);
        return { versions: versions.map((v) => usageView(key, v)) };
      }
      return { versions: keys.list({ state: 'active' }).map((k) => usageView(k, k.currentVersion)) };
    },
    'rotation:upcoming': async ({ days }) => {
      deps.session.require();
      const horizon = (days ?? DEFAULT_FORECAST_DAYS) * DAY_MS;
      const now = clock.now();
      const forecast = scheduler.forecast(horizon);
      const sites = new Map<string, string[]>();
      const sitesOf = (id: string) => {
        let s = sites.get(id);
        if (!s) sites.set(id, (s = deps.sitesOf(id)));
        return s;
      };
      return {
        now: iso(now),
        until: iso(now + horizon),
        truncated: forecast.truncated,
        items: forecast.items.map((i) => ({
          keyId: i.keyId, label: i.label, keyType: i.keyType, sites: sitesOf(i.keyId), fromVersion: i.fromVersion, reason: i.reason, dueAt: iso(i.dueAt),
          startsAt: isoOrNull(i.startsAt), heldBy: i.heldBy, overdue: i.overdue, projected: i.projected,
        })),
      };
    },
  };
}
