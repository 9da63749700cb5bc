// The provider settings the form offers, per kind, named exactly as the configuration names them (the
// specification's dictionaries plus the console's extensions). Presentation only: the main process validates.
import type { ProviderKind } from '../../../shared/domain.ts';

export type FieldInput = 'text' | 'url' | 'password' | 'number' | 'checkbox';

export interface ProviderField {
  name: string;
  label: string;
  input: FieldInput;
  /** Value of a new provider's form (the configuration's own default). */
  initial?: string | boolean;
  /** Never shown back: the main process answers "set" for it, and an empty input keeps the stored value. */
  secret?: boolean;
  required?: boolean;
  placeholder?: string;
  help?: string;
}

/** Kinds with a working adapter: the others are listed in the kind select, disabled. */
export const ADDABLE_KINDS: readonly ProviderKind[] = ['hashicorp_vault', 'aws_kms'];
export const UNAVAILABLE_KINDS: readonly ProviderKind[] = ['azure_key_vault', 'google_cloud_kms', 'pkcs11'];

const ID_FIELD: ProviderField = {
  name: 'id',
  label: 'Provider id',
  input: 'text',
  required: true,
  placeholder: 'e.g. vault-primary',
  help: 'Lower-case letters, digits, _ and -, at most 32. Keys refer to their provider by this id.',
};

export const KIND_FIELDS: Readonly<Partial<Record<ProviderKind, readonly ProviderField[]>>> = {
  aws_kms: [
    { name: 'region', label: 'Region', input: 'text', required: true, placeholder: 'e.g. eu-west-1' },
    {
      name: 'endpoint',
      label: 'Endpoint (optional)',
      input: 'url',
      placeholder: 'https://vpce-….kms.eu-west-1.vpce.amazonaws.com',
      help: 'For private (VPC) endpoints; leave empty for the public AWS endpoint of the region.',
    },
    {
      name: 'aws_access_key_id',
      label: 'Access key id',
      input: 'text',
      help: 'Leave the credentials empty to use the default AWS credential chain (environment, profile, instance role).',
    },
    { name: 'aws_secret_access_key', label: 'Secret access key', input: 'password', secret: true },
    { name: 'aws_session_token', label: 'Session token (optional)', input: 'password', secret: true },
  ],
  hashicorp_vault: [
    { name: 'vault_url', label: 'Vault URL', input: 'url', required: true, placeholder: 'https://vault.example.com:8200' },
    { name: 'vault_token', label: 'Vault token', input: 'password', secret: true, required: true },
    { name: 'vault_namespace', label: 'Namespace (optional)', input: 'text', placeholder: 'e.g. fleet/eu' },
    { name: 'transit_mount', label: 'Transit mount', input: 'text', placeholder: 'transit' },
    {
      // The configuration takes the CA as a PEM file (like VAULT_CACERT), not inline text.
      name: 'vault_ca_cert',
      label: 'CA certificate file (PEM, optional)',
      input: 'text',
      placeholder: '/etc/ecps/vault-ca.pem',
      help: 'Absolute path of the PEM file of the CA that signs the Vault server certificate (https with a private CA).',
    },
  ],
};

export const COMMON_FIELDS: readonly ProviderField[] = [
  { name: 'use_kms_for_storage', label: 'Use this provider for key storage (new keys are created here)', input: 'checkbox', initial: true },
  { name: 'offline_mode', label: 'Offline mode (work from the local cache, queue what needs the provider)', input: 'checkbox', initial: false },
  { name: 'enable_local_cache', label: 'Enable the local data-key cache', input: 'checkbox', initial: true },
  { name: 'cache_ttl_seconds', label: 'Cache TTL (seconds)', input: 'number', placeholder: '3600 (default)' },
  { name: 'max_cache_size', label: 'Cache size (entries)', input: 'number', placeholder: '1000 (default)' },
  { name: 'timeout_ms', label: 'Timeout per call (ms)', input: 'number', placeholder: '5000 (default)' },
  { name: 'retries', label: 'Retries', input: 'number', placeholder: '3 (default)' },
];

export function fieldsFor(kind: ProviderKind): { id: ProviderField; specific: readonly ProviderField[]; common: readonly ProviderField[] } {
  return { id: ID_FIELD, specific: KIND_FIELDS[kind] ?? [], common: COMMON_FIELDS };
}

/** The value the main process shows for a stored secret. */
export const SECRET_SET = 'set';
