// Compromise and destruction reach every place a key lives: its provider (AWS KMS emulator), its backup provider
// (Vault emulator) and its local offline-fallback copy (local-kms). What each location says afterwards is read from
// the provider itself (raw AWS SDK client, raw Vault HTTP, the database file), not from the console. A location that
// cannot be reached is reported, audited as incomplete (never success), kept with the key, and retried by setting the
// same state again.
import { DescribeKeyCommand, EncryptCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../electron/ipc/cli/args.ts';
import { runCommand } from '../../electron/ipc/cli/commands.ts';
import { createRouter } from '../../electron/ipc/router.ts';
import { rawClient } from '../emulators/aws-kms/testkit.ts';
import { removeTempDirs, withRawDb } from '../unit/store-testkit.ts';
import { awsConfig, bytes, type Emulators, type Harness, initialized, PASS, startEmulators, vaultConfig } from './providers-kit.ts';

let emu: Emulators;
beforeAll(async () => {
  emu = await startEmulators();
});
afterAll(async () => {
  await emu.close();
  removeTempDirs();
});

/** AWS's own view of the console key (alias/ecps/key-<id>): its state and ARN. */
async function atAws(keyId: string): Promise<{ state: string; arn: string }> {
  const out = await rawClient(emu.aws).send(new DescribeKeyCommand({ KeyId: `alias/ecps/key-${keyId}` }));
  return { state: out.KeyMetadata!.KeyState!, arn: out.KeyMetadata!.Arn! };
}

/** Vault's own view: the HTTP status of reading the transit key (404 once deleted). */
async function vaultKeyStatus(keyId: string): Promise<number> {
  const res = await fetch(`${emu.vault.endpoint}/v1/transit/keys/key-${keyId}`, { headers: { 'X-Vault-Token': emu.vaultToken } });
  await res.arrayBuffer();
  return res.status;
}

/** A storage key on AWS with a Vault backup and (offline_mode) a local fallback key, used once so every copy exists. */
async function keyEverywhere(h: Harness, label: string) {
  const key = await h.call('keys:create', { type: 'storage', label, provider: 'aws-primary', backupProvider: 'vault-backup' });
  const enc = await h.call('keys:encrypt', { keyId: key.id, plaintext: bytes('fleet data') });
  return { key, enc };
}

/** Vault answers again, and "Test connection" closes the circuit its outage opened (as an officer would). */
async function vaultBack(h: Harness): Promise<void> {
  await emu.vault.faults.up();
  expect((await h.call('providers:test', { id: 'vault-backup' })).ok).toBe(true);
}

const locationRecords = (h: Harness, keyId: string) =>
  h.auditOf('key.location').filter((r) => r.targetId === keyId).reverse().map((r) => ({ ...r.details, outcome: r.outcome }) as Record<string, unknown>);

describe('a key held by AWS, backed by Vault, with a local fallback copy', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await initialized();
    await h.call('providers:save', { config: awsConfig(emu, { offline_mode: true, enable_local_cache: false }) });
    await h.call('providers:save', { config: vaultConfig(emu) });
  });
  afterAll(() => h.console.close());

  it('compromise disables it at its provider, its backup and its fallback copy, each attempt audited', async () => {
    // Its own console, so the database file can be read afterwards (Vault transit cannot disable a key: the console
    // keeps that flag, and the fallback copy lives in local-kms, both in the file).
    const h = await initialized();
    await h.call('providers:save', { config: awsConfig(emu, { offline_mode: true, enable_local_cache: false }) });
    await h.call('providers:save', { config: vaultConfig(emu) });
    const { key } = await keyEverywhere(h, 'compromised everywhere');
    expect((await atAws(key.id)).state).toBe('Enabled');
    const out = await h.call('keys:setState', { keyId: key.id, state: 'compromised', reason: 'laptop stolen' });
    expect(out).toMatchObject({ state: 'compromised', complete: true, unreached: [] });
    expect(out.locations.map((l) => [l.role, l.provider, l.action, l.outcome])).toEqual([
      ['primary', 'aws-primary', 'disable', 'done'],
      ['backup', 'vault-backup', 'disable', 'done'],
      ['fallback', 'local-kms', 'disable', 'done'],
    ]);
    expect((await atAws(key.id)).state).toBe('Disabled');
    expect(locationRecords(h, key.id).map((r) => [r.outcome, r.provider, r.role, r.action, r.state])).toEqual([
      ['success', 'aws-primary', 'primary', 'disable', 'compromised'],
      ['success', 'vault-backup', 'backup', 'disable', 'compromised'],
      ['success', 'local-kms', 'fallback', 'disable', 'compromised'],
    ]);
    expect(h.auditOf('key.state').find((r) => r.targetId === key.id)).toMatchObject({ outcome: 'success', details: { to: 'compromised', reached: 3 } });
    h.console.close();
    withRawDb(h.dir, (db) => {
      expect(db.prepare('SELECT provider FROM provider_disabled_keys WHERE key_name = ?').all(`key-${key.id}`)).toEqual([{ provider: 'vault-backup' }]);
      expect(db.prepare('SELECT state FROM local_kms_keys WHERE name = ?').all(`fallback-${key.id}`)).toEqual([{ state: 'disabled' }]);
    });
  });

  it('destruction schedules every copy for destruction: AWS pending deletion, the Vault key deleted, the fallback erased', async () => {
    const { key } = await keyEverywhere(h, 'destroyed everywhere');
    await h.call('keys:setState', { keyId: key.id, state: 'deactivated', reason: 'retired' });
    const out = await h.call('keys:setState', { keyId: key.id, state: 'destroyed', reason: 'end of life' });
    expect(out).toMatchObject({ state: 'destroyed', complete: true, unreached: [] });
    expect(out.locations.map((l) => [l.role, l.action, l.outcome])).toEqual([
      ['primary', 'scheduleDestruction', 'done'],
      ['backup', 'scheduleDestruction', 'done'],
      ['fallback', 'scheduleDestruction', 'done'],
    ]);
    // AWS keeps the key for its minimum waiting period (7 days), Vault deletes at once.
    expect((await atAws(key.id)).state).toBe('PendingDeletion');
    const primary = out.locations[0]!;
    expect(Date.parse(primary.deletionDate!) - Date.now()).toBeGreaterThan(6 * 86_400_000);
    expect(await vaultKeyStatus(key.id)).toBe(404);
    expect(h.auditOf('key.state').find((r) => r.targetId === key.id)).toMatchObject({ outcome: 'success', details: { to: 'destroyed', reached: 3 } });
  });

  it('a copy already scheduled for deletion behind the console counts as reached (the provider says so)', async () => {
    const { key } = await keyEverywhere(h, 'already going');
    await h.call('keys:setState', { keyId: key.id, state: 'compromised', reason: 'leaked' });
    await rawClient(emu.aws).send(new ScheduleKeyDeletionCommand({ KeyId: (await atAws(key.id)).arn, PendingWindowInDays: 7 }));
    const out = await h.call('keys:setState', { keyId: key.id, state: 'destroyed', reason: '' });
    expect(out.complete).toBe(true);
    expect(out.locations[0]).toMatchObject({ role: 'primary', outcome: 'done', message: 'already done at the provider' });
  });
});

describe('a location that cannot be reached', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await initialized();
    await h.call('providers:save', { config: awsConfig(emu, { enable_local_cache: false }) });
    await h.call('providers:save', { config: vaultConfig(emu) });
  });
  afterAll(() => h.console.close());

  it('compromise with the backup down: the console refuses at once, the backup is reported, kept and reached by a retry', async () => {
    const { key, enc } = await keyEverywhere(h, 'backup down');
    await emu.vault.faults.down();
    let out;
    try {
      out = await h.call('keys:setState', { keyId: key.id, state: 'compromised', reason: 'credential leak' });
    } finally {
      await vaultBack(h);
    }
    expect(out).toMatchObject({ state: 'compromised', complete: false });
    expect(out.locations.map((l) => [l.role, l.outcome, l.code])).toEqual([
      ['primary', 'done', null],
      ['backup', 'failed', 'provider_unavailable'],
    ]);
    expect(out.unreached).toEqual([expect.objectContaining({ role: 'backup', provider: 'vault-backup', action: 'disable', state: 'compromised', code: 'provider_unavailable' })]);
    // The console's own state changed: nothing is served with the key, whatever Vault would still do.
    expect((await h.fail(h.call('keys:decrypt', { ciphertext: enc.ciphertext }))).code).toBe('key_disabled');
    const rec = h.auditOf('key.state').find((r) => r.targetId === key.id)!;
    expect(rec).toMatchObject({ outcome: 'failure', details: { to: 'compromised', code: 'incomplete', reached: 1, unreached: 'vault-backup/backup:disable:provider_unavailable' } });
    expect(locationRecords(h, key.id).map((r) => [r.outcome, r.provider])).toEqual([['success', 'aws-primary'], ['failure', 'vault-backup']]);
    // Kept with the key (also after a restart of the window: keys:get reads it from the store).
    expect((await h.call('keys:get', { keyId: key.id })).unreached).toEqual([expect.objectContaining({ role: 'backup', action: 'disable' })]);

    // Retry: the same state again re-attempts only what was not reached.
    const retried = await h.call('keys:setState', { keyId: key.id, state: 'compromised', reason: '' });
    expect(retried).toMatchObject({ state: 'compromised', complete: true, unreached: [] });
    expect(retried.locations.map((l) => [l.role, l.provider, l.action, l.outcome])).toEqual([['backup', 'vault-backup', 'disable', 'done']]);
    expect((await h.call('keys:get', { keyId: key.id })).unreached).toEqual([]);
    expect(h.auditOf('key.state').find((r) => r.targetId === key.id)).toMatchObject({ outcome: 'success', details: { retry: true, reached: 1 } });
    // Nothing left to retry: the same state is an illegal transition again.
    expect((await h.fail(h.call('keys:setState', { keyId: key.id, state: 'compromised', reason: '' }))).code).toBe('illegal_transition');
  });

  it('destruction with the backup down is audited as incomplete with what remains, and the retry completes it', async () => {
    const { key } = await keyEverywhere(h, 'destroy with backup down');
    await h.call('keys:setState', { keyId: key.id, state: 'deactivated', reason: '' });
    await emu.vault.faults.down();
    let out;
    try {
      out = await h.call('keys:setState', { keyId: key.id, state: 'destroyed', reason: 'end of life' });
    } finally {
      await vaultBack(h);
    }
    expect(out).toMatchObject({ state: 'destroyed', complete: false });
    expect(out.unreached).toEqual([expect.objectContaining({ role: 'backup', provider: 'vault-backup', action: 'scheduleDestruction' })]);
    expect(await vaultKeyStatus(key.id)).toBe(200);
    expect((await atAws(key.id)).state).toBe('PendingDeletion');
    const rec = h.auditOf('key.state').find((r) => r.targetId === key.id)!;
    expect(rec.outcome).toBe('failure');
    expect(rec.details).toMatchObject({ to: 'destroyed', code: 'incomplete', unreached: 'vault-backup/backup:scheduleDestruction:provider_unavailable' });

    const retried = await h.call('keys:setState', { keyId: key.id, state: 'destroyed', reason: '' });
    expect(retried).toMatchObject({ complete: true, unreached: [] });
    expect(await vaultKeyStatus(key.id)).toBe(404);
    expect(h.auditOf('key.state').find((r) => r.targetId === key.id)).toMatchObject({ outcome: 'success', details: { retry: true } });
  });

  it('the CLI prints what was not reached and exits 1; the same command again retries it', async () => {
    const { key } = await keyEverywhere(h, 'cli');
    const router = createRouter({ handlers: h.console.handlers });
    const lines: string[] = [];
    const io = { out: (l: string) => void lines.push(l), readPassphrase: async () => PASS };
    const run = () => runCommand({ router, parsed: parseCommandLine(['keys', 'state', key.id, 'suspended', '--reason', 'from the cli'], { ECPS_OPERATOR: 'Officer Ada' }), io });
    await emu.vault.faults.down();
    let first;
    try {
      first = await run();
    } finally {
      await vaultBack(h);
    }
    expect(first.exitCode).toBe(1);
    expect(lines.join('\n')).toMatch(/^state changed: .* suspended, v1\)\nnot reached: vault-backup \(backup\) disable: \[provider_unavailable\] .+\nincomplete: run the same command again/);
    lines.length = 0;
    expect((await run()).exitCode).toBe(0);
    expect(lines).toEqual([expect.stringMatching(/^state changed: .* suspended, v1\)$/)]);
  });

  it('a backup that refuses the console\'s credentials is reported, and reached once its configuration is fixed', async () => {
    const { key } = await keyEverywhere(h, 'backup refuses');
    await h.call('providers:save', { config: vaultConfig(emu, { vault_token: 'hvs.not-the-token' }) });
    const out = await h.call('keys:setState', { keyId: key.id, state: 'suspended', reason: '' });
    expect(out.complete).toBe(false);
    expect(out.unreached).toEqual([expect.objectContaining({ role: 'backup', code: 'provider_access_denied' })]);
    await h.call('providers:save', { config: vaultConfig(emu) });
    expect((await h.call('keys:setState', { keyId: key.id, state: 'suspended', reason: '' })).complete).toBe(true);
    // AWS kept the key disabled all along.
    expect((await atAws(key.id)).state).toBe('Disabled');
    await expect(rawClient(emu.aws).send(new EncryptCommand({ KeyId: (await atAws(key.id)).arn, Plaintext: Buffer.from('x') }))).rejects.toThrow();
  });
});

describe('the offline fallback copy', () => {
  it('is destroyed with the key (erased in the database file), not skipped', async () => {
    const h = await initialized();
    await h.call('providers:save', { config: awsConfig(emu, { offline_mode: true }) });
    const key = await h.call('keys:create', { type: 'storage', label: 'edge', provider: 'aws-primary' });
    await h.call('keys:encrypt', { keyId: key.id, plaintext: bytes('x') });
    await h.call('keys:setState', { keyId: key.id, state: 'deactivated', reason: '' });
    const out = await h.call('keys:setState', { keyId: key.id, state: 'destroyed', reason: '' });
    expect(out.locations.map((l) => [l.role, l.provider, l.outcome])).toEqual([
      ['primary', 'aws-primary', 'done'],
      ['fallback', 'local-kms', 'done'],
    ]);
    h.console.close();
    const fallback = withRawDb(h.dir, (db) =>
      db.prepare("SELECT k.state, v.wrapped_material FROM local_kms_keys k JOIN local_kms_key_versions v ON v.key_ref = k.key_ref WHERE k.name = ?").all(`fallback-${key.id}`),
    );
    expect(fallback).toEqual([{ state: 'destroyed', wrapped_material: null }]);
  });
});

describe('a key moved from the local store to a provider', () => {
  it('is destroyed at the provider and in the store, where its older versions still were', async () => {
    const h = await initialized();
    await h.call('providers:save', { config: awsConfig(emu, { use_kms_for_storage: false }) });
    const key = await h.call('keys:create', { type: 'storage', label: 'moved', provider: 'local' });
    const old = await h.call('keys:encrypt', { keyId: key.id, plaintext: bytes('before the move') });
    expect((await h.call('keys:migrate', { providerId: 'aws-primary', keyIds: [key.id] })).state).toBe('done');
    expect((await h.call('keys:decrypt', { ciphertext: old.ciphertext })).plaintext).toEqual(bytes('before the move'));
    const compromised = await h.call('keys:setState', { keyId: key.id, state: 'compromised', reason: '' });
    expect(compromised.locations.map((l) => [l.role, l.provider, l.action, l.outcome])).toEqual([
      ['primary', 'aws-primary', 'disable', 'done'],
      ['store', 'local', 'disable', 'done'],
    ]);
    expect((await h.fail(h.call('keys:decrypt', { ciphertext: old.ciphertext }))).code).toBe('key_disabled');
    const destroyed = await h.call('keys:setState', { keyId: key.id, state: 'destroyed', reason: '' });
    expect(destroyed.locations.map((l) => [l.role, l.action, l.outcome])).toEqual([
      ['primary', 'scheduleDestruction', 'done'],
      ['store', 'scheduleDestruction', 'done'],
    ]);
    expect((await atAws(key.id)).state).toBe('PendingDeletion');
    h.console.close();
    expect(withRawDb(h.dir, (db) => db.prepare('SELECT version, wrapped_material, destroyed FROM key_versions WHERE key_id = ? ORDER BY version').all(key.id))).toEqual([
      { version: 1, wrapped_material: null, destroyed: 1 },
      { version: 2, wrapped_material: null, destroyed: 1 },
    ]);
  });
});
