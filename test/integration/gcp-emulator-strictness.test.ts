// The Cloud KMS emulator is as strict as the service (driven through the official client over real gRPC), and the
// adapter catches every corruption the emulator's integrity switch injects: IntegrityFailure, never a value.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyManagementServiceClient } from '@google-cloud/kms';
import { manualClock } from '../../electron/clock.ts';
import { createCrc32c } from '../../electron/providers/gcp/crc32c.ts';
import type { KmsProvider } from '../../electron/providers/types.ts';
import type { GcpKmsEmulator } from '../emulators/gcp-kms/index.ts';
import { rawClient, ringName, startTestEmulator, testProvider } from '../emulators/gcp-kms/testkit.ts';
import { providerFailure } from './conformance/suite.ts';

const crc32c = createCrc32c();
const aad = Buffer.from('robot-0042|link');

/** The gRPC status code a raw client call failed with. */
async function status(p: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code?: unknown; details?: unknown };
    if (typeof err.code === 'number') return { code: err.code, details: String(err.details) };
    throw e;
  }
  throw new Error('expected the call to fail');
}
const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;
const PERMISSION_DENIED = 7;
const FAILED_PRECONDITION = 9;

let emu: GcpKmsEmulator;
let p: KmsProvider;
let raw: KeyManagementServiceClient;
let aes: string;
let ec: string;

beforeAll(async () => {
  emu = await startTestEmulator();
  p = testProvider(emu);
  raw = rawClient(emu);
  aes = (await p.createKey({ name: 'strict-aes', spec: 'AES_256', usage: 'encrypt' })).keyRef;
  ec = (await p.createKey({ name: 'strict-ec', spec: 'EC_P256', usage: 'sign' })).keyRef;
});
afterAll(async () => {
  await raw.close();
  await p.close();
  await emu.close();
});

describe('Cloud KMS emulator strictness (official client, real gRPC)', () => {
  it('refuses malformed resource names with INVALID_ARGUMENT and unknown ones with NOT_FOUND', async () => {
    expect((await status(raw.getCryptoKey({ name: 'projects/x/keyRings/y' }))).code).toBe(INVALID_ARGUMENT);
    expect((await status(raw.encrypt({ name: `${ringName()}/cryptoKeys/bad name!`, plaintext: Buffer.from('x') }))).code).toBe(INVALID_ARGUMENT);
    expect((await status(raw.createKeyRing({ parent: 'projects/ecps-fleet-test/locations/europe-west1', keyRingId: 'no/slashes' }))).code).toBe(INVALID_ARGUMENT);
    expect((await status(raw.getCryptoKey({ name: `${ringName()}/cryptoKeys/never-made` }))).code).toBe(NOT_FOUND);
    expect((await status(raw.createCryptoKey({ parent: ringName('no-such-ring'), cryptoKeyId: 'k', cryptoKey: { purpose: 'ENCRYPT_DECRYPT' } }))).code).toBe(NOT_FOUND);
    expect((await status(raw.getCryptoKeyVersion({ name: `${aes}/cryptoKeyVersions/9` }))).code).toBe(NOT_FOUND);
  });

  it('refuses a wrong request checksum with INVALID_ARGUMENT, as the service does', async () => {
    const plaintext = Buffer.from('dock 7');
    const wrong = { value: (crc32c(plaintext) ^ 1) >>> 0 };
    const enc = await status(raw.encrypt({ name: aes, plaintext, plaintextCrc32c: wrong }));
    expect(enc).toMatchObject({ code: INVALID_ARGUMENT, details: expect.stringMatching(/plaintext_crc32c/) });
    const [ok] = await raw.encrypt({ name: aes, plaintext });
    const ct = Buffer.from(ok.ciphertext as Uint8Array);
    expect((await status(raw.decrypt({ name: aes, ciphertext: ct, ciphertextCrc32c: { value: (crc32c(ct) + 1) >>> 0 } }))).code).toBe(INVALID_ARGUMENT);
    expect((await status(raw.encrypt({ name: aes, plaintext, additionalAuthenticatedData: aad, additionalAuthenticatedDataCrc32c: { value: 7 } }))).code).toBe(INVALID_ARGUMENT);
    const digest = crypto.createHash('sha256').update('x').digest();
    expect((await status(raw.asymmetricSign({ name: `${ec}/cryptoKeyVersions/1`, digest: { sha256: digest }, digestCrc32c: { value: 1 } }))).code).toBe(INVALID_ARGUMENT);
  });

  it('computes response checksums as the service does and sets verified_* only for checksums it was sent', async () => {
    const plaintext = crypto.randomBytes(100);
    const [checked] = await raw.encrypt({ name: aes, plaintext, plaintextCrc32c: { value: crc32c(plaintext) }, additionalAuthenticatedData: aad, additionalAuthenticatedDataCrc32c: { value: crc32c(aad) } });
    expect(checked.verifiedPlaintextCrc32c).toBe(true);
    expect(checked.verifiedAdditionalAuthenticatedDataCrc32c).toBe(true);
    expect(Number(checked.ciphertextCrc32c?.value)).toBe(crc32c(checked.ciphertext as Uint8Array));
    expect(checked.name).toBe(`${aes}/cryptoKeyVersions/1`);
    const [unchecked] = await raw.encrypt({ name: aes, plaintext });
    expect(unchecked.verifiedPlaintextCrc32c).toBe(false);
    const [dec] = await raw.decrypt({ name: aes, ciphertext: checked.ciphertext, additionalAuthenticatedData: aad });
    expect(Buffer.from(dec.plaintext as Uint8Array).equals(plaintext)).toBe(true);
    expect(Number(dec.plaintextCrc32c?.value)).toBe(crc32c(plaintext));
  });

  it('enforces the 64 KiB plaintext limit (adapter: InvalidInput keeping INVALID_ARGUMENT)', async () => {
    const max = Buffer.alloc(64 * 1024, 1);
    const { ciphertext } = await p.encrypt(aes, max, aad);
    expect((await p.decrypt(aes, ciphertext, aad)).plaintext.equals(max)).toBe(true);
    const tooBig = await providerFailure(p.encrypt(aes, Buffer.alloc(64 * 1024 + 1, 1), aad));
    expect(tooBig).toMatchObject({ kind: 'InvalidInput', providerCode: 'INVALID_ARGUMENT' });
    expect((await providerFailure(p.encrypt(aes, Buffer.alloc(0)))).kind).toBe('InvalidInput');
  });

  it('refuses a disabled version with FAILED_PRECONDITION (adapter: KeyDisabled) and the wrong purpose with INVALID_ARGUMENT', async () => {
    const key = (await p.createKey({ name: 'strict-disable', spec: 'AES_256', usage: 'encrypt' })).keyRef;
    const [enc] = await raw.encrypt({ name: key, plaintext: Buffer.from('x') });
    await raw.updateCryptoKeyVersion({ cryptoKeyVersion: { name: `${key}/cryptoKeyVersions/1`, state: 'DISABLED' }, updateMask: { paths: ['state'] } });
    expect((await status(raw.encrypt({ name: key, plaintext: Buffer.from('x') }))).code).toBe(FAILED_PRECONDITION);
    expect((await status(raw.decrypt({ name: key, ciphertext: enc.ciphertext }))).code).toBe(FAILED_PRECONDITION);
    expect(await providerFailure(p.encrypt(key, Buffer.from('x')))).toMatchObject({ kind: 'KeyDisabled', providerCode: 'FAILED_PRECONDITION' });
    // update_mask must name the state, and only ENABLED / DISABLED can be set.
    expect((await status(raw.updateCryptoKeyVersion({ cryptoKeyVersion: { name: `${key}/cryptoKeyVersions/1`, state: 'ENABLED' }, updateMask: { paths: [] } }))).code).toBe(INVALID_ARGUMENT);
    expect((await status(raw.updateCryptoKeyVersion({ cryptoKeyVersion: { name: `${key}/cryptoKeyVersions/1`, state: 'DESTROYED' }, updateMask: { paths: ['state'] } }))).code).toBe(INVALID_ARGUMENT);
    expect((await status(raw.encrypt({ name: ec, plaintext: Buffer.from('x') }))).code).toBe(INVALID_ARGUMENT);
    expect((await status(raw.decrypt({ name: `${aes}/cryptoKeyVersions/1`, ciphertext: enc.ciphertext }))).code).toBe(INVALID_ARGUMENT);
    expect((await status(raw.asymmetricSign({ name: `${ec}/cryptoKeyVersions/1`, digest: { sha256: Buffer.alloc(20) } }))).code).toBe(INVALID_ARGUMENT);
  });

  it('emulates IAM: a revoked permission is PERMISSION_DENIED (adapter: AccessDenied) for that method only', async () => {
    const { ciphertext } = await p.encrypt(aes, Buffer.from('before'), aad);
    emu.revoke('cloudkms.cryptoKeyVersions.useToEncrypt');
    try {
      const denied = await providerFailure(p.encrypt(aes, Buffer.from('x'), aad));
      expect(denied).toMatchObject({ kind: 'AccessDenied', providerCode: 'PERMISSION_DENIED' });
      expect(denied.message).toMatch(/cloudkms\.cryptoKeyVersions\.useToEncrypt/);
      expect((await p.decrypt(aes, ciphertext, aad)).plaintext.toString()).toBe('before');
      expect((await status(raw.encrypt({ name: aes, plaintext: Buffer.from('x') }))).code).toBe(PERMISSION_DENIED);
    } finally {
      emu.grant('cloudkms.cryptoKeyVersions.useToEncrypt');
    }
    const [again] = await raw.encrypt({ name: aes, plaintext: Buffer.from('x') });
    expect(again.name).toBe(`${aes}/cryptoKeyVersions/1`);
  });

  it('refuses a tampered page token', async () => {
    const [, , first] = await raw.listCryptoKeys({ parent: ringName(), pageSize: 1 }, { autoPaginate: false });
    expect(first?.nextPageToken).toBeTruthy();
    const bad = `${first!.nextPageToken!.slice(0, -1)}${first!.nextPageToken!.endsWith('A') ? 'B' : 'A'}`;
    expect((await status(raw.listCryptoKeys({ parent: ringName(), pageSize: 1, pageToken: bad }, { autoPaginate: false }))).code).toBe(INVALID_ARGUMENT);
  });

  it('sends each call its own routing header (concurrent calls on different keys all succeed)', async () => {
    const other = (await p.createKey({ name: 'strict-aes-2', spec: 'AES_256', usage: 'encrypt' })).keyRef;
    const results = await Promise.all([aes, other, aes, other].map((k) => p.encrypt(k, Buffer.from('parallel'), aad)));
    expect(results.map((r) => r.version)).toEqual([1, 1, 1, 1]);
    expect(await Promise.all([aes, other].map((k) => p.describeKey(k).then((i) => i.keyRef)))).toEqual([aes, other]);
  });
});

describe('the integrity switch: corrupted responses are caught by the adapter as IntegrityFailure', () => {
  it('the switch really corrupts what the raw client receives (which does not notice)', async () => {
    const plaintext = Buffer.from('raw');
    emu.corruptNext('checksum');
    const [out] = await raw.encrypt({ name: aes, plaintext });
    expect(Number(out.ciphertextCrc32c?.value)).not.toBe(crc32c(out.ciphertext as Uint8Array));
  });

  for (const kind of ['checksum', 'data', 'unverified', 'name'] as const) {
    it(`encrypt: a corrupted ${kind} is an IntegrityFailure`, async () => {
      emu.corruptNext(kind);
      const f = await providerFailure(p.encrypt(aes, Buffer.from('secret orders'), aad));
      expect(f.kind).toBe('IntegrityFailure');
      expect(f.providerCode).toMatch(/^CHECKSUM_|^RESOURCE_NAME_MISMATCH$/);
    });
    it(`sign: a corrupted ${kind} is an IntegrityFailure`, async () => {
      emu.corruptNext(kind);
      expect((await providerFailure(p.sign(ec, Buffer.from('emergency stop')))).kind).toBe('IntegrityFailure');
    });
  }

  for (const kind of ['checksum', 'data'] as const) {
    it(`decrypt and generateDataKey: a corrupted ${kind} is an IntegrityFailure, never plaintext`, async () => {
      const { ciphertext } = await p.encrypt(aes, Buffer.from('secret orders'), aad);
      emu.corruptNext(kind);
      expect((await providerFailure(p.decrypt(aes, ciphertext, aad))).kind).toBe('IntegrityFailure');
      emu.corruptNext(kind);
      expect((await providerFailure(p.generateDataKey(aes, aad))).kind).toBe('IntegrityFailure');
      expect((await p.decrypt(aes, ciphertext, aad)).plaintext.toString()).toBe('secret orders');
    });
  }

  it('getPublicKey: a corrupted PEM or checksum is an IntegrityFailure', async () => {
    const key = (await p.createKey({ name: 'strict-pem', spec: 'RSA_2048', usage: 'sign' })).keyRef;
    emu.corruptNext('data');
    expect((await providerFailure(p.getPublicKey(key))).kind).toBe('IntegrityFailure');
    emu.corruptNext('checksum');
    expect((await providerFailure(p.getPublicKey(key, 1))).kind).toBe('IntegrityFailure');
    expect((await p.getPublicKey(key, 1)).pem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  });
});

describe('time-driven lifecycle on the emulator clock', () => {
  it('scheduled destruction completes after the key\'s waiting period; a destroyed version cannot be restored', async () => {
    const clock = manualClock(Date.now());
    const timed = await startTestEmulator({ clock });
    const tp = testProvider(timed, { destroyScheduledDays: 2, now: () => clock.now() });
    const traw = rawClient(timed);
    try {
      const key = (await tp.createKey({ name: 'timed', spec: 'AES_256', usage: 'encrypt' })).keyRef;
      const { deletionDate } = await tp.scheduleDestruction(key, 7);
      expect(Date.parse(deletionDate)).toBe(clock.now() + 2 * 86_400_000);
      expect(await tp.describeKey(key)).toMatchObject({ state: 'pending_deletion', deletionDate });
      clock.advance(2 * 86_400_000 + 1);
      expect((await tp.describeKey(key)).state).toBe('destroyed');
      expect((await status(traw.restoreCryptoKeyVersion({ name: `${key}/cryptoKeyVersions/1` }))).code).toBe(FAILED_PRECONDITION);
      expect((await providerFailure(tp.cancelDestruction(key))).kind).toBe('KeyDisabled');
    } finally {
      await traw.close();
      await tp.close();
      await timed.close();
    }
  });

  it('rotates automatically on the key\'s rotation period (rotationPeriodDays and next_rotation_time)', async () => {
    const clock = manualClock(Date.now());
    const timed = await startTestEmulator({ clock });
    const tp = testProvider(timed, { now: () => clock.now() });
    try {
      const key = await tp.createKey({ name: 'auto', spec: 'AES_256', usage: 'encrypt', rotationPeriodDays: 1 });
      expect(key.rotationPeriodDays).toBe(1);
      expect((await providerFailure(tp.createKey({ name: 'auto-sign', spec: 'EC_P256', usage: 'sign', rotationPeriodDays: 1 }))).kind).toBe('InvalidInput');
      const { ciphertext } = await tp.encrypt(key.keyRef, Buffer.from('day one'));
      clock.advance(86_400_000 + 1000);
      expect((await tp.describeKey(key.keyRef)).currentVersion).toBe(2);
      expect((await tp.encrypt(key.keyRef, Buffer.from('day two'))).version).toBe(2);
      expect((await tp.decrypt(key.keyRef, ciphertext)).plaintext.toString()).toBe('day one');
    } finally {
      await tp.close();
      await timed.close();
    }
  });

  it('asymmetric versions are PENDING_GENERATION at first (FAILED_PRECONDITION); the adapter waits for them', async () => {
    const slow = await startTestEmulator({ generationDelayMs: 300 });
    const sraw = rawClient(slow);
    const sp = testProvider(slow);
    try {
      await sraw.createKeyRing({ parent: ringName().replace(/\/keyRings\/.*$/, ''), keyRingId: 'ecps-console' });
      const [k] = await sraw.createCryptoKey({ parent: ringName(), cryptoKeyId: 'pending', cryptoKey: { purpose: 'ASYMMETRIC_SIGN', versionTemplate: { algorithm: 'EC_SIGN_P256_SHA256' } } });
      expect(k.primary ?? null).toBeNull();
      const digest = crypto.createHash('sha256').update('x').digest();
      expect((await status(sraw.asymmetricSign({ name: `${k.name!}/cryptoKeyVersions/1`, digest: { sha256: digest } }))).code).toBe(FAILED_PRECONDITION);
      const made = await sp.createKey({ name: 'pending-2', spec: 'RSA_2048', usage: 'sign' });
      expect(made.state).toBe('enabled');
      expect((await sp.sign(made.keyRef, Buffer.from('now'))).version).toBe(1);
    } finally {
      await sraw.close();
      await sp.close();
      await slow.close();
    }
  });
});

