// Options of withResilience, their validation (one invalid_input naming the field), and the default timers.
import { ConsoleError } from '../../../shared/errors.ts';
import type { Clock } from '../../clock.ts';
import type { BreakerOptions } from './circuitBreaker.ts';

export interface Timers {
  /** Runs fn once after ms; returns a cancel function. A caller awaits it (deadline, backoff): it keeps the process alive. */
  setTimeout(fn: () => void, ms: number): () => void;
  /** Runs fn every ms; returns a cancel function. Background work (health checks): it never keeps the process alive. */
  setInterval(fn: () => void, ms: number): () => void;
}

export interface ResilienceOptions {
  clock: Clock;
  /** Per attempt; an attempt that takes longer fails with Unavailable (providerCode "Timeout"). */
  timeoutMs: number;
  /** Retries after the first attempt (0 = none). */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Uniform in [0, 1); drives the full jitter. Default Math.random. */
  random?: () => number;
  breaker: BreakerOptions;
  /** Default: timers.setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** Default: nodeTimers. */
  timers?: Timers;
}

/**
 * Node's timers. A one-shot timer is a deadline or a backoff wait that a pending operation awaits, so it stays ref'd:
 * an unref'd one let the CLI exit 0 in the middle of a retry. Only the periodic health checks are unref'd, so an idle
 * process (the window, a finished CLI command) is never kept alive by them.
 */
export const nodeTimers: Timers = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
  setInterval(fn, ms) {
    const t = setInterval(fn, ms);
    t.unref();
    return () => clearInterval(t);
  },
};

function check(ok: boolean, field: string, rule: string): void {
  if (!ok) throw new ConsoleError('invalid_input', `Resilience option ${field} ${rule}.`, { field });
}

const int = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

export function validateResilienceOptions(o: ResilienceOptions): void {
  check(typeof o.clock?.now === 'function', 'clock', 'must be a clock');
  check(int(o.timeoutMs) && o.timeoutMs >= 1 && o.timeoutMs <= 600_000, 'timeoutMs', 'must be an integer from 1 to 600000');
  check(int(o.maxRetries) && o.maxRetries >= 0 && o.maxRetries <= 10, 'maxRetries', 'must be an integer from 0 to 10');
  check(int(o.baseDelayMs) && o.baseDelayMs >= 1 && o.baseDelayMs <= 60_000, 'baseDelayMs', 'must be an integer from 1 to 60000');
  check(int(o.maxDelayMs) && o.maxDelayMs >= o.baseDelayMs && o.maxDelayMs <= 600_000, 'maxDelayMs', 'must be an integer from baseDelayMs to 600000');
  check(int(o.breaker?.failureThreshold) && o.breaker.failureThreshold >= 1 && o.breaker.failureThreshold <= 1000, 'breaker.failureThreshold', 'must be an integer from 1 to 1000');
  check(int(o.breaker?.openMs) && o.breaker.openMs >= 1 && o.breaker.openMs <= 3_600_000, 'breaker.openMs', 'must be an integer from 1 to 3600000');
}

/** Full jitter: uniform in [0, min(maxDelay, base * 2^attempt)). `attempt` counts from 0 for the first retry. */
export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs: number, random: () => number): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
  const r = random();
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1 - Number.EPSILON) : 0;
  return Math.floor(unit * ceiling);
}
