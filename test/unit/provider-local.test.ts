// The local KMS provider over a real store database and keyring: versions, rotation, state changes, immediate
// destruction with erased material, pagination, AAD binding and tamper detection.
import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { isProviderError, type ProviderErrorKind } from '../../electron/providers/types.ts';
import { localFixture, type LocalFixture } from './provider-testkit.ts';
import { removeTempDirs } from './store-testkit.ts';

const open: LocalFixture[] = [];
function fixture(): LocalFixture {
  const f = localFixture();
  open.push(f);
  return f;
}
afterEach(() => {
  for (const f of open.splice(0)) f.close();
  removeTempDirs();
});

async function kindOf(p: Promise<unknown>): Promise<ProviderErrorKind> {
  try {
    await p;
  } catch (e) {
    if (isProviderError(e)) return e.kind;
    throw e;
  }
  throw new Error('expected a ProviderError');
}

describe('local provider', () => {
  it('creates an AES key that encrypts and decrypts with AAD binding, and declares itself not KMS-backed', async () => {
    const { provider } = fixture();
    expect(provider.kind).toBe('local');
    expect(provider.capabilities.kmsBacked).toBe(false);
    const key = await provider.createKey({ name: 'fleet-data', spec: 'AES_256', usage: 'encrypt' });
    expect(key).toMatchObject({ name: 'fleet-data', spec: 'AES_256', usage: 'encrypt', state: 'enabled', currentVersion: 1, deletionDate: null });
    const aad = Buffer.from('robot-7');
    const { ciphertext, version } = await provider.encrypt(key.keyRef, Buffer.from('hello'), aad);
    expect(version).toBe(1);
    expect((await provider.decrypt(key.keyRef, ciphertext, aad)).plaintext.toString()).toBe('hello');
    expect(await kindOf(provider.decrypt(key.keyRef, ciphertext, Buffer.from('robot-8')))).toBe('IntegrityFailure');
    expect(await kindOf(provider.decrypt(key.keyRef, ciphertext))).toBe('IntegrityFailure');
  });

  it('detects every modified ciphertext byte as IntegrityFailure', async () => {
    const { provider } = fixture();
    const key = await provider.createKey({ name: 'k', spec: 'AES_256', usage: 'encrypt' });
    const { ciphertext } = await provider.encrypt(key.keyRef, Buffer.alloc(32, 7));
    for (let i = 0; i < ciphertext.length; i++) {
      const bad = Buffer.from(ciphertext);
      bad[i]! ^= 0x01;
      expect(await kindOf(provider.decrypt(key.keyRef, bad))).toBe('IntegrityFailure');
    }
    expect(await kindOf(provider.decrypt(key.keyRef, ciphertext.subarray(0, 10)))).toBe('IntegrityFailure');
  });

  it('detects modified stored key material as IntegrityFailure', async () => {
    const f = fixture();
    const key = await f.provider.createKey({ name: 'k', spec: 'AES_256', usage: 'encrypt' });
    const row = f.store.db.prepare('SELECT wrapped_material FROM local_kms_key_versions WHERE key_ref = ?').get(key.keyRef) as { wrapped_material: Buffer };
    const bad = Buffer.from(row.wrapped_material);
    bad[20]! ^= 0x80;
    f.store.db.prepare('UPDATE local_kms_key_versions SET wrapped_material = ? WHERE key_ref = ?').run(bad, key.keyRef);
    const err = await f.provider.encrypt(key.keyRef, Buffer.from('x')).catch((e: unknown) => e);
    expect(isProviderError(err) && err.kind).toBe('IntegrityFailure');
    expect(isProviderError(err) && err.providerCode).toBe('StoredMaterialTampered');
  });

  it('rotation adds a version that new ciphertext uses while old ciphertext still decrypts', async () => {
    const { provider } = fixture();
    const key = await provider.createKey({ name: 'k', spec: 'AES_256', usage: 'encrypt' });
    const old = await provider.encrypt(key.keyRef, Buffer.from('old'));
    expect(await provider.rotate(key.keyRef)).toEqual({ version: 2 });
    const fresh = await provider.encrypt(key.keyRef, Buffer.from('new'));
    expect(fresh.version).toBe(2);
    expect((await provider.decrypt(key.keyRef, old.ciphertext)).version).toBe(1);
    expect((await provider.decrypt(key.keyRef, fresh.ciphertext)).plaintext.toString()).toBe('new');
    expect((await provider.describeKey(key.keyRef)).currentVersion).toBe(2);
  });

  it('signs with RSA-PSS and ECDSA per version, verifies, and exports the public key', async () => {
    const { provider } = fixture();
    for (const spec of ['RSA_2048', 'EC_P256'] as const) {
      const key = await provider.createKey({ name: `sig-${spec}`, spec, usage: 'sign' });
      const msg = Buffer.from('order 66');
      const s1 = await provider.sign(key.keyRef, msg);
      await provider.rotate(key.keyRef);
      const s2 = await provider.sign(key.keyRef, msg);
      expect([s1.version, s2.version]).toEqual([1, 2]);
      expect(await provider.verify(key.keyRef, msg, s1.signature, 1)).toBe(true);
      expect(await provider.verify(key.keyRef, msg, s1.signature, 2)).toBe(false);
      expect(await provider.verify(key.keyRef, Buffer.from('order 67'), s2.signature)).toBe(false);
      const { pem, version } = await provider.getPublicKey(key.keyRef, 1);
      expect(version).toBe(1);
      const opts = spec === 'RSA_2048'
        ? { key: pem, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
        : { key: pem, dsaEncoding: 'der' as const };
      expect(crypto.verify('sha256', msg, opts, s1.signature)).toBe(true);
      expect(await kindOf(provider.getPublicKey(key.keyRef, 3))).toBe('NotFound');
    }
  });

  it('generates data keys that the same key unwraps, bound to the AAD', async () => {
    const { provider } = fixture();
    const key = await provider.createKey({ name: 'k', spec: 'AES_256', usage: 'encrypt' });
    const dk = await provider.generateDataKey(key.keyRef, Buffer.from('ctx'));
    expect(dk.plaintext.length).toBe(32);
    expect((await provider.decrypt(key.keyRef, dk.wrapped, Buffer.from('ctx'))).plaintext.equals(dk.plaintext)).toBe(true);
  });

  it('disabled keys refuse every operation until enabled again', async () => {
    const { provider } = fixture();
    const key = await provider.createKey({ name: 'k', spec: 'AES_256', usage: 'encrypt' });
    const { ciphertext } = await provider.encrypt(key.keyRef, Buffer.from('x'));
    await provider.disable(key.keyRef);
    await provider.disable(key.keyRef);
    expect((await provider.describeKey(key.keyRef)).state).toBe('disabled');
    expect(await kindOf(provider.encrypt(key.keyRef, Buffer.from('x')))).toBe('KeyDisabled');
    expect(await kindOf(provider.decrypt(key.keyRef, ciphertext))).toBe('KeyDisabled');
    expect(await kindOf(provider.rotate(key.keyRef))).toBe('KeyDisabled');
    await provider.enable(key.keyRef);
    expect((await provider.decrypt(key.keyRef, ciphertext)).plaintext.toString()).toBe('x');
  });

  it('destroys at once: material erased from the database, every later use KeyDisabled, not cancellable', async () => {
    const f = fixture();
    const key = await f.provider.createKey({ name: 'k', spec: 'AES_256', usage: 'encrypt' });
    const { ciphertext } = await f.provider.encrypt(key.keyRef, Buffer.from('x'));
    const { deletionDate } = await f.provider.scheduleDestruction(key.keyRef, 7);
    expect(deletionDate).toBe(new Date(f.clock.now()).toISOString());
    const info = await f.provider.describeKey(key.keyRef);
    expect(info).toMatchObject({ state: 'destroyed', deletionDate });
    const rows = f.store.db.prepare('SELECT wrapped_material FROM local_kms_key_versions WHERE key_ref = ?').all(key.keyRef) as Array<{ wrapped_material: Buffer | null }>;
    expect(rows.every((r) => r.wrapped_material === null)).toBe(true);
    expect(await kindOf(f.provider.decrypt(key.keyRef, ciphertext))).toBe('KeyDisabled');
    expect(await kindOf(f.provider.enable(key.keyRef))).toBe('KeyDisabled');
    expect(await kindOf(f.provider.cancelDestruction(key.keyRef))).toBe('KeyDisabled');
    expect(await kindOf(f.provider.scheduleDestruction(key.keyRef, 7))).toBe('KeyDisabled');
  });

  it('pages through keys with opaque tokens and rejects forged ones', async () => {
    const f = fixture();
    const made: string[] = [];
    for (let i = 0; i < 7; i++) {
      made.push((await f.provider.createKey({ name: `k${i}`, spec: 'AES_256', usage: 'encrypt' })).keyRef);
      if (i % 2 === 0) f.clock.advance(1000);
    }
    const seen: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const page = await f.provider.listKeys({ pageSize: 3, pageToken: token });
      seen.push(...page.items.map((k) => k.keyRef));
      token = page.nextPageToken;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual([...made].sort());
    expect(await kindOf(f.provider.listKeys({ pageToken: 'not-a-token' }))).toBe('InvalidInput');
    expect(await kindOf(f.provider.listKeys({ pageSize: 0 }))).toBe('InvalidInput');
  });

  it('rejects bad input with InvalidInput, unknown keys with NotFound, wrong usage with InvalidInput', async () => {
    const { provider } = fixture();
    const enc = await provider.createKey({ name: 'k', spec: 'AES_256', usage: 'encrypt' });
    const sig = await provider.createKey({ name: 's', spec: 'EC_P256', usage: 'sign' });
    expect(await kindOf(provider.createKey({ name: 'k', spec: 'AES_256', usage: 'encrypt' }))).toBe('InvalidInput');
    expect(await kindOf(provider.createKey({ name: 'bad name!', spec: 'AES_256', usage: 'encrypt' }))).toBe('InvalidInput');
    expect(await kindOf(provider.createKey({ name: 'x', spec: 'AES_256', usage: 'sign' }))).toBe('InvalidInput');
    expect(await kindOf(provider.createKey({ name: 'x', spec: 'AES_256', usage: 'encrypt', rotationPeriodDays: 30 }))).toBe('InvalidInput');
    expect(await kindOf(provider.describeKey(crypto.randomUUID()))).toBe('NotFound');
    expect(await kindOf(provider.describeKey(''))).toBe('InvalidInput');
    expect(await kindOf(provider.sign(enc.keyRef, Buffer.from('m')))).toBe('InvalidInput');
    expect(await kindOf(provider.encrypt(sig.keyRef, Buffer.from('m')))).toBe('InvalidInput');
    expect(await kindOf(provider.encrypt(enc.keyRef, Buffer.alloc(64 * 1024 + 1)))).toBe('InvalidInput');
    expect(await kindOf(provider.scheduleDestruction(enc.keyRef, -1))).toBe('InvalidInput');
  });

  it('a locked store answers AccessDenied for key material and reports itself unhealthy', async () => {
    const f = fixture();
    const key = await f.provider.createKey({ name: 'k', spec: 'AES_256', usage: 'encrypt' });
    f.lock();
    expect(await kindOf(f.provider.encrypt(key.keyRef, Buffer.from('x')))).toBe('AccessDenied');
    expect(await kindOf(f.provider.createKey({ name: 'k2', spec: 'AES_256', usage: 'encrypt' }))).toBe('AccessDenied');
    expect((await f.provider.health()).ok).toBe(false);
    f.unlock();
    expect((await f.provider.health())).toMatchObject({ ok: true, detail: null });
    await f.provider.close();
    expect(await kindOf(f.provider.describeKey(key.keyRef))).toBe('Unavailable');
  });

  it('material moved onto another key row does not unwrap', async () => {
    const f = fixture();
    const a = await f.provider.createKey({ name: 'a', spec: 'AES_256', usage: 'encrypt' });
    const b = await f.provider.createKey({ name: 'b', spec: 'AES_256', usage: 'encrypt' });
    const row = f.store.db.prepare('SELECT wrapped_material, check_value FROM local_kms_key_versions WHERE key_ref = ?').get(a.keyRef) as { wrapped_material: Buffer; check_value: string };
    f.store.db.prepare('UPDATE local_kms_key_versions SET wrapped_material = ?, check_value = ? WHERE key_ref = ?').run(row.wrapped_material, row.check_value, b.keyRef);
    expect(await kindOf(f.provider.encrypt(b.keyRef, Buffer.from('x')))).toBe('IntegrityFailure');
  });
});
