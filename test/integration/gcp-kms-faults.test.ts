// Faults between the Cloud KMS adapter and the service: the adapter makes exactly one attempt (no library retries;
// the console's resilience layer retries), every failure arrives as a typed ProviderError keeping the gRPC status
// name, and the adapter recovers as soon as the service is back. No traffic leaves loopback.
import dc from 'node:diagnostics_channel';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../electron/clock.ts';
import { withResilience } from '../../electron/providers/resilience/withResilience.ts';
import type { KmsProvider } from '../../electron/providers/types.ts';
import type { GcpKmsEmulator } from '../emulators/gcp-kms/index.ts';
import { startTestEmulator, testProvider } from '../emulators/gcp-kms/testkit.ts';
import { providerFailure } from './conformance/suite.ts';

const remotes: string[] = [];
const onSocket = (msg: unknown) => {
  const socket = (msg as { socket: net.Socket }).socket;
  socket.on('connectionAttempt', (ip: string) => remotes.push(ip));
  socket.on('lookup', (_err: unknown, address: string, _family: unknown, host: string) => remotes.push(`${host}->${address}`));
};

let emu: GcpKmsEmulator;
let p: KmsProvider;
let keyRef: string;

beforeAll(async () => {
  dc.subscribe('net.client.socket', onSocket);
  emu = await startTestEmulator();
  // A deadline no healthy call reaches on a loaded machine; the deadline case has its own tight provider.
  p = testProvider(emu, { timeoutMs: 10_000 });
  keyRef = (await p.createKey({ name: 'faults', spec: 'AES_256', usage: 'encrypt' })).keyRef;
});
afterAll(async () => {
  await p.close();
  await emu.close();
  dc.unsubscribe('net.client.socket', onSocket);
});

describe('Cloud KMS adapter under faults', () => {
  it('throttling (RESOURCE_EXHAUSTED) is Throttled and retryable, after exactly one request', async () => {
    const before = emu.faults.requestCount;
    emu.faults.throttleNext(1);
    const f = await providerFailure(p.encrypt(keyRef, Buffer.from('x')));
    expect(f).toMatchObject({ kind: 'Throttled', providerCode: 'RESOURCE_EXHAUSTED' });
    expect(f.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(emu.faults.requestCount - before).toBe(1);
  });

  it('server errors are Unavailable: 503 as UNAVAILABLE, 500 as INTERNAL, without library retries', async () => {
    const before = emu.faults.requestCount;
    emu.faults.failNext(1, 503);
    expect(await providerFailure(p.encrypt(keyRef, Buffer.from('x')))).toMatchObject({ kind: 'Unavailable', providerCode: 'UNAVAILABLE' });
    emu.faults.failNext(1, 500);
    expect(await providerFailure(p.decrypt(keyRef, Buffer.alloc(40, 1)))).toMatchObject({ kind: 'Unavailable', providerCode: 'INTERNAL' });
    expect(emu.faults.requestCount - before).toBe(2);
    expect((await p.encrypt(keyRef, Buffer.from('fine'))).version).toBe(1);
  });

  it('a dropped connection is Unavailable and the next call goes through', async () => {
    emu.faults.dropNext(1);
    expect((await providerFailure(p.encrypt(keyRef, Buffer.from('x')))).kind).toBe('Unavailable');
    expect((await p.encrypt(keyRef, Buffer.from('after drop'))).ciphertext.length).toBeGreaterThan(0);
  });

  it('a slow service hits the per-call deadline: Unavailable (DEADLINE_EXCEEDED)', async () => {
    const tight = testProvider(emu, { timeoutMs: 400 });
    emu.faults.setLatency(1_500);
    try {
      expect(await providerFailure(tight.encrypt(keyRef, Buffer.from('x')))).toMatchObject({ kind: 'Unavailable', providerCode: 'DEADLINE_EXCEEDED' });
    } finally {
      emu.faults.setLatency(0);
      await tight.close();
    }
  });

  it('an outage is Unavailable for every call and health, and both recover the moment the service is back', async () => {
    await emu.faults.down();
    try {
      expect((await providerFailure(p.encrypt(keyRef, Buffer.from('x')))).kind).toBe('Unavailable');
      expect((await providerFailure(p.describeKey(keyRef))).kind).toBe('Unavailable');
      expect(await p.health()).toMatchObject({ ok: false, detail: 'Unavailable (UNAVAILABLE)' });
    } finally {
      await emu.faults.up();
    }
    expect((await p.health()).ok).toBe(true);
    expect((await p.describeKey(keyRef)).state).toBe('enabled');
  });

  it('behind the resilience layer, throttling and a server error are retried to success', async () => {
    const resilient = withResilience(p, { clock: systemClock, timeoutMs: 2_000, maxRetries: 3, baseDelayMs: 1, maxDelayMs: 5, breaker: { failureThreshold: 10, openMs: 1_000 } });
    emu.faults.throttleNext(1);
    const { ciphertext } = await resilient.encrypt(keyRef, Buffer.from('eventually'));
    emu.faults.failNext(1, 503);
    expect((await resilient.decrypt(keyRef, ciphertext)).plaintext.toString()).toBe('eventually');
  });

  it('sent no traffic off loopback and never looked up a metadata server', () => {
    expect(remotes.length).toBeGreaterThan(0);
    for (const r of remotes) expect(r).toMatch(/^127\.0\.0\.1$|->127\.0\.0\.1$/);
    expect(remotes.join(' ')).not.toMatch(/metadata|169\.254/);
  });
});
