// The streaming envelope's limits and edges (format 2, docs/ciphertext-format.md), called directly: the chunk size and
// key envelope length ranges on writing and reading, the format test on the first bytes, the file key's AAD, the
// nonce of a large chunk index, the exact refusals (code, message, details), and what the reader hands to its read
// callback (zeroed afterwards). Expected bytes are built here with raw node:crypto from the document's table; nothing
// runs while the file is collected (that would make Stryker's mutants static).
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isConsoleError } from '../../shared/errors.ts';
import {
  ChunkCipher,
  DEFAULT_CHUNK_BYTES,
  FILE_KEY_BYTES,
  fileKeyAad,
  isStreamFormat,
  MAX_CHUNK_BYTES,
  MIN_CHUNK_BYTES,
  newStreamParams,
  openStream,
  parseStreamPrefix,
  sealStream,
  STREAM_FORMAT_VERSION,
  STREAM_PREFIX_BYTES,
  streamHeader,
  type StreamSource,
} from '../../electron/crypto/streamEnvelope.ts';

const AAD = Buffer.from('robot-7/firmware');
const MiB = 1024 * 1024;

function errorOf(f: () => unknown): { code: string; message: string; details: unknown } {
  try {
    f();
  } catch (e) {
    if (isConsoleError(e)) return { code: e.code, message: e.message, details: e.details };
    return { code: `not a ConsoleError: ${String(e)}`, message: '', details: undefined };
  }
  return { code: 'no error', message: '', details: undefined };
}

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string; details: unknown }> {
  try {
    await p;
  } catch (e) {
    if (isConsoleError(e)) return { code: e.code, message: e.message, details: e.details };
    throw e;
  }
  throw new Error('expected a refusal');
}

/** A prefix written by hand from the table: magic, version, C, salt, E. */
function prefix(o: { version?: number; chunk?: number; e?: number; salt?: Buffer } = {}): Buffer {
  const b = Buffer.alloc(45);
  b.write('ECPS', 0, 'ascii');
  b[4] = o.version ?? 2;
  b.writeUInt32BE(o.chunk ?? 65536, 5);
  (o.salt ?? Buffer.alloc(32, 0x5a)).copy(b, 9);
  b.writeUInt32BE(o.e ?? 223, 41);
  return b;
}

/** `data` read by position; keeps every buffer it was asked to fill. */
function source(data: Buffer, start = 0) {
  const given: Buffer[] = [];
  const src: StreamSource = {
    start,
    length: data.length - start,
    read: async (buf, position) => {
      given.push(buf);
      return data.copy(buf, 0, position, Math.min(data.length, position + buf.length));
    },
  };
  return { src, given };
}

/** The raw chunk key and AAD binding of the document, and one chunk opened with them. */
function openByTheTable(fileKey: Buffer, salt: Buffer, header: Buffer, aad: Buffer, index: number, final: boolean, chunk: Buffer): Buffer {
  const key = Buffer.from(crypto.hkdfSync('sha256', fileKey, salt, Buffer.from('ecps/stream/v2/chunk-key', 'utf8'), 32));
  const nonce = Buffer.alloc(12);
  nonce.writeUIntBE(index, 5, 6); // 11-byte big-endian index (at most 2^48 - 1), then the final flag
  nonce[11] = final ? 1 : 0;
  const d = crypto.createDecipheriv('aes-256-gcm', key, nonce);
  d.setAAD(crypto.createHash('sha256').update(Buffer.concat([header, aad])).digest());
  d.setAuthTag(chunk.subarray(chunk.length - 16));
  return Buffer.concat([d.update(chunk.subarray(0, chunk.length - 16)), d.final()]);
}

describe('streaming envelope: constants and the format test', () => {
  it('has the documented sizes', () => {
    expect([STREAM_FORMAT_VERSION, DEFAULT_CHUNK_BYTES, MIN_CHUNK_BYTES, MAX_CHUNK_BYTES, FILE_KEY_BYTES, STREAM_PREFIX_BYTES]).toEqual([2, 65536, 16, 16 * MiB, 32, 45]);
  });

  it('isStreamFormat: "ECPS" then 0x02, at least 5 bytes', () => {
    const table: Array<[Buffer, boolean]> = [
      [Buffer.from('ECPS\u0002'), true],
      [prefix(), true],
      [Buffer.from('ECPS'), false],
      [Buffer.alloc(0), false],
      [Buffer.from('ECPS\u0001'), false],
      [Buffer.from('ECPS\u0003'), false],
      [Buffer.from('XCPS\u0002'), false],
      [Buffer.from('ECPX\u0002'), false],
    ];
    for (const [b, want] of table) expect(isStreamFormat(b), b.toString('hex')).toBe(want);
  });

  it('fileKeyAad is "ecps/stream/v2/file-key" NUL then the caller\'s AAD', () => {
    expect(fileKeyAad(Buffer.from('abc')).equals(Buffer.concat([Buffer.from('ecps/stream/v2/file-key', 'utf8'), Buffer.from([0]), Buffer.from('abc')]))).toBe(true);
    expect(fileKeyAad(Buffer.alloc(0)).toString('hex')).toBe(Buffer.from('ecps/stream/v2/file-key\u0000').toString('hex'));
  });
});

describe('streaming envelope: writing the header', () => {
  it('newStreamParams takes chunk sizes 16 .. 16 MiB (integers) with a fresh 32-byte salt, and refuses the rest with internal', () => {
    for (const c of [16, 17, 65536, 16 * MiB]) {
      const p = newStreamParams(c);
      expect(p.chunkBytes).toBe(c);
      expect(p.salt.length).toBe(32);
    }
    expect(newStreamParams().chunkBytes).toBe(65536);
    expect(newStreamParams(16).salt.equals(newStreamParams(16).salt)).toBe(false);
    for (const c of [15, 0, -16, 16 * MiB + 1, 16.5, Number.NaN]) {
      expect(errorOf(() => newStreamParams(c)), String(c)).toMatchObject({ code: 'internal', message: `A chunk holds 16..${16 * MiB} bytes.` });
    }
  });

  it('streamHeader writes the table\'s prefix then the key envelope; it takes envelopes of 1 .. 16384 bytes only', () => {
    const salt = crypto.randomBytes(32);
    for (const e of [1, 223, 16384]) {
      const env = crypto.randomBytes(e);
      const h = streamHeader({ chunkBytes: 4096, salt }, env);
      expect(h.equals(Buffer.concat([prefix({ chunk: 4096, e, salt }), env])), String(e)).toBe(true);
    }
    for (const e of [0, 16385]) {
      expect(errorOf(() => streamHeader({ chunkBytes: 4096, salt }, Buffer.alloc(e))), String(e)).toMatchObject({
        code: 'internal',
        message: `The file key's envelope is ${e} bytes (1..16384 fit the format).`,
      });
    }
  });
});

describe('streaming envelope: reading the prefix', () => {
  it('reads chunk size, salt and key envelope length at the documented offsets, at both ends of each range', () => {
    const salt = crypto.randomBytes(32);
    for (const [chunk, e] of [[16, 1], [16 * MiB, 16384], [65536, 223]] as const) {
      const p = parseStreamPrefix(prefix({ chunk, e, salt }));
      expect({ chunk: p.chunkBytes, e: p.keyEnvelopeBytes, salt: p.salt.toString('hex') }).toEqual({ chunk, e, salt: salt.toString('hex') });
    }
    // the salt is a copy: the caller's read buffer may be reused
    const b = prefix({ salt });
    const p = parseStreamPrefix(b);
    b.fill(0);
    expect(p.salt.equals(salt)).toBe(true);
  });

  it('refuses each bad prefix with the documented code and words', () => {
    const malformed = (what: string) => ({ code: 'ciphertext_malformed', message: `The ciphertext is incomplete or damaged (${what}).` });
    const cases: Array<[string, Buffer, { code: string; message: string }]> = [
      ['44 bytes', prefix().subarray(0, 44), malformed('ends inside the stream header')],
      ['empty', Buffer.alloc(0), malformed('ends inside the stream header')],
      ['version 1', prefix({ version: 1 }), { code: 'ciphertext_foreign', message: 'This is not a streaming ciphertext of the ECPS console format.' }],
      ['another magic', Buffer.concat([Buffer.from('XCPS'), prefix().subarray(4)]), { code: 'ciphertext_foreign', message: 'This is not a streaming ciphertext of the ECPS console format.' }],
      ['chunk size 15', prefix({ chunk: 15 }), malformed('chunk size out of range')],
      ['chunk size 16 MiB + 1', prefix({ chunk: 16 * MiB + 1 }), malformed('chunk size out of range')],
      ['key envelope length 0', prefix({ e: 0 }), malformed('file key envelope length out of range')],
      ['key envelope length 16385', prefix({ e: 16385 }), malformed('file key envelope length out of range')],
    ];
    for (const [name, b, want] of cases) expect(errorOf(() => parseStreamPrefix(b)), name).toMatchObject(want);
  });
});

describe('streaming envelope: chunks', () => {
  it('a file key of any length but 32 bytes is refused as tampered (what a wrong unwrap would give)', () => {
    for (const n of [0, 16, 31, 33]) {
      expect(errorOf(() => new ChunkCipher(Buffer.alloc(n, 1), Buffer.alloc(32), Buffer.alloc(45), AAD)), String(n)).toMatchObject({
        code: 'ciphertext_tampered',
        message: 'The ciphertext failed authentication: it was modified after encryption.',
      });
    }
  });

  it('the nonce carries a large index in 11 big-endian bytes (up to 2^48 - 1), and the flag in the last byte', () => {
    const fileKey = crypto.randomBytes(32);
    const salt = crypto.randomBytes(32);
    const header = Buffer.concat([prefix({ salt, e: 3 }), Buffer.from('env')]);
    const c = new ChunkCipher(fileKey, salt, header, AAD);
    for (const index of [0, 255, 256, 2 ** 32 + 7, 2 ** 48 - 1]) {
      for (const final of [false, true]) {
        const plain = crypto.randomBytes(20);
        const chunk = Buffer.concat(c.seal(index, plain, final));
        expect(openByTheTable(fileKey, salt, header, AAD, index, final, chunk).equals(plain), `${index}/${final}`).toBe(true);
        expect(c.open(index, chunk, final)!.equals(plain)).toBe(true);
        expect(c.open(index, chunk, !final)).toBeNull();
        expect(c.open(index === 0 ? 1 : index - 1, chunk, final)).toBeNull();
      }
    }
  });

  it('destroy() zeroes the chunk key: a chunk sealed before no longer opens', () => {
    const fileKey = crypto.randomBytes(32);
    const c = new ChunkCipher(fileKey, Buffer.alloc(32, 1), Buffer.alloc(45, 2), AAD);
    const chunk = Buffer.concat(c.seal(0, Buffer.from('secret'), true));
    expect(c.open(0, chunk, true)?.toString()).toBe('secret');
    c.destroy();
    expect(c.open(0, chunk, true)).toBeNull();
    // and it opens again under a fresh cipher over the same inputs
    expect(new ChunkCipher(fileKey, Buffer.alloc(32, 1), Buffer.alloc(45, 2), AAD).open(0, chunk, true)?.toString()).toBe('secret');
  });
});

describe('streaming envelope: sealing and opening a source', () => {
  const setup = (chunkBytes: number) => {
    const fileKey = crypto.randomBytes(32);
    const params = newStreamParams(chunkBytes);
    const header = streamHeader(params, Buffer.from('key envelope'));
    return { fileKey, params, header, cipher: () => new ChunkCipher(fileKey, params.salt, header, AAD) };
  };

  it('seals exactly ceil(n / C) chunks (one for an empty source), each opened by the table; the last one final', async () => {
    for (const [size, chunkBytes] of [[0, 16], [16, 16], [17, 16], [3 * MiB + 5, 65536]] as const) {
      const s = setup(chunkBytes);
      const plaintext = crypto.randomBytes(size);
      const out: Buffer[] = [];
      expect(await sealStream(source(plaintext).src, s.cipher(), chunkBytes, async (parts) => void out.push(...parts))).toBe(size);
      const file = Buffer.concat(out);
      const n = Math.max(1, Math.ceil(size / chunkBytes));
      expect(file.length, `${size}`).toBe(size + 16 * n);
      const opened: Buffer[] = [];
      for (let i = 0; i < n; i++) {
        const chunk = file.subarray(i * (chunkBytes + 16), Math.min(file.length, (i + 1) * (chunkBytes + 16)));
        opened.push(openByTheTable(s.fileKey, s.params.salt, s.header, AAD, i, i === n - 1, chunk));
      }
      expect(Buffer.concat(opened).equals(plaintext), `${size}`).toBe(true);
      const back: Buffer[] = [];
      expect(await openStream(source(file).src, s.cipher(), chunkBytes, async (parts) => void back.push(...parts))).toBe(size);
      expect(Buffer.concat(back).equals(plaintext)).toBe(true);
    }
  });

  it('reads 1 MiB of whole chunks at a time (the batch), from the source\'s start, and zeroes its read buffers at the end', async () => {
    const s = setup(65536);
    const lead = Buffer.alloc(100, 0xee); // bytes before the source's start are never read
    const plaintext = crypto.randomBytes(2 * MiB + 10);
    const { src, given } = source(Buffer.concat([lead, plaintext]), 100);
    const out: Buffer[] = [];
    await sealStream(src, s.cipher(), 65536, async (parts) => void out.push(...parts));
    expect(given.map((b) => b.length)).toEqual([MiB, MiB, 10]);
    for (const b of given) expect(b.every((x) => x === 0)).toBe(true);
    const file = Buffer.concat(out);
    const back: Buffer[] = [];
    const read = source(file);
    await openStream(read.src, s.cipher(), 65536, async (parts) => void back.push(...parts));
    expect(Buffer.concat(back).equals(plaintext)).toBe(true);
    // opening reads whole sealed chunks: as many of 65552 bytes as fit in 1 MiB (15)
    const batch = 15 * 65552;
    expect(file.length).toBe(2 * MiB + 10 + 33 * 16);
    expect(read.given.map((b) => b.length)).toEqual([batch, batch, file.length - 2 * batch]);
    for (const b of read.given) expect(b.every((x) => x === 0)).toBe(true);
  });

  it('a chunk size above 1 MiB is read a chunk at a time', async () => {
    const s = setup(MiB + 16);
    const plaintext = crypto.randomBytes(2 * (MiB + 16) + 3);
    const { src, given } = source(plaintext);
    const out: Buffer[] = [];
    await sealStream(src, s.cipher(), MiB + 16, async (parts) => void out.push(...parts));
    expect(given.map((b) => b.length)).toEqual([MiB + 16, MiB + 16, 3]);
    expect(Buffer.concat(out).length).toBe(plaintext.length + 3 * 16);
  });

  it('a source that ends early is invalid_input naming how many bytes were missing, in the field "in"', async () => {
    const s = setup(16);
    const data = crypto.randomBytes(100);
    const src: StreamSource = { ...source(data.subarray(0, 70)).src, length: 100 };
    expect(await failure(sealStream(src, s.cipher(), 16, async () => undefined))).toEqual({
      code: 'invalid_input',
      message: 'The input changed while it was read: it ended 30 bytes early.',
      details: { field: 'in' },
    });
  });

  // Both failures happen while the other operation is awaited: before the fix of 2026-12-06, Node counted the failed
  // promise as an unhandled rejection and ended the process (vitest reports it as an unhandled error).
  it('a sink that fails is the error of the call, after the read in flight settled', async () => {
    const s = setup(65536);
    const plaintext = crypto.randomBytes(3 * MiB);
    let reads = 0;
    let settledReads = 0;
    const src: StreamSource = {
      start: 0,
      length: plaintext.length,
      read: async (buf, position) => {
        reads++;
        await new Promise((resolve) => setImmediate(resolve));
        settledReads++;
        return plaintext.copy(buf, 0, position, position + buf.length);
      },
    };
    await expect(sealStream(src, s.cipher(), 65536, async () => { throw new Error('disk full'); })).rejects.toThrow('disk full');
    expect(settledReads).toBe(reads);
  });

  it('a source that ends early while a write is in flight is the error of the call, not an unhandled rejection', async () => {
    const s = setup(65536);
    const data = crypto.randomBytes(2 * MiB + 5);
    const src: StreamSource = { start: 0, length: 3 * MiB, read: async (buf, position) => data.copy(buf, 0, position, Math.min(data.length, position + buf.length)) };
    let writes = 0;
    const slowSink = async () => {
      await new Promise((resolve) => setImmediate(resolve));
      writes++;
    };
    expect(await failure(sealStream(src, s.cipher(), 65536, slowSink))).toMatchObject({ code: 'invalid_input', message: `The input changed while it was read: it ended ${MiB - 5} bytes early.` });
    expect(writes).toBe(2);
  });

  it('an empty chunk area, and each chunk failure, carry code, words and details as documented', async () => {
    const s = setup(16);
    expect(await failure(openStream(source(Buffer.alloc(0)).src, s.cipher(), 16, async () => undefined))).toEqual({
      code: 'ciphertext_malformed',
      message: 'The ciphertext is incomplete or damaged (no chunk follows the header: truncated).',
      details: { chunk: 0, reason: 'truncated' },
    });
    const c = s.cipher();
    const seal = (i: number, final: boolean) => Buffer.concat(c.seal(i, Buffer.alloc(16, i), final));
    const open = async (b: Buffer) => failure(openStream(source(b).src, s.cipher(), 16, async () => undefined));
    expect(await open(Buffer.concat([seal(0, false), seal(1, false)]))).toEqual({
      code: 'ciphertext_malformed',
      message: 'The ciphertext is incomplete or damaged (ends after chunk 1, which is not the final chunk: truncated).',
      details: { chunk: 1, reason: 'truncated' },
    });
    expect(await open(Buffer.concat([seal(0, true), seal(1, true)]))).toEqual({
      code: 'ciphertext_tampered',
      message: 'The ciphertext failed authentication: data follows its final chunk (chunk 0).',
      details: { chunk: 0, reason: 'trailing_data' },
    });
    expect(await open(Buffer.concat([seal(1, false), seal(0, true)]))).toEqual({
      code: 'ciphertext_tampered',
      message: 'The ciphertext failed authentication at chunk 0: it was modified, reordered or spliced after encryption.',
      details: { chunk: 0, reason: 'chunk_authentication' },
    });
    expect(await open(Buffer.concat([seal(0, false), seal(1, true).subarray(0, 15)]))).toEqual({
      code: 'ciphertext_malformed',
      message: 'The ciphertext is incomplete or damaged (ends inside chunk 1).',
      details: { chunk: 1, reason: 'truncated' },
    });
    // a final chunk of exactly a tag (empty plaintext) is a whole chunk
    const back: Buffer[] = [];
    expect(await openStream(source(Buffer.concat([seal(0, false), Buffer.concat(c.seal(1, Buffer.alloc(0), true))])).src, s.cipher(), 16, async (p) => void back.push(...p))).toBe(16);
  });
});
