// The unlocked store's keyring (storeKeyring.ts) and the local recipient (localRecipient.ts), opened from outside with
// raw node:crypto: every sub-key is HKDF-SHA256(master key, empty salt, its info string) and every sealed value is
// AES-256-GCM nonce(12) | ciphertext | tag(16) under it with the AAD of the table below (the info strings of
// docs/key-store.md, docs/operators.md and docs/two-person-control.md; the AAD layouts written out here). Lock
// (destroy) refuses every use and zeroes what it lent. Nothing runs while the file is collected (static mutants).
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createStoreKeyring, masterAad } from '../../electron/crypto/storeKeyring.ts';
import { LOCAL_PROVIDER, localRecipient, unwrapLocalDataKey } from '../../electron/crypto/localRecipient.ts';

const STORE = '6f1c2a3b-4d5e-4f60-8172-93a4b5c6d7e8';
const KEY = '0b9e8d7c-6a5b-4c3d-9e2f-1a0b9c8d7e6f';

const subkey = (master: Buffer, info: string) => Buffer.from(crypto.hkdfSync('sha256', master, Buffer.alloc(0), Buffer.from(info, 'utf8'), 32));

function openRaw(key: Buffer, sealed: Buffer, aad: Buffer): Buffer | null {
  try {
    const d = crypto.createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    return Buffer.concat([d.update(sealed.subarray(12, sealed.length - 16)), d.final()]);
  } catch {
    return null;
  }
}

function sealRaw(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const nonce = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(aad);
  return Buffer.concat([nonce, c.update(plaintext), c.final(), c.getAuthTag()]);
}

const text = (s: string) => Buffer.from(s, 'utf8');

describe('store keyring: sub-keys and bindings, from outside', () => {
  it('key material: HKDF info "ecps/store/v1/key-material", AAD "ecps/key-material/v1|store|key|version|algorithm"', () => {
    const master = crypto.randomBytes(32);
    const ring = createStoreKeyring(master, STORE);
    const material = crypto.randomBytes(32);
    const k = subkey(master, 'ecps/store/v1/key-material');
    const aad = text(`ecps/key-material/v1|${STORE}|${KEY}|3|AES_256`);
    const wrapped = ring.wrapMaterial(KEY, 3, 'AES_256', material);
    expect(openRaw(k, wrapped, aad)!.equals(material)).toBe(true);
    const mine = sealRaw(k, material, aad);
    expect(ring.unwrapMaterial(KEY, 3, 'AES_256', mine)!.equals(material)).toBe(true);
    expect(ring.withMaterial(KEY, 3, 'AES_256', mine, (m) => m!.equals(material))).toBe(true);
    // every field of the AAD binds
    expect(ring.withMaterial(KEY, 3, 'EC_P256', mine, (m) => m)).toBeNull();
    expect(ring.withMaterial(KEY, 4, 'AES_256', mine, (m) => m)).toBeNull();
    expect(ring.withMaterial(crypto.randomUUID(), 3, 'AES_256', mine, (m) => m)).toBeNull();
    expect(createStoreKeyring(master, crypto.randomUUID()).withMaterial(KEY, 3, 'AES_256', mine, (m) => m)).toBeNull();
    expect(ring.storeId).toBe(STORE);
  });

  it('audit key: private key under info "ecps/store/v1/audit-private" with AAD "ecps/audit-key/v1|store"; the public key MAC is HMAC(info "ecps/store/v1/audit-public", that AAD || spki)', () => {
    const master = crypto.randomBytes(32);
    const ring = createStoreKeyring(master, STORE);
    const pkcs8 = crypto.randomBytes(48);
    const aad = text(`ecps/audit-key/v1|${STORE}`);
    const wrapped = ring.wrapAuditKey(pkcs8);
    expect(openRaw(subkey(master, 'ecps/store/v1/audit-private'), wrapped, aad)!.equals(pkcs8)).toBe(true);
    expect(ring.unwrapAuditKey(sealRaw(subkey(master, 'ecps/store/v1/audit-private'), pkcs8, aad))!.equals(pkcs8)).toBe(true);
    expect(createStoreKeyring(master, crypto.randomUUID()).unwrapAuditKey(wrapped)).toBeNull();
    const spki = crypto.randomBytes(44);
    const want = crypto.createHmac('sha256', subkey(master, 'ecps/store/v1/audit-public')).update(Buffer.concat([aad, spki])).digest();
    expect(ring.macAuditPublicKey(spki).equals(want)).toBe(true);
  });

  it('operator secret: info "ecps/store/v1/operator-secret", AAD "ecps/operator-secret/v1|store|name NFC" (docs/operators.md)', () => {
    const master = crypto.randomBytes(32);
    const ring = createStoreKeyring(master, STORE);
    const secret = crypto.randomBytes(20);
    const name = 'zoë';
    const k = subkey(master, 'ecps/store/v1/operator-secret');
    const sealed = ring.sealOperatorSecret(name.normalize('NFD'), secret);
    expect(openRaw(k, sealed, text(`ecps/operator-secret/v1|${STORE}|${name.normalize('NFC')}`))!.equals(secret)).toBe(true);
    const mine = sealRaw(k, secret, text(`ecps/operator-secret/v1|${STORE}|${name.normalize('NFC')}`));
    expect(ring.openOperatorSecret(name, mine)!.equals(secret)).toBe(true);
    expect(ring.openOperatorSecret(name.normalize('NFD'), mine)!.equals(secret)).toBe(true);
    expect(ring.openOperatorSecret('zoe', mine)).toBeNull();
  });

  it('approval input: info "ecps/store/v1/approval-input" with the caller\'s AAD; the secret MAC is HMAC under info "ecps/store/v1/approval-secret-mac"', () => {
    const master = crypto.randomBytes(32);
    const ring = createStoreKeyring(master, STORE);
    const input = text('{"channel":"keys:destroy"}');
    const aad = text('ecps/approval-input/v1|s|r|c|h');
    const k = subkey(master, 'ecps/store/v1/approval-input');
    expect(openRaw(k, ring.sealApprovalInput(input, aad), aad)!.equals(input)).toBe(true);
    expect(ring.openApprovalInput(sealRaw(k, input, aad), aad)!.equals(input)).toBe(true);
    expect(ring.openApprovalInput(sealRaw(k, input, aad), text('other'))).toBeNull();
    const value = text('a secret field');
    expect(ring.macApprovalSecret(value).equals(crypto.createHmac('sha256', subkey(master, 'ecps/store/v1/approval-secret-mac')).update(value).digest())).toBe(true);
  });

  it('master key: sealed under the given key with masterAad "ecps/master/v1|store|N=..,r=..,p=.." or the AAD given; exportMaster is a copy', () => {
    const master = crypto.randomBytes(32);
    const ring = createStoreKeyring(master, STORE);
    const kek = crypto.randomBytes(32);
    const kdf = { N: 1024, r: 8, p: 2 };
    expect(masterAad(STORE, kdf).toString('utf8')).toBe(`ecps/master/v1|${STORE}|N=1024,r=8,p=2`);
    expect(openRaw(kek, ring.sealMaster(kek, kdf), text(`ecps/master/v1|${STORE}|N=1024,r=8,p=2`))!.equals(master)).toBe(true);
    const slotAad = text('an operator slot');
    expect(openRaw(kek, ring.sealMaster(kek, kdf, slotAad), slotAad)!.equals(master)).toBe(true);
    const copy = ring.exportMaster();
    expect(copy.equals(master)).toBe(true);
    copy.fill(0);
    expect(ring.exportMaster().equals(master)).toBe(true);
  });
});

describe('store keyring: lock', () => {
  it('destroy() refuses every use with "store keyring used after lock", zeroes lent material, and still forgets and reports', () => {
    const master = crypto.randomBytes(32);
    const ring = createStoreKeyring(master, STORE, { materialCacheEntries: 2 });
    const wrapped = ring.wrapMaterial(KEY, 1, 'AES_256', Buffer.alloc(32, 9));
    const lent = ring.withMaterial(KEY, 1, 'AES_256', wrapped, (m) => m!);
    const sealedSecret = ring.sealOperatorSecret('op', Buffer.from('s'));
    const sealedInput = ring.sealApprovalInput(Buffer.from('i'), Buffer.from('a'));
    const wrappedAudit = ring.wrapAuditKey(Buffer.from('k'));
    ring.destroy();
    expect(lent.every((b) => b === 0)).toBe(true);
    const uses: Array<[string, () => unknown]> = [
      ['wrapMaterial', () => ring.wrapMaterial(KEY, 1, 'AES_256', Buffer.alloc(32))],
      ['unwrapMaterial', () => ring.unwrapMaterial(KEY, 1, 'AES_256', wrapped)],
      ['withMaterial', () => ring.withMaterial(KEY, 1, 'AES_256', wrapped, (m) => m)],
      ['wrapAuditKey', () => ring.wrapAuditKey(Buffer.from('k'))],
      ['unwrapAuditKey', () => ring.unwrapAuditKey(wrappedAudit)],
      ['macAuditPublicKey', () => ring.macAuditPublicKey(Buffer.from('p'))],
      ['sealOperatorSecret', () => ring.sealOperatorSecret('op', Buffer.from('s'))],
      ['openOperatorSecret', () => ring.openOperatorSecret('op', sealedSecret)],
      ['sealMaster', () => ring.sealMaster(crypto.randomBytes(32), { N: 2, r: 1, p: 1 })],
      ['sealApprovalInput', () => ring.sealApprovalInput(Buffer.from('i'), Buffer.from('a'))],
      ['openApprovalInput', () => ring.openApprovalInput(sealedInput, Buffer.from('a'))],
      ['macApprovalSecret', () => ring.macApprovalSecret(Buffer.from('v'))],
      ['exportMaster', () => ring.exportMaster()],
    ];
    for (const [name, use] of uses) expect(use, name).toThrow('store keyring used after lock');
    ring.forgetMaterial(KEY);
    expect(ring.materialCacheStats()).toMatchObject({ size: 0, maxEntries: 2 });
  });

  it('keeps its own copy of the master key: the caller zeroing its buffer changes nothing', () => {
    const master = crypto.randomBytes(32);
    const saved = Buffer.from(master);
    const ring = createStoreKeyring(master, STORE);
    master.fill(0);
    expect(ring.exportMaster().equals(saved)).toBe(true);
  });
});

describe('local recipient', () => {
  it('wraps the data key as nonce | GCM(data key) | tag under the version\'s material with the header as AAD, and unwraps only that', () => {
    const material = crypto.randomBytes(32);
    const r = localRecipient(KEY, 7, material);
    expect({ provider: r.provider, keyRef: r.keyRef, keyVersion: r.keyVersion }).toEqual({ provider: 'local', keyRef: KEY, keyVersion: 7 });
    expect(LOCAL_PROVIDER).toBe('local');
    const dataKey = crypto.randomBytes(32);
    const context = text('header without the wrapped keys');
    const wrapped = r.wrap(dataKey, context);
    expect(wrapped.length).toBe(60);
    expect(openRaw(material, wrapped, context)!.equals(dataKey)).toBe(true);
    expect(unwrapLocalDataKey(material, sealRaw(material, dataKey, context), context)!.equals(dataKey)).toBe(true);
    expect(unwrapLocalDataKey(material, wrapped, text('another header'))).toBeNull();
    expect(unwrapLocalDataKey(crypto.randomBytes(32), wrapped, context)).toBeNull();
  });
});
