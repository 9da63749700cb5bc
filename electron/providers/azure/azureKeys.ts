// Key facts the Azure adapter derives from Key Vault objects: the console spec and usage of a key (from its tags, else
// from its type and operations), version numbering (Key Vault versions are opaque ids; the console numbers them in
// creation order), and ProviderKeyInfo.
import type { KeyProperties, KeyVaultKey } from '@azure/keyvault-keys';
import { ProviderError, type ProviderKeyInfo, type ProviderKeySpec, type ProviderKeyUsage } from '../types.ts';
import { TAG } from './azureFormat.ts';

const SPECS: readonly ProviderKeySpec[] = ['AES_256', 'RSA_2048', 'EC_P256'];

export function specOf(key: KeyVaultKey, providerId: string): { spec: ProviderKeySpec; usage: ProviderKeyUsage } {
  const tagged = key.properties.tags?.[TAG.spec];
  if (tagged !== undefined && (SPECS as readonly string[]).includes(tagged)) {
    const spec = tagged as ProviderKeySpec;
    return { spec, usage: spec === 'AES_256' ? 'encrypt' : 'sign' };
  }
  const ops = key.keyOperations ?? [];
  const kty = key.keyType ?? '';
  if (kty.startsWith('oct')) return { spec: 'AES_256', usage: 'encrypt' };
  if (kty.startsWith('RSA') && ops.includes('unwrapKey') && !ops.includes('sign')) return { spec: 'AES_256', usage: 'encrypt' };
  if (kty.startsWith('RSA') && (key.key?.n?.length ?? 0) === 256) return { spec: 'RSA_2048', usage: 'sign' };
  if (kty.startsWith('EC') && key.key?.crv === 'P-256') return { spec: 'EC_P256', usage: 'sign' };
  throw new ProviderError('InvalidInput', `Key Vault key ${key.name} (${kty}) is not a key type the console uses.`, { providerId, providerCode: 'UnsupportedKey' });
}

/** Versions in creation order (ties within a second broken by the adapter's version tag, then the id). */
export function orderVersions(versions: KeyProperties[]): string[] {
  const tagNumber = (p: KeyProperties) => Number(p.tags?.[TAG.version] ?? Number.MAX_SAFE_INTEGER);
  return [...versions]
    .sort((a, b) => (a.createdOn?.getTime() ?? 0) - (b.createdOn?.getTime() ?? 0) || tagNumber(a) - tagNumber(b) || (a.version ?? '').localeCompare(b.version ?? ''))
    .map((p) => p.version ?? '');
}

export function keyInfo(
  key: KeyVaultKey,
  providerId: string,
  extra: { currentVersion: number; createdAt: Date | undefined; rotationPeriodDays: number | null; deletionDate?: Date | undefined },
): ProviderKeyInfo {
  const { spec, usage } = specOf(key, providerId);
  return {
    keyRef: key.name,
    name: key.properties.tags?.[TAG.name] ?? key.name,
    spec,
    usage,
    state: extra.deletionDate !== undefined ? 'pending_deletion' : key.properties.enabled === false ? 'disabled' : 'enabled',
    currentVersion: extra.currentVersion,
    createdAt: (extra.createdAt ?? key.properties.createdOn ?? new Date(0)).toISOString(),
    deletionDate: extra.deletionDate === undefined ? null : extra.deletionDate.toISOString(),
    rotationPeriodDays: extra.rotationPeriodDays,
  };
}

/** P30D / P1Y / P2M -> days; null for anything else. */
export function isoDays(value: string | undefined): number | null {
  const m = value === undefined ? null : /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?$/.exec(value);
  if (!m || value === 'P') return null;
  return Number(m[1] ?? 0) * 365 + Number(m[2] ?? 0) * 30 + Number(m[3] ?? 0);
}
