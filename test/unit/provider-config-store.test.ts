// Saved provider configurations: secrets sealed under the store's master key (never in the clear in the database,
// never shown again), environment values not persisted, tampering detected; and createKmsManager's answers for
// adapters that do not exist yet.
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../electron/logger.ts';
import { parseProviderConfig } from '../../electron/providers/config/parseProviderConfig.ts';
import { createProviderConfigStore } from '../../electron/providers/config/providerConfigStore.ts';
import { createKmsManager } from '../../electron/providers/kmsManager.ts';
import { createLocalKmsRepo, createProviderConfigRepo } from '../../electron/store/providerRepo.ts';
import { isConsoleError } from '../../shared/errors.ts';
import { localFixture, type LocalFixture } from './provider-testkit.ts';
import { removeTempDirs } from './store-testkit.ts';

const TOKEN = 'hvs.CAESIJlLm0Example0Token0Value';
const fixtures: LocalFixture[] = [];
function setup() {
  const f = localFixture();
  fixtures.push(f);
  const store = createProviderConfigStore({ repo: createProviderConfigRepo(f.store.db), keyring: f.keyring, clock: f.clock });
  return { f, store };
}
afterEach(() => {
  for (const f of fixtures.splice(0)) f.close();
  removeTempDirs();
});

function codeOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (isConsoleError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a ConsoleError');
}

describe('saved provider configurations', () => {
  it('stores the Vault token only sealed, shows it as "set", and gives it back only on load', () => {
    const { f, store } = setup();
    const cfg = parseProviderConfig({ provider: 'hashicorp_vault', id: 'vault-eu', vault_url: 'https://vault.example.com', vault_token: TOKEN, vault_namespace: 'fleet' });
    const view = store.save(cfg);
    expect(view.settings).toMatchObject({ provider: 'hashicorp_vault', id: 'vault-eu', vault_token: 'set', vault_namespace: 'fleet' });
    expect(JSON.stringify(store.list())).not.toContain(TOKEN);
    const raw = f.store.db.prepare('SELECT * FROM provider_configs').all() as Array<Record<string, unknown>>;
    const everything = raw.map((r) => Object.values(r).map((v) => (Buffer.isBuffer(v) ? v.toString('latin1') : String(v))).join('|')).join('\n');
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(Buffer.from(TOKEN).toString('base64'));
    const loaded = store.load('vault-eu');
    if (loaded.connection.kind !== 'hashicorp_vault') throw new Error('kind');
    expect(loaded.connection.token.reveal()).toBe(TOKEN);
    expect(loaded.connection.namespace).toBe('fleet');
  });

  it('does not persist values that came from the environment; they are read again at load', () => {
    const { store } = setup();
    const cfg = parseProviderConfig({ provider: 'hashicorp_vault', vault_url: 'https://vault.example.com' }, { VAULT_TOKEN: TOKEN });
    expect(store.save(cfg).settings.vault_token).toBeUndefined();
    expect(codeOf(() => store.load('vault')).message).toMatch(/vault_token is required/);
    const again = store.load('vault', { VAULT_TOKEN: 'hvs.later' });
    if (again.connection.kind !== 'hashicorp_vault') throw new Error('kind');
    expect(again.connection.token.reveal()).toBe('hvs.later');
  });

  it('detects modified or moved sealed secrets, and needs the unlocked store', () => {
    const { f, store } = setup();
    store.save(parseProviderConfig({ provider: 'aws_kms', id: 'aws-a', region: 'us-west-2', aws_access_key_id: 'AKIDEXAMPLE000001', aws_secret_access_key: 'secret-a' }));
    store.save(parseProviderConfig({ provider: 'aws_kms', id: 'aws-b', region: 'us-west-2', aws_access_key_id: 'AKIDEXAMPLE000002', aws_secret_access_key: 'secret-b' }));
    const a = f.store.db.prepare("SELECT secrets_wrapped FROM provider_configs WHERE id = 'aws-a'").get() as { secrets_wrapped: Buffer };
    f.store.db.prepare("UPDATE provider_configs SET secrets_wrapped = ? WHERE id = 'aws-b'").run(a.secrets_wrapped);
    expect(codeOf(() => store.load('aws-b')).code).toBe('integrity_failure');
    const flipped = Buffer.from(a.secrets_wrapped);
    flipped[15]! ^= 1;
    f.store.db.prepare("UPDATE provider_configs SET secrets_wrapped = ? WHERE id = 'aws-a'").run(flipped);
    expect(codeOf(() => store.load('aws-a')).code).toBe('integrity_failure');
    f.lock();
    expect(() => store.load('aws-b')).toThrow();
    expect(store.list().map((v) => v.settings.aws_secret_access_key)).toEqual(['set', 'set']);
  });

  it('removes a configuration, overwriting its sealed secrets first', () => {
    const { store } = setup();
    store.save(parseProviderConfig({ provider: 'hashicorp_vault', vault_url: 'https://vault.example.com', vault_token: TOKEN }));
    expect(store.remove('vault')).toBe(true);
    expect(store.remove('vault')).toBe(false);
    expect(codeOf(() => store.load('vault')).code).toBe('not_found');
  });
});

describe('createKmsManager', () => {
  it('builds Azure Key Vault and Google Cloud KMS from the specification dictionaries without contacting them', async () => {
    const { f } = setup();
    const deps = { clock: f.clock, logger: createMemoryLogger(), local: { repo: createLocalKmsRepo(f.store.db), keyring: f.keyring } };
    for (const [dict, kind] of [
      [{ provider: 'azure_key_vault', key_vault_url: 'https://your-vault.vault.azure.net/' }, 'azure_key_vault'],
      [{ provider: 'google_cloud_kms', project_id: 'your-project-id', key_ring_id: 'your-key-ring', endpoint: 'http://127.0.0.1:9' }, 'google_cloud_kms'],
    ] as const) {
      const m = createKmsManager(dict, deps);
      expect(m.primary.kind).toBe(kind);
      expect(m.primary.capabilities.kmsBacked).toBe(true);
      await m.close();
    }
    expect(codeOf(() => createKmsManager({ provider: 'aws_kms' }, deps)).code).toBe('invalid_input');
  });

  it('refuses a PKCS#11 module that is not a shared library before loading anything', () => {
    const { f } = setup();
    const deps = { clock: f.clock, logger: createMemoryLogger(), local: { repo: createLocalKmsRepo(f.store.db), keyring: f.keyring } };
    const e = codeOf(() => createKmsManager({ provider: 'pkcs11', pkcs11_module: '/etc/hostname', pkcs11_token_label: 'fleet' }, deps));
    expect(e.code).toBe('invalid_input');
    expect(e.message).toMatch(/pkcs11_module .* must be a shared library/);
  });

  it('builds the local provider from {provider: "local"} and an unreadable vault_ca_cert is named', async () => {
    const { f } = setup();
    const logger = createMemoryLogger();
    const deps = { clock: f.clock, logger, local: { repo: createLocalKmsRepo(f.store.db), keyring: f.keyring }, readFile: () => { throw new Error('ENOENT'); } };
    const m = createKmsManager({ provider: 'local', cache_ttl_seconds: 60, max_cache_size: 5 }, deps);
    expect(m.primary.kind).toBe('local');
    expect(m.cache.stats()).toMatchObject({ enabled: true, ttlSeconds: 60, maxEntries: 5 });
    const key = await m.primary.createKey({ name: 'k', spec: 'AES_256', usage: 'encrypt' });
    expect((await m.primary.describeKey(key.keyRef)).state).toBe('enabled');
    await m.close();
    const e = codeOf(() => createKmsManager({ provider: 'hashicorp_vault', vault_url: 'https://v.example.com', vault_token: TOKEN, vault_ca_cert: '/nonexistent/ca.pem' }, deps));
    expect(e.message).toMatch(/vault_ca_cert \(\/nonexistent\/ca.pem\) cannot be read/);
    expect(JSON.stringify(logger.entries)).not.toContain(TOKEN);
    expect(codeOf(() => createKmsManager({ provider: 'local' }, { clock: f.clock, logger })).code).toBe('internal');
  });
});
