// The adapter's view of Vault's wire formats: "vault:v<N>:<base64>" ciphertexts and signatures, names, key types,
// and the key read response mapped onto ProviderKeyInfo.
import { z } from 'zod';
import type { ProviderKeyInfo, ProviderKeySpec, ProviderKeyUsage } from '../types.ts';

export const VAULT_KEY_TYPES = { AES_256: 'aes256-gcm96', RSA_2048: 'rsa-2048', EC_P256: 'ecdsa-p256' } as const satisfies Record<ProviderKeySpec, string>;
export type VaultKeyType = (typeof VAULT_KEY_TYPES)[ProviderKeySpec];

export function specOfType(type: string): ProviderKeySpec | null {
  for (const [spec, t] of Object.entries(VAULT_KEY_TYPES)) if (t === type) return spec as ProviderKeySpec;
  return null;
}

export const usageOfSpec = (spec: ProviderKeySpec): ProviderKeyUsage => (spec === 'AES_256' ? 'encrypt' : 'sign');

/** Names the console creates (CreateKeyInput). */
export const CREATE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Any name Vault accepts in a transit path (framework.GenericNameRegex), for keys made elsewhere. */
export const VAULT_NAME = /^\w(?:[\w\-.@]*\w)?$/;

const VERSIONED = /^vault:v([1-9][0-9]{0,8}):((?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$/;

/**
 * Parses a provider ciphertext as the adapter returned it (the ASCII of Vault's "vault:vN:..." string). Stricter than
 * Vault on purpose: Vault reads "v0" as version 1 and, like Go's non-strict base64, ignores the padding bits of the
 * last character, so a changed byte there would still decrypt. Only the canonical form is accepted.
 */
export function parseVersioned(bytes: Buffer): { text: string; version: number; payload: Buffer } | null {
  if (bytes.length > 64 * 1024 * 1024) return null;
  for (const b of bytes) if (b > 0x7e || b < 0x21) return null;
  const text = bytes.toString('latin1');
  const m = VERSIONED.exec(text);
  if (!m || m[2]!.length === 0) return null;
  const payload = Buffer.from(m[2]!, 'base64');
  if (payload.toString('base64') !== m[2]) return null;
  return { text, version: Number(m[1]), payload };
}

const ANSWER = /^vault:v([1-9][0-9]{0,8}):[A-Za-z0-9+/]+={0,2}$/;

/** A ciphertext Vault just returned: shape and version only (Vault emits canonical base64; inputs get parseVersioned). */
export function answerVersion(text: string): number | null {
  const m = ANSWER.exec(text);
  return m ? Number(m[1]) : null;
}

/** Vault signature string -> raw signature bytes (DER for ECDSA, the PSS block for RSA) and its key version. */
export function signatureBytes(signature: string): { signature: Buffer; version: number } | null {
  const parsed = parseVersioned(Buffer.from(signature, 'latin1'));
  return parsed ? { signature: parsed.payload, version: parsed.version } : null;
}

export const signatureString = (signature: Buffer, version: number): string => `vault:v${version}:${signature.toString('base64')}`;

// --- response schemas (only the fields the adapter relies on) ---

const versionEntry = z.union([z.number(), z.object({ creation_time: z.string().optional(), public_key: z.string().optional() }).loose()]);

export const keyDataSchema = z
  .object({
    name: z.string(),
    type: z.string(),
    latest_version: z.number().int().positive(),
    min_decryption_version: z.number().int(),
    deletion_allowed: z.boolean().optional(),
    auto_rotate_period: z.number().optional(),
    keys: z.record(z.string(), versionEntry),
  })
  .loose();
export type VaultKeyData = z.infer<typeof keyDataSchema>;

export const envelopeOf = <T extends z.ZodType>(data: T) => z.object({ request_id: z.string().optional(), data }).loose();

export function creationTime(data: VaultKeyData, version: number): string | null {
  const entry = data.keys[String(version)];
  if (entry === undefined) return null;
  if (typeof entry === 'number') return new Date(entry * 1000).toISOString();
  return entry.creation_time && !Number.isNaN(Date.parse(entry.creation_time)) ? new Date(entry.creation_time).toISOString() : null;
}

export function toKeyInfo(data: VaultKeyData, disabled: boolean): ProviderKeyInfo | null {
  const spec = specOfType(data.type);
  if (!spec) return null;
  const versions = Object.keys(data.keys).map(Number).filter(Number.isInteger);
  const first = versions.length > 0 ? Math.min(...versions) : data.latest_version;
  const period = data.auto_rotate_period ?? 0;
  return {
    keyRef: data.name,
    name: data.name,
    spec,
    usage: usageOfSpec(spec),
    state: disabled ? 'disabled' : 'enabled',
    currentVersion: data.latest_version,
    createdAt: creationTime(data, first) ?? new Date(0).toISOString(),
    deletionDate: null,
    rotationPeriodDays: period > 0 ? period / 86400 : null,
  };
}

// --- list pagination: Vault's LIST is unpaged; the token is the last name of the previous page ---

export function encodePageToken(lastName: string): string {
  return Buffer.from(`after:${lastName}`, 'utf8').toString('base64url');
}

export function decodePageToken(token: string): string | null {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(token)) return null;
  const text = Buffer.from(token, 'base64url').toString('utf8');
  if (!text.startsWith('after:')) return null;
  const name = text.slice('after:'.length);
  return VAULT_NAME.test(name) ? name : null;
}
