// Signing and verifying a precomputed digest (MessageType DIGEST). node:crypto always hashes its input, so the
// emulator pads RSA itself (EMSA-PSS, EMSA-PKCS1-v1_5 over raw RSA) and does P-256 ECDSA with BigInt arithmetic.
import crypto from 'node:crypto';

const HASH_LEN = { sha256: 32, sha384: 48, sha512: 64 } as const;
export type HashName = keyof typeof HASH_LEN;

// DER DigestInfo prefixes (RFC 8017, section 9.2, note 1).
const DIGEST_INFO: Record<HashName, string> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

function mgf1(hash: HashName, seed: Buffer, length: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0, have = 0; have < length; i++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(i);
    const block = crypto.createHash(hash).update(seed).update(c).digest();
    parts.push(block);
    have += block.length;
  }
  return Buffer.concat(parts).subarray(0, length);
}

function modulusBits(key: crypto.KeyObject): number {
  return key.asymmetricKeyDetails!.modulusLength!;
}

/** RSASSA-PSS signature over `digest` with MGF1 of the same hash and salt length = hash length. */
export function rsaPssSignDigest(key: crypto.KeyObject, hash: HashName, digest: Buffer): Buffer {
  const emBits = modulusBits(key) - 1;
  const emLen = Math.ceil(emBits / 8);
  const hLen = HASH_LEN[hash];
  const salt = crypto.randomBytes(hLen);
  const h = crypto.createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  const db = Buffer.concat([Buffer.alloc(emLen - 2 * hLen - 2), Buffer.from([1]), salt]);
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >> (8 * emLen - emBits);
  const em = Buffer.concat([db, h, Buffer.from([0xbc])]);
  const k = modulusBits(key) / 8;
  return crypto.privateEncrypt({ key, padding: crypto.constants.RSA_NO_PADDING }, Buffer.concat([Buffer.alloc(k - em.length), em]));
}

export function rsaPssVerifyDigest(pub: crypto.KeyObject, hash: HashName, digest: Buffer, signature: Buffer): boolean {
  const k = modulusBits(pub) / 8;
  if (signature.length !== k) return false;
  let m: Buffer;
  try {
    m = crypto.publicDecrypt({ key: pub, padding: crypto.constants.RSA_NO_PADDING }, signature);
  } catch {
    return false;
  }
  const emBits = modulusBits(pub) - 1;
  const emLen = Math.ceil(emBits / 8);
  const em = m.subarray(m.length - emLen);
  const hLen = HASH_LEN[hash];
  if (m.length - emLen > 0 && m[0] !== 0) return false;
  if (em[emLen - 1] !== 0xbc) return false;
  const db = Buffer.from(em.subarray(0, emLen - hLen - 1));
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  if ((db[0]! & ~(0xff >> (8 * emLen - emBits)) & 0xff) !== 0) return false;
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >> (8 * emLen - emBits);
  const ps = emLen - 2 * hLen - 2;
  for (let i = 0; i < ps; i++) if (db[i] !== 0) return false;
  if (db[ps] !== 1) return false;
  const salt = db.subarray(db.length - hLen);
  const h2 = crypto.createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  return crypto.timingSafeEqual(h, h2);
}

export function rsaPkcs1SignDigest(key: crypto.KeyObject, hash: HashName, digest: Buffer): Buffer {
  return crypto.privateEncrypt({ key, padding: crypto.constants.RSA_PKCS1_PADDING }, Buffer.concat([Buffer.from(DIGEST_INFO[hash], 'hex'), digest]));
}

export function rsaPkcs1VerifyDigest(pub: crypto.KeyObject, hash: HashName, digest: Buffer, signature: Buffer): boolean {
  try {
    const info = crypto.publicDecrypt({ key: pub, padding: crypto.constants.RSA_PKCS1_PADDING }, signature);
    const want = Buffer.concat([Buffer.from(DIGEST_INFO[hash], 'hex'), digest]);
    return info.length === want.length && crypto.timingSafeEqual(info, want);
  } catch {
    return false;
  }
}

// ---- P-256 ECDSA over a given digest (FIPS 186-4), affine arithmetic with BigInt.
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const A = P - 3n;
const G = {
  x: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  y: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
};
type Point = { x: bigint; y: bigint } | null;

const mod = (a: bigint, m: bigint) => ((a % m) + m) % m;
function inv(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [mod(a, m), m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0, m);
}
function add(p: Point, q: Point): Point {
  if (p === null) return q;
  if (q === null) return p;
  if (p.x === q.x && mod(p.y + q.y, P) === 0n) return null;
  const l = p.x === q.x ? mod((3n * p.x * p.x + A) * inv(2n * p.y, P), P) : mod((q.y - p.y) * inv(q.x - p.x, P), P);
  const x = mod(l * l - p.x - q.x, P);
  return { x, y: mod(l * (p.x - x) - p.y, P) };
}
function mul(k: bigint, p: Point): Point {
  let r: Point = null;
  for (let i = BigInt(k.toString(2).length - 1); i >= 0n; i--) {
    r = add(r, r);
    if ((k >> i) & 1n) r = add(r, p);
  }
  return r;
}
const toBig = (b: Buffer) => BigInt('0x' + (b.length ? b.toString('hex') : '0'));
const fromB64u = (s: string) => toBig(Buffer.from(s, 'base64url'));

function derInt(v: bigint): Buffer {
  let hex = v.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  let b = Buffer.from(hex, 'hex');
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return Buffer.concat([Buffer.from([0x02, b.length]), b]);
}

export function ecdsaSignDigest(key: crypto.KeyObject, digest: Buffer): Buffer {
  const d = fromB64u(key.export({ format: 'jwk' }).d!);
  const e = toBig(digest.subarray(0, 32));
  for (;;) {
    const k = mod(toBig(crypto.randomBytes(40)), N - 1n) + 1n;
    const r = mod(mul(k, G)!.x, N);
    if (r === 0n) continue;
    const s = mod(inv(k, N) * (e + r * d), N);
    if (s === 0n) continue;
    const body = Buffer.concat([derInt(r), derInt(s)]);
    return Buffer.concat([Buffer.from([0x30, body.length]), body]);
  }
}

export function ecdsaVerifyDigest(pub: crypto.KeyObject, digest: Buffer, signature: Buffer): boolean {
  let rs: Buffer;
  try {
    // Let node:crypto parse the DER strictly: it converts to the fixed-width r||s form.
    rs = derToP1363(signature);
  } catch {
    return false;
  }
  const r = toBig(rs.subarray(0, 32));
  const s = toBig(rs.subarray(32));
  if (r <= 0n || r >= N || s <= 0n || s >= N) return false;
  const jwk = pub.export({ format: 'jwk' });
  const q = { x: fromB64u(jwk.x!), y: fromB64u(jwk.y!) };
  const w = inv(s, N);
  const pt = add(mul(mod(toBig(digest.subarray(0, 32)) * w, N), G), mul(mod(r * w, N), q));
  return pt !== null && mod(pt.x, N) === r;
}

function derToP1363(sig: Buffer): Buffer {
  // SEQUENCE { INTEGER r, INTEGER s }, short-form lengths (a P-256 signature is at most 72 bytes).
  if (sig.length < 8 || sig[0] !== 0x30 || sig[1] !== sig.length - 2) throw new Error('bad DER');
  const out = Buffer.alloc(64);
  let off = 2;
  for (const slot of [0, 32]) {
    if (sig[off] !== 0x02) throw new Error('bad DER');
    const len = sig[off + 1]!;
    let v = sig.subarray(off + 2, off + 2 + len);
    if (v.length !== len || len === 0 || len > 33) throw new Error('bad DER');
    if (v.length === 33) {
      if (v[0] !== 0) throw new Error('bad DER');
      v = v.subarray(1);
    }
    v.copy(out, slot + 32 - v.length);
    off += 2 + len;
  }
  if (off !== sig.length) throw new Error('bad DER');
  return out;
}
