// The provider settings the form offers, per kind, named exactly as the configuration names them (the
// specification's dictionaries plus the console's extensions). Presentation only: the main process validates.
import type { ProviderKind } from '../../../shared/domain.ts';

/** 'file': read in the window and sent as the setting's text (the GCP service-account key), never shown. */
export type FieldInput = 'text' | 'url' | 'password' | 'number' | 'checkbox' | 'file';

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

/** Kinds offered by the kind select (every kind but the built-in local store). */
export const ADDABLE_KINDS: readonly ProviderKind[] = ['hashicorp_vault', 'aws_kms', 'azure_key_vault', 'google_cloud_kms', 'pkcs11'];

/** Where the PKCS#11 modules of common HSMs usually live (a hint: the path depends on the installation). */
export const COMMON_PKCS11_MODULES: readonly { name: string; path: string }[] = [
  { name: 'SoftHSM2', path: '/usr/lib/softhsm/libsofthsm2.so' },
  { name: 'YubiHSM 2', path: '/usr/lib/x86_64-linux-gnu/pkcs11/yubihsm_pkcs11.so' },
  { name: 'OpenSC (smart cards, Nitrokey HSM)', path: '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so' },
];

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
  azure_key_vault: [
    { name: 'key_vault_url', label: 'Key Vault URL', input: 'url', required: true, placeholder: 'https://fleet-keys.vault.azure.net' },
    { name: 'azure_tenant_id', label: 'Tenant id', input: 'text', placeholder: 'GUID or domain, e.g. contoso.onmicrosoft.com' },
    { name: 'azure_client_id', label: 'Client id (application)', input: 'text', placeholder: '00000000-0000-0000-0000-000000000000' },
    {
      name: 'azure_client_secret',
      label: 'Client secret',
      input: 'password',
      secret: true,
      help: 'Give all three (tenant, client id, client secret) or leave all three empty to use DefaultAzureCredential (environment, managed identity, Azure CLI).',
    },
    {
      name: 'azure_authority_host',
      label: 'Authority host (optional)',
      input: 'url',
      placeholder: 'https://login.microsoftonline.us',
      help: 'For sovereign clouds (Azure Government, Azure China); leave empty for the public cloud.',
    },
    {
      name: 'azure_ca_cert',
      label: 'CA certificate file (PEM, optional)',
      input: 'text',
      placeholder: '/etc/ecps/azure-ca.pem',
      help: 'Absolute path of a PEM file with an extra CA to trust (private endpoints, TLS-inspecting proxies).',
    },
  ],
  google_cloud_kms: [
    { name: 'project_id', label: 'Project id', input: 'text', required: true, placeholder: 'e.g. fleet-security-prod' },
    { name: 'location_id', label: 'Location', input: 'text', initial: 'global', placeholder: 'global', help: 'global, or a region such as europe-west1.' },
    { name: 'key_ring_id', label: 'Key ring', input: 'text', required: true, placeholder: 'e.g. ecps-fleet' },
    {
      name: 'endpoint',
      label: 'Endpoint (optional)',
      input: 'url',
      placeholder: 'https://cloudkms.googleapis.com',
      help: 'For Private Service Connect endpoints; leave empty for the public Cloud KMS endpoint.',
    },
    // Shown by ServiceAccountFields: one of the two, chosen by the officer.
    { name: 'gcp_credentials_json', label: 'Service-account key file (JSON)', input: 'file', secret: true },
    { name: 'credentials_path', label: 'Service-account key path', input: 'text', placeholder: '/etc/ecps/gcp-service-account.json' },
  ],
  pkcs11: [
    {
      name: 'pkcs11_module',
      label: 'PKCS#11 module',
      input: 'text',
      required: true,
      placeholder: '/usr/lib/softhsm/libsofthsm2.so',
      help: `Absolute path of the HSM vendor's module on the console machine. Common: ${COMMON_PKCS11_MODULES.map((m) => `${m.name} ${m.path}`).join(' · ')}.`,
    },
    {
      name: 'pkcs11_token_label',
      label: 'Token label',
      input: 'text',
      required: true,
      placeholder: 'pick a slot above, or type the label',
    },
    {
      name: 'pkcs11_pin',
      label: 'User PIN',
      input: 'password',
      secret: true,
      help: 'Sealed under the store’s master key, never shown again; it logs in to the token when the console is unlocked.',
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
