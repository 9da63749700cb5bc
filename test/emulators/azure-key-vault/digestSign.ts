// Signing a digest the way Key Vault does (the client hashes, the service signs the digest): node:crypto signs
// messages, so RSA signatures are built from their encodings (EMSA-PSS with salt = hash length, EMSA-PKCS1-v1_5) and
// a raw RSA private-key operation; ECDSA signs the digest directly and answers r||s (JWS form).
import crypto from 'node:crypto';

const HASH: Record<string, { name: string; info: string }> = {
  '256': { name: 'sha256', info: '3031300d060960864801650304020105000420' },
  '384': { name: 'sha384', info: '3041300d060960864801650304020205000430' },
  '512': { name: 'sha512', info: '3051300d060960864801650304020305000440' },
};

function mgf1(hash: string, seed: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  for (let counter = 0; out.length * seed.length < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    out.push(crypto.createHash(hash).update(seed).update(c).digest());
  }
  return Buffer.concat(out).subarray(0, length);
}

function emsaPss(hash: string, digest: Buffer, modBits: number): Buffer {
  const hLen = digest.length;
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const salt = crypto.randomBytes(hLen);
  const h = crypto.createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  const db = Buffer.concat([Buffer.alloc(emLen - hLen - hLen - 2), Buffer.from([1]), salt]);
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >> (8 * emLen - emBits);
  const em = Buffer.concat([db, h, Buffer.from([0xbc])]);
  const k = Math.ceil(modBits / 8);
  return em.length === k ? em : Buffer.concat([Buffer.alloc(k - em.length), em]);
}

// P-256 group order. ECDSA over a given digest: node:crypto would hash again, so r comes from k*G (ECDH public key
// of the nonce k) and s = k^-1 (z + r d) mod n is computed with BigInt.
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const toBig = (b: Buffer) => BigInt(`0x${b.toString('hex') || '0'}`);
const mod = (a: bigint) => ((a % N) + N) % N;
function modPow(b: bigint, e: bigint): bigint {
  let r = 1n;
  let x = mod(b);
  for (let k = e; k > 0n; k >>= 1n) {
    if (k & 1n) r = (r * x) % N;
    x = (x * x) % N;
  }
  return r;
}
const fixed32 = (v: bigint) => Buffer.from(v.toString(16).padStart(64, '0'), 'hex');

function ecdsaP256(privateKey: crypto.KeyObject, digest: Buffer): Buffer {
  const d = toBig(Buffer.from(privateKey.export({ format: 'jwk' }).d ?? '', 'base64url'));
  const z = toBig(digest);
  for (;;) {
    const k = mod(toBig(crypto.randomBytes(32)));
    if (k === 0n) continue;
    const ecdh = crypto.createECDH('prime256v1');
    ecdh.setPrivateKey(fixed32(k));
    const r = mod(toBig(ecdh.getPublicKey().subarray(1, 33)));
    if (r === 0n) continue;
    const s = mod(modPow(k, N - 2n) * (z + r * d));
    if (s === 0n) continue;
    return Buffer.concat([fixed32(r), fixed32(s)]);
  }
}

/** alg is a JWS name (PS256, RS256, ES256, ...); the digest length has been checked by the caller. */
export function signDigest(privateKey: crypto.KeyObject, alg: string, digest: Buffer): Buffer {
  const hash = HASH[alg.slice(2)]!;
  if (alg.startsWith('ES')) return ecdsaP256(privateKey, digest);
  const modBits = privateKey.asymmetricKeyDetails?.modulusLength ?? 2048;
  if (alg.startsWith('PS')) return crypto.privateEncrypt({ key: privateKey, padding: crypto.constants.RSA_NO_PADDING }, emsaPss(hash.name, digest, modBits));
  return crypto.privateEncrypt({ key: privateKey, padding: crypto.constants.RSA_PKCS1_PADDING }, Buffer.concat([Buffer.from(hash.info, 'hex'), digest]));
}
