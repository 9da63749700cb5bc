// The streaming envelope (format 2, docs/ciphertext-format.md) without a console: a fixed file key, chunks sealed and
// opened by electron/crypto/streamEnvelope.ts. The layout is checked against the document with raw node:crypto, the
// round trip at sizes around chunk boundaries and read sizes, and every tampering case in a table.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isConsoleError } from '../../shared/errors.ts';
import {
  ChunkCipher,
  DEFAULT_CHUNK_BYTES,
  newStreamParams,
  openStream,
  parseStreamPrefix,
  sealStream,
  STREAM_PREFIX_BYTES,
  streamHeader,
  type StreamSource,
} from '../../electron/crypto/streamEnvelope.ts';

const KEY_ENVELOPE = Buffer.from('stands in for the format-1 envelope of the file key');
const AAD = Buffer.from('robot-7/firmware');

/** `data` from `start`, read by position at most `readBytes` at a time (a file may return short reads). */
function reads(data: Buffer, readBytes = Infinity, start = 0): StreamSource {
  return {
    start,
    length: data.length - start,
    read: async (buf, position) => data.copy(buf, 0, position, Math.min(data.length, position + Math.min(buf.length, readBytes))),
  };
}

async function seal(plaintext: Buffer, o: { chunkBytes: number; fileKey?: Buffer; salt?: Buffer; aad?: Buffer; readBytes?: number }): Promise<Buffer> {
  const params = { ...newStreamParams(o.chunkBytes), ...(o.salt ? { salt: o.salt } : {}) };
  const header = streamHeader(params, KEY_ENVELOPE);
  const cipher = new ChunkCipher(o.fileKey ?? FILE_KEY, params.salt, header, o.aad ?? AAD);
  const out: Buffer[] = [header];
  const bytes = await sealStream(reads(plaintext, o.readBytes), cipher, params.chunkBytes, async (parts) => void out.push(...parts));
  expect(bytes).toBe(plaintext.length);
  return Buffer.concat(out);
}

/** A stream sealed chunk by chunk with the final flags given (a writer that stopped early, or flagged too soon). */
function sealWithFlags(plaintext: Buffer, finals: boolean[]): Buffer {
  const params = newStreamParams(CHUNK);
  const header = streamHeader(params, KEY_ENVELOPE);
  const cipher = new ChunkCipher(FILE_KEY, params.salt, header, AAD);
  const parts = finals.flatMap((final, i) => cipher.seal(i, plaintext.subarray(i * CHUNK, (i + 1) * CHUNK), final));
  return Buffer.concat([header, ...parts]);
}

async function open(file: Buffer, o: { fileKey?: Buffer; aad?: Buffer; readBytes?: number } = {}): Promise<Buffer> {
  const p = parseStreamPrefix(file.subarray(0, STREAM_PREFIX_BYTES));
  const headerBytes = STREAM_PREFIX_BYTES + p.keyEnvelopeBytes;
  const cipher = new ChunkCipher(o.fileKey ?? FILE_KEY, p.salt, file.subarray(0, headerBytes), o.aad ?? AAD);
  const out: Buffer[] = [];
  await openStream(reads(file, o.readBytes, headerBytes), cipher, p.chunkBytes, async (parts) => void out.push(...parts));
  return Buffer.concat(out);
}

async function failure(p: Promise<unknown>, what = 'it'): Promise<{ code: string; reason: unknown; chunk: unknown }> {
  try {
    await p;
  } catch (e) {
    if (isConsoleError(e)) return { code: e.code, reason: e.details?.reason, chunk: e.details?.chunk };
    throw e;
  }
  throw new Error(`expected a refusal: ${what} opened`);
}

const FILE_KEY = crypto.randomBytes(32);
const CHUNK = 64;
/** Header length as docs/ciphertext-format.md counts it: 4 + 1 + 4 + 32 + 4, then the key envelope. */
const H = 45 + KEY_ENVELOPE.length;
const SEALED = CHUNK + 16;

describe('streaming envelope: layout', () => {
  it('is laid out as documented: header, then chunks under HKDF(file key, salt), nonce = 11-byte index + final flag, AAD = SHA-256(header || aad)', async () => {
    const plaintext = crypto.randomBytes(2 * CHUNK + 10);
    const file = await seal(plaintext, { chunkBytes: CHUNK });
    expect(file.subarray(0, 5)).toEqual(Buffer.from([0x45, 0x43, 0x50, 0x53, 2]));
    expect(file.readUInt32BE(5)).toBe(CHUNK);
    expect(file.readUInt32BE(41)).toBe(KEY_ENVELOPE.length);
    expect(file.subarray(45, H)).toEqual(KEY_ENVELOPE);
    expect(file.length).toBe(H + 2 * SEALED + 10 + 16);
    const salt = file.subarray(9, 41);
    const key = Buffer.from(crypto.hkdfSync('sha256', FILE_KEY, salt, Buffer.from('ecps/stream/v2/chunk-key'), 32));
    const binding = crypto.createHash('sha256').update(Buffer.concat([file.subarray(0, H), AAD])).digest();
    const chunks = [file.subarray(H, H + SEALED), file.subarray(H + SEALED, H + 2 * SEALED), file.subarray(H + 2 * SEALED)];
    const opened = chunks.map((c, i) => {
      const nonce = Buffer.alloc(12);
      nonce[10] = i;
      nonce[11] = i === 2 ? 1 : 0;
      const d = crypto.createDecipheriv('aes-256-gcm', key, nonce);
      d.setAAD(binding);
      d.setAuthTag(c.subarray(c.length - 16));
      return Buffer.concat([d.update(c.subarray(0, c.length - 16)), d.final()]);
    });
    expect(Buffer.concat(opened).equals(plaintext)).toBe(true);
  });

  it('round-trips at sizes around chunk boundaries and batches, whatever the reads return; an empty file is one empty final chunk', async () => {
    for (const chunkBytes of [CHUNK, DEFAULT_CHUNK_BYTES]) {
      const batch = Math.floor((1024 * 1024) / chunkBytes) * chunkBytes; // what one read asks for (1 MiB of whole chunks)
      const batches = chunkBytes === DEFAULT_CHUNK_BYTES ? [batch + 1, 2 * batch + chunkBytes] : []; // the batch logic is the same for any chunk size
      for (const size of [0, 1, chunkBytes - 1, chunkBytes, chunkBytes + 1, 3 * chunkBytes, ...batches]) {
        const plaintext = crypto.randomBytes(size);
        for (const readBytes of [7, 1000, chunkBytes + 16, Infinity]) {
          if (size > 4 * CHUNK && readBytes < 1000) continue; // byte-sized reads of big inputs add time, not cases
          const file = await seal(plaintext, { chunkBytes, readBytes });
          const chunks = Math.max(1, Math.ceil(size / chunkBytes));
          expect(file.length, `${chunkBytes}/${size}`).toBe(H + size + 16 * chunks);
          expect((await open(file, { readBytes })).equals(plaintext), `${chunkBytes}/${size}/${readBytes}`).toBe(true);
        }
      }
    }
  });
});

describe('streaming envelope: the source', () => {
  it('refuses a source that ends before its announced length (a file that shrank while read) with invalid_input', async () => {
    const params = newStreamParams(CHUNK);
    const header = streamHeader(params, KEY_ENVELOPE);
    const cipher = new ChunkCipher(FILE_KEY, params.salt, header, AAD);
    const data = crypto.randomBytes(3 * CHUNK);
    const shrunk = { ...reads(data.subarray(0, 2 * CHUNK)), length: data.length };
    const out: Buffer[] = [];
    expect(await failure(sealStream(shrunk, cipher, CHUNK, async (parts) => void out.push(...parts)))).toMatchObject({ code: 'invalid_input' });
    expect(out).toEqual([]);
  });
});

describe('streaming envelope: every tampering case is refused with a typed error', () => {
  it('refuses each case in the table', async () => {
    const plaintext = crypto.randomBytes(3 * CHUNK + 8); // chunks 0..2 full, chunk 3 final with 8 bytes
    const exact = crypto.randomBytes(3 * CHUNK); // chunk 2 is full and final
    const file = await seal(plaintext, { chunkBytes: CHUNK });
    const exactFile = await seal(exact, { chunkBytes: CHUNK });
    const other = await seal(plaintext, { chunkBytes: CHUNK, fileKey: crypto.randomBytes(32) });
    const sameKeyNewSalt = await seal(plaintext, { chunkBytes: CHUNK });
    const header = file.subarray(0, H);
    const chunk = (f: Buffer, i: number) => f.subarray(H + i * SEALED, Math.min(f.length, H + (i + 1) * SEALED));
    const flip = (f: Buffer, at: number) => {
      const c = Buffer.from(f);
      c[at]! ^= 0x01;
      return c;
    };
    const setU32 = (f: Buffer, at: number, v: number) => {
      const c = Buffer.from(f);
      c.writeUInt32BE(v, at);
      return c;
    };
    const cases: Array<[string, Buffer, { code: string; reason?: string; chunk?: number }]> = [
      ['truncated: the final chunk dropped', file.subarray(0, H + 3 * SEALED), { code: 'ciphertext_malformed', reason: 'truncated', chunk: 2 }],
      ['truncated: only the header left', header, { code: 'ciphertext_malformed', reason: 'truncated', chunk: 0 }],
      ['truncated inside the final chunk, shorter than a tag', file.subarray(0, file.length - 10), { code: 'ciphertext_malformed', reason: 'truncated', chunk: 3 }],
      ['truncated inside a middle chunk', file.subarray(0, H + SEALED + 40), { code: 'ciphertext_tampered', reason: 'chunk_authentication', chunk: 1 }],
      ['reordered: chunks 0 and 1 swapped', Buffer.concat([header, chunk(file, 1), chunk(file, 0), chunk(file, 2), chunk(file, 3)]), { code: 'ciphertext_tampered', chunk: 0 }],
      ['a chunk duplicated', Buffer.concat([header, chunk(file, 0), chunk(file, 0), chunk(file, 1), chunk(file, 2), chunk(file, 3)]), { code: 'ciphertext_tampered', chunk: 1 }],
      ['a middle chunk dropped', Buffer.concat([header, chunk(file, 0), chunk(file, 2), chunk(file, 3)]), { code: 'ciphertext_tampered', chunk: 1 }],
      ['the final chunk moved forward', Buffer.concat([header, chunk(file, 0), chunk(file, 3)]), { code: 'ciphertext_tampered', chunk: 1 }],
      ['a chunk spliced from another file', Buffer.concat([header, chunk(file, 0), chunk(other, 1), chunk(file, 2), chunk(file, 3)]), { code: 'ciphertext_tampered', chunk: 1 }],
      ['a chunk spliced from a file with the same file key and another salt', Buffer.concat([header, chunk(file, 0), chunk(sameKeyNewSalt, 1), chunk(file, 2), chunk(file, 3)]), { code: 'ciphertext_tampered', chunk: 1 }],
      ["another file's header on these chunks", Buffer.concat([other.subarray(0, H), file.subarray(H)]), { code: 'ciphertext_tampered', chunk: 0 }],
      ['a salt byte modified', flip(file, 20), { code: 'ciphertext_tampered', chunk: 0 }],
      ['a key envelope byte modified', flip(file, 50), { code: 'ciphertext_tampered', chunk: 0 }],
      ['the chunk size changed to another valid size', setU32(file, 5, CHUNK + 16), { code: 'ciphertext_tampered', chunk: 0 }],
      ['the chunk size out of range', setU32(file, 5, 0), { code: 'ciphertext_malformed' }],
      ['the key envelope length out of range', setU32(file, 41, 0), { code: 'ciphertext_malformed' }],
      ['the format version changed', flip(file, 4), { code: 'ciphertext_foreign' }],
      ['a byte of the final tag flipped', flip(file, file.length - 1), { code: 'ciphertext_tampered', chunk: 3 }],
      ['trailing garbage after a short final chunk', Buffer.concat([file, Buffer.from('x')]), { code: 'ciphertext_tampered', chunk: 3 }],
      ['trailing garbage after a full final chunk', Buffer.concat([exactFile, Buffer.from('garbage')]), { code: 'ciphertext_tampered', reason: 'trailing_data', chunk: 2 }],
      ['a whole extra chunk after the final one', Buffer.concat([file, chunk(file, 3)]), { code: 'ciphertext_tampered', chunk: 3 }],
      ['final flag removed: every chunk present, the last one sealed as not final', sealWithFlags(plaintext, [false, false, false, false]), { code: 'ciphertext_malformed', reason: 'truncated', chunk: 3 }],
      ['final flag on a middle chunk, chunks after it', sealWithFlags(plaintext, [false, true, false, true]), { code: 'ciphertext_tampered', reason: 'trailing_data', chunk: 1 }],
      ['empty', Buffer.alloc(0), { code: 'ciphertext_malformed' }],
      ['shorter than the header', file.subarray(0, 30), { code: 'ciphertext_malformed' }],
    ];
    // every case runs, and the failure lists each one that was not refused as the table says
    const wrong: string[] = [];
    for (const [name, bytes, want] of cases) {
      const got = await failure(open(bytes), name).catch((e: unknown) => ({ code: String(e), reason: undefined, chunk: undefined }));
      const expected = { code: want.code, reason: want.reason ?? got.reason, chunk: want.chunk ?? got.chunk };
      if (got.code !== expected.code || got.reason !== expected.reason || got.chunk !== expected.chunk) wrong.push(`${name}: ${JSON.stringify(got)}`);
    }
    expect(wrong).toEqual([]);
    // the wrong associated data, or the wrong file key, fails the first chunk
    expect(await failure(open(file, { aad: Buffer.from('robot-8/firmware') }))).toMatchObject({ code: 'ciphertext_tampered', chunk: 0 });
    expect(await failure(open(file, { fileKey: crypto.randomBytes(32) }))).toMatchObject({ code: 'ciphertext_tampered', chunk: 0 });
    // and the untouched files still open
    expect((await open(file)).equals(plaintext)).toBe(true);
    expect((await open(exactFile)).equals(exact)).toBe(true);
  });

  it('refuses a flipped bit at every position of a small file, and hands out only chunks that authenticated', async () => {
    const plaintext = crypto.randomBytes(2 * CHUNK + 5);
    const file = await seal(plaintext, { chunkBytes: CHUNK });
    for (let at = 0; at < file.length; at++) {
      const bad = Buffer.from(file);
      bad[at]! ^= 0x80;
      const received: Buffer[] = [];
      let error: unknown = null;
      try {
        const p = parseStreamPrefix(bad.subarray(0, STREAM_PREFIX_BYTES));
        const headerBytes = STREAM_PREFIX_BYTES + p.keyEnvelopeBytes;
        const cipher = new ChunkCipher(FILE_KEY, p.salt, bad.subarray(0, headerBytes), AAD);
        await openStream(reads(bad, 13, headerBytes), cipher, p.chunkBytes, async (parts) => void received.push(...parts));
      } catch (e) {
        error = e;
      }
      expect(isConsoleError(error), `byte ${at}`).toBe(true);
      // what reached the sink is a prefix of the plaintext made of whole chunks before the damaged one
      const got = Buffer.concat(received);
      expect(got.length % CHUNK, `byte ${at}`).toBe(0);
      expect(got.equals(plaintext.subarray(0, got.length)), `byte ${at}`).toBe(true);
      if (at < H + SEALED) expect(got.length, `byte ${at}`).toBe(0);
    }
  });
});
