// The encrypted whole-store backup in-process (electron/services/recovery/backup.ts), from docs/recovery-and-backup.md
// "Encrypted backup of the whole store": the file layout (ECPSBAK1, u32 BE header length, JSON header, chunks of
// min(chunkBytes, rest) bytes each followed by a 16-byte tag), the backup key sealed with AES-256-GCM under
// scrypt(passphrase NFC, salt) with AAD `ecps/backup-key/v1|<store id>|N=…,r=…,p=…`, the key check
// HMAC-SHA256(key, 'ecps/backup-key-check/v1'), and the restore's checks in order, each a typed refusal that leaves
// nothing in the target folder. A real SQLite store (the store's own open function, in a temp folder) is backed up;
// the header is read and the key unwrapped here with node:crypto from those definitions, never by the module.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKUP_MAGIC, createBackup, restoreBackup, type BackupOptions } from '../../electron/services/recovery/backup.ts';
import { decodeShare, encodeShare } from '../../electron/services/recovery/shareCodec.ts';
import { openStoreDatabase, type OpenedStore } from '../../electron/store/database.ts';
import { createStoreMetaRepo } from '../../electron/store/storeMetaRepo.ts';
import { ConsoleError } from '../../shared/errors.ts';

const KDF = { N: 16, r: 1, p: 1 };
const PASS = 'backup passphrase 1';
const STORE_ID = 'store-bk-1';
const NOW = '2026-12-06T09:00:00.000Z';
const dirs: string[] = [];
const temp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ecps-backup-mut-'));
  dirs.push(d);
  return d;
};

let dataDir: string;
let store: OpenedStore;

beforeAll(() => {
  dataDir = temp();
  store = openStoreDatabase(dataDir, () => NOW);
  createStoreMetaRepo(store.db).insert({
    storeId: STORE_ID, createdAt: NOW, kdf: KDF, kdfSalt: Buffer.alloc(16, 1), wrappedMaster: Buffer.alloc(60, 2), keychainBound: false,
    auditPublicSpki: Buffer.alloc(44, 3), auditPublicMac: Buffer.alloc(32, 4), auditPrivateWrapped: Buffer.alloc(80, 5),
  });
});
afterAll(() => {
  store.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const options = (out: string, extra: Partial<BackupOptions> = {}): BackupOptions => ({
  db: store.db, dataDir, out, passphrase: PASS, kdf: KDF, storeId: STORE_ID, schemaVersion: store.schemaVersion, createdBy: 'admin', now: () => NOW, chunkBytes: 4096, ...extra,
});

async function refusal(p: Promise<unknown>): Promise<ConsoleError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ConsoleError);
    return e as ConsoleError;
  }
  throw new Error('expected a refusal');
}

/** The documented layout, read here. */
function parse(file: string) {
  const all = fs.readFileSync(file);
  const length = all.readUInt32BE(8);
  const header = JSON.parse(all.subarray(12, 12 + length).toString('utf8')) as Record<string, unknown> & { kdf: { N: number; r: number; p: number }; salt: string; wrappedKey: string; storeBytes: number; chunkBytes: number; keyCheck: string };
  return { all, length, header, headBytes: 12 + length };
}

/** The backup key, unwrapped from the header with scrypt and AES-256-GCM as documented. */
function unwrap(header: ReturnType<typeof parse>['header'], passphrase: string, storeId = STORE_ID): Buffer {
  const kek = crypto.scryptSync(Buffer.from(passphrase.normalize('NFC'), 'utf8'), Buffer.from(header.salt, 'hex'), 32, header.kdf);
  const sealed = Buffer.from(header.wrappedKey, 'hex');
  const d = crypto.createDecipheriv('aes-256-gcm', kek, sealed.subarray(0, 12));
  d.setAAD(Buffer.from(`ecps/backup-key/v1|${storeId}|N=${header.kdf.N},r=${header.kdf.r},p=${header.kdf.p}`, 'utf8'));
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([d.update(sealed.subarray(12, sealed.length - 16)), d.final()]);
}

const leftovers = (dir: string) => fs.readdirSync(path.dirname(dir)).filter((n) => n.startsWith(`.${path.basename(dir)}.restore-`));

describe('createBackup', () => {
  let out: string;
  let result: Awaited<ReturnType<typeof createBackup>>;
  beforeAll(async () => {
    out = path.join(temp(), 'store.ecpsbak');
    result = await createBackup(options(out));
  });

  it('writes the documented layout, its size and hash in the answer, 0600, and leaves no plaintext copy behind', () => {
    const { all, length, header, headBytes } = parse(out);
    expect(all.subarray(0, 8).toString('latin1')).toBe('ECPSBAK1');
    expect(BACKUP_MAGIC.toString('latin1')).toBe('ECPSBAK1');
    expect(length).toBeGreaterThan(2);
    expect(Object.keys(header).sort()).toEqual(['chunkBytes', 'createdAt', 'createdBy', 'format', 'kdf', 'keyCheck', 'salt', 'schemaVersion', 'storeBytes', 'storeId', 'streamSalt', 'wrappedKey']);
    expect(header).toMatchObject({ format: 1, storeId: STORE_ID, createdAt: NOW, createdBy: 'admin', schemaVersion: store.schemaVersion, kdf: KDF, chunkBytes: 4096 });
    expect(header.salt).toMatch(/^[0-9a-f]{32}$/);
    expect(header.storeBytes).toBeGreaterThan(4096);
    expect(header.storeBytes % 4096, 'the SQLite copy is whole pages').toBe(0);
    expect(all.length).toBe(headBytes + header.storeBytes + Math.ceil(header.storeBytes / 4096) * 16);
    expect(result).toEqual({ path: out, bytes: all.length, storeBytes: header.storeBytes, storeId: STORE_ID, createdAt: NOW, sha256: crypto.createHash('sha256').update(all).digest('hex') });
    expect(fs.statSync(out).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dataDir).filter((n) => n.startsWith('.backup-'))).toEqual([]);
    expect(fs.readdirSync(path.dirname(out))).toEqual(['store.ecpsbak']);
    expect(all.includes(Buffer.from('SQLite format 3')), 'the store is not in the file in clear').toBe(false);
  });

  it('seals a 32-byte key under the passphrase with the documented AAD, and records its check value', () => {
    const { header } = parse(out);
    const key = unwrap(header, PASS);
    expect(key).toHaveLength(32);
    expect(header.keyCheck).toBe(crypto.createHmac('sha256', key).update('ecps/backup-key-check/v1').digest('hex'));
    expect(() => unwrap(header, PASS, 'store-other')).toThrow();
  });

  it('every chunk opens as documented: HKDF chunk key, index-and-final-flag nonce, AAD SHA-256(prefix, header, "ecps/backup/v1"); together the SQLite copy', () => {
    const { all, header, headBytes } = parse(out);
    const key = unwrap(header, PASS);
    const chunkKey = Buffer.from(crypto.hkdfSync('sha256', key, Buffer.from(header['streamSalt'] as string, 'hex'), Buffer.from('ecps/stream/v2/chunk-key'), 32));
    const aad = crypto.createHash('sha256').update(all.subarray(0, headBytes)).update(Buffer.from('ecps/backup/v1')).digest();
    const count = Math.max(1, Math.ceil(header.storeBytes / header.chunkBytes));
    const plain: Buffer[] = [];
    let at = headBytes;
    for (let i = 0; i < count; i++) {
      const n = Math.min(header.chunkBytes, header.storeBytes - i * header.chunkBytes);
      const nonce = Buffer.alloc(12);
      nonce.writeUIntBE(i, 5, 6);
      nonce[11] = i === count - 1 ? 1 : 0;
      const d = crypto.createDecipheriv('aes-256-gcm', chunkKey, nonce);
      d.setAAD(aad);
      d.setAuthTag(all.subarray(at + n, at + n + 16));
      plain.push(d.update(all.subarray(at, at + n)), d.final());
      at += n + 16;
    }
    expect(at).toBe(all.length);
    const store = Buffer.concat(plain);
    expect(store).toHaveLength(header.storeBytes);
    expect(store.subarray(0, 16).toString('latin1')).toBe('SQLite format 3\0');
  });

  it('refuses a relative path, a short passphrase and bad custodians before writing anything', async () => {
    const dir = temp();
    const rel = await refusal(createBackup(options('store.ecpsbak')));
    expect([rel.code, rel.details]).toEqual(['invalid_input', { field: 'path' }]);
    expect(rel.message).toBe('store.ecpsbak is not an absolute path.');
    const weak = await refusal(createBackup(options(path.join(dir, 'a'), { passphrase: '12345678901' })));
    expect(weak.code).toBe('weak_passphrase');
    expect(weak.message).toBe('The backup passphrase must have at least 12 characters.');
    // Twelve code points (some of two UTF-16 units) are enough.
    await createBackup(options(path.join(dir, 'twelve'), { passphrase: '😀'.repeat(10) + 'ab' }));
    const k = await refusal(createBackup(options(path.join(dir, 'b'), { shares: { threshold: 3, custodians: ['ann', 'bob'] } })));
    expect([k.code, k.details]).toEqual(['invalid_input', { field: 'threshold' }]);
    const kdf = await refusal(createBackup(options(path.join(dir, 'c'), { kdf: { N: 3, r: 1, p: 1 } })));
    expect(kdf.code).toBe('invalid_input');
    expect(fs.readdirSync(dir)).toEqual(['twelve']);
    expect(fs.readdirSync(dataDir).filter((n) => n.startsWith('.backup-'))).toEqual([]);
  });

  it('never replaces an existing file', async () => {
    const dir = temp();
    const file = path.join(dir, 'there');
    fs.writeFileSync(file, 'keep me');
    await expect(createBackup(options(file))).rejects.toThrow();
    expect(fs.readFileSync(file, 'utf8')).toBe('keep me');
    expect(fs.readdirSync(dir)).toEqual(['there']);
    expect(fs.readdirSync(dataDir).filter((n) => n.startsWith('.backup-'))).toEqual([]);
  });
});

describe('restoreBackup', () => {
  let file: string;
  let storeBytes: number;
  beforeAll(async () => {
    file = path.join(temp(), 'store.ecpsbak');
    storeBytes = (await createBackup(options(file))).storeBytes;
  });

  const storeIdIn = (dir: string) => {
    const db = new Database(path.join(dir, 'console.db'), { readonly: true });
    try {
      return (db.prepare('SELECT store_id FROM store_meta WHERE id = 1').get() as { store_id: string }).store_id;
    } finally {
      db.close();
    }
  };

  it('restores into an absent folder and into an empty one, with the store it was made from', async () => {
    const absent = path.join(temp(), 'restored');
    expect(await restoreBackup({ from: file, dataDir: absent, passphrase: PASS })).toEqual({ dataDir: absent, storeId: STORE_ID, storeBytes, createdAt: NOW });
    expect(fs.readdirSync(absent)).toEqual(['console.db']);
    expect(fs.statSync(path.join(absent, 'console.db')).mode & 0o777).toBe(0o600);
    expect(storeIdIn(absent)).toBe(STORE_ID);
    expect(leftovers(absent)).toEqual([]);
    const empty = temp();
    expect(await restoreBackup({ from: file, dataDir: empty, passphrase: PASS.normalize('NFD') })).toMatchObject({ dataDir: empty, storeId: STORE_ID });
    expect(storeIdIn(empty)).toBe(STORE_ID);
    expect(leftovers(empty)).toEqual([]);
  });

  it('refuses a folder that holds anything, or a file, and leaves it as it was', async () => {
    const full = temp();
    fs.writeFileSync(path.join(full, 'console.db'), 'mine');
    const e = await refusal(restoreBackup({ from: file, dataDir: full, passphrase: PASS }));
    expect([e.code, e.details]).toEqual(['invalid_input', { field: 'dataDir', reason: 'target_not_empty' }]);
    expect(e.message).toContain('is not empty (1 entries)');
    expect(fs.readFileSync(path.join(full, 'console.db'), 'utf8')).toBe('mine');
    const plainFile = path.join(temp(), 'f');
    fs.writeFileSync(plainFile, 'x');
    const f = await refusal(restoreBackup({ from: file, dataDir: plainFile, passphrase: PASS }));
    expect([f.code, f.details]).toEqual(['invalid_input', { field: 'dataDir', reason: 'target_not_empty' }]);
    expect(fs.readFileSync(plainFile, 'utf8')).toBe('x');
  });

  it('refuses relative paths, both or neither of passphrase and shares, and a missing file', async () => {
    const target = path.join(temp(), 't');
    const rel = await refusal(restoreBackup({ from: 'x.ecpsbak', dataDir: target, passphrase: PASS }));
    expect([rel.code, rel.details]).toEqual(['invalid_input', { field: 'from' }]);
    const relDir = await refusal(restoreBackup({ from: file, dataDir: 'restored', passphrase: PASS }));
    expect([relDir.code, relDir.details]).toEqual(['invalid_input', { field: 'dataDir' }]);
    for (const o of [{}, { passphrase: PASS, shares: ['a'] }]) {
      const e = await refusal(restoreBackup({ from: file, dataDir: target, ...o }));
      expect([e.code, e.details]).toEqual(['invalid_input', { field: 'passphrase' }]);
    }
    const missing = await refusal(restoreBackup({ from: path.join(temp(), 'none'), dataDir: target, passphrase: PASS }));
    expect([missing.code, missing.details]).toEqual(['not_found', { field: 'from' }]);
    expect(fs.existsSync(target)).toBe(false);
  });

  /** Restores `bytes` as a backup file into a new folder: the refusal, and checks nothing was left. */
  async function restoreBytes(bytes: Buffer, o: { passphrase?: string; shares?: string[] } = { passphrase: PASS }) {
    const dir = temp();
    const from = path.join(dir, 'b.ecpsbak');
    fs.writeFileSync(from, bytes);
    const target = path.join(dir, 'restored');
    const e = await refusal(restoreBackup({ from, dataDir: target, ...o }));
    expect(fs.existsSync(target), 'nothing restored').toBe(false);
    expect(leftovers(target), 'no temporary folder left').toEqual([]);
    return e;
  }
  const withHeader = (mutate: (h: Record<string, unknown>) => void, lengthDelta = 0) => {
    const { all, header, headBytes } = parse(file);
    const h = { ...header } as Record<string, unknown>;
    mutate(h);
    const json = Buffer.from(JSON.stringify(h), 'utf8');
    const prefix = Buffer.alloc(12);
    BACKUP_MAGIC.copy(prefix);
    prefix.writeUInt32BE(json.length + lengthDelta, 8);
    return Buffer.concat([prefix, json, all.subarray(headBytes)]);
  };

  it('refuses a file that is not a backup, or ends inside its prefix', async () => {
    for (const bytes of [Buffer.from('SQLite format 3\0 and more bytes here'), Buffer.from('ECPSBAK'), Buffer.alloc(0), Buffer.concat([Buffer.from('ECPSBAK2'), parse(file).all.subarray(8)])]) {
      const e = await restoreBytes(bytes);
      expect([e.code, e.details]).toEqual(['ciphertext_foreign', { reason: 'not_a_backup' }]);
      expect(e.message).toBe('This file is not an ECPS console backup.');
    }
    const short = await restoreBytes(Buffer.from('ECPSBAK1\0\0'));
    expect([short.code, short.details]).toEqual(['ciphertext_malformed', { reason: 'malformed' }]);
    expect(short.message).toContain('it ends inside its header');
  });

  it('refuses a header length out of range or a header that is not the documented JSON', async () => {
    const { all } = parse(file);
    const cases: Buffer[] = [];
    for (const n of [0, 1, 16 * 1024 + 1, all.length]) {
      const b = Buffer.from(all);
      b.writeUInt32BE(n, 8);
      cases.push(b);
    }
    cases.push(withHeader(() => undefined, -1)); // the JSON cut by one byte
    cases.push(withHeader((h) => { h['format'] = 2; }));
    cases.push(withHeader((h) => { h['extra'] = 1; }));
    cases.push(withHeader((h) => { h['kdf'] = { N: 3, r: 1, p: 1 }; }));
    cases.push(withHeader((h) => { h['salt'] = 'ABCD'; }));
    cases.push(withHeader((h) => { h['chunkBytes'] = 8; }));
    cases.push(withHeader((h) => { h['storeId'] = ''; }));
    for (const bytes of cases) {
      const e = await restoreBytes(bytes);
      expect([e.code, e.details]).toEqual(['ciphertext_malformed', { reason: 'malformed' }]);
    }
    const exact = Buffer.from(all);
    exact.writeUInt32BE(16 * 1024 + 1, 8);
    expect((await restoreBytes(exact)).message).toContain('header length out of range');
  });

  it('refuses a truncated file, appended bytes, a wrong passphrase and an altered chunk', async () => {
    const { all, headBytes } = parse(file);
    const cut = await restoreBytes(all.subarray(0, all.length - 1));
    expect([cut.code, cut.details]).toEqual(['ciphertext_malformed', { reason: 'malformed' }]);
    expect(cut.message).toBe('The backup file is incomplete or damaged (it is 1 bytes shorter than its header says: truncated).');
    const longer = await restoreBytes(Buffer.concat([all, Buffer.from([0, 0])]));
    expect([longer.code, longer.details]).toEqual(['ciphertext_tampered', { reason: 'trailing_data' }]);
    expect(longer.message).toBe('The backup file has 2 bytes more than its header says: data was appended.');
    const wrong = await restoreBytes(all, { passphrase: `${PASS}x` });
    expect(wrong.code).toBe('wrong_passphrase');
    const alteredWrap = await restoreBytes(withHeader((h) => { h['storeId'] = 'store-bk-2'; }));
    expect(alteredWrap.code, 'a changed store id breaks the key AAD').toBe('wrong_passphrase');
    for (const at of [headBytes + 5, all.length - 20, all.length - 1]) {
      const b = Buffer.from(all);
      b[at]! ^= 1;
      const e = await restoreBytes(b);
      expect(e.code).toBe('ciphertext_tampered');
    }
    // A header byte outside the key wrap (createdBy) is bound into every chunk.
    const e = await restoreBytes(withHeader((h) => { h['createdBy'] = 'admiN'; }));
    expect(e.code).toBe('ciphertext_tampered');
  });

  it('refuses a backup whose decrypted store names another store, or is not a store', async () => {
    const dir = temp();
    const other = path.join(dir, 'other.ecpsbak');
    await createBackup(options(other, { storeId: 'store-claimed' }));
    const e = await restoreBytes(fs.readFileSync(other));
    expect([e.code, e.details]).toEqual(['integrity_failure', { reason: 'restored_store_invalid' }]);
  });

  // Round (z): the exact words of each refusal (a table written here: the message is what the CLI prints and the
  // window shows), the boundaries of the prefix and header-length checks, the header's hex fields, and where the
  // restored store lands.
  const MALFORMED = (what: string) => `The backup file is incomplete or damaged (${what}).`;
  const NOT_READABLE = MALFORMED('the header is not readable');
  const OUT_OF_RANGE = MALFORMED('header length out of range');
  const prefixed = (length: number, rest: Buffer) => {
    const prefix = Buffer.alloc(12);
    BACKUP_MAGIC.copy(prefix);
    prefix.writeUInt32BE(length, 8);
    return Buffer.concat([prefix, rest]);
  };

  it('names what is wrong at each edge of the prefix and header length', async () => {
    const { all } = parse(file);
    expect(all.length, 'the store is bigger than the largest header').toBeGreaterThan(12 + 16 * 1024 + 16);
    const withLength = (n: number) => {
      const b = Buffer.from(all);
      b.writeUInt32BE(n, 8);
      return b;
    };
    // [what, the file, the refusal's code and message]
    const EDGES: Array<[string, Buffer, string, string]> = [
      ['the magic alone (8 bytes)', Buffer.from('ECPSBAK1'), 'ciphertext_malformed', MALFORMED('it ends inside its header')],
      ['one byte short of the prefix (11)', Buffer.from('ECPSBAK1\0\0\0'), 'ciphertext_malformed', MALFORMED('it ends inside its header')],
      ['the prefix alone, naming 2 header bytes', prefixed(2, Buffer.alloc(0)), 'ciphertext_malformed', OUT_OF_RANGE],
      ['header length 1', withLength(1), 'ciphertext_malformed', OUT_OF_RANGE],
      ['header length 2, "{}" (in range, not the header)', prefixed(2, Buffer.from('{}')), 'ciphertext_malformed', NOT_READABLE],
      ['a header reaching exactly the end of the file', prefixed(20, Buffer.alloc(20, 0x7b)), 'ciphertext_malformed', NOT_READABLE],
      ['a header one byte past the end of the file', prefixed(21, Buffer.alloc(20, 0x7b)), 'ciphertext_malformed', OUT_OF_RANGE],
      ['header length 16 KiB (the most)', withLength(16 * 1024), 'ciphertext_malformed', NOT_READABLE],
      ['header length 16 KiB + 1', withLength(16 * 1024 + 1), 'ciphertext_malformed', OUT_OF_RANGE],
      ['seven bytes', Buffer.from('ECPSBAK'), 'ciphertext_foreign', 'This file is not an ECPS console backup.'],
    ];
    for (const [what, bytes, code, message] of EDGES) {
      const e = await restoreBytes(bytes);
      expect([e.code, e.message, e.details], what).toEqual([code, message, { reason: code === 'ciphertext_foreign' ? 'not_a_backup' : 'malformed' }]);
    }
  });

  it('refuses a hex field that is not whole lowercase hex pairs from start to end', async () => {
    const { header } = parse(file);
    const salt = header.salt;
    for (const bad of [`${salt}g`, `g${salt}`, `${salt}a`, `${salt.slice(0, -2)} 0`, `0x${salt}`, '']) {
      const e = await restoreBytes(withHeader((h) => { h['salt'] = bad; }));
      expect([e.code, e.message], bad).toEqual(['ciphertext_malformed', NOT_READABLE]);
    }
    for (const field of ['wrappedKey', 'streamSalt', 'keyCheck']) {
      const e = await restoreBytes(withHeader((h) => { h[field] = `${String(h[field])}0`; }));
      expect([e.code, e.message], field).toEqual(['ciphertext_malformed', NOT_READABLE]);
    }
  });

  it('refuses with the words of the table: paths, the key, the file', async () => {
    const dir = temp();
    const target = path.join(dir, 'restored');
    const missing = path.join(dir, 'none.ecpsbak');
    const { all } = parse(file);
    const REFUSALS: Array<[string, Promise<unknown>, string, string]> = [
      ['a relative file', restoreBackup({ from: 'x.ecpsbak', dataDir: target, passphrase: PASS }), 'invalid_input', 'x.ecpsbak is not an absolute path.'],
      ['a relative folder', restoreBackup({ from: file, dataDir: 'restored', passphrase: PASS }), 'invalid_input', 'restored is not an absolute path.'],
      ['neither passphrase nor shares', restoreBackup({ from: file, dataDir: target }), 'invalid_input', 'Give the backup passphrase or the backup key\'s shares (one of the two).'],
      ['a missing file', restoreBackup({ from: missing, dataDir: target, passphrase: PASS }), 'not_found', `The backup file ${missing} cannot be read.`],
    ];
    for (const [what, p, code, message] of REFUSALS) {
      const e = await refusal(p);
      expect([e.code, e.message], what).toEqual([code, message]);
    }
    const wrong = await restoreBytes(all, { passphrase: `${PASS}x` });
    expect(wrong.message).toBe('The backup passphrase is wrong (or the backup\'s key header was altered).');
    const plainFile = path.join(dir, 'a-file');
    fs.writeFileSync(plainFile, 'x');
    const notFolder = await refusal(restoreBackup({ from: file, dataDir: plainFile, passphrase: PASS }));
    expect(notFolder.message).toBe(`${plainFile} exists and is not a folder.`);
    const full = temp();
    fs.writeFileSync(path.join(full, 'a'), 'a');
    fs.writeFileSync(path.join(full, 'b'), 'b');
    const notEmpty = await refusal(restoreBackup({ from: file, dataDir: full, passphrase: PASS }));
    expect(notEmpty.message).toBe(`${full} is not empty (2 entries); a backup is restored into a new or empty folder only, never over a store.`);
    expect(fs.existsSync(target)).toBe(false);
  });

  it('refuses a data folder it cannot use (a path through a file, a parent that does not exist) with a typed error naming the field', async () => {
    const dir = temp();
    const aFile = path.join(dir, 'a-file');
    fs.writeFileSync(aFile, 'x');
    const through = path.join(aFile, 'restored');
    const e = await refusal(restoreBackup({ from: file, dataDir: through, passphrase: PASS }));
    expect([e.code, e.message, e.details]).toEqual(['invalid_input', `${through} cannot be used as the data folder (ENOTDIR).`, { field: 'dataDir' }]);
    const orphan = path.join(dir, 'no-parent', 'restored');
    const o = await refusal(restoreBackup({ from: file, dataDir: orphan, passphrase: PASS }));
    expect([o.code, o.message, o.details]).toEqual(['invalid_input', `Cannot restore beside ${orphan}: its parent folder cannot be written (ENOENT).`, { field: 'dataDir' }]);
    expect(fs.readdirSync(dir)).toEqual(['a-file']);
  });

  it('moves the decrypted folder (0700) into place when the target is absent, and only the database into an empty target (the folder kept)', async () => {
    const absent = path.join(temp(), 'restored');
    await restoreBackup({ from: file, dataDir: absent, passphrase: PASS });
    expect(fs.statSync(absent).mode & 0o777).toBe(0o700);
    const empty = path.join(temp(), 'mine');
    fs.mkdirSync(empty, { mode: 0o750 });
    fs.chmodSync(empty, 0o750);
    const inode = fs.statSync(empty).ino;
    await restoreBackup({ from: file, dataDir: empty, passphrase: PASS });
    expect([fs.statSync(empty).ino, fs.statSync(empty).mode & 0o777]).toEqual([inode, 0o750]);
    expect(fs.readdirSync(empty)).toEqual(['console.db']);
    expect(leftovers(empty)).toEqual([]);
  });

  it('refuses a decrypted database that fails SQLite\'s integrity check although it names this store', async () => {
    const dir = temp();
    const damaged = path.join(dir, 'damaged.db');
    const marker = 'marker-value-0001';
    const made = new Database(damaged);
    made.exec('CREATE TABLE store_meta (id INTEGER PRIMARY KEY, store_id TEXT NOT NULL); CREATE TABLE t (v TEXT); CREATE INDEX t_v ON t (v);');
    made.prepare('INSERT INTO store_meta VALUES (1, ?)').run(STORE_ID);
    made.prepare('INSERT INTO t VALUES (?)').run(marker);
    made.close();
    // The table's copy of the value changed, its index entry not: the rows are readable, the file is not intact.
    const bytes = fs.readFileSync(damaged);
    const at = bytes.indexOf(marker);
    expect(at).toBeGreaterThan(0);
    bytes[at + marker.length - 1] = '2'.charCodeAt(0);
    fs.writeFileSync(damaged, bytes);
    const db = new Database(damaged);
    try {
      expect(db.pragma('integrity_check', { simple: true }), 'the test\'s file is damaged').not.toBe('ok');
      expect(db.prepare('SELECT store_id FROM store_meta WHERE id = 1').pluck().get()).toBe(STORE_ID);
      const out = path.join(dir, 'damaged.ecpsbak');
      await createBackup(options(out, { db, dataDir: dir }));
      const e = await restoreBytes(fs.readFileSync(out));
      expect([e.code, e.message, e.details]).toEqual(['integrity_failure', 'The restored database failed its integrity check or names another store; nothing was restored.', { reason: 'restored_store_invalid' }]);
    } finally {
      db.close();
    }
  });

  describe('with the backup key split into shares', () => {
    let shared: string;
    let shares: string[];
    beforeAll(async () => {
      shared = path.join(temp(), 'shared.ecpsbak');
      const r = await createBackup(options(shared, { shares: { threshold: 2, custodians: ['ann', 'bob', 'cy'] } }));
      shares = r.shares!.map((s) => s.share);
      expect(r.shares!.map((s) => [s.index, s.custodian])).toEqual([[1, 'ann'], [2, 'bob'], [3, 'cy']]);
    });

    const withSharedHeader = (mutate: (h: Record<string, unknown>) => void) => {
      const { all, header, headBytes } = parse(shared);
      const h = { ...header } as Record<string, unknown>;
      mutate(h);
      const json = Buffer.from(JSON.stringify(h), 'utf8');
      const prefix = Buffer.alloc(12);
      BACKUP_MAGIC.copy(prefix);
      prefix.writeUInt32BE(json.length, 8);
      return Buffer.concat([prefix, json, all.subarray(headBytes)]);
    };

    it('records the set in the header and restores from any two shares (or the passphrase)', async () => {
      const { header } = parse(shared);
      expect(header['shareSetId']).toMatch(/^b[0-9a-f]{14}$/);
      const d = decodeShare(shares[0]!, 1);
      expect(d).toMatchObject({ storeId: STORE_ID, setId: header['shareSetId'], threshold: 2, count: 3, index: 1, custodian: 'ann' });
      expect(d.bytes, "the x coordinate and 32 key bytes").toHaveLength(33);
      const a = path.join(temp(), 'r');
      expect(await restoreBackup({ from: shared, dataDir: a, shares: [shares[2]!, shares[0]!] })).toMatchObject({ storeId: STORE_ID, storeBytes: header.storeBytes });
      expect(storeIdIn(a)).toBe(STORE_ID);
      const b = path.join(temp(), 'r');
      await restoreBackup({ from: shared, dataDir: b, passphrase: PASS });
      expect(storeIdIn(b)).toBe(STORE_ID);
    });

    it('refuses too few shares, shares of another backup, an altered share, and shares for a backup not split', async () => {
      const all = fs.readFileSync(shared);
      const few = await restoreBytes(all, { shares: [shares[0]!] });
      expect(few.details).toMatchObject({ reason: 'too_few_shares', needed: 2, given: 1 });
      const d = decodeShare(shares[0]!, 1);
      const e2 = decodeShare(shares[1]!, 2);
      const moved = [encodeShare({ ...d, setId: 'bffffffffffffff' }), encodeShare({ ...e2, setId: 'bffffffffffffff' })];
      const other = await restoreBytes(all, { shares: moved });
      expect([other.code, other.details]).toEqual(['invalid_input', { field: 'shares', reason: 'share_other_backup' }]);
      expect(other.message).toBe(`These shares are of another backup (set bffffffffffffff); this backup's key was split as set ${parse(shared).header['shareSetId'] as string}.`);
      const altered = Buffer.from(d.bytes);
      altered[3]! ^= 0x10;
      const bad = await restoreBytes(all, { shares: [encodeShare({ ...d, bytes: altered }), shares[1]!] });
      expect([bad.code, bad.details]).toEqual(['integrity_failure', { reason: 'backup_key_mismatch' }]);
      expect(bad.message).toBe('The shares rebuild a key that does not open this backup: one of them was altered.');
      // A check value of another length in the header: the same typed refusal, not a comparison error.
      for (const keyCheck of ['abcd', `${parse(shared).header.keyCheck}00`]) {
        const short = await restoreBytes(withSharedHeader((h) => { h['keyCheck'] = keyCheck; }), { shares: shares.slice(0, 2) });
        expect([short.code, short.details, short.message], keyCheck).toEqual(['integrity_failure', { reason: 'backup_key_mismatch' }, 'The shares rebuild a key that does not open this backup: one of them was altered.']);
      }
      const notSplit = await restoreBytes(fs.readFileSync(file), { shares });
      expect([notSplit.code, notSplit.details]).toEqual(['invalid_input', { field: 'shares', reason: 'backup_without_shares' }]);
      expect(notSplit.message).toBe('This backup\'s key was not split into shares; restore it with its passphrase.');
    });
  });
});
