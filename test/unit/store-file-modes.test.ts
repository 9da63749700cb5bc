// The store's files are private to the officer's account: the data folder 0700, console.db and the files SQLite keeps
// beside it 0600, on creation and (tightened) on every open. POSIX only: on Windows the modes are left alone.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openStoreDatabase } from '../../electron/store/database.ts';
import { codeOf, dbFile, removeTempDirs, sha256File, tempDir } from './store-testkit.ts';

const now = () => '2026-01-01T00:00:00.000Z';
const modeOf = (p: string) => fs.statSync(p).mode & 0o777;
/** Every console.db* file in the folder with its mode, e.g. {'console.db': 0o600, 'console.db-wal': 0o600}. */
const storeFileModes = (dir: string) =>
  Object.fromEntries(fs.readdirSync(dir).filter((f) => f.startsWith('console.db')).map((f) => [f, modeOf(path.join(dir, f))]));

afterEach(removeTempDirs);

describe.skipIf(process.platform === 'win32')('store file modes (POSIX)', () => {
  // The most permissive umask: what the console creates must not depend on the officer's shell settings.
  let saved: number;
  beforeAll(() => {
    saved = process.umask(0);
  });
  afterAll(() => {
    process.umask(saved);
  });

  it('creates the data folder 0700 and console.db and its write-ahead log 0600', () => {
    const dir = path.join(tempDir(), 'data');
    const s = openStoreDatabase(dir, now);
    try {
      expect(modeOf(dir)).toBe(0o700);
      // The migrations were written through the WAL: it exists while the store is open.
      expect(fs.existsSync(dbFile(dir) + '-wal')).toBe(true);
      const modes = storeFileModes(dir);
      expect(Object.keys(modes)).toContain('console.db');
      for (const [file, mode] of Object.entries(modes)) expect(mode, file).toBe(0o600);
    } finally {
      s.close();
    }
  });

  it('tightens an existing 0755 folder, a 0644 console.db and a 0644 write-ahead log left by a crash on open', () => {
    const dir = tempDir();
    openStoreDatabase(dir, now).close();
    // A crash leaves the WAL behind: copy it while another connection has it full, then put it back world-readable.
    const raw = new Database(dbFile(dir));
    raw.exec('CREATE TABLE crash_leftover (x); INSERT INTO crash_leftover VALUES (1)');
    const wal = fs.readFileSync(dbFile(dir) + '-wal');
    raw.close();
    expect(wal.length).toBeGreaterThan(0);
    fs.writeFileSync(dbFile(dir) + '-wal', wal, { mode: 0o644 });
    fs.chmodSync(dbFile(dir) + '-wal', 0o644);
    fs.chmodSync(dbFile(dir), 0o644);
    fs.chmodSync(dir, 0o755);
    const s = openStoreDatabase(dir, now);
    try {
      expect(modeOf(dir)).toBe(0o700);
      const modes = storeFileModes(dir);
      expect(Object.keys(modes)).toContain('console.db-wal');
      for (const [file, mode] of Object.entries(modes)) expect(mode, file).toBe(0o600);
    } finally {
      s.close();
    }
  });

  it("creates console.db 0600 and writable even under a umask that takes the owner's write bit", () => {
    const dir = path.join(tempDir(), 'data');
    const previous = process.umask(0o277);
    try {
      const s = openStoreDatabase(dir, now);
      s.close();
    } finally {
      process.umask(previous);
    }
    expect(modeOf(dir)).toBe(0o700);
    expect(modeOf(dbFile(dir))).toBe(0o600);
  });

  it('leaves a foreign file it refuses untouched, mode included', async () => {
    const dir = tempDir();
    fs.writeFileSync(dbFile(dir), 'not a database at all', { mode: 0o644 });
    const before = sha256File(dbFile(dir));
    expect(await codeOf(() => openStoreDatabase(dir, now))).toBe('store_corrupt');
    expect(modeOf(dbFile(dir))).toBe(0o644);
    expect(sha256File(dbFile(dir))).toBe(before);
  });

  it('refuses a data folder it cannot create with a typed error naming ECPS_DATA_DIR', async () => {
    const file = path.join(tempDir(), 'a-file');
    fs.writeFileSync(file, 'x');
    let err: unknown;
    try {
      openStoreDatabase(path.join(file, 'data'), now);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'invalid_input', details: { field: 'ECPS_DATA_DIR' } });
  });
});

describe('store file modes on Windows', () => {
  it('changes no mode (ACLs of the profile folder protect the store there)', () => {
    const dir = tempDir();
    openStoreDatabase(dir, now, 'win32').close();
    fs.chmodSync(dir, 0o755);
    fs.chmodSync(dbFile(dir), 0o644);
    openStoreDatabase(dir, now, 'win32').close();
    expect(modeOf(dir)).toBe(0o755);
    expect(modeOf(dbFile(dir))).toBe(0o644);
  });
});
