// parseProviderConfig(dict, env): the specification's configuration dictionaries exactly as written there
// (provider, region, key_vault_url, project_id, location_id, key_ring_id, credentials_path, vault_url, vault_token,
// vault_namespace, use_kms_for_storage, offline_mode, enable_local_cache, cache_ttl_seconds, max_cache_size), the
// environment variables it names, and the console's extensions. A value in the dictionary wins over the environment.
// Any bad or misplaced value gives one ConsoleError('invalid_input') naming the field or variable.
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import { PROVIDER_ID_PATTERN, PROVIDER_KINDS, type ProviderKind } from '../../../shared/domain.ts';
import { DEFAULT_CACHE_TTL_SECONDS, DEFAULT_MAX_CACHE_SIZE } from '../cache/dataKeyCache.ts';
import { absolutePath, bad, bool, integer, PATTERNS, type RawValue, serviceUrl, type Source, text } from './fields.ts';
import { Secret } from './secret.ts';
import { COMMON_FIELDS, DEFAULT_IDS, ENV_VARS, KIND_FIELDS, SECRET_FIELDS } from './schema.ts';

export type SettingValue = string | number | boolean | Secret;

export type ProviderConnection =
  | { kind: 'local' }
  | { kind: 'aws_kms'; region: string; endpoint: string | null; credentials: { accessKeyId: string; secretAccessKey: Secret; sessionToken: Secret | null } | null }
  | { kind: 'hashicorp_vault'; vaultUrl: string; token: Secret; namespace: string | null; transitMount: string; caCertPath: string | null }
  | {
      kind: 'azure_key_vault';
      keyVaultUrl: string;
      clientId: string | null;
      clientSecret: Secret | null;
      tenantId: string | null;
      /** Microsoft Entra authority (sovereign clouds, or a private token endpoint); null = the public cloud. */
      authorityHost: string | null;
      /** Extra CA to trust for the vault and authority (TLS-inspecting proxies, private endpoints). */
      caCertPath: string | null;
    }
  | {
      kind: 'google_cloud_kms';
      projectId: string;
      locationId: string;
      keyRingId: string;
      credentialsPath: string | null;
      /** The service-account key file's content, picked in the console and kept sealed instead of a path to a plaintext file. */
      credentialsJson: Secret | null;
      endpoint: string | null;
    }
  | { kind: 'pkcs11'; modulePath: string; tokenLabel: string; pin: Secret | null };

export interface ProviderConfig {
  id: string;
  kind: ProviderKind;
  useKmsForStorage: boolean;
  offlineMode: boolean;
  cache: { enabled: boolean; ttlSeconds: number; maxEntries: number };
  timeoutMs: number;
  retries: number;
  connection: ProviderConnection;
  /** Every resolved setting by its specification name (secrets as Secret), and where it came from. */
  settings: Readonly<Record<string, SettingValue>>;
  sources: Readonly<Record<string, Source>>;
}

export type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_TIMEOUT_MS = 5000;
export const DEFAULT_RETRIES = 3;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

export function parseProviderConfig(dict: unknown, env: Env = {}): ProviderConfig {
  if (!isPlainObject(dict)) throw new ConsoleError('invalid_input', 'Provider configuration must be a dictionary of settings.', { field: 'configuration' });
  const present = (k: string) => Object.hasOwn(dict, k) && dict[k] !== undefined && dict[k] !== null;

  const providerRaw: RawValue | null = present('provider')
    ? { field: 'provider', source: 'config', where: 'provider', value: dict.provider }
    : env.KMS_PROVIDER?.trim()
      ? { field: 'provider', source: 'env', where: 'KMS_PROVIDER (environment)', value: env.KMS_PROVIDER }
      : null;
  if (!providerRaw) throw bad({ field: 'provider', where: 'provider' }, `is required (${PROVIDER_KINDS.join(', ')}), or set KMS_PROVIDER`);
  const kindText = typeof providerRaw.value === 'string' ? providerRaw.value.trim() : providerRaw.value;
  if (typeof kindText !== 'string' || !(PROVIDER_KINDS as readonly string[]).includes(kindText)) {
    throw bad(providerRaw, `must be one of ${PROVIDER_KINDS.join(', ')}`);
  }
  const kind = kindText as ProviderKind;

  const allowed = new Set([...COMMON_FIELDS, ...KIND_FIELDS[kind]]);
  for (const key of Object.keys(dict)) {
    if (allowed.has(key)) continue;
    const owner = PROVIDER_KINDS.find((k) => KIND_FIELDS[k].includes(key));
    throw bad({ field: key, where: key }, owner ? `does not apply to provider ${kind} (it is a ${owner} setting)` : 'is not a known setting');
  }

  const settings: Record<string, SettingValue> = {};
  const sources: Record<string, Source> = { provider: providerRaw.source };
  settings.provider = kind;

  /** The raw value of a field: the dictionary first, then its environment variable (for this provider kind). */
  const raw = (field: string): RawValue | null => {
    if (present(field)) return { field, source: 'config', where: field, value: dict[field] };
    const variable = ENV_VARS[kind][field];
    const v = variable ? env[variable] : undefined;
    return variable && v !== undefined && v.trim() !== '' ? { field, source: 'env', where: `${variable} (environment)`, value: v } : null;
  };
  const required = (field: string): RawValue => {
    const r = raw(field);
    if (r) return r;
    const variable = ENV_VARS[kind][field];
    throw bad({ field, where: field }, `is required for provider ${kind}${variable ? `, or set ${variable}` : ''}`);
  };
  const keep = <T extends SettingValue>(r: RawValue, v: T): T => {
    settings[r.field] = v;
    sources[r.field] = r.source;
    return v;
  };
  const opt = <T extends SettingValue>(field: string, parse: (r: RawValue) => T): T | null => {
    const r = raw(field);
    return r ? keep(r, parse(r)) : null;
  };
  const withDefault = <T extends SettingValue>(field: string, parse: (r: RawValue) => T, fallback: T): T => {
    const r = raw(field);
    if (r) return keep(r, parse(r));
    settings[field] = fallback;
    sources[field] = 'default';
    return fallback;
  };
  const secret = (r: RawValue, pattern: RegExp, rule: string, max = 4096) => new Secret(text(r, pattern, rule, max));
  // A Google service-account key file: JSON with type service_account, client_email and a PEM private key.
  const serviceAccountJson = (r: RawValue): Secret => {
    const raw = text(r, /^[\s\S]+$/, 'must be the content of a service-account key file', 16_384);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw bad(r, 'must be the JSON content of a service-account key file');
    }
    const o = parsed as Record<string, unknown> | null;
    if (!o || typeof o !== 'object' || o.type !== 'service_account' || typeof o.client_email !== 'string' || typeof o.private_key !== 'string' || !o.private_key.includes('PRIVATE KEY')) {
      throw bad(r, 'must be a service-account key file (type "service_account" with client_email and private_key)');
    }
    return new Secret(raw);
  };

  const id = withDefault('id', (r) => text(r, PROVIDER_ID_PATTERN, 'must be lower-case letters, digits, "_" and "-" (at most 32, starting with a letter or digit)', 32), DEFAULT_IDS[kind]);
  const useKms = withDefault('use_kms_for_storage', bool, kind !== 'local');
  if (useKms && kind === 'local') throw bad({ field: 'use_kms_for_storage', where: sources.use_kms_for_storage === 'env' ? 'USE_KMS_FOR_STORAGE (environment)' : 'use_kms_for_storage' }, 'cannot be true for provider local (there is no KMS to store in)');
  const offlineMode = withDefault('offline_mode', bool, false);
  const cache = {
    enabled: withDefault('enable_local_cache', bool, true),
    ttlSeconds: withDefault('cache_ttl_seconds', (r) => integer(r, 1, 604_800), DEFAULT_CACHE_TTL_SECONDS),
    maxEntries: withDefault('max_cache_size', (r) => integer(r, 1, 1_000_000), DEFAULT_MAX_CACHE_SIZE),
  };
  const timeoutMs = withDefault('timeout_ms', (r) => integer(r, 100, 120_000), DEFAULT_TIMEOUT_MS);
  const retries = withDefault('retries', (r) => integer(r, 0, 10), DEFAULT_RETRIES);

  const connection = ((): ProviderConnection => {
    switch (kind) {
      case 'local':
        return { kind };
      case 'aws_kms': {
        const region = keep(required('region'), text(required('region'), PATTERNS.awsRegion, 'must be an AWS region such as us-west-2', 32));
        const endpoint = opt('endpoint', (r) => serviceUrl(r, { allowPath: true }));
        const keyId = opt('aws_access_key_id', (r) => text(r, PATTERNS.awsAccessKeyId, 'must be an AWS access key id (upper-case letters and digits)', 128));
        const secretKey = opt('aws_secret_access_key', (r) => secret(r, PATTERNS.opaqueSecret, 'must be printable characters without spaces', 256));
        const session = opt('aws_session_token', (r) => secret(r, PATTERNS.opaqueSecret, 'must be printable characters without spaces', 8192));
        if (keyId !== null && secretKey === null) throw bad({ field: 'aws_secret_access_key', where: 'aws_secret_access_key' }, 'is required with aws_access_key_id (or set AWS_SECRET_ACCESS_KEY)');
        if (keyId === null && secretKey !== null) throw bad({ field: 'aws_access_key_id', where: 'aws_access_key_id' }, 'is required with aws_secret_access_key (or set AWS_ACCESS_KEY_ID)');
        if (keyId === null && session !== null) throw bad({ field: 'aws_session_token', where: 'aws_session_token' }, 'needs aws_access_key_id and aws_secret_access_key as well');
        return { kind, region, endpoint, credentials: keyId !== null && secretKey !== null ? { accessKeyId: keyId, secretAccessKey: secretKey, sessionToken: session } : null };
      }
      case 'hashicorp_vault':
        return {
          kind,
          vaultUrl: keep(required('vault_url'), serviceUrl(required('vault_url'))),
          token: keep(required('vault_token'), secret(required('vault_token'), PATTERNS.opaqueSecret, 'must be printable characters without spaces')),
          namespace: opt('vault_namespace', (r) => text(r, PATTERNS.vaultNamespace, 'must be a namespace path such as fleet/eu', 255)),
          transitMount: withDefault('transit_mount', (r) => text(r, PATTERNS.vaultMount, 'must be a mount path such as transit', 255), 'transit'),
          caCertPath: opt('vault_ca_cert', absolutePath),
        };
      case 'azure_key_vault': {
        const keyVaultUrl = keep(required('key_vault_url'), serviceUrl(required('key_vault_url')));
        const clientId = opt('azure_client_id', (r) => text(r, PATTERNS.guid, 'must be a GUID', 36));
        const clientSecret = opt('azure_client_secret', (r) => secret(r, /^[^\s]+$/, 'must not contain spaces', 1024));
        const tenantId = opt('azure_tenant_id', (r) => text(r, PATTERNS.tenant, 'must be a GUID or a domain name', 253));
        const given = [clientId, clientSecret, tenantId].filter((v) => v !== null).length;
        if (given > 0 && given < 3) {
          const missing = clientId === null ? 'azure_client_id' : clientSecret === null ? 'azure_client_secret' : 'azure_tenant_id';
          throw bad({ field: missing, where: missing }, `is required with the other Azure client credentials (or set ${ENV_VARS[kind][missing]})`);
        }
        const authorityHost = opt('azure_authority_host', (r) => serviceUrl(r));
        const caCertPath = opt('azure_ca_cert', absolutePath);
        return { kind, keyVaultUrl, clientId, clientSecret, tenantId, authorityHost, caCertPath };
      }
      case 'google_cloud_kms':
        if (present('credentials_path') && present('gcp_credentials_json')) {
          throw bad({ field: 'gcp_credentials_json', where: 'gcp_credentials_json' }, 'cannot be given together with credentials_path (pick one way to give the service account)');
        }
        return {
          kind,
          projectId: keep(required('project_id'), text(required('project_id'), PATTERNS.gcpProject, 'must be a Google Cloud project id (6-30 lower-case letters, digits, hyphens)', 30)),
          locationId: withDefault('location_id', (r) => text(r, PATTERNS.gcpLocation, 'must be a location such as global or europe-west1', 63), 'global'),
          keyRingId: keep(required('key_ring_id'), text(required('key_ring_id'), PATTERNS.gcpKeyRing, 'must be 1-63 letters, digits, "_" or "-"', 63)),
          credentialsPath: opt('credentials_path', absolutePath),
          credentialsJson: opt('gcp_credentials_json', (r) => serviceAccountJson(r)),
          endpoint: opt('endpoint', (r) => serviceUrl(r)),
        };
      case 'pkcs11':
        return {
          kind,
          modulePath: keep(required('pkcs11_module'), absolutePath(required('pkcs11_module'))),
          tokenLabel: keep(required('pkcs11_token_label'), text(required('pkcs11_token_label'), PATTERNS.tokenLabel, 'must be 1-32 printable characters', 32)),
          pin: opt('pkcs11_pin', (r) => secret(r, /^[\x20-\x7e]{4,255}$/, 'must be 4-255 printable characters', 255)),
        };
    }
  })();

  return { id, kind, useKmsForStorage: useKms, offlineMode, cache, timeoutMs, retries, connection, settings, sources };
}

/** Several providers (primary first, then backups): each parsed as above, ids unique. Errors name the entry. */
export function parseProviderConfigs(list: unknown, env: Env = {}): ProviderConfig[] {
  const items = Array.isArray(list) ? list : [list];
  if (items.length < 1 || items.length > 8) throw new ConsoleError('invalid_input', 'Give 1 to 8 provider configurations.', { field: 'providers' });
  const out: ProviderConfig[] = [];
  items.forEach((item, i) => {
    try {
      out.push(parseProviderConfig(item, env));
    } catch (e) {
      if (isConsoleError(e) && items.length > 1) throw new ConsoleError(e.code, `Provider configuration ${i + 1} of ${items.length}: ${e.message.replace(/^Provider configuration: /, '')}`, e.details);
      throw e;
    }
  });
  const seen = new Set<string>();
  for (const c of out) {
    if (seen.has(c.id)) throw new ConsoleError('invalid_input', `Provider configuration: id ${c.id} is used twice; give each provider its own id.`, { field: 'id' });
    seen.add(c.id);
  }
  return out;
}

/** What the UI may show: every setting, secrets replaced by "set" (null when absent). Never the secret itself. */
export function redactedSettings(config: ProviderConfig): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const [k, v] of Object.entries(config.settings)) out[k] = v instanceof Secret ? 'set' : v;
  for (const k of KIND_FIELDS[config.kind]) if (SECRET_FIELDS.includes(k) && !(k in out)) out[k] = null;
  return out;
}
