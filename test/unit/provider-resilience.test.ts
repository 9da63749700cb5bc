// withResilience around the real local provider: no retries for definite answers (NotFound, InvalidInput, KeyDisabled,
// IntegrityFailure, AccessDenied), bounded retries with full-jitter exponential backoff for Unavailable, the breaker,
// and option validation. Time, sleep and randomness are injected: nothing here sleeps for real.
import { afterEach, describe, expect, it } from 'vitest';
import { backoffDelay } from '../../electron/providers/resilience/resilienceOptions.ts';
import { type ResilienceEvent, withResilience } from '../../electron/providers/resilience/withResilience.ts';
import { isProviderError, type KmsProvider } from '../../electron/providers/types.ts';
import { isConsoleError } from '../../shared/errors.ts';
import { localFixture, type LocalFixture, manualTimers } from './provider-testkit.ts';
import { removeTempDirs } from './store-testkit.ts';

const fixtures: LocalFixture[] = [];
afterEach(() => {
  for (const f of fixtures.splice(0)) f.close();
  removeTempDirs();
});

function setup(overrides: { maxRetries?: number; failureThreshold?: number; random?: () => number } = {}) {
  const f = localFixture();
  fixtures.push(f);
  const timers = manualTimers(f.clock);
  const sleeps: number[] = [];
  let calls = 0;
  // Count what reaches the real provider.
  const counted: KmsProvider = new Proxy(f.provider, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls++;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const events: ResilienceEvent[] = [];
  const p = withResilience(counted, {
    clock: f.clock,
    timeoutMs: 1000,
    maxRetries: overrides.maxRetries ?? 3,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    random: overrides.random ?? (() => 0.5),
    breaker: { failureThreshold: overrides.failureThreshold ?? 100, openMs: 10_000 },
    timers,
    sleep: async (ms) => {
      sleeps.push(ms);
      f.clock.advance(ms);
    },
  });
  p.onEvent((e) => events.push(e));
  return { f, p, sleeps, events, timers, calls: () => calls };
}

async function failureOf(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (e) {
    if (isProviderError(e)) return e;
    throw e;
  }
  throw new Error('expected a ProviderError');
}

describe('resilience around the local provider', () => {
  it('passes results through and records the latency', async () => {
    const { p } = setup();
    const key = await p.createKey({ name: 'k', spec: 'AES_256', usage: 'encrypt' });
    const { ciphertext } = await p.encrypt(key.keyRef, Buffer.from('x'));
    expect((await p.decrypt(key.keyRef, ciphertext)).plaintext.toString()).toBe('x');
    expect(p.lastLatencyMs).toBe(0);
    expect(p.status()).toMatchObject({ breaker: 'closed', attempts: 3, retries: 0, lastError: null });
  });

  it('never retries NotFound, InvalidInput, KeyDisabled, IntegrityFailure or AccessDenied', async () => {
    const { f, p, sleeps, calls } = setup();
    const key = await p.createKey({ name: 'k', spec: 'AES_256', usage: 'encrypt' });
    const { ciphertext } = await p.encrypt(key.keyRef, Buffer.from('x'));
    const before = calls();
    expect((await failureOf(p.describeKey('missing'))).kind).toBe('NotFound');
    expect((await failureOf(p.sign(key.keyRef, Buffer.from('m')))).kind).toBe('InvalidInput');
    expect((await failureOf(p.decrypt(key.keyRef, Buffer.concat([ciphertext, Buffer.from('!')])))).kind).toBe('IntegrityFailure');
    await p.disable(key.keyRef);
    expect((await failureOf(p.encrypt(key.keyRef, Buffer.from('x')))).kind).toBe('KeyDisabled');
    f.lock();
    expect((await failureOf(p.createKey({ name: 'k2', spec: 'AES_256', usage: 'encrypt' }))).kind).toBe('AccessDenied');
    expect(calls() - before).toBe(6);
    expect(sleeps).toEqual([]);
    expect(p.breakerState()).toBe('closed');
    expect(p.lastError?.kind).toBe('AccessDenied');
  });

  it('retries Unavailable up to maxRetries with exponential backoff and full jitter', async () => {
    const { p, sleeps, calls, events } = setup({ maxRetries: 4 });
    await p.inner.close();
    const err = await failureOf(p.describeKey('anything'));
    expect(err.kind).toBe('Unavailable');
    expect(calls()).toBe(6); // close + 5 attempts
    // random 0.5 of min(1000, 100 * 2^n): 50, 100, 200, 400
    expect(sleeps).toEqual([50, 100, 200, 400]);
    expect(events.filter((e) => e.type === 'retry').map((e) => (e.type === 'retry' ? e.attempt : 0))).toEqual([1, 2, 3, 4]);
    expect(p.status()).toMatchObject({ attempts: 5, retries: 4 });
  });

  it('backoff stays inside [0, min(max, base * 2^n)) for any random value', () => {
    for (const r of [0, 0.25, 0.999999, 1, -1, Number.NaN]) {
      for (let n = 0; n < 8; n++) {
        const d = backoffDelay(n, 100, 1000, () => r);
        const ceiling = Math.min(1000, 100 * 2 ** n);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(ceiling);
      }
    }
    expect(backoffDelay(3, 100, 10_000, () => 0.5)).toBe(400);
    expect(backoffDelay(10, 100, 1000, () => 0.5)).toBe(500);
  });

  it('does not retry non-repeatable calls (createKey, rotate) on Unavailable', async () => {
    const { p, sleeps, calls } = setup();
    await p.inner.close();
    expect((await failureOf(p.createKey({ name: 'k', spec: 'AES_256', usage: 'encrypt' }))).kind).toBe('Unavailable');
    expect((await failureOf(p.rotate('k'))).kind).toBe('Unavailable');
    expect(calls()).toBe(3);
    expect(sleeps).toEqual([]);
  });

  it('opens the circuit after N consecutive failures, refuses without calling, and half-opens after openMs', async () => {
    const { f, p, calls, events } = setup({ maxRetries: 0, failureThreshold: 3 });
    await p.inner.close();
    for (let i = 0; i < 3; i++) await failureOf(p.describeKey('x'));
    expect(p.breakerState()).toBe('open');
    const sent = calls();
    const refused = await failureOf(p.describeKey('x'));
    expect(refused).toMatchObject({ kind: 'Unavailable', providerCode: 'CircuitOpen' });
    expect(calls()).toBe(sent);
    expect(p.status().rejected).toBe(1);
    f.clock.advance(9_999);
    expect(p.breakerState()).toBe('open');
    f.clock.advance(1);
    expect(p.breakerState()).toBe('half_open');
    // The probe fails (the provider is still closed): open again, and the wait starts over.
    await failureOf(p.describeKey('x'));
    expect(calls()).toBe(sent + 1);
    expect(p.breakerState()).toBe('open');
    expect(events.filter((e) => e.type === 'breaker').map((e) => (e.type === 'breaker' ? `${e.from}>${e.to}` : ''))).toEqual([
      'closed>open',
      'open>half_open',
      'half_open>open',
    ]);
  });

  it('a definite answer (NotFound) from the half-open probe closes the circuit', async () => {
    const { f, p } = setup({ maxRetries: 0, failureThreshold: 1 });
    f.lock();
    // Health says the locked store is not usable: counts as a failure and opens the circuit.
    expect((await p.checkHealth()).ok).toBe(false);
    expect(p.breakerState()).toBe('open');
    f.unlock();
    f.clock.advance(10_000);
    expect((await failureOf(p.describeKey('missing'))).kind).toBe('NotFound');
    expect(p.breakerState()).toBe('closed');
  });

  it('periodic health checks run on the injected timers and stop when asked', async () => {
    const { f, p, timers } = setup({ failureThreshold: 1 });
    const stop = p.startHealthChecks(30_000);
    await timers.advance(30_000);
    expect(p.status().lastHealth).toMatchObject({ ok: true, at: f.clock.now() });
    f.lock();
    await timers.advance(30_000);
    expect(p.status().lastHealth?.ok).toBe(false);
    expect(p.breakerState()).toBe('open');
    f.unlock();
    await timers.advance(30_000);
    expect(p.breakerState()).toBe('closed');
    stop();
    expect(timers.pending()).toBe(0);
  });

  it('rejects bad options naming the field', () => {
    const f = localFixture();
    fixtures.push(f);
    const base = { clock: f.clock, timeoutMs: 1000, maxRetries: 3, baseDelayMs: 100, maxDelayMs: 1000, breaker: { failureThreshold: 5, openMs: 1000 } };
    for (const [patch, field] of [
      [{ timeoutMs: 0 }, 'timeoutMs'],
      [{ maxRetries: 11 }, 'maxRetries'],
      [{ maxRetries: 1.5 }, 'maxRetries'],
      [{ baseDelayMs: 0 }, 'baseDelayMs'],
      [{ maxDelayMs: 50 }, 'maxDelayMs'],
      [{ breaker: { failureThreshold: 0, openMs: 1000 } }, 'breaker.failureThreshold'],
      [{ breaker: { failureThreshold: 5, openMs: 0 } }, 'breaker.openMs'],
    ] as const) {
      let err: unknown;
      try {
        withResilience(f.provider, { ...base, ...patch });
      } catch (e) {
        err = e;
      }
      expect(isConsoleError(err) && err.code === 'invalid_input' && err.details?.field).toBe(field);
    }
  });
});
