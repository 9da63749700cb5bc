// The console's streaming ciphertext format (format version 2; byte layout in docs/ciphertext-format.md): files of
// any size in constant memory. A fresh 256-bit file key is sealed in a format-1 envelope under
// the user's key (so every provider, backup and policy of single-shot encryption applies), and the data follows as
// chunks, each AES-256-GCM under HKDF(file key, salt) with a nonce made of the chunk's index and a final-chunk flag,
// and the header and the caller's associated data as GCM AAD (the STREAM construction of Hoang, Reyhanitabar,
// Rogaway and Vizár, as age and Tink's streaming AEAD use it). Reordered, dropped, duplicated, spliced or appended
// chunks and a cut at a chunk boundary all fail; nothing here writes plaintext that has not authenticated.
import crypto from 'node:crypto';
import { ConsoleError } from '../../shared/errors.ts';
import { ENVELOPE_MAGIC, tampered } from './envelope.ts';

export const STREAM_FORMAT_VERSION = 2;
export const DEFAULT_CHUNK_BYTES = 64 * 1024;
export const MIN_CHUNK_BYTES = 16;
export const MAX_CHUNK_BYTES = 16 * 1024 * 1024;
export const FILE_KEY_BYTES = 32;
const SALT_BYTES = 32;
const TAG_BYTES = 16;
const MAX_KEY_ENVELOPE_BYTES = 16 * 1024;
/** magic, version, chunk size, salt, key envelope length: everything before the key envelope. */
export const STREAM_PREFIX_BYTES = 4 + 1 + 4 + SALT_BYTES + 4;
const FILE_KEY_AAD_PREFIX = Buffer.from('ecps/stream/v2/file-key\u0000', 'utf8');
const CHUNK_KEY_INFO = Buffer.from('ecps/stream/v2/chunk-key', 'utf8');

export interface StreamParams {
  chunkBytes: number;
  salt: Buffer;
}

export interface StreamPrefix extends StreamParams {
  keyEnvelopeBytes: number;
}

const malformed = (what: string, details?: Record<string, string | number>) =>
  new ConsoleError('ciphertext_malformed', `The ciphertext is incomplete or damaged (${what}).`, details);

/** The AAD the file key's format-1 envelope is sealed with: domain-separated from any message's own AAD. */
export function fileKeyAad(aad: Buffer): Buffer {
  return Buffer.concat([FILE_KEY_AAD_PREFIX, aad]);
}

/** True when `start` (the first 5 bytes or more) opens a format-2 stream. */
export function isStreamFormat(start: Buffer): boolean {
  return start.length >= 5 && start.subarray(0, 4).equals(ENVELOPE_MAGIC) && start[4] === STREAM_FORMAT_VERSION;
}

export function newStreamParams(chunkBytes = DEFAULT_CHUNK_BYTES): StreamParams {
  if (!Number.isInteger(chunkBytes) || chunkBytes < MIN_CHUNK_BYTES || chunkBytes > MAX_CHUNK_BYTES) {
    throw new ConsoleError('internal', `A chunk holds ${MIN_CHUNK_BYTES}..${MAX_CHUNK_BYTES} bytes.`);
  }
  return { chunkBytes, salt: crypto.randomBytes(SALT_BYTES) };
}

/** The complete header: prefix, then the format-1 envelope of the file key. */
export function streamHeader(params: StreamParams, keyEnvelope: Buffer): Buffer {
  if (keyEnvelope.length < 1 || keyEnvelope.length > MAX_KEY_ENVELOPE_BYTES) {
    throw new ConsoleError('internal', `The file key's envelope is ${keyEnvelope.length} bytes (1..${MAX_KEY_ENVELOPE_BYTES} fit the format).`);
  }
  const prefix = Buffer.alloc(STREAM_PREFIX_BYTES);
  ENVELOPE_MAGIC.copy(prefix, 0);
  prefix[4] = STREAM_FORMAT_VERSION;
  prefix.writeUInt32BE(params.chunkBytes, 5);
  params.salt.copy(prefix, 9);
  prefix.writeUInt32BE(keyEnvelope.length, 9 + SALT_BYTES);
  return Buffer.concat([prefix, keyEnvelope]);
}

/** Parses the fixed part of the header (STREAM_PREFIX_BYTES, or fewer when the file is that short). */
export function parseStreamPrefix(prefix: Buffer): StreamPrefix {
  if (prefix.length < STREAM_PREFIX_BYTES) throw malformed('ends inside the stream header');
  if (!isStreamFormat(prefix)) throw new ConsoleError('ciphertext_foreign', 'This is not a streaming ciphertext of the ECPS console format.');
  const chunkBytes = prefix.readUInt32BE(5);
  if (chunkBytes < MIN_CHUNK_BYTES || chunkBytes > MAX_CHUNK_BYTES) throw malformed('chunk size out of range');
  const keyEnvelopeBytes = prefix.readUInt32BE(9 + SALT_BYTES);
  if (keyEnvelopeBytes < 1 || keyEnvelopeBytes > MAX_KEY_ENVELOPE_BYTES) throw malformed('file key envelope length out of range');
  return { chunkBytes, salt: Buffer.from(prefix.subarray(9, 9 + SALT_BYTES)), keyEnvelopeBytes };
}

/** Seals and opens the chunks of one stream: key from the file key and salt, AAD binding the header and the caller's AAD. */
export class ChunkCipher {
  readonly #key: Buffer;
  readonly #binding: Buffer;
  readonly #nonce = Buffer.alloc(12);

  constructor(fileKey: Buffer, salt: Buffer, header: Buffer, aad: Buffer) {
    if (fileKey.length !== FILE_KEY_BYTES) throw tampered();
    this.#key = Buffer.from(crypto.hkdfSync('sha256', fileKey, salt, CHUNK_KEY_INFO, 32));
    // The header ends where its own fields say, so header || aad is unambiguous.
    this.#binding = crypto.createHash('sha256').update(header).update(aad).digest();
  }

  /** 11-byte big-endian chunk index, then 0x01 for the final chunk and 0x00 for every other. */
  #nonceFor(index: number, final: boolean): Buffer {
    this.#nonce.fill(0);
    this.#nonce.writeUIntBE(index, 5, 6);
    this.#nonce[11] = final ? 1 : 0;
    return this.#nonce;
  }

  /** Ciphertext then tag, as two buffers (written back to back). */
  seal(index: number, plaintext: Buffer, final: boolean): [Buffer, Buffer] {
    const cipher = crypto.createCipheriv('aes-256-gcm', this.#key, this.#nonceFor(index, final));
    cipher.setAAD(this.#binding);
    const body = cipher.update(plaintext);
    cipher.final();
    return [body, cipher.getAuthTag()];
  }

  /** The chunk's plaintext, or null when it does not authenticate at this index with this flag. */
  open(index: number, chunk: Buffer, final: boolean): Buffer | null {
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.#key, this.#nonceFor(index, final), { authTagLength: TAG_BYTES });
    decipher.setAAD(this.#binding);
    decipher.setAuthTag(chunk.subarray(chunk.length - TAG_BYTES));
    const out = decipher.update(chunk.subarray(0, chunk.length - TAG_BYTES));
    try {
      decipher.final();
      return out;
    } catch {
      out.fill(0);
      return null;
    }
  }

  destroy(): void {
    this.#key.fill(0);
  }
}

/** Reads up to `buf.length` bytes at `position` (absolute) into `buf`; resolves with the count read, 0 at the end. */
export type PositionalRead = (buf: Buffer, position: number) => Promise<number>;

/** The bytes to process: `length` bytes from `start` of something read by position (a file handle, a buffer). */
export interface StreamSource {
  read: PositionalRead;
  start: number;
  length: number;
}

/** Sink of output buffers, in order (e.g. one writev of a file handle); called with about a batch at a time. */
export type ChunkSink = (parts: Buffer[]) => Promise<void>;

const BATCH_BYTES = 1024 * 1024;

/**
 * Runs `onPiece` over `src` cut into pieces of `pieceBytes` (the last one shorter, and flagged final), a batch of
 * about 1 MiB at a time: the next batch is read while this one is processed, and one write is in flight at most.
 * The length is known up front (a file's size), so no look-ahead is needed to tell the final piece. Two read buffers,
 * reused: memory stays constant whatever the size.
 */
async function eachPiece(src: StreamSource, pieceBytes: number, onPiece: (piece: Buffer, index: number, final: boolean) => Buffer[], sink: ChunkSink): Promise<void> {
  const total = src.length;
  const count = Math.max(1, Math.ceil(total / pieceBytes));
  const batchBytes = Math.max(1, Math.floor(BATCH_BYTES / pieceBytes)) * pieceBytes;
  const buffers = [Buffer.allocUnsafe(Math.min(batchBytes, total)), Buffer.allocUnsafe(Math.min(batchBytes, Math.max(0, total - batchBytes)))];
  const readBatch = async (buf: Buffer, at: number): Promise<Buffer> => {
    let got = 0;
    while (got < buf.length) {
      const n = await src.read(buf.subarray(got), src.start + at + got);
      if (n === 0) throw new ConsoleError('invalid_input', `The input changed while it was read: it ended ${total - at - got} bytes early.`, { field: 'in' });
      got += n;
    }
    return buf;
  };
  // Each read and write is awaited later, after other awaits: until then its failure must count as handled, or Node
  // ends the process on an unhandled rejection (a disk-full write while the next read is in flight did exactly that).
  const handled = <T>(p: Promise<T>): Promise<T> => {
    p.catch(() => undefined);
    return p;
  };
  let reading: Promise<Buffer> = handled(readBatch(buffers[0]!, 0));
  let writing: Promise<void> = Promise.resolve();
  try {
    let index = 0;
    let offset = 0;
    let which = 0;
    while (index < count) {
      const batch = await reading;
      offset += batch.length;
      which ^= 1;
      const next = Math.min(batchBytes, total - offset);
      if (next > 0) reading = handled(readBatch(buffers[which]!.subarray(0, next), offset));
      const out: Buffer[] = [];
      for (let at = 0; at < batch.length || (total === 0 && index === 0); at += pieceBytes) {
        out.push(...onPiece(batch.subarray(at, Math.min(at + pieceBytes, batch.length)), index, index === count - 1));
        index++;
      }
      await writing;
      writing = handled(sink(out));
    }
    await writing;
  } catch (e) {
    // Let a read or write still in flight settle before the caller closes the files.
    await Promise.allSettled([reading, writing]);
    throw e;
  } finally {
    for (const b of buffers) b.fill(0); // the last plaintext (or ciphertext) read
  }
}

/** Encrypts `src` as the chunks of a stream; resolves with the number of plaintext bytes. */
export async function sealStream(src: StreamSource, cipher: ChunkCipher, chunkBytes: number, sink: ChunkSink): Promise<number> {
  await eachPiece(src, chunkBytes, (piece, index, final) => cipher.seal(index, piece, final), sink);
  return src.length;
}

/**
 * Decrypts the chunks of a stream (the bytes after its header) into `sink`, each chunk only once it authenticated;
 * throws ciphertext_tampered / ciphertext_malformed naming the chunk (details.chunk, details.reason). The caller must
 * treat what reached the sink as unauthenticated until this resolves.
 */
export async function openStream(src: StreamSource, cipher: ChunkCipher, chunkBytes: number, sink: ChunkSink): Promise<number> {
  if (src.length === 0) throw malformed('no chunk follows the header: truncated', { chunk: 0, reason: 'truncated' });
  let total = 0;
  await eachPiece(src, chunkBytes + TAG_BYTES, (piece, index, final) => {
    if (piece.length < TAG_BYTES) throw malformed(`ends inside chunk ${index}`, { chunk: index, reason: 'truncated' });
    const plain = cipher.open(index, piece, final);
    if (plain === null) throw chunkFailure(cipher, index, piece, final);
    total += plain.length;
    return [plain];
  }, sink);
  return total;
}

/** Why chunk `index` failed, in the most precise words the bytes allow. */
function chunkFailure(cipher: ChunkCipher, index: number, piece: Buffer, final: boolean): ConsoleError {
  const asOther = cipher.open(index, piece, !final);
  asOther?.fill(0);
  if (asOther && final) {
    return malformed(`ends after chunk ${index}, which is not the final chunk: truncated`, { chunk: index, reason: 'truncated' });
  }
  if (asOther && !final) {
    return new ConsoleError('ciphertext_tampered', `The ciphertext failed authentication: data follows its final chunk (chunk ${index}).`, { chunk: index, reason: 'trailing_data' });
  }
  return new ConsoleError('ciphertext_tampered', `The ciphertext failed authentication at chunk ${index}: it was modified, reordered or spliced after encryption.`, { chunk: index, reason: 'chunk_authentication' });
}
