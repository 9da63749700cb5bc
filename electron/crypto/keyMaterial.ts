// Key generation, key check values, signatures and the integrity check of one key version.
// Secret material is raw bytes for AES-256 and PKCS#8 DER for RSA / EC private keys.
import crypto from 'node:crypto';
import type { KeyAlgorithm } from '../../shared/domain.ts';
import { KEY_BYTES } from './aead.ts';

export interface GeneratedKey {
  /** Secret: raw AES key or PKCS#8 DER private key. The caller zeroes it after wrapping. */
  material: Buffer;
  /** DER SubjectPublicKeyInfo for RSA / EC, null for AES. */
  publicSpki: Buffer | null;
  checkValue: string;
}

const KCV_BLOCK = Buffer.alloc(32, 0);
const KCV_BYTES = 8;

/** AES key check value: first 8 bytes of HMAC-SHA256 over a fixed block under the key (one-way, reveals no key bits). */
export function aesCheckValue(key: Buffer): string {
  return crypto.createHmac('sha256', key).update(KCV_BLOCK).digest().subarray(0, KCV_BYTES).toString('hex');
}

/** RSA / EC check value: SHA-256 fingerprint of the DER public key. */
export function publicKeyFingerprint(spki: Buffer): string {
  return crypto.createHash('sha256').update(spki).digest('hex');
}

export function generateKeyMaterial(algorithm: KeyAlgorithm): GeneratedKey {
  if (algorithm === 'AES_256') {
    const material = crypto.randomBytes(KEY_BYTES);
    return { material, publicSpki: null, checkValue: aesCheckValue(material) };
  }
  const pair =
    algorithm === 'RSA_2048'
      ? crypto.generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 })
      : crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const material = pair.privateKey.export({ format: 'der', type: 'pkcs8' });
  const publicSpki = pair.publicKey.export({ format: 'der', type: 'spki' });
  return { material, publicSpki, checkValue: publicKeyFingerprint(publicSpki) };
}

export const SIGNATURE_ALGORITHMS: Readonly<Record<Exclude<KeyAlgorithm, 'AES_256'>, string>> = {
  RSA_2048: 'RSASSA-PSS-SHA256',
  EC_P256: 'ECDSA-P256-SHA256-DER',
};

function privateKeyObject(material: Buffer): crypto.KeyObject {
  return crypto.createPrivateKey({ key: material, format: 'der', type: 'pkcs8' });
}

function signOptions(algorithm: KeyAlgorithm, key: crypto.KeyObject) {
  return algorithm === 'RSA_2048'
    ? { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
    : { key, dsaEncoding: 'der' as const };
}

export function signWith(algorithm: KeyAlgorithm, material: Buffer, data: Buffer): Buffer {
  return crypto.sign('sha256', data, signOptions(algorithm, privateKeyObject(material)));
}

export function verifyWith(algorithm: KeyAlgorithm, publicSpki: Buffer, data: Buffer, signature: Buffer): boolean {
  const key = crypto.createPublicKey({ key: publicSpki, format: 'der', type: 'spki' });
  try {
    return crypto.verify('sha256', data, signOptions(algorithm, key), signature);
  } catch {
    // A structurally invalid signature is simply not valid.
    return false;
  }
}

export function spkiToPem(spki: Buffer): string {
  return crypto.createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({ format: 'pem', type: 'spki' }).toString();
}

/** Returns null when the version is sound, else the reason in words (never containing key bytes). */
export function checkKeyIntegrity(algorithm: KeyAlgorithm, material: Buffer, publicSpki: Buffer | null, checkValue: string): string | null {
  if (algorithm === 'AES_256') {
    if (material.length !== KEY_BYTES) return 'key material has the wrong length';
    const actual = Buffer.from(aesCheckValue(material), 'hex');
    const recorded = Buffer.from(checkValue, 'hex');
    return recorded.length === actual.length && crypto.timingSafeEqual(actual, recorded) ? null : 'key check value does not match';
  }
  if (!publicSpki) return 'public key is missing';
  if (publicKeyFingerprint(publicSpki) !== checkValue) return 'public key fingerprint does not match the recorded check value';
  let derived: Buffer;
  try {
    derived = crypto.createPublicKey(privateKeyObject(material)).export({ format: 'der', type: 'spki' });
  } catch {
    return 'private key cannot be parsed';
  }
  if (!derived.equals(publicSpki)) return 'private key does not match the public key';
  const probe = Buffer.from('ecps key integrity probe');
  return verifyWith(algorithm, publicSpki, probe, signWith(algorithm, material, probe)) ? null : 'test signature does not verify';
}
