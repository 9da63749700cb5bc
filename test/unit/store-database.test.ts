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
