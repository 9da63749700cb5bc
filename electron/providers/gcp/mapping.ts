// Cloud KMS resources -> the console's ProviderKeyInfo, and the response checks of Google's data-integrity guidance.
import type { protos } from '@google-cloud/kms';
import { ProviderError, type ProviderKeyInfo, type ProviderKeySpec, type ProviderKeyState } from '../types.ts';
import type { Crc32c } from './crc32c.ts';

export type CryptoKeyMsg = protos.google.cloud.kms.v1.ICryptoKey;
export type VersionMsg = protos.google.cloud.kms.v1.ICryptoKeyVersion;

export const ALGORITHM: Readonly<Record<ProviderKeySpec, string>> = {
  AES_256: 'GOOGLE_SYMMETRIC_ENCRYPTION',
  RSA_2048: 'RSA_SIGN_PSS_2048_SHA256',
  EC_P256: 'EC_SIGN_P256_SHA256',
};

const SPEC_BY_ALGORITHM: Readonly<Record<string, ProviderKeySpec>> = {
  GOOGLE_SYMMETRIC_ENCRYPTION: 'AES_256',
  RSA_SIGN_PSS_2048_SHA256: 'RSA_2048',
  EC_SIGN_P256_SHA256: 'EC_P256',
};

export interface KeyMeta {
  spec: ProviderKeySpec;
  usage: 'encrypt' | 'sign';
}

export function keyMeta(key: CryptoKeyMsg, providerId: string): KeyMeta {
  const purpose = String(key.purpose ?? '');
  const algorithm = String(key.versionTemplate?.algorithm ?? '');
  const spec = SPEC_BY_ALGORITHM[algorithm];
  const usage = purpose === 'ENCRYPT_DECRYPT' ? 'encrypt' : purpose === 'ASYMMETRIC_SIGN' ? 'sign' : null;
  if (!spec || !usage || (usage === 'encrypt') !== (spec === 'AES_256'))
    throw new ProviderError('InvalidInput', `Cloud KMS key ${key.name ?? ''} (${purpose} ${algorithm}) is not a kind of key the console uses.`, { providerId, providerCode: 'UNSUPPORTED_KEY' });
  return { spec, usage };
}

export const versionNumber = (name: string | null | undefined): number => {
  const m = /\/cryptoKeyVersions\/([0-9]+)$/.exec(name ?? '');
  return m ? Number(m[1]) : 0;
};

function longNumber(v: unknown): number {
  if (v === null || v === undefined) return NaN;
  return typeof v === 'object' ? Number(String(v)) : Number(v);
}

export function isoTime(t: { seconds?: unknown; nanos?: unknown } | null | undefined): string | null {
  if (!t) return null;
  const ms = longNumber(t.seconds ?? 0) * 1000 + Math.floor(longNumber(t.nanos ?? 0) / 1e6);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

const STATE: Readonly<Record<string, ProviderKeyState>> = {
  ENABLED: 'enabled',
  PENDING_GENERATION: 'enabled',
  DISABLED: 'disabled',
  DESTROY_SCHEDULED: 'pending_deletion',
  DESTROYED: 'destroyed',
};

/** The version new operations use: the primary for encryption keys; the newest usable one for signing keys. */
export function currentVersion(key: CryptoKeyMsg, versions: VersionMsg[] | null): VersionMsg | null {
  if (String(key.purpose) === 'ENCRYPT_DECRYPT') return key.primary ?? null;
  const sorted = [...(versions ?? [])].sort((a, b) => versionNumber(b.name) - versionNumber(a.name));
  const state = (v: VersionMsg) => String(v.state);
  return (
    sorted.find((v) => state(v) === 'ENABLED' || state(v) === 'PENDING_GENERATION') ??
    sorted.find((v) => state(v) !== 'DESTROYED') ??
    sorted[0] ??
    null
  );
}

export function keyInfo(key: CryptoKeyMsg, versions: VersionMsg[] | null, providerId: string): ProviderKeyInfo {
  const meta = keyMeta(key, providerId);
  const current = currentVersion(key, versions);
  const state = current ? (STATE[String(current.state)] ?? 'disabled') : 'destroyed';
  const scheduled = [...(versions ?? []), ...(current ? [current] : [])]
    .map((v) => isoTime(v.destroyTime))
    .filter((d): d is string => d !== null)
    .sort();
  const period = longNumber(key.rotationPeriod?.seconds);
  const name = key.name ?? '';
  return {
    keyRef: name,
    name: name.slice(name.lastIndexOf('/') + 1) || null,
    spec: meta.spec,
    usage: meta.usage,
    state,
    currentVersion: current ? versionNumber(current.name) : 0,
    createdAt: isoTime(key.createTime) ?? new Date(0).toISOString(),
    deletionDate: state === 'pending_deletion' ? (scheduled.at(-1) ?? null) : null,
    rotationPeriodDays: Number.isFinite(period) && period > 0 ? Math.round(period / 86_400) : null,
  };
}

/** The checks Google's data-integrity guidance asks of every response; any failure is an IntegrityFailure. */
export function createIntegrity(crc32c: Crc32c, providerId: string) {
  const fail = (code: string, message: string) => new ProviderError('IntegrityFailure', `Google Cloud KMS: ${message}`, { providerId, providerCode: code });
  return {
    request: (data: Uint8Array) => ({ value: crc32c(data) }),
    /** The response's checksum must be present and match the bytes received. */
    response(data: Uint8Array, checksum: { value?: unknown } | null | undefined, what: string): void {
      if (checksum === null || checksum === undefined || checksum.value === null || checksum.value === undefined)
        throw fail('CHECKSUM_MISSING', `the response carried no CRC32C for ${what}.`);
      if (longNumber(checksum.value) !== crc32c(data)) throw fail('CHECKSUM_MISMATCH', `the ${what} received does not match its CRC32C; it was corrupted in transit.`);
    },
    /** The service must confirm it checked what we sent. */
    verified(flag: boolean | null | undefined, what: string): void {
      if (flag !== true) throw fail('CHECKSUM_UNVERIFIED', `the service did not confirm the CRC32C of the ${what}; the request may have been corrupted in transit.`);
    },
    sameResource(actual: string | null | undefined, expected: (name: string) => boolean, what: string): void {
      if (!actual || !expected(actual)) throw fail('RESOURCE_NAME_MISMATCH', `the response names ${actual ?? 'no resource'}, not the ${what} requested.`);
    },
  };
}
