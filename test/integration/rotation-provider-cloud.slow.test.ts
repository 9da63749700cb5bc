// Provider-side rotation on Google Cloud KMS and Azure Key Vault (docs/rotation.md, "Provider-side rotation"): the
// console sets the provider's schedule (Cloud KMS CryptoKey rotationPeriod / nextRotationTime through UpdateCryptoKey
// with an update mask; a Key Vault rotation policy with a Rotate action), reads it back, switches it off, and adopts
// versions it did not make, once. The emulators run on 127.0.0.1; what the provider holds is read with the raw SDKs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import { type AzureTestBed, startAzureTestBed } from '../emulators/azure-key-vault/testkit.ts';
import type { GcpKmsEmulator } from '../emulators/gcp-kms/index.ts';
import { rawClient as gcpRaw, startTestEmulator as startGcp, TEST_LOCATION, TEST_PROJECT } from '../emulators/gcp-kms/testkit.ts';
import { removeTempDirs } from '../unit/store-testkit.ts';
import { bytes, type Harness, initialized } from './providers-kit.ts';

const DAY_S = 86_400;
const DAY_MS = DAY_S * 1000;
const HOUR_S = 3600;

/**
 * The documented limits, in seconds, with whether a provider-driven policy is accepted. Cloud KMS (CryptoKey
 * reference): rotation_period at least 24 hours, at most 876,000 hours. Key Vault (rotation policy): a Rotate action
 * at least 7 days after creation (the console writes whole days).
 */
const LIMITS: Record<'gcp' | 'azure', Array<[seconds: number, accepted: boolean]>> = {
  gcp: [
    [DAY_S - 1, false],
    [DAY_S, true],
    [30 * DAY_S, true],
    [876_000 * HOUR_S, true],
    [876_000 * HOUR_S + 1, false],
  ],
  azure: [
    [6 * DAY_S, false],
    [7 * DAY_S, true],
    [7 * DAY_S + HOUR_S, false], // not whole days
    [365 * DAY_S, true],
  ],
};

const providerPolicy = (periodSeconds: number) => ({ mode: 'scheduled', driver: 'provider', periodSeconds });
const RING = 'rotation-ring';

const clock = manualClock(Date.now());
/** Key Vault's own clock (token lifetimes, version creation times), moved only to separate two versions' creation seconds. */
const azureClock = manualClock(Date.now());
let gcp: GcpKmsEmulator;
let azure: AzureTestBed;
let caFile: string;
let h: Harness;

beforeAll(async () => {
  gcp = await startGcp({ clock, generationDelayMs: 0 }); // the manual clock does not move while a signing key is generated
  azure = await startAzureTestBed({ now: () => azureClock.now() });
  caFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ecps-rot-azure-ca-')), 'ca.pem');
  fs.writeFileSync(caFile, azure.pki.caPem);
  h = await initialized({ clock, rotation: { scheduler: false } });
  await h.call('providers:save', {
    config: { provider: 'google_cloud_kms', id: 'gcp', project_id: TEST_PROJECT, location_id: TEST_LOCATION, key_ring_id: RING, endpoint: gcp.endpoint, retries: 0 },
  });
  await h.call('providers:save', {
    config: {
      provider: 'azure_key_vault', id: 'azure', key_vault_url: azure.emu.vaultUrl, azure_tenant_id: azure.identity.tenantId, azure_client_id: azure.identity.clientId,
      azure_client_secret: azure.identity.clientSecret, azure_authority_host: azure.emu.authorityHost, azure_ca_cert: caFile, retries: 0,
    },
  });
});
afterAll(async () => {
  h.console.close();
  await gcp.close();
  await azure.close();
  fs.rmSync(path.dirname(caFile), { recursive: true, force: true });
  removeTempDirs();
});

const driftRecords = (keyId: string) => h.auditOf('rotation.drift_detected').filter((r) => r.targetId === keyId);
const gcpKeyName = (keyId: string) => `projects/${TEST_PROJECT}/locations/${TEST_LOCATION}/keyRings/${RING}/cryptoKeys/key-${keyId}`;

/** Cloud KMS's own view of the key's schedule. */
async function gcpSchedule(keyId: string): Promise<{ periodSeconds: number | null; nextMs: number | null }> {
  const [key] = await gcpRaw(gcp).getCryptoKey({ name: gcpKeyName(keyId) });
  return {
    periodSeconds: key.rotationPeriod ? Number(key.rotationPeriod.seconds) : null,
    nextMs: key.nextRotationTime ? Number(key.nextRotationTime.seconds) * 1000 : null,
  };
}

/** Key Vault's own view: the Rotate action of the key's rotation policy. */
async function azureRotate(keyId: string): Promise<string | null> {
  const policy = await azure.rawKeyClient().getKeyRotationPolicy(`key-${keyId}`);
  return policy.lifetimeActions?.find((a) => a.action.toLowerCase() === 'rotate')?.timeAfterCreate ?? null;
}

describe('Google Cloud KMS rotationPeriod / nextRotationTime', () => {
  it.each(LIMITS.gcp)('a period of %i s: accepted %s (set and read back at Cloud KMS)', async (seconds, accepted) => {
    const key = await h.call('keys:create', { type: 'storage', label: `gcp-${seconds}`, provider: 'gcp' });
    const p = h.console.rotation.provider.setKeyPolicy(key.id, providerPolicy(seconds));
    if (!accepted) {
      expect(await h.fail(p)).toMatchObject({ code: 'invalid_input', details: { field: 'periodSeconds', provider: 'gcp' } });
      expect(await gcpSchedule(key.id)).toEqual({ periodSeconds: null, nextMs: null });
      return;
    }
    expect((await p).providerSchedule).toMatchObject({ enabled: true, periodSeconds: seconds });
    // The first rotation one period after the console set it (its clock), as Cloud KMS holds it.
    expect(await gcpSchedule(key.id)).toEqual({ periodSeconds: seconds, nextMs: Math.floor(clock.now() / 1000) * 1000 + seconds * 1000 });
  });

  it('Cloud KMS refuses what the reference refuses: a period under 24 hours, a period without nextRotationTime', async () => {
    const key = await h.call('keys:create', { type: 'storage', label: 'gcp-raw', provider: 'gcp' });
    const raw = gcpRaw(gcp);
    const name = gcpKeyName(key.id);
    const next = { seconds: Math.floor(clock.now() / 1000) + DAY_S };
    await expect(raw.updateCryptoKey({ cryptoKey: { name, rotationPeriod: { seconds: HOUR_S }, nextRotationTime: next }, updateMask: { paths: ['rotation_period', 'next_rotation_time'] } })).rejects.toMatchObject({ code: 3 });
    await expect(raw.updateCryptoKey({ cryptoKey: { name, rotationPeriod: { seconds: 2 * DAY_S } }, updateMask: { paths: ['rotation_period'] } })).rejects.toMatchObject({ code: 3 });
    await expect(raw.updateCryptoKey({ cryptoKey: { name, rotationPeriod: { seconds: 2 * DAY_S }, nextRotationTime: next }, updateMask: { paths: [] } })).rejects.toMatchObject({ code: 3 });
    expect(await gcpSchedule(key.id)).toEqual({ periodSeconds: null, nextMs: null });
  });

  it("Cloud KMS's own rotation is adopted once; going back to the console clears the schedule", async () => {
    const key = await h.call('keys:create', { type: 'communication', label: 'gcp-drift', provider: 'gcp' });
    await h.console.rotation.provider.setKeyPolicy(key.id, providerPolicy(30 * DAY_S));
    clock.advance(31 * DAY_MS);
    const report = await h.console.rotation.scheduler.tick();
    expect(report.ran.some((r) => r.keyId === key.id)).toBe(false); // the console's scheduler did not rotate it
    expect(h.console.keys.get(key.id).currentVersion).toBe(2);
    expect(driftRecords(key.id)).toMatchObject([{ details: { provider: 'gcp', providerVersion: 2, providerVersionId: `${gcpKeyName(key.id)}/cryptoKeyVersions/2`, adoptedAs: 2, expected: true } }]);
    expect((await h.console.rotation.provider.checkDrift({ keyId: key.id })).drift).toEqual([]);
    expect(driftRecords(key.id)).toHaveLength(1);
    const enc = await h.call('keys:encrypt', { keyId: key.id, plaintext: bytes('gcp v2') });
    expect(enc.version).toBe(2);
    // The console's own rotation numbers its version as the listing does: not drift.
    expect((await h.call('keys:rotate', { keyId: key.id })).currentVersion).toBe(3);
    expect((await h.console.rotation.provider.checkDrift({ keyId: key.id })).drift).toEqual([]);
    expect(driftRecords(key.id)).toHaveLength(1);

    await h.console.rotation.provider.setKeyPolicy(key.id, null);
    expect(await gcpSchedule(key.id)).toEqual({ periodSeconds: null, nextMs: null });
    expect((await h.console.rotation.provider.schedule(key.id)).enabled).toBe(false);
  });

  it('a signing key cannot rotate at Cloud KMS by itself', async () => {
    const key = await h.call('keys:create', { type: 'device_identity', label: 'gcp-signer', algorithm: 'EC_P256', provider: 'gcp' });
    expect(await h.fail(h.console.rotation.provider.setKeyPolicy(key.id, providerPolicy(30 * DAY_S)))).toMatchObject({ code: 'invalid_input', details: { field: 'driver' } });
  });
});

describe('Azure Key Vault rotation policy', () => {
  it.each(LIMITS.azure)('a period of %i s: accepted %s (set and read back at Key Vault)', async (seconds, accepted) => {
    const key = await h.call('keys:create', { type: 'storage', label: `azure-${seconds}`, provider: 'azure' });
    const p = h.console.rotation.provider.setKeyPolicy(key.id, providerPolicy(seconds));
    if (!accepted) {
      expect(await h.fail(p)).toMatchObject({ code: 'invalid_input', details: { field: 'periodSeconds', provider: 'azure' } });
      expect(await azureRotate(key.id)).toBeNull();
      return;
    }
    expect((await p).providerSchedule).toMatchObject({ enabled: true, periodSeconds: seconds });
    expect(await azureRotate(key.id)).toBe(`P${seconds / DAY_S}D`);
    await h.console.rotation.provider.setKeyPolicy(key.id, null);
    expect(await azureRotate(key.id)).toBeNull();
  });

  it('Key Vault refuses a Rotate action sooner than 7 days after creation (raw SDK)', async () => {
    const key = await h.call('keys:create', { type: 'storage', label: 'azure-raw', provider: 'azure' });
    await expect(azure.rawKeyClient().updateKeyRotationPolicy(`key-${key.id}`, { lifetimeActions: [{ action: 'Rotate', timeAfterCreate: 'P6D' }] })).rejects.toMatchObject({ statusCode: 400 });
    expect(await azureRotate(key.id)).toBeNull();
  });

  it('a version made with rotateKey behind the console is drift, adopted once', async () => {
    const key = await h.call('keys:create', { type: 'storage', label: 'azure-drift', provider: 'azure' });
    azureClock.advance(1000); // Key Vault orders versions by their creation second
    const rotated = await azure.rawKeyClient().rotateKey(`key-${key.id}`);
    const found = (await h.console.rotation.provider.checkDrift({ keyId: key.id })).drift;
    expect(found).toMatchObject([{ providerVersion: 2, providerVersionId: rotated.properties.version!.toLowerCase(), adoptedAs: 2, expected: false }]);
    expect((await h.console.rotation.provider.checkDrift({ keyId: key.id })).drift).toEqual([]);
    await h.console.rotation.scheduler.tick();
    expect(driftRecords(key.id)).toHaveLength(1);
    const enc = await h.call('keys:encrypt', { keyId: key.id, plaintext: bytes('azure v2') });
    expect(enc.version).toBe(2);
    expect(Buffer.from((await h.call('keys:decrypt', { ciphertext: enc.ciphertext })).plaintext).toString()).toBe('azure v2');
    // The console's own rotation numbers its version as the listing does: not drift.
    azureClock.advance(1000);
    expect((await h.call('keys:rotate', { keyId: key.id })).currentVersion).toBe(3);
    expect((await h.console.rotation.provider.checkDrift({ keyId: key.id })).drift).toEqual([]);
    expect(driftRecords(key.id)).toHaveLength(1);
  });
});
