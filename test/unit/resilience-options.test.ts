// withResilience's option checks, backoff formula and Node timers, against tables written out here from the documented
// ranges and formula (docs/providers.md, "Resilience"): each field's bounds both sides, with the exact message naming
// the field; the n-th retry waits floor(random() x min(maxDelay, base x 2^(n-1))); one-shot timers are ref'd, the
// periodic one is not. Node's timers are observed through fake timers and a spy, never by waiting.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import { backoffDelay, nodeTimers, type ResilienceOptions, validateResilienceOptions } from '../../electron/providers/resilience/resilienceOptions.ts';
import { isConsoleError } from '../../shared/errors.ts';

const valid = (): ResilienceOptions => ({
  clock: manualClock(),
  timeoutMs: 1000,
  maxRetries: 3,
  baseDelayMs: 100,
  maxDelayMs: 1000,
  breaker: { failureThreshold: 5, openMs: 30_000 },
});

const RULES: Record<string, string> = {
  clock: 'must be a clock',
  timeoutMs: 'must be an integer from 1 to 600000',
  maxRetries: 'must be an integer from 0 to 10',
  baseDelayMs: 'must be an integer from 1 to 60000',
  maxDelayMs: 'must be an integer from baseDelayMs to 600000',
  'breaker.failureThreshold': 'must be an integer from 1 to 1000',
  'breaker.openMs': 'must be an integer from 1 to 3600000',
};

type Patch = (o: Record<string, unknown> & { breaker: Record<string, unknown> }) => void;

// [field, description, patch, accepted?]
const CASES: Array<[string, string, Patch, boolean]> = [
  ['clock', 'missing', (o) => delete o.clock, false],
  ['clock', 'without now()', (o) => (o.clock = {}), false],
  ['clock', 'now is not a function', (o) => (o.clock = { now: 5 }), false],
  ['timeoutMs', '0', (o) => (o.timeoutMs = 0), false],
  ['timeoutMs', '1', (o) => (o.timeoutMs = 1), true],
  ['timeoutMs', '600000', (o) => (o.timeoutMs = 600_000), true],
  ['timeoutMs', '600001', (o) => (o.timeoutMs = 600_001), false],
  ['timeoutMs', '1.5', (o) => (o.timeoutMs = 1.5), false],
  ['timeoutMs', '"100"', (o) => (o.timeoutMs = '100'), false],
  ['maxRetries', '-1', (o) => (o.maxRetries = -1), false],
  ['maxRetries', '0', (o) => (o.maxRetries = 0), true],
  ['maxRetries', '10', (o) => (o.maxRetries = 10), true],
  ['maxRetries', '11', (o) => (o.maxRetries = 11), false],
  ['maxRetries', '0.5', (o) => (o.maxRetries = 0.5), false],
  ['baseDelayMs', '0', (o) => (o.baseDelayMs = 0), false],
  ['baseDelayMs', '1', (o) => (o.baseDelayMs = 1), true],
  ['baseDelayMs', '60000', (o) => ((o.baseDelayMs = 60_000), (o.maxDelayMs = 60_000)), true],
  ['baseDelayMs', '60001', (o) => ((o.baseDelayMs = 60_001), (o.maxDelayMs = 70_000)), false],
  ['baseDelayMs', 'NaN', (o) => (o.baseDelayMs = Number.NaN), false],
  ['maxDelayMs', 'baseDelayMs - 1', (o) => (o.maxDelayMs = 99), false],
  ['maxDelayMs', 'baseDelayMs', (o) => (o.maxDelayMs = 100), true],
  ['maxDelayMs', '600000', (o) => (o.maxDelayMs = 600_000), true],
  ['maxDelayMs', '600001', (o) => (o.maxDelayMs = 600_001), false],
  ['maxDelayMs', '1000.5', (o) => (o.maxDelayMs = 1000.5), false],
  ['breaker.failureThreshold', 'breaker missing', (o) => delete (o as Record<string, unknown>).breaker, false],
  ['breaker.failureThreshold', '0', (o) => (o.breaker.failureThreshold = 0), false],
  ['breaker.failureThreshold', '1', (o) => (o.breaker.failureThreshold = 1), true],
  ['breaker.failureThreshold', '1000', (o) => (o.breaker.failureThreshold = 1000), true],
  ['breaker.failureThreshold', '1001', (o) => (o.breaker.failureThreshold = 1001), false],
  ['breaker.failureThreshold', '2.5', (o) => (o.breaker.failureThreshold = 2.5), false],
  ['breaker.openMs', 'missing', (o) => delete o.breaker.openMs, false],
  ['breaker.openMs', '0', (o) => (o.breaker.openMs = 0), false],
  ['breaker.openMs', '1', (o) => (o.breaker.openMs = 1), true],
  ['breaker.openMs', '3600000', (o) => (o.breaker.openMs = 3_600_000), true],
  ['breaker.openMs', '3600001', (o) => (o.breaker.openMs = 3_600_001), false],
  ['breaker.openMs', '0.25', (o) => (o.breaker.openMs = 0.25), false],
];

describe('resilience option checks', () => {
  it('accepts the documented defaults', () => {
    expect(() => validateResilienceOptions(valid())).not.toThrow();
  });

  it.each(CASES)('%s %s: accepted = %s', (field, _what, patch, accepted) => {
    const o = valid() as unknown as Parameters<Patch>[0];
    patch(o);
    let thrown: unknown = null;
    try {
      validateResilienceOptions(o as unknown as ResilienceOptions);
    } catch (e) {
      thrown = e;
    }
    if (accepted) {
      expect(thrown).toBeNull();
      return;
    }
    expect(isConsoleError(thrown)).toBe(true);
    const err = thrown as { code: string; message: string; details: unknown };
    expect(err.code).toBe('invalid_input');
    expect(err.message).toBe(`Resilience option ${field} ${RULES[field]}.`);
    expect(err.details).toEqual({ field });
  });
});

describe('backoff delay (full jitter)', () => {
  // [retry index n (0 = first retry), base, max, random(), expected wait]
  const TABLE: Array<[number, number, number, number, number]> = [
    [0, 100, 1000, 0.5, 50], // ceiling 100
    [1, 100, 1000, 0.5, 100], // ceiling 200
    [2, 100, 1000, 0.5, 200], // ceiling 400
    [3, 100, 1000, 0.5, 400], // ceiling 800
    [4, 100, 1000, 0.5, 500], // ceiling min(1000, 1600) = 1000
    [10, 100, 1000, 0.25, 250], // capped
    [0, 100, 1000, 0, 0],
    [0, 100, 1000, 0.999, 99],
    [0, 100, 1000, 1, 99], // random() promises [0, 1); a 1 is held just below
    [0, 100, 1000, 7, 99],
    [0, 100, 1000, -0.5, 0],
    [0, 100, 1000, Number.NaN, 0],
    [0, 100, 1000, Number.POSITIVE_INFINITY, 0],
    [0, 100, 1000, Number.NEGATIVE_INFINITY, 0],
    [2, 30, 100, 0.9, 90], // ceiling min(100, 120) = 100
    [1, 7, 600, 0.5, 7], // ceiling 14
  ];
  it.each(TABLE)('retry %i, base %i, max %i, random %d -> %i ms', (n, base, max, r, expected) => {
    expect(backoffDelay(n, base, max, () => r)).toBe(expected);
  });

  it('asks random() once per delay', () => {
    const random = vi.fn(() => 0.5);
    backoffDelay(1, 100, 1000, random);
    expect(random).toHaveBeenCalledTimes(1);
  });
});

describe('Node timers used by default', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it('a one-shot timer fires once after ms, and its cancel function stops it', () => {
    vi.useFakeTimers();
    const fired: string[] = [];
    nodeTimers.setTimeout(() => fired.push('a'), 100);
    const cancelB = nodeTimers.setTimeout(() => fired.push('b'), 100);
    vi.advanceTimersByTime(99);
    expect(fired).toEqual([]);
    cancelB();
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(['a']);
    vi.advanceTimersByTime(1000);
    expect(fired).toEqual(['a']);
  });

  it('a periodic timer fires every ms until cancelled', () => {
    vi.useFakeTimers();
    let n = 0;
    const cancel = nodeTimers.setInterval(() => n++, 50);
    vi.advanceTimersByTime(149);
    expect(n).toBe(2);
    cancel();
    vi.advanceTimersByTime(1000);
    expect(n).toBe(2);
  });

  it('the one-shot timer keeps the process alive (ref), the periodic one does not (unref)', () => {
    const made: NodeJS.Timeout[] = [];
    const realTimeout = globalThis.setTimeout;
    const realInterval = globalThis.setInterval;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms: number) => {
      const t = realTimeout(fn, ms);
      made.push(t);
      return t;
    }) as typeof setTimeout);
    vi.spyOn(globalThis, 'setInterval').mockImplementation(((fn: () => void, ms: number) => {
      const t = realInterval(fn, ms);
      made.push(t);
      return t;
    }) as typeof setInterval);
    const cancelOnce = nodeTimers.setTimeout(() => undefined, 3_600_000);
    const cancelEvery = nodeTimers.setInterval(() => undefined, 3_600_000);
    expect(made.map((t) => t.hasRef())).toEqual([true, false]);
    cancelOnce();
    cancelEvery();
  });
});
