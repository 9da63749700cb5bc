// The key operations of one key version: encrypt / decrypt / wrapKey / unwrapKey (RSA1_5, RSA-OAEP, RSA-OAEP-256;
// on Managed HSM oct keys AES-GCM, AES-CBC, AES-CBC-PAD, AES-KW and CKM_AES_KEY_WRAP(_PAD)), sign / verify over a
// digest (PS*, RS*, ES256, ES384, ES512, ES256K). Key state as the service applies it: a disabled key refuses
// decrypt, sign and unwrapKey (innererror KeyDisabled) but still encrypts, wraps and verifies; outside nbf / exp a key
// refuses encrypt, wrapKey and sign but still decrypts, unwraps and verifies ("date-time controlled operations").
import crypto from 'node:crypto';
import { ecdsaSign, ecdsaVerify, rsaSign, rsaVerify } from './digestSign.ts';
import { forbidden, KvError } from './kvErrors.ts';
import type { KeyVersion } from './vaultStore.ts';

export type CryptoOp = 'encrypt' | 'decrypt' | 'sign' | 'verify' | 'wrapKey' | 'unwrapKey';
/** The path segment of each operation (POST /keys/{name}/{version}/{segment}). */
export const CRYPTO_PATHS: Record<string, CryptoOp> = { encrypt: 'encrypt', decrypt: 'decrypt', sign: 'sign', verify: 'verify', wrapkey: 'wrapKey', unwrapkey: 'unwrapKey' };

const REFUSED_WHEN_DISABLED = new Set<CryptoOp>(['decrypt', 'sign', 'unwrapKey']);
const REFUSED_OUTSIDE_WINDOW = new Set<CryptoOp>(['encrypt', 'wrapKey', 'sign']);
const DIGEST_BYTES: Record<string, number> = { PS256: 32, RS256: 32, ES256: 32, ES256K: 32, PS384: 48, RS384: 48, ES384: 48, PS512: 64, RS512: 64, ES512: 64 };
const EC_ALG_CURVE: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521', ES256K: 'P-256K' };

type Body = Record<string, unknown>;

function b64u(value: unknown, field: string): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]*$/.test(value)) throw new KvError(400, 'BadParameter', `${field} must be base64url.`);
  return Buffer.from(value, 'base64url');
}
const bad = (message: string) => new KvError(400, 'BadParameter', message);

export function keyOperation(v: KeyVersion, kid: string, op: CryptoOp, body: Body, nowSeconds: number): Body {
  if (!v.enabled && REFUSED_WHEN_DISABLED.has(op)) throw forbidden(`Operation ${op} is not allowed on a disabled key.`, 'KeyDisabled');
  if (REFUSED_OUTSIDE_WINDOW.has(op)) {
    if (v.nbf !== null && nowSeconds < v.nbf) throw forbidden(`Operation ${op} is not allowed on a key that is not yet valid.`, 'KeyNotYetValid');
    if (v.exp !== null && nowSeconds >= v.exp) throw forbidden(`Operation ${op} is not allowed on an expired key.`, 'KeyExpired');
  }
  if (!v.keyOps.includes(op)) throw new KvError(403, 'Forbidden', `Operation ${op} is not permitted on this key.`);
  if (op === 'sign' || op === 'verify') return signature(v, kid, op, body);
  const value = b64u(body.value, 'value');
  if (v.kty === 'oct') return aes(v, kid, op, body, value);
  if (v.kty !== 'RSA') throw bad(`Operation ${op} is not supported for ${v.kty} keys.`);
  const alg = body.alg;
  if (alg !== 'RSA-OAEP-256' && alg !== 'RSA-OAEP' && alg !== 'RSA1_5') throw bad(`Invalid algorithm ${String(alg)} for an RSA key.`);
  const padding = alg === 'RSA1_5' ? crypto.constants.RSA_PKCS1_PADDING : crypto.constants.RSA_PKCS1_OAEP_PADDING;
  const oaepHash = alg === 'RSA-OAEP-256' ? 'sha256' : 'sha1';
  if (op === 'wrapKey' || op === 'encrypt') {
    const limit = Buffer.from(v.publicJwk.n ?? '', 'base64url').length - (alg === 'RSA-OAEP-256' ? 66 : alg === 'RSA-OAEP' ? 42 : 11);
    if (value.length === 0 || value.length > limit) throw bad(`The value is too long for ${alg} with this key (at most ${limit} bytes).`);
    return { kid, value: crypto.publicEncrypt({ key: v.privateKey, padding, oaepHash }, value).toString('base64url') };
  }
  try {
    return { kid, value: crypto.privateDecrypt({ key: v.privateKey, padding, oaepHash }, value).toString('base64url') };
  } catch {
    throw bad('Bad Request: the ciphertext could not be decrypted with this key.');
  }
}

function signature(v: KeyVersion, kid: string, op: 'sign' | 'verify', body: Body): Body {
  const alg = typeof body.alg === 'string' ? body.alg : '';
  const size = DIGEST_BYTES[alg];
  if (!size) throw bad(`Invalid algorithm ${alg || String(body.alg)}: this emulator signs with PS256/384/512, RS256/384/512, ES256, ES384, ES512 and ES256K.`);
  const ec = alg.startsWith('ES');
  if ((v.kty === 'EC') !== ec || (ec && v.crv !== EC_ALG_CURVE[alg]) || v.kty === 'oct') throw bad(`Invalid algorithm ${alg} for this key.`);
  const digest = b64u(op === 'sign' ? body.value : body.digest, op === 'sign' ? 'value' : 'digest');
  if (digest.length !== size) throw bad(`The digest for ${alg} must be ${size} bytes.`);
  if (op === 'sign') return { kid, value: (ec ? ecdsaSign(v.privateKey, v.crv!, digest) : rsaSign(v.privateKey, alg, digest)).toString('base64url') };
  const sig = b64u(body.value, 'value');
  return { value: ec ? ecdsaVerify(v.publicJwk, v.crv!, digest, sig) : rsaVerify(crypto.createPublicKey(v.privateKey), alg, digest, sig) };
}

/** Managed HSM symmetric operations on an oct-HSM key: GCM and CBC encrypt / decrypt, key wrap wraps / unwraps. */
function aes(v: KeyVersion, kid: string, op: CryptoOp, body: Body, value: Buffer): Body {
  const bits = (v.privateKey.symmetricKeySize ?? 0) * 8;
  const alg = String(body.alg);
  const wrapOp = op === 'wrapKey' || op === 'unwrapKey';
  if (alg === `A${bits}GCM` && !wrapOp) return gcm(v, bits, kid, op, body, value);
  if ((alg === `A${bits}CBC` || alg === `A${bits}CBCPAD`) && !wrapOp) return cbc(v, bits, kid, op, alg.endsWith('PAD'), body, value);
  if ((alg === `A${bits}KW` || alg === 'CKM_AES_KEY_WRAP' || alg === 'CKM_AES_KEY_WRAP_PAD') && wrapOp) {
    const padded = alg === 'CKM_AES_KEY_WRAP_PAD';
    const cipher = `id-aes${bits}-wrap${padded ? '-pad' : ''}`;
    const iv = Buffer.from(padded ? 'a65959a6' : 'a6a6a6a6a6a6a6a6', 'hex');
    try {
      const c = op === 'wrapKey' ? crypto.createCipheriv(cipher, v.privateKey, iv) : crypto.createDecipheriv(cipher, v.privateKey, iv);
      return { kid, value: Buffer.concat([c.update(value), c.final()]).toString('base64url') };
    } catch {
      throw bad(`Bad Request: ${alg} ${op === 'wrapKey' ? 'needs a key of at least 16 bytes in 8-byte blocks' : 'integrity check failed'}.`);
    }
  }
  throw bad(`Invalid algorithm ${alg} for operation ${op} on an oct-HSM key of ${bits} bits.`);
}

/** AES-GCM: the HSM makes the 12-byte IV; decryption needs iv, tag and the same aad. */
function gcm(v: KeyVersion, bits: number, kid: string, op: CryptoOp, body: Body, value: Buffer): Body {
  const aad = body.aad === undefined || body.aad === null ? Buffer.alloc(0) : b64u(body.aad, 'aad');
  const cipher = `aes-${bits}-gcm` as crypto.CipherGCMTypes;
  if (op === 'encrypt') {
    if (body.iv !== undefined && body.iv !== null) throw bad('The IV for AES-GCM encryption is generated by the HSM and must not be given.');
    if (value.length === 0) throw bad('value must not be empty.');
    const iv = crypto.randomBytes(12);
    const c = crypto.createCipheriv(cipher, v.privateKey, iv).setAAD(aad);
    const out = Buffer.concat([c.update(value), c.final()]);
    return { kid, value: out.toString('base64url'), iv: iv.toString('base64url'), tag: c.getAuthTag().toString('base64url'), ...(aad.length ? { aad: aad.toString('base64url') } : {}) };
  }
  const iv = b64u(body.iv, 'iv');
  const tag = b64u(body.tag, 'tag');
  if (iv.length !== 12 || tag.length !== 16) throw bad('AES-GCM decryption needs a 12-byte iv and a 16-byte tag.');
  try {
    const d = crypto.createDecipheriv(cipher, v.privateKey, iv).setAAD(aad).setAuthTag(tag);
    return { kid, value: Buffer.concat([d.update(value), d.final()]).toString('base64url') };
  } catch {
    throw bad('Bad Request: AES-GCM authentication failed.');
  }
}

/** AES-CBC with the caller's 16-byte IV; without PAD the value must be whole blocks. */
function cbc(v: KeyVersion, bits: number, kid: string, op: CryptoOp, pad: boolean, body: Body, value: Buffer): Body {
  const iv = b64u(body.iv, 'iv');
  if (iv.length !== 16) throw bad('AES-CBC needs a 16-byte iv.');
  if (!pad && (value.length === 0 || value.length % 16 !== 0)) throw bad('AES-CBC without padding needs whole 16-byte blocks.');
  const cipher = `aes-${bits}-cbc`;
  try {
    const c = op === 'encrypt' ? crypto.createCipheriv(cipher, v.privateKey, iv) : crypto.createDecipheriv(cipher, v.privateKey, iv);
    c.setAutoPadding(pad);
    return { kid, value: Buffer.concat([c.update(value), c.final()]).toString('base64url'), ...(op === 'encrypt' ? { iv: iv.toString('base64url') } : {}) };
  } catch {
    throw bad('Bad Request: AES-CBC padding check failed.');
  }
}
