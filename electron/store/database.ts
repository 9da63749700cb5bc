// Opens the console's SQLite database: refuses newer, corrupt or busy files without writing to them, then switches to
// WAL with an exclusive lock (so a second console on the same folder is refused) and applies pending migrations.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ConsoleError } from '../../shared/errors.ts';
import { MIGRATIONS, LATEST_SCHEMA_VERSION } from './migrations.ts';

export type Db = Database.Database;

export const STORE_FILE_NAME = 'console.db';

export interface OpenedStore {
  readonly db: Db;
  readonly path: string;
  readonly schemaVersion: number;
  /** Copies the WAL into the main file and truncates it, so overwritten pages leave no old copy in the WAL. */
  checkpointWal(): void;
  /**
   * Runs `fn` (a transaction, committed durably in the WAL as any other) without SQLite's automatic checkpoint at its
   * commit, and checkpoints on the event loop's next turn instead (PASSIVE, as the automatic one; skipped once the
   * store is closed, which checkpoints itself). A commit of ~1,300 pages (an emergency run over 10,000 certificates)
   * otherwise copied them into the database file and synced it twice before answering (docs/benchmarks.md). Nothing
   * committed waits on the checkpoint: a crash before it leaves the pages in the WAL, which SQLite replays at open.
   */
  checkpointAfter<T>(fn: () => T): T;
  close(): void;
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

function sqliteCode(e: unknown): string {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
}

/** Translates SQLite failures while opening into the console's stable codes; never leaks SQL. */
export function openError(e: unknown, file: string): ConsoleError {
  if (e instanceof ConsoleError) return e;
  const code = sqliteCode(e);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new ConsoleError('store_busy', `The database ${file} is in use by another console process.`);
  }
  if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) {
    return new ConsoleError('store_corrupt', `The database ${file} is damaged or not a console database; it was left untouched.`);
  }
  const reason = e instanceof Error ? e.message : String(e);
  return new ConsoleError('internal', `Could not open the database ${file}: ${reason}`);
}

/** Checks the file header before SQLite touches the file, so a foreign or damaged file is never rewritten. */
function checkHeader(file: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) return;
    const head = Buffer.alloc(SQLITE_HEADER.length);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    if (n < head.length || !head.equals(SQLITE_HEADER)) {
      throw new ConsoleError('store_corrupt', `The file ${file} is not a console database; it was left untouched.`);
    }
  } finally {
    fs.closeSync(fd);
  }
}

function readSchemaVersion(db: Db): number {
  const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (!table) {
    const others = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").get() as { n: number };
    if (others.n > 0) throw new ConsoleError('store_corrupt', 'The database holds tables but no schema version; it is not a console database.');
    return 0;
  }
  const row = db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

function migrate(db: Db, from: number, now: () => string): number {
  let version = from;
  for (const m of MIGRATIONS) {
    if (m.version <= version) continue;
    db.transaction(() => {
      m.up(db);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(m.version, now());
    }).immediate();
    version = m.version;
  }
  return version;
}

/** Owner-only modes for the data folder and the store's files (POSIX; on Windows the profile folder's ACL protects them). */
export const DATA_DIR_MODE = 0o700;
export const STORE_FILE_MODE = 0o600;
/** The files SQLite keeps beside the database; it creates them with the database file's own mode. */
export const STORE_SIDE_FILES = ['-wal', '-shm', '-journal'] as const;

/** Creates the data folder 0700, or tightens an existing one to 0700. */
function privateDataDir(dataDir: string, platform: NodeJS.Platform): void {
  try {
    fs.mkdirSync(dataDir, { recursive: true, mode: DATA_DIR_MODE });
    if (platform !== 'win32') fs.chmodSync(dataDir, DATA_DIR_MODE);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new ConsoleError('invalid_input', `The data folder ${dataDir} cannot be created or made private to this user (${code}); use a folder you own (ECPS_DATA_DIR).`, {
      field: 'ECPS_DATA_DIR',
    });
  }
}

/** Creates console.db 0600 before SQLite does (it would use 0644), or tightens an existing one and its side files. */
function privateStoreFiles(file: string, platform: NodeJS.Platform): void {
  if (platform === 'win32') return;
  try {
    const fd = fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_RDWR, STORE_FILE_MODE);
    try {
      // Exactly 0600 whatever the umask (a umask could also take the owner's write bit).
      fs.fchmodSync(fd, STORE_FILE_MODE);
    } finally {
      fs.closeSync(fd);
    }
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  for (const f of [file, ...STORE_SIDE_FILES.map((suffix) => file + suffix)]) {
    try {
      fs.chmodSync(f, STORE_FILE_MODE);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}

/** SQLite's automatic checkpoint threshold in WAL pages (its default, set explicitly: checkpointAfter restores it). */
export const WAL_AUTOCHECKPOINT_PAGES = 1000;

/** The page cache's bound in KiB (`PRAGMA cache_size` negative: KiB, not pages). */
export const STORE_CACHE_KIB = 32 * 1024;

/** Opens (creating when absent) the store database in dataDir. */
export function openStoreDatabase(dataDir: string, now: () => string, platform: NodeJS.Platform = process.platform): OpenedStore {
  privateDataDir(dataDir, platform);
  const file = path.join(dataDir, STORE_FILE_NAME);
  checkHeader(file);
  // After the header check: a foreign file is refused untouched, mode included.
  privateStoreFiles(file, platform);
  let db: Db | null = null;
  try {
    db = new Database(file, { timeout: 0 });
    db.pragma('locking_mode = EXCLUSIVE');
    // Read-only checks first: a refused file must stay byte-identical.
    const quick = db.pragma('quick_check', { simple: true });
    if (quick !== 'ok') throw new ConsoleError('store_corrupt', `The database ${file} failed its integrity check; it was left untouched.`);
    const found = readSchemaVersion(db);
    if (found > LATEST_SCHEMA_VERSION) {
      throw new ConsoleError(
        'store_newer',
        `The database ${file} has schema version ${found}; this console understands up to ${LATEST_SCHEMA_VERSION}. It was left untouched.`,
        { found, supported: LATEST_SCHEMA_VERSION },
      );
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // Freed pages (e.g. destroyed key material) are zeroed, not left behind in the file.
    db.pragma('secure_delete = ON');
    // Up to 32 MiB of pages kept (SQLite's default is 2 MB, allocated as used): an emergency run over 10,000 robots
    // reads the same certificate pages five times (preview, listing, pending check, the CA's and the registry's
    // updates; the store is ~12 MB), re-read from the operating system at each pass with the default (docs/benchmarks.md).
    db.pragma(`cache_size = -${STORE_CACHE_KIB}`);
    db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    // Take the exclusive lock now, not at the first write, so a second console is refused at open.
    db.exec('BEGIN EXCLUSIVE; COMMIT');
    if (found === 0) db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
    const schemaVersion = migrate(db, found, now);
    const opened = db;
    let closed = false;
    let deferred: NodeJS.Immediate | null = null;
    const checkpointDeferred = () => {
      deferred = null;
      if (closed) return;
      try {
        opened.pragma('wal_checkpoint(PASSIVE)');
      } catch {
        // As SQLite's automatic checkpoint: a failed one leaves the WAL as it is (committed, replayed at open) and
        // the next commit past the threshold tries again.
      }
    };
    return {
      db: opened,
      path: file,
      schemaVersion,
      checkpointWal() {
        opened.pragma('wal_checkpoint(TRUNCATE)');
      },
      checkpointAfter(fn) {
        opened.pragma('wal_autocheckpoint = 0');
        try {
          return fn();
        } finally {
          opened.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
          deferred ??= setImmediate(checkpointDeferred);
        }
      },
      close() {
        if (closed) return;
        closed = true;
        if (deferred !== null) clearImmediate(deferred);
        deferred = null;
        opened.close();
      },
    };
  } catch (e) {
    try {
      db?.close();
    } catch {
      // already failing; the original error is the one to report
    }
    throw openError(e, file);
  }
}
