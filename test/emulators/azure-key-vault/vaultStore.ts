// The in-memory state of one emulated Key Vault: keys with versions, JWK attributes, tags, rotation policies and
// soft-deleted keys. Crypto uses node:crypto with the real algorithms (RSA-OAEP-256, PS256 salt 32, ES256 raw r||s).
import crypto from 'node:crypto';
import { KvError } from './kvErrors.ts';

export interface KeyVersion {
  version: string;
  kty: 'RSA' | 'EC' | 'oct';
  /** Created as an HSM key type (RSA-HSM, EC-HSM, oct-HSM): reported with the -HSM suffix. */
  hsm: boolean;
  keyOps: string[];
  /** For oct keys: the AES key (never returned). */
  privateKey: crypto.KeyObject;
  publicJwk: crypto.JsonWebKey;
  enabled: boolean;
  created: number;
  updated: number;
  tags: Record<string, string>;
}

export interface VaultKey {
  name: string;
  versions: KeyVersion[];
  rotationPolicy: RotationPolicy | null;
}

export interface RotationPolicy {
  id: string;
  lifetimeActions: Array<{ trigger: { timeAfterCreate?: string; timeBeforeExpiry?: string }; action: { type: string } }>;
  attributes: { expiryTime?: string; created: number; updated: number };
}

export interface DeletedKey {
  key: VaultKey;
  deletedDate: number;
  scheduledPurgeDate: number;
}

export const RSA_OPS = ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey'];
export const EC_OPS = ['sign', 'verify'];
export const OCT_OPS = ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'];
const RSA_SIZES = [2048, 3072, 4096];
// The service also offers P-384, P-521 and P-256K; this emulator signs with P-256 only and refuses the others.
const CURVES: Record<string, string> = { 'P-256': 'prime256v1' };

export const nowSeconds = (now: () => number) => Math.floor(now() / 1000);

export function notFound(name: string, version?: string): KvError {
  const what = version ? `${name}/${version}` : name;
  return new KvError(404, 'KeyNotFound', `A key with (name/id) ${what} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command.`);
}

export function newKeyMaterial(body: Record<string, unknown>, managedHsm: boolean): { kty: 'RSA' | 'EC' | 'oct'; hsm: boolean; privateKey: crypto.KeyObject; publicJwk: crypto.JsonWebKey } {
  const kty = body.kty;
  const hsm = typeof kty === 'string' && kty.endsWith('-HSM');
  // A Managed HSM holds HSM key types only; a standard vault has no symmetric keys.
  if (managedHsm && !hsm) throw new KvError(400, 'BadParameter', `Managed HSM supports only RSA-HSM, EC-HSM and oct-HSM keys, not ${String(kty)}.`);
  if (kty === 'RSA' || kty === 'RSA-HSM') {
    const size = body.key_size ?? 2048;
    if (typeof size !== 'number' || !RSA_SIZES.includes(size)) throw new KvError(400, 'BadParameter', `The key size ${String(size)} is not supported. Supported sizes: 2048, 3072, 4096.`);
    if (body.crv !== undefined) throw new KvError(400, 'BadParameter', 'crv is not valid for RSA keys.');
    const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: size, publicExponent: 65537 });
    return { kty: 'RSA', hsm, privateKey, publicJwk: publicKey.export({ format: 'jwk' }) };
  }
  if (kty === 'EC' || kty === 'EC-HSM') {
    const crv = body.crv ?? 'P-256';
    if (typeof crv !== 'string' || !CURVES[crv]) throw new KvError(400, 'BadParameter', `The curve ${String(crv)} is not supported.`);
    if (body.key_size !== undefined) throw new KvError(400, 'BadParameter', 'key_size is not valid for EC keys.');
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: CURVES[crv] });
    return { kty: 'EC', hsm, privateKey, publicJwk: publicKey.export({ format: 'jwk' }) };
  }
  if (kty === 'oct-HSM' && managedHsm) {
    const size = body.key_size ?? 256;
    if (size !== 128 && size !== 192 && size !== 256) throw new KvError(400, 'BadParameter', `The key size ${String(size)} is not supported for oct-HSM keys (128, 192, 256).`);
    return { kty: 'oct', hsm: true, privateKey: crypto.createSecretKey(crypto.randomBytes(size / 8)), publicJwk: {} };
  }
  throw new KvError(400, 'BadParameter', `The key type ${String(kty)} is not supported by this ${managedHsm ? 'Managed HSM' : 'vault (a standard vault offers RSA, RSA-HSM, EC, EC-HSM)'}.`);
}

export function checkKeyOps(kty: 'RSA' | 'EC' | 'oct', value: unknown): string[] {
  const allowed = kty === 'RSA' ? RSA_OPS : kty === 'EC' ? EC_OPS : OCT_OPS;
  if (value === undefined) return [...allowed];
  if (!Array.isArray(value) || value.some((o) => typeof o !== 'string' || !allowed.includes(o)))
    throw new KvError(400, 'BadParameter', `key_ops must be a list of ${allowed.join(', ')} for ${kty} keys.`);
  return [...new Set(value as string[])];
}

export function checkTags(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new KvError(400, 'BadParameter', 'tags must be an object of strings.');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 15) throw new KvError(400, 'BadParameter', 'A key can have at most 15 tags.');
  for (const [k, v] of entries)
    if (typeof v !== 'string' || k.length === 0 || k.length > 512 || v.length > 256) throw new KvError(400, 'BadParameter', `Tag ${k} is invalid.`);
  return Object.fromEntries(entries) as Record<string, string>;
}

/** ISO 8601 durations of days / months / years only, as rotation policies use them (P7D, P1M, P2Y). */
export function durationDays(value: unknown, field: string): number {
  const m = typeof value === 'string' ? /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?$/.exec(value) : null;
  if (!m || value === 'P') throw new KvError(400, 'BadParameter', `${field} must be an ISO 8601 duration such as P30D.`);
  return Number(m[1] ?? 0) * 365 + Number(m[2] ?? 0) * 30 + Number(m[3] ?? 0);
}

export function newVersion(material: ReturnType<typeof newKeyMaterial>, keyOps: string[], tags: Record<string, string>, enabled: boolean, now: number): KeyVersion {
  return { version: crypto.randomBytes(16).toString('hex'), kty: material.kty, hsm: material.hsm, keyOps, privateKey: material.privateKey, publicJwk: material.publicJwk, enabled, created: now, updated: now, tags };
}

export function keyBundle(base: string, name: string, v: KeyVersion, recoverableDays: number): Record<string, unknown> {
  const jwk: Record<string, unknown> = { kid: `${base}/keys/${name}/${v.version}`, kty: v.hsm ? `${v.kty}-HSM` : v.kty, key_ops: v.keyOps };
  if (v.kty === 'RSA') Object.assign(jwk, { n: v.publicJwk.n, e: v.publicJwk.e });
  else if (v.kty === 'EC') Object.assign(jwk, { crv: v.publicJwk.crv, x: v.publicJwk.x, y: v.publicJwk.y });
  return {
    key: jwk,
    attributes: { enabled: v.enabled, created: v.created, updated: v.updated, recoveryLevel: 'Recoverable+Purgeable', recoverableDays, exportable: false },
    tags: v.tags,
  };
}

export function keyItem(base: string, name: string, v: KeyVersion, recoverableDays: number, withVersion: boolean): Record<string, unknown> {
  return {
    kid: withVersion ? `${base}/keys/${name}/${v.version}` : `${base}/keys/${name}`,
    attributes: { enabled: v.enabled, created: v.created, updated: v.updated, recoveryLevel: 'Recoverable+Purgeable', recoverableDays, exportable: false },
    tags: v.tags,
  };
}
