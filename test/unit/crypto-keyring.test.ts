// The store keyring and the passphrase KDF: wrapped material is bound to its store, key, version and algorithm;
// lock zeroes the keys; KDF parameters are validated.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { open, seal } from '../../electron/crypto/aead.ts';
import { deriveKek, validateKdfParams } from '../../electron/crypto/kdf.ts';
import { aesCheckValue, checkKeyIntegrity, generateKeyMaterial } from '../../electron/crypto/keyMaterial.ts';
import { createStoreKeyring, masterAad } from '../../electron/crypto/storeKeyring.ts';
import { codeOf } from './store-testkit.ts';

describe('store keyring', () => {
  const storeId = crypto.randomUUID();
  const keyId = crypto.randomUUID();

  it('unwraps material only for the same store, key, version and algorithm', () => {
    const master = crypto.randomBytes(32);
    const ring = createStoreKeyring(master, storeId);
    const material = crypto.randomBytes(32);
    const wrapped = ring.wrapMaterial(keyId, 1, 'AES_256', material);
    expect(wrapped.includes(material)).toBe(false);
    expect(ring.unwrapMaterial(keyId, 1, 'AES_256', wrapped)?.equals(material)).toBe(true);
    expect(ring.unwrapMaterial(keyId, 2, 'AES_256', wrapped)).toBeNull();
    expect(ring.unwrapMaterial(crypto.randomUUID(), 1, 'AES_256', wrapped)).toBeNull();
    expect(ring.unwrapMaterial(keyId, 1, 'EC_P256', wrapped)).toBeNull();
    expect(createStoreKeyring(master, crypto.randomUUID()).unwrapMaterial(keyId, 1, 'AES_256', wrapped)).toBeNull();
    expect(createStoreKeyring(crypto.randomBytes(32), storeId).unwrapMaterial(keyId, 1, 'AES_256', wrapped)).toBeNull();
  });

  it('keeps its own copy of the master key and refuses use after destroy', () => {
    const master = crypto.randomBytes(32);
    const ring = createStoreKeyring(master, storeId);
    master.fill(0); // the session zeroes its copy right after building the keyring
    const wrapped = ring.wrapMaterial(keyId, 1, 'AES_256', Buffer.alloc(32, 7));
    expect(ring.unwrapMaterial(keyId, 1, 'AES_256', wrapped)?.equals(Buffer.alloc(32, 7))).toBe(true);
    ring.destroy();
    expect(() => ring.unwrapMaterial(keyId, 1, 'AES_256', wrapped)).toThrow(/after lock/);
  });

  it('re-wraps the master key under a new passphrase key, bound to the KDF parameters', () => {
    const master = crypto.randomBytes(32);
    const ring = createStoreKeyring(master, storeId);
    const kek = crypto.randomBytes(32);
    const kdf = { N: 1024, r: 8, p: 1 };
    const sealed = ring.sealMaster(kek, kdf);
    expect(open(kek, sealed, masterAad(storeId, kdf))?.equals(master)).toBe(true);
    expect(open(kek, sealed, masterAad(storeId, { ...kdf, N: 512 }))).toBeNull();
  });
});

describe('AEAD and KDF helpers', () => {
  it('GCM open fails on any modified byte or wrong AAD', () => {
    const key = crypto.randomBytes(32);
    const sealed = seal(key, Buffer.from('data key'), Buffer.from('ctx'));
    expect(open(key, sealed, Buffer.from('ctx'))?.toString()).toBe('data key');
    expect(open(key, sealed, Buffer.from('ctz'))).toBeNull();
    for (let i = 0; i < sealed.length; i++) {
      const bad = Buffer.from(sealed);
      bad[i] = bad[i]! ^ 0x80;
      expect(open(key, bad, Buffer.from('ctx'))).toBeNull();
    }
    expect(open(key, sealed.subarray(0, 27), Buffer.from('ctx'))).toBeNull();
  });

  it('derives the same key for the same passphrase and salt, another for another salt', async () => {
    const kdf = { N: 1024, r: 8, p: 1 };
    const salt = crypto.randomBytes(16);
    const a = await deriveKek('long operator passphrase', salt, kdf);
    expect((await deriveKek('long operator passphrase', salt, kdf)).equals(a)).toBe(true);
    expect((await deriveKek('long operator passphrase', crypto.randomBytes(16), kdf)).equals(a)).toBe(false);
    expect(a.equals(crypto.scryptSync('long operator passphrase', salt, 32, kdf))).toBe(true);
  });

  it('validates scrypt parameters', async () => {
    expect(await codeOf(() => validateKdfParams({ N: 1000, r: 8, p: 1 }))).toBe('invalid_input');
    expect(await codeOf(() => validateKdfParams({ N: 1024, r: 0, p: 1 }))).toBe('invalid_input');
    expect(await codeOf(() => validateKdfParams({ N: 1024, r: 8, p: 99 }))).toBe('invalid_input');
    expect(validateKdfParams({ N: 2 ** 17, r: 8, p: 1 })).toEqual({ N: 2 ** 17, r: 8, p: 1 });
  });
});

describe('key check values', () => {
  it('AES check value is a one-way 8-byte value that changes with the key', () => {
    const k = generateKeyMaterial('AES_256');
    expect(k.checkValue).toMatch(/^[0-9a-f]{16}$/);
    expect(k.checkValue).toBe(aesCheckValue(k.material));
    expect(checkKeyIntegrity('AES_256', k.material, null, k.checkValue)).toBeNull();
    const other = Buffer.from(k.material);
    other[0] = other[0]! ^ 1;
    expect(checkKeyIntegrity('AES_256', other, null, k.checkValue)).toMatch(/does not match/);
  });

  it('detects a private key that does not belong to the recorded public key', () => {
    const a = generateKeyMaterial('EC_P256');
    const b = generateKeyMaterial('EC_P256');
    expect(checkKeyIntegrity('EC_P256', a.material, a.publicSpki, a.checkValue)).toBeNull();
    expect(checkKeyIntegrity('EC_P256', b.material, a.publicSpki, a.checkValue)).toBe('private key does not match the public key');
    expect(checkKeyIntegrity('EC_P256', a.material, b.publicSpki, a.checkValue)).toMatch(/fingerprint/);
  });
});
