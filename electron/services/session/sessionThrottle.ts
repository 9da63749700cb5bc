// Unlock throttling: after THROTTLE_FREE_ATTEMPTS wrong passphrases, attempts are refused until an exponentially
// growing delay (counted from the last failure) has passed. The count is persisted, so a restart does not reset it.
import type { ThrottleRow } from '../../store/storeMetaRepo.ts';

export const THROTTLE_FREE_ATTEMPTS = 3;
export const THROTTLE_BASE_DELAY_MS = 5_000;
export const THROTTLE_MAX_DELAY_MS = 60 * 60 * 1000;

/** Delay imposed after `failures` consecutive failures (0 below the free attempts). */
export function throttleDelayMs(failures: number): number {
  if (failures < THROTTLE_FREE_ATTEMPTS) return 0;
  const exponent = Math.min(failures - THROTTLE_FREE_ATTEMPTS, 20);
  return Math.min(THROTTLE_BASE_DELAY_MS * 2 ** exponent, THROTTLE_MAX_DELAY_MS);
}

/** Milliseconds until the next attempt is accepted. */
export function retryAfterMs(row: ThrottleRow, nowMs: number): number {
  if (row.lastFailureMs === null) return 0;
  const until = row.lastFailureMs + throttleDelayMs(row.failedAttempts);
  return Math.max(0, Math.ceil(until - nowMs));
}
