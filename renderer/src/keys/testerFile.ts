// Files in the encrypt / decrypt tester (issue 12: a large plaintext goes in as a file, never as a 1 MB text box).
// One call carries at most MAX_IPC_PAYLOAD_BYTES of plaintext (shared/contract.ts). A file up to that size is one
// call and its ciphertext file is exactly the console's ciphertext (the CLI decrypts it too). A larger file is cut
// into parts of PART_BYTES, each encrypted on its own with the associated data extended by "part i of n", and the
// ciphertexts are packed as:  "ECPT" | 0x01 | u32 n | n × (u32 length | ciphertext)   (big-endian lengths).
// Binding i and n into each part's associated data means a part moved, dropped or taken from another file fails
// authentication instead of decrypting into a different file.
import { MAX_IPC_PAYLOAD_BYTES } from '../../../shared/contract.ts';

export const PART_BYTES = 512 * 1024;
const MAGIC = [0x45, 0x43, 0x50, 0x54]; // "ECPT": not "ECPS", the console's own ciphertext marker
const VERSION = 1;
/** The most parts a file may have: 64 × 512 KiB = 32 MiB, a tester's limit, said in bytes on the form. */
export const MAX_PARTS = 64;
export const MAX_FILE_BYTES = MAX_PARTS * PART_BYTES;

const utf8 = new TextEncoder();

/** The associated data bound to part i (0-based) of n: the officer's own, then a marker naming the part. */
export function partAad(aad: Uint8Array, index: number, count: number): Uint8Array {
  const marker = utf8.encode(`\u0000ecps-tester part ${index + 1} of ${count}`);
  const out = new Uint8Array(aad.byteLength + marker.byteLength);
  out.set(aad, 0);
  out.set(marker, aad.byteLength);
  return out;
}

export function isPacked(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 9 && MAGIC.every((b, i) => bytes[i] === b) && bytes[4] === VERSION;
}

export function pack(parts: readonly Uint8Array[]): Uint8Array {
  const total = 9 + parts.reduce((n, p) => n + 4 + p.byteLength, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = VERSION;
  view.setUint32(5, parts.length);
  let at = 9;
  for (const p of parts) {
    view.setUint32(at, p.byteLength);
    out.set(p, at + 4);
    at += 4 + p.byteLength;
  }
  return out;
}

/** The parts of a packed file; a reason in words when it is cut short or malformed. */
export function unpack(bytes: Uint8Array): { parts: Uint8Array[] } | { refused: string } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(5);
  if (count < 2 || count > MAX_PARTS) return { refused: `The file says it has ${count} parts; a tester file has 2 to ${MAX_PARTS}.` };
  const parts: Uint8Array[] = [];
  let at = 9;
  for (let i = 0; i < count; i++) {
    if (at + 4 > bytes.byteLength) return { refused: `The file ends before part ${i + 1} of ${count}: it is incomplete.` };
    const length = view.getUint32(at);
    if (at + 4 + length > bytes.byteLength) return { refused: `The file ends inside part ${i + 1} of ${count}: it is incomplete.` };
    parts.push(bytes.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  if (at !== bytes.byteLength) return { refused: `The file has ${(bytes.byteLength - at).toLocaleString('en')} bytes after its last part.` };
  return { parts };
}

export interface Progress {
  done: number;
  total: number;
}

type Encrypt = (plaintext: Uint8Array, aad: Uint8Array | undefined) => Promise<{ ciphertext: Uint8Array; version: number; keyId: string }>;
type Decrypt = (ciphertext: Uint8Array, aad: Uint8Array | undefined) => Promise<{ plaintext: Uint8Array; version: number; keyId: string }>;

/** Encrypts a file's bytes: one call up to the contract's limit, else parts packed as above. */
export async function encryptBytes(plaintext: Uint8Array, aad: Uint8Array, encrypt: Encrypt, onProgress: (p: Progress) => void) {
  if (plaintext.byteLength <= MAX_IPC_PAYLOAD_BYTES) {
    onProgress({ done: 0, total: 1 });
    const r = await encrypt(plaintext, aad.byteLength > 0 ? aad : undefined);
    onProgress({ done: 1, total: 1 });
    return { ciphertext: r.ciphertext, version: r.version, keyId: r.keyId, parts: 1 };
  }
  const count = Math.ceil(plaintext.byteLength / PART_BYTES);
  const parts: Uint8Array[] = [];
  let last = { version: 0, keyId: '' };
  for (let i = 0; i < count; i++) {
    onProgress({ done: i, total: count });
    const r = await encrypt(plaintext.subarray(i * PART_BYTES, (i + 1) * PART_BYTES), partAad(aad, i, count));
    parts.push(r.ciphertext);
    last = r;
  }
  onProgress({ done: count, total: count });
  return { ciphertext: pack(parts), version: last.version, keyId: last.keyId, parts: count };
}

/** Decrypts a ciphertext file: a packed one part by part, any other as one console ciphertext. */
export async function decryptBytes(ciphertext: Uint8Array, aad: Uint8Array, decrypt: Decrypt, onProgress: (p: Progress) => void) {
  if (!isPacked(ciphertext)) {
    onProgress({ done: 0, total: 1 });
    const r = await decrypt(ciphertext, aad.byteLength > 0 ? aad : undefined);
    onProgress({ done: 1, total: 1 });
    return { plaintext: r.plaintext, version: r.version, keyId: r.keyId, parts: 1 };
  }
  const unpacked = unpack(ciphertext);
  if ('refused' in unpacked) throw new Error(unpacked.refused);
  const count = unpacked.parts.length;
  const out: Uint8Array[] = [];
  let last = { version: 0, keyId: '' };
  for (let i = 0; i < count; i++) {
    onProgress({ done: i, total: count });
    const r = await decrypt(unpacked.parts[i]!, partAad(aad, i, count));
    out.push(r.plaintext);
    last = r;
  }
  onProgress({ done: count, total: count });
  const plaintext = new Uint8Array(out.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of out) {
    plaintext.set(p, at);
    at += p.byteLength;
  }
  return { plaintext, version: last.version, keyId: last.keyId, parts: count };
}
