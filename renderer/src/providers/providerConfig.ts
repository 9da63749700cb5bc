// Form values <-> the configuration dictionary sent with providers:save. Secrets are never prefilled; in edit mode
// an empty secret input is left out, so the main process keeps the stored one.
import type { ProviderStatus } from '../../../shared/contract.ts';
import type { ProviderKind } from '../../../shared/domain.ts';
import { fieldsFor, SECRET_SET, type ProviderField } from './providerFields.ts';

export type FormValues = Record<string, string | boolean>;
type SettingValue = string | number | boolean | null;

function allFields(kind: ProviderKind): ProviderField[] {
  const f = fieldsFor(kind);
  return [f.id, ...f.specific, ...f.common];
}

export function emptyValues(kind: ProviderKind): FormValues {
  const values: FormValues = {};
  for (const field of allFields(kind)) values[field.name] = field.initial ?? (field.input === 'checkbox' ? false : '');
  return values;
}

/** Edit mode: the stored non-secret settings as typed values; secrets stay empty. */
export function valuesFromStatus(status: ProviderStatus): FormValues {
  const values = emptyValues(status.kind);
  values.id = status.id;
  for (const field of allFields(status.kind)) {
    if (field.name === 'id' || field.secret) continue;
    const stored = status.settings[field.name];
    if (stored === undefined || stored === null) continue;
    values[field.name] = field.input === 'checkbox' ? stored === true : String(stored);
  }
  if (status.settings.use_kms_for_storage === undefined) values.use_kms_for_storage = status.useKmsForStorage;
  return values;
}

/** Which secrets the main process holds for this provider (shown as "set — leave empty to keep"). */
export function storedSecrets(status: ProviderStatus | undefined): Set<string> {
  const set = new Set<string>();
  if (!status) return set;
  for (const field of allFields(status.kind)) if (field.secret && status.settings[field.name] === SECRET_SET) set.add(field.name);
  return set;
}

/**
 * The dictionary for providers:save. New provider: every filled field. Edit: every non-secret field as it now stands
 * (a cleared optional field is sent as null, which removes it), and only the secrets that were typed in.
 */
export function buildConfig(kind: ProviderKind, values: FormValues, editing: ProviderStatus | undefined): Record<string, SettingValue> {
  const config: Record<string, SettingValue> = { provider: kind };
  for (const field of allFields(kind)) {
    const raw = values[field.name];
    if (field.input === 'checkbox') {
      config[field.name] = raw === true;
      continue;
    }
    const text = typeof raw === 'string' ? raw.trim() : '';
    if (text === '') {
      if (!field.secret && editing && editing.settings[field.name] !== undefined && editing.settings[field.name] !== null) config[field.name] = null;
      continue;
    }
    if (field.input === 'number') {
      const n = Number(text);
      config[field.name] = Number.isFinite(n) && text !== '' ? n : text;
    } else {
      config[field.name] = text;
    }
  }
  return config;
}

/** How a Google Cloud KMS provider gets its service account: a key file picked here (sealed), or a path. */
export type GcpCredentialSource = 'file' | 'path';

export function initialGcpSource(status: ProviderStatus | undefined): GcpCredentialSource {
  const path = status?.settings.credentials_path;
  return typeof path === 'string' && path !== '' ? 'path' : 'file';
}

/** The values to send: only the chosen way of giving the service account (the main process refuses both). */
export function withCredentialChoice(kind: ProviderKind, values: FormValues, source: GcpCredentialSource): FormValues {
  if (kind !== 'google_cloud_kms') return values;
  return source === 'file' ? { ...values, credentials_path: '' } : { ...values, gcp_credentials_json: '' };
}
