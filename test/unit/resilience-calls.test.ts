// withResilience call by call around a scripted provider (each call answers what the test queued: a value, a provider
// error, a thrown bug, or nothing until the test says so), on a manual clock and manual timers. Expectations are the
// documented behaviour (docs/providers.md, "Resilience"), written out here: which operations are safe to repeat, the
// deadline and its message, the retry events and waits, the circuit-open refusal, late results zeroed, health checks,
// what status() reports, and close() ending everything that waits.
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import { type ResilienceEvent, withResilience } from '../../electron/providers/resilience/withResilience.ts';
import { type HealthReport, isProviderError, type KmsProvider, ProviderError, type ProviderErrorKind } from '../../electron/providers/types.ts';
import { manualTimers, settle } from './provider-testkit.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');

/** What the docs say of each operation: safe to repeat after a timeout, or only when the provider provably did not act. */
const OPERATIONS: Array<[op: string, args: unknown[], repeatable: boolean]> = [
  ['createKey', [{ name: 'n', spec: 'AES_256', usage: 'encrypt' }], false],
  ['describeKey', ['k1'], true],
  ['listKeys', [{ pageSize: 5 }], true],
  ['encrypt', ['k1', Buffer.from('p'), Buffer.from('aad')], true],
  ['decrypt', ['k1', Buffer.from('c'), Buffer.from('aad')], true],
  ['generateDataKey', ['k1', Buffer.from('aad')], true],
  ['sign', ['k1', Buffer.from('m'), 2], true],
  ['verify', ['k1', Buffer.from('m'), Buffer.from('s'), 2], true],
  ['getPublicKey', ['k1', 3], true],
  ['rotate', ['k1', { knownVersion: 3 }], false],
  ['enable', ['k1'], true],
  ['disable', ['k1'], true],
  ['scheduleDestruction', ['k1', 7], false],
  ['cancelDestruction', ['k1'], false],
];

/**
 * Provider-side rotation (docs/providers.md, "Resilience"): setting, reading and switching off the provider's schedule
 * and listing its versions are safe to repeat; each call is named by its operation in errors and events.
 */
const ROTATION_OPERATIONS: Array<[method: string, args: unknown[], operation: string]> = [
  ['setSchedule', ['k1', 86_400], 'setRotationSchedule'],
  ['getSchedule', ['k1'], 'getRotationSchedule'],
  ['disableSchedule', ['k1'], 'disableRotationSchedule'],
  ['listVersions', ['k1'], 'listVersions'],
];

type Step = { value: unknown } | { error: unknown } | { syncThrow: unknown } | 'hang';

interface Script {
  provider: KmsProvider;
  /** Every call that reached the provider: operation and arguments. */
  calls: Array<{ op: string; args: unknown[] }>;
  queue: Step[];
  /** Resolves the oldest hanging call with a value. */
  release(value: unknown): void;
  health: Array<HealthReport | { error: unknown } | 'hang'>;
  closed: () => boolean;
  /** Provider-side rotation controls answering from the same queue; attached by setup({ rotation: true }). */
  rotation: Record<string, unknown>;
}

function scripted(): Script {
  const calls: Script['calls'] = [];
  const queue: Step[] = [];
  const hanging: Array<(v: unknown) => void> = [];
  const health: Script['health'] = [];
  let closed = false;
  const op = (name: string) => (...args: unknown[]) => {
    calls.push({ op: name, args });
    const step = queue.shift() ?? { value: `${name}-result` };
    if (step === 'hang') return new Promise((resolve) => hanging.push(resolve));
    if ('syncThrow' in step) throw step.syncThrow;
    if ('error' in step) return Promise.reject(step.error);
    return Promise.resolve(step.value);
  };
  const provider = {
    id: 'p1',
    kind: 'vault_transit',
    capabilities: { marker: 'caps' },
    health: () => {
      const h = health.shift() ?? { ok: true, latencyMs: 1, detail: null };
      if (h === 'hang') return new Promise(() => undefined);
      if ('error' in h) return Promise.reject(h.error);
      return Promise.resolve(h);
    },
    close: async () => {
      closed = true;
    },
  } as unknown as KmsProvider;
  for (const [name] of OPERATIONS) (provider as unknown as Record<string, unknown>)[name] = op(name);
  const rotation: Record<string, unknown> = {
    limits: { marker: 'limits' },
    supportsSpec: (spec: string) => {
      calls.push({ op: 'supportsSpec', args: [spec] });
      return spec === 'AES_256';
    },
  };
  for (const [name] of ROTATION_OPERATIONS) rotation[name] = op(name);
  return { provider, calls, queue, health, release: (v) => hanging.shift()!(v), closed: () => closed, rotation };
}

function setup(o: { maxRetries?: number; failureThreshold?: number; openMs?: number; random?: number; realSleep?: boolean; rotation?: boolean } = {}) {
  const clock = manualClock(T0);
  const timers = manualTimers(clock);
  const s = scripted();
  if (o.rotation) (s.provider as unknown as Record<string, unknown>).providerRotation = s.rotation;
  const sleeps: number[] = [];
  const p = withResilience(s.provider, {
    clock,
    timeoutMs: 1000,
    maxRetries: o.maxRetries ?? 2,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    random: () => o.random ?? 0.5,
    breaker: { failureThreshold: o.failureThreshold ?? 100, openMs: o.openMs ?? 10_000 },
    timers,
    ...(o.realSleep
      ? {}
      : {
          sleep: async (ms: number) => {
            sleeps.push(ms);
            clock.advance(ms);
          },
        }),
  });
  const events: ResilienceEvent[] = [];
  p.onEvent((e) => events.push(e));
  return { p, s, clock, timers, sleeps, events };
}

const unavailable = (code = '503', requestId: string | null = null) => new ProviderError('Unavailable', `down ${code}`, { providerId: 'p1', providerCode: code, requestId });
const err = (kind: ProviderErrorKind, code: string) => new ProviderError(kind, `${kind} ${code}`, { providerId: 'p1', providerCode: code });

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to fail');
}

const invoke = (p: KmsProvider, op: string, args: unknown[]) => (p as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[op]!(...args);

describe('withResilience: every operation', () => {
  it('passes id, kind, capabilities and the inner provider through', () => {
    const { p, s } = setup();
    expect([p.id, p.kind, p.capabilities, p.inner]).toEqual([s.provider.id, s.provider.kind, s.provider.capabilities, s.provider]);
    expect(p.inner).toBe(s.provider);
  });

  it.each(OPERATIONS)('%s reaches the same operation with the same arguments and returns its answer', async (op, args) => {
    const { p, s } = setup();
    expect(await invoke(p, op, args)).toBe(`${op}-result`);
    expect(s.calls).toEqual([{ op, args }]);
  });

  it.each(OPERATIONS)('%s: a timeout names the operation; repeated only if safe to repeat', async (op, args, repeatable) => {
    const { p, s, timers } = setup({ maxRetries: 1 });
    s.queue.push('hang', 'hang');
    const pending = caught(invoke(p, op, args));
    await timers.advance(999);
    expect(s.calls.length).toBe(1);
    await timers.advance(1);
    if (repeatable) {
      await settle();
      expect(s.calls.length).toBe(2);
      // The fake sleep moved the clock by the backoff wait; the second deadline is 1000 ms after that.
      await timers.advance(2000);
    }
    const e = (await pending) as ProviderError;
    expect(isProviderError(e)).toBe(true);
    expect([e.kind, e.providerCode, e.message, e.providerId]).toEqual(['Unavailable', 'Timeout', `Provider p1 did not answer ${op} within 1000 ms.`, 'p1']);
    expect(s.calls.length).toBe(repeatable ? 2 : 1);
  });

  it.each(OPERATIONS)('%s is retried after a refused connection and after throttling, whatever its policy', async (op, args) => {
    const { p, s } = setup({ maxRetries: 3 });
    s.queue.push({ error: unavailable('ECONNREFUSED') }, { error: err('Throttled', 'ThrottlingException') });
    expect(await invoke(p, op, args)).toBe(`${op}-result`);
    expect(s.calls.length).toBe(3);
  });
});

describe('withResilience: provider-side rotation', () => {
  const rotationOf = (p: KmsProvider) => p.providerRotation as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;

  it('a provider without rotation controls gets none; one with them gets its limits and its spec check passed through', () => {
    expect(setup().p.providerRotation).toBeUndefined();
    const { p, s } = setup({ rotation: true });
    expect(p.providerRotation!.limits).toBe(s.rotation.limits);
    expect([p.providerRotation!.supportsSpec('AES_256'), p.providerRotation!.supportsSpec('RSA_2048')]).toEqual([true, false]);
    expect(s.calls).toEqual([{ op: 'supportsSpec', args: ['AES_256'] }, { op: 'supportsSpec', args: ['RSA_2048'] }]);
  });

  it.each(ROTATION_OPERATIONS)('%s reaches the provider with the same arguments and returns its answer', async (method, args) => {
    const { p, s } = setup({ rotation: true });
    expect(await rotationOf(p)[method]!(...args)).toBe(`${method}-result`);
    expect(s.calls).toEqual([{ op: method, args }]);
    expect(p.status().attempts).toBe(1);
  });

  it.each(ROTATION_OPERATIONS)('%s: a timeout names the operation %s and is repeated (safe to repeat)', async (method, args, operation) => {
    const { p, s, timers, events } = setup({ maxRetries: 1, rotation: true });
    s.queue.push('hang', 'hang');
    const pending = caught(rotationOf(p)[method]!(...args));
    await timers.advance(1000);
    await settle();
    expect(s.calls.length).toBe(2);
    await timers.advance(2000);
    const e = (await pending) as ProviderError;
    expect([e.kind, e.providerCode, e.message]).toEqual(['Unavailable', 'Timeout', `Provider p1 did not answer ${operation} within 1000 ms.`]);
    expect(events.filter((x) => x.type === 'retry')).toEqual([{ type: 'retry', providerId: 'p1', operation, attempt: 1, delayMs: 50, kind: 'Unavailable' }]);
  });
});

describe('withResilience: retries', () => {
  it('retries up to maxRetries, with the documented waits, events and counters', async () => {
    const { p, s, sleeps, events, clock } = setup({ maxRetries: 3, random: 0.5 });
    s.queue.push({ error: unavailable() }, { error: unavailable() }, { error: unavailable() }, { error: unavailable('504', 'req-4') });
    const e = (await caught(p.decrypt('k1', Buffer.from('c')))) as ProviderError;
    expect(e.providerCode).toBe('504');
    expect(s.calls.length).toBe(4);
    // floor(0.5 x min(1000, 100 x 2^(n-1))) for the n-th retry.
    expect(sleeps).toEqual([50, 100, 200]);
    // Each attempt is one failed call (availability), each wait one retry event.
    const failedCall = { type: 'call', providerId: 'p1', operation: 'decrypt', ok: false };
    expect(events).toEqual([
      failedCall,
      { type: 'retry', providerId: 'p1', operation: 'decrypt', attempt: 1, delayMs: 50, kind: 'Unavailable' },
      failedCall,
      { type: 'retry', providerId: 'p1', operation: 'decrypt', attempt: 2, delayMs: 100, kind: 'Unavailable' },
      failedCall,
      { type: 'retry', providerId: 'p1', operation: 'decrypt', attempt: 3, delayMs: 200, kind: 'Unavailable' },
      failedCall,
    ]);
    expect(p.status()).toMatchObject({ attempts: 4, retries: 3, rejected: 0, consecutiveFailures: 4 });
    expect(p.lastError).toEqual({ kind: 'Unavailable', message: 'down 504', providerCode: '504', requestId: 'req-4', at: clock.now() });
  });

  it('maxRetries 0 sends exactly one attempt', async () => {
    const { p, s, sleeps } = setup({ maxRetries: 0 });
    s.queue.push({ error: unavailable() });
    await caught(p.decrypt('k1', Buffer.from('c')));
    expect([s.calls.length, sleeps.length]).toEqual([1, 0]);
  });

  it('a success after retries returns the value and counts the breaker back to zero', async () => {
    const { p, s } = setup({ maxRetries: 3, failureThreshold: 3 });
    s.queue.push({ error: unavailable() }, { error: unavailable() }, { value: 'fine' });
    expect(await p.describeKey('k1')).toBe('fine');
    expect(p.status()).toMatchObject({ breaker: 'closed', consecutiveFailures: 0, attempts: 3, retries: 2 });
  });

  it('stops retrying as soon as the breaker opens, and says why in the breaker event', async () => {
    const { p, s, events, clock } = setup({ maxRetries: 5, failureThreshold: 2 });
    s.queue.push({ error: unavailable('503', 'r1') }, { error: unavailable('502', 'r2') });
    const e = (await caught(p.decrypt('k1', Buffer.from('c')))) as ProviderError;
    expect(e.providerCode).toBe('502');
    expect(s.calls.length).toBe(2);
    const opened = events.filter((x) => x.type === 'breaker');
    expect(opened).toEqual([
      { type: 'breaker', providerId: 'p1', from: 'closed', to: 'open', at: clock.now(), lastError: { kind: 'Unavailable', message: 'down 502', providerCode: '502', requestId: 'r2', at: clock.now() } },
    ]);
  });

  it('only Unavailable and Throttled are retried, even when another kind says it is retryable', async () => {
    const { p, s } = setup({ maxRetries: 3 });
    s.queue.push({ error: new ProviderError('NotFound', 'gone', { providerId: 'p1', retryable: true }) });
    await caught(p.describeKey('k1'));
    expect(s.calls.length).toBe(1);
  });

  it('an error that an inner circuit refused (CircuitOpen) is not retried', async () => {
    const { p, s } = setup({ maxRetries: 3 });
    s.queue.push({ error: unavailable('CircuitOpen') });
    await caught(p.decrypt('k1', Buffer.from('c')));
    expect(s.calls.length).toBe(1);
  });

  it('a definite answer is not retried and does not count: the breaker is reset by it', async () => {
    const { p, s } = setup({ maxRetries: 3, failureThreshold: 2 });
    s.queue.push({ error: unavailable() }, { error: err('NotFound', 'NoKey') });
    const e = (await caught(p.describeKey('k1'))) as ProviderError;
    expect(e.kind).toBe('NotFound');
    expect(s.calls.length).toBe(2);
    expect(p.status()).toMatchObject({ breaker: 'closed', consecutiveFailures: 0 });
    expect(p.lastError).toMatchObject({ kind: 'NotFound', providerCode: 'NoKey' });
  });

  it('a thrown bug (not a provider answer) is passed on unchanged, neither retried nor counted nor recorded', async () => {
    const { p, s } = setup({ maxRetries: 3, failureThreshold: 1 });
    const bug = new TypeError('adapter bug');
    s.queue.push({ error: bug });
    expect(await caught(p.decrypt('k1', Buffer.from('c')))).toBe(bug);
    s.queue.push({ syncThrow: bug });
    expect(await caught(p.decrypt('k1', Buffer.from('c')))).toBe(bug);
    expect(s.calls.length).toBe(2);
    expect(p.status()).toMatchObject({ breaker: 'closed', consecutiveFailures: 0, lastError: null, retries: 0 });
  });

  it('a provider error thrown synchronously is handled like a rejected one (retried, counted)', async () => {
    const { p, s } = setup({ maxRetries: 1, failureThreshold: 100 });
    s.queue.push({ syncThrow: unavailable() });
    expect(await p.decrypt('k1', Buffer.from('c'))).toBe('decrypt-result');
    expect(s.calls.length).toBe(2);
    expect(p.status().retries).toBe(1);
  });

  it('the default sleep waits on the injected timers for the backoff delay', async () => {
    const { p, s, timers } = setup({ maxRetries: 1, random: 0.5, realSleep: true });
    s.queue.push({ error: unavailable() });
    const result = p.decrypt('k1', Buffer.from('c'));
    await settle();
    expect(s.calls.length).toBe(1);
    await timers.advance(49);
    expect(s.calls.length).toBe(1);
    await timers.advance(1);
    expect(s.calls.length).toBe(2);
    expect(await result).toBe('decrypt-result');
    expect(timers.pending()).toBe(0);
  });
});

describe('withResilience: the open circuit', () => {
  it('refuses without calling, naming the operation and the last request id; counts the refusal', async () => {
    const { p, s } = setup({ maxRetries: 0, failureThreshold: 1 });
    s.queue.push({ error: unavailable('503', 'req-9') });
    await caught(p.encrypt('k1', Buffer.from('p')));
    const e = (await caught(p.sign('k1', Buffer.from('m')))) as ProviderError;
    expect([e.kind, e.providerCode, e.requestId, e.providerId, e.message]).toEqual([
      'Unavailable',
      'CircuitOpen',
      'req-9',
      'p1',
      'Provider p1 is unavailable (circuit open after repeated failures); sign was not sent.',
    ]);
    expect(s.calls.length).toBe(1);
    expect(p.status()).toMatchObject({ rejected: 1, attempts: 1, breaker: 'open' });
    expect(p.breakerState()).toBe('open');
  });

  it('a circuit opened by health checks alone (no error recorded) refuses with no request id', async () => {
    const { p, s } = setup({ failureThreshold: 1 });
    s.health.push({ ok: false, latencyMs: 0, detail: 'degraded' });
    await p.checkHealth();
    expect(p.lastError).toBeNull();
    const e = (await caught(p.decrypt('k1', Buffer.from('c')))) as ProviderError;
    expect([e.providerCode, e.requestId]).toEqual(['CircuitOpen', null]);
  });

  it('a probe that fails with a bug (not a provider answer) frees the probe slot and closes the circuit', async () => {
    const { p, s, clock } = setup({ maxRetries: 0, failureThreshold: 1, openMs: 100 });
    s.queue.push({ error: unavailable() });
    await caught(p.decrypt('k1', Buffer.from('c')));
    clock.advance(100);
    s.queue.push({ error: new TypeError('adapter bug') });
    await caught(p.decrypt('k1', Buffer.from('c')));
    expect(p.breakerState()).toBe('closed');
    expect(await p.decrypt('k1', Buffer.from('c'))).toBe('decrypt-result');
  });

  it('the refusal carries no request id when the last error had none', async () => {
    const { p, s } = setup({ maxRetries: 0, failureThreshold: 1 });
    s.queue.push({ error: unavailable('503', null) });
    await caught(p.encrypt('k1', Buffer.from('p')));
    expect(((await caught(p.encrypt('k1', Buffer.from('p')))) as ProviderError).requestId).toBeNull();
  });

  it('a half-open probe that fails reopens the circuit; one that answers closes it', async () => {
    const { p, s, clock } = setup({ maxRetries: 3, failureThreshold: 1, openMs: 5000 });
    s.queue.push({ error: unavailable() }, { error: unavailable() });
    await caught(p.decrypt('k1', Buffer.from('c')));
    clock.advance(5000);
    expect(p.breakerState()).toBe('half_open');
    await caught(p.decrypt('k1', Buffer.from('c')));
    expect(s.calls.length).toBe(2);
    expect(p.breakerState()).toBe('open');
    clock.advance(5000);
    s.queue.push({ error: err('NotFound', 'NoKey') });
    await caught(p.decrypt('k1', Buffer.from('c')));
    expect(p.breakerState()).toBe('closed');
  });
});

describe('withResilience: deadlines and late results', () => {
  it('records the latency of answers and failures on the clock', async () => {
    const { p, s, timers } = setup({ maxRetries: 0 });
    s.queue.push('hang');
    const call = p.describeKey('k1');
    await timers.advance(250);
    s.release('late but in time');
    expect(await call).toBe('late but in time');
    expect(p.lastLatencyMs).toBe(250);
    s.queue.push('hang');
    const timedOut = caught(p.describeKey('k1'));
    await timers.advance(1000);
    await timedOut;
    expect(p.status().lastLatencyMs).toBe(1000);
    expect(timers.pending()).toBe(0);
  });

  it('a decrypt or data key that arrives after the deadline is zeroed; an earlier answer is not', async () => {
    for (const op of ['decrypt', 'generateDataKey'] as const) {
      const { p, s, timers } = setup({ maxRetries: 0 });
      s.queue.push('hang');
      const call = caught(op === 'decrypt' ? p.decrypt('k1', Buffer.from('c')) : p.generateDataKey('k1'));
      await timers.advance(1000);
      expect(((await call) as ProviderError).providerCode).toBe('Timeout');
      const late = { plaintext: Buffer.from('secret data key!'), version: 1 };
      s.release(late);
      await settle();
      expect(late.plaintext.equals(Buffer.alloc(16))).toBe(true);

      s.queue.push({ value: { plaintext: Buffer.from('kept'), version: 1 } });
      const fine = (await (op === 'decrypt' ? p.decrypt('k1', Buffer.from('c')) : p.generateDataKey('k1'))) as { plaintext: Buffer };
      expect(fine.plaintext.toString()).toBe('kept');
    }
  });

  it('a late answer of a call without secrets is dropped quietly (no unhandled rejection)', async () => {
    const { p, s, timers } = setup({ maxRetries: 0 });
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      s.queue.push('hang');
      const call = caught(p.describeKey('k1'));
      await timers.advance(1000);
      await call;
      s.release({ state: 'enabled' });
      await settle();
      await settle();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });

  it('a failure that arrives after the deadline changes nothing', async () => {
    const { p, s, timers } = setup({ maxRetries: 0 });
    let fail: (e: unknown) => void = () => undefined;
    s.queue.push({ value: null });
    (s.provider as unknown as Record<string, unknown>).describeKey = () => new Promise((_r, reject) => (fail = reject));
    const call = caught(p.describeKey('k1'));
    await timers.advance(1000);
    expect(((await call) as ProviderError).providerCode).toBe('Timeout');
    fail(err('NotFound', 'late'));
    await settle();
    expect(p.lastError?.providerCode).toBe('Timeout');
  });
});

describe('withResilience: health checks', () => {
  it('records the report, its time and latency, counts an attempt, emits an event', async () => {
    const { p, s, clock, events } = setup();
    s.health.push({ ok: true, latencyMs: 3, detail: 'fine' });
    const report = await p.checkHealth();
    expect(report).toEqual({ ok: true, latencyMs: 3, detail: 'fine' });
    expect(p.status()).toMatchObject({ lastHealth: { ok: true, latencyMs: 3, detail: 'fine', at: T0 }, attempts: 1, lastLatencyMs: 0 });
    expect(events).toEqual([{ type: 'health', providerId: 'p1', report, at: T0 }]);
    expect(clock.now()).toBe(T0);
    // health() is the same check.
    s.health.push({ ok: false, latencyMs: 1, detail: 'x' });
    expect(await p.health()).toEqual({ ok: false, latencyMs: 1, detail: 'x' });
  });

  it('a failing health check is a report, not an error: provider errors give their message and kind, anything else a fixed text', async () => {
    const { p, s } = setup();
    s.health.push({ error: unavailable('503', 'rq') });
    expect(await p.checkHealth()).toEqual({ ok: false, latencyMs: 0, detail: 'down 503', errorKind: 'Unavailable' });
    expect(p.lastError).toMatchObject({ providerCode: '503', requestId: 'rq' });
    s.health.push({ error: new Error('boom') });
    expect(await p.checkHealth()).toEqual({ ok: false, latencyMs: 0, detail: 'health check failed' });
    expect(p.lastError).toMatchObject({ providerCode: '503' });
  });

  it('a health check that never answers ends at the deadline with its latency', async () => {
    const { p, s, timers } = setup();
    s.health.push('hang');
    const check = p.checkHealth();
    await timers.advance(1000);
    expect(await check).toEqual({ ok: false, latencyMs: 1000, detail: 'Provider p1 did not answer health within 1000 ms.', errorKind: 'Unavailable' });
    expect(p.status().lastHealth).toMatchObject({ ok: false, at: T0 + 1000 });
  });

  it('runs one check at a time: a second request while one runs shares it; the next one is a new check', async () => {
    const { p, s, timers } = setup();
    s.health.push('hang');
    const a = p.checkHealth();
    const b = p.checkHealth();
    expect(b).toBe(a);
    await timers.advance(1000);
    await a;
    s.health.push({ ok: true, latencyMs: 0, detail: null });
    expect((await p.checkHealth()).ok).toBe(true);
    expect(p.status().attempts).toBe(2);
  });

  it('an unhealthy result counts toward the breaker; a healthy one closes it', async () => {
    const { p, s } = setup({ failureThreshold: 2 });
    s.health.push({ ok: false, latencyMs: 0, detail: null }, { ok: false, latencyMs: 0, detail: null });
    await p.checkHealth();
    expect(p.status()).toMatchObject({ breaker: 'closed', consecutiveFailures: 1 });
    await p.checkHealth();
    expect(p.breakerState()).toBe('open');
    await p.checkHealth();
    expect(p.breakerState()).toBe('closed');
  });

  it('periodic checks run every interval on the injected timers and stop when asked', async () => {
    const { p, timers, events } = setup();
    const stop = p.startHealthChecks(100);
    await timers.advance(350);
    expect(events.filter((e) => e.type === 'health').length).toBe(3);
    stop();
    await timers.advance(1000);
    expect(events.filter((e) => e.type === 'health').length).toBe(3);
    expect(timers.pending()).toBe(0);
  });

  it('refuses an interval below 10 ms or not an integer', () => {
    const { p } = setup();
    for (const bad of [9, 0, -10, 10.5, Number.NaN]) {
      const e = (() => {
        try {
          p.startHealthChecks(bad);
        } catch (x) {
          return x as ProviderError;
        }
        return null;
      })();
      expect([e?.kind, e?.message, e?.providerId]).toEqual(['InvalidInput', 'The health check interval must be an integer of at least 10 ms.', 'p1']);
    }
    p.startHealthChecks(10)();
  });
});

describe('withResilience: events and close', () => {
  it('a listener that throws does not break calls; an unsubscribed one hears nothing more', async () => {
    const { p, s } = setup({ maxRetries: 1 });
    const heard: string[] = [];
    p.onEvent(() => {
      throw new Error('listener bug');
    });
    const off = p.onEvent((e) => heard.push(e.type));
    s.queue.push({ error: unavailable() });
    expect(await p.decrypt('k1', Buffer.from('c'))).toBe('decrypt-result');
    // The failed attempt, its retry, the answered attempt.
    expect(heard).toEqual(['call', 'retry', 'call']);
    off();
    s.queue.push({ error: unavailable() });
    await p.decrypt('k1', Buffer.from('c'));
    expect(heard).toEqual(['call', 'retry', 'call']);
  });

  it('status() reports everything observed', async () => {
    const { p, s, clock } = setup({ maxRetries: 0, failureThreshold: 1 });
    expect(p.status()).toEqual({
      id: 'p1', kind: 'vault_transit', breaker: 'closed', consecutiveFailures: 0, openedAt: null, lastError: null, lastLatencyMs: null, lastHealth: null, attempts: 0, retries: 0, rejected: 0,
    });
    s.queue.push({ error: unavailable('500', 'q') });
    await caught(p.decrypt('k1', Buffer.from('c')));
    expect(p.status()).toEqual({
      id: 'p1',
      kind: 'vault_transit',
      breaker: 'open',
      consecutiveFailures: 1,
      openedAt: clock.now(),
      lastError: { kind: 'Unavailable', message: 'down 500', providerCode: '500', requestId: 'q', at: clock.now() },
      lastLatencyMs: 0,
      lastHealth: null,
      attempts: 1,
      retries: 0,
      rejected: 0,
    });
  });

  it('close() ends a pending deadline and a pending backoff wait at once, stops health checks, closes the provider', async () => {
    const { p, s, timers, events } = setup({ maxRetries: 3, realSleep: true });
    s.queue.push('hang');
    const waiting = caught(p.describeKey('k1'));
    s.queue.push({ error: unavailable() });
    const backingOff = caught(p.encrypt('k1', Buffer.from('p')));
    p.startHealthChecks(50);
    await settle();
    expect(timers.pending()).toBe(3);
    const heard = events.length;
    await p.close();
    for (const e of [(await waiting) as ProviderError, (await backingOff) as ProviderError]) {
      expect([e.kind, e.providerCode, e.retryable, e.message]).toEqual(['Unavailable', 'ConsoleClosed', false, 'Provider p1 was closed; the pending call did not finish.']);
    }
    expect(timers.pending()).toBe(0);
    expect(s.closed()).toBe(true);
    // Nothing more is sent or heard.
    const after = (await caught(p.sign('k1', Buffer.from('m')))) as ProviderError;
    expect([after.providerCode, after.message]).toEqual(['ConsoleClosed', 'Provider p1 was closed; sign did not finish.']);
    expect(s.calls.map((c) => c.op)).toEqual(['describeKey', 'encrypt']);
    expect(events.length).toBe(heard);
  });

  it('after close() a health check reaches nothing and nobody hears of it; a refused call counts no attempt', async () => {
    const { p, s, events } = setup();
    await p.close();
    const heard = events.length;
    s.health.push({ ok: true, latencyMs: 0, detail: null });
    expect(await p.checkHealth()).toEqual({ ok: false, latencyMs: 0, detail: 'Provider p1 was closed; health did not finish.', errorKind: 'Unavailable' });
    expect(s.health.length).toBe(1);
    expect(events.length).toBe(heard);
    const attempts = p.status().attempts;
    await caught(p.decrypt('k1', Buffer.from('c')));
    expect(p.status().attempts).toBe(attempts);
  });

  it('a call whose attempt fails after close() is not retried and not recorded', async () => {
    const { p, s } = setup({ maxRetries: 3 });
    let fail: (e: unknown) => void = () => undefined;
    (s.provider as unknown as Record<string, unknown>).describeKey = () => new Promise((_r, reject) => (fail = reject));
    const call = caught(p.describeKey('k1'));
    await settle();
    const closing = p.close();
    fail(unavailable('503'));
    const e = (await call) as ProviderError;
    await closing;
    expect(e.providerCode).toBe('ConsoleClosed');
    expect(p.lastError).toBeNull();
  });
});
