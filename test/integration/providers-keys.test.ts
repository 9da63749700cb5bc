// KMS-backed keys through the console's handlers, on AWS KMS and on Vault transit (both emulators on 127.0.0.1):
// create, envelope encrypt / decrypt with associated data, sign / verify / public key, rotate, lifecycle state
// changes mapped onto the provider, destruction; provider failures as ConsoleErrors with stable codes, audited.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnvelope } from '../../electron/crypto/envelope.ts';
import { removeTempDirs } from '../unit/store-testkit.ts';
import { awsConfig, bytes, type Emulators, type Harness, initialized, startEmulators, vaultConfig } from './providers-kit.ts';

let emu: Emulators;
let h: Harness;
beforeAll(async () => {
  emu = await startEmulators();
  h = await initialized();
  await h.call('providers:save', { config: awsConfig(emu) });
  await h.call('providers:save', { config: vaultConfig(emu) });
});
afterAll(async () => {
  h.console.close();
  await emu.close();
  removeTempDirs();
});

describe.each([
  ['aws-primary', 'AWS KMS'],
  ['vault-backup', 'Vault transit'],
])('KMS-backed keys on %s (%s)', (providerId) => {
  it('encrypts and decrypts with associated data, rotates, and keeps old ciphertext readable', async () => {
    const key = await h.call('keys:create', { type: 'storage', label: `data on ${providerId}`, provider: providerId });
    expect(key).toMatchObject({ provider: providerId, kmsBacked: true, backupProvider: null, currentVersion: 1, state: 'active' });
    const aad = bytes('robot-7');
    const enc = await h.call('keys:encrypt', { keyId: key.id, plaintext: bytes('telemetry v1'), aad });
    const env = parseEnvelope(Buffer.from(enc.ciphertext));
    expect(env.entries.map((e) => e.provider)).toEqual([providerId]);
    expect(await h.call('keys:decrypt', { ciphertext: enc.ciphertext, aad })).toMatchObject({ plaintext: bytes('telemetry v1'), keyId: key.id, version: 1 });
    expect((await h.fail(h.call('keys:decrypt', { ciphertext: enc.ciphertext, aad: bytes('robot-8') }))).code).toBe('aad_mismatch');

    const rotated = await h.call('keys:rotate', { keyId: key.id });
    expect(rotated.currentVersion).toBe(2);
    const enc2 = await h.call('keys:encrypt', { keyId: key.id, plaintext: bytes('telemetry v2'), aad });
    expect(enc2.version).toBe(2);
    expect((await h.call('keys:decrypt', { ciphertext: enc.ciphertext, aad })).plaintext).toEqual(bytes('telemetry v1'));
    expect((await h.call('keys:decrypt', { ciphertext: enc2.ciphertext, aad })).plaintext).toEqual(bytes('telemetry v2'));
    expect((await h.call('keys:verifyIntegrity', { keyId: key.id })).ok).toBe(true);
  });

  it('maps lifecycle states onto the provider and destroys with the provider', async () => {
    const key = await h.call('keys:create', { type: 'communication', label: `states on ${providerId}`, provider: providerId });
    const enc = await h.call('keys:encrypt', { keyId: key.id, plaintext: bytes('hello') });
    await h.call('keys:setState', { keyId: key.id, state: 'suspended', reason: 'maintenance' });
    expect((await h.fail(h.call('keys:encrypt', { keyId: key.id, plaintext: bytes('x') }))).code).toBe('key_disabled');
    expect((await h.fail(h.call('keys:decrypt', { ciphertext: enc.ciphertext }))).code).toBe('key_disabled');
    await h.call('keys:setState', { keyId: key.id, state: 'active', reason: '' });
    expect((await h.call('keys:decrypt', { ciphertext: enc.ciphertext })).plaintext).toEqual(bytes('hello'));
    await h.call('keys:setState', { keyId: key.id, state: 'deactivated', reason: 'retired' });
    // Deactivated keys still decrypt (shared/domain.ts canProcess) but protect nothing new.
    expect((await h.call('keys:decrypt', { ciphertext: enc.ciphertext })).plaintext).toEqual(bytes('hello'));
    expect((await h.fail(h.call('keys:encrypt', { keyId: key.id, plaintext: bytes('x') }))).code).toBe('key_disabled');
    const destroyed = await h.call('keys:setState', { keyId: key.id, state: 'destroyed', reason: 'end of life' });
    expect(destroyed.state).toBe('destroyed');
    expect((await h.fail(h.call('keys:decrypt', { ciphertext: enc.ciphertext }))).code).toBe('key_destroyed');
    const records = h.auditOf('key.state').filter((r) => r.targetId === key.id);
    expect(records.map((r) => r.details.providerAction)).toEqual(
      expect.arrayContaining(['disable', 'enable', 'none', expect.stringMatching(/^scheduleDestruction until /)]),
    );
  });

  it('signs and verifies with RSA and EC keys in the provider', async () => {
    for (const algorithm of ['RSA_2048', 'EC_P256'] as const) {
      const key = await h.call('keys:create', { type: 'device_identity', label: `id ${algorithm}`, algorithm, provider: providerId });
      const data = bytes('order 66');
      const sig = await h.call('keys:sign', { keyId: key.id, data });
      expect(sig).toMatchObject({ keyId: key.id, version: 1 });
      expect((await h.call('keys:verify', { keyId: key.id, data, signature: sig.signature })).valid).toBe(true);
      expect((await h.call('keys:verify', { keyId: key.id, data: bytes('order 67'), signature: sig.signature })).valid).toBe(false);
      const { pem } = await h.call('keys:publicKey', { keyId: key.id });
      const ok = crypto.verify('sha256', Buffer.from('order 66'), algorithm === 'RSA_2048'
        ? { key: pem, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
        : { key: pem, dsaEncoding: 'der' }, Buffer.from(sig.signature));
      expect(ok).toBe(true);
      expect((await h.fail(h.call('keys:encrypt', { keyId: key.id, plaintext: bytes('x') }))).code).toBe('unsupported_operation');
    }
  });
});

describe('provider-specific behaviour', () => {
  it('refuses to rotate an AWS signing key with unsupported_operation saying why; Vault rotates it', async () => {
    const aws = await h.call('keys:create', { type: 'emergency', label: 'aws emergency', provider: 'aws-primary' });
    const refusal = await h.fail(h.call('keys:rotate', { keyId: aws.id }));
    expect(refusal.code).toBe('unsupported_operation');
    expect(refusal.message).toMatch(/AWS KMS rotates only symmetric keys/);
    const vault = await h.call('keys:create', { type: 'emergency', label: 'vault emergency', provider: 'vault-backup' });
    const sig1 = await h.call('keys:sign', { keyId: vault.id, data: bytes('m') });
    expect((await h.call('keys:rotate', { keyId: vault.id })).currentVersion).toBe(2);
    const sig2 = await h.call('keys:sign', { keyId: vault.id, data: bytes('m') });
    expect(sig2.version).toBe(2);
    expect((await h.call('keys:verify', { keyId: vault.id, data: bytes('m'), signature: sig1.signature, version: 1 })).valid).toBe(true);
  });

  it('turns provider failures into stable codes and audits them with the provider id', async () => {
    const key = await h.call('keys:create', { type: 'storage', label: 'outage', provider: 'aws-primary' });
    await emu.aws.faults.down();
    try {
      const err = await h.fail(h.call('keys:encrypt', { keyId: key.id, plaintext: bytes('x') }));
      expect(err.code).toBe('provider_unavailable');
      const rec = h.auditOf('key.encrypt').find((r) => r.targetId === key.id && r.outcome === 'failure');
      expect(rec?.details).toMatchObject({ code: 'provider_unavailable' });
      expect(String(rec?.details.providers ?? rec?.details.provider)).toContain('aws-primary');
    } finally {
      await emu.aws.faults.up();
    }
    expect((await h.fail(h.call('keys:create', { type: 'storage', label: 'nowhere', provider: 'no-such' }))).code).toBe('not_found');

    // Wrong credentials: provider_access_denied, audited with the provider's code and request id.
    await h.call('providers:save', { config: awsConfig(emu, { id: 'aws-wrong', aws_secret_access_key: 'not-the-right-secret-key', use_kms_for_storage: false }) });
    const denied = await h.fail(h.call('keys:create', { type: 'storage', label: 'denied', provider: 'aws-wrong' }));
    expect(denied.code).toBe('provider_access_denied');
    const rec = h.auditOf('key.create').find((r) => r.outcome === 'failure' && r.details.code === 'provider_access_denied');
    expect(rec?.details).toMatchObject({ provider: 'aws-wrong', providerCode: expect.any(String), requestId: expect.any(String) });
    await h.call('providers:save', { config: vaultConfig(emu, { id: 'vault-wrong', vault_token: 'hvs.wrong-token' }) });
    expect((await h.fail(h.call('keys:create', { type: 'storage', label: 'denied', provider: 'vault-wrong' }))).code).toBe('provider_access_denied');
    expect((await h.fail(h.call('keys:create', { type: 'storage', label: 'x', provider: 'local', backupProvider: 'vault-backup' }))).code).toBe('invalid_input');
  });
});
