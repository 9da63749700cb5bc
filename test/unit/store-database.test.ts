// The SQLite store: migrations and schema version, WAL/durability settings, and refusal (without writing) of newer,
// corrupt and busy databases.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isConsoleError } from '../../shared/errors.ts';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../electron/store/migrations.ts';
import { openStoreDatabase, STORE_FILE_NAME } from '../../electron/store/database.ts';
import { codeOf, dbFile, removeTempDirs, sha256File, tempDir, withRawDb } from './store-testkit.ts';

const now = () => '2026-01-01T00:00:00.000Z';

afterEach(removeTempDirs);

describe('opening and migrating', () => {
  it('creates the folder and database and applies every migration once, recording the schema version', () => {
    const dir = path.join(tempDir(), 'nested', 'data');
    const s = openStoreDatabase(dir, now);
    expect(s.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(s.path).toBe(path.join(dir, STORE_FILE_NAME));
    const tables = (s.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['schema_migrations', 'store_meta', 'unlock_throttle', 'keys', 'key_versions', 'audit_records', 'audit_checkpoints']));
    s.close();
    const again = openStoreDatabase(dir, now);
    expect(again.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    // Each migration once (the list may have gaps while migrations of parallel branches are merged).
    expect(again.db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual(MIGRATIONS.map((m) => m.version));
    again.close();
  });

  it('runs in WAL mode with full synchronous writes, foreign keys, secure delete and a 32 MiB page cache', () => {
    const s = openStoreDatabase(tempDir(), now);
    expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(s.db.pragma('synchronous', { simple: true })).toBe(2);
    expect(s.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(s.db.pragma('secure_delete', { simple: true })).toBe(1);
    // 32 MiB of page cache (a negative cache_size is KiB; SQLite's default is -2000)
    expect(s.db.pragma('cache_size', { simple: true })).toBe(-32 * 1024);
    expect(() => s.db.prepare("INSERT INTO key_versions (key_id, version, created_at, check_value, destroyed) VALUES ('nope', 1, 'x', 'y', 0)").run()).toThrow(/FOREIGN KEY/);
    s.close();
  });
});

describe('refusing databases it must not touch', () => {
  it('refuses a database written by a newer console and leaves it byte-identical', async () => {
    const dir = tempDir();
    openStoreDatabase(dir, now).close();
    withRawDb(dir, (db) => db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(LATEST_SCHEMA_VERSION + 5, now()));
    const before = sha256File(dbFile(dir));
    let err: unknown;
    try {
      openStoreDatabase(dir, now);
    } catch (e) {
      err = e;
    }
    expect(isConsoleError(err) && err.code).toBe('store_newer');
    expect(isConsoleError(err) && err.details).toMatchObject({ found: LATEST_SCHEMA_VERSION + 5, supported: LATEST_SCHEMA_VERSION });
    expect(sha256File(dbFile(dir))).toBe(before);
    expect(fs.existsSync(dbFile(dir) + '-wal')).toBe(false);
  });

  it('refuses a file that is not a database and leaves it byte-identical', async () => {
    const dir = tempDir();
    fs.writeFileSync(dbFile(dir), Buffer.from('this is a spreadsheet, not a key store\n'.repeat(200)));
    const before = sha256File(dbFile(dir));
    expect(await codeOf(() => openStoreDatabase(dir, now))).toBe('store_corrupt');
    expect(sha256File(dbFile(dir))).toBe(before);
  });

  it('refuses a console database with damaged pages and leaves it byte-identical', async () => {
    const dir = tempDir();
    const s = openStoreDatabase(dir, now);
    const fill = s.db.prepare('INSERT INTO audit_records (seq, ts, actor, action, target_type, target_id, outcome, details, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    for (let i = 1; i <= 400; i++) fill.run(i, now(), 'alice', 'test.fill', null, null, 'success', '{}', 'x'.repeat(64));
    s.close();
    const file = dbFile(dir);
    const bytes = fs.readFileSync(file);
    const pageSize = bytes.readUInt16BE(16);
    // Scribble over the b-tree pages from page 3 on (the schema page stays readable).
    for (let p = 2; p * pageSize < bytes.length; p++) bytes.fill(0xa5, p * pageSize, p * pageSize + 64);
    fs.writeFileSync(file, bytes);
    const before = sha256File(file);
    expect(await codeOf(() => openStoreDatabase(dir, now))).toBe('store_corrupt');
    expect(sha256File(file)).toBe(before);
  });

  it('refuses a SQLite database of another program (tables but no schema version)', async () => {
    const dir = tempDir();
    withRawDb(dir, (db) => db.exec('CREATE TABLE contacts (name TEXT)'));
    const before = sha256File(dbFile(dir));
    expect(await codeOf(() => openStoreDatabase(dir, now))).toBe('store_corrupt');
    expect(sha256File(dbFile(dir))).toBe(before);
  });

  it('refuses a second open in the same process with store_busy, and opens again after close', async () => {
    const dir = tempDir();
    const first = openStoreDatabase(dir, now);
    expect(await codeOf(() => openStoreDatabase(dir, now))).toBe('store_busy');
    first.close();
    openStoreDatabase(dir, now).close();
  });

  it('refuses an open from a second process while the first holds the store', () => {
    const dir = tempDir();
    const first = openStoreDatabase(dir, now);
    try {
      const script = `
        import { openStoreDatabase } from ${JSON.stringify(path.resolve('electron/store/database.ts'))};
        try { openStoreDatabase(${JSON.stringify(dir)}, () => 'x').close(); console.log('opened'); }
        catch (e) { console.log(e.code); }
      `;
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
      expect(child.stderr).toBe('');
      expect(child.stdout.trim()).toBe('store_busy');
    } finally {
      first.close();
    }
  });
});

describe('a commit whose checkpoint waits for the next turn (checkpointAfter)', () => {
  // ~1,500 pages of 4 KiB: past SQLite's automatic checkpoint threshold (1,000 WAL pages) in one commit.
  const ROWS = 1500;
  const bulk = (s: ReturnType<typeof openStoreDatabase>, tag: string) => {
    s.db.exec('CREATE TABLE IF NOT EXISTS bulk (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
    const insert = s.db.prepare('INSERT INTO bulk (body) VALUES (?)');
    s.db.transaction(() => {
      for (let i = 0; i < ROWS; i++) insert.run(Buffer.alloc(3000, tag));
    }).immediate();
  };
  const fileSize = (dir: string) => fs.statSync(dbFile(dir)).size;
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

  it('keeps SQLite automatic checkpoint at 1,000 WAL pages: a plain large commit copies its pages into the file at once', () => {
    const dir = tempDir();
    const s = openStoreDatabase(dir, now);
    try {
      expect(s.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
      const before = fileSize(dir);
      bulk(s, 'a');
      // The commit itself ran the checkpoint: the database file holds the new pages before anything else runs.
      expect(fileSize(dir)).toBeGreaterThan(before + ROWS * 3000);
    } finally {
      s.close();
    }
  });

  it('answers with the pages in the WAL only, and copies them into the file on the next turn of the event loop', async () => {
    const dir = tempDir();
    const s = openStoreDatabase(dir, now);
    try {
      const before = fileSize(dir);
      expect(s.checkpointAfter(() => (bulk(s, 'b'), 'answer'))).toBe('answer');
      // Committed (readable) but not yet copied into the database file.
      expect(s.db.prepare('SELECT COUNT(*) FROM bulk').pluck().get()).toBe(ROWS);
      expect(fileSize(dir)).toBe(before);
      // The automatic checkpoint is back for every other commit.
      expect(s.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
      await nextTurn();
      expect(fileSize(dir)).toBeGreaterThan(before + ROWS * 3000);
    } finally {
      s.close();
    }
  });

  it('restores the automatic checkpoint when the work throws, and a store closed before the next turn is not touched', async () => {
    const dir = tempDir();
    const s = openStoreDatabase(dir, now);
    expect(() => s.checkpointAfter(() => {
      throw new Error('refused');
    })).toThrow('refused');
    expect(s.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    s.checkpointAfter(() => bulk(s, 'c'));
    s.close();
    await nextTurn();
    const again = openStoreDatabase(dir, now);
    expect(again.db.prepare('SELECT COUNT(*) FROM bulk').pluck().get()).toBe(ROWS);
    again.close();
  });

  it('loses nothing committed when the process dies before the checkpoint: the WAL is replayed at the next open', () => {
    const dir = tempDir();
    // SIGKILL right after the commit: no next turn, no close, no checkpoint.
    const script = `
      import { openStoreDatabase } from ${JSON.stringify(path.resolve('electron/store/database.ts'))};
      const s = openStoreDatabase(${JSON.stringify(dir)}, () => 'x');
      s.db.exec('CREATE TABLE bulk (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
      const insert = s.db.prepare('INSERT INTO bulk (body) VALUES (?)');
      s.checkpointAfter(() => s.db.transaction(() => { for (let i = 0; i < ${ROWS}; i++) insert.run(Buffer.alloc(3000, 'd')); }).immediate());
      console.log('committed');
      process.kill(process.pid, 'SIGKILL');
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.signal).toBe('SIGKILL');
    expect(child.stdout.trim()).toBe('committed');
    // The rows are in the WAL only: the database file never received them.
    expect(fs.statSync(dbFile(dir) + '-wal').size).toBeGreaterThan(ROWS * 3000);
    const s = openStoreDatabase(dir, now);
    try {
      expect(s.db.prepare('SELECT COUNT(*) FROM bulk').pluck().get()).toBe(ROWS);
      expect(s.db.prepare("SELECT COUNT(*) FROM bulk WHERE body = ?").pluck().get(Buffer.alloc(3000, 'd'))).toBe(ROWS);
    } finally {
      s.close();
    }
  });
});
