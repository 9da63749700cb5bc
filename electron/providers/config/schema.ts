// Which settings exist, for which provider, which are secret, and which environment variable feeds each.
import type { ProviderKind } from '../../../shared/domain.ts';

/** Settings every provider accepts: the specification's common ones, then the console's extensions. */
export const COMMON_FIELDS: readonly string[] = [
  'provider',
  'use_kms_for_storage',
  'offline_mode',
  'enable_local_cache',
  'cache_ttl_seconds',
  'max_cache_size',
  'id',
  'timeout_ms',
  'retries',
];

export const KIND_FIELDS: Readonly<Record<ProviderKind, readonly string[]>> = {
  local: [],
  aws_kms: ['region', 'endpoint', 'aws_access_key_id', 'aws_secret_access_key', 'aws_session_token'],
  azure_key_vault: ['key_vault_url', 'azure_client_id', 'azure_client_secret', 'azure_tenant_id', 'azure_authority_host', 'azure_ca_cert'],
  google_cloud_kms: ['project_id', 'location_id', 'key_ring_id', 'credentials_path', 'gcp_credentials_json', 'endpoint'],
  hashicorp_vault: ['vault_url', 'vault_token', 'vault_namespace', 'transit_mount', 'vault_ca_cert'],
  pkcs11: ['pkcs11_module', 'pkcs11_token_label', 'pkcs11_pin'],
};

/** Stored only encrypted under the store's master key, never shown again, never logged. */
export const SECRET_FIELDS: readonly string[] = ['aws_secret_access_key', 'aws_session_token', 'azure_client_secret', 'gcp_credentials_json', 'vault_token', 'pkcs11_pin'];

const COMMON_ENV = { use_kms_for_storage: 'USE_KMS_FOR_STORAGE', timeout_ms: 'KMS_TIMEOUT_MS', retries: 'KMS_RETRIES' };

/** Environment variables per provider kind and setting (KMS_PROVIDER feeds `provider` for every kind). */
export const ENV_VARS: Readonly<Record<ProviderKind, Readonly<Record<string, string>>>> = {
  local: COMMON_ENV,
  aws_kms: {
    ...COMMON_ENV,
    region: 'AWS_REGION',
    endpoint: 'AWS_ENDPOINT_URL_KMS',
    aws_access_key_id: 'AWS_ACCESS_KEY_ID',
    aws_secret_access_key: 'AWS_SECRET_ACCESS_KEY',
    aws_session_token: 'AWS_SESSION_TOKEN',
  },
  azure_key_vault: { ...COMMON_ENV, azure_client_id: 'AZURE_CLIENT_ID', azure_client_secret: 'AZURE_CLIENT_SECRET', azure_tenant_id: 'AZURE_TENANT_ID', azure_authority_host: 'AZURE_AUTHORITY_HOST' },
  google_cloud_kms: { ...COMMON_ENV, credentials_path: 'GOOGLE_APPLICATION_CREDENTIALS' },
  hashicorp_vault: { ...COMMON_ENV, vault_url: 'VAULT_ADDR', vault_token: 'VAULT_TOKEN', vault_namespace: 'VAULT_NAMESPACE', vault_ca_cert: 'VAULT_CACERT' },
  pkcs11: COMMON_ENV,
};

export const DEFAULT_IDS: Readonly<Record<ProviderKind, string>> = {
  local: 'local',
  aws_kms: 'aws-kms',
  azure_key_vault: 'azure-key-vault',
  google_cloud_kms: 'gcp-kms',
  hashicorp_vault: 'vault',
  pkcs11: 'pkcs11',
};
