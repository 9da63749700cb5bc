// providers:save / list / test / remove through the console's handlers against the AWS KMS and Vault emulators:
// bad configurations name their field, secrets are stored encrypted and never come back out (outputs, audit, log,
// database bytes), the built-in local provider is always listed and cannot be removed, and a provider in use stays.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_CREDENTIALS } from '../emulators/aws-kms/testkit.ts';
import { dbFile, removeTempDirs } from '../unit/store-testkit.ts';
import { awsConfig, type Emulators, initialized, PASS, startEmulators, vaultConfig, openConsole } from './providers-kit.ts';

let emu: Emulators;
beforeAll(async () => {
  emu = await startEmulators();
});
afterAll(async () => {
  await emu.close();
  removeTempDirs();
});

describe('provider management channels', () => {
  it('saves good configurations, names the bad field, and never shows a secret again', async () => {
    const h = await initialized();
    const vault = await h.call('providers:save', { config: vaultConfig(emu) });
    expect(vault).toMatchObject({ id: 'vault-backup', kind: 'hashicorp_vault', kmsBacked: true, useKmsForStorage: false, circuit: 'closed' });
    expect(vault.settings.vault_token).toBe('set');
    const aws = await h.call('providers:save', { config: awsConfig(emu) });
    expect(aws.settings).toMatchObject({ aws_secret_access_key: 'set', aws_access_key_id: TEST_CREDENTIALS.accessKeyId, origin: 'saved' });

    const bad = await h.fail(h.call('providers:save', { config: { ...vaultConfig(emu), vault_url: 'ftp://vault.example' } }));
    expect(bad.code).toBe('invalid_input');
    expect(bad.message).toContain('vault_url');
    const misplaced = await h.fail(h.call('providers:save', { config: { ...awsConfig(emu), vault_token: emu.vaultToken } }));
    expect(misplaced).toMatchObject({ code: 'invalid_input', details: { field: 'vault_token' } });
    expect(misplaced.message).not.toContain(emu.vaultToken);
    const missing = await h.fail(h.call('providers:save', { config: { provider: 'aws_kms', id: 'aws-2' } }));
    expect(missing.message).toContain('region');

    const list = await h.call('providers:list', {});
    expect(list.providers.map((p) => p.id)).toEqual(['local', 'aws-primary', 'vault-backup']);
    expect(list.providers[0]).toMatchObject({ kind: 'local', kmsBacked: false });

    const test = await h.call('providers:test', { id: 'vault-backup' });
    expect(test.ok).toBe(true);
    expect(test.latencyMs).toBeGreaterThanOrEqual(0);
    expect((await h.call('providers:test', { id: 'aws-primary' })).ok).toBe(true);
    expect((await h.fail(h.call('providers:test', { id: 'nowhere' }))).code).toBe('not_found');

    // The audit names the provider and which secret fields were set, never their values.
    const saves = h.auditOf('provider.save');
    expect(saves.filter((r) => r.outcome === 'success').map((r) => r.targetId).sort()).toEqual(['aws-primary', 'vault-backup']);
    expect(saves.find((r) => r.outcome === 'failure')?.details).toMatchObject({ code: 'invalid_input' });

    const everything = [h.transcript.join('\n'), JSON.stringify(h.console.audit.exportJsonl()), JSON.stringify(h.logger.entries)].join('\n');
    for (const secret of [emu.vaultToken, TEST_CREDENTIALS.secretAccessKey]) expect(everything).not.toContain(secret);
    h.console.close();
    expect(fs.existsSync(dbFile(h.dir))).toBe(true);
    for (const file of fs.readdirSync(h.dir)) {
      const raw = fs.readFileSync(path.join(h.dir, file));
      for (const secret of [emu.vaultToken, TEST_CREDENTIALS.secretAccessKey]) expect(raw.includes(Buffer.from(secret)), file).toBe(false);
    }
  });

  it('keeps a saved secret when an edit leaves it out, replaces it when given, and never borrows it across kinds', async () => {
    const h = await initialized();
    await h.call('providers:save', { config: vaultConfig(emu) });
    const { vault_token: _token, ...withoutToken } = vaultConfig(emu);
    const edited = await h.call('providers:save', { config: { ...withoutToken, timeout_ms: 4000 } });
    expect(edited.settings).toMatchObject({ vault_token: 'set', timeout_ms: 4000 });
    // The kept token still opens the vault.
    expect((await h.call('providers:test', { id: 'vault-backup' })).ok).toBe(true);
    const key = await h.call('keys:create', { type: 'storage', label: 'after edit', provider: 'vault-backup' });
    const sealed = await h.call('keys:encrypt', { keyId: key.id, plaintext: Buffer.from('still works') });
    expect(Buffer.from((await h.call('keys:decrypt', { ciphertext: sealed.ciphertext })).plaintext).toString()).toBe('still works');
    // A replaced token is the one used from then on: Vault refuses the wrong one.
    const replaced = await h.call('providers:save', { config: { ...withoutToken, vault_token: 'hvs.not-the-token' } });
    expect(replaced.settings.vault_token).toBe('set');
    const refused = await h.fail(h.call('keys:decrypt', { ciphertext: sealed.ciphertext }));
    expect(refused.code).toBe('provider_access_denied');
    // A configuration under another id inherits nothing.
    const other = await h.fail(h.call('providers:save', { config: { provider: 'hashicorp_vault', id: 'vault-2', vault_url: withoutToken.vault_url } }));
    expect(other).toMatchObject({ code: 'invalid_input', details: { field: 'vault_token' } });
    // The audit records which secrets each save carried: none for the edit, the token for the replacement.
    const saves = h.auditOf('provider.save').filter((r) => r.outcome === 'success');
    expect(saves.map((r) => r.details.protectedFields)).toEqual(['vault_token', null, 'vault_token']);
    h.console.close();
  });

  it('brings saved providers back at unlock, refuses to remove local or a provider in use, removes an unused one', async () => {
    const h = await initialized();
    await h.call('providers:save', { config: vaultConfig(emu) });
    await h.call('providers:save', { config: awsConfig(emu) });
    const key = await h.call('keys:create', { type: 'storage', label: 'on vault', provider: 'vault-backup' });
    expect(key).toMatchObject({ provider: 'vault-backup', kmsBacked: true });
    const dir = h.dir;
    h.console.close();

    const again = await openConsole({}, dir);
    expect((await again.fail(again.call('providers:list', {}))).code).toBe('locked');
    await again.call('session:unlock', { operator: 'Officer Ada', passphrase: PASS });
    expect((await again.call('providers:list', {})).providers.map((p) => p.id)).toEqual(['local', 'aws-primary', 'vault-backup']);

    expect((await again.fail(again.call('providers:remove', { id: 'local' }))).code).toBe('invalid_input');
    const inUse = await again.fail(again.call('providers:remove', { id: 'vault-backup' }));
    expect(inUse).toMatchObject({ code: 'invalid_input', details: { keys: 1 } });
    expect(inUse.message).toContain('1 key');
    expect(await again.call('providers:remove', { id: 'aws-primary' })).toEqual({ removed: true });
    expect((await again.call('providers:list', {})).providers.map((p) => p.id)).toEqual(['local', 'vault-backup']);
    expect(again.events.some((e) => e.event === 'providers:changed')).toBe(true);
    again.console.close();
  });

  it('registers the provider the environment names at unlock, and says so in its status and the audit', async () => {
    const env = {
      KMS_PROVIDER: 'aws_kms',
      AWS_REGION: 'eu-central-1',
      USE_KMS_FOR_STORAGE: 'true',
      AWS_ENDPOINT_URL_KMS: emu.aws.endpoint,
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    };
    const h = await initialized({ env });
    const list = await h.call('providers:list', {});
    const fromEnv = list.providers.find((p) => p.id === 'aws-kms');
    expect(fromEnv).toMatchObject({ kind: 'aws_kms', useKmsForStorage: true, settings: { origin: 'environment', aws_secret_access_key: 'set' } });
    expect(h.auditOf('provider.register')).toEqual([expect.objectContaining({ outcome: 'success', targetId: 'aws-kms', details: expect.objectContaining({ origin: 'environment' }) })]);
    // use_kms_for_storage: new keys go to the storage provider when keys:create names none.
    const key = await h.call('keys:create', { type: 'communication', label: 'link' });
    expect(key).toMatchObject({ provider: 'aws-kms', kmsBacked: true });
    expect((await h.fail(h.call('providers:remove', { id: 'aws-kms' }))).code).toBe('invalid_input');
    expect(JSON.stringify(h.logger.entries) + h.transcript.join('')).not.toContain(TEST_CREDENTIALS.secretAccessKey);
    h.console.close();

    const broken = await initialized({ env: { KMS_PROVIDER: 'aws_kms' } });
    expect(broken.auditOf('provider.register')).toEqual([expect.objectContaining({ outcome: 'failure', details: expect.objectContaining({ field: 'region', variable: 'AWS_REGION' }) })]);
    broken.console.close();
  });

  it('a refused environment provider is shown to the window and refuses keys:create, unless ECPS_ALLOW_LOCAL_FALLBACK=1', async () => {
    // The window (providers:list, keys:create) and the CLI use the same handlers: neither quietly keeps keys local.
    const env = { KMS_PROVIDER: 'aws_kms', AWS_REGION: 'moon-base-1!', USE_KMS_FOR_STORAGE: 'true' };
    const h = await initialized({ env });
    const list = await h.call('providers:list', {});
    expect(list.providers.map((p) => p.id)).toEqual(['local']);
    expect(list.environmentRefusal).toMatchObject({ variable: 'AWS_REGION', localFallback: false });
    expect(list.environmentRefusal?.message).toMatch(/^The provider configuration in the environment was refused: AWS_REGION \(environment\) must be an AWS region/);
    const refused = await h.fail(h.call('keys:create', { type: 'storage', label: 'nowhere' }));
    expect(refused).toMatchObject({ code: 'invalid_input', details: { variable: 'AWS_REGION', field: 'region' } });
    expect(refused.message).toContain('No key was created');
    expect((await h.call('keys:list', {})).keys).toEqual([]);
    expect(h.auditOf('key.create')).toEqual([expect.objectContaining({ outcome: 'failure', details: expect.objectContaining({ code: 'invalid_input', variable: 'AWS_REGION' }) })]);
    // Naming the local store explicitly is the officer's choice, not a fallback.
    expect(await h.call('keys:create', { type: 'storage', label: 'chosen', provider: 'local' })).toMatchObject({ provider: 'local' });
    expect(h.auditOf('key.local_fallback')).toEqual([]);
    h.console.close();

    const optedIn = await initialized({ env: { ...env, ECPS_ALLOW_LOCAL_FALLBACK: '1' } });
    expect((await optedIn.call('providers:list', {})).environmentRefusal).toMatchObject({ variable: 'AWS_REGION', localFallback: true });
    const key = await optedIn.call('keys:create', { type: 'storage', label: 'fallback' });
    expect(key).toMatchObject({ provider: 'local', kmsBacked: false });
    expect(optedIn.auditOf('key.local_fallback')).toEqual([expect.objectContaining({ outcome: 'success', targetId: key.id, details: expect.objectContaining({ variable: 'AWS_REGION', optIn: 'ECPS_ALLOW_LOCAL_FALLBACK' }) })]);
    optedIn.console.close();

    const fine = await initialized({ env: { ECPS_ALLOW_LOCAL_FALLBACK: '1' } });
    expect((await fine.call('providers:list', {})).environmentRefusal).toBeNull();
    fine.console.close();
  });
});
