// Token objects of one console key, and the byte formats around them.
//   key version N:  CKA_LABEL "ecps/<name>/v<N>", CKA_ID "ecps:<name>"  (AES secret key, or RSA/EC private + public key)
//   metadata:       CKO_DATA, CKA_APPLICATION "ecps-uv", CKA_LABEL "ecps/<name>/meta", CKA_VALUE JSON {spec, usage, createdAt}
// Every key is CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, CKA_EXTRACTABLE false (so never extractable). The key's
// enabled/disabled state is the token's own CKA_ENCRYPT+CKA_DECRYPT (AES) or CKA_SIGN (private key) attribute of
// every version: a disabled key is refused by the token itself (CKR_KEY_FUNCTION_NOT_PERMITTED).
import crypto from 'node:crypto';
import pkcs11js from 'pkcs11js';
import type { ProviderKeySpec, ProviderKeyUsage } from '../types.ts';

export const APPLICATION = 'ecps-uv';
export const P256_OID = Buffer.from('06082a8648ce3d030107', 'hex');

export const versionLabel = (name: string, version: number) => `ecps/${name}/v${version}`;
export const metaLabel = (name: string) => `ecps/${name}/meta`;
export const keyId = (name: string) => Buffer.from(`ecps:${name}`, 'utf8');

export interface KeyMeta {
  spec: ProviderKeySpec;
  usage: ProviderKeyUsage;
  createdAt: string;
}

export function parseMeta(value: Buffer | undefined): KeyMeta | null {
  try {
    const m = JSON.parse((value ?? Buffer.alloc(0)).toString('utf8')) as Partial<KeyMeta>;
    if ((m.spec === 'AES_256' || m.spec === 'RSA_2048' || m.spec === 'EC_P256') && (m.usage === 'encrypt' || m.usage === 'sign') && typeof m.createdAt === 'string')
      return { spec: m.spec, usage: m.usage, createdAt: m.createdAt };
  } catch {
    // fall through: not ours
  }
  return null;
}

export function metaTemplate(name: string, meta: KeyMeta): pkcs11js.Template {
  return [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_DATA },
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_MODIFIABLE, value: false },
    { type: pkcs11js.CKA_APPLICATION, value: APPLICATION },
    { type: pkcs11js.CKA_LABEL, value: metaLabel(name) },
    { type: pkcs11js.CKA_VALUE, value: Buffer.from(JSON.stringify(meta), 'utf8') },
  ];
}

const common = (name: string, version: number): pkcs11js.Template => [
  { type: pkcs11js.CKA_TOKEN, value: true },
  { type: pkcs11js.CKA_LABEL, value: versionLabel(name, version) },
  { type: pkcs11js.CKA_ID, value: keyId(name) },
];

const secretPart: pkcs11js.Template = [
  { type: pkcs11js.CKA_PRIVATE, value: true },
  { type: pkcs11js.CKA_SENSITIVE, value: true },
  { type: pkcs11js.CKA_EXTRACTABLE, value: false },
];

export function aesTemplate(name: string, version: number, enabled: boolean): pkcs11js.Template {
  return [
    ...common(name, version),
    ...secretPart,
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
    { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
    { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
    { type: pkcs11js.CKA_ENCRYPT, value: enabled },
    { type: pkcs11js.CKA_DECRYPT, value: enabled },
    // Least privilege: nothing but GCM encrypt/decrypt (tokens default some of these to true).
    { type: pkcs11js.CKA_SIGN, value: false },
    { type: pkcs11js.CKA_VERIFY, value: false },
    { type: pkcs11js.CKA_WRAP, value: false },
    { type: pkcs11js.CKA_UNWRAP, value: false },
    { type: pkcs11js.CKA_DERIVE, value: false },
  ];
}

export function keyPairTemplates(spec: 'RSA_2048' | 'EC_P256', name: string, version: number, enabled: boolean): { mechanism: number; pub: pkcs11js.Template; priv: pkcs11js.Template } {
  const pub: pkcs11js.Template = [
    ...common(name, version),
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
    { type: pkcs11js.CKA_PRIVATE, value: false },
    { type: pkcs11js.CKA_VERIFY, value: true },
    { type: pkcs11js.CKA_ENCRYPT, value: false },
    { type: pkcs11js.CKA_WRAP, value: false },
    { type: pkcs11js.CKA_DERIVE, value: false },
  ];
  const priv: pkcs11js.Template = [
    ...common(name, version),
    ...secretPart,
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
    { type: pkcs11js.CKA_SIGN, value: enabled },
    { type: pkcs11js.CKA_DECRYPT, value: false },
    { type: pkcs11js.CKA_UNWRAP, value: false },
    { type: pkcs11js.CKA_DERIVE, value: false },
  ];
  if (spec === 'RSA_2048') {
    pub.push({ type: pkcs11js.CKA_MODULUS_BITS, value: 2048 }, { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) });
    return { mechanism: pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN, pub, priv };
  }
  pub.push({ type: pkcs11js.CKA_EC_PARAMS, value: P256_OID });
  return { mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN, pub, priv };
}

/** CKA_EC_POINT is a DER OCTET STRING around the uncompressed point (some modules give the bare point). */
function ecPoint(value: Buffer): Buffer {
  if (value.length === 65 && value[0] === 0x04) return value;
  if (value[0] === 0x04 && value[1] === 65 && value.length === 67) return value.subarray(2);
  throw new Error('unexpected CKA_EC_POINT encoding');
}

export function rsaPublicPem(modulus: Buffer, exponent: Buffer): string {
  const jwk = { kty: 'RSA', n: modulus.toString('base64url'), e: exponent.toString('base64url') };
  return crypto.createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
}

export function ecPublicPem(point: Buffer): string {
  const q = ecPoint(point);
  const jwk = { kty: 'EC', crv: 'P-256', x: q.subarray(1, 33).toString('base64url'), y: q.subarray(33, 65).toString('base64url') };
  return crypto.createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
}

function derInteger(v: Buffer): Buffer {
  let i = 0;
  while (i < v.length - 1 && v[i] === 0) i++;
  const trimmed = v.subarray(i);
  const body = trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed;
  return Buffer.concat([Buffer.from([0x02, body.length]), body]);
}

/** PKCS#11 ECDSA signature r||s (32+32 for P-256) -> DER SEQUENCE { r INTEGER, s INTEGER }. */
export function ecdsaRawToDer(raw: Buffer): Buffer {
  if (raw.length !== 64) throw new Error('unexpected ECDSA signature length');
  const body = Buffer.concat([derInteger(raw.subarray(0, 32)), derInteger(raw.subarray(32))]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

/** DER ECDSA signature -> r||s (32+32), or null when it is not a well-formed P-256 signature. */
export function ecdsaDerToRaw(der: Buffer): Buffer | null {
  try {
    if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2) return null;
    let at = 2;
    const parts: Buffer[] = [];
    for (let k = 0; k < 2; k++) {
      if (der[at] !== 0x02) return null;
      const len = der[at + 1]!;
      const v = der.subarray(at + 2, at + 2 + len);
      if (v.length !== len || len === 0 || len > 33) return null;
      const stripped = len === 33 ? (v[0] === 0 ? v.subarray(1) : null) : v;
      if (stripped === null) return null;
      parts.push(Buffer.concat([Buffer.alloc(32 - stripped.length), stripped]));
      at += 2 + len;
    }
    if (at !== der.length) return null;
    return Buffer.concat(parts);
  } catch {
    return null;
  }
}

/** Provider ciphertext: version (uint32 BE) || nonce (12) || GCM ciphertext || tag (16). */
export const HEADER_BYTES = 4 + 12;
export const TAG_BYTES = 16;

/** GCM associated data: the header itself (version and nonce are authenticated) followed by the caller's AAD. */
export function gcmAad(header: Buffer, aad: Buffer | undefined): Buffer {
  return aad && aad.length > 0 ? Buffer.concat([header, aad]) : header;
}
