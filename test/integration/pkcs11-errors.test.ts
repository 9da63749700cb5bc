// The PKCS#11 adapter's failure cases against a real SoftHSM2 token: wrong PIN, repeated wrong PINs (SoftHSM2 does not
// lock the PIN: what it does instead is asserted), no PIN, missing or broken module, unknown token label, a token
// removed while the provider is open, and two providers sharing one module and token.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProviderConfig } from '../../electron/providers/config/parseProviderConfig.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { createPkcs11Provider, createPkcs11ProviderFromConfig, listSlots } from '../../electron/providers/pkcs11/pkcs11Provider.ts';
import { providerFailure } from './conformance/suite.ts';
import { createSoftHsmToken, removeSoftHsmFolder, type SoftHsmToken } from './softhsm-kit.ts';

const aad = Buffer.from('robot-0042|link');

afterAll(() => removeSoftHsmFolder());

describe('PKCS#11 adapter failures on SoftHSM2', () => {
  let token: SoftHsmToken;
  beforeAll(() => {
    token = createSoftHsmToken('err');
  });
  afterAll(async () => {
    await token.cleanup();
  });

  const open = (pin: string | null, label = token.label) => createPkcs11Provider({ id: 'hsm', modulePath: token.modulePath, tokenLabel: label, pin });

  it('a wrong PIN is AccessDenied with CKR_PIN_INCORRECT, and the PIN appears in no message', async () => {
    const wrongPin = 'wrong-pin-4711';
    const p = open(wrongPin);
    try {
      const f = await providerFailure(p.createKey({ name: 'never', spec: 'AES_256', usage: 'encrypt' }));
      expect(f).toMatchObject({ kind: 'AccessDenied', providerCode: 'CKR_PIN_INCORRECT' });
      expect(f.message).not.toContain(wrongPin);
      const h = await p.health();
      expect(h.ok).toBe(false);
      expect(h.detail).toContain('CKR_PIN_INCORRECT');
      expect(h.detail).not.toContain(wrongPin);
    } finally {
      await p.close();
    }
  });

  it('SoftHSM2 does not lock the user PIN: 12 repeated wrong PINs stay CKR_PIN_INCORRECT, the token flags USER_PIN_COUNT_LOW, the right PIN still works', async () => {
    for (let i = 0; i < 12; i++) {
      const p = open(`bad-pin-${i}`);
      const f = await providerFailure(p.listKeys());
      expect(f).toMatchObject({ kind: 'AccessDenied', providerCode: 'CKR_PIN_INCORRECT' });
      await p.close();
    }
    const slot = (await listSlots(token.modulePath)).find((s) => s.tokenLabel === token.label);
    expect(slot?.flags).toContain('USER_PIN_COUNT_LOW');
    expect(slot?.flags).not.toContain('USER_PIN_LOCKED');
    const good = open(token.pin);
    try {
      expect((await good.health()).ok).toBe(true);
    } finally {
      await good.close();
    }
  });

  it('without a PIN (provider not unlocked) every call is AccessDenied PIN_REQUIRED', async () => {
    const p = open(null);
    try {
      expect(await providerFailure(p.listKeys())).toMatchObject({ kind: 'AccessDenied', providerCode: 'PIN_REQUIRED' });
    } finally {
      await p.close();
    }
  });

  it('a missing module is Unavailable with the path in the message; a file that is no PKCS#11 library too', async () => {
    const missing = path.join(os.tmpdir(), 'no-such-dir', 'libnothing-pkcs11.so');
    const p = createPkcs11Provider({ id: 'hsm', modulePath: missing, tokenLabel: token.label, pin: token.pin });
    const f = await providerFailure(p.listKeys());
    expect(f).toMatchObject({ kind: 'Unavailable', providerCode: 'MODULE_NOT_FOUND' });
    expect(f.message).toContain(missing);
    expect((await p.health()).ok).toBe(false);
    await p.close();
    expect(await providerFailure(listSlots(missing))).toMatchObject({ kind: 'Unavailable', providerCode: 'MODULE_NOT_FOUND' });

    const notALibrary = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ecps-notlib-')), 'fake.so');
    fs.writeFileSync(notALibrary, 'not an ELF file');
    try {
      const q = createPkcs11Provider({ id: 'hsm', modulePath: notALibrary, tokenLabel: token.label, pin: token.pin });
      expect(await providerFailure(q.listKeys())).toMatchObject({ kind: 'Unavailable', providerCode: 'MODULE_LOAD_FAILED' });
      await q.close();
    } finally {
      fs.rmSync(path.dirname(notALibrary), { recursive: true, force: true });
    }
  });

  it('an unknown token label is Unavailable (token not present)', async () => {
    const p = open(token.pin, 'no-such-token');
    try {
      const f = await providerFailure(p.listKeys());
      expect(f).toMatchObject({ kind: 'Unavailable', providerCode: 'CKR_TOKEN_NOT_PRESENT' });
      expect(f.message).toContain('no-such-token');
    } finally {
      await p.close();
    }
  });

  it('two providers share one module and token (C_Initialize and C_Login already done), and a disable by one is enforced by the token for the other', async () => {
    const a = open(token.pin);
    const b = open(token.pin);
    try {
      const key = await a.createKey({ name: 'shared', spec: 'AES_256', usage: 'encrypt' });
      const { ciphertext } = await b.encrypt(key.keyRef, Buffer.from('from b'), aad);
      expect((await a.decrypt(key.keyRef, ciphertext, aad)).plaintext.toString()).toBe('from b');
      await a.disable(key.keyRef);
      // b still holds the key's handles in its cache: the token refuses (CKA_ENCRYPT false) and b reports KeyDisabled.
      expect((await providerFailure(b.encrypt(key.keyRef, Buffer.from('x'), aad))).kind).toBe('KeyDisabled');
      await a.enable(key.keyRef);
      await a.close();
      expect((await b.decrypt(key.keyRef, ciphertext, aad)).plaintext.toString()).toBe('from b');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('the configuration path reveals the PIN only to C_Login: nothing logged carries it', async () => {
    const config = parseProviderConfig({ provider: 'pkcs11', id: 'hsm-config', pkcs11_module: token.modulePath, pkcs11_token_label: token.label, pkcs11_pin: token.pin });
    const logger = createMemoryLogger();
    const p = createPkcs11ProviderFromConfig(config, { clock: { now: () => Date.now() }, logger });
    try {
      expect((await p.health()).ok).toBe(true);
      expect(JSON.stringify(logger.entries)).not.toContain(token.pin);
      expect(logger.entries.length).toBeGreaterThan(0);
    } finally {
      await p.close();
    }
  });
});

describe('a PKCS#11 token removed while the provider is open', () => {
  it('turns every operation into Unavailable (token not present) and health into not ok', async () => {
    const token = createSoftHsmToken('gone');
    const p = createPkcs11Provider({ id: 'hsm', modulePath: token.modulePath, tokenLabel: token.label, pin: token.pin });
    try {
      const cached = await p.createKey({ name: 'cached', spec: 'AES_256', usage: 'encrypt' });
      const { ciphertext } = await p.encrypt(cached.keyRef, Buffer.from('before removal'), aad);
      expect((await p.health()).ok).toBe(true);
      // Removes the token the way an unplugged device disappears for this process: its object store is gone.
      await token.cleanup();
      expect(execFileSync('softhsm2-util', ['--show-slots'], { env: { ...process.env, SOFTHSM2_CONF: token.confPath }, encoding: 'utf8' })).not.toContain(token.label);
      const onCached = await providerFailure(p.decrypt(cached.keyRef, ciphertext, aad));
      expect(onCached.kind).toBe('Unavailable');
      expect(onCached.message).toContain('not present');
      expect((await providerFailure(p.describeKey('never-cached'))).kind).toBe('Unavailable');
      const h = await p.health();
      expect(h.ok).toBe(false);
      expect(h.detail).toContain('not present');
    } finally {
      await p.close();
      await token.cleanup();
    }
  });
});
