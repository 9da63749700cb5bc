// Pure helpers of the Azure adapter: key naming, the provider ciphertext (adapter-side AES-256-GCM under a content
// key that Key Vault wraps with RSA-OAEP-256), JWK -> PEM and JWS (r||s) -> DER ECDSA signatures.
import crypto from 'node:crypto';

/** Console names allow "_", Key Vault names do not: "_" becomes "-" (the console name is kept in a tag). */
export const vaultKeyName = (name: string) => name.replace(/_/g, '-');
export const KEY_NAME_RE = /^[0-9A-Za-z-]{1,127}$/;

export const TAG = { name: 'ecps-name', spec: 'ecps-spec', usage: 'ecps-usage', version: 'ecps-version' } as const;

const MAGIC = Buffer.from('AZ');
const FORMAT = 1;
const NONCE = 12;
const TAG_BYTES = 16;
const VERSION_BYTES = 16;

export interface AzureCiphertext {
  versionId: string;
  wrapped: Buffer;
  nonce: Buffer;
  tag: Buffer;
  body: Buffer;
}

/** 'AZ' | format | key version (16 bytes, the 32-hex Key Vault version) | u16 wrapped length | wrapped | nonce | tag | body */
export function encodeCiphertext(c: AzureCiphertext): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(c.wrapped.length);
  return Buffer.concat([MAGIC, Buffer.from([FORMAT]), Buffer.from(c.versionId, 'hex'), len, c.wrapped, c.nonce, c.tag, c.body]);
}

/** null when the bytes are not an Azure adapter ciphertext of this format. */
export function decodeCiphertext(buf: Buffer): AzureCiphertext | null {
  const head = MAGIC.length + 1 + VERSION_BYTES + 2;
  if (buf.length < head || !buf.subarray(0, 2).equals(MAGIC) || buf[2] !== FORMAT) return null;
  const wrappedLen = buf.readUInt16BE(head - 2);
  if (wrappedLen === 0 || buf.length < head + wrappedLen + NONCE + TAG_BYTES) return null;
  let at = head;
  const take = (n: number) => buf.subarray(at, (at += n));
  const versionId = buf.subarray(3, 3 + VERSION_BYTES).toString('hex');
  return { versionId, wrapped: take(wrappedLen), nonce: take(NONCE), tag: take(TAG_BYTES), body: buf.subarray(at) };
}

/** The GCM associated data: the key name and version are bound, then the caller's associated data. */
export const gcmAad = (name: string, versionId: string, aad: Buffer | undefined) =>
  Buffer.concat([Buffer.from(`ecps/azure-kv/v1|${name}|${versionId}|`), aad ?? Buffer.alloc(0)]);

export function sealGcm(key: Buffer, plaintext: Buffer, aad: Buffer): { nonce: Buffer; tag: Buffer; body: Buffer } {
  const nonce = crypto.randomBytes(NONCE);
  const c = crypto.createCipheriv('aes-256-gcm', key, nonce).setAAD(aad);
  const body = Buffer.concat([c.update(plaintext), c.final()]);
  return { nonce, tag: c.getAuthTag(), body };
}

/** null when the tag does not verify. */
export function openGcm(key: Buffer, c: AzureCiphertext, aad: Buffer): Buffer | null {
  try {
    const d = crypto.createDecipheriv('aes-256-gcm', key, c.nonce).setAAD(aad).setAuthTag(c.tag);
    return Buffer.concat([d.update(c.body), d.final()]);
  } catch {
    return null;
  }
}

type Bytes = Uint8Array | undefined;
const b64u = (v: Bytes) => (v === undefined ? undefined : Buffer.from(v).toString('base64url'));

/** A Key Vault JsonWebKey (n/e or crv/x/y as bytes) -> PEM SubjectPublicKeyInfo. */
export function jwkToPem(jwk: { kty?: string; n?: Bytes; e?: Bytes; crv?: string; x?: Bytes; y?: Bytes }): string {
  const isEc = jwk.kty === 'EC' || jwk.kty === 'EC-HSM';
  const key = isEc ? { kty: 'EC', crv: jwk.crv, x: b64u(jwk.x), y: b64u(jwk.y) } : { kty: 'RSA', n: b64u(jwk.n), e: b64u(jwk.e) };
  return crypto.createPublicKey({ key, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
}

/** ES256 signatures come as r||s (64 bytes); the contract gives DER. */
export function joseToDer(sig: Uint8Array): Buffer {
  const half = sig.length / 2;
  const int = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const v = Buffer.from(b.subarray(i));
    return v[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v;
  };
  const r = int(sig.subarray(0, half));
  const s = int(sig.subarray(half));
  const seq = Buffer.concat([Buffer.from([0x02, r.length]), r, Buffer.from([0x02, s.length]), s]);
  return Buffer.concat([Buffer.from([0x30, seq.length]), seq]);
}

// Managed HSM: the HSM itself seals with AES-256-GCM on an oct-HSM key (it makes the IV).
// 'AZ' | format 2 | key version (16) | iv (12) | tag (16) | body; the GCM AAD is hsmAad(name, caller's AAD).
const HSM_FORMAT = 2;

export interface HsmCiphertext { versionId: string; iv: Buffer; tag: Buffer; body: Buffer }

export const hsmAad = (name: string, aad: Buffer | undefined) => Buffer.concat([Buffer.from(`ecps/azure-kv/v2|${name}|`), aad ?? Buffer.alloc(0)]);

export function encodeHsmCiphertext(c: HsmCiphertext): Buffer {
  return Buffer.concat([MAGIC, Buffer.from([HSM_FORMAT]), Buffer.from(c.versionId, 'hex'), c.iv, c.tag, c.body]);
}

export function decodeHsmCiphertext(buf: Buffer): HsmCiphertext | null {
  const head = MAGIC.length + 1 + VERSION_BYTES;
  if (buf.length < head + NONCE + TAG_BYTES + 1 || !buf.subarray(0, 2).equals(MAGIC) || buf[2] !== HSM_FORMAT) return null;
  return {
    versionId: buf.subarray(3, head).toString('hex'),
    iv: buf.subarray(head, head + NONCE),
    tag: buf.subarray(head + NONCE, head + NONCE + TAG_BYTES),
    body: buf.subarray(head + NONCE + TAG_BYTES),
  };
}
