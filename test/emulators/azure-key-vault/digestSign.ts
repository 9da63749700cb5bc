// Signing and verifying a digest the way Key Vault does (the client hashes, the service signs the digest). RSA
// (PS*/RS*) reuses the digest padding of the AWS emulator; ECDSA works on every curve Key Vault offers (P-256, P-384,
// P-521, P-256K): node:crypto hashes its input, so k*G comes from an ECDH key of the nonce and the rest is BigInt
// arithmetic. Signatures are r||s (JWS form), each half as long as the curve order.
import crypto from 'node:crypto';
import { rsaPkcs1SignDigest, rsaPkcs1VerifyDigest, rsaPssSignDigest, rsaPssVerifyDigest, type HashName } from '../aws-kms/digestSign.ts';

interface Curve { node: string; p: bigint; a: bigint; n: bigint; bytes: number; g: { x: bigint; y: bigint } }

const toBig = (b: Buffer) => BigInt(`0x${b.length ? b.toString('hex') : '0'}`);
const fixed = (v: bigint, bytes: number) => Buffer.from(v.toString(16).padStart(bytes * 2, '0'), 'hex');
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

/** k*G of a curve through node:crypto (ECDH public key of the private scalar k). */
function baseMul(c: { node: string; bytes: number }, k: bigint): { x: bigint; y: bigint } {
  const ecdh = crypto.createECDH(c.node);
  ecdh.setPrivateKey(fixed(k, c.bytes));
  const pub = ecdh.getPublicKey();
  const half = (pub.length - 1) / 2;
  return { x: toBig(pub.subarray(1, 1 + half)), y: toBig(pub.subarray(1 + half)) };
}

function curve(node: string, p: bigint, a: bigint, n: bigint): Curve {
  const bytes = Math.ceil(n.toString(2).length / 8);
  const g = baseMul({ node, bytes }, 1n);
  // Self-check of the constants: (n-1)*G must be -G.
  const minusG = baseMul({ node, bytes }, n - 1n);
  if (minusG.x !== g.x || minusG.y !== mod(-g.y, p)) throw new Error(`curve constants for ${node} are wrong`);
  return { node, p, a, n, bytes, g };
}

const P256 = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
const P384 = 2n ** 384n - 2n ** 128n - 2n ** 96n + 2n ** 32n - 1n;
const P521 = 2n ** 521n - 1n;
const PK1 = 2n ** 256n - 2n ** 32n - 977n;

/** Key Vault curve names -> curve (JsonWebKeyCurveName of the REST specification). */
export const CURVES: Record<string, Curve> = {
  'P-256': curve('prime256v1', P256, P256 - 3n, 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n),
  'P-384': curve('secp384r1', P384, P384 - 3n, 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n),
  'P-521': curve('secp521r1', P521, P521 - 3n, 0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n),
  'P-256K': curve('secp256k1', PK1, 0n, 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n),
};

type Point = { x: bigint; y: bigint } | null;
function add(c: Curve, p: Point, q: Point): Point {
  if (p === null) return q;
  if (q === null) return p;
  if (p.x === q.x && mod(p.y + q.y, c.p) === 0n) return null;
  const l = p.x === q.x ? mod((3n * p.x * p.x + c.a) * inv(2n * p.y, c.p), c.p) : mod((q.y - p.y) * inv(q.x - p.x, c.p), c.p);
  const x = mod(l * l - p.x - q.x, c.p);
  return { x, y: mod(l * (p.x - x) - p.y, c.p) };
}
function mul(c: Curve, k: bigint, p: Point): Point {
  let r: Point = null;
  for (let i = k.toString(2).length - 1; i >= 0; i--) {
    r = add(c, r, r);
    if ((k >> BigInt(i)) & 1n) r = add(c, r, p);
  }
  return r;
}

/** The digest as an integer, cut to the bit length of the order (FIPS 186-4, 6.4). */
function digestInt(c: Curve, digest: Buffer): bigint {
  const nBits = c.n.toString(2).length;
  const z = toBig(digest);
  return digest.length * 8 > nBits ? z >> BigInt(digest.length * 8 - nBits) : z;
}

export function ecdsaSign(privateKey: crypto.KeyObject, crv: string, digest: Buffer): Buffer {
  const c = CURVES[crv]!;
  const d = toBig(Buffer.from(privateKey.export({ format: 'jwk' }).d ?? '', 'base64url'));
  const z = digestInt(c, digest);
  for (;;) {
    const k = mod(toBig(crypto.randomBytes(c.bytes + 8)), c.n - 1n) + 1n;
    const r = mod(baseMul(c, k).x, c.n);
    if (r === 0n) continue;
    const s = mod(inv(k, c.n) * (z + r * d), c.n);
    if (s === 0n) continue;
    return Buffer.concat([fixed(r, c.bytes), fixed(s, c.bytes)]);
  }
}

export function ecdsaVerify(publicJwk: crypto.JsonWebKey, crv: string, digest: Buffer, signature: Buffer): boolean {
  const c = CURVES[crv]!;
  if (signature.length !== 2 * c.bytes) return false;
  const r = toBig(signature.subarray(0, c.bytes));
  const s = toBig(signature.subarray(c.bytes));
  if (r <= 0n || r >= c.n || s <= 0n || s >= c.n) return false;
  const q = { x: toBig(Buffer.from(publicJwk.x ?? '', 'base64url')), y: toBig(Buffer.from(publicJwk.y ?? '', 'base64url')) };
  const w = inv(s, c.n);
  const pt = add(c, mul(c, mod(digestInt(c, digest) * w, c.n), c.g), mul(c, mod(r * w, c.n), q));
  return pt !== null && mod(pt.x, c.n) === r;
}

const HASHES: Record<string, HashName> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' };

/** alg is a JWS name (PS256, RS384, ...); the digest length has been checked by the caller. */
export function rsaSign(privateKey: crypto.KeyObject, alg: string, digest: Buffer): Buffer {
  const hash = HASHES[alg.slice(2)]!;
  return alg.startsWith('PS') ? rsaPssSignDigest(privateKey, hash, digest) : rsaPkcs1SignDigest(privateKey, hash, digest);
}

export function rsaVerify(publicKey: crypto.KeyObject, alg: string, digest: Buffer, signature: Buffer): boolean {
  const hash = HASHES[alg.slice(2)]!;
  return alg.startsWith('PS') ? rsaPssVerifyDigest(publicKey, hash, digest, signature) : rsaPkcs1VerifyDigest(publicKey, hash, digest, signature);
}
