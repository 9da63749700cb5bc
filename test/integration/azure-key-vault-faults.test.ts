// Fault cases of the Azure adapter against the emulator: one injected fault is one failed request (the SDK's own
// retry policy is off), each fault keeps the service's code and request id, a slow service hits the deadline, and the
// console's resilience layer (not the SDK) rides out transient faults.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../electron/clock.ts';
import { withResilience } from '../../electron/providers/resilience/withResilience.ts';
import type { ProviderKeyInfo } from '../../electron/providers/types.ts';
import { startAzureTestBed, type AzureTestBed } from '../emulators/azure-key-vault/testkit.ts';
import { providerFailure } from './conformance/suite.ts';

let bed: AzureTestBed;
let key: ProviderKeyInfo;
const aad = Buffer.from('robot-0007|faults');

beforeAll(async () => {
  bed = await startAzureTestBed();
  key = await bed.provider({ id: 'azure-setup' }).createKey({ name: 'faults-aes', spec: 'AES_256', usage: 'encrypt' });
});
afterAll(async () => {
  await bed?.close();
});

describe('Azure adapter under faults', () => {
  it('turns one 429 into one Throttled failure (no hidden SDK retry), keeping code and request id', async () => {
    const p = bed.provider();
    await p.encrypt(key.keyRef, Buffer.from('warm'), aad); // challenge and token done, key spec known
    const before = bed.emu.faults.requestCount;
    bed.emu.faults.throttleNext(1);
    const f = await providerFailure(p.encrypt(key.keyRef, Buffer.from('x'), aad));
    expect(bed.emu.faults.requestCount - before).toBe(1);
    expect(f).toMatchObject({ kind: 'Throttled', providerCode: 'Throttled' });
    expect(f.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await p.encrypt(key.keyRef, Buffer.from('after'), aad)).ciphertext.length).toBeGreaterThan(0);
  });

  it('maps 500 and 503 to Unavailable (retryable) with one request each', async () => {
    const p = bed.provider();
    const { ciphertext } = await p.encrypt(key.keyRef, Buffer.from('kept'), aad);
    for (const status of [500, 503]) {
      const before = bed.emu.faults.requestCount;
      bed.emu.faults.failNext(1, status);
      const f = await providerFailure(p.decrypt(key.keyRef, ciphertext, aad));
      expect(bed.emu.faults.requestCount - before).toBe(1);
      expect(f.kind).toBe('Unavailable');
      expect(f.providerCode).toBe(status === 503 ? 'ServiceUnavailable' : 'InternalServerError');
    }
    expect((await p.decrypt(key.keyRef, ciphertext, aad)).plaintext.toString()).toBe('kept');
  });

  it('maps a dropped connection to Unavailable', async () => {
    const p = bed.provider();
    await p.describeKey(key.keyRef);
    bed.emu.faults.dropNext(1);
    const f = await providerFailure(p.describeKey(key.keyRef));
    expect(f.kind).toBe('Unavailable');
  });

  it('gives Unavailable when the service does not answer before the deadline', async () => {
    // The warm-up call must stay inside the deadline on a loaded machine; the service then answers three deadlines late.
    const p = bed.provider({ timeoutMs: 2_000 });
    await p.encrypt(key.keyRef, Buffer.from('warm'), aad);
    bed.emu.faults.setLatency(6_000);
    try {
      const f = await providerFailure(p.encrypt(key.keyRef, Buffer.from('slow'), aad));
      expect(f.kind).toBe('Unavailable');
    } finally {
      bed.emu.faults.reset();
    }
  });

  it('lets the resilience layer retry transient faults through to success', async () => {
    const inner = bed.provider();
    const resilient = withResilience(inner, {
      clock: systemClock,
      timeoutMs: 5_000,
      maxRetries: 3,
      baseDelayMs: 1,
      maxDelayMs: 5,
      breaker: { failureThreshold: 10, openMs: 1_000 },
      sleep: () => Promise.resolve(),
    });
    await inner.encrypt(key.keyRef, Buffer.from('warm'), aad);
    bed.emu.faults.throttleNext(1);
    bed.emu.faults.failNext(1, 503);
    const before = bed.emu.faults.requestCount;
    const { ciphertext } = await resilient.encrypt(key.keyRef, Buffer.from('eventually'), aad);
    expect(bed.emu.faults.requestCount - before).toBe(3);
    expect((await inner.decrypt(key.keyRef, ciphertext, aad)).plaintext.toString()).toBe('eventually');
  });
});
