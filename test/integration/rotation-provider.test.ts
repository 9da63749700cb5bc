// Provider-side rotation (docs/rotation.md, "Provider-side rotation"): a key's policy says the provider drives its
// rotation; the console sets the provider's own schedule, reads it back, and its scheduler leaves the key alone; a
// version the console did not make (drift) is recorded once and adopted. Real console and SQLite, the AWS KMS and
// Vault emulators on 127.0.0.1 sharing the test's manual clock with the console; what the provider holds is read with
// the raw AWS SDK and raw Vault HTTP, never through the console.
import crypto from 'node:crypto';
import {
  CreateKeyCommand, DescribeKeyCommand, DisableKeyCommand, DisableKeyRotationCommand, EnableKeyRotationCommand, GetKeyRotationStatusCommand, ListKeyRotationsCommand,
  RotateKeyOnDemandCommand, ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import type { KeySummary } from '../../shared/contract.ts';
import { rawClient, startTestEmulator } from '../emulators/aws-kms/testkit.ts';
import type { AwsKmsEmulator } from '../emulators/aws-kms/index.ts';
import { startVaultEmulator, type VaultEmulator } from '../emulators/vault/server.ts';
import { removeTempDirs } from '../unit/store-testkit.ts';
import { createSoftHsmToken, removeSoftHsmFolder, SOFTHSM_MODULE } from './softhsm-kit.ts';
import { awsConfig, bytes, type Harness, initialized, openConsole, PASS } from './providers-kit.ts';

const DAY_S = 86_400;
const DAY_MS = DAY_S * 1000;

/**
 * The providers' documented limits on their own rotation period (AWS KMS API reference, EnableKeyRotation:
 * RotationPeriodInDays 90..2560 whole days; Vault transit API, auto_rotate_period: 0 or at least 1 hour), as periods in
 * seconds with whether the console accepts them for a provider-driven policy.
 */
const LIMITS: Record<'aws' | 'vault', Array<[seconds: number, accepted: boolean]>> = {
  aws: [
    [89 * DAY_S, false],
    [90 * DAY_S, true],
    [90 * DAY_S + 3600, false], // not whole days
    [2560 * DAY_S, true],
    [2561 * DAY_S, false],
    [3600, false],
  ],
  vault: [
    [1800, false],
    [3599, false],
    [3600, true],
    [24 * 3600, true],
    [400 * DAY_S, true],
  ],
};

const providerPolicy = (periodSeconds: number) => ({ mode: 'scheduled', driver: 'provider', periodSeconds });

const clock = manualClock(Date.now());
let aws: AwsKmsEmulator;
let vault: VaultEmulator;
const vaultToken = `hvs.${crypto.randomBytes(18).toString('base64url')}`;

beforeAll(async () => {
  aws = await startTestEmulator({ clock });
  vault = await startVaultEmulator({ token: vaultToken });
});
afterAll(async () => {
  await aws.close();
  await vault.close();
  removeTempDirs();
});

/** AWS's own view of the console key's rotation (alias/ecps/key-<id>). */
async function awsRotation(keyId: string): Promise<{ enabled: boolean; days: number | undefined }> {
  const s = await rawClient(aws).send(new GetKeyRotationStatusCommand({ KeyId: await awsArn(keyId) }));
  return { enabled: s.KeyRotationEnabled === true, days: s.RotationPeriodInDays };
}
async function awsArn(keyId: string): Promise<string> {
  return (await rawClient(aws).send(new DescribeKeyCommand({ KeyId: `alias/ecps/key-${keyId}` }))).KeyMetadata!.Arn!;
}

/** Vault's own view of a transit key: its auto_rotate_period (seconds) and latest version. */
async function vaultKey(keyId: string): Promise<{ auto_rotate_period: number; latest_version: number }> {
  const res = await fetch(`${vault.endpoint}/v1/transit/keys/key-${keyId}`, { headers: { 'X-Vault-Token': vaultToken } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: { auto_rotate_period: number; latest_version: number } }).data;
}

const vaultConfig = {
  provider: 'hashicorp_vault', id: 'vault-main', vault_url: '', vault_token: vaultToken, use_kms_for_storage: false, timeout_ms: 2000, retries: 1,
};

async function consoleWithProviders(): Promise<Harness> {
  const h = await initialized({ clock, rotation: { scheduler: false } });
  await h.call('providers:save', { config: awsConfig({ aws, vault, vaultToken, close: async () => undefined }, { use_kms_for_storage: false }) });
  await h.call('providers:save', { config: { ...vaultConfig, vault_url: vault.endpoint } });
  return h;
}

const driftRecords = (h: Harness, keyId: string) => h.auditOf('rotation.drift_detected').filter((r) => r.targetId === keyId);
const policyRecords = (h: Harness, keyId: string) => h.auditOf('rotation.policy_set').filter((r) => r.targetId === keyId);

describe('provider-driven rotation on AWS KMS', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await consoleWithProviders();
  });
  afterAll(() => h.console.close());

  it('sets the provider schedule and reads it back; AWS itself then rotates every 90 days', async () => {
    const key = await h.call('keys:create', { type: 'communication', label: 'aws-provider', provider: 'aws-primary' });
    expect(await awsRotation(key.id)).toEqual({ enabled: false, days: undefined });
    const r = await h.console.rotation.provider.setKeyPolicy(key.id, providerPolicy(90 * DAY_S));
    expect(r.policy).toMatchObject({ mode: 'scheduled', driver: 'provider', periodSeconds: 90 * DAY_S, jitterSeconds: 0 });
    expect(r.providerSchedule).toMatchObject({ enabled: true, periodSeconds: 90 * DAY_S });
    expect(await awsRotation(key.id)).toEqual({ enabled: true, days: 90 });
    expect(await h.console.rotation.provider.schedule(key.id)).toMatchObject({ enabled: true, periodSeconds: 90 * DAY_S });
    expect(h.console.rotation.policies.forKey(h.console.keys.list({}).find((k) => k.id === key.id) as never).policy.driver).toBe('provider');
    expect(policyRecords(h, key.id).at(0)).toMatchObject({ outcome: 'success', details: { driver: 'provider', providerPeriodSeconds: 90 * DAY_S } });
  });

  it.each(LIMITS.aws)('a period of %i s: accepted %s by AWS KMS limits', async (seconds, accepted) => {
    const key = await h.call('keys:create', { type: 'storage', label: `aws-limit-${seconds}`, provider: 'aws-primary' });
    const p = h.console.rotation.provider.setKeyPolicy(key.id, providerPolicy(seconds));
    if (accepted) {
      await p;
      expect(await awsRotation(key.id)).toEqual({ enabled: true, days: seconds / DAY_S });
    } else {
      const err = await h.fail(p);
      expect(err).toMatchObject({ code: 'invalid_input', details: { field: 'periodSeconds', provider: 'aws-primary' } });
      expect(err.message).toContain('90 to 2560');
      expect(await awsRotation(key.id)).toEqual({ enabled: false, days: undefined }); // nothing was set at AWS
      expect(policyRecords(h, key.id).at(0)).toMatchObject({ outcome: 'failure', details: { code: 'invalid_input', field: 'periodSeconds' } });
      expect(h.console.rotation.policies.list().some((p) => p.scopeId === key.id)).toBe(false);
    }
  });

  it('a schedule the provider did not keep is an error and nothing is stored', async () => {
    const key = await h.call('keys:create', { type: 'storage', label: 'aws-ignores', provider: 'aws-primary' });
    aws.setIgnoreRotationPeriod(true);
    try {
      const err = await h.fail(h.console.rotation.provider.setKeyPolicy(key.id, providerPolicy(180 * DAY_S)));
      expect(err).toMatchObject({ code: 'integrity_failure', details: { field: 'periodSeconds', expected: 180 * DAY_S, actual: 365 * DAY_S } });
    } finally {
      aws.setIgnoreRotationPeriod(false);
    }
    expect(h.console.rotation.policies.list().some((p) => p.scopeId === key.id)).toBe(false);
    expect(policyRecords(h, key.id).at(0)).toMatchObject({ outcome: 'failure', details: { code: 'integrity_failure' } });
  });

  it('a signing key cannot rotate at AWS by itself: refused, naming the driver', async () => {
    const key = await h.call('keys:create', { type: 'device_identity', label: 'aws-signer', provider: 'aws-primary' });
    const err = await h.fail(h.console.rotation.provider.setKeyPolicy(key.id, providerPolicy(90 * DAY_S)));
    expect(err).toMatchObject({ code: 'invalid_input', details: { field: 'driver' } });
  });

  it('going back to the console switches the provider schedule off (read back at AWS)', async () => {
    const key = await h.call('keys:create', { type: 'storage', label: 'aws-back', provider: 'aws-primary' });
    await h.console.rotation.provider.setKeyPolicy(key.id, providerPolicy(365 * DAY_S));
    expect((await awsRotation(key.id)).enabled).toBe(true);
    // The synchronous policy store refuses to leave provider-driven rotation without switching the provider off.
    expect(() => h.console.rotation.policies.setKeyPolicy(key.id, null)).toThrow(expect.objectContaining({ code: 'invalid_input', details: { field: 'driver' } }));
    expect((await awsRotation(key.id)).enabled).toBe(true);
    const r = await h.console.rotation.provider.setKeyPolicy(key.id, { mode: 'scheduled', periodSeconds: 30 * DAY_S });
    expect(r.policy).toMatchObject({ driver: 'console' });
    expect(await awsRotation(key.id)).toEqual({ enabled: false, days: undefined });
    expect(policyRecords(h, key.id).at(0)).toMatchObject({ outcome: 'success', details: { driver: 'console', providerRotation: 'off' } });
  });

  it('the rotation:setKeyPolicy and rotation:clearKeyPolicy channels go through the provider (set, read back, off)', async () => {
    const key = await h.call('keys:create', { type: 'storage', label: 'aws-channel', provider: 'aws-primary' });
    const set = await h.call('rotation:setKeyPolicy', { keyId: key.id, policy: { mode: 'scheduled', driver: 'provider', periodSeconds: 120 * DAY_S } });
    expect(set).toMatchObject({ keyId: key.id, source: 'key', policy: { driver: 'provider', periodSeconds: 120 * DAY_S } });
    expect(await awsRotation(key.id)).toEqual({ enabled: true, days: 120 });
    const cleared = await h.call('rotation:clearKeyPolicy', { keyId: key.id });
    expect(cleared).toMatchObject({ keyId: key.id, source: 'default', policy: { driver: 'console' } }); // no type policy stored here
    expect(await awsRotation(key.id)).toEqual({ enabled: false, days: undefined });
  });
});

/** The error class name the SDK parsed from the emulator's answer (its __type), and the HTTP status. */
async function sdkError(p: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, status: err.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

describe('the AWS KMS emulator answers the rotation API as the API reference says', () => {
  it('defaults, switching off, key states and key specs (raw SDK)', async () => {
    const kms = rawClient(aws);
    const sym = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    // EnableKeyRotation without RotationPeriodInDays: the default period of 365 days.
    await kms.send(new EnableKeyRotationCommand({ KeyId: sym }));
    expect(await kms.send(new GetKeyRotationStatusCommand({ KeyId: sym }))).toMatchObject({ KeyRotationEnabled: true, RotationPeriodInDays: 365 });
    await kms.send(new DisableKeyRotationCommand({ KeyId: sym }));
    const off = await kms.send(new GetKeyRotationStatusCommand({ KeyId: sym }));
    expect(off.KeyRotationEnabled).toBe(false);
    expect(off.RotationPeriodInDays).toBeUndefined();
    expect(off.NextRotationDate).toBeUndefined();
    // Out of range: ValidationException (400).
    expect(await sdkError(kms.send(new EnableKeyRotationCommand({ KeyId: sym, RotationPeriodInDays: 89 })))).toEqual({ name: 'ValidationException', status: 400 });
    // A disabled key: DisabledException; pending deletion: KMSInvalidStateException.
    await kms.send(new DisableKeyCommand({ KeyId: sym }));
    expect((await sdkError(kms.send(new EnableKeyRotationCommand({ KeyId: sym, RotationPeriodInDays: 90 })))).name).toBe('DisabledException');
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: sym, PendingWindowInDays: 7 }));
    expect((await sdkError(kms.send(new GetKeyRotationStatusCommand({ KeyId: sym })))).name).toBe('KMSInvalidStateException');
    // Asymmetric keys do not rotate: UnsupportedOperationException.
    const rsa = (await kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.Arn!;
    for (const send of [
      () => kms.send(new EnableKeyRotationCommand({ KeyId: rsa, RotationPeriodInDays: 90 })),
      () => kms.send(new GetKeyRotationStatusCommand({ KeyId: rsa })),
      () => kms.send(new ListKeyRotationsCommand({ KeyId: rsa })),
    ]) expect((await sdkError(send())).name).toBe('UnsupportedOperationException');
    // An unknown key: NotFoundException.
    expect((await sdkError(kms.send(new GetKeyRotationStatusCommand({ KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab' }))))).toMatchObject({ name: 'NotFoundException' });
  });
});

describe('the scheduler and drift', () => {
  let h: Harness;
  let byProvider: KeySummary;
  let byConsole: KeySummary;
  beforeAll(async () => {
    h = await consoleWithProviders();
    byProvider = await h.call('keys:create', { type: 'communication', label: 'provider-driven', provider: 'aws-primary' });
    byConsole = await h.call('keys:create', { type: 'communication', label: 'console-driven', provider: 'aws-primary' });
    await h.console.rotation.provider.setKeyPolicy(byProvider.id, providerPolicy(90 * DAY_S));
  });
  afterAll(() => h.console.close());

  const versionOf = (id: string) => h.console.keys.get(id).currentVersion;

  it('the console rotates its own 24-hour key on schedule and leaves the provider-driven one to AWS', async () => {
    clock.advance(2 * DAY_MS);
    const report = await h.console.rotation.scheduler.tick();
    expect(report.ran.map((r) => r.keyId)).toEqual([byConsole.id]);
    expect(versionOf(byConsole.id)).toBe(2);
    expect(versionOf(byProvider.id)).toBe(1);
    expect(h.console.rotation.scheduler.upcoming().some((u) => u.keyId === byProvider.id)).toBe(false);
    expect(h.console.rotation.scheduler.jobs(100, byProvider.id)).toEqual([]);
    expect(driftRecords(h, byProvider.id)).toEqual([]);
  });

  it("AWS's own rotation after 90 days is noticed by the scheduler's pass once, and adopted as the key's new version", async () => {
    clock.advance(89 * DAY_MS); // 91 days after the schedule was set
    await h.console.rotation.scheduler.tick();
    expect(versionOf(byProvider.id)).toBe(2);
    const records = driftRecords(h, byProvider.id);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: 'success', details: { provider: 'aws-primary', providerVersion: 2, origin: 'automatic', adoptedAs: 2, expected: true, driver: 'provider' } });
    expect(String(records[0]!.details.providerVersionId)).toMatch(/^[0-9a-f]{64}$/); // AWS KeyMaterialId
    // No console rotation of it (only the drift), and later passes record nothing more.
    expect(h.console.rotation.scheduler.jobs(100, byProvider.id)).toEqual([]);
    clock.advance(DAY_MS);
    await h.console.rotation.scheduler.tick();
    expect(await h.console.rotation.provider.checkDrift()).toMatchObject({ drift: [] });
    expect(driftRecords(h, byProvider.id)).toHaveLength(1);
    // The adopted version encrypts; what version 1 encrypted still decrypts.
    const enc = await h.call('keys:encrypt', { keyId: byProvider.id, plaintext: bytes('after drift') });
    expect(enc.version).toBe(2);
    expect((await h.call('keys:decrypt', { ciphertext: enc.ciphertext })).plaintext.toString()).toBe('after drift');
  });

  it('a rotation made behind the console\'s back (RotateKeyOnDemand with the raw SDK) is recorded once, as unexpected', async () => {
    const before = versionOf(byConsole.id);
    await rawClient(aws).send(new RotateKeyOnDemandCommand({ KeyId: await awsArn(byConsole.id) }));
    const first = await h.console.rotation.provider.checkDrift({ keyId: byConsole.id });
    expect(first.drift).toMatchObject([{ keyId: byConsole.id, origin: 'on_demand', adoptedAs: before + 1, expected: false }]);
    expect(versionOf(byConsole.id)).toBe(before + 1);
    expect((await h.console.rotation.provider.checkDrift({ keyId: byConsole.id })).drift).toEqual([]);
    await h.console.rotation.scheduler.tick();
    const records = driftRecords(h, byConsole.id);
    expect(records).toHaveLength(1);
    expect(records[0]!.details).toMatchObject({ severity: 'warning', by: 'officer', fromVersion: before });
  });

  it('a pass checks the providers at most every 15 minutes (DEFAULT_DRIFT_INTERVAL_MS); on demand always', async () => {
    const listings = () => aws.responses.checked.get('ListKeyRotations') ?? 0;
    clock.advance(15 * 60_000);
    await h.console.rotation.scheduler.tick();
    const after = listings();
    expect(after).toBeGreaterThan(0);
    clock.advance(14 * 60_000);
    await h.console.rotation.scheduler.tick();
    expect(listings()).toBe(after); // within the interval: no listing
    await h.console.rotation.provider.checkDrift({ keyId: byProvider.id });
    expect(listings()).toBeGreaterThan(after);
    const onDemand = listings();
    clock.advance(60_000);
    await h.console.rotation.scheduler.tick();
    expect(listings()).toBeGreaterThan(onDemand); // 15 minutes since the last pass that checked
  });

  it('a usage limit still rotates a provider-driven key through the console', async () => {
    const v = versionOf(byProvider.id);
    const used = h.console.rotation.usage(byProvider.id, v)!.count;
    await h.console.rotation.provider.setKeyPolicy(byProvider.id, { ...providerPolicy(90 * DAY_S), usageLimit: used + 1 });
    await h.call('keys:encrypt', { keyId: byProvider.id, plaintext: bytes('the one use') });
    const report = await h.console.rotation.scheduler.tick();
    expect(report.ran).toMatchObject([{ keyId: byProvider.id, reason: 'usage_limit', outcome: 'success', toVersion: v + 1 }]);
    // The console's own rotation (RotateKeyOnDemand) is not drift.
    expect((await h.console.rotation.provider.checkDrift({ keyId: byProvider.id })).drift).toEqual([]);
  });
});

describe('Vault transit auto_rotate_period', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await consoleWithProviders();
  });
  afterAll(() => h.console.close());

  it.each(LIMITS.vault)('a period of %i s: accepted %s (set and read back at Vault)', async (seconds, accepted) => {
    const key = await h.call('keys:create', { type: 'storage', label: `vault-${seconds}`, provider: 'vault-main' });
    if (!accepted) {
      const err = await h.fail(h.console.rotation.provider.setKeyPolicy(key.id, providerPolicy(seconds)));
      // Below an hour is also below the console's own minimum period (docs/rotation.md), which refuses it first.
      expect(err).toMatchObject({ code: 'invalid_input', details: { field: 'periodSeconds' } });
      expect((await vaultKey(key.id)).auto_rotate_period).toBe(0);
      // Vault refuses it too (the emulator, as the transit API reference says): 0 or at least an hour.
      const raw = await fetch(`${vault.endpoint}/v1/transit/keys/key-${key.id}/config`, {
        method: 'POST', headers: { 'X-Vault-Token': vaultToken, 'Content-Type': 'application/json' }, body: JSON.stringify({ auto_rotate_period: `${seconds}s` }),
      });
      expect(raw.status).toBe(400);
      expect(JSON.stringify(await raw.json())).toContain('at least an hour');
      return;
    }
    const r = await h.console.rotation.provider.setKeyPolicy(key.id, providerPolicy(seconds));
    expect(r.providerSchedule).toMatchObject({ enabled: true, periodSeconds: seconds });
    expect((await vaultKey(key.id)).auto_rotate_period).toBe(seconds);
    await h.console.rotation.provider.setKeyPolicy(key.id, null);
    expect((await vaultKey(key.id)).auto_rotate_period).toBe(0);
  });

  it('a version made with the raw transit rotate endpoint is drift, adopted once', async () => {
    const key = await h.call('keys:create', { type: 'storage', label: 'vault-drift', provider: 'vault-main' });
    const res = await fetch(`${vault.endpoint}/v1/transit/keys/key-${key.id}/rotate`, { method: 'POST', headers: { 'X-Vault-Token': vaultToken } });
    await res.arrayBuffer();
    expect(res.ok).toBe(true);
    expect((await vaultKey(key.id)).latest_version).toBe(2);
    expect((await h.console.rotation.provider.checkDrift({ keyId: key.id })).drift).toMatchObject([{ providerVersion: 2, providerVersionId: '2', adoptedAs: 2 }]);
    expect((await h.console.rotation.provider.checkDrift({ keyId: key.id })).drift).toEqual([]);
    expect(driftRecords(h, key.id)).toHaveLength(1);
    const enc = await h.call('keys:encrypt', { keyId: key.id, plaintext: bytes('vault v2') });
    expect(enc.version).toBe(2);
    // The console's own rotation numbers its version as the listing does: not drift.
    expect((await h.call('keys:rotate', { keyId: key.id })).currentVersion).toBe(3);
    expect((await h.console.rotation.provider.checkDrift({ keyId: key.id })).drift).toEqual([]);
    expect(driftRecords(h, key.id)).toHaveLength(1);
  });
});

describe('drift of a signing key (Vault rotates signing keys too)', () => {
  it('the adopted version carries its public key, read from Vault, and signs', async () => {
    const h = await consoleWithProviders();
    try {
      const key = await h.call('keys:create', { type: 'device_identity', label: 'vault-signer', algorithm: 'EC_P256', provider: 'vault-main' });
      const res = await fetch(`${vault.endpoint}/v1/transit/keys/key-${key.id}/rotate`, { method: 'POST', headers: { 'X-Vault-Token': vaultToken } });
      await res.arrayBuffer();
      expect((await h.console.rotation.provider.checkDrift({ keyId: key.id })).drift).toMatchObject([{ providerVersion: 2, adoptedAs: 2 }]);
      const keyRead = await fetch(`${vault.endpoint}/v1/transit/keys/key-${key.id}`, { headers: { 'X-Vault-Token': vaultToken } });
      const vaultPem = ((await keyRead.json()) as { data: { keys: Record<string, { public_key: string }> } }).data.keys['2']!.public_key;
      const { pem, version } = await h.call('keys:publicKey', { keyId: key.id });
      expect(version).toBe(2);
      expect(crypto.createPublicKey(pem).export({ format: 'der', type: 'spki' })).toEqual(crypto.createPublicKey(vaultPem).export({ format: 'der', type: 'spki' }));
      const signed = await h.call('keys:sign', { keyId: key.id, data: bytes('robot hello') });
      expect(signed.version).toBe(2);
      expect(crypto.verify('sha256', bytes('robot hello'), crypto.createPublicKey(vaultPem), Buffer.from(signed.signature))).toBe(true);
    } finally {
      h.console.close();
    }
  });
});

describe('providers that cannot rotate by themselves, and invalid policies', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await consoleWithProviders();
  });
  afterAll(() => h.console.close());

  it('a key in the local store is refused a provider-driven policy', async () => {
    const key = await h.call('keys:create', { type: 'storage', label: 'local' });
    const err = await h.fail(h.console.rotation.provider.setKeyPolicy(key.id, providerPolicy(90 * DAY_S)));
    expect(err).toMatchObject({ code: 'invalid_input', details: { field: 'driver', provider: 'local' } });
    expect(err.message).toContain('cannot rotate keys by itself');
    expect(policyRecords(h, key.id).at(0)).toMatchObject({ outcome: 'failure', details: { code: 'invalid_input', field: 'driver' } });
  });

  it('a key on a PKCS#11 token (SoftHSM) is refused a provider-driven policy, and drift skips it', async () => {
    const token = createSoftHsmToken('ecps-rot');
    try {
      await h.call('providers:save', { config: { provider: 'pkcs11', id: 'hsm', pkcs11_module: SOFTHSM_MODULE, pkcs11_token_label: token.label, pkcs11_pin: token.pin } });
      const key = await h.call('keys:create', { type: 'storage', label: 'on the token', provider: 'hsm' });
      const err = await h.fail(h.console.rotation.provider.setKeyPolicy(key.id, providerPolicy(90 * DAY_S)));
      expect(err).toMatchObject({ code: 'invalid_input', details: { field: 'driver', provider: 'hsm' } });
      expect(err.message).toContain('(pkcs11), which cannot rotate keys by itself');
      expect(await h.console.rotation.provider.checkDrift({ keyId: key.id })).toEqual({ checked: 0, drift: [], errors: [] });
      // A console-driven policy is fine.
      expect((await h.console.rotation.provider.setKeyPolicy(key.id, { mode: 'scheduled', periodSeconds: 30 * DAY_S })).policy).toMatchObject({ driver: 'console' });
    } finally {
      removeSoftHsmFolder();
    }
  });

  it.each([
    [{ mode: 'scheduled', driver: 'robot', periodSeconds: 90 * DAY_S }, 'driver'],
    [{ mode: 'manual', driver: 'provider' }, 'driver'],
    [{ ...providerPolicy(90 * DAY_S), jitterSeconds: 60 }, 'jitterSeconds'],
    [{ ...providerPolicy(90 * DAY_S), maintenanceWindow: { cron: '0 2 * * *', durationMinutes: 60 } }, 'maintenanceWindow'],
    [{ ...providerPolicy(90 * DAY_S), blackoutWindows: [{ cron: '0 6 * * 1-5', durationMinutes: 600 }] }, 'blackoutWindows'],
  ])('%j is refused naming %s', async (policy, field) => {
    const key = await h.call('keys:create', { type: 'storage', label: `bad-${field}`, provider: 'aws-primary' });
    expect(await h.fail(h.console.rotation.provider.setKeyPolicy(key.id, policy))).toMatchObject({ code: 'invalid_input', details: { field } });
  });

  it('a key type cannot be provider-driven (the provider holds a schedule per key)', () => {
    expect(() => h.console.rotation.policies.setTypePolicy('storage', providerPolicy(90 * DAY_S))).toThrow(expect.objectContaining({ code: 'invalid_input', details: { field: 'driver' } }));
  });
});

describe('a provider-driven policy is kept by the store', () => {
  it('survives a restart of the console (same store, unlocked again)', async () => {
    const h = await consoleWithProviders();
    const key = await h.call('keys:create', { type: 'storage', label: 'kept', provider: 'aws-primary' });
    await h.console.rotation.provider.setKeyPolicy(key.id, providerPolicy(120 * DAY_S));
    h.console.close();
    const again = await openConsole({ clock, rotation: { scheduler: false } }, h.dir);
    try {
      await again.call('session:unlock', { operator: 'Officer Ada', passphrase: PASS });
      const row = again.console.rotation.policies.list().find((p) => p.scopeId === key.id);
      expect(row?.policy).toMatchObject({ driver: 'provider', periodSeconds: 120 * DAY_S, jitterSeconds: 0, blackoutWindows: [] });
      expect(await again.console.rotation.provider.schedule(key.id)).toMatchObject({ enabled: true, periodSeconds: 120 * DAY_S });
    } finally {
      again.console.close();
    }
  });
});
