// A retired key version no longer decrypts (DESIGN.md "Key model": older versions still decrypt until retired), and an
// officer's reinstatement brings it back for a while (docs/rotation.md "Grace and retirement"). On a real store with an
// injected clock: data under v1 and v2 of a communication key; v1 retired (by an officer, then by a scheduler pass)
// refuses with key_version_retired while v2 still decrypts; reinstated for 7 days it decrypts again and no pass retires
// it inside those days, and the next pass after them does. Each step's audit record is read back.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsole, type FleetConsole } from '../../electron/app.ts';
import { silentLogger } from '../../electron/logger.ts';
import { contract } from '../../shared/contract.ts';
import type { AwsKmsEmulator } from '../emulators/aws-kms/index.ts';
import { startTestEmulator, TEST_CREDENTIALS, TEST_REGION } from '../emulators/aws-kms/testkit.ts';
import { CTX, FAST_KDF, tempDir } from '../unit/store-testkit.ts';
import { contractCaller, failure } from './support/consoleCalls.ts';

const PASS = 'Retired-Version-Decrypt-Passphrase 42';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const AAD = Buffer.from('archive');

describe('retired key versions and their reinstatement', () => {
  const dir = tempDir('ecps-retired-');
  let t = Date.parse('2026-11-02T08:00:00Z');
  const clock = { now: () => t };
  let c: FleetConsole;
  let keyId = '';
  let ct1: Buffer = Buffer.alloc(0);
  let ct2: Buffer = Buffer.alloc(0);

  const call = contractCaller(() => c);
  const decrypt = (ct: Buffer) => call('keys:decrypt', { ciphertext: ct, aad: AAD });
  const opened = async (ct: Buffer) => Buffer.from((await decrypt(ct)).plaintext).toString();
  const lastAudit = async (action: string) => {
    const { records } = await call('audit:query', { action, limit: 1 });
    return records[0];
  };

  beforeAll(async () => {
    c = await createConsole({ dataDir: join(dir, 'store'), kdf: FAST_KDF, logger: silentLogger, clock, rotation: { scheduler: false } });
    await c.handlers['session:init']({ operator: 'alice', passphrase: PASS }, CTX);
    await call('rollout:setPolicy', { policy: { canaryRobots: [], canaryPercent: 50, canarySites: [], maxFailureRatio: 0, graceVersions: 1, graceSeconds: 3600 } });
    keyId = (await c.keys.create({ type: 'communication', label: 'archive link' })).id;
    // A robot holds v1 when the key rotates, so the key has a rollout and the scheduler's pass looks after its versions.
    c.fleet.recordProvisioned('uv-r1', [{ keyId, version: 1 }], { name: 'uv-r1', model: 'UV-7', site: 'Plant A', firmware: '1.0', tags: [] });
    ct1 = (await c.keys.encrypt(keyId, Buffer.from('written under v1'), AAD)).ciphertext;
    t += HOUR;
    await c.keys.rotate(keyId);
    ct2 = (await c.keys.encrypt(keyId, Buffer.from('written under v2'), AAD)).ciphertext;
  });
  afterAll(() => {
    c.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('before retirement both versions decrypt (the baseline the refusals below depart from)', async () => {
    expect(await opened(ct1)).toBe('written under v1');
    expect(await opened(ct2)).toBe('written under v2');
  });

  it('a version an officer retired refuses to decrypt; the current one still does', async () => {
    const r = await call('rollout:retire', { keyId, version: 1, force: true, reason: 'robot uv-r1 lost' });
    expect(r.version.state).toBe('retired');
    const refused = await failure(decrypt(ct1));
    expect(refused.code).toBe('key_version_retired');
    expect(refused.details).toMatchObject({ keyId, version: 1, retiredAt: new Date(t).toISOString() });
    expect(refused.message).toContain(`Version 1 of key ${keyId} was retired`);
    expect(await lastAudit('key.decrypt')).toMatchObject({ outcome: 'failure', targetId: keyId });
    expect(await opened(ct2)).toBe('written under v2');
  });

  it('refusals of a reinstatement: no reason, a version not retired, no such version, days out of range', async () => {
    // The contract refuses what no call may carry (days 1-90, a reason)...
    for (const input of [
      { keyId, version: 1, reason: '   ', days: 7 },
      { keyId, version: 1, reason: 'too long', days: 91 },
      { keyId, version: 1, reason: 'too short', days: 0 },
      { keyId, version: 1, reason: 'half a day', days: 0.5 },
      { keyId, version: 1, days: 7 },
    ]) {
      expect({ input, ok: contract['rollout:reinstate'].input.safeParse(input).success }).toEqual({ input, ok: false });
    }
    expect(contract['rollout:reinstate'].input.safeParse({ keyId, version: 1, reason: 'in range', days: 90 }).success).toBe(true);
    // ...and the service what depends on the store.
    const cases: Array<[input: { keyId: string; version: number; reason: string; days: number }, code: string]> = [
      [{ keyId, version: 2, reason: 'not retired', days: 7 }, 'illegal_transition'],
      [{ keyId, version: 9, reason: 'no such version', days: 7 }, 'not_found'],
      [{ keyId: '0b7c2a52-3f1e-4c1a-9a57-3c7f2b8e4d10', version: 1, reason: 'no such key', days: 7 }, 'not_found'],
    ];
    for (const [input, code] of cases) {
      const e = await failure(call('rollout:reinstate', input));
      expect({ input, code: e.code }).toEqual({ input, code });
    }
    expect(await lastAudit('rollout.reinstate')).toMatchObject({ outcome: 'failure', details: { code: 'not_found' } });
    expect((await failure(decrypt(ct1))).code).toBe('key_version_retired');
  });

  it('reinstated for 7 days: v1 decrypts again, no pass retires it within the days, the first pass after them does', async () => {
    const r = await call('rollout:reinstate', { keyId, version: 1, reason: 're-encrypt the archive under v2', days: 7 });
    const until = new Date(t + 7 * DAY).toISOString();
    // v2 replaced v1 less than the policy's 3600 s ago: v1 is back in its grace.
    expect(r).toMatchObject({ until, version: { version: 1, state: 'in_grace', reinstatedUntil: until, retiredAt: null } });
    expect(await lastAudit('rollout.reinstate')).toMatchObject({
      outcome: 'success',
      targetId: keyId,
      details: { version: 1, reason: 're-encrypt the archive under v2', until, retiredBy: 'alice' },
    });
    expect(await opened(ct1)).toBe('written under v1');

    // The robot that held v1 leaves the fleet, so nobody holds v1 and its grace has ended: a pass would retire it.
    c.fleet.setStatus('uv-r1', 'decommissioned', 'scrapped');
    t += 7 * DAY - HOUR;
    c.rotation.rollouts.sweep(t);
    expect((await call('rollout:versions', { keyId })).versions.find((v) => v.version === 1)?.state).toBe('grace_ended');
    expect(await opened(ct1)).toBe('written under v1');

    t += 2 * HOUR;
    c.rotation.rollouts.sweep(t);
    const v1 = (await call('rollout:versions', { keyId })).versions.find((v) => v.version === 1);
    expect(v1).toMatchObject({ state: 'retired', retiredBy: 'auto', reinstatedUntil: null });
    expect((await failure(decrypt(ct1))).code).toBe('key_version_retired');
    expect(await opened(ct2)).toBe('written under v2');
  });
});

describe('a retired version of a key held at a provider (AWS KMS emulator on 127.0.0.1)', () => {
  const dir = tempDir('ecps-retired-aws-');
  let aws: AwsKmsEmulator;
  let c: FleetConsole;
  const call = contractCaller(() => c);
  beforeAll(async () => {
    aws = await startTestEmulator();
    c = await createConsole({ dataDir: join(dir, 'store'), kdf: FAST_KDF, logger: silentLogger, env: {}, rotation: { scheduler: false } });
    await c.handlers['session:init']({ operator: 'alice', passphrase: PASS }, CTX);
    await call('providers:save', {
      config: {
        provider: 'aws_kms', id: 'aws', region: TEST_REGION, endpoint: aws.endpoint, aws_access_key_id: TEST_CREDENTIALS.accessKeyId,
        aws_secret_access_key: TEST_CREDENTIALS.secretAccessKey, use_kms_for_storage: false, timeout_ms: 2000, retries: 0,
      },
    });
  });
  afterAll(async () => {
    c.close();
    await aws.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the provider opens the data key, the console refuses it for the retired version and returns no plaintext', async () => {
    const keyId = (await c.keys.create({ type: 'storage', label: 'on aws', provider: 'aws' })).id;
    const ct1 = (await c.keys.encrypt(keyId, Buffer.from('aws v1'), AAD)).ciphertext;
    await c.keys.rotate(keyId);
    const ct2 = (await c.keys.encrypt(keyId, Buffer.from('aws v2'), AAD)).ciphertext;
    expect((await call('keys:decrypt', { ciphertext: ct1, aad: AAD })).version).toBe(1);
    await call('rollout:retire', { keyId, version: 1 });
    const refused = await failure(call('keys:decrypt', { ciphertext: ct1, aad: AAD }));
    expect(refused).toMatchObject({ code: 'key_version_retired', details: { keyId, version: 1 } });
    expect(Buffer.from((await call('keys:decrypt', { ciphertext: ct2, aad: AAD })).plaintext).toString()).toBe('aws v2');
  });
});
