// The in-memory state of one emulated Key Vault: keys with versions, JWK attributes (enabled, nbf, exp), tags,
// rotation policies and soft-deleted keys, and how they are written in answers (KeyBundle, KeyItem). Crypto uses
// node:crypto with the real algorithms.
import crypto from 'node:crypto';
import { CURVES } from './digestSign.ts';
import { KvError } from './kvErrors.ts';

export type KeyKind = 'RSA' | 'EC' | 'oct';

export interface KeyVersion {
  version: string;
  kty: KeyKind;
  /** Created as an HSM key type (RSA-HSM, EC-HSM, oct-HSM): reported with the -HSM suffix. */
  hsm: boolean;
  /** Key Vault curve name (P-256, P-384, P-521, P-256K) of an EC key. */
  crv: string | null;
  keyOps: string[];
  /** For oct keys: the AES key (never returned). */
  privateKey: crypto.KeyObject;
  publicJwk: crypto.JsonWebKey;
  enabled: boolean;
  /** Not-before and expiry (seconds since the epoch), or null. */
  nbf: number | null;
  exp: number | null;
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
  lifetimeActions: Array<{ trigger: { timeAfterCreate?: string; timeBeforeExpiry?: string }; action: { type: string } }>;
  attributes: { expiryTime?: string; created: number; updated: number };
}

export interface DeletedKey {
  key: VaultKey;
  deletedDate: number;
  scheduledPurgeDate: number;
}

export type KeyMaterial = Pick<KeyVersion, 'kty' | 'hsm' | 'crv' | 'privateKey' | 'publicJwk'>;

export const RSA_OPS = ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey'];
export const EC_OPS = ['sign', 'verify'];
export const OCT_OPS = ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'];
const RSA_SIZES = [2048, 3072, 4096];

export const nowSeconds = (now: () => number) => Math.floor(now() / 1000);

export function notFound(name: string, version?: string): KvError {
  const what = version ? `${name}/${version}` : name;
  return new KvError(404, 'KeyNotFound', `A key with (name/id) ${what} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command.`);
}

export function newKeyMaterial(body: Record<string, unknown>, managedHsm: boolean): KeyMaterial {
  const kty = body.kty;
  const hsm = typeof kty === 'string' && kty.endsWith('-HSM');
  // A Managed HSM holds HSM key types only; a standard vault has no symmetric keys.
  if (managedHsm && !hsm) throw new KvError(400, 'BadParameter', `Managed HSM supports only RSA-HSM, EC-HSM and oct-HSM keys, not ${String(kty)}.`);
  if (kty === 'RSA' || kty === 'RSA-HSM') {
    const size = body.key_size ?? 2048;
    if (typeof size !== 'number' || !RSA_SIZES.includes(size)) throw new KvError(400, 'BadParameter', `The key size ${String(size)} is not supported. Supported sizes: 2048, 3072, 4096.`);
    const e = body.public_exponent ?? 65537;
    if (typeof e !== 'number' || !Number.isInteger(e) || e < 3 || e % 2 === 0 || e > 0x7fffffff) throw new KvError(400, 'BadParameter', 'public_exponent must be an odd integer from 3.');
    if (body.crv !== undefined) throw new KvError(400, 'BadParameter', 'crv is not valid for RSA keys.');
    const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: size, publicExponent: e });
    return { kty: 'RSA', hsm, crv: null, privateKey, publicJwk: publicKey.export({ format: 'jwk' }) };
  }
  if (kty === 'EC' || kty === 'EC-HSM') {
    const crv = body.crv ?? 'P-256';
    if (typeof crv !== 'string' || !CURVES[crv]) throw new KvError(400, 'BadParameter', `The curve ${String(crv)} is not supported (P-256, P-384, P-521, P-256K).`);
    if (body.key_size !== undefined) throw new KvError(400, 'BadParameter', 'key_size is not valid for EC keys.');
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: CURVES[crv].node });
    return { kty: 'EC', hsm, crv, privateKey, publicJwk: publicKey.export({ format: 'jwk' }) };
  }
  if (kty === 'oct-HSM' && managedHsm) {
    const size = body.key_size ?? 256;
    if (size !== 128 && size !== 192 && size !== 256) throw new KvError(400, 'BadParameter', `The key size ${String(size)} is not supported for oct-HSM keys (128, 192, 256).`);
    return { kty: 'oct', hsm: true, crv: null, privateKey: crypto.createSecretKey(crypto.randomBytes(size / 8)), publicJwk: {} };
  }
  throw new KvError(400, 'BadParameter', `The key type ${String(kty)} is not supported by this ${managedHsm ? 'Managed HSM' : 'vault (a standard vault offers RSA, RSA-HSM, EC, EC-HSM)'}.`);
}

/** A fresh key of the same type, size and curve (rotation). */
export function sameKind(v: KeyVersion, managedHsm: boolean): KeyMaterial {
  const suffix = v.hsm ? '-HSM' : '';
  if (v.kty === 'RSA') return newKeyMaterial({ kty: `RSA${suffix}`, key_size: Buffer.from(v.publicJwk.n ?? '', 'base64url').length * 8 }, managedHsm);
  if (v.kty === 'EC') return newKeyMaterial({ kty: `EC${suffix}`, crv: v.crv }, managedHsm);
  return newKeyMaterial({ kty: 'oct-HSM', key_size: (v.privateKey.symmetricKeySize ?? 32) * 8 }, managedHsm);
}

export function checkKeyOps(kty: KeyKind, value: unknown): string[] {
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

export interface RequestAttributes { enabled?: boolean; nbf?: number | null; exp?: number | null }

/** The writable key attributes of a request (KeyAttributes: enabled, nbf, exp; exportable needs release, not offered). */
export function requestAttributes(value: unknown): RequestAttributes {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new KvError(400, 'BadParameter', 'attributes must be an object.');
  const a = value as Record<string, unknown>;
  const out: RequestAttributes = {};
  if (a.enabled !== undefined) {
    if (typeof a.enabled !== 'boolean') throw new KvError(400, 'BadParameter', 'attributes.enabled must be a boolean.');
    out.enabled = a.enabled;
  }
  for (const f of ['nbf', 'exp'] as const) {
    const v = a[f];
    if (v === undefined) continue;
    if (v !== null && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) throw new KvError(400, 'BadParameter', `attributes.${f} must be a Unix time in seconds.`);
    out[f] = v;
  }
  if (a.exportable === true) throw new KvError(400, 'BadParameter', 'An exportable key needs a release policy (key release is not offered by this emulator).');
  const nbf = out.nbf ?? null;
  const exp = out.exp ?? null;
  if (nbf !== null && exp !== null && exp <= nbf) throw new KvError(400, 'BadParameter', 'attributes.exp must be after attributes.nbf.');
  return out;
}

export function newVersion(material: KeyMaterial, keyOps: string[], tags: Record<string, string>, attrs: RequestAttributes, now: number): KeyVersion {
  return {
    version: crypto.randomBytes(16).toString('hex'),
    ...material,
    keyOps,
    enabled: attrs.enabled ?? true,
    nbf: attrs.nbf ?? null,
    exp: attrs.exp ?? null,
    created: now,
    updated: now,
    tags,
  };
}

/** DeletionRecoveryLevel with soft delete and purge allowed: "Customized" when the retention is under 90 days. */
export const recoveryLevel = (recoverableDays: number) => (recoverableDays < 90 ? 'CustomizedRecoverable+Purgeable' : 'Recoverable+Purgeable');

export function keyAttributes(v: KeyVersion, recoverableDays: number): Record<string, unknown> {
  return {
    enabled: v.enabled,
    ...(v.nbf === null ? {} : { nbf: v.nbf }),
    ...(v.exp === null ? {} : { exp: v.exp }),
    created: v.created,
    updated: v.updated,
    recoveryLevel: recoveryLevel(recoverableDays),
    recoverableDays,
    exportable: false,
  };
}

export function keyBundle(base: string, name: string, v: KeyVersion, recoverableDays: number): Record<string, unknown> {
  const jwk: Record<string, unknown> = { kid: `${base}/keys/${name}/${v.version}`, kty: v.hsm ? `${v.kty}-HSM` : v.kty, key_ops: v.keyOps };
  if (v.kty === 'RSA') Object.assign(jwk, { n: v.publicJwk.n, e: v.publicJwk.e });
  else if (v.kty === 'EC') Object.assign(jwk, { crv: v.crv, x: v.publicJwk.x, y: v.publicJwk.y });
  return { key: jwk, attributes: keyAttributes(v, recoverableDays), tags: v.tags };
}

export function keyItem(base: string, name: string, v: KeyVersion, recoverableDays: number, withVersion: boolean): Record<string, unknown> {
  return { kid: withVersion ? `${base}/keys/${name}/${v.version}` : `${base}/keys/${name}`, attributes: keyAttributes(v, recoverableDays), tags: v.tags };
}
