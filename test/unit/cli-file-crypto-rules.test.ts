// The CLI's file encryption (electron/ipc/cli/fileCrypto.ts) called directly, with real files in a temp dir and real
// crypto, against docs/ciphertext-format.md ("Streaming format (version 2)") and docs/cli.md.
//
// The router's keys:encrypt / keys:decrypt are served here by the real format-1 envelope (electron/crypto/envelope.ts)
// under a key held by this test: the same bytes, checks and typed errors as the local provider (store id, tampered
// wrap, aad_mismatch), without opening a console (a console in this file would make every audit mutant static,
// vitest.mutate.config.ts). The whole CLI path with a real store is test/integration/cli-file-crypto.slow.test.ts.
//
// Every file is checked and every tampered file is built by hand with raw node:crypto from the documented layout:
// prefix (magic, version 2, chunk size, salt, E), the file key's envelope opened with "ecps/stream/v2/file-key\0" ||
// aad, chunk key = HKDF-SHA256(file key, salt, "ecps/stream/v2/chunk-key"), nonce = 11-byte index || final flag,
// GCM AAD = SHA-256(header || aad).
//
// Last, writeWholeFile, the same temp-file-and-move output as one call: every whole --out file the CLI and the offline
// kit window write (docs/cli.md, "Output files").
import crypto from 'node:crypto';
import { chmodSync, existsSync, fstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleError, isConsoleError } from '../../shared/errors.ts';
import { encryptEnvelope, openEnvelopeBody, parseEnvelope, tampered } from '../../electron/crypto/envelope.ts';
import { decryptFile, encryptFile, writeWholeFile, type OutputFs, type RouterCall } from '../../electron/ipc/cli/fileCrypto.ts';

const STORE_ID = '0f1e2d3c-4b5a-4697-8877-665544332211';
const KEY_ID = '6adc3764-1111-4222-8333-944455556666';
const VERSION = 3;
const CHUNK = 64; // small chunks keep the tampering cases small; the CLI's default is checked once
const TAG = 16;
const SEALED = CHUNK + TAG;
const AAD = Buffer.from('robot-7/firmware');

// ---------------------------------------------------------------------------------------------------------------------
// keys:encrypt / keys:decrypt over the real format-1 envelope, with hooks to act between the calls.

interface Service {
  call: RouterCall;
  calls: string[];
  /** Every file key keys:encrypt was given, and every plaintext keys:decrypt returned (to see them zeroed). */
  given: Buffer[];
  returned: Uint8Array[];
  /** Runs inside keys:encrypt / keys:decrypt, after the request was taken. */
  during?: () => void;
  /** What keys:decrypt returns as plaintext (default: a fresh buffer of its own). */
  shape?: (plain: Buffer) => Uint8Array;
  disabled?: boolean;
}

function service(wrapKey = crypto.randomBytes(32)): Service {
  const s: Service = {
    calls: [],
    given: [],
    returned: [],
    call: (async (channel: string, input: unknown) => {
      s.calls.push(channel);
      s.during?.();
      if (s.disabled) throw new ConsoleError('key_disabled', 'The key is disabled.');
      if (channel === 'keys:encrypt') {
        const { keyId, plaintext, aad } = input as { keyId: string; plaintext: Buffer; aad: Buffer };
        s.given.push(plaintext);
        const recipient = {
          provider: 'local',
          keyRef: keyId,
          keyVersion: VERSION,
          wrap: (dataKey: Buffer, context: Buffer) => {
            const iv = crypto.randomBytes(12);
            const c = crypto.createCipheriv('aes-256-gcm', wrapKey, iv);
            c.setAAD(context);
            return Buffer.concat([iv, c.update(dataKey), c.final(), c.getAuthTag()]);
          },
        };
        return { ciphertext: new Uint8Array(encryptEnvelope(STORE_ID, [recipient], Buffer.from(plaintext), aad)), keyId, version: VERSION };
      }
      if (channel === 'keys:decrypt') {
        const { ciphertext, aad } = input as { ciphertext: Buffer; aad: Buffer };
        const env = parseEnvelope(Buffer.from(ciphertext));
        if (env.storeId !== STORE_ID) throw new ConsoleError('ciphertext_foreign', 'another store');
        const e = env.entries[0]!;
        if (e.keyRef !== KEY_ID) throw tampered();
        let dataKey: Buffer;
        try {
          const d = crypto.createDecipheriv('aes-256-gcm', wrapKey, e.wrapped.subarray(0, 12));
          d.setAAD(env.wrapContext);
          d.setAuthTag(e.wrapped.subarray(e.wrapped.length - 16));
          dataKey = Buffer.concat([d.update(e.wrapped.subarray(12, e.wrapped.length - 16)), d.final()]);
        } catch {
          throw tampered();
        }
        const plain = openEnvelopeBody(env, dataKey, aad);
        const out = s.shape ? s.shape(plain) : new Uint8Array(plain);
        s.returned.push(out);
        return { plaintext: out, keyId: e.keyRef, version: e.keyVersion };
      }
      throw new Error(`unexpected channel ${channel}`);
    }) as RouterCall,
  };
  return s;
}

// ---------------------------------------------------------------------------------------------------------------------
// The documented layout, by hand.

const FILE_KEY_AAD = (aad: Buffer) => Buffer.concat([Buffer.from('ecps/stream/v2/file-key\u0000', 'utf8'), aad]);

interface Parsed {
  chunkBytes: number;
  salt: Buffer;
  header: Buffer;
  keyEnvelope: Buffer;
  chunks: Buffer[];
}

function parse(file: Buffer): Parsed {
  expect(file.subarray(0, 4).toString('latin1')).toBe('ECPS');
  expect(file[4]).toBe(2);
  const chunkBytes = file.readUInt32BE(5);
  const salt = file.subarray(9, 41);
  const e = file.readUInt32BE(41);
  const header = file.subarray(0, 45 + e);
  const chunks: Buffer[] = [];
  for (let at = 45 + e; at < file.length; at += chunkBytes + TAG) chunks.push(file.subarray(at, Math.min(file.length, at + chunkBytes + TAG)));
  return { chunkBytes, salt, header, keyEnvelope: file.subarray(45, 45 + e), chunks };
}

async function fileKeyOf(s: Service, p: Parsed, aad: Buffer): Promise<Buffer> {
  const r = (await s.call('keys:decrypt', { ciphertext: p.keyEnvelope, aad: FILE_KEY_AAD(aad) })) as { plaintext: Uint8Array };
  return Buffer.from(r.plaintext);
}

const chunkKey = (fileKey: Buffer, salt: Buffer) => Buffer.from(crypto.hkdfSync('sha256', fileKey, salt, Buffer.from('ecps/stream/v2/chunk-key'), 32));
function nonce(index: number, final: boolean): Buffer {
  const n = Buffer.alloc(12);
  n.writeUIntBE(index, 5, 6);
  n[11] = final ? 1 : 0;
  return n;
}
const binding = (header: Buffer, aad: Buffer) => crypto.createHash('sha256').update(Buffer.concat([header, aad])).digest();

function openChunk(key: Buffer, bind: Buffer, index: number, chunk: Buffer, final: boolean): Buffer {
  const d = crypto.createDecipheriv('aes-256-gcm', key, nonce(index, final));
  d.setAAD(bind);
  d.setAuthTag(chunk.subarray(chunk.length - TAG));
  return Buffer.concat([d.update(chunk.subarray(0, chunk.length - TAG)), d.final()]);
}

function sealChunk(key: Buffer, bind: Buffer, index: number, plain: Buffer, final: boolean): Buffer {
  const c = crypto.createCipheriv('aes-256-gcm', key, nonce(index, final));
  c.setAAD(bind);
  return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
}

/** Opens a written file by hand: every chunk with its index, the last one (only) with the final flag. */
async function openByHand(s: Service, file: Buffer, aad: Buffer): Promise<Buffer> {
  const p = parse(file);
  const key = chunkKey(await fileKeyOf(s, p, aad), p.salt);
  const bind = binding(p.header, aad);
  return Buffer.concat(p.chunks.map((c, i) => openChunk(key, bind, i, c, i === p.chunks.length - 1)));
}

// ---------------------------------------------------------------------------------------------------------------------

let dir: string;
let n = 0;
const fresh = (name: string) => join(dir, `${name}-${++n}`);
const leftovers = () => readdirSync(dir, { recursive: true }).map(String).filter((f) => f.includes('.partial'));

async function failure(p: Promise<unknown>): Promise<ConsoleError> {
  try {
    await p;
  } catch (e) {
    if (isConsoleError(e)) return e;
    throw e;
  }
  throw new Error('expected a typed error, it succeeded');
}

async function encryptTo(s: Service, plaintext: Buffer, o: { aad?: Buffer; chunk?: number } = {}): Promise<{ path: string; file: Buffer }> {
  const inPath = fresh('plain');
  writeFileSync(inPath, plaintext);
  const outPath = fresh('enc');
  await encryptFile(s.call, KEY_ID, { inPath, outPath, aad: o.aad ?? AAD, force: false }, o.chunk ?? CHUNK);
  return { path: outPath, file: readFileSync(outPath) };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ecps-file-crypto-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('encrypt: the documented format-2 layout', () => {
  it('writes prefix, key envelope and chunks as documented, at sizes around the chunk; decrypt gives the bytes back', async () => {
    const s = service();
    for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 5]) {
      const plaintext = crypto.randomBytes(size);
      const inPath = fresh('plain');
      writeFileSync(inPath, plaintext);
      const outPath = fresh('enc');
      const r = await encryptFile(s.call, KEY_ID, { inPath, outPath, aad: AAD, force: false }, CHUNK);
      expect(r).toEqual({ keyId: KEY_ID, version: VERSION, bytes: size, format: 2 });
      const file = readFileSync(outPath);
      const p = parse(file);
      expect(p.chunkBytes).toBe(CHUNK);
      expect(file.length, `${size}`).toBe(45 + p.keyEnvelope.length + size + TAG * Math.max(1, Math.ceil(size / CHUNK)));
      expect((await openByHand(s, file, AAD)).equals(plaintext), `${size}`).toBe(true);
      expect(statSync(outPath).mode & 0o777).toBe(0o600);

      const back = fresh('dec');
      expect(await decryptFile(s.call, { inPath: outPath, outPath: back, aad: AAD, force: false })).toEqual({ keyId: KEY_ID, version: VERSION, bytes: size, format: 2 });
      expect(readFileSync(back).equals(plaintext), `${size}`).toBe(true);
      expect(statSync(back).mode & 0o777).toBe(0o600);
    }
    expect(leftovers()).toEqual([]);
  });

  it('uses 64 KiB chunks by default, a fresh salt and file key per file, and one keys:encrypt per file', async () => {
    const s = service();
    const plaintext = crypto.randomBytes(65536 + 10);
    const inPath = fresh('plain');
    writeFileSync(inPath, plaintext);
    const a = fresh('enc');
    const b = fresh('enc');
    await encryptFile(s.call, KEY_ID, { inPath, outPath: a, aad: AAD, force: false });
    await encryptFile(s.call, KEY_ID, { inPath, outPath: b, aad: AAD, force: false });
    expect(s.calls).toEqual(['keys:encrypt', 'keys:encrypt']);
    const fa = readFileSync(a);
    const fb = readFileSync(b);
    expect(parse(fa).chunkBytes).toBe(65536);
    expect(parse(fa).chunks.map((c) => c.length)).toEqual([65536 + TAG, 10 + TAG]);
    expect(parse(fa).salt.equals(parse(fb).salt)).toBe(false);
    expect((await fileKeyOf(s, parse(fa), AAD)).equals(await fileKeyOf(s, parse(fb), AAD))).toBe(false);
    expect((await openByHand(s, fa, AAD)).equals(plaintext)).toBe(true);
  });

  it('seals a 32-byte random file key with the domain-separated AAD, and wipes it afterwards', async () => {
    const s = service();
    const { file } = await encryptTo(s, Buffer.from('x'));
    expect(s.given).toHaveLength(1);
    expect(s.given[0]!.length).toBe(32);
    expect(s.given[0]!.every((b) => b === 0)).toBe(true); // zeroed once the file is written
    const p = parse(file);
    // the file key opens with "ecps/stream/v2/file-key\0" || aad, and not with the bare aad
    expect((await fileKeyOf(s, p, AAD)).length).toBe(32);
    expect((await failure(s.call('keys:decrypt', { ciphertext: p.keyEnvelope, aad: AAD }))).code).toBe('aad_mismatch');
  });

  it('binds the associated data: the empty AAD and another AAD are different files', async () => {
    const s = service();
    const { path } = await encryptTo(s, Buffer.from('firmware image'), { aad: Buffer.alloc(0) });
    const out = fresh('dec');
    expect((await failure(decryptFile(s.call, { inPath: path, outPath: out, aad: AAD, force: false }))).code).toBe('aad_mismatch');
    expect(existsSync(out)).toBe(false);
    await decryptFile(s.call, { inPath: path, outPath: out, aad: Buffer.alloc(0), force: false });
    expect(readFileSync(out, 'utf8')).toBe('firmware image');
  });

  it('writes files larger than one read batch (1 MiB) in order', async () => {
    const s = service();
    const plaintext = crypto.randomBytes(2 * 1024 * 1024 + 123);
    const { path, file } = await encryptTo(s, plaintext, { chunk: 65536 });
    expect((await openByHand(s, file, AAD)).equals(plaintext)).toBe(true);
    const out = fresh('dec');
    expect((await decryptFile(s.call, { inPath: path, outPath: out, aad: AAD, force: false })).bytes).toBe(plaintext.length);
    expect(readFileSync(out).equals(plaintext)).toBe(true);
  });
});

describe('decrypt: every tampered file is refused with its documented error and leaves no file', () => {
  // plaintext of 3 full chunks and a final one of 20 bytes: chunks 0, 1, 2, 3 (final)
  const PLAIN = crypto.randomBytes(3 * CHUNK + 20);
  let s: Service;
  let victim: Buffer;
  let other: Buffer;
  let p: Parsed;
  let key: Buffer;
  let bind: Buffer;

  beforeAll(async () => {
    s = service();
    victim = (await encryptTo(s, PLAIN)).file;
    other = (await encryptTo(s, PLAIN)).file; // same user key, its own file key and salt
    p = parse(victim);
    key = chunkKey(await fileKeyOf(s, p, AAD), p.salt);
    bind = binding(p.header, AAD);
  });

  const part = (i: number) => PLAIN.subarray(i * CHUNK, Math.min(PLAIN.length, (i + 1) * CHUNK));
  const cat = (...b: Buffer[]) => Buffer.concat(b);

  type Case = [name: string, file: () => Buffer, code: string, details?: Record<string, unknown>];
  const cases: Case[] = [
    ['empty file', () => Buffer.alloc(0), 'ciphertext_malformed', { reason: 'empty' }],
    ['shorter than the 45-byte prefix', () => victim.subarray(0, 44), 'ciphertext_malformed'],
    ['cut inside the key envelope', () => victim.subarray(0, 60), 'ciphertext_malformed', { reason: 'truncated' }],
    ['cut one byte before the end of the header', () => p.header.subarray(0, p.header.length - 1), 'ciphertext_malformed', { reason: 'truncated' }],
    ['header only (every chunk dropped)', () => p.header, 'ciphertext_malformed', { reason: 'truncated' }],
    ['cut at a chunk boundary: final chunk dropped', () => cat(p.header, ...p.chunks.slice(0, 3)), 'ciphertext_malformed', { chunk: 2, reason: 'truncated' }],
    ['cut at a chunk boundary: two chunks dropped', () => cat(p.header, ...p.chunks.slice(0, 2)), 'ciphertext_malformed', { chunk: 1, reason: 'truncated' }],
    ['cut inside the final chunk', () => victim.subarray(0, victim.length - 1), 'ciphertext_tampered', { chunk: 3 }],
    ['cut inside a chunk, shorter than a tag', () => cat(p.header, ...p.chunks.slice(0, 3), p.chunks[3]!.subarray(0, 10)), 'ciphertext_malformed', { chunk: 3, reason: 'truncated' }],
    ['chunks 0 and 1 swapped', () => cat(p.header, p.chunks[1]!, p.chunks[0]!, p.chunks[2]!, p.chunks[3]!), 'ciphertext_tampered', { chunk: 0, reason: 'chunk_authentication' }],
    ['chunk 1 duplicated', () => cat(p.header, p.chunks[0]!, p.chunks[1]!, p.chunks[1]!, p.chunks[2]!, p.chunks[3]!), 'ciphertext_tampered', { chunk: 2 }],
    ['middle chunk dropped', () => cat(p.header, p.chunks[0]!, p.chunks[2]!, p.chunks[3]!), 'ciphertext_tampered', { chunk: 1 }],
    ['chunk 1 spliced from another file of the same key', () => cat(p.header, p.chunks[0]!, parse(other).chunks[1]!, p.chunks[2]!, p.chunks[3]!), 'ciphertext_tampered', { chunk: 1, reason: 'chunk_authentication' }],
    ['another file\'s header on these chunks', () => cat(parse(other).header, ...p.chunks), 'ciphertext_tampered', { chunk: 0 }],
    ['final flag missing (re-sealed by hand, every chunk not final)', () => cat(p.header, ...[0, 1, 2, 3].map((i) => sealChunk(key, bind, i, part(i), false))), 'ciphertext_malformed', { chunk: 3, reason: 'truncated' }],
    ['final flag on a middle chunk (re-sealed by hand)', () => cat(p.header, ...[0, 1, 2, 3].map((i) => sealChunk(key, bind, i, part(i), i === 1))), 'ciphertext_tampered', { chunk: 1, reason: 'trailing_data' }],
    ['a full chunk appended after the final one', () => cat(victim, sealChunk(key, bind, 4, Buffer.alloc(CHUNK), true)), 'ciphertext_tampered'],
    ['trailing bytes appended', () => cat(victim, Buffer.from('appended')), 'ciphertext_tampered'],
    ['salt byte changed', () => flip(victim, 20), 'ciphertext_tampered', { chunk: 0 }],
    ['chunk size field changed (still in range)', () => { const c = Buffer.from(victim); c.writeUInt32BE(CHUNK + 16, 5); return c; }, 'ciphertext_tampered', { chunk: 0 }],
    ['chunk size out of range', () => { const c = Buffer.from(victim); c.writeUInt32BE(15, 5); return c; }, 'ciphertext_malformed'],
    ['key envelope length out of range', () => { const c = Buffer.from(victim); c.writeUInt32BE(0, 41); return c; }, 'ciphertext_malformed'],
    ['key envelope byte changed', () => flip(victim, 45 + p.keyEnvelope.length - 20), 'ciphertext_tampered'],
    ['a ciphertext byte of chunk 2 changed', () => flip(victim, p.header.length + 2 * SEALED + 5), 'ciphertext_tampered', { chunk: 2, reason: 'chunk_authentication' }],
    ['a tag byte of the final chunk changed', () => flip(victim, victim.length - 1), 'ciphertext_tampered', { chunk: 3 }],
    ['version byte changed to 3', () => { const c = Buffer.from(victim); c[4] = 3; return c; }, 'ciphertext_foreign'],
    // read as a version-1 envelope, which it is not: that reader refuses it (foreign or malformed, by the bytes)
    ['version byte changed to 1', () => { const c = Buffer.from(victim); c[4] = 1; return c; }, 'ciphertext_foreign|ciphertext_malformed'],
  ];

  function flip(b: Buffer, at: number): Buffer {
    const c = Buffer.from(b);
    c[at]! ^= 0x01;
    return c;
  }

  for (const [name, make, code, details] of cases) {
    it(name, async () => {
      const inPath = fresh('tampered');
      writeFileSync(inPath, make());
      const outPath = fresh('out');
      const e = await failure(decryptFile(s.call, { inPath, outPath, aad: AAD, force: false }));
      expect(code.split('|')).toContain(e.code);
      if (details) expect(e.details).toMatchObject(details);
      expect(existsSync(outPath)).toBe(false);
      expect(leftovers()).toEqual([]);
      // with --force an existing target is left exactly as it was
      writeFileSync(outPath, 'keep me');
      expect((await failure(decryptFile(s.call, { inPath, outPath, aad: AAD, force: true }))).code).toBe(e.code);
      expect(readFileSync(outPath, 'utf8')).toBe('keep me');
      expect(leftovers()).toEqual([]);
    });
  }

  it('the untampered file still decrypts (the cases above are refused for what was changed)', async () => {
    const inPath = fresh('victim');
    writeFileSync(inPath, victim);
    const outPath = fresh('out');
    expect(await decryptFile(s.call, { inPath, outPath, aad: AAD, force: false })).toEqual({ keyId: KEY_ID, version: VERSION, bytes: PLAIN.length, format: 2 });
    expect(readFileSync(outPath).equals(PLAIN)).toBe(true);
  });

  it('a chunk failing after earlier batches were written to the temp file leaves neither the target nor the temp file', async () => {
    const big = crypto.randomBytes(3 * 1024 * 1024);
    const { file } = await encryptTo(s, big, { chunk: 65536 });
    const bp = parse(file);
    const bad = Buffer.from(file);
    bad[bp.header.length + 40 * (65536 + TAG) + 7]! ^= 0x80; // chunk 40: after the first 1 MiB batch went out
    const inPath = fresh('bad');
    writeFileSync(inPath, bad);
    const outPath = fresh('out');
    const e = await failure(decryptFile(s.call, { inPath, outPath, aad: AAD, force: false }));
    expect([e.code, e.details]).toEqual(['ciphertext_tampered', { chunk: 40, reason: 'chunk_authentication' }]);
    expect(existsSync(outPath)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('a key that may not decrypt is refused before any output exists', async () => {
    const inPath = fresh('victim');
    writeFileSync(inPath, victim);
    const outPath = fresh('out');
    const d = service();
    d.disabled = true;
    expect((await failure(decryptFile(d.call, { inPath, outPath, aad: AAD, force: false }))).code).toBe('key_disabled');
    expect(existsSync(outPath)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('opens the file key with the domain-separated AAD and wipes the plaintext key it was handed', async () => {
    const inPath = fresh('victim');
    writeFileSync(inPath, victim);
    const d = service();
    // the service here holds another wrapping key: the file key envelope does not open
    expect((await failure(decryptFile(d.call, { inPath, outPath: fresh('out'), aad: AAD, force: false }))).code).toBe('ciphertext_tampered');
    const before = s.returned.length;
    await decryptFile(s.call, { inPath, outPath: fresh('out'), aad: AAD, force: false });
    const handed = s.returned.slice(before);
    expect(handed).toHaveLength(1);
    expect(handed[0]!.length).toBe(32);
    expect(handed[0]!.every((b) => b === 0)).toBe(true);
  });
});

describe('output and input files', () => {
  it('refuses an existing output without force before the key is used; with force it replaces it', async () => {
    const s = service();
    const inPath = fresh('plain');
    writeFileSync(inPath, 'data');
    const outPath = fresh('exists');
    writeFileSync(outPath, 'old');
    const e = await failure(encryptFile(s.call, KEY_ID, { inPath, outPath, aad: AAD, force: false }, CHUNK));
    expect([e.code, e.details]).toEqual(['invalid_input', { field: 'out' }]);
    expect(e.message).toContain('exists');
    expect(s.calls).toEqual([]);
    expect(readFileSync(outPath, 'utf8')).toBe('old');

    await encryptFile(s.call, KEY_ID, { inPath, outPath, aad: AAD, force: true }, CHUNK);
    expect(s.calls).toEqual(['keys:encrypt']);
    expect((await openByHand(s, readFileSync(outPath), AAD)).toString()).toBe('data');
    expect(statSync(outPath).mode & 0o777).toBe(0o600);

    const dec = fresh('exists');
    writeFileSync(dec, 'old');
    s.calls.length = 0;
    expect((await failure(decryptFile(s.call, { inPath: outPath, outPath: dec, aad: AAD, force: false }))).details).toEqual({ field: 'out' });
    expect(s.calls).toEqual([]);
    await decryptFile(s.call, { inPath: outPath, outPath: dec, aad: AAD, force: true });
    expect(readFileSync(dec, 'utf8')).toBe('data');
  });

  it('an output that appears while the file is written is not replaced without force (and is with force)', async () => {
    const s = service();
    const inPath = fresh('plain');
    writeFileSync(inPath, 'data');
    const outPath = fresh('race');
    s.during = () => writeFileSync(outPath, 'theirs');
    const e = await failure(encryptFile(s.call, KEY_ID, { inPath, outPath, aad: AAD, force: false }, CHUNK));
    expect([e.code, e.details]).toEqual(['invalid_input', { field: 'out' }]);
    expect(e.message).toContain('exists; it was not changed (use --force to replace it)');
    expect(readFileSync(outPath, 'utf8')).toBe('theirs');
    expect(leftovers()).toEqual([]);

    const forced = fresh('race');
    s.during = () => writeFileSync(forced, 'theirs');
    await encryptFile(s.call, KEY_ID, { inPath, outPath: forced, aad: AAD, force: true }, CHUNK);
    s.during = undefined;
    expect((await openByHand(s, readFileSync(forced), AAD)).toString()).toBe('data');
    expect(leftovers()).toEqual([]);
  });

  it('refuses an input that grows while it is encrypted, and writes nothing', async () => {
    const s = service();
    const inPath = fresh('plain');
    writeFileSync(inPath, crypto.randomBytes(100));
    const outPath = fresh('enc');
    s.during = () => appendFileSync(inPath, 'more');
    const e = await failure(encryptFile(s.call, KEY_ID, { inPath, outPath, aad: AAD, force: false }, CHUNK));
    expect([e.code, e.details]).toEqual(['invalid_input', { field: 'in' }]);
    expect(e.message).toContain('changed');
    expect(existsSync(outPath)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('refuses an input that shrinks while it is encrypted', async () => {
    const s = service();
    const inPath = fresh('plain');
    writeFileSync(inPath, crypto.randomBytes(300));
    const outPath = fresh('enc');
    s.during = () => truncateSync(inPath, 10);
    const e = await failure(encryptFile(s.call, KEY_ID, { inPath, outPath, aad: AAD, force: false }, CHUNK));
    expect([e.code, e.details]).toEqual(['invalid_input', { field: 'in' }]);
    expect(existsSync(outPath)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('a missing input is not_found; a directory is invalid_input for --in; neither uses the key', async () => {
    const s = service();
    for (const run of [
      (inPath: string, outPath: string) => encryptFile(s.call, KEY_ID, { inPath, outPath, aad: AAD, force: false }, CHUNK),
      (inPath: string, outPath: string) => decryptFile(s.call, { inPath, outPath, aad: AAD, force: false }),
    ]) {
      const outPath = fresh('out');
      const missing = await failure(run(join(dir, 'no-such-file'), outPath));
      expect(missing.code).toBe('not_found');
      const sub = fresh('dir');
      mkdirSync(sub);
      const isDir = await failure(run(sub, outPath));
      expect([isDir.code, isDir.details]).toEqual(['invalid_input', { field: 'in' }]);
      expect(existsSync(outPath)).toBe(false);
    }
    expect(s.calls).toEqual([]);
  });

  it('an output directory that cannot be written to gives invalid_input for --out and leaves nothing', async () => {
    const s = service();
    const inPath = fresh('plain');
    writeFileSync(inPath, 'data');
    const e = await failure(encryptFile(s.call, KEY_ID, { inPath, outPath: join(dir, 'no-such-dir', 'x.enc'), aad: AAD, force: false }, CHUNK));
    expect([e.code, e.details]).toEqual(['invalid_input', { field: 'out' }]);
    expect(e.message).toContain('ENOENT');
    if (process.getuid?.() !== 0) {
      const ro = fresh('ro');
      mkdirSync(ro);
      chmodSync(ro, 0o500);
      const r = await failure(encryptFile(s.call, KEY_ID, { inPath, outPath: join(ro, 'x.enc'), aad: AAD, force: false }, CHUNK));
      expect([r.code, r.details]).toEqual(['invalid_input', { field: 'out' }]);
      chmodSync(ro, 0o700);
      expect(readdirSync(ro)).toEqual([]);
    }
  });
});

describe('format 1 (single-shot envelope): still decrypts, up to 1 MiB', () => {
  async function format1(s: Service, plaintext: Buffer, aad = AAD): Promise<Buffer> {
    const r = (await s.call('keys:encrypt', { keyId: KEY_ID, plaintext, aad })) as { ciphertext: Uint8Array };
    return Buffer.from(r.ciphertext);
  }

  it('decrypts the raw envelope and the base64 text (with a line end) the CLI wrote before format 2', async () => {
    const s = service();
    const plaintext = Buffer.from('a message sealed before format 2');
    const env = await format1(s, plaintext);
    for (const content of [env, Buffer.from(env.toString('base64')), Buffer.from(env.toString('base64') + '\n'), Buffer.from(env.toString('base64') + '\r\n')]) {
      const inPath = fresh('f1');
      writeFileSync(inPath, content);
      const outPath = fresh('out');
      expect(await decryptFile(s.call, { inPath, outPath, aad: AAD, force: false })).toEqual({ keyId: KEY_ID, version: VERSION, bytes: plaintext.length, format: 1 });
      expect(readFileSync(outPath).equals(plaintext)).toBe(true);
      expect(statSync(outPath).mode & 0o777).toBe(0o600);
    }
    // format 1 binds the AAD itself, not the stream's file-key AAD
    const inPath = fresh('f1');
    writeFileSync(inPath, env);
    expect((await failure(decryptFile(s.call, { inPath, outPath: fresh('out'), aad: Buffer.from('other'), force: false }))).code).toBe('aad_mismatch');
  });

  it('decrypts a 1 MiB message written as base64 text', async () => {
    const s = service();
    const plaintext = crypto.randomBytes(1024 * 1024);
    const inPath = fresh('f1');
    writeFileSync(inPath, (await format1(s, plaintext)).toString('base64') + '\n');
    const outPath = fresh('out');
    expect((await decryptFile(s.call, { inPath, outPath, aad: AAD, force: false })).bytes).toBe(1024 * 1024);
    expect(readFileSync(outPath).equals(plaintext)).toBe(true);
  });

  it('refuses text that is not base64 of an envelope as ciphertext_foreign, and leaves no file', async () => {
    const s = service();
    const env = (await format1(s, Buffer.from('m'))).toString('base64');
    const table: Array<[string, string]> = [
      ['base64url digits', env.replace(/\+/g, '-').replace(/\//g, '_') + '-_'],
      ['length not a multiple of 4', env + 'AAAAA'],
      ['three padding characters', 'QUJD===='.slice(0, 4) + 'QQ==='],
      ['padding in the middle', 'QQ==QUJD'],
      ['text', 'hello, world'],
      ['a space inside', env.slice(0, 8) + ' ' + env.slice(8)],
    ];
    for (const [name, text] of table) {
      const inPath = fresh('f1');
      writeFileSync(inPath, text);
      const outPath = fresh('out');
      const e = await failure(decryptFile(s.call, { inPath, outPath, aad: AAD, force: false }));
      expect(e.code, name).toBe('ciphertext_foreign');
      expect(existsSync(outPath)).toBe(false);
    }
    expect(s.calls.filter((c) => c === 'keys:decrypt')).toEqual([]);
    expect(leftovers()).toEqual([]);
  });

  it('refuses a file too large to be a single-shot ciphertext without reading it into memory', async () => {
    const s = service();
    for (const size of [2 * 1024 * 1024, 1024 * 1024 * 1024]) {
      const inPath = fresh('huge');
      writeFileSync(inPath, '');
      truncateSync(inPath, size); // sparse
      const e = await failure(decryptFile(s.call, { inPath, outPath: fresh('out'), aad: AAD, force: false }));
      expect([e.code, e.details], `${size}`).toEqual(['ciphertext_foreign', { field: 'in' }]);
      expect(e.message).toContain('too large');
      rmSync(inPath);
    }
  });

  it('reads a version-1 file of up to 1,403,566 bytes (docs/cli.md) and refuses a larger one unread', async () => {
    const s = service();
    const LIMIT = 1_403_566; // base64 of 1 MiB + 4 KiB of envelope, and a CRLF
    const at = fresh('limit');
    writeFileSync(at, Buffer.alloc(LIMIT, 0x21)); // '!' is no base64: read, then refused as not ciphertext
    const read = await failure(decryptFile(s.call, { inPath: at, outPath: fresh('out'), aad: AAD, force: false }));
    expect(read.code).toBe('ciphertext_foreign');
    expect(read.message).not.toContain('too large');
    writeFileSync(at, Buffer.alloc(LIMIT + 1, 0x21));
    const refused = await failure(decryptFile(s.call, { inPath: at, outPath: fresh('out'), aad: AAD, force: false }));
    expect([refused.code, refused.details]).toEqual(['ciphertext_foreign', { field: 'in' }]);
    expect(refused.message).toContain('too large');
  });

  it('wipes the plaintext it wrote; frees a buffer that owns its memory, never a shared one', async () => {
    const s = service();
    const big = crypto.randomBytes(8192);
    const small = Buffer.from('short secret');
    const neighbour = Buffer.from('bytes of someone else');
    // [plaintext, how keys:decrypt hands it back, released at once (docs/ciphertext-format.md "Memory": each written
    // chunk is zeroed and freed at once), or only zeroed: memory it shares with other data must stay usable]
    const table: Array<[Buffer, (p: Buffer) => Uint8Array, 'released' | 'zeroed']> = [
      [big, (p) => new Uint8Array(p), 'released'], // a large buffer owning all of its memory
      [big, (p) => { const ab = new Uint8Array(p.length + neighbour.length); ab.set(p); ab.set(neighbour, p.length); return ab.subarray(0, p.length); }, 'zeroed'],
      [big, (p) => { const ab = new Uint8Array(p.length + neighbour.length); ab.set(neighbour); ab.set(p, neighbour.length); return ab.subarray(neighbour.length); }, 'zeroed'],
      [small, (p) => { const ab = new Uint8Array(p.length + neighbour.length); ab.set(p); ab.set(neighbour, p.length); return ab.subarray(0, p.length); }, 'zeroed'],
    ];
    for (const [plaintext, shape, expected] of table) {
      const inPath = fresh('f1');
      writeFileSync(inPath, await format1(s, plaintext));
      const outPath = fresh('out');
      s.shape = shape;
      const before = s.returned.length;
      await decryptFile(s.call, { inPath, outPath, aad: AAD, force: false });
      expect(readFileSync(outPath).equals(plaintext)).toBe(true);
      const handed = s.returned[before]!;
      if (expected === 'released') {
        expect(handed.byteLength).toBe(0); // detached
      } else {
        expect(handed.length).toBe(plaintext.length);
        expect(handed.every((b) => b === 0)).toBe(true);
        expect(Buffer.from(handed.buffer).includes(neighbour)).toBe(true); // the rest of that memory is untouched
      }
    }
    s.shape = undefined;
  });
});

describe('errors name what failed; files are closed and plaintext wiped on every path', () => {
  it('the messages name the file (or the part of it) that failed', async () => {
    const s = service();
    const missing = join(dir, 'no-such-input');
    expect((await failure(decryptFile(s.call, { inPath: missing, outPath: fresh('out'), aad: AAD, force: false }))).message).toContain(missing);
    const sub = fresh('dir');
    mkdirSync(sub);
    expect((await failure(decryptFile(s.call, { inPath: sub, outPath: fresh('out'), aad: AAD, force: false }))).message).toContain(sub);
    const empty = fresh('empty');
    writeFileSync(empty, '');
    expect((await failure(decryptFile(s.call, { inPath: empty, outPath: fresh('out'), aad: AAD, force: false }))).message).toContain(empty);
    const { file } = await encryptTo(s, Buffer.from('x'));
    const cut = fresh('cut');
    writeFileSync(cut, file.subarray(0, 60));
    expect((await failure(decryptFile(s.call, { inPath: cut, outPath: fresh('out'), aad: AAD, force: false }))).message).toMatch(/file key envelope/);
    const text = fresh('text');
    writeFileSync(text, 'not a ciphertext at all');
    expect((await failure(decryptFile(s.call, { inPath: text, outPath: fresh('out'), aad: AAD, force: false }))).message).toMatch(/ECPS/);
  });

  it('leaves no file descriptor open, whether it succeeds or fails', async () => {
    const fds = () => readdirSync('/proc/self/fd').length;
    const s = service();
    const plain = fresh('plain');
    writeFileSync(plain, crypto.randomBytes(3 * CHUNK + 1));
    const enc = fresh('enc');
    const sub = fresh('dir');
    mkdirSync(sub);
    const tamperedFile = fresh('tampered');
    const f1 = fresh('f1');
    const ops: Array<[string, () => Promise<unknown>]> = [
      ['encrypt', () => encryptFile(s.call, KEY_ID, { inPath: plain, outPath: enc, aad: AAD, force: false }, CHUNK)],
      ['encrypt onto an existing file', () => encryptFile(s.call, KEY_ID, { inPath: plain, outPath: enc, aad: AAD, force: false }, CHUNK)],
      ['decrypt', () => decryptFile(s.call, { inPath: enc, outPath: fresh('out'), aad: AAD, force: false })],
      ['decrypt with the wrong aad', () => decryptFile(s.call, { inPath: enc, outPath: fresh('out'), aad: Buffer.from('other'), force: false })],
      ['decrypt a tampered file', async () => {
        const c = readFileSync(enc);
        c[c.length - 1]! ^= 1;
        writeFileSync(tamperedFile, c);
        return decryptFile(s.call, { inPath: tamperedFile, outPath: fresh('out'), aad: AAD, force: false });
      }],
      ['decrypt format 1', async () => {
        const r = (await s.call('keys:encrypt', { keyId: KEY_ID, plaintext: Buffer.from('m'), aad: AAD })) as { ciphertext: Uint8Array };
        writeFileSync(f1, r.ciphertext);
        return decryptFile(s.call, { inPath: f1, outPath: fresh('out'), aad: AAD, force: false });
      }],
      ['encrypt a directory', () => encryptFile(s.call, KEY_ID, { inPath: sub, outPath: fresh('out'), aad: AAD, force: false }, CHUNK)],
      ['decrypt a directory', () => decryptFile(s.call, { inPath: sub, outPath: fresh('out'), aad: AAD, force: false })],
    ];
    for (const [name, op] of ops) {
      const before = fds();
      await op().catch(() => undefined);
      expect(fds(), name).toBe(before);
    }
  });

  it('format 1: a plaintext that could not be written (no such output folder) is wiped all the same', async () => {
    const s = service();
    const plaintext = crypto.randomBytes(8192);
    const r = (await s.call('keys:encrypt', { keyId: KEY_ID, plaintext, aad: AAD })) as { ciphertext: Uint8Array };
    const inPath = fresh('f1');
    writeFileSync(inPath, r.ciphertext);
    const before = s.returned.length;
    const e = await failure(decryptFile(s.call, { inPath, outPath: join(dir, 'no-such-dir', 'out'), aad: AAD, force: false }));
    expect([e.code, e.details]).toEqual(['invalid_input', { field: 'out' }]);
    const handed = s.returned[before]!;
    expect(handed.length).toBe(8192);
    expect(handed.every((b) => b === 0)).toBe(true);
  });
});

describe('what cannot be produced on demand: short writes, a file system without hard links', () => {
  /** Writes at most `most` bytes per call, like a write(2) interrupted or cut short: the caller must continue. */
  const shortWrites = (most: number): Partial<OutputFs> => ({
    writev: async (file, buffers, position) => {
      const first = buffers.find((b) => b.length > 0);
      if (!first) return { bytesWritten: 0 };
      // Cross buffer boundaries too: take from the first buffers until `most` bytes.
      const take = Buffer.concat(buffers).subarray(0, most);
      const { bytesWritten } = await file.write(take, 0, take.length, position);
      return { bytesWritten };
    },
  });

  it('continues a short write where it stopped: the file is complete and correct, both ways', async () => {
    const s = service();
    for (const most of [1, 7, CHUNK + TAG + 3]) {
      const plaintext = crypto.randomBytes(5 * CHUNK + 9);
      const inPath = fresh('plain');
      writeFileSync(inPath, plaintext);
      const outPath = fresh('enc');
      await encryptFile(s.call, KEY_ID, { inPath, outPath, aad: AAD, force: false, fs: shortWrites(most) }, CHUNK);
      const file = readFileSync(outPath);
      expect(file.length, `${most}`).toBe(45 + parse(file).keyEnvelope.length + plaintext.length + 6 * TAG);
      expect((await openByHand(s, file, AAD)).equals(plaintext), `${most}`).toBe(true);
      const back = fresh('dec');
      await decryptFile(s.call, { inPath: outPath, outPath: back, aad: AAD, force: false, fs: shortWrites(most) });
      expect(readFileSync(back).equals(plaintext), `${most}`).toBe(true);
    }
  });

  const noHardLinks = (code: string): Partial<OutputFs> => ({
    link: async () => {
      throw Object.assign(new Error(`${code}: operation not permitted, link`), { code });
    },
  });

  it('without hard links (EPERM, ENOTSUP, EOPNOTSUPP) the file is moved into place after checking the name is free', async () => {
    const s = service();
    for (const code of ['EPERM', 'ENOTSUP', 'EOPNOTSUPP']) {
      const inPath = fresh('plain');
      writeFileSync(inPath, 'on a USB stick');
      const outPath = fresh('fat');
      await encryptFile(s.call, KEY_ID, { inPath, outPath, aad: AAD, force: false, fs: noHardLinks(code) }, CHUNK);
      expect((await openByHand(s, readFileSync(outPath), AAD)).toString(), code).toBe('on a USB stick');
      expect(statSync(outPath).mode & 0o777).toBe(0o600);
      expect(leftovers()).toEqual([]);

      // a file that appeared under the name meanwhile is not replaced
      const taken = fresh('fat');
      s.during = () => writeFileSync(taken, 'theirs');
      const e = await failure(encryptFile(s.call, KEY_ID, { inPath, outPath: taken, aad: AAD, force: false, fs: noHardLinks(code) }, CHUNK));
      s.during = undefined;
      expect([e.code, e.details], code).toEqual(['invalid_input', { field: 'out' }]);
      expect(e.message).toContain('exists');
      expect(readFileSync(taken, 'utf8')).toBe('theirs');
      expect(leftovers()).toEqual([]);
    }
  });

  it('flushes the output to disk each time another 64 MiB was written (docs/ciphertext-format.md "Output")', async () => {
    const s = service();
    const MiB = 1024 * 1024;
    const inPath = fresh('big');
    writeFileSync(inPath, '');
    truncateSync(inPath, 2 * 64 * MiB + 3 * MiB); // sparse: reads as zeros
    const flushedAt: number[] = [];
    const counting: Partial<OutputFs> = {
      // the size when the flush is asked for (fstatSync: an awaited stat would run after later writes on a busy machine)
      datasync: async (file) => {
        flushedAt.push(fstatSync(file.fd).size);
        await file.datasync();
      },
    };
    const outPath = fresh('big.enc');
    await encryptFile(s.call, KEY_ID, { inPath, outPath, aad: AAD, force: false, fs: counting });
    // two flushes: after the first 64 MiB and after the second, each within one batch (about 1 MiB) past it
    expect(flushedAt).toHaveLength(2);
    expect(flushedAt[0]).toBeGreaterThanOrEqual(64 * MiB);
    expect(flushedAt[0]).toBeLessThan(66 * MiB);
    expect(flushedAt[1]).toBeGreaterThanOrEqual(128 * MiB);
    expect(flushedAt[1]).toBeLessThan(130 * MiB);
    rmSync(outPath);
    rmSync(inPath);
  });

  it('a link failure without an error code still names the output', async () => {
    const s = service();
    const inPath = fresh('plain');
    writeFileSync(inPath, 'data');
    const outPath = fresh('nocode');
    const e = await failure(encryptFile(s.call, KEY_ID, { inPath, outPath, aad: AAD, force: false, fs: { link: () => Promise.reject(new Error('odd')) } }, CHUNK));
    expect([e.code, e.details, e.message]).toEqual(['invalid_input', { field: 'out' }, `Output file ${outPath} cannot be written (error).`]);
  });

  it('any other failure to link is a typed error for --out, and leaves nothing', async () => {
    const s = service();
    const inPath = fresh('plain');
    writeFileSync(inPath, 'data');
    const outPath = fresh('eio');
    const e = await failure(encryptFile(s.call, KEY_ID, { inPath, outPath, aad: AAD, force: false, fs: noHardLinks('EIO') }, CHUNK));
    expect([e.code, e.details]).toEqual(['invalid_input', { field: 'out' }]);
    expect(e.message).toContain('EIO');
    expect(e.message).not.toContain('exists');
    expect(existsSync(outPath)).toBe(false);
    expect(leftovers()).toEqual([]);
  });
});

describe('writeWholeFile: every whole --out file (writeOutput, approval files, kit order files)', () => {
  /** A folder of its own per case, so "nothing else is left" is the folder's exact listing. */
  const folder = () => {
    const f = fresh('whole');
    mkdirSync(f);
    return f;
  };
  const modeOf = (path: string) => statSync(path).mode & 0o777;

  it('writes a new file at 0600; an existing one without force is refused and keeps its content and mode; nothing else is left', async () => {
    const d = folder();
    const target = join(d, 'order.json');
    await writeWholeFile(target, Buffer.from('one'), false);
    expect(readFileSync(target, 'utf8')).toBe('one');
    expect(modeOf(target)).toBe(0o600);
    chmodSync(target, 0o644);
    const e = await failure(writeWholeFile(target, 'two', false));
    expect([e.code, e.message, e.details]).toEqual(['invalid_input', `Output file ${target} exists; it was not changed (use --force to replace it).`, { field: 'out' }]);
    expect(readFileSync(target, 'utf8')).toBe('one');
    expect(modeOf(target)).toBe(0o644);
    expect(readdirSync(d)).toEqual(['order.json']);
  });

  it('with force replaces an existing 0644 or 0666 file by the new bytes at 0600 (the mode of a fresh file); nothing else is left', async () => {
    // The old modes a user's file typically has: 0644 (umask 022) and 0666 (umask 000).
    for (const old of [0o644, 0o666]) {
      const d = folder();
      const target = join(d, 'shares.txt');
      writeFileSync(target, 'the old file, longer than the new one');
      chmodSync(target, old);
      await writeWholeFile(target, 'new', true);
      expect(readFileSync(target, 'utf8'), old.toString(8)).toBe('new');
      expect(modeOf(target), old.toString(8)).toBe(0o600);
      expect(readdirSync(d)).toEqual(['shares.txt']);
    }
  });

  it('while the bytes are written the target is still the old file (content and mode), and they go to a 0600 file', async () => {
    const d = folder();
    const target = join(d, 'report.csv');
    writeFileSync(target, 'old report');
    chmodSync(target, 0o644);
    const seen: Array<{ target: string; targetMode: number; writtenMode: number }> = [];
    const watching: Partial<OutputFs> = {
      writev: async (file, buffers, position) => {
        seen.push({ target: readFileSync(target, 'utf8'), targetMode: modeOf(target), writtenMode: fstatSync(file.fd).mode & 0o777 });
        return file.writev(buffers, position);
      },
    };
    await writeWholeFile(target, 'new report', true, watching);
    expect(seen).toEqual([{ target: 'old report', targetMode: 0o644, writtenMode: 0o600 }]);
    expect(readFileSync(target, 'utf8')).toBe('new report');
    expect(modeOf(target)).toBe(0o600);
  });

  it('a write that fails part-way (a full disk) is refused for --out and leaves the old file whole and no temp file', async () => {
    const d = folder();
    const target = join(d, 'signed.pem');
    writeFileSync(target, 'old signature');
    chmodSync(target, 0o644);
    const fullAfter = (bytes: number): Partial<OutputFs> => ({
      writev: async (file, buffers, position) => {
        if (position >= bytes) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        const { bytesWritten } = await file.write(Buffer.concat(buffers).subarray(0, bytes - position), 0, bytes - position, position);
        return { bytesWritten };
      },
    });
    const e = await failure(writeWholeFile(target, Buffer.alloc(100, 1), true, fullAfter(10)));
    expect([e.code, e.message, e.details]).toEqual(['invalid_input', `Output file ${target} cannot be written (ENOSPC).`, { field: 'out' }]);
    expect(readFileSync(target, 'utf8')).toBe('old signature');
    expect(modeOf(target)).toBe(0o644);
    expect(readdirSync(d)).toEqual(['signed.pem']);
    if (process.getuid?.() !== 0) {
      // A folder that cannot be written to (root writes anyway, so only as another user).
      chmodSync(d, 0o500);
      const r = await failure(writeWholeFile(target, 'new', true));
      chmodSync(d, 0o700);
      expect([r.code, r.details]).toEqual(['invalid_input', { field: 'out' }]);
      expect(readFileSync(target, 'utf8')).toBe('old signature');
      expect(readdirSync(d)).toEqual(['signed.pem']);
    }
  });

  it('onto a folder under force: refused (EISDIR), the folder kept and no temp file left', async () => {
    const d = folder();
    const target = join(d, 'order.json');
    mkdirSync(target);
    const e = await failure(writeWholeFile(target, 'x', true));
    expect([e.code, e.message, e.details]).toEqual(['invalid_input', `Output file ${target} cannot be written (EISDIR).`, { field: 'out' }]);
    expect(statSync(target).isDirectory()).toBe(true);
    expect(readdirSync(d)).toEqual(['order.json']);
  });

  it('a write failing without an error code is still invalid_input naming the file, leaving nothing', async () => {
    const d = folder();
    const target = join(d, 'report.json');
    const e = await failure(writeWholeFile(target, 'x', false, { writev: () => Promise.reject(new Error('odd')) }));
    expect([e.code, e.message, e.details]).toEqual(['invalid_input', `Output file ${target} cannot be written (error).`, { field: 'out' }]);
    expect(readdirSync(d)).toEqual([]);
  });

  it('flushes once 64 MiB have been written, also when that is exactly the whole file (docs/ciphertext-format.md "Output")', async () => {
    const MiB = 1024 * 1024;
    const target = join(folder(), 'big.bin');
    let flushes = 0;
    await writeWholeFile(target, Buffer.alloc(64 * MiB, 7), false, { datasync: async (file) => { flushes += 1; await file.datasync(); } });
    expect(flushes).toBe(1);
    expect(statSync(target).size).toBe(64 * MiB);
    rmSync(target);
  });

  it("leaves the caller's buffer as it was (the offline window returns the order it wrote)", async () => {
    const bytes = Buffer.from('a signed lockdown order, returned after it is written, and long enough to be its own buffer'.repeat(64));
    const copy = Buffer.from(bytes);
    const target = join(folder(), 'order.json');
    await writeWholeFile(target, bytes, false);
    expect(bytes.equals(copy)).toBe(true);
    expect(readFileSync(target).equals(copy)).toBe(true);
  });
});
