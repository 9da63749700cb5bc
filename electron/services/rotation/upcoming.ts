// What rotates when over the next days (issue 13, the rotation screen's timeline): a projection from each key's
// policy, its windows and the jitter fixed per version, starting from what the scheduler has planned today.
//
// Per key: the current version's rotation is the scheduler's own job (its due time; a usage-limit request or a retry
// time when there is one). It starts at the first time at or after max(due, now) that the policy's windows allow (a
// usage-limit rotation ignores them, as the scheduler does). The next version is then assumed made at that start, so
// its rotation is due a period later plus its own jitter, and so on until the horizon. A missed rotation appears once
// (overdue, starting now), never once per missed period: the scheduler runs it once.
import type { KeyType } from '../../../shared/domain.ts';
import type { JobReason } from '../../store/rotationRepo.ts';
import type { PolicyWindows, RotationPolicy } from './policy.ts';
import { jitterMs } from './jitter.ts';

/** A key with what the projection needs: its policy and the scheduler's job for its current version. */
export interface ForecastKey {
  id: string;
  label: string;
  type: KeyType;
  currentVersion: number;
  policy: RotationPolicy;
  windows: PolicyWindows;
  /** The scheduler's open or planned job for the current version (null: none, e.g. a manual policy). */
  job: { reason: JobReason; dueAt: number; nextAttemptAt: number | null } | null;
}

export interface ForecastItem {
  keyId: string;
  label: string;
  keyType: KeyType;
  /** The version rotated away from. */
  fromVersion: number;
  reason: JobReason;
  dueAt: number;
  /** When it may start (windows and retry time applied, never before now); null: no allowed time within the horizon. */
  startsAt: number | null;
  /** What pushes the start past the due time (or now): a window, or null. */
  heldBy: 'maintenance' | 'blackout' | null;
  /** Due before now. */
  overdue: boolean;
  /** False for the current version's job; true for later versions (assumes each earlier rotation ran at its start). */
  projected: boolean;
}

export interface Forecast {
  items: ForecastItem[];
  /** Items were left off at maxItems (the earliest are kept per key, then overall by start). */
  truncated: boolean;
}

export const DEFAULT_FORECAST_DAYS = 30;
/** Per key (a 1-hour period over 30 days is 720). */
export const MAX_FORECAST_PER_KEY = 1000;

/** The rotations due from now to now + horizonMs, earliest first (by due time, then key id). */
export function forecastRotations(keys: readonly ForecastKey[], now: number, horizonMs: number, maxItems = 10_000): Forecast {
  const until = now + horizonMs;
  const items: ForecastItem[] = [];
  let truncated = false;
  for (const key of keys) {
    if (!key.job) continue;
    const period = key.policy.mode === 'scheduled' ? key.policy.periodSeconds : null;
    let version = key.currentVersion;
    let due = key.job.dueAt;
    let earliest = Math.max(due, key.job.nextAttemptAt ?? due, now);
    let reason: JobReason = key.job.reason;
    for (let n = 0; due <= until; n++) {
      if (n >= MAX_FORECAST_PER_KEY) {
        truncated = true;
        break;
      }
      const ignoresWindows = reason === 'usage_limit';
      const start = ignoresWindows ? earliest : key.windows.nextAllowed(earliest, until);
      items.push({
        keyId: key.id, label: key.label, keyType: key.type, fromVersion: version, reason, dueAt: due, startsAt: start,
        heldBy: ignoresWindows || start === earliest ? null : key.windows.blocks(earliest), overdue: due < now, projected: n > 0,
      });
      if (start === null || period === null) break;
      version += 1;
      due = start + period * 1000 + jitterMs(key.id, version, key.policy.jitterSeconds);
      earliest = Math.max(due, now);
      reason = 'schedule';
    }
  }
  items.sort((a, b) => a.dueAt - b.dueAt || a.keyId.localeCompare(b.keyId) || a.fromVersion - b.fromVersion);
  if (items.length > maxItems) {
    truncated = true;
    items.length = maxItems;
  }
  return { items, truncated };
}
