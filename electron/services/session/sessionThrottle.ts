// Unlock throttling: after THROTTLE_FREE_ATTEMPTS wrong passphrases, attempts are refused until an exponentially
// growing delay (counted from the last failure) has passed. The count is persisted, so a restart does not reset it.
// The same policy guards an operator's unlock (session.ts, a row of the store) and an incident kit's sign-in
// (incidentKit/kitThrottle.ts, a file of the kit).
import { ConsoleError } from '../../../shared/errors.ts';
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

/** The row after one more failure at `nowMs`. */
export function afterFailure(row: ThrottleRow, nowMs: number): ThrottleRow {
  return { failedAttempts: row.failedAttempts + 1, lastFailureMs: nowMs };
}

/** A wait in words: "45 s", "2 min 5 s", "1 h" (rounded up to the second). */
export function waitInWords(ms: number): string {
  const s = Math.ceil(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return s % 60 === 0 ? `${s / 60} min` : `${Math.floor(s / 60)} min ${s % 60} s`;
  const m = Math.ceil((s % 3600) / 60);
  return m === 0 ? `${Math.floor(s / 3600)} h` : `${Math.floor(s / 3600)} h ${m} min`;
}

/** Throws too_many_attempts (details.retryAfterMs) while the row's wait lasts; `what` names what is paused. */
export function throttleGate(row: ThrottleRow, nowMs: number, what = ''): void {
  const wait = retryAfterMs(row, nowMs);
  if (wait > 0) {
    throw new ConsoleError('too_many_attempts', `Too many wrong passphrases${what}; try again in ${waitInWords(wait)}.`, { retryAfterMs: wait });
  }
}
