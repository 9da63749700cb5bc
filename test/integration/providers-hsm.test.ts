// A PKCS#11 HSM (the real SoftHSM2) through the console's channels: the slot list finds the token, a provider saved
// with the token's label and PIN holds a KMS-backed key that encrypts and decrypts, the PIN never comes back out, and
// a module path the window sends is checked before anything is loaded into the main process.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { contract } from '../../shared/contract.ts';
import { removeTempDirs } from '../unit/store-testkit.ts';
import { bytes, initialized } from './providers-kit.ts';
import { createSoftHsmToken, removeSoftHsmFolder, SOFTHSM_MODULE, type SoftHsmToken } from './softhsm-kit.ts';

const tokens: SoftHsmToken[] = [];
afterAll(async () => {
  for (const t of tokens) await t.cleanup();
  removeSoftHsmFolder();
  removeTempDirs();
});

describe('PKCS#11 HSM through the console', () => {
  it('lists the token, holds a key that encrypts and decrypts, and never shows the PIN again', async () => {
    const token = createSoftHsmToken('console');
    tokens.push(token);
    const h = await initialized();
    const { slots } = await h.call('providers:slots', { modulePath: SOFTHSM_MODULE });
    const slot = slots.find((s) => s.tokenLabel === token.label);
    expect(slot).toMatchObject({ tokenPresent: true, loginRequired: true });

    const saved = await h.call('providers:save', {
      config: { provider: 'pkcs11', id: 'station-hsm', pkcs11_module: SOFTHSM_MODULE, pkcs11_token_label: token.label, pkcs11_pin: token.pin, use_kms_for_storage: true },
    });
    expect(saved).toMatchObject({ id: 'station-hsm', kind: 'pkcs11', kmsBacked: true });
    expect(saved.settings.pkcs11_pin).toBe('set');
    expect((await h.call('providers:test', { id: 'station-hsm' })).ok).toBe(true);

    const key = await h.call('keys:create', { type: 'communication', label: 'station link', provider: 'station-hsm' });
    expect(key).toMatchObject({ provider: 'station-hsm', kmsBacked: true });
    const sealed = await h.call('keys:encrypt', { keyId: key.id, plaintext: bytes('provision robot-0042'), aad: bytes('robot-0042') });
    const opened = await h.call('keys:decrypt', { ciphertext: sealed.ciphertext, aad: bytes('robot-0042') });
    expect(Buffer.from(opened.plaintext).toString()).toBe('provision robot-0042');
    expect((await h.fail(h.call('keys:decrypt', { ciphertext: sealed.ciphertext, aad: bytes('robot-0043') }))).code).toBe('aad_mismatch');

    // The key exists in the token, sensitive and never extractable (seen from outside with pkcs11-tool).
    const listing = token.pkcs11Tool(['--login', '--pin', token.pin, '--list-objects', '--type', 'secrkey']);
    expect(listing).toMatch(/never extractable/);

    const everything = [h.transcript.join('\n'), JSON.stringify(h.console.audit.exportJsonl()), JSON.stringify(h.logger.entries)].join('\n');
    expect(everything).not.toContain(token.pin);
    h.console.close();
  });

  it('refuses module paths that are not absolute, do not exist, are not libraries, or that others could replace', async () => {
    const h = await initialized();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecps-module-'));
    try {
      const writable = path.join(dir, 'evil.so');
      fs.writeFileSync(writable, 'not a library');
      fs.chmodSync(writable, 0o666);
      const text = path.join(dir, 'notes.txt');
      fs.writeFileSync(text, 'x');
      fs.chmodSync(text, 0o644);
      for (const [modulePath, why] of [
        ['/nonexistent/libvendor-pkcs11.so', /does not exist/],
        [text, /must be a shared library/],
        [writable, /writable by other users/],
      ] as const) {
        const e = await h.fail(h.call('providers:slots', { modulePath }));
        expect(e, modulePath).toMatchObject({ code: 'invalid_input', details: { field: 'pkcs11_module' } });
        expect(e.message).toMatch(why);
      }
      // A relative path does not even pass the contract (the router answers invalid_input before any handler).
      expect(contract['providers:slots'].input.safeParse({ modulePath: 'libsofthsm2.so' }).success).toBe(false);
      const save = await h.fail(
        h.call('providers:save', { config: { provider: 'pkcs11', id: 'evil', pkcs11_module: writable, pkcs11_token_label: 'x', pkcs11_pin: '123456' } }),
      );
      expect(save).toMatchObject({ code: 'invalid_input', details: { field: 'pkcs11_module' } });
      expect(h.auditOf('provider.slots').every((r) => r.outcome === 'failure')).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      h.console.close();
    }
  });
});
