// parseProviderConfig: the specification's dictionaries exactly as written, the environment variables it names, the
// console's extensions, and one clear invalid_input naming the field (or variable) for every bad value.
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseProviderConfig, parseProviderConfigs, redactedSettings } from '../../electron/providers/config/parseProviderConfig.ts';
import { isConsoleError } from '../../shared/errors.ts';

function failure(fn: () => unknown): { message: string; field: unknown } {
  try {
    fn();
  } catch (e) {
    if (isConsoleError(e) && e.code === 'invalid_input') return { message: e.message, field: e.details?.field };
    throw e;
  }
  throw new Error('expected invalid_input');
}

describe('provider configuration: the specification dictionaries', () => {
  it('AWS KMS as written in the specification', () => {
    const c = parseProviderConfig({ provider: 'aws_kms', region: 'us-west-2', use_kms_for_storage: true });
    expect(c).toMatchObject({ id: 'aws-kms', kind: 'aws_kms', useKmsForStorage: true, offlineMode: false, timeoutMs: 5000, retries: 3 });
    expect(c.connection).toEqual({ kind: 'aws_kms', region: 'us-west-2', endpoint: null, credentials: null });
    expect(c.cache).toEqual({ enabled: true, ttlSeconds: 3600, maxEntries: 1000 });
  });

  it('Azure Key Vault as written in the specification', () => {
    const c = parseProviderConfig({ provider: 'azure_key_vault', key_vault_url: 'https://your-vault.vault.azure.net/', use_kms_for_storage: true });
    expect(c.connection).toEqual({ kind: 'azure_key_vault', keyVaultUrl: 'https://your-vault.vault.azure.net', clientId: null, clientSecret: null, tenantId: null, authorityHost: null, caCertPath: null });
  });

  it('Google Cloud KMS as written in the specification', () => {
    const c = parseProviderConfig({
      provider: 'google_cloud_kms',
      project_id: 'your-project-id',
      location_id: 'global',
      key_ring_id: 'your-key-ring',
      credentials_path: '/path/to/service-account.json',
      use_kms_for_storage: true,
    });
    expect(c.connection).toEqual({ kind: 'google_cloud_kms', projectId: 'your-project-id', locationId: 'global', keyRingId: 'your-key-ring', credentialsPath: '/path/to/service-account.json', credentialsJson: null, endpoint: null });
  });

  it('HashiCorp Vault as written in the specification; the token becomes a Secret that never prints', () => {
    const c = parseProviderConfig({ provider: 'hashicorp_vault', vault_url: 'https://vault.example.com', vault_token: 'hvs.your_token', vault_namespace: 'your-namespace', use_kms_for_storage: true });
    if (c.connection.kind !== 'hashicorp_vault') throw new Error('kind');
    expect(c.connection).toMatchObject({ vaultUrl: 'https://vault.example.com', namespace: 'your-namespace', transitMount: 'transit', caCertPath: null });
    expect(c.connection.token.reveal()).toBe('hvs.your_token');
    for (const shown of [JSON.stringify(c), inspect(c, { depth: 10 }), String(c.connection.token), `${c.settings.vault_token}`]) {
      expect(shown).not.toContain('hvs.your_token');
    }
    expect(redactedSettings(c)).toMatchObject({ vault_token: 'set', vault_url: 'https://vault.example.com' });
  });

  it('the hybrid, edge and cache dictionaries of the specification', () => {
    expect(parseProviderConfig({ provider: 'aws_kms', region: 'us-west-2', use_kms_for_storage: false }).useKmsForStorage).toBe(false);
    expect(parseProviderConfig({ provider: 'aws_kms', region: 'us-west-2', use_kms_for_storage: false, offline_mode: true }).offlineMode).toBe(true);
    const c = parseProviderConfig({ provider: 'local', enable_local_cache: true, cache_ttl_seconds: 3600, max_cache_size: 1000 });
    expect(c).toMatchObject({ id: 'local', kind: 'local', useKmsForStorage: false, cache: { enabled: true, ttlSeconds: 3600, maxEntries: 1000 } });
    expect(parseProviderConfig({ provider: 'local', enable_local_cache: false }).cache.enabled).toBe(false);
  });

  it('console extensions: id, endpoint, transit_mount, timeout_ms, retries, vault_ca_cert, credentials in the dictionary', () => {
    const aws = parseProviderConfig({
      provider: 'aws_kms', id: 'aws-primary', region: 'eu-central-1', endpoint: 'http://127.0.0.1:4566', timeout_ms: 2000, retries: 0,
      aws_access_key_id: 'AKIDEXAMPLE000001', aws_secret_access_key: 'wJalrXUtnFEMI/K7MDENG', aws_session_token: 'FwoGZXIvYXdzE',
    });
    expect(aws).toMatchObject({ id: 'aws-primary', timeoutMs: 2000, retries: 0 });
    if (aws.connection.kind !== 'aws_kms') throw new Error('kind');
    expect(aws.connection.endpoint).toBe('http://127.0.0.1:4566');
    expect(aws.connection.credentials?.secretAccessKey.reveal()).toBe('wJalrXUtnFEMI/K7MDENG');
    expect(aws.connection.credentials?.sessionToken?.reveal()).toBe('FwoGZXIvYXdzE');
    const vault = parseProviderConfig({ provider: 'hashicorp_vault', id: 'vault-backup', vault_url: 'http://localhost:8200', vault_token: 't', transit_mount: 'ecps/transit', vault_ca_cert: '/etc/ssl/vault-ca.pem' });
    expect(vault.connection).toMatchObject({ transitMount: 'ecps/transit', caCertPath: '/etc/ssl/vault-ca.pem' });
    const pk = parseProviderConfig({ provider: 'pkcs11', pkcs11_module: '/usr/lib/softhsm/libsofthsm2.so', pkcs11_token_label: 'fleet', pkcs11_pin: '123456' });
    expect(redactedSettings(pk)).toMatchObject({ pkcs11_pin: 'set', pkcs11_token_label: 'fleet' });
  });
});

describe('provider configuration: console extensions for the next providers', () => {
  it('Azure: an authority host for sovereign clouds and an extra CA; AZURE_AUTHORITY_HOST from the environment', () => {
    const c = parseProviderConfig({ provider: 'azure_key_vault', key_vault_url: 'https://kv.vault.azure.net', azure_ca_cert: '/etc/ecps/proxy-ca.pem' }, { AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.us' });
    expect(c.connection).toMatchObject({ kind: 'azure_key_vault', authorityHost: 'https://login.microsoftonline.us', caCertPath: '/etc/ecps/proxy-ca.pem' });
  });

  it('Google: the content of a picked service-account file is a Secret that never prints', () => {
    const key = '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n';
    const json = JSON.stringify({ type: 'service_account', client_email: 'console@fleet-prod-1.iam.gserviceaccount.com', private_key: key });
    const c = parseProviderConfig({ provider: 'google_cloud_kms', project_id: 'fleet-prod-1', key_ring_id: 'robots', gcp_credentials_json: json });
    if (c.connection.kind !== 'google_cloud_kms') throw new Error('kind');
    expect(c.connection.credentialsJson?.reveal()).toBe(json);
    expect(inspect(c)).not.toContain('PRIVATE KEY');
    expect(JSON.stringify(c)).not.toContain('PRIVATE KEY');
    expect(redactedSettings(c).gcp_credentials_json).toBe('set');
  });
});

describe('provider configuration: environment variables', () => {
  it('KMS_PROVIDER, AWS_REGION, USE_KMS_FOR_STORAGE and the AWS credential variables', () => {
    const c = parseProviderConfig({}, {
      KMS_PROVIDER: 'aws_kms', AWS_REGION: 'us-west-2', USE_KMS_FOR_STORAGE: 'false',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE000001', AWS_SECRET_ACCESS_KEY: 'secret-from-env', AWS_SESSION_TOKEN: 'session-from-env', AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:9999',
    });
    expect(c).toMatchObject({ kind: 'aws_kms', useKmsForStorage: false });
    if (c.connection.kind !== 'aws_kms') throw new Error('kind');
    expect(c.connection.region).toBe('us-west-2');
    expect(c.connection.endpoint).toBe('http://127.0.0.1:9999');
    expect(c.connection.credentials?.accessKeyId).toBe('AKIDEXAMPLE000001');
    expect(c.connection.credentials?.secretAccessKey.reveal()).toBe('secret-from-env');
    expect(c.sources).toMatchObject({ provider: 'env', region: 'env', aws_secret_access_key: 'env' });
  });

  it('the dictionary wins over the environment', () => {
    const c = parseProviderConfig({ provider: 'aws_kms', region: 'eu-west-1' }, { KMS_PROVIDER: 'hashicorp_vault', AWS_REGION: 'us-west-2', USE_KMS_FOR_STORAGE: 'no' });
    expect(c.kind).toBe('aws_kms');
    expect(c.connection).toMatchObject({ region: 'eu-west-1' });
    expect(c.useKmsForStorage).toBe(false);
  });

  it('VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE, VAULT_CACERT', () => {
    const c = parseProviderConfig({ provider: 'hashicorp_vault' }, { VAULT_ADDR: 'https://vault.example.com:8200', VAULT_TOKEN: 'hvs.env', VAULT_NAMESPACE: 'fleet/eu', VAULT_CACERT: '/etc/vault/ca.pem' });
    if (c.connection.kind !== 'hashicorp_vault') throw new Error('kind');
    expect(c.connection).toMatchObject({ vaultUrl: 'https://vault.example.com:8200', namespace: 'fleet/eu', caCertPath: '/etc/vault/ca.pem' });
    expect(c.connection.token.reveal()).toBe('hvs.env');
  });

  it('AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_TENANT_ID and GOOGLE_APPLICATION_CREDENTIALS', () => {
    const az = parseProviderConfig({ provider: 'azure_key_vault', key_vault_url: 'https://v.vault.azure.net' }, {
      AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000001', AZURE_CLIENT_SECRET: 's3cr3t', AZURE_TENANT_ID: 'contoso.onmicrosoft.com',
    });
    if (az.connection.kind !== 'azure_key_vault') throw new Error('kind');
    expect(az.connection.clientSecret?.reveal()).toBe('s3cr3t');
    expect(az.connection.tenantId).toBe('contoso.onmicrosoft.com');
    const gcp = parseProviderConfig({ provider: 'google_cloud_kms', project_id: 'fleet-prod-01', key_ring_id: 'ring' }, { GOOGLE_APPLICATION_CREDENTIALS: '/secrets/sa.json' });
    expect(gcp.connection).toMatchObject({ credentialsPath: '/secrets/sa.json', locationId: 'global' });
  });

  it('variables of other providers are ignored', () => {
    const c = parseProviderConfig({ provider: 'hashicorp_vault', vault_url: 'https://v.example.com', vault_token: 't' }, { AWS_REGION: 'not a region', AWS_SECRET_ACCESS_KEY: 'x' });
    expect(c.kind).toBe('hashicorp_vault');
  });
});

describe('provider configuration: each bad value named', () => {
  const cases: Array<[string, unknown, Record<string, string>, string, RegExp]> = [
    ['not a dictionary', 'aws_kms', {}, 'configuration', /dictionary/],
    ['no provider', {}, {}, 'provider', /provider is required/],
    ['unknown provider', { provider: 'aws' }, {}, 'provider', /provider must be one of/],
    ['bad KMS_PROVIDER', {}, { KMS_PROVIDER: 'gcp' }, 'provider', /KMS_PROVIDER \(environment\) must be one of/],
    ['unknown setting', { provider: 'local', colour: 'red' }, {}, 'colour', /colour is not a known setting/],
    ['setting of another provider', { provider: 'hashicorp_vault', vault_url: 'https://v', vault_token: 't', region: 'us-west-2' }, {}, 'region', /does not apply to provider hashicorp_vault \(it is a aws_kms setting\)/],
    ['missing region', { provider: 'aws_kms' }, {}, 'region', /region is required for provider aws_kms, or set AWS_REGION/],
    ['bad region', { provider: 'aws_kms', region: 'Oregon' }, {}, 'region', /region must be an AWS region/],
    ['bad AWS_REGION', { provider: 'aws_kms' }, { AWS_REGION: 'us west' }, 'region', /AWS_REGION \(environment\)/],
    ['secret key without id', { provider: 'aws_kms', region: 'us-west-2', aws_secret_access_key: 'x' }, {}, 'aws_access_key_id', /aws_access_key_id is required/],
    ['id without secret key', { provider: 'aws_kms', region: 'us-west-2' }, { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE000001' }, 'aws_secret_access_key', /aws_secret_access_key is required/],
    ['session token alone', { provider: 'aws_kms', region: 'us-west-2', aws_session_token: 'x' }, {}, 'aws_session_token', /needs aws_access_key_id/],
    ['bad access key id', { provider: 'aws_kms', region: 'us-west-2', aws_access_key_id: 'akid', aws_secret_access_key: 'x' }, {}, 'aws_access_key_id', /access key id/],
    ['Vault mount climbing out', { provider: 'hashicorp_vault', vault_url: 'https://v.example', vault_token: 't', transit_mount: '../sys' }, {}, 'transit_mount', /transit_mount must be a mount path/],
    ['Vault mount on a system path', { provider: 'hashicorp_vault', vault_url: 'https://v.example', vault_token: 't', transit_mount: 'sys/raw' }, {}, 'transit_mount', /transit_mount must be a mount path/],
    ['Vault namespace with ..', { provider: 'hashicorp_vault', vault_url: 'https://v.example', vault_token: 't', vault_namespace: 'fleet/../root' }, {}, 'vault_namespace', /vault_namespace must be a namespace path/],
    ['Azure authority that is not a URL', { provider: 'azure_key_vault', key_vault_url: 'https://kv.vault.azure.net', azure_authority_host: 'login' }, {}, 'azure_authority_host', /azure_authority_host/],
    ['Azure CA that is not an absolute path', { provider: 'azure_key_vault', key_vault_url: 'https://kv.vault.azure.net', azure_ca_cert: 'ca.pem' }, {}, 'azure_ca_cert', /azure_ca_cert/],
    ['GCP credentials that are not JSON', { provider: 'google_cloud_kms', project_id: 'fleet-prod-1', key_ring_id: 'robots', gcp_credentials_json: 'not json' }, {}, 'gcp_credentials_json', /JSON content of a service-account key file/],
    ['GCP credentials of another kind', { provider: 'google_cloud_kms', project_id: 'fleet-prod-1', key_ring_id: 'robots', gcp_credentials_json: '{"type":"authorized_user"}' }, {}, 'gcp_credentials_json', /must be a service-account key file/],
    ['GCP credentials twice', { provider: 'google_cloud_kms', project_id: 'fleet-prod-1', key_ring_id: 'robots', credentials_path: '/etc/sa.json', gcp_credentials_json: '{}' }, {}, 'gcp_credentials_json', /cannot be given together with credentials_path/],
    ['endpoint with credentials', { provider: 'aws_kms', region: 'us-west-2', endpoint: 'https://u:p@kms.example.com' }, {}, 'endpoint', /must not carry credentials/],
    ['plain http off loopback', { provider: 'aws_kms', region: 'us-west-2', endpoint: 'http://kms.example.com' }, {}, 'endpoint', /must use https/],
    ['bad AWS_ENDPOINT_URL_KMS', { provider: 'aws_kms', region: 'us-west-2' }, { AWS_ENDPOINT_URL_KMS: 'kms' }, 'endpoint', /AWS_ENDPOINT_URL_KMS \(environment\) must be a URL/],
    ['missing key_vault_url', { provider: 'azure_key_vault' }, {}, 'key_vault_url', /key_vault_url is required/],
    ['key_vault_url over http', { provider: 'azure_key_vault', key_vault_url: 'http://v.vault.azure.net/' }, {}, 'key_vault_url', /https/],
    ['partial Azure credentials', { provider: 'azure_key_vault', key_vault_url: 'https://v.vault.azure.net' }, { AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000001' }, 'azure_client_secret', /AZURE_CLIENT_SECRET/],
    ['bad AZURE_CLIENT_ID', { provider: 'azure_key_vault', key_vault_url: 'https://v.vault.azure.net' }, { AZURE_CLIENT_ID: 'me' }, 'azure_client_id', /AZURE_CLIENT_ID \(environment\) must be a GUID/],
    ['bad azure_tenant_id', { provider: 'azure_key_vault', key_vault_url: 'https://v.vault.azure.net', azure_tenant_id: 'not a tenant' }, {}, 'azure_tenant_id', /GUID or a domain/],
    ['missing project_id', { provider: 'google_cloud_kms', key_ring_id: 'r' }, {}, 'project_id', /project_id is required/],
    ['bad project_id', { provider: 'google_cloud_kms', project_id: 'P', key_ring_id: 'r' }, {}, 'project_id', /project id/],
    ['bad location_id', { provider: 'google_cloud_kms', project_id: 'fleet-prod', key_ring_id: 'r', location_id: 'Europe West' }, {}, 'location_id', /location/],
    ['missing key_ring_id', { provider: 'google_cloud_kms', project_id: 'fleet-prod' }, {}, 'key_ring_id', /key_ring_id is required/],
    ['relative credentials_path', { provider: 'google_cloud_kms', project_id: 'fleet-prod', key_ring_id: 'r', credentials_path: 'sa.json' }, {}, 'credentials_path', /absolute path/],
    ['bad GOOGLE_APPLICATION_CREDENTIALS', { provider: 'google_cloud_kms', project_id: 'fleet-prod', key_ring_id: 'r' }, { GOOGLE_APPLICATION_CREDENTIALS: 'sa.json' }, 'credentials_path', /GOOGLE_APPLICATION_CREDENTIALS \(environment\)/],
    ['missing vault_url', { provider: 'hashicorp_vault', vault_token: 't' }, {}, 'vault_url', /vault_url is required for provider hashicorp_vault, or set VAULT_ADDR/],
    ['bad VAULT_ADDR', { provider: 'hashicorp_vault', vault_token: 't' }, { VAULT_ADDR: 'vault:8200' }, 'vault_url', /VAULT_ADDR \(environment\)/],
    ['missing vault_token', { provider: 'hashicorp_vault', vault_url: 'https://v.example.com' }, {}, 'vault_token', /vault_token is required for provider hashicorp_vault, or set VAULT_TOKEN/],
    ['vault_token with spaces', { provider: 'hashicorp_vault', vault_url: 'https://v.example.com', vault_token: 'a b' }, {}, 'vault_token', /printable characters without spaces/],
    ['bad vault_namespace', { provider: 'hashicorp_vault', vault_url: 'https://v.example.com', vault_token: 't', vault_namespace: '/fleet/' }, {}, 'vault_namespace', /namespace path/],
    ['bad VAULT_NAMESPACE', { provider: 'hashicorp_vault', vault_url: 'https://v.example.com', vault_token: 't' }, { VAULT_NAMESPACE: 'a b' }, 'vault_namespace', /VAULT_NAMESPACE \(environment\)/],
    ['bad transit_mount', { provider: 'hashicorp_vault', vault_url: 'https://v.example.com', vault_token: 't', transit_mount: 'a b' }, {}, 'transit_mount', /mount path/],
    ['relative VAULT_CACERT', { provider: 'hashicorp_vault', vault_url: 'https://v.example.com', vault_token: 't' }, { VAULT_CACERT: 'ca.pem' }, 'vault_ca_cert', /VAULT_CACERT \(environment\) must be an absolute path/],
    ['use_kms_for_storage as text', { provider: 'aws_kms', region: 'us-west-2', use_kms_for_storage: 'true' }, {}, 'use_kms_for_storage', /a boolean, not text/],
    ['bad USE_KMS_FOR_STORAGE', { provider: 'aws_kms', region: 'us-west-2' }, { USE_KMS_FOR_STORAGE: 'maybe' }, 'use_kms_for_storage', /USE_KMS_FOR_STORAGE \(environment\) must be true or false/],
    ['KMS storage on local', { provider: 'local', use_kms_for_storage: true }, {}, 'use_kms_for_storage', /cannot be true for provider local/],
    ['bad offline_mode', { provider: 'local', offline_mode: 1 }, {}, 'offline_mode', /true or false/],
    ['bad enable_local_cache', { provider: 'local', enable_local_cache: 'yes' }, {}, 'enable_local_cache', /true or false/],
    ['cache_ttl_seconds zero', { provider: 'local', cache_ttl_seconds: 0 }, {}, 'cache_ttl_seconds', /from 1 to 604800/],
    ['cache_ttl_seconds fraction', { provider: 'local', cache_ttl_seconds: 1.5 }, {}, 'cache_ttl_seconds', /whole number/],
    ['max_cache_size too large', { provider: 'local', max_cache_size: 10_000_000 }, {}, 'max_cache_size', /from 1 to 1000000/],
    ['bad id', { provider: 'local', id: 'Local Store' }, {}, 'id', /id must be lower-case/],
    ['timeout_ms too small', { provider: 'local', timeout_ms: 5 }, {}, 'timeout_ms', /from 100 to 120000/],
    ['retries too many', { provider: 'local', retries: 11 }, {}, 'retries', /from 0 to 10/],
    ['missing pkcs11_module', { provider: 'pkcs11', pkcs11_token_label: 'x' }, {}, 'pkcs11_module', /pkcs11_module is required/],
    ['short pkcs11_pin', { provider: 'pkcs11', pkcs11_module: '/lib/p11.so', pkcs11_token_label: 'x', pkcs11_pin: '12' }, {}, 'pkcs11_pin', /4-255/],
  ];
  for (const [what, dict, env, field, message] of cases) {
    it(what, () => {
      const f = failure(() => parseProviderConfig(dict, env));
      expect(f.field).toBe(field);
      expect(f.message).toMatch(message);
      expect(f.message).not.toMatch(/hvs\.|secret-from-env/);
    });
  }

  it('several providers: each error names its entry, and ids must differ', () => {
    const f = failure(() => parseProviderConfigs([{ provider: 'local' }, { provider: 'aws_kms' }]));
    expect(f.message).toMatch(/^Provider configuration 2 of 2: region is required/);
    const dup = failure(() => parseProviderConfigs([{ provider: 'aws_kms', region: 'us-west-2', id: 'x' }, { provider: 'local', id: 'x' }]));
    expect(dup.field).toBe('id');
    const two = parseProviderConfigs([{ provider: 'aws_kms', region: 'us-west-2' }, { provider: 'hashicorp_vault', vault_url: 'https://v.example.com', vault_token: 't' }]);
    expect(two.map((c) => c.id)).toEqual(['aws-kms', 'vault']);
  });
});
