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

/**
 * Cuts a byte stream into pieces of `size`, holding each full piece back until the next byte shows it is not the last:
 * the last piece is flagged final (it is empty only when the whole stream is). Pieces are views where a read holds a
 * whole one, copies where one spans reads.
 */
export async function* pieces(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<{ piece: Buffer; final: boolean }> {
  let held: Buffer | null = null;
  let part = Buffer.allocUnsafe(size);
  let fill = 0;
  for await (const read of source) {
    const data = Buffer.isBuffer(read) ? read : Buffer.from(read.buffer, read.byteOffset, read.byteLength);
    let at = 0;
    while (at < data.length) {
      if (held) {
        yield { piece: held, final: false };
        held = null;
      }
      if (fill === 0 && data.length - at >= size) {
        held = data.subarray(at, at + size);
        at += size;
        continue;
      }
      const n = Math.min(size - fill, data.length - at);
      data.copy(part, fill, at, at + n);
      fill += n;
      at += n;
      if (fill === size) {
        held = part;
        part = Buffer.allocUnsafe(size);
        fill = 0;
      }
    }
  }
  yield held ? { piece: held, final: true } : { piece: part.subarray(0, fill), final: true };
}

/** Sink of output buffers (e.g. one writev of a file handle); called with about `batchBytes` at a time. */
export type ChunkSink = (parts: Buffer[]) => Promise<void>;
const BATCH_BYTES = 1024 * 1024;

async function batched(sink: ChunkSink, produce: (emit: (b: Buffer) => Promise<void>) => Promise<void>): Promise<void> {
  let batch: Buffer[] = [];
  let size = 0;
  await produce(async (b) => {
    batch.push(b);
    size += b.length;
    if (size >= BATCH_BYTES) {
      const out = batch;
      batch = [];
      size = 0;
      await sink(out);
    }
  });
  if (batch.length > 0) await sink(batch);
}

/** Encrypts `source` as the chunks of a stream; resolves with the number of plaintext bytes. */
export async function sealStream(source: AsyncIterable<Uint8Array>, cipher: ChunkCipher, chunkBytes: number, sink: ChunkSink): Promise<number> {
  let index = 0;
  let total = 0;
  await batched(sink, async (emit) => {
    for await (const { piece, final } of pieces(source, chunkBytes)) {
      const [body, tag] = cipher.seal(index++, piece, final);
      total += piece.length;
      await emit(body);
      await emit(tag);
    }
  });
  return total;
}

/**
 * Decrypts the chunks of a stream (the bytes after its header) into `sink`, chunk by chunk, each only once it
 * authenticated; throws ciphertext_tampered / ciphertext_malformed naming the chunk (details.chunk, details.reason).
 * The caller must treat what reached the sink as unauthenticated until this resolves.
 */
export async function openStream(source: AsyncIterable<Uint8Array>, cipher: ChunkCipher, chunkBytes: number, sink: ChunkSink): Promise<number> {
  let index = 0;
  let total = 0;
  await batched(sink, async (emit) => {
    for await (const { piece, final } of pieces(source, chunkBytes + TAG_BYTES)) {
      if (piece.length === 0 && index === 0) throw malformed('no chunk follows the header: truncated', { chunk: 0, reason: 'truncated' });
      if (piece.length < TAG_BYTES) throw malformed(`ends inside chunk ${index}`, { chunk: index, reason: 'truncated' });
      const plain = cipher.open(index, piece, final);
      if (plain === null) throw chunkFailure(cipher, index, piece, final);
      index++;
      total += plain.length;
      await emit(plain);
    }
  });
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
