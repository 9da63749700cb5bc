// The Azure adapter beyond the conformance suite: credentials and TLS failures, soft delete with the vault's retention
// window, recovery and purge, rotation policies, naming, disabling every version, ciphertext binding, and the
// configuration path (parseProviderConfig -> createAzureProviderFromConfig) with the secret kept out of logs.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../electron/clock.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { createAzureProviderFromConfig } from '../../electron/providers/azure/azureProvider.ts';
import { parseProviderConfig } from '../../electron/providers/config/parseProviderConfig.ts';
import { startAzureTestBed, type AzureTestBed } from '../emulators/azure-key-vault/testkit.ts';
import { providerFailure } from './conformance/suite.ts';

let bed: AzureTestBed;
const aad = Buffer.from('robot-0101|storage');

beforeAll(async () => {
  bed = await startAzureTestBed({ retentionDays: 30 });
});
afterAll(async () => {
  await bed?.close();
});

describe('Azure Key Vault adapter', () => {
  it('refuses a wrong client secret with AccessDenied (not retryable) and never puts the secret in the error', async () => {
    const secret = `wrong-${crypto.randomBytes(8).toString('hex')}`;
    const f = await providerFailure(bed.provider({ clientSecret: secret }).describeKey('anything'));
    expect(f.kind).toBe('AccessDenied');
    expect(f.providerCode).toBe('invalid_client');
    expect(f.message).not.toContain(secret);
    expect(f.message).not.toContain(bed.identity.clientSecret);
  });

  it('refuses a vault whose certificate another CA signed (Unavailable, not retryable)', async () => {
    const p = bed.provider({ caPem: bed.pki.otherCaPem });
    try {
      await p.describeKey('anything');
      expect.unreachable('the TLS handshake must fail');
    } catch (e) {
      expect(e).toMatchObject({ kind: 'Unavailable', retryable: false });
    }
  });

  it('keeps the service code and x-ms-request-id on errors', async () => {
    const f = await providerFailure(bed.provider().describeKey('never-created'));
    expect(f).toMatchObject({ kind: 'NotFound', providerCode: 'KeyNotFound' });
    expect(f.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('maps console names to vault names, keeps the console name, and refuses a second key of the same vault name', async () => {
    const p = bed.provider();
    const k = await p.createKey({ name: 'robot_42_link', spec: 'AES_256', usage: 'encrypt' });
    expect(k).toMatchObject({ keyRef: 'robot-42-link', name: 'robot_42_link', spec: 'AES_256', state: 'enabled' });
    const again = await providerFailure(p.createKey({ name: 'robot-42-link', spec: 'AES_256', usage: 'encrypt' }));
    expect(again).toMatchObject({ kind: 'InvalidInput', providerCode: 'Conflict' });
    expect((await providerFailure(p.describeKey('bad/ref'))).kind).toBe('InvalidInput');
  });

  it('sets a rotation policy within the service minimum and reports its period', async () => {
    const p = bed.provider();
    const k = await p.createKey({ name: 'rotating', spec: 'EC_P256', usage: 'sign', rotationPeriodDays: 30 });
    expect(k.rotationPeriodDays).toBe(30);
    expect((await p.describeKey(k.keyRef)).rotationPeriodDays).toBe(30);
    expect((await providerFailure(p.createKey({ name: 'too-fast', spec: 'AES_256', usage: 'encrypt', rotationPeriodDays: 3 }))).kind).toBe('InvalidInput');
  });

  it('disables every version, so data written before a rotation is refused too', async () => {
    const p = bed.provider();
    const k = await p.createKey({ name: 'all-versions', spec: 'AES_256', usage: 'encrypt' });
    const old = await p.encrypt(k.keyRef, Buffer.from('v1 data'), aad);
    await p.rotate(k.keyRef);
    const fresh = await p.encrypt(k.keyRef, Buffer.from('v2 data'), aad);
    expect([old.version, fresh.version]).toEqual([1, 2]);
    await p.disable(k.keyRef);
    expect((await providerFailure(p.decrypt(k.keyRef, old.ciphertext, aad))).kind).toBe('KeyDisabled');
    expect((await providerFailure(p.decrypt(k.keyRef, fresh.ciphertext, aad))).kind).toBe('KeyDisabled');
    await p.enable(k.keyRef);
    expect((await p.decrypt(k.keyRef, old.ciphertext, aad)).plaintext.toString()).toBe('v1 data');
  });

  it('refuses a key disabled outside the console by itself, although the service still wraps with it', async () => {
    const p = bed.provider({ keyStateTtlMs: 0 });
    const k = await p.createKey({ name: 'disabled-elsewhere', spec: 'AES_256', usage: 'encrypt' });
    const kc = bed.rawKeyClient();
    const version = (await kc.getKey(k.keyRef)).properties.version!;
    await kc.updateKeyProperties(k.keyRef, version, { enabled: false });
    // The service (as the emulator reproduces it) still wraps with the disabled key...
    expect((await bed.rawCryptoClient(`${bed.emu.vaultUrl}/keys/${k.keyRef}/${version}`).wrapKey('RSA-OAEP-256', Buffer.alloc(32))).result.length).toBe(384);
    // ...the adapter does not.
    expect(await providerFailure(p.encrypt(k.keyRef, Buffer.from('x'), aad))).toMatchObject({ kind: 'KeyDisabled', providerCode: 'KeyDisabled' });
    expect(await providerFailure(p.generateDataKey(k.keyRef, aad))).toMatchObject({ kind: 'KeyDisabled' });
  });

  it('refuses encrypt and sign outside a version nbf / exp window but still decrypts and verifies', async () => {
    const p = bed.provider({ keyStateTtlMs: 0 });
    const kc = bed.rawKeyClient();
    const aes = await p.createKey({ name: 'dated-aes', spec: 'AES_256', usage: 'encrypt' });
    const ec = await p.createKey({ name: 'dated-ec', spec: 'EC_P256', usage: 'sign' });
    const { ciphertext } = await p.encrypt(aes.keyRef, Buffer.from('written in time'), aad);
    const { signature } = await p.sign(ec.keyRef, Buffer.from('signed in time'));
    const past = new Date(Date.now() - 60_000);
    for (const name of [aes.keyRef, ec.keyRef]) await kc.updateKeyProperties(name, (await kc.getKey(name)).properties.version!, { expiresOn: past });
    expect(await providerFailure(p.encrypt(aes.keyRef, Buffer.from('late'), aad))).toMatchObject({ kind: 'KeyDisabled', providerCode: 'KeyExpired' });
    expect(await providerFailure(p.sign(ec.keyRef, Buffer.from('late')))).toMatchObject({ kind: 'KeyDisabled', providerCode: 'KeyExpired' });
    expect((await p.decrypt(aes.keyRef, ciphertext, aad)).plaintext.toString()).toBe('written in time');
    expect(await p.verify(ec.keyRef, Buffer.from('signed in time'), signature)).toBe(true);
    await kc.updateKeyProperties(aes.keyRef, (await kc.getKey(aes.keyRef)).properties.version!, { expiresOn: new Date(Date.now() + 86_400_000), notBefore: new Date(Date.now() + 3_600_000) });
    expect(await providerFailure(p.encrypt(aes.keyRef, Buffer.from('early'), aad))).toMatchObject({ kind: 'KeyDisabled', providerCode: 'KeyNotYetValid' });
  });

  it('sees its own disable at once; another instance sees it within its TTL, and the service refusal maps by innererror', async () => {
    const stale = bed.provider({ id: 'azure-stale', keyStateTtlMs: 60_000 });
    const admin = bed.provider({ id: 'azure-admin' });
    const k = await admin.createKey({ name: 'ttl-bound', spec: 'AES_256', usage: 'encrypt' });
    const { ciphertext } = await stale.encrypt(k.keyRef, Buffer.from('cached state'), aad);
    await admin.disable(k.keyRef);
    expect((await providerFailure(admin.encrypt(k.keyRef, Buffer.from('x'), aad))).kind).toBe('KeyDisabled');
    // Within its TTL the other instance still holds "enabled": the service wraps (the documented staleness bound) but
    // refuses the unwrap with 403 innererror KeyDisabled, which maps to KeyDisabled.
    expect((await stale.encrypt(k.keyRef, Buffer.from('within the TTL'), aad)).version).toBe(1);
    expect(await providerFailure(stale.decrypt(k.keyRef, ciphertext, aad))).toMatchObject({ kind: 'KeyDisabled', providerCode: 'KeyDisabled' });
  });

  it('binds the ciphertext to its key and version: another key or a changed version gives IntegrityFailure', async () => {
    const p = bed.provider();
    const a = await p.createKey({ name: 'bind-a', spec: 'AES_256', usage: 'encrypt' });
    const b = await p.createKey({ name: 'bind-b', spec: 'AES_256', usage: 'encrypt' });
    const { ciphertext } = await p.encrypt(a.keyRef, Buffer.from('for a'), aad);
    expect((await providerFailure(p.decrypt(b.keyRef, ciphertext, aad))).kind).toBe('IntegrityFailure');
    const otherVersion = Buffer.from(ciphertext);
    otherVersion[5]! ^= 0x10; // inside the 16-byte key version
    expect((await providerFailure(p.decrypt(a.keyRef, otherVersion, aad))).kind).toBe('IntegrityFailure');
  });

  it('gives a typed error for every bad argument', async () => {
    const p = bed.provider();
    const aes = await p.createKey({ name: 'args-aes', spec: 'AES_256', usage: 'encrypt' });
    const rsa = await p.createKey({ name: 'args-rsa', spec: 'RSA_2048', usage: 'sign' });
    expect((await providerFailure(p.encrypt(aes.keyRef, Buffer.from('x'), 'aad' as never))).kind).toBe('InvalidInput');
    expect((await providerFailure(p.encrypt(aes.keyRef, Buffer.alloc(0), aad))).kind).toBe('InvalidInput');
    expect((await providerFailure(p.decrypt(aes.keyRef, Buffer.from('vault:v1:abc'), aad))).kind).toBe('IntegrityFailure');
    expect((await providerFailure(p.sign(rsa.keyRef, 'text' as never))).kind).toBe('InvalidInput');
    expect((await providerFailure(p.getPublicKey(rsa.keyRef, 0))).kind).toBe('InvalidInput');
    expect((await providerFailure(p.getPublicKey(rsa.keyRef, 9))).kind).toBe('NotFound');
    expect((await providerFailure(p.createKey({ name: 'aes-sign', spec: 'AES_256', usage: 'sign' }))).kind).toBe('InvalidInput');
    expect((await providerFailure(p.listKeys({ pageSize: 0 }))).kind).toBe('InvalidInput');
    expect(await p.verify(rsa.keyRef, Buffer.from('m'), Buffer.from('not a signature'))).toBe(false);
  });

  it('soft-deletes with the vault retention window, recovers, and purges', async () => {
    const p = bed.provider();
    const k = await p.createKey({ name: 'retention', spec: 'RSA_2048', usage: 'sign' });
    const { deletionDate } = await p.scheduleDestruction(k.keyRef, 7);
    const days = (Date.parse(deletionDate) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29);
    expect(days).toBeLessThanOrEqual(30);
    expect((await p.describeKey(k.keyRef)).state).toBe('pending_deletion');
    expect((await providerFailure(p.sign(k.keyRef, Buffer.from('x')))).kind).toBe('KeyDisabled');
    await p.cancelDestruction(k.keyRef);
    expect((await p.describeKey(k.keyRef)).state).toBe('enabled');
    expect((await providerFailure(p.cancelDestruction(k.keyRef))).kind).toBe('InvalidInput');
    await p.scheduleDestruction(k.keyRef, 7);
    await p.purge(k.keyRef);
    expect((await providerFailure(p.describeKey(k.keyRef))).kind).toBe('NotFound');
    const reused = await p.createKey({ name: 'retention', spec: 'EC_P256', usage: 'sign' });
    expect(reused.spec).toBe('EC_P256');
    expect((await providerFailure(p.scheduleDestruction(reused.keyRef, 91))).kind).toBe('InvalidInput');
  });

  it('builds from the console configuration (authority host, CA file) and logs no secret', async () => {
    const logger = createMemoryLogger();
    const config = parseProviderConfig({
      provider: 'azure_key_vault',
      id: 'azure-config',
      key_vault_url: bed.emu.vaultUrl,
      azure_client_id: bed.identity.clientId,
      azure_client_secret: bed.identity.clientSecret,
      azure_tenant_id: bed.identity.tenantId,
      azure_authority_host: bed.emu.authorityHost,
      azure_ca_cert: '/etc/ecps/azure-ca.pem',
    });
    const p = createAzureProviderFromConfig(config, { clock: systemClock, logger, readFile: (path) => (path === '/etc/ecps/azure-ca.pem' ? bed.pki.caPem : '') });
    try {
      const k = await p.createKey({ name: 'from-config', spec: 'AES_256', usage: 'encrypt' });
      await p.rotate(k.keyRef);
      const { ciphertext } = await p.encrypt(k.keyRef, Buffer.from('configured'), aad);
      expect((await p.decrypt(k.keyRef, ciphertext, aad)).plaintext.toString()).toBe('configured');
      expect((await p.health()).ok).toBe(true);
      expect(logger.entries.length).toBeGreaterThan(0);
      expect(JSON.stringify(logger.entries)).not.toContain(bed.identity.clientSecret);
    } finally {
      await p.close();
    }
  });
});

describe('Azure adapter on a Managed HSM', () => {
  it('encrypts in the HSM (format 2, oct-HSM key) while a standard vault wraps a content key (format 1)', async () => {
    const hsmBed = await startAzureTestBed({ managedHsm: true });
    try {
      const p = hsmBed.provider({ id: 'azure-hsm' });
      expect(p.capabilities.maxPlaintextBytes).toBe(64 * 1024);
      const k = await p.createKey({ name: 'hsm-aes', spec: 'AES_256', usage: 'encrypt' });
      const { ciphertext } = await p.encrypt(k.keyRef, Buffer.from('in the hsm'), aad);
      expect(ciphertext.subarray(0, 3).toString('latin1')).toBe('AZ\u0002');
      expect(ciphertext.length).toBe(3 + 16 + 12 + 16 + 'in the hsm'.length);
      expect((await p.decrypt(k.keyRef, ciphertext, aad)).plaintext.toString()).toBe('in the hsm');
      expect((await providerFailure(p.encrypt(k.keyRef, Buffer.alloc(64 * 1024 + 1), aad))).kind).toBe('InvalidInput');
      const std = await bed.provider().createKey({ name: 'std-aes', spec: 'AES_256', usage: 'encrypt' });
      const stdCt = (await bed.provider().encrypt(std.keyRef, Buffer.from('wrapped'), aad)).ciphertext;
      expect(stdCt.subarray(0, 3).toString('latin1')).toBe('AZ\u0001');
      // A standard-vault ciphertext is not accepted by the HSM scheme (and vice versa).
      expect((await providerFailure(p.decrypt(k.keyRef, stdCt, aad))).kind).toBe('IntegrityFailure');
    } finally {
      await hsmBed.close();
    }
  });
});
