// Faults between the adapter and the service: the adapter makes exactly one attempt (the console's resilience layer
// retries), and every failure arrives as a typed ProviderError with the service's code and request id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProviderError, type KmsProvider, type ProviderError } from '../../electron/providers/types.ts';
import type { AwsKmsEmulator } from '../emulators/aws-kms/index.ts';
import { startTestEmulator, TEST_CREDENTIALS, testProvider } from '../emulators/aws-kms/testkit.ts';

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (e) {
    if (isProviderError(e)) return e;
    throw e;
  }
  throw new Error('expected a ProviderError');
}

let emu: AwsKmsEmulator;
let p: KmsProvider;
let keyRef: string;

beforeAll(async () => {
  emu = await startTestEmulator();
  // A deadline no healthy call reaches on a loaded machine; the deadline case has its own tighter provider.
  p = testProvider(emu, { timeoutMs: 10_000 });
  keyRef = (await p.createKey({ name: 'faults', spec: 'AES_256', usage: 'encrypt' })).keyRef;
});
afterAll(async () => {
  await p.close();
  await emu.close();
});

describe('AWS adapter under faults', () => {
  it.each([
    ['throttling', () => emu.faults.throttleNext(1), 'Throttled', 'ThrottlingException'],
    ['a 500', () => emu.faults.failNext(1, 500), 'Unavailable', 'KMSInternalException'],
    ['a 503', () => emu.faults.failNext(1, 503), 'Unavailable', 'ServiceUnavailableException'],
  ])('maps %s to %s after exactly one request, keeping code and request id', async (_what, inject, kind, code) => {
    inject();
    const before = emu.faults.requestCount;
    const e = await failure(p.encrypt(keyRef, Buffer.from('x')));
    expect(emu.faults.requestCount - before).toBe(1);
    expect([e.kind, e.providerCode, e.retryable]).toEqual([kind, code, true]);
    expect(e.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(e.providerId).toBe('aws-test');
  });

  it('maps a dropped connection to Unavailable after one request', async () => {
    emu.faults.dropNext(1);
    const before = emu.faults.requestCount;
    const e = await failure(p.encrypt(keyRef, Buffer.from('x')));
    expect(emu.faults.requestCount - before).toBe(1);
    expect(e.kind).toBe('Unavailable');
  });

  it('maps a response slower than timeoutMs to Unavailable (timed out)', async () => {
    // The service answers three deadlines late; a healthy call stays far inside the deadline even under load.
    const tight = testProvider(emu, { timeoutMs: 2_000 });
    emu.faults.setLatency(6_000);
    try {
      const e = await failure(tight.encrypt(keyRef, Buffer.from('x')));
      expect(e.kind).toBe('Unavailable');
      expect(e.message).toMatch(/timed out/);
    } finally {
      emu.faults.reset();
    }
    expect((await tight.encrypt(keyRef, Buffer.from('x'))).ciphertext.length).toBeGreaterThan(0);
    await tight.close();
  });

  it('reports an outage in health() and recovers on the same port', async () => {
    await emu.faults.down();
    try {
      const e = await failure(p.describeKey(keyRef));
      expect([e.kind, e.providerCode]).toEqual(['Unavailable', 'ECONNREFUSED']);
      const h = await p.health();
      expect(h.ok).toBe(false);
      expect(h.detail).toMatch(/Unavailable/);
    } finally {
      await emu.faults.up();
    }
    expect((await p.health()).ok).toBe(true);
  });

  it('maps bad credentials to AccessDenied without echoing the secret or the plaintext', async () => {
    const secret = 'wrong-secret-must-not-appear';
    const bad = testProvider(emu, { credentials: { ...TEST_CREDENTIALS, secretAccessKey: secret } });
    const unknown = testProvider(emu, { credentials: { ...TEST_CREDENTIALS, accessKeyId: 'AKIDNOBODY' } });
    try {
      const plaintext = 'TOP-SECRET-ORDERS';
      const e = await failure(bad.encrypt(keyRef, Buffer.from(plaintext)));
      expect([e.kind, e.providerCode, e.retryable]).toEqual(['AccessDenied', 'InvalidSignatureException', false]);
      const text = `${e.message} ${JSON.stringify(e)}`;
      expect(text).not.toContain(secret);
      expect(text).not.toContain(plaintext);
      expect(text).not.toContain(Buffer.from(plaintext).toString('base64'));
      expect((await failure(unknown.encrypt(keyRef, Buffer.from('x')))).providerCode).toBe('UnrecognizedClientException');
    } finally {
      await bad.close();
      await unknown.close();
    }
  });

  it('maps a disabled key to KeyDisabled without echoing the plaintext', async () => {
    await p.disable(keyRef);
    try {
      const e = await failure(p.encrypt(keyRef, Buffer.from('TOP-SECRET-ORDERS')));
      expect([e.kind, e.providerCode]).toEqual(['KeyDisabled', 'DisabledException']);
      expect(e.message).not.toContain('TOP-SECRET-ORDERS');
    } finally {
      await p.enable(keyRef);
    }
  });
});
