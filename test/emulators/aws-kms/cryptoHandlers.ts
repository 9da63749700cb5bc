// Cryptographic operations: Encrypt / Decrypt / GenerateDataKey with authenticated ciphertext blobs that name the key
// and its backing-key version, and Sign / Verify / GetPublicKey for RSA_2048 and ECC_NIST_P256 keys.
import crypto from 'node:crypto';
import { ecdsaSignDigest, ecdsaVerifyDigest, rsaPkcs1SignDigest, rsaPkcs1VerifyDigest, rsaPssSignDigest, rsaPssVerifyDigest, type HashName } from './digestSign.ts';
import { kmsErr } from './errors.ts';
import type { Handler } from './keyHandlers.ts';
import { signingAlgorithms } from './keyHandlers.ts';
import { keyMaterialId, requireUsable, type EmuKey, type KeyStore } from './keyStore.ts';
import { canonicalContext, optContext, optEnum, optInt, reqBlob, reqEnum, reqString, type JsonBody } from './validate.ts';

// Blob: 0x01 | id length | key id (ASCII) | backing version (u32 BE) | nonce (12) | AES-256-GCM ciphertext | tag (16).
// GCM AAD = every byte before the ciphertext + the canonical encryption context.
const BLOB_FORMAT = 1;

function seal(k: EmuKey, plaintext: Buffer, ctx: Record<string, string>): Buffer {
  const version = k.backing.length;
  const id = Buffer.from(k.keyId, 'ascii');
  const head = Buffer.alloc(2 + id.length + 4 + 12);
  head[0] = BLOB_FORMAT;
  head[1] = id.length;
  id.copy(head, 2);
  head.writeUInt32BE(version, 2 + id.length);
  crypto.randomFillSync(head, 6 + id.length, 12);
  const c = crypto.createCipheriv('aes-256-gcm', k.backing[version - 1]!, head.subarray(6 + id.length));
  c.setAAD(Buffer.concat([head, canonicalContext(ctx)]));
  return Buffer.concat([head, c.update(plaintext), c.final(), c.getAuthTag()]);
}

/** The key id a blob names, or null when the blob is not one of ours. */
function blobKeyId(blob: Buffer): string | null {
  if (blob.length < 2 || blob[0] !== BLOB_FORMAT) return null;
  const n = blob[1]!;
  if (blob.length < 2 + n + 4 + 12 + 16) return null;
  return blob.subarray(2, 2 + n).toString('ascii');
}

/** The plaintext and the backing version (key material) that sealed it. */
function open(k: EmuKey, blob: Buffer, ctx: Record<string, string>): { plaintext: Buffer; version: number } {
  const n = blob[1]!;
  const version = blob.readUInt32BE(2 + n);
  const material = k.backing[version - 1];
  if (version === 0 || material === undefined) throw kmsErr.invalidCiphertext();
  const headLen = 2 + n + 4 + 12;
  const d = crypto.createDecipheriv('aes-256-gcm', material, blob.subarray(6 + n, headLen));
  d.setAAD(Buffer.concat([blob.subarray(0, headLen), canonicalContext(ctx)]));
  d.setAuthTag(blob.subarray(blob.length - 16));
  try {
    return { plaintext: Buffer.concat([d.update(blob.subarray(headLen, blob.length - 16)), d.final()]), version };
  } catch {
    throw kmsErr.invalidCiphertext();
  }
}

function requireUsage(k: EmuKey, usage: EmuKey['usage'], op: string): void {
  if (k.usage !== usage) throw kmsErr.invalidKeyUsage(`${k.arn} key usage is ${k.usage} which is not valid for ${op}.`);
}

const SIGNING_ALGORITHMS = ['RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512', 'RSASSA_PKCS1_V1_5_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_512', 'ECDSA_SHA_256', 'ECDSA_SHA_384', 'ECDSA_SHA_512', 'SM2DSA', 'ML_DSA_SHAKE_256'] as const;

interface SignRequest {
  key: EmuKey;
  algorithm: string;
  hash: HashName;
  message: Buffer;
  digest: boolean;
}

function signRequest(store: KeyStore, b: JsonBody): SignRequest {
  const key = store.resolve(reqString(b, 'KeyId', 1, 2048), true);
  const message = reqBlob(b, 'Message', 1, 4096);
  const digest = (optEnum(b, 'MessageType', ['RAW', 'DIGEST', 'EXTERNAL_MU'] as const) ?? 'RAW') === 'DIGEST';
  const algorithm = reqEnum(b, 'SigningAlgorithm', SIGNING_ALGORITHMS);
  requireUsable(key);
  requireUsage(key, 'SIGN_VERIFY', 'this operation');
  if (!signingAlgorithms(key).includes(algorithm))
    throw kmsErr.invalidKeyUsage(`Signing algorithm ${algorithm} is not supported by ${key.spec} key ${key.arn}.`);
  const hash = `sha${algorithm.slice(-3)}` as HashName;
  const hashLen = { sha256: 32, sha384: 48, sha512: 64 }[hash];
  if (digest && message.length !== hashLen)
    throw kmsErr.validation(`Digest is invalid length for algorithm ${algorithm}: expected ${hashLen} bytes.`);
  return { key, algorithm, hash, message, digest };
}

function rsaOptions(r: SignRequest, key: crypto.KeyObject) {
  return r.algorithm.startsWith('RSASSA_PSS')
    ? { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: { sha256: 32, sha384: 48, sha512: 64 }[r.hash] }
    : { key, padding: crypto.constants.RSA_PKCS1_PADDING };
}

function doSign(r: SignRequest): Buffer {
  const priv = r.key.privateKey!;
  if (!r.digest) return crypto.sign(r.hash, r.message, r.key.spec === 'RSA_2048' ? rsaOptions(r, priv) : priv);
  if (r.key.spec === 'ECC_NIST_P256') return ecdsaSignDigest(priv, r.message);
  return r.algorithm.startsWith('RSASSA_PSS') ? rsaPssSignDigest(priv, r.hash, r.message) : rsaPkcs1SignDigest(priv, r.hash, r.message);
}

function doVerify(r: SignRequest, sig: Buffer): boolean {
  const pub = r.key.publicKey!;
  if (!r.digest) {
    try {
      return crypto.verify(r.hash, r.message, r.key.spec === 'RSA_2048' ? rsaOptions(r, pub) : pub, sig);
    } catch {
      return false;
    }
  }
  if (r.key.spec === 'ECC_NIST_P256') return ecdsaVerifyDigest(pub, r.message, sig);
  return r.algorithm.startsWith('RSASSA_PSS') ? rsaPssVerifyDigest(pub, r.hash, r.message, sig) : rsaPkcs1VerifyDigest(pub, r.hash, r.message, sig);
}

const b64 = (b: Buffer) => b.toString('base64');

/**
 * How Verify answers a signature that does not verify: 'service' as AWS KMS does (KMSInvalidSignatureException, per the
 * API reference); the others answer HTTP 200 with SignatureValid false or without SignatureValid, a shape the service
 * does not send, so a test can prove the client reads the field instead of trusting the absence of an error.
 */
export type VerifyFailureAnswer = 'service' | 'signature-valid-false' | 'signature-valid-missing';

export function cryptoHandlers(store: KeyStore, verifyFailureAnswer: () => VerifyFailureAnswer = () => 'service'): Record<string, Handler> {
  const encryptionKey = (b: JsonBody) => store.resolve(reqString(b, 'KeyId', 1, 2048), true);
  const checkEncryptionKey = (k: EmuKey, op: string) => {
    requireUsable(k);
    requireUsage(k, 'ENCRYPT_DECRYPT', op);
  };
  return {
    Encrypt(b) {
      const k = encryptionKey(b);
      const plaintext = reqBlob(b, 'Plaintext', 1, 4096);
      const ctx = optContext(b, 'EncryptionContext');
      const alg = optEnum(b, 'EncryptionAlgorithm', ['SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'SM2PKE'] as const) ?? 'SYMMETRIC_DEFAULT';
      checkEncryptionKey(k, 'Encrypt');
      if (alg !== 'SYMMETRIC_DEFAULT') throw kmsErr.invalidKeyUsage(`Encryption algorithm ${alg} is not supported by ${k.arn}.`);
      return { CiphertextBlob: b64(seal(k, plaintext, ctx)), KeyId: k.arn, EncryptionAlgorithm: alg };
    },
    Decrypt(b) {
      const blob = reqBlob(b, 'CiphertextBlob', 1, 6144);
      const ctx = optContext(b, 'EncryptionContext');
      const ref = b.KeyId === undefined || b.KeyId === null ? null : reqString(b, 'KeyId', 1, 2048);
      const alg = optEnum(b, 'EncryptionAlgorithm', ['SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'SM2PKE'] as const);
      const named = ref === null ? null : store.resolve(ref, true);
      const id = blobKeyId(blob);
      if (id === null) throw kmsErr.invalidCiphertext();
      if (named !== null && named.keyId !== id)
        throw kmsErr.incorrectKey('The key ID in the request does not identify a KMS key that can perform this operation.');
      const k = store.keys.get(id);
      if (!k) throw kmsErr.invalidCiphertext();
      checkEncryptionKey(k, 'Decrypt');
      if (alg !== undefined && alg !== 'SYMMETRIC_DEFAULT') throw kmsErr.invalidKeyUsage(`Encryption algorithm ${alg} is not supported by ${k.arn}.`);
      const { plaintext, version } = open(k, blob, ctx);
      return { KeyId: k.arn, Plaintext: b64(plaintext), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT', KeyMaterialId: keyMaterialId(k, version) };
    },
    GenerateDataKey(b) {
      const k = encryptionKey(b);
      const ctx = optContext(b, 'EncryptionContext');
      const spec = optEnum(b, 'KeySpec', ['AES_256', 'AES_128'] as const);
      const n = optInt(b, 'NumberOfBytes', 1, 1024);
      if ((spec === undefined) === (n === undefined)) throw kmsErr.validation('Please specify either number of bytes or key spec.');
      checkEncryptionKey(k, 'GenerateDataKey');
      const plaintext = crypto.randomBytes(n ?? (spec === 'AES_128' ? 16 : 32));
      const out = { CiphertextBlob: b64(seal(k, plaintext, ctx)), Plaintext: b64(plaintext), KeyId: k.arn, KeyMaterialId: keyMaterialId(k, k.backing.length) };
      plaintext.fill(0);
      return out;
    },
    Sign(b) {
      const r = signRequest(store, b);
      return { KeyId: r.key.arn, Signature: b64(doSign(r)), SigningAlgorithm: r.algorithm };
    },
    Verify(b) {
      const sig = reqBlob(b, 'Signature', 1, 6144);
      const r = signRequest(store, b);
      if (!doVerify(r, sig)) {
        const answer = verifyFailureAnswer();
        if (answer === 'signature-valid-false') return { KeyId: r.key.arn, SignatureValid: false, SigningAlgorithm: r.algorithm };
        if (answer === 'signature-valid-missing') return { KeyId: r.key.arn, SigningAlgorithm: r.algorithm };
        throw kmsErr.invalidSignature();
      }
      return { KeyId: r.key.arn, SignatureValid: true, SigningAlgorithm: r.algorithm };
    },
    GetPublicKey(b) {
      const k = store.resolve(reqString(b, 'KeyId', 1, 2048), true);
      requireUsable(k);
      if (k.publicKey === null) throw kmsErr.unsupported(`${k.arn} is a symmetric key and has no public key.`);
      return {
        KeyId: k.arn,
        PublicKey: b64(k.publicKey.export({ type: 'spki', format: 'der' })),
        CustomerMasterKeySpec: k.spec,
        KeySpec: k.spec,
        KeyUsage: k.usage,
        SigningAlgorithms: signingAlgorithms(k),
      };
    },
  };
}
