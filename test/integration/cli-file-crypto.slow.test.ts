// The CLI's encrypt / decrypt of files (runCli in this process, a real store): streamed format-2 files round-trip
// at sizes around the 64 KiB chunk, every tampered file is refused with its typed error while the output path stays
// untouched and no temp file is left, and format-1 ciphertext written before format 2 still decrypts.
import crypto from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsole } from '../../electron/app.ts';
import { cliEnv, cliInProcess } from './support/cliProcess.ts';

const PASS = 'File-Crypto-Passphrase correct horse';
const CHUNK = 64 * 1024; // the chunk size the CLI writes (docs/ciphertext-format.md)
const SEALED = CHUNK + 16;
let dir: string;
let data: string;
let keyId: string;
let otherKeyId: string;

const cli = (args: string[]) => cliInProcess([...args, '--data-dir', data], { env: cliEnv({ ECPS_PASSPHRASE: PASS }) });
const path = (name: string) => join(dir, name);
const leftovers = () => readdirSync(dir).filter((f) => f.endsWith('.partial'));

async function encrypt(name: string, plaintext: Buffer, o: { key?: string; aad?: string } = {}): Promise<Buffer> {
  writeFileSync(path(`${name}.in`), plaintext);
  const r = await cli(['encrypt', '--key', o.key ?? keyId, '--in', path(`${name}.in`), '--out', path(`${name}.enc`), ...(o.aad ? ['--aad', o.aad] : [])]);
  expect(r.stderr, name).toBe('');
  return readFileSync(path(`${name}.enc`));
}

/** The header length of a file as written: 45 fixed bytes, then the key envelope (its length at offset 41). */
const headerLength = (file: Buffer) => 45 + file.readUInt32BE(41);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ecps-cli-files-'));
  data = join(dir, 'store');
  expect((await cliInProcess(['init', '--data-dir', data], { env: cliEnv(), stdin: `${PASS}\n` })).code).toBe(0);
  keyId = (JSON.parse((await cli(['keys', 'create', '--type', 'storage', '--label', 'Firmware', '--json'])).stdout) as { id: string }).id;
  otherKeyId = (JSON.parse((await cli(['keys', 'create', '--type', 'storage', '--label', 'Other', '--json'])).stdout) as { id: string }).id;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cli encrypt / decrypt of files (format 2, streamed)', () => {
  it('round-trips files around the chunk size, binds the associated data, and writes owner-only files', async () => {
    for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK]) {
      const plaintext = crypto.randomBytes(size);
      const file = await encrypt(`s${size}`, plaintext, { aad: 'robot-7' });
      expect(file.subarray(0, 5), `${size}`).toEqual(Buffer.from('ECPS\u0002', 'latin1'));
      expect(file.length, `${size}`).toBe(headerLength(file) + size + 16 * Math.max(1, Math.ceil(size / CHUNK)));
      const r = await cli(['decrypt', '--in', path(`s${size}.enc`), '--out', path(`s${size}.out`), '--aad', 'robot-7', '--json']);
      expect(r.stderr, `${size}`).toBe('');
      expect(JSON.parse(r.stdout)).toMatchObject({ keyId, version: 1, bytes: size, format: 2 });
      expect(readFileSync(path(`s${size}.out`)).equals(plaintext), `${size}`).toBe(true);
      expect(statSync(path(`s${size}.out`)).mode & 0o777).toBe(0o600);
      expect(statSync(path(`s${size}.enc`)).mode & 0o777).toBe(0o600);
    }
    const wrongAad = await cli(['decrypt', '--in', path('s1.enc'), '--out', path('wrong-aad.out'), '--aad', 'robot-8']);
    expect(wrongAad.stderr).toContain('error [aad_mismatch]');
    expect(existsSync(path('wrong-aad.out'))).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('refuses every tampered file with a typed error; the output path is never created and no temp file is left', async () => {
    const plaintext = crypto.randomBytes(3 * CHUNK + 100); // chunks 0..2 full, chunk 3 final
    const file = await encrypt('victim', plaintext);
    const exact = await encrypt('exact', crypto.randomBytes(2 * CHUNK)); // chunk 1 full and final
    const other = await encrypt('other', plaintext); // same key, its own file key
    const h = headerLength(file);
    const chunk = (f: Buffer, i: number) => f.subarray(headerLength(f) + i * SEALED, Math.min(f.length, headerLength(f) + (i + 1) * SEALED));
    const header = file.subarray(0, h);
    const flip = (at: number) => {
      const c = Buffer.from(file);
      c[at]! ^= 0x01;
      return c;
    };
    const cases: Array<[string, Buffer, string, string?]> = [
      ['empty file', Buffer.alloc(0), 'ciphertext_malformed', 'empty'],
      ['truncated: final chunk missing', file.subarray(0, h + 3 * SEALED), 'ciphertext_malformed', 'not the final chunk: truncated'],
      ['truncated: header only', header, 'ciphertext_malformed', 'no chunk follows the header'],
      ['truncated inside the file key envelope', file.subarray(0, 60), 'ciphertext_malformed', 'ends inside the file key envelope'],
      ['chunks reordered', Buffer.concat([header, chunk(file, 1), chunk(file, 0), chunk(file, 2), chunk(file, 3)]), 'ciphertext_tampered', 'at chunk 0'],
      ['a chunk spliced from another file under the same key', Buffer.concat([header, chunk(file, 0), chunk(other, 1), chunk(file, 2), chunk(file, 3)]), 'ciphertext_tampered', 'at chunk 1'],
      ["another file's header (same key) on these chunks", Buffer.concat([other.subarray(0, headerLength(other)), file.subarray(h)]), 'ciphertext_tampered', 'at chunk 0'],
      ['a salt byte modified', flip(20), 'ciphertext_tampered', 'at chunk 0'],
      ['a byte of the file key envelope modified', flip(h - 20), 'ciphertext_tampered'],
      ['the chunk size modified', (() => { const c = Buffer.from(file); c.writeUInt32BE(CHUNK / 2, 5); return c; })(), 'ciphertext_tampered', 'at chunk 0'],
      ['a byte in the first chunk flipped', flip(h + 5), 'ciphertext_tampered', 'at chunk 0'],
      ['a byte in the final chunk flipped', flip(file.length - 30), 'ciphertext_tampered', 'at chunk 3'],
      ['trailing garbage after the final chunk', Buffer.concat([exact, Buffer.from('appended')]), 'ciphertext_tampered', 'data follows its final chunk'],
      ['an unknown format version', (() => { const c = Buffer.from(file); c[4] = 3; return c; })(), 'ciphertext_foreign'],
    ];
    for (const [name, bytes, code, words] of cases) {
      writeFileSync(path('case.enc'), bytes);
      const r = await cli(['decrypt', '--in', path('case.enc'), '--out', path('case.out')]);
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toContain(`error [${code}]`);
      if (words) expect(r.stderr, name).toContain(words);
      expect(existsSync(path('case.out')), name).toBe(false);
      expect(leftovers(), name).toEqual([]);
    }
    // the same refusals leave an existing output alone even with --force
    writeFileSync(path('keep.out'), 'precious');
    writeFileSync(path('case.enc'), file.subarray(0, h + 3 * SEALED));
    expect((await cli(['decrypt', '--in', path('case.enc'), '--out', path('keep.out'), '--force'])).code).toBe(1);
    expect(readFileSync(path('keep.out'), 'utf8')).toBe('precious');
    // and the untampered file still decrypts
    expect((await cli(['decrypt', '--in', path('victim.enc'), '--out', path('victim.out')])).code).toBe(0);
    expect(readFileSync(path('victim.out')).equals(plaintext)).toBe(true);
  });

  it('decrypts format-1 ciphertext: the base64 text the CLI wrote before format 2, and a raw envelope', async () => {
    const fleet = await createConsole({ dataDir: data, kdf: { N: 1024, r: 8, p: 1 } });
    let sealed: Uint8Array;
    // 4 KiB or more: its plaintext buffer is released once written (this once made decrypt fail after writing)
    const large = crypto.randomBytes(8192);
    let sealedLarge: Uint8Array;
    try {
      await fleet.handlers['session:unlock']({ operator: 'alice', passphrase: PASS }, { transport: 'test' });
      sealed = (await fleet.handlers['keys:encrypt']({ keyId: otherKeyId, plaintext: Buffer.from('written by an older console'), aad: Buffer.from('site-3') }, { transport: 'test' })).ciphertext;
      sealedLarge = (await fleet.handlers['keys:encrypt']({ keyId: otherKeyId, plaintext: large, aad: Buffer.from('site-3') }, { transport: 'test' })).ciphertext;
    } finally {
      fleet.close();
    }
    writeFileSync(path('large.b64'), Buffer.from(sealedLarge).toString('base64') + '\n');
    const r = await cli(['decrypt', '--in', path('large.b64'), '--out', path('large.out'), '--aad', 'site-3', '--json']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(JSON.parse(r.stdout)).toMatchObject({ keyId: otherKeyId, format: 1, bytes: 8192 });
    expect(readFileSync(path('large.out')).equals(large)).toBe(true);
    writeFileSync(path('old.b64'), Buffer.from(sealed).toString('base64') + '\n');
    writeFileSync(path('old.bin'), sealed);
    for (const name of ['old.b64', 'old.bin']) {
      const r = await cli(['decrypt', '--in', path(name), '--out', path(`${name}.out`), '--aad', 'site-3', '--json']);
      expect(r.stderr, name).toBe('');
      expect(JSON.parse(r.stdout)).toMatchObject({ keyId: otherKeyId, format: 1, bytes: 27 });
      expect(readFileSync(path(`${name}.out`), 'utf8')).toBe('written by an older console');
    }
    writeFileSync(path('junk.txt'), 'not a ciphertext at all\n');
    const junk = await cli(['decrypt', '--in', path('junk.txt'), '--out', path('junk.out')]);
    expect(junk.stderr).toContain('error [ciphertext_foreign]');
    expect(leftovers()).toEqual([]);
  });

  it('checks the output before using the key: an existing file is refused without --force and nothing is audited for it', async () => {
    writeFileSync(path('exists.enc'), 'precious');
    writeFileSync(path('exists.in'), 'data');
    const before = (await cli(['audit', 'export', '--out', path('audit-1.jsonl')])).code;
    expect(before).toBe(0);
    const r = await cli(['encrypt', '--key', keyId, '--in', path('exists.in'), '--out', path('exists.enc')]);
    expect(r.stderr).toContain('exists; it was not changed (use --force to replace it)');
    expect(readFileSync(path('exists.enc'), 'utf8')).toBe('precious');
    expect((await cli(['audit', 'export', '--out', path('audit-2.jsonl')])).code).toBe(0);
    const encrypts = (f: string) => readFileSync(path(f), 'utf8').split('\n').filter((l) => l.includes('"action":"key.encrypt"')).length;
    expect(encrypts('audit-2.jsonl')).toBe(encrypts('audit-1.jsonl'));
    const forced = await cli(['encrypt', '--key', keyId, '--in', path('exists.in'), '--out', path('exists.enc'), '--force']);
    expect(forced.code).toBe(0);
    expect(readFileSync(path('exists.enc')).subarray(0, 5).toString('latin1')).toBe('ECPS\u0002');
  });
});
