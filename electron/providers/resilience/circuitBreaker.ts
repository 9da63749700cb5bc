// One circuit breaker per provider instance: closed -> open after `failureThreshold` consecutive failures ->
// half-open once `openMs` have passed -> one probe call: success closes it, failure opens it again.
import type { Clock } from '../../clock.ts';

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  failureThreshold: number;
  openMs: number;
}

/** What admit() decided: a normal call, the single half-open probe, or a refusal. */
export type Admission = 'call' | 'probe' | 'reject';

export interface CircuitBreaker {
  state(): BreakerState;
  consecutiveFailures(): number;
  openedAt(): number | null;
  admit(): Admission;
  success(admission: Admission): void;
  failure(admission: Admission): void;
  /** Health check results: ok closes the breaker from any state; not ok counts as one failure. */
  observeHealth(ok: boolean): void;
}

export function createCircuitBreaker(opts: BreakerOptions, clock: Clock, onChange: (from: BreakerState, to: BreakerState) => void): CircuitBreaker {
  let state: BreakerState = 'closed';
  let failures = 0;
  let openedAt: number | null = null;
  let probeInFlight = false;

  const move = (to: BreakerState) => {
    if (to === state) return;
    const from = state;
    state = to;
    if (to === 'open') openedAt = clock.now();
    if (to === 'closed') {
      openedAt = null;
      failures = 0;
    }
    onChange(from, to);
  };

  const countFailure = () => {
    failures++;
    if (state === 'closed' && failures >= opts.failureThreshold) move('open');
  };

  return {
    state: () => {
      // Report half-open as soon as the waiting time is over, even before the next call arrives.
      if (state === 'open' && openedAt !== null && clock.now() - openedAt >= opts.openMs) move('half_open');
      return state;
    },
    consecutiveFailures: () => failures,
    openedAt: () => openedAt,
    admit() {
      if (state === 'open' && openedAt !== null && clock.now() - openedAt >= opts.openMs) move('half_open');
      if (state === 'closed') return 'call';
      if (state === 'half_open' && !probeInFlight) {
        probeInFlight = true;
        return 'probe';
      }
      return 'reject';
    },
    success(admission) {
      if (admission === 'probe') {
        probeInFlight = false;
        move('closed');
      } else if (admission === 'call' && state === 'closed') {
        failures = 0;
      }
    },
    failure(admission) {
      if (admission === 'probe') {
        probeInFlight = false;
        failures++;
        move('open');
      } else if (admission === 'call') {
        countFailure();
      }
    },
    observeHealth(ok) {
      if (ok) {
        move('closed');
        failures = 0;
      } else if (state === 'closed') {
        countFailure();
      } else {
        failures++;
        if (state === 'half_open' && !probeInFlight) move('open');
      }
    },
  };
}
