// The resilience layer around the real adapters and their emulators (fault injection): what is retried and how
// often, backoff, the breaker, timeouts on a manual clock, and health checks that notice an outage and the recovery.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProviderError } from '../../electron/providers/types.ts';
import { removeTempDirs } from '../unit/store-testkit.ts';
import { type Bench, startBench } from './provider-kit.ts';

let bench: Bench;
beforeAll(async () => {
  bench = await startBench();
});
afterAll(async () => {
  await bench.close();
  removeTempDirs();
});

async function failureOf(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    if (isProviderError(e)) return e;
    throw e;
  }
  throw new Error('expected a ProviderError');
}

/** Waits (really) until cond holds: for I/O that the manual clock does not drive. 60 s is a hang guard, not a speed check. */
async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('resilience against the emulators', () => {
  it('retries throttling with exponential backoff and full jitter, then succeeds (Vault)', async () => {
    const m = bench.manager({ backup: { retries: 3 } });
    const vault = m.backup!;
    const key = await vault.createKey({ name: 'throttled', spec: 'AES_256', usage: 'encrypt' });
    bench.sleeps.length = 0;
    const before = bench.vault.faults.requestCount;
    bench.vault.faults.throttleNext(2);
    const { ciphertext } = await vault.encrypt(key.keyRef, Buffer.from('x'));
    expect(ciphertext.length).toBeGreaterThan(0);
    expect(bench.vault.faults.requestCount - before).toBe(3);
    expect(bench.sleeps).toEqual([50, 100]); // random 0.5 of 100 * 2^n
    expect(vault.status()).toMatchObject({ retries: 2, breaker: 'closed' });
    expect(vault.lastError?.kind).toBe('Throttled');
  });

  it('gives up after maxRetries on server errors, and the error keeps the provider code (AWS)', async () => {
    const m = bench.manager({ primary: { retries: 2 } });
    const aws = m.primary;
    const key = await aws.createKey({ name: 'errors', spec: 'AES_256', usage: 'encrypt' });
    const before = bench.aws.faults.requestCount;
    bench.aws.faults.failNext(10, 500);
    try {
      const err = await failureOf(aws.encrypt(key.keyRef, Buffer.from('x')));
      expect(err.kind).toBe('Unavailable');
      expect(err.providerCode).not.toBeNull();
      expect(bench.aws.faults.requestCount - before).toBe(3);
    } finally {
      bench.aws.faults.reset();
    }
  });

  it('retries createKey only on throttling, never after a server error (it may have landed)', async () => {
    const m = bench.manager();
    const vault = m.backup!;
    await vault.inner.health(); // the adapter's one-time sys/health version check, outside the count
    const before = bench.vault.faults.requestCount;
    bench.vault.faults.failNext(1, 500);
    expect((await failureOf(vault.createKey({ name: 'once', spec: 'AES_256', usage: 'encrypt' }))).kind).toBe('Unavailable');
    expect(bench.vault.faults.requestCount - before).toBe(1);
    expect(vault.status()).toMatchObject({ attempts: 1, retries: 0 });
    bench.vault.faults.throttleNext(1);
    const key = await vault.createKey({ name: 'once-more', spec: 'AES_256', usage: 'encrypt' });
    expect(key.state).toBe('enabled');
    expect(vault.status()).toMatchObject({ attempts: 3, retries: 1 });
  });

  it('never retries a definite refusal: a wrong token is AccessDenied after one request', async () => {
    const m = bench.manager({ backup: { vault_token: 'hvs.wrong-token', retries: 5 } });
    await m.backup!.inner.health(); // the adapter's one-time sys/health version check (no token needed), outside the count
    const before = bench.vault.faults.requestCount;
    const err = await failureOf(m.backup!.describeKey('anything'));
    expect(err.kind).toBe('AccessDenied');
    expect(bench.vault.faults.requestCount - before).toBe(1);
  });

  it('times out on the injected clock, and does not repeat a rotate that may have landed', async () => {
    const m = bench.manager({ backup: { timeout_ms: 1000, retries: 3 } });
    const vault = m.backup!;
    const key = await vault.createKey({ name: 'slow', spec: 'AES_256', usage: 'encrypt' });
    const before = bench.vault.faults.requestCount;
    bench.vault.faults.setLatency(200);
    try {
      const pending = failureOf(vault.rotate(key.keyRef));
      await bench.timers.advance(1000);
      const err = await pending;
      expect(err).toMatchObject({ kind: 'Unavailable', providerCode: 'Timeout' });
      expect(bench.vault.faults.requestCount - before).toBe(1);
      // The request did land: the version moved although the caller saw a timeout.
      await until(async () => (await vault.inner.describeKey(key.keyRef)).currentVersion === 2, 'the late rotate');
    } finally {
      bench.vault.faults.reset();
    }
  });

  it('times out a repeatable call and retries it', async () => {
    const m = bench.manager({ primary: { timeout_ms: 1000, retries: 1 } });
    const aws = m.primary;
    const key = await aws.createKey({ name: 'slow-read', spec: 'AES_256', usage: 'encrypt' });
    bench.aws.faults.setLatency(200);
    const before = aws.status().attempts;
    try {
      const pending = aws.describeKey(key.keyRef);
      await bench.timers.advance(1000); // first attempt times out; the retry goes out after the (instant) backoff
      bench.aws.faults.setLatency(0);
      const info = await pending;
      expect(info.keyRef).toBe(key.keyRef);
      expect(aws.status().attempts - before).toBe(2);
      expect(aws.status().retries).toBe(1);
      expect(aws.lastError?.providerCode).toBe('Timeout');
    } finally {
      bench.aws.faults.reset();
    }
  });

  it('opens the circuit while AWS is down, refuses without sending, and closes on the half-open probe', async () => {
    const m = bench.manager({ primary: { retries: 0 } });
    const aws = m.primary;
    const key = await aws.createKey({ name: 'breaker', spec: 'AES_256', usage: 'encrypt' });
    await bench.aws.faults.down();
    try {
      for (let i = 0; i < 3; i++) expect((await failureOf(aws.describeKey(key.keyRef))).kind).toBe('Unavailable');
      expect(aws.breakerState()).toBe('open');
      expect(m.primaryDown()).toBe(true);
      const before = bench.aws.faults.requestCount;
      expect((await failureOf(aws.describeKey(key.keyRef))).providerCode).toBe('CircuitOpen');
      expect(bench.aws.faults.requestCount).toBe(before);
    } finally {
      await bench.aws.faults.up();
    }
    bench.local.clock.advance(10_000);
    expect(aws.breakerState()).toBe('half_open');
    expect((await aws.describeKey(key.keyRef)).keyRef).toBe(key.keyRef);
    expect(aws.breakerState()).toBe('closed');
  });

  it('periodic health checks notice the outage and the recovery (Vault)', async () => {
    const m = bench.manager();
    const vault = m.backup!;
    const events: string[] = [];
    m.onEvent((e) => {
      if (e.type === 'breaker' && e.providerId === 'vault-backup') events.push(`${e.from}>${e.to}`);
    });
    const stop = m.startHealthChecks(15_000);
    await bench.vault.faults.down();
    try {
      for (let i = 0; i < 3; i++) {
        const seen = vault.status().lastHealth?.at;
        await bench.timers.advance(15_000);
        await until(() => vault.status().lastHealth?.at !== seen, 'a health result');
      }
      expect(vault.status().lastHealth?.ok).toBe(false);
      expect(vault.breakerState()).toBe('open');
    } finally {
      await bench.vault.faults.up();
    }
    const seen = vault.status().lastHealth?.at;
    await bench.timers.advance(15_000);
    await until(() => vault.status().lastHealth?.at !== seen, 'the recovery health result');
    expect(vault.status().lastHealth?.ok).toBe(true);
    expect(vault.breakerState()).toBe('closed');
    // The outage lasted longer than openMs, so the circuit was half-open when the healthy check closed it.
    expect(events).toEqual(['closed>open', 'open>half_open', 'half_open>closed']);
    stop();
    const status = m.status().find((s) => s.id === 'vault-backup')!;
    expect(status.settings.vault_token).toBe('set');
    expect(JSON.stringify(m.status())).not.toContain(bench.vaultToken);
  });
});
