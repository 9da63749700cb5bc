// Translations between the console's provider vocabulary and AWS KMS's.
import type { KeyMetadata } from '@aws-sdk/client-kms';
import { ProviderError, type ProviderKeyInfo, type ProviderKeySpec, type ProviderKeyState, type ProviderKeyUsage } from '../types.ts';

export const AWS_KEY_SPEC: Readonly<Record<ProviderKeySpec, 'SYMMETRIC_DEFAULT' | 'RSA_2048' | 'ECC_NIST_P256'>> = {
  AES_256: 'SYMMETRIC_DEFAULT',
  RSA_2048: 'RSA_2048',
  EC_P256: 'ECC_NIST_P256',
};

export const SIGNING_ALGORITHM: Readonly<Record<'RSA_2048' | 'EC_P256', 'RSASSA_PSS_SHA_256' | 'ECDSA_SHA_256'>> = {
  RSA_2048: 'RSASSA_PSS_SHA_256',
  EC_P256: 'ECDSA_SHA_256',
};

/** The single EncryptionContext pair that carries the caller's associated data (base64 of its bytes). */
export const AAD_CONTEXT_KEY = 'ecps:aad';

export function encryptionContext(aad: Buffer | undefined): Record<string, string> | undefined {
  return aad === undefined || aad.length === 0 ? undefined : { [AAD_CONTEXT_KEY]: aad.toString('base64') };
}

export function consoleSpec(meta: KeyMetadata, providerId: string): ProviderKeySpec {
  const spec = meta.KeySpec ?? meta.CustomerMasterKeySpec;
  if (spec === 'SYMMETRIC_DEFAULT') return 'AES_256';
  if (spec === 'RSA_2048') return 'RSA_2048';
  if (spec === 'ECC_NIST_P256') return 'EC_P256';
  throw new ProviderError('InvalidInput', `AWS KMS key ${meta.Arn ?? meta.KeyId} has key spec ${spec}, which the console does not use.`, { providerId });
}

export function consoleUsage(meta: KeyMetadata): ProviderKeyUsage {
  return meta.KeyUsage === 'SIGN_VERIFY' ? 'sign' : 'encrypt';
}

export function consoleState(meta: KeyMetadata): ProviderKeyState {
  switch (meta.KeyState) {
    case 'Enabled':
    case 'Updating':
      return 'enabled';
    case 'PendingDeletion':
    case 'PendingReplicaDeletion':
      return 'pending_deletion';
    default:
      // Disabled, Creating, PendingImport, Unavailable: not usable now.
      return 'disabled';
  }
}

export function keyInfo(
  meta: KeyMetadata,
  providerId: string,
  extra: { name: string | null; currentVersion: number; rotationPeriodDays: number | null },
): ProviderKeyInfo {
  return {
    keyRef: meta.Arn ?? meta.KeyId!,
    name: extra.name,
    spec: consoleSpec(meta, providerId),
    usage: consoleUsage(meta),
    state: consoleState(meta),
    currentVersion: extra.currentVersion,
    createdAt: (meta.CreationDate ?? new Date(0)).toISOString(),
    deletionDate: meta.DeletionDate ? meta.DeletionDate.toISOString() : null,
    rotationPeriodDays: extra.rotationPeriodDays,
  };
}

export function derToPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN PUBLIC KEY-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PUBLIC KEY-----\n`;
}
