// PKCS#11 adapter behaviour beyond the conformance suite, on a real SoftHSM2 token: the single session is serialised,
// the ciphertext header (version, nonce) is authenticated, versions stay usable after rotation, input is validated.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPkcs11Provider } from '../../electron/providers/pkcs11/pkcs11Provider.ts';
import type { KmsProvider } from '../../electron/providers/types.ts';
import { providerFailure } from './conformance/suite.ts';
import { createSoftHsmToken, removeSoftHsmFolder, type SoftHsmToken } from './softhsm-kit.ts';

const aad = Buffer.from('robot-0042|link');

describe('PKCS#11 adapter on SoftHSM2', () => {
  let token: SoftHsmToken;
  let p: KmsProvider;
  beforeAll(async () => {
    token = createSoftHsmToken('prov');
    p = createPkcs11Provider({ id: 'hsm', modulePath: token.modulePath, tokenLabel: token.label, pin: token.pin, clock: { now: () => Date.parse('2026-03-01T08:00:00Z') } });
    await p.createKey({ name: 'aes', spec: 'AES_256', usage: 'encrypt' });
    await p.createKey({ name: 'rsa', spec: 'RSA_2048', usage: 'sign' });
    await p.createKey({ name: 'ec', spec: 'EC_P256', usage: 'sign' });
  });
  afterAll(async () => {
    await p.close();
    await token.cleanup();
    removeSoftHsmFolder();
  });

  it('serialises concurrent calls on its one session (PKCS#11 forbids interleaved operations)', async () => {
    const plain = Array.from({ length: 30 }, (_, i) => Buffer.from(`order ${i}`));
    const results = await Promise.all([
      ...plain.map((m) => p.encrypt('aes', m, aad)),
      ...plain.map((m) => p.sign('ec', m)),
      ...plain.map((m) => p.sign('rsa', m)),
      ...plain.map(() => p.generateDataKey('aes', aad)),
    ]);
    const encrypted = results.slice(0, 30) as Array<{ ciphertext: Buffer }>;
    const back = await Promise.all(encrypted.map((r) => p.decrypt('aes', r.ciphertext, aad)));
    back.forEach((r, i) => expect(r.plaintext.equals(plain[i]!)).toBe(true));
    const ecSigs = results.slice(30, 60) as Array<{ signature: Buffer }>;
    const verified = await Promise.all(ecSigs.map((r, i) => p.verify('ec', plain[i]!, r.signature)));
    expect(verified.every(Boolean)).toBe(true);
  });

  it('key generation runs off the main thread, and calls made meanwhile wait for it on the session', async () => {
    const order: string[] = [];
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    try {
      const created = p.createKey({ name: 'rsa-late', spec: 'RSA_2048', usage: 'sign' }).then((k) => (order.push('create'), k));
      const encrypted = p.encrypt('aes', Buffer.from('queued'), aad).then((r) => (order.push('encrypt'), r));
      const rotated = p.rotate('ec').then((r) => (order.push('rotate'), r));
      const [key, enc, rot] = await Promise.all([created, encrypted, rotated]);
      expect(order).toEqual(['create', 'encrypt', 'rotate']);
      expect(key.state).toBe('enabled');
      expect(rot.version).toBe(2);
      expect((await p.decrypt('aes', enc.ciphertext, aad)).plaintext.toString()).toBe('queued');
    } finally {
      clearInterval(timer);
    }
    // RSA-2048 generation is not instantaneous in SoftHSM2; the event loop kept turning while it ran.
    expect(ticks).toBeGreaterThan(0);
  });

  it('authenticates the header: a changed version or nonce byte is IntegrityFailure, not another key version', async () => {
    const { ciphertext, version } = await p.encrypt('aes', Buffer.from('dock 7'), aad);
    expect(version).toBe(1);
    expect(ciphertext.readUInt32BE(0)).toBe(1);
    const otherVersion = Buffer.from(ciphertext);
    otherVersion.writeUInt32BE(2, 0);
    expect((await providerFailure(p.decrypt('aes', otherVersion, aad))).kind).toBe('IntegrityFailure');
    const otherNonce = Buffer.from(ciphertext);
    otherNonce[6]! ^= 0x01;
    expect((await providerFailure(p.decrypt('aes', otherNonce, aad))).kind).toBe('IntegrityFailure');
  });

  it('data keys come from the token and decrypt only under their key and AAD', async () => {
    const dk = await p.generateDataKey('aes', aad);
    expect(dk.version).toBe(1);
    expect(dk.wrapped.length).toBe(16 + 32 + 16);
    await p.createKey({ name: 'aes-other', spec: 'AES_256', usage: 'encrypt' });
    expect((await providerFailure(p.decrypt('aes-other', dk.wrapped, aad))).kind).toBe('IntegrityFailure');
    expect((await p.decrypt('aes', dk.wrapped, aad)).plaintext.equals(dk.plaintext)).toBe(true);
  });

  it('describes keys with the injected clock and keeps every version after rotating a signing key', async () => {
    expect(await p.describeKey('rsa')).toMatchObject({ keyRef: 'rsa', name: 'rsa', createdAt: '2026-03-01T08:00:00.000Z', rotationPeriodDays: null, deletionDate: null });
    const msg = Buffer.from('fleet halt');
    const v1 = await p.sign('rsa', msg);
    await p.rotate('rsa');
    const v2 = await p.sign('rsa', msg);
    expect(v2.version).toBe(2);
    expect(await p.verify('rsa', msg, v1.signature, 1)).toBe(true);
    expect(await p.verify('rsa', msg, v1.signature, 2)).toBe(false);
    expect((await p.getPublicKey('rsa', 1)).pem).not.toBe((await p.getPublicKey('rsa', 2)).pem);
    expect((await providerFailure(p.getPublicKey('rsa', 3))).kind).toBe('NotFound');
    // A malformed signature is simply not valid.
    expect(await p.verify('ec', msg, crypto.randomBytes(70))).toBe(false);
    expect(await p.verify('rsa', msg, Buffer.alloc(3))).toBe(false);
  });

  it('refuses bad input with InvalidInput and names the rule', async () => {
    const cases: Array<() => Promise<unknown>> = [
      () => p.createKey({ name: 'bad name!', spec: 'AES_256', usage: 'encrypt' }),
      () => p.createKey({ name: 'aes', spec: 'AES_256', usage: 'encrypt' }),
      () => p.createKey({ name: 'rsa-enc', spec: 'RSA_2048', usage: 'encrypt' }),
      () => p.createKey({ name: 'auto', spec: 'AES_256', usage: 'encrypt', rotationPeriodDays: 30 }),
      () => p.encrypt('aes', Buffer.alloc(0), aad),
      () => p.decrypt('aes', Buffer.alloc(20), aad),
      () => p.describeKey('../etc'),
      () => p.listKeys({ pageSize: 0 }),
      () => p.listKeys({ pageToken: Buffer.from('no/such name').toString('base64url') }),
      () => p.scheduleDestruction('aes', -1),
    ];
    for (const c of cases) {
      const f = await providerFailure(c());
      expect(f.kind).toBe('InvalidInput');
      expect(f.message.length).toBeGreaterThan(10);
    }
  });

  it('is closed for good after close()', async () => {
    const q = createPkcs11Provider({ id: 'hsm-2', modulePath: token.modulePath, tokenLabel: token.label, pin: token.pin });
    expect((await q.describeKey('aes')).state).toBe('enabled');
    await q.close();
    expect(await providerFailure(q.describeKey('aes'))).toMatchObject({ kind: 'Unavailable', providerCode: 'CLOSED' });
    // The other provider on the same module and token is unaffected.
    expect((await p.describeKey('aes')).state).toBe('enabled');
  });
});
