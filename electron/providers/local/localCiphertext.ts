// Ciphertext of the local KMS provider: marker 'L', format 1, key version (u32 BE), then AES-256-GCM
// nonce(12) | ciphertext | tag(16). The GCM AAD binds the provider format, key reference, version and the caller's AAD.
import { NONCE_BYTES, open, seal, TAG_BYTES } from '../../crypto/aead.ts';

const MARKER = 0x4c;
const FORMAT = 1;
const HEADER_BYTES = 6;

function gcmAad(keyRef: string, version: number, aad: Buffer | undefined): Buffer {
  const prefix = Buffer.from(`ecps/local-kms/v1|${keyRef}|${version}|`, 'utf8');
  return aad && aad.length > 0 ? Buffer.concat([prefix, aad]) : prefix;
}

export function sealLocal(material: Buffer, keyRef: string, version: number, plaintext: Buffer, aad: Buffer | undefined): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header[0] = MARKER;
  header[1] = FORMAT;
  header.writeUInt32BE(version, 2);
  return Buffer.concat([header, seal(material, plaintext, gcmAad(keyRef, version, aad))]);
}

/** The key version a ciphertext names, or null when it is not local provider ciphertext at all. */
export function localCiphertextVersion(ciphertext: Buffer): number | null {
  if (ciphertext.length < HEADER_BYTES + NONCE_BYTES + TAG_BYTES) return null;
  if (ciphertext[0] !== MARKER || ciphertext[1] !== FORMAT) return null;
  const version = ciphertext.readUInt32BE(2);
  return version >= 1 ? version : null;
}

/** Null when authentication fails: wrong key or version, wrong AAD, or modified bytes. */
export function openLocal(material: Buffer, keyRef: string, version: number, ciphertext: Buffer, aad: Buffer | undefined): Buffer | null {
  return open(material, ciphertext.subarray(HEADER_BYTES), gcmAad(keyRef, version, aad));
}
