// The circuit breaker on its own, step by step against the documented behaviour (docs/providers.md, "Circuit breaker
// per provider"): closed -> open after N consecutive failures -> half-open once openMs have passed -> one probe; its
// success closes, its failure reopens; health results close from any state or count as one failure. Each step's
// expected state, failure count, opening time and transition events are written out here; time is a manual clock.
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import { type Admission, type BreakerState, createCircuitBreaker } from '../../electron/providers/resilience/circuitBreaker.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function breaker(failureThreshold = 3, openMs = 1000) {
  const clock = manualClock(T0);
  const changes: string[] = [];
  const b = createCircuitBreaker({ failureThreshold, openMs }, clock, (from: BreakerState, to: BreakerState) => changes.push(`${from}->${to}`));
  const look = () => ({ state: b.state(), failures: b.consecutiveFailures(), openedAt: b.openedAt() });
  return { b, clock, changes, look };
}

describe('circuit breaker: closed', () => {
  it('admits calls; opens at exactly the threshold of consecutive failures, at the time of the last one', () => {
    const { b, clock, changes, look } = breaker(3);
    expect(look()).toEqual({ state: 'closed', failures: 0, openedAt: null });
    expect(b.admit()).toBe('call');
    b.failure('call');
    expect(look()).toEqual({ state: 'closed', failures: 1, openedAt: null });
    clock.advance(5);
    b.failure(b.admit());
    expect(look()).toEqual({ state: 'closed', failures: 2, openedAt: null });
    expect(changes).toEqual([]);
    clock.advance(7);
    expect(b.admit()).toBe('call');
    b.failure('call');
    expect(look()).toEqual({ state: 'open', failures: 3, openedAt: T0 + 12 });
    expect(changes).toEqual(['closed->open']);
  });

  it('a threshold of 1 opens on the first failure', () => {
    const { b, look } = breaker(1);
    b.failure(b.admit());
    expect(look()).toMatchObject({ state: 'open', failures: 1 });
  });

  it('a success in between resets the count: failures must be consecutive', () => {
    const { b, look, changes } = breaker(3);
    b.failure(b.admit());
    b.failure(b.admit());
    b.success(b.admit());
    expect(look()).toEqual({ state: 'closed', failures: 0, openedAt: null });
    b.failure(b.admit());
    b.failure(b.admit());
    expect(look()).toEqual({ state: 'closed', failures: 2, openedAt: null });
    expect(changes).toEqual([]);
  });

  it('a call admitted before the circuit opened neither closes it nor resets the count when it succeeds late', () => {
    const { b, look } = breaker(2);
    const early = b.admit();
    b.failure(b.admit());
    b.failure(b.admit());
    expect(look()).toMatchObject({ state: 'open', failures: 2 });
    b.success(early);
    expect(look()).toMatchObject({ state: 'open', failures: 2 });
  });

  it('a late failure of a call admitted before the circuit opened counts, but does not move the opening time', () => {
    const { b, clock, look, changes } = breaker(2);
    const early = b.admit();
    b.failure(b.admit());
    b.failure(b.admit());
    clock.advance(100);
    b.failure(early);
    expect(look()).toEqual({ state: 'open', failures: 3, openedAt: T0 });
    expect(changes).toEqual(['closed->open']);
  });

  it('a refused admission reports nothing: success and failure of "reject" change nothing', () => {
    const { b, look, changes } = breaker(1);
    b.failure(b.admit());
    expect(b.admit()).toBe('reject');
    b.success('reject');
    expect(look()).toEqual({ state: 'open', failures: 1, openedAt: T0 });
    b.failure('reject');
    expect(look()).toEqual({ state: 'open', failures: 1, openedAt: T0 });
    expect(changes).toEqual(['closed->open']);
  });

  it('a call refused while open that reports success after the circuit closed again does not reset the count', () => {
    const { b, look } = breaker(2);
    b.failure(b.admit());
    b.failure(b.admit());
    const refused = b.admit();
    expect(refused).toBe('reject');
    b.observeHealth(true);
    b.failure(b.admit());
    b.success(refused);
    expect(look()).toEqual({ state: 'closed', failures: 1, openedAt: null });
  });
});

describe('circuit breaker: open and half-open', () => {
  it('refuses until openMs have passed, then half-opens (state() says so before any call)', () => {
    const { b, clock, look, changes } = breaker(1, 1000);
    b.failure(b.admit());
    clock.advance(999);
    expect(b.admit()).toBe('reject');
    expect(look()).toEqual({ state: 'open', failures: 1, openedAt: T0 });
    clock.advance(1);
    expect(b.state()).toBe('half_open');
    expect(changes).toEqual(['closed->open', 'open->half_open']);
  });

  it('admit() half-opens by itself once openMs have passed, and lets exactly one probe through', () => {
    const { b, clock, changes } = breaker(1, 1000);
    b.failure(b.admit());
    clock.advance(1000);
    const admissions: Admission[] = [b.admit(), b.admit(), b.admit()];
    expect(admissions).toEqual(['probe', 'reject', 'reject']);
    expect(changes).toEqual(['closed->open', 'open->half_open']);
  });

  it('a successful probe closes the circuit: count reset, no opening time, calls admitted again', () => {
    const { b, clock, look, changes } = breaker(2, 1000);
    b.failure(b.admit());
    b.failure(b.admit());
    clock.advance(1500);
    const probe = b.admit();
    expect(probe).toBe('probe');
    b.success(probe);
    expect(look()).toEqual({ state: 'closed', failures: 0, openedAt: null });
    expect(changes).toEqual(['closed->open', 'open->half_open', 'half_open->closed']);
    expect(b.admit()).toBe('call');
    // Counting starts again from zero: one failure does not reopen a threshold-2 breaker.
    b.failure('call');
    expect(b.state()).toBe('closed');
  });

  it('a failed probe reopens the circuit at the probe time and counts the failure; the next probe comes after openMs again', () => {
    const { b, clock, look, changes } = breaker(2, 1000);
    b.failure(b.admit());
    b.failure(b.admit());
    clock.advance(1200);
    const probe = b.admit();
    b.failure(probe);
    expect(look()).toEqual({ state: 'open', failures: 3, openedAt: T0 + 1200 });
    expect(changes).toEqual(['closed->open', 'open->half_open', 'half_open->open']);
    clock.advance(999);
    expect(b.admit()).toBe('reject');
    clock.advance(1);
    expect(b.admit()).toBe('probe');
  });

  it('after a failed probe a new probe is allowed (the in-flight mark is cleared)', () => {
    const { b, clock } = breaker(1, 10);
    b.failure(b.admit());
    clock.advance(10);
    b.failure(b.admit());
    clock.advance(10);
    const second = b.admit();
    expect(second).toBe('probe');
    b.success(second);
    expect(b.state()).toBe('closed');
    // After a probe succeeded, a later half-open gets its own probe too.
    b.failure(b.admit());
    clock.advance(10);
    expect(b.admit()).toBe('probe');
  });

  it('a "call" result reported while half-open neither closes nor reopens the circuit', () => {
    const { b, clock, look } = breaker(1, 10);
    b.failure(b.admit());
    clock.advance(10);
    expect(b.state()).toBe('half_open');
    b.success('call');
    expect(look()).toMatchObject({ state: 'half_open', failures: 1 });
    b.failure('call');
    expect(look()).toMatchObject({ state: 'half_open', failures: 2 });
  });
});

describe('circuit breaker: health results', () => {
  it('a healthy result closes the circuit from open and from half-open, resetting the count', () => {
    for (const wait of [0, 1000]) {
      const { b, clock, look, changes } = breaker(1, 1000);
      b.failure(b.admit());
      clock.advance(wait);
      b.observeHealth(true);
      expect(look()).toEqual({ state: 'closed', failures: 0, openedAt: null });
      expect(changes.at(-1)).toMatch(/->closed$/);
      expect(b.admit()).toBe('call');
    }
  });

  it('a healthy result while closed resets the count without a transition event', () => {
    const { b, look, changes } = breaker(3);
    b.failure(b.admit());
    b.failure(b.admit());
    b.observeHealth(true);
    expect(look()).toEqual({ state: 'closed', failures: 0, openedAt: null });
    expect(changes).toEqual([]);
  });

  it('an unhealthy result while closed counts as one failure and can open the circuit', () => {
    const { b, clock, look, changes } = breaker(2);
    b.observeHealth(false);
    expect(look()).toEqual({ state: 'closed', failures: 1, openedAt: null });
    clock.advance(3);
    b.observeHealth(false);
    expect(look()).toEqual({ state: 'open', failures: 2, openedAt: T0 + 3 });
    expect(changes).toEqual(['closed->open']);
  });

  it('an unhealthy result while open counts and keeps it open from the original time', () => {
    const { b, clock, look } = breaker(1, 1000);
    b.failure(b.admit());
    clock.advance(500);
    b.observeHealth(false);
    expect(look()).toEqual({ state: 'open', failures: 2, openedAt: T0 });
  });

  it('an unhealthy result while half-open reopens it, unless a probe is in flight (the probe decides)', () => {
    const idle = breaker(1, 1000);
    idle.b.failure(idle.b.admit());
    idle.clock.advance(1000);
    expect(idle.b.state()).toBe('half_open');
    idle.b.observeHealth(false);
    expect(idle.look()).toEqual({ state: 'open', failures: 2, openedAt: T0 + 1000 });
    expect(idle.changes).toEqual(['closed->open', 'open->half_open', 'half_open->open']);

    const probing = breaker(1, 1000);
    probing.b.failure(probing.b.admit());
    probing.clock.advance(1000);
    const probe = probing.b.admit();
    probing.b.observeHealth(false);
    expect(probing.look()).toEqual({ state: 'half_open', failures: 2, openedAt: T0 });
    probing.b.success(probe);
    expect(probing.b.state()).toBe('closed');
  });
});
