// Encrypt, Decrypt, AsymmetricSign and GetPublicKey with the service's limits and its end-to-end CRC32C protocol:
// request checksums are verified (a mismatch is INVALID_ARGUMENT), responses carry checksums and verified_* flags.
// The integrity switch corrupts the next response(s) so tests can prove the client catches it.
import crypto from 'node:crypto';
import { ecdsaSignDigest, rsaPssSignDigest } from '../aws-kms/digestSign.ts';
import type { Handler } from './adminHandlers.ts';
import { createNibbleCrc32c } from './crc32c.ts';
import type { Msg } from './messages.ts';
import { names } from './names.ts';
import { rpc } from './status.ts';
import { requireEnabled, type Store, type Version } from './store.ts';

export const MAX_PLAINTEXT = 64 * 1024;
const HEADER = 1 + 4 + 12;
const TAG = 16;
const MAX_CIPHERTEXT = MAX_PLAINTEXT + HEADER + TAG;

/** What the next corrupted response gets wrong: its checksum, its data (checksum kept), a verified_* flag, or its name. */
export type Corruption = 'checksum' | 'data' | 'unverified' | 'name';
export interface IntegritySwitch {
  next: Corruption[];
}

const bytes = (v: unknown): Buffer => (v === undefined || v === null ? Buffer.alloc(0) : Buffer.from(v as Uint8Array));

/** Int64Value wrapper present in the request -> its number; absent -> null. */
function checksum(v: unknown, field: string): number | null {
  if (v === undefined || v === null) return null;
  const n = Number((v as { value?: unknown }).value ?? 0);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw rpc.invalid(`${field} must be a CRC32C value (0..2^32-1).`);
  return n;
}


function gcmAad(keyName: string, version: number, aad: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`gcp-kms-emulator|${keyName}|${version}|`), aad]);
}

export function cryptoHandlers(store: Store, integrity: IntegritySwitch): Record<string, Handler> {
  const crc32c = createNibbleCrc32c();
  const crcMsg = (b: Buffer) => ({ value: String(crc32c(b)) });
  const verifyChecksum = (data: Buffer, given: number | null, field: string, dataField: string): boolean => {
    if (given === null) return false;
    if (crc32c(data) !== given) throw rpc.checksum(field, dataField);
    return true;
  };
  const corruption = () => integrity.next.shift() ?? null;
  const flip = (b: Buffer) => {
    const c = Buffer.from(b);
    c[c.length >> 1]! ^= 0x01;
    return c;
  };
  const badCrc = (m: { value: string }) => ({ value: String((Number(m.value) ^ 1) >>> 0) });
  const failDecryption = () => rpc.invalid("Decryption failed: verify that 'name' refers to the correct CryptoKey.");

  function encrypt(r: Msg): Msg {
    const name = typeof r.name === 'string' && names.isVersion(r.name) ? r.name : names.cryptoKey(r.name);
    let version: Version;
    if (names.isVersion(name)) {
      const found = store.version(name);
      if (found.key.purpose !== 'ENCRYPT_DECRYPT') throw rpc.invalid(`${found.key.name} has purpose ${found.key.purpose}; Encrypt requires ENCRYPT_DECRYPT.`);
      version = found.version;
    } else {
      const key = store.key(name);
      if (key.purpose !== 'ENCRYPT_DECRYPT' || key.primary === null) throw rpc.invalid(`${key.name} has purpose ${key.purpose}; Encrypt requires ENCRYPT_DECRYPT.`);
      version = key.versions[key.primary - 1]!;
    }
    const plaintext = bytes(r.plaintext);
    const aad = bytes(r.additionalAuthenticatedData);
    if (plaintext.length === 0) throw rpc.invalid('plaintext is required.');
    if (plaintext.length > MAX_PLAINTEXT) throw rpc.invalid(`The plaintext is ${plaintext.length} bytes; the maximum is ${MAX_PLAINTEXT} bytes.`);
    if (aad.length > MAX_PLAINTEXT) throw rpc.invalid(`The additional_authenticated_data is ${aad.length} bytes; the maximum is ${MAX_PLAINTEXT} bytes.`);
    const verifiedPlain = verifyChecksum(plaintext, checksum(r.plaintextCrc32c, 'plaintext_crc32c'), 'plaintext_crc32c', 'plaintext');
    const verifiedAad = verifyChecksum(aad, checksum(r.additionalAuthenticatedDataCrc32c, 'additional_authenticated_data_crc32c'), 'additional_authenticated_data_crc32c', 'additional_authenticated_data');
    requireEnabled(version);
    const keyName = names.splitVersion(version.name)[0];
    const nonce = crypto.randomBytes(12);
    const head = Buffer.alloc(5);
    head[0] = 0x01;
    head.writeUInt32BE(version.number, 1);
    const gcm = crypto.createCipheriv('aes-256-gcm', version.secret!, nonce);
    gcm.setAAD(gcmAad(keyName, version.number, aad));
    let ciphertext = Buffer.concat([head, nonce, gcm.update(plaintext), gcm.final(), gcm.getAuthTag()]);
    let ciphertextCrc32c = crcMsg(ciphertext);
    let out: Msg = { name: version.name, verifiedPlaintextCrc32c: verifiedPlain, verifiedAdditionalAuthenticatedDataCrc32c: verifiedAad, protectionLevel: version.protectionLevel };
    const c = corruption();
    if (c === 'checksum') ciphertextCrc32c = badCrc(ciphertextCrc32c);
    if (c === 'data') ciphertext = flip(ciphertext);
    if (c === 'unverified') out = { ...out, verifiedPlaintextCrc32c: false };
    if (c === 'name') out = { ...out, name: `${keyName}-other/cryptoKeyVersions/${version.number}` };
    return { ...out, ciphertext, ciphertextCrc32c };
  }

  function decrypt(r: Msg): Msg {
    const key = store.key(names.cryptoKey(r.name));
    if (key.purpose !== 'ENCRYPT_DECRYPT') throw rpc.invalid(`${key.name} has purpose ${key.purpose}; Decrypt requires ENCRYPT_DECRYPT.`);
    const ciphertext = bytes(r.ciphertext);
    const aad = bytes(r.additionalAuthenticatedData);
    if (ciphertext.length === 0) throw rpc.invalid('ciphertext is required.');
    if (ciphertext.length > MAX_CIPHERTEXT) throw rpc.invalid(`The ciphertext is ${ciphertext.length} bytes; the maximum is ${MAX_CIPHERTEXT} bytes.`);
    if (aad.length > MAX_PLAINTEXT) throw rpc.invalid(`The additional_authenticated_data is ${aad.length} bytes; the maximum is ${MAX_PLAINTEXT} bytes.`);
    verifyChecksum(ciphertext, checksum(r.ciphertextCrc32c, 'ciphertext_crc32c'), 'ciphertext_crc32c', 'ciphertext');
    verifyChecksum(aad, checksum(r.additionalAuthenticatedDataCrc32c, 'additional_authenticated_data_crc32c'), 'additional_authenticated_data_crc32c', 'additional_authenticated_data');
    if (ciphertext.length < HEADER + TAG || ciphertext[0] !== 0x01) throw failDecryption();
    const number = ciphertext.readUInt32BE(1);
    const version = number >= 1 ? key.versions[number - 1] : undefined;
    if (!version || version.state === 'DESTROYED') throw failDecryption();
    requireEnabled(version);
    let plaintext: Buffer;
    try {
      const gcm = crypto.createDecipheriv('aes-256-gcm', version.secret!, ciphertext.subarray(5, HEADER));
      gcm.setAAD(gcmAad(key.name, number, aad));
      gcm.setAuthTag(ciphertext.subarray(ciphertext.length - TAG));
      plaintext = Buffer.concat([gcm.update(ciphertext.subarray(HEADER, ciphertext.length - TAG)), gcm.final()]);
    } catch {
      throw failDecryption();
    }
    let plaintextCrc32c = crcMsg(plaintext);
    const c = corruption();
    if (c === 'checksum') plaintextCrc32c = badCrc(plaintextCrc32c);
    if (c === 'data') plaintext = flip(plaintext);
    return { plaintext, plaintextCrc32c, usedPrimary: key.primary === number, protectionLevel: version.protectionLevel };
  }

  function sign(r: Msg): Msg {
    const { key, version } = store.version(names.version(r.name));
    if (key.purpose !== 'ASYMMETRIC_SIGN') throw rpc.invalid(`${key.name} has purpose ${key.purpose}; AsymmetricSign requires ASYMMETRIC_SIGN.`);
    if (r.data !== undefined && bytes(r.data).length > 0) throw rpc.invalid(`data is not supported for ${version.algorithm}; send digest.sha256.`);
    const d = (r.digest ?? {}) as Msg;
    if (d.sha384 !== undefined || d.sha512 !== undefined || d.digest === 'sha384' || d.digest === 'sha512')
      throw rpc.invalid(`${version.algorithm} requires a SHA-256 digest.`);
    const digest = bytes(d.sha256);
    if (digest.length !== 32) throw rpc.invalid('digest.sha256 must be 32 bytes.');
    const verified = verifyChecksum(digest, checksum(r.digestCrc32c, 'digest_crc32c'), 'digest_crc32c', 'digest');
    requireEnabled(version);
    let signature = version.algorithm === 'EC_SIGN_P256_SHA256' ? ecdsaSignDigest(version.privateKey!, digest) : rsaPssSignDigest(version.privateKey!, 'sha256', digest);
    let signatureCrc32c = crcMsg(signature);
    let out: Msg = { name: version.name, verifiedDigestCrc32c: verified, verifiedDataCrc32c: false, protectionLevel: version.protectionLevel };
    const c = corruption();
    if (c === 'checksum') signatureCrc32c = badCrc(signatureCrc32c);
    if (c === 'data') signature = flip(signature);
    if (c === 'unverified') out = { ...out, verifiedDigestCrc32c: false };
    if (c === 'name') out = { ...out, name: `${key.name}/cryptoKeyVersions/${version.number + 1}` };
    return { ...out, signature, signatureCrc32c };
  }

  function publicKey(r: Msg): Msg {
    const { key, version } = store.version(names.version(r.name));
    if (key.purpose !== 'ASYMMETRIC_SIGN') throw rpc.precondition(`${key.name} has purpose ${key.purpose}; it has no public key.`);
    if (r.publicKeyFormat !== undefined && r.publicKeyFormat !== 'PUBLIC_KEY_FORMAT_UNSPECIFIED' && r.publicKeyFormat !== 'PEM')
      throw rpc.invalid(`public_key_format ${String(r.publicKeyFormat)} is not supported for ${version.algorithm}.`);
    requireEnabled(version);
    let pem = version.publicPem!;
    let pemCrc32c = crcMsg(Buffer.from(pem, 'utf8'));
    const c = corruption();
    if (c === 'checksum') pemCrc32c = badCrc(pemCrc32c);
    if (c === 'data') pem = pem.replace(/A/, 'B');
    return { pem, pemCrc32c, algorithm: version.algorithm, name: c === 'name' ? `${key.name}/cryptoKeyVersions/${version.number + 1}` : version.name, protectionLevel: version.protectionLevel };
  }

  const h = (permission: string, routingKey: string, handle: (r: Msg) => Msg): Handler => ({ permission, resource: (r) => r.name, routingKey, handle });
  return {
    Encrypt: h('cloudkms.cryptoKeyVersions.useToEncrypt', 'name', encrypt),
    Decrypt: h('cloudkms.cryptoKeyVersions.useToDecrypt', 'name', decrypt),
    AsymmetricSign: h('cloudkms.cryptoKeyVersions.useToSign', 'name', sign),
    GetPublicKey: h('cloudkms.cryptoKeyVersions.viewPublicKey', 'name', publicKey),
  };
}
