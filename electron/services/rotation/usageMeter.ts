// Usage limits per key version (issue 13): the console counts every encryption it makes with a key version (each
// wraps one fresh data key under the version, or, on a provider with the data-key cache on, uses one cached data key
// that the version wrapped), warns at 80 % of the version's limit, requests rotation when the limit is reached and
// refuses to encrypt past it (usage_limit_reached).
//
// Never undercount: a count is handed out only when a durable reservation covers it. The stored `reserved` is raised
// in blocks (block uses at a time) ahead of the count. The raise is part of the encryption's own store changes, so it
// commits in the same transaction as the encryption's audit record (the group commit of keysShared.runAudited), and
// the ciphertext is returned only after that transaction is durable. Every encryption whose count is above the last
// reservation known to be durable writes its raise itself (a conditional UPDATE that only ever raises), so one failed
// writer cannot leave another's count uncovered. After a crash or restart counting resumes from `reserved`: the count
// can only be too high (by less than one block), never too low.
import { ConsoleError } from '../../../shared/errors.ts';
import type { Clock } from '../../clock.ts';
import type { KeyRow } from '../../store/keysRepo.ts';
import type { RotationRepo } from '../../store/rotationRepo.ts';
import type { UsageRepo } from '../../store/usageRepo.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import type { Session } from '../session/session.ts';
import type { RotationPolicies } from './policies.ts';
import { USAGE_WARN_FRACTION } from './policy.ts';

/** Uses reserved per durable write (a crash overcounts by less than this). */
export const DEFAULT_USAGE_BLOCK = 1024;

/** One claimed use: its store changes join the encryption's commit; `committed` once that commit is durable. */
export interface UsageClaim {
  /** Runs inside the encryption's transaction (with its audit record). */
  work(): void;
  /** The transaction committed: the reservation it wrote is durable. */
  committed(): void;
  /** The encryption failed or its commit did not happen: a warning or request it was to write is left to the next claim. */
  abandoned(): void;
}

export interface VersionUsage {
  keyId: string;
  version: number;
  /** Encryptions counted (after a restart: the reservation it resumed from, so possibly a little above the truth). */
  count: number;
  /** The durable reservation (>= count of every handed-out ciphertext). */
  reserved: number;
  limit: number;
  warnAt: number;
  warned: boolean;
  limitReached: boolean;
}

export interface UsageMeter {
  /** Claims one encryption with the key's version; throws usage_limit_reached at the limit. Call before encrypting. */
  claim(key: KeyRow, version: number): UsageClaim;
  /** The usage of one version (counted and durable). */
  usage(key: KeyRow, version: number): VersionUsage;
}

export interface UsageMeterDeps {
  repo: UsageRepo;
  rotation: RotationRepo;
  policies: RotationPolicies;
  session: Session;
  audit: AuditLog;
  clock: Clock;
  transaction<T>(fn: () => T): T;
  block?: number;
  /** A version reached its limit and its rotation was requested durably (the scheduler runs it soon). */
  onLimitReached(keyId: string, version: number): void;
}

interface Counter {
  used: number;
  /** Highest reservation known durable. */
  durable: number;
  /** Highest reservation any claim has written (maybe not yet committed). */
  writing: number;
  warned: boolean;
  warnWriting: boolean;
  requested: boolean;
}

export const warnThreshold = (limit: number): number => Math.ceil(limit * USAGE_WARN_FRACTION);

export function createUsageMeter(deps: UsageMeterDeps): UsageMeter {
  const block = deps.block ?? DEFAULT_USAGE_BLOCK;
  if (!Number.isSafeInteger(block) || block < 1) throw new RangeError('the usage block must be a positive integer');
  // Per key id, per version: found with two map lookups and no key string on each encryption.
  const counters = new Map<string, Map<number, Counter>>();

  const counter = (keyId: string, version: number): Counter => {
    let versions = counters.get(keyId);
    if (!versions) counters.set(keyId, (versions = new Map()));
    let c = versions.get(version);
    if (!c) {
      const row = deps.repo.get(keyId, version);
      const reserved = row?.reserved ?? 0;
      c = { used: reserved, durable: reserved, writing: reserved, warned: row?.warnedAt != null, warnWriting: false, requested: row?.limitReachedAt != null };
      versions.set(version, c);
    }
    return c;
  };

  const nowIso = () => new Date(deps.clock.now()).toISOString();

  /** The limit was reached (or lowered below the count): records it and requests the rotation, once. */
  const request = (key: KeyRow, version: number, limit: number, count: number) => {
    deps.repo.reserveAtLeast(key.id, version, 0);
    deps.repo.markLimitReached(key.id, version, nowIso());
    deps.rotation.requestNow(key.id, version, deps.clock.now());
    deps.audit.append({
      actor: deps.session.actor(), action: 'rotation.requested', targetType: 'key', targetId: key.id, outcome: 'success',
      details: { version, reason: 'usage_limit', count, limit },
    });
  };

  return {
    claim(key, version) {
      const c = counter(key.id, version);
      const limit = deps.policies.forKey(key).policy.usageLimit;
      if (c.used >= limit) {
        if (!c.requested) {
          deps.transaction(() => request(key, version, limit, c.used));
          c.requested = true;
          deps.onLimitReached(key.id, version);
        }
        throw new ConsoleError(
          'usage_limit_reached',
          `Version ${version} of key ${key.id} has made ${c.used} encryptions, its usage limit is ${limit}: rotate the key (its rotation was requested) and encrypt again.`,
          { version, limit },
        );
      }
      const n = ++c.used;
      let target = 0;
      if (n > c.durable) {
        target = c.writing >= n ? c.writing : Math.min(n - 1 + block, limit);
        c.writing = Math.max(c.writing, target);
      }
      const warn = !c.warned && !c.warnWriting && n >= warnThreshold(limit);
      if (warn) c.warnWriting = true;
      const reached = n === limit && !c.requested;
      if (reached) c.requested = true;
      let ran = false;
      return {
        work() {
          ran = true;
          if (target > 0) deps.repo.reserveAtLeast(key.id, version, target);
          if (warn) {
            deps.repo.markWarned(key.id, version, nowIso());
            deps.audit.append({
              actor: deps.session.actor(), action: 'key.usage_warning', targetType: 'key', targetId: key.id, outcome: 'success',
              details: { version, count: n, limit, percent: Math.floor((n * 100) / limit), severity: 'warning' },
            });
          }
          if (reached) request(key, version, limit, n);
        },
        committed() {
          if (!ran) return;
          if (target > c.durable) c.durable = target;
          if (warn) c.warned = true;
          if (reached) deps.onLimitReached(key.id, version);
        },
        abandoned() {
          if (warn) c.warnWriting = false;
          if (reached) c.requested = false;
        },
      };
    },
    usage(key, version) {
      const c = counter(key.id, version);
      const row = deps.repo.get(key.id, version);
      const limit = deps.policies.forKey(key).policy.usageLimit;
      return {
        keyId: key.id, version, count: c.used, reserved: row?.reserved ?? 0, limit, warnAt: warnThreshold(limit),
        warned: row?.warnedAt != null, limitReached: row?.limitReachedAt != null,
      };
    },
  };
}
