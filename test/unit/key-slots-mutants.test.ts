// Operators' key slots (electron/services/operators/keySlots.ts) in-process, from docs/operators.md "Key slots": the
// master key sealed with AES-256-GCM (nonce(12) | ciphertext | tag(16)) under scrypt(passphrase NFC, the operator's
// own 16-byte salt) with AAD `ecps/master-slot/v1|<store id>|<name NFC>|N=<N>,r=<r>,p=<p>`, so a slot copied onto
// another operator's row does not open; encrypted again with the OS keychain when one is available (keychain_bound),
// and then needing it. Every slot is opened, or built, here by hand with node:crypto from that description.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConsoleError } from '../../shared/errors.ts';
import { dropPrederivedKek, offerPrederivedKek } from '../../electron/crypto/kdf.ts';
import { createSlotCrypto, sealRaw, slotAad, type Keychain } from '../../electron/services/operators/keySlots.ts';
import { createTestKeychain } from './store-testkit.ts';

const KDF = { N: 1024, r: 8, p: 1 };
const STORE = 'b7c1d2e3-store';
const PASS = 'correct horse battery staple';
const master = crypto.randomBytes(32);

const aadText = (storeId: string, name: string, kdf = KDF) => `ecps/master-slot/v1|${storeId}|${name}|N=${kdf.N},r=${kdf.r},p=${kdf.p}`;
const kekOf = (passphrase: string, salt: Buffer, kdf = KDF) => crypto.scryptSync(Buffer.from(passphrase.normalize('NFC'), 'utf8'), salt, 32, kdf);
function openByHand(kek: Buffer, sealed: Buffer, aad: string): Buffer {
  const d = crypto.createDecipheriv('aes-256-gcm', kek, sealed.subarray(0, 12));
  d.setAAD(Buffer.from(aad, 'utf8'));
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([d.update(sealed.subarray(12, sealed.length - 16)), d.final()]);
}
function sealByHand(kek: Buffer, plaintext: Buffer, aad: string): Buffer {
  const nonce = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', kek, nonce);
  c.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([nonce, body, c.getAuthTag()]);
}
async function refusal(p: Promise<unknown> | (() => unknown)): Promise<{ code: string; message: string }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (e instanceof ConsoleError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a ConsoleError');
}
const notClosing = () => false;

describe('slotAad', () => {
  it('is the documented text, the name in NFC', () => {
    expect(slotAad(STORE, 'alice', KDF).toString('utf8')).toBe('ecps/master-slot/v1|b7c1d2e3-store|alice|N=1024,r=8,p=1');
    expect(slotAad('s', 'Jose\u0301', { N: 2 ** 17, r: 8, p: 1 }).equals(Buffer.from('ecps/master-slot/v1|s|Jos\u00e9|N=131072,r=8,p=1', 'utf8'))).toBe(true);
  });
});

describe('make and open, no keychain', () => {
  it('the slot is the master key sealed under scrypt(passphrase, own salt) with the documented AAD', async () => {
    const slots = createSlotCrypto(undefined, notClosing);
    const slot = await slots.make({ storeId: STORE, operator: 'alice', passphrase: PASS, kdf: KDF, seal: sealRaw(master) });
    expect(slot.kdf).toEqual(KDF);
    expect(slot.salt).toHaveLength(16);
    expect(slot.keychainBound).toBe(false);
    expect(slot.wrappedMaster).toHaveLength(12 + 32 + 16);
    expect(openByHand(kekOf(PASS, slot.salt), slot.wrappedMaster, aadText(STORE, 'alice')).equals(master)).toBe(true);
    const again = await slots.make({ storeId: STORE, operator: 'alice', passphrase: PASS, kdf: KDF, seal: sealRaw(master) });
    expect(again.salt.equals(slot.salt), 'a new salt each time').toBe(false);
  });

  it('opens with the right passphrase (in NFC or NFD) only, for the same store and operator (in NFC or NFD) only', async () => {
    const slots = createSlotCrypto(undefined, notClosing);
    const pass = 'caf\u00e9 au lait, twelve+';
    const slot = await slots.make({ storeId: STORE, operator: 'Jos\u00e9', passphrase: pass, kdf: KDF, seal: sealRaw(master) });
    expect((await slots.open(slot, STORE, 'Jos\u00e9', pass))?.equals(master)).toBe(true);
    expect((await slots.open(slot, STORE, 'Jose\u0301', 'cafe\u0301 au lait, twelve+'))?.equals(master)).toBe(true);
    expect(await slots.open(slot, STORE, 'Jos\u00e9', 'caf\u00e9 au lait, twelve-')).toBeNull();
    expect(await slots.open(slot, STORE, 'Jose', pass)).toBeNull();
    expect(await slots.open(slot, 'another-store', 'Jos\u00e9', pass)).toBeNull();
  });

  it('a slot built by hand opens under its own AAD only (a copy onto another row, or other parameters, does not)', async () => {
    const slots = createSlotCrypto(undefined, notClosing);
    const salt = crypto.randomBytes(16);
    const kek = kekOf(PASS, salt);
    const mine = { kdf: KDF, salt, wrappedMaster: sealByHand(kek, master, aadText(STORE, 'bob')), keychainBound: false };
    expect((await slots.open(mine, STORE, 'bob', PASS))?.equals(master)).toBe(true);
    expect(await slots.open(mine, STORE, 'carol', PASS)).toBeNull();
    const otherParams = { ...mine, wrappedMaster: sealByHand(kek, master, aadText(STORE, 'bob', { N: 1024, r: 8, p: 2 })) };
    expect(await slots.open(otherParams, STORE, 'bob', PASS)).toBeNull();
  });

  it('zeroes the passphrase key after sealing and after opening', async () => {
    const slots = createSlotCrypto(undefined, notClosing);
    let given: Buffer | null = null;
    const slot = await slots.make({ storeId: STORE, operator: 'alice', passphrase: PASS, kdf: KDF, seal: (kek, aad) => {
      given = kek;
      expect(kek.equals(Buffer.alloc(32))).toBe(false);
      return sealRaw(master)(kek, aad);
    } });
    expect(given!.equals(Buffer.alloc(32))).toBe(true);
    // The key derivation hands over a key derived ahead for these exact inputs (kdf.ts): that very buffer is zeroed.
    const ahead = kekOf(PASS, slot.salt);
    offerPrederivedKek(PASS, slot.salt, KDF, ahead);
    try {
      expect((await slots.open(slot, STORE, 'alice', PASS))?.equals(master)).toBe(true);
      expect(ahead.equals(Buffer.alloc(32))).toBe(true);
    } finally {
      dropPrederivedKek();
    }
  });

  it('slotOf keeps a master key already sealed (a legacy wrapping) as the slot, unbound', () => {
    const sealed = crypto.randomBytes(60);
    const salt = crypto.randomBytes(16);
    expect(createSlotCrypto(undefined, notClosing).slotOf(salt, KDF, sealed)).toEqual({ kdf: KDF, salt, wrappedMaster: sealed, keychainBound: false });
  });

  it('while the console closes, neither make nor open answers: locked', async () => {
    const open = createSlotCrypto(undefined, notClosing);
    const slot = await open.make({ storeId: STORE, operator: 'alice', passphrase: PASS, kdf: KDF, seal: sealRaw(master) });
    const closing = createSlotCrypto(undefined, () => true);
    const expected = { code: 'locked', message: 'The console is closing.' };
    expect(await refusal(closing.make({ storeId: STORE, operator: 'alice', passphrase: PASS, kdf: KDF, seal: sealRaw(master) }))).toEqual(expected);
    expect(await refusal(closing.open(slot, STORE, 'alice', PASS))).toEqual(expected);
  });
});

describe('the OS keychain layer', () => {
  it('an available keychain encrypts the sealed slot again (bound); opening then needs it', async () => {
    const keychain = createTestKeychain();
    const slots = createSlotCrypto(keychain, notClosing);
    const slot = await slots.make({ storeId: STORE, operator: 'alice', passphrase: PASS, kdf: KDF, seal: sealRaw(master) });
    expect(slot.keychainBound).toBe(true);
    const sealed = keychain.decrypt(slot.wrappedMaster);
    expect(openByHand(kekOf(PASS, slot.salt), sealed, aadText(STORE, 'alice')).equals(master)).toBe(true);
    expect(slots.unprotect(slot.wrappedMaster, true).equals(sealed)).toBe(true);
    expect((await slots.open(slot, STORE, 'alice', PASS))?.equals(master)).toBe(true);
    const legacy = slots.slotOf(slot.salt, KDF, sealed);
    expect(legacy.keychainBound).toBe(true);
    expect(keychain.decrypt(legacy.wrappedMaster).equals(sealed)).toBe(true);
  });

  it('an unbound blob is returned as it is, without asking the keychain', () => {
    const blob = crypto.randomBytes(60);
    const refusing: Keychain = { isAvailable: () => true, encrypt: () => { throw new Error('not asked'); }, decrypt: () => { throw new Error('not asked'); } };
    expect(createSlotCrypto(refusing, notClosing).unprotect(blob, false)).toBe(blob);
    expect(createSlotCrypto(undefined, notClosing).unprotect(blob, false)).toBe(blob);
  });

  it('a keychain that says it is unavailable is not used: the slot stays unbound', async () => {
    const keychain = createTestKeychain();
    keychain.available = false;
    const slot = await createSlotCrypto(keychain, notClosing).make({ storeId: STORE, operator: 'alice', passphrase: PASS, kdf: KDF, seal: sealRaw(master) });
    expect(slot.keychainBound).toBe(false);
    expect(openByHand(kekOf(PASS, slot.salt), slot.wrappedMaster, aadText(STORE, 'alice')).equals(master)).toBe(true);
  });

  it('a bound slot with no keychain, or one unavailable: provider_unavailable; one that cannot decrypt: integrity_failure', async () => {
    const keychain = createTestKeychain();
    const slot = await createSlotCrypto(keychain, notClosing).make({ storeId: STORE, operator: 'alice', passphrase: PASS, kdf: KDF, seal: sealRaw(master) });
    const missing = { code: 'provider_unavailable', message: 'This key store is bound to the OS keychain of the computer that created it, and that keychain is not available here.' };
    expect(await refusal(createSlotCrypto(undefined, notClosing).open(slot, STORE, 'alice', PASS))).toEqual(missing);
    keychain.available = false;
    expect(await refusal(() => createSlotCrypto(keychain, notClosing).unprotect(slot.wrappedMaster, true))).toEqual(missing);
    const otherMachine = createSlotCrypto(createTestKeychain(), notClosing);
    expect(await refusal(otherMachine.open(slot, STORE, 'alice', PASS))).toEqual({ code: 'integrity_failure', message: 'The OS keychain could not decrypt the stored master key.' });
  });
});
