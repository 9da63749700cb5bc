// Every response of the Vault emulator is checked against Vault's documented shapes (responseSchemas.ts): driving
// each operation the adapter uses must leave a non-zero count for its endpoint and no violation, and a response
// corrupted on purpose must be caught, reach the client as an error, and be recorded.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVaultTransitProvider, type VaultTransitProvider } from '../../electron/providers/vault/vaultProvider.ts';
import { SCHEMA_VIOLATION } from '../emulators/schemaCheck.ts';
import { startVaultEmulator, type VaultEmulator } from '../emulators/vault/server.ts';
import { providerFailure } from './conformance/suite.ts';

const token = `hvs.${crypto.randomBytes(18).toString('base64url')}`;
let vault: VaultEmulator;
let p: VaultTransitProvider;

beforeAll(async () => {
  vault = await startVaultEmulator({ token, namespaces: ['fleet'] });
  p = createVaultTransitProvider({ id: 'vault-schemas', endpoint: vault.endpoint, token, namespace: 'fleet', timeoutMs: 5_000 });
});
afterAll(async () => {
  await p?.close();
  await vault?.close();
});

describe('Vault emulator responses follow the documented shapes', () => {
  it('checks a response of every endpoint the adapter uses, and none drifts', async () => {
    vault.responses.reset();
    expect(vault.responses.enabled).toBe(true);
    expect((await providerFailure(p.describeKey('never-made'))).kind).toBe('NotFound'); // 404 {"errors": []}
    const aes = await p.createKey({ name: 'aes', spec: 'AES_256', usage: 'encrypt', rotationPeriodDays: 2 });
    const aad = Buffer.from('robot-7');
    const enc = await p.encrypt(aes.keyRef, Buffer.from('order'), aad);
    expect((await p.decrypt(aes.keyRef, enc.ciphertext, aad)).plaintext.toString()).toBe('order');
    expect((await providerFailure(p.decrypt(aes.keyRef, enc.ciphertext, Buffer.from('robot-8')))).kind).toBe('IntegrityFailure');
    const dk = await p.generateDataKey(aes.keyRef);
    dk.plaintext.fill(0);
    await p.rotate(aes.keyRef);
    expect((await p.rewrap(aes.keyRef, (await p.encrypt(aes.keyRef, Buffer.from('v1'))).ciphertext)).version).toBe(2);
    for (const spec of ['EC_P256', 'RSA_2048'] as const) {
      const signer = await p.createKey({ name: `sig-${spec}`, spec, usage: 'sign' });
      const { signature } = await p.sign(signer.keyRef, Buffer.from('stop'));
      expect(await p.verify(signer.keyRef, Buffer.from('stop'), signature)).toBe(true);
      expect((await p.getPublicKey(signer.keyRef)).pem).toMatch(/BEGIN PUBLIC KEY/);
    }
    expect((await p.listKeys()).items.length).toBe(3);
    expect((await p.health()).ok).toBe(true);
    await p.scheduleDestruction(aes.keyRef, 0);

    const endpoints = ['sys/health', 'keys:read', 'keys:create', 'keys:list', 'keys:rotate', 'keys:config', 'keys:delete', 'encrypt', 'decrypt', 'rewrap', 'datakey:plaintext', 'sign', 'verify'];
    for (const e of endpoints) expect(vault.responses.checked.get(e) ?? 0, e).toBeGreaterThan(0);
    expect(vault.responses.violations).toEqual([]);
  });

  it('catches a response whose data drifts: the client gets a 500 naming the violation, and it is recorded', async () => {
    vault.responses.reset();
    const key = await p.createKey({ name: 'drift', spec: 'AES_256', usage: 'encrypt' });
    vault.responses.corruptNextResponse((body) => {
      (body['data'] as Record<string, unknown>)['ciphertext'] = 'not a vault ciphertext';
    });
    const e = await providerFailure(p.encrypt(key.keyRef, Buffer.from('x')));
    expect(e.kind).toBe('Unavailable');
    expect(e.providerCode).toBe('500');
    expect(e.message).toContain(SCHEMA_VIOLATION);
    expect(vault.responses.violations).toEqual([{ operation: 'encrypt', problems: [expect.stringMatching(/^data\.ciphertext: /)] }]);
  });

  it('catches an envelope with a field Vault does not send, and a key read that contradicts itself', async () => {
    vault.responses.reset();
    const key = await p.createKey({ name: 'drift-2', spec: 'EC_P256', usage: 'sign' });
    vault.responses.corruptNextResponse((body) => void (body['secret'] = 'leak'));
    expect((await providerFailure(p.sign(key.keyRef, Buffer.from('m')))).message).toContain(SCHEMA_VIOLATION);
    vault.responses.corruptNextResponse((body) => void ((body['data'] as Record<string, unknown>)['supports_encryption'] = true));
    expect((await providerFailure(p.describeKey(key.keyRef))).message).toMatch(/supports_\* do not match what a ecdsa-p256 key supports/);
    expect(vault.responses.violations.map((v) => v.operation)).toEqual(['sign', 'keys:read']);
  });

  it('checks an old Community Vault against its own version: no enterprise field, no auto_rotate_period', async () => {
    const old = await startVaultEmulator({ token, server: { version: '1.12.9', enterprise: false } });
    try {
      const health = (await (await fetch(`${old.endpoint}/v1/sys/health`)).json()) as Record<string, unknown>;
      expect(health).not.toHaveProperty('enterprise');
      expect(health['version']).toBe('1.12.9');
      expect(old.responses.checked.get('sys/health')).toBe(1);
      expect(old.responses.violations).toEqual([]);
    } finally {
      await old.close();
    }
  });
});
