// One transit key ("policy" in Vault's source): its versions, its config, and the cryptography of each key type.
// Ciphertexts and signatures are "vault:v<N>:<base64>", parsed with Vault's rules and error texts.
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { badRequest, decodeStdBase64, VaultApiError } from './fields.ts';

export const KEY_TYPES = ['aes256-gcm96', 'rsa-2048', 'ecdsa-p256'] as const;
export type TransitKeyType = (typeof KEY_TYPES)[number];

export const ERR_TOO_OLD = 'ciphertext or signature version is disallowed by policy (too old)';

interface KeyVersion {
  createdAt: Date;
  /** aes256-gcm96 */
  secret?: Buffer;
  /** rsa-2048, ecdsa-p256 */
  privateKey?: crypto.KeyObject;
  publicPem?: string;
}

export interface TransitKey {
  name: string;
  type: TransitKeyType;
  versions: Map<number, KeyVersion>;
  latestVersion: number;
  minDecryptionVersion: number;
  minEncryptionVersion: number;
  deletionAllowed: boolean;
  exportable: boolean;
  allowPlaintextBackup: boolean;
  autoRotatePeriodSeconds: number;
}

const generateKeyPair = promisify(crypto.generateKeyPair);

async function newVersion(type: TransitKeyType): Promise<KeyVersion> {
  const createdAt = new Date();
  if (type === 'aes256-gcm96') return { createdAt, secret: crypto.randomBytes(32) };
  const pair =
    type === 'rsa-2048'
      ? await generateKeyPair('rsa', { modulusLength: 2048 })
      : await generateKeyPair('ec', { namedCurve: 'P-256' });
  return { createdAt, privateKey: pair.privateKey, publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export async function newTransitKey(name: string, type: TransitKeyType, autoRotatePeriodSeconds: number): Promise<TransitKey> {
  return {
    name,
    type,
    versions: new Map([[1, await newVersion(type)]]),
    latestVersion: 1,
    minDecryptionVersion: 1,
    minEncryptionVersion: 0,
    deletionAllowed: false,
    exportable: false,
    allowPlaintextBackup: false,
    autoRotatePeriodSeconds,
  };
}

export async function rotateTransitKey(key: TransitKey): Promise<void> {
  const v = await newVersion(key.type);
  key.latestVersion += 1;
  key.versions.set(key.latestVersion, v);
}

const supportsEncryption = (t: TransitKeyType) => t !== 'ecdsa-p256';
const supportsSigning = (t: TransitKeyType) => t !== 'aes256-gcm96';

/** The data of GET /keys/:name, field for field as Vault formats a key policy. */
export function formatKey(key: TransitKey, reportsAutoRotatePeriod = true): Record<string, unknown> {
  const keys: Record<string, unknown> = {};
  for (const [n, v] of key.versions) {
    if (n < key.minDecryptionVersion) continue; // Vault lists only versions that may still be used
    keys[String(n)] =
      key.type === 'aes256-gcm96'
        ? Math.floor(v.createdAt.getTime() / 1000)
        : { certificate_chain: '', creation_time: v.createdAt.toISOString(), name: key.type === 'rsa-2048' ? 'rsa-2048' : 'P-256', public_key: v.publicPem };
  }
  return {
    allow_plaintext_backup: key.allowPlaintextBackup,
    ...(reportsAutoRotatePeriod ? { auto_rotate_period: key.autoRotatePeriodSeconds } : {}), // the field is Vault 1.10+
    deletion_allowed: key.deletionAllowed,
    derived: false,
    exportable: key.exportable,
    imported_key: false,
    keys,
    latest_version: key.latestVersion,
    min_available_version: 0,
    min_decryption_version: key.minDecryptionVersion,
    min_encryption_version: key.minEncryptionVersion,
    name: key.name,
    supports_decryption: supportsEncryption(key.type),
    supports_derivation: key.type === 'aes256-gcm96',
    supports_encryption: supportsEncryption(key.type),
    supports_signing: supportsSigning(key.type),
    type: key.type,
  };
}

/** The version used for encrypting / signing: 0 or absent means latest; Vault's bounds and messages. */
function useVersion(key: TransitKey, requested: number | undefined, op: 'encryption' | 'signing'): number {
  const ver = requested ?? 0;
  if (ver === 0) return key.latestVersion;
  if (ver < 0) throw badRequest(`requested version for ${op} is negative`);
  if (ver > key.latestVersion) throw badRequest(`requested version for ${op} is higher than the latest key version`);
  if (key.minEncryptionVersion > 0 && ver < key.minEncryptionVersion)
    throw badRequest(`requested version for ${op} is less than the minimum encryption key version`);
  return ver;
}

/** Splits "vault:v<N>:<payload>" and applies the version window, with Vault's error texts. */
function parseVersioned(key: TransitKey, value: string, what: 'ciphertext' | 'signature'): { ver: number; payload: string } {
  if (!value.startsWith('vault:v')) throw badRequest(`invalid ${what}: no prefix`);
  const rest = value.slice('vault:v'.length);
  const colon = rest.indexOf(':');
  if (colon < 0) throw badRequest(`invalid ${what}: wrong number of fields`);
  const verText = rest.slice(0, colon);
  if (!/^[+-]?\d+$/.test(verText)) throw badRequest(`invalid ${what}: version number could not be decoded`);
  let ver = Number(verText);
  if (ver === 0 && what === 'ciphertext') ver = 1; // compatibility with the first key numbering, as Vault does
  if (ver > key.latestVersion) throw badRequest(`invalid ${what}: version is too new`);
  if (key.minDecryptionVersion > 0 && ver < key.minDecryptionVersion) throw badRequest(ERR_TOO_OLD);
  return { ver, payload: rest.slice(colon + 1) };
}

function versionOf(key: TransitKey, ver: number): KeyVersion {
  const v = key.versions.get(ver);
  if (!v) throw badRequest('invalid key version');
  return v;
}

export function encrypt(key: TransitKey, plaintext: Buffer, aad: Buffer | null, keyVersion?: number): { ciphertext: string; version: number } {
  if (!supportsEncryption(key.type)) throw badRequest(`message encryption not supported for key type ${key.type}`);
  const ver = useVersion(key, keyVersion, 'encryption');
  const v = versionOf(key, ver);
  let raw: Buffer;
  if (key.type === 'aes256-gcm96') {
    const nonce = crypto.randomBytes(12);
    const c = crypto.createCipheriv('aes-256-gcm', v.secret!, nonce);
    if (aad) c.setAAD(aad);
    raw = Buffer.concat([nonce, c.update(plaintext), c.final(), c.getAuthTag()]);
  } else {
    if (aad) throw badRequest(`associated data is only supported with AEAD ciphers, not ${key.type}`);
    try {
      raw = crypto.publicEncrypt({ key: v.privateKey!, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, plaintext);
    } catch {
      throw badRequest('failed to RSA encrypt the plaintext: message too long for RSA key size');
    }
  }
  return { ciphertext: `vault:v${ver}:${raw.toString('base64')}`, version: ver };
}

export function decrypt(key: TransitKey, ciphertext: string, aad: Buffer | null): { plaintext: Buffer; version: number } {
  if (!supportsEncryption(key.type)) throw badRequest(`message decryption not supported for key type ${key.type}`);
  const { ver, payload } = parseVersioned(key, ciphertext, 'ciphertext');
  const raw = decodeStdBase64(payload);
  if (!raw) throw badRequest('invalid ciphertext: could not decode base64');
  const v = versionOf(key, ver);
  if (key.type === 'aes256-gcm96') {
    if (raw.length < 12 + 16) throw badRequest('invalid ciphertext length');
    const d = crypto.createDecipheriv('aes-256-gcm', v.secret!, raw.subarray(0, 12));
    if (aad) d.setAAD(aad);
    d.setAuthTag(raw.subarray(raw.length - 16));
    try {
      return { plaintext: Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]), version: ver };
    } catch {
      throw badRequest('cipher: message authentication failed');
    }
  }
  if (aad) throw badRequest(`associated data is only supported with AEAD ciphers, not ${key.type}`);
  try {
    return { plaintext: crypto.privateDecrypt({ key: v.privateKey!, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, raw), version: ver };
  } catch {
    // Vault reports a failed RSA decryption as an internal error.
    throw new VaultApiError(500, 'failed to RSA decrypt the ciphertext: crypto/rsa: decryption error');
  }
}

export interface SignOptions {
  keyVersion?: number;
  signatureAlgorithm: 'pss' | 'pkcs1v15';
  saltLength: number | 'auto' | 'hash';
}

function rsaSaltLength(saltLength: SignOptions['saltLength'], signing: boolean): number {
  if (saltLength === 'hash') return 32;
  if (saltLength === 'auto') return signing ? crypto.constants.RSA_PSS_SALTLEN_MAX_SIGN : crypto.constants.RSA_PSS_SALTLEN_AUTO;
  // Go accepts from "equals hash" up to (bits/8 - 2 - hashLen) for RSA-2048 with SHA-256.
  if (saltLength < 0 || saltLength > 256 - 2 - 32) throw badRequest(`requested salt length ${saltLength} is invalid`);
  return saltLength;
}

export function sign(key: TransitKey, input: Buffer, options: SignOptions): { signature: string; version: number } {
  if (!supportsSigning(key.type)) throw badRequest(`key type ${key.type} does not support signing`);
  const ver = useVersion(key, options.keyVersion, 'signing');
  const privateKey = versionOf(key, ver).privateKey!;
  const sig =
    key.type === 'rsa-2048'
      ? crypto.sign('sha256', input, {
          key: privateKey,
          padding: options.signatureAlgorithm === 'pss' ? crypto.constants.RSA_PKCS1_PSS_PADDING : crypto.constants.RSA_PKCS1_PADDING,
          saltLength: rsaSaltLength(options.saltLength, true),
        })
      : crypto.sign('sha256', input, { key: privateKey, dsaEncoding: 'der' });
  return { signature: `vault:v${ver}:${sig.toString('base64')}`, version: ver };
}

/** Go's encoding/asn1 view of an ECDSA signature: SEQUENCE { INTEGER r, INTEGER s }, minimal DER, nothing after it. */
function checkEcdsaDer(sig: Buffer): void {
  const invalid = () => badRequest('supplied signature is invalid');
  const readLen = (at: number): [number, number] => {
    const b = sig[at];
    if (b === undefined) throw invalid();
    if (b < 0x80) return [b, at + 1];
    if (b === 0x81 && sig[at + 1] !== undefined && sig[at + 1]! >= 0x80) return [sig[at + 1]!, at + 2];
    throw invalid();
  };
  if (sig[0] !== 0x30) throw invalid();
  const [seqLen, bodyAt] = readLen(1);
  const end = bodyAt + seqLen;
  if (end > sig.length) throw invalid();
  let at = bodyAt;
  for (let i = 0; i < 2; i++) {
    if (sig[at] !== 0x02) throw invalid();
    const [len, valueAt] = readLen(at + 1);
    if (len === 0 || valueAt + len > end) throw invalid();
    // Minimal encoding: no leading 0x00 unless the next byte has its top bit set; no leading 0xff with top bit set.
    if (len > 1 && ((sig[valueAt] === 0 && sig[valueAt + 1]! < 0x80) || (sig[valueAt] === 0xff && sig[valueAt + 1]! >= 0x80))) throw invalid();
    at = valueAt + len;
  }
  if (at !== end) throw invalid();
  if (end !== sig.length) throw badRequest('supplied signature contains extra data');
}

export function verify(key: TransitKey, input: Buffer, signature: string, options: SignOptions): boolean {
  if (!supportsSigning(key.type)) throw badRequest(`key type ${key.type} does not support verification`);
  const { ver, payload } = parseVersioned(key, signature, 'signature');
  const sig = decodeStdBase64(payload);
  if (!sig) throw badRequest('invalid base64 signature value');
  const v = versionOf(key, ver);
  if (key.type === 'ecdsa-p256') {
    checkEcdsaDer(sig);
    return crypto.verify('sha256', input, { key: v.privateKey!, dsaEncoding: 'der' }, sig);
  }
  const padding = options.signatureAlgorithm === 'pss' ? crypto.constants.RSA_PKCS1_PSS_PADDING : crypto.constants.RSA_PKCS1_PADDING;
  return crypto.verify('sha256', input, { key: v.privateKey!, padding, saltLength: rsaSaltLength(options.saltLength, false) }, sig);
}
