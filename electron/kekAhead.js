// Plain JavaScript on purpose: it runs before the console's TypeScript is loaded (electron/cli-bin.js). Derives the
// key-encryption key of an existing store while the process is small, so scrypt's work area (128 MiB at the
// production N=2^17) and the console's modules (about 130 MB) are never resident at the same time: the CLI's peak is
// the larger of the two instead of their sum (docs/benchmarks.md, "CLI memory"). Only a hint: crypto/kdf.ts uses the
// key only when the unlock asks for exactly this passphrase, salt and parameters, and derives it itself otherwise.
import crypto from 'node:crypto';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';

/**
 * Commands that never unlock an existing store: nothing to derive ahead (restore opens no store; `recovery recover`,
 * checked below, takes ECPS_PASSPHRASE as a new passphrase: docs/recovery-and-backup.md).
 */
const NO_UNLOCK = new Set(['help', 'init', 'restore']);

/** The store folder when the command line or the environment names it (the default folder is left to the CLI). */
function namedDataDir(argv, env) {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--data-dir') return argv[i + 1];
    if (a.startsWith('--data-dir=')) return a.slice('--data-dir='.length);
  }
  return env.ECPS_DATA_DIR || undefined;
}

/** The operator who signs in, as the CLI takes it (electron/ipc/cli/args.ts): --operator, ECPS_OPERATOR, the OS user. */
function namedOperator(argv, env) {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--operator') return argv[i + 1];
    if (a.startsWith('--operator=')) return a.slice('--operator='.length);
  }
  if (env.ECPS_OPERATOR) return env.ECPS_OPERATOR;
  try {
    return userInfo().username;
  } catch {
    return env.USER || env.USERNAME || 'operator';
  }
}

/**
 * The key scrypt gives for ECPS_PASSPHRASE under the store's salt and parameters, with those inputs; null when there
 * is nothing to derive ahead (no passphrase in the environment, no store named, a command that does not unlock, a
 * store that cannot be read here). Never throws: the CLI then derives as usual.
 */
export async function deriveKekAhead(argv, env) {
  try {
    const passphrase = env.ECPS_PASSPHRASE;
    if (!passphrase || argv.length === 0 || NO_UNLOCK.has(argv[0]) || (argv[0] === 'recovery' && argv[1] === 'recover') || argv.includes('--help') || argv.includes('-h')) return null;
    const dir = namedDataDir(argv, env);
    if (!dir) return null;
    const file = path.join(path.resolve(dir), 'console.db');
    if (!existsSync(file)) return null;
    const { default: Database } = await import('better-sqlite3');
    // No wait for a lock: a store held by another console is the CLI's to report, not this hint's.
    const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 0 });
    let row;
    try {
      // The operator's own key slot (docs/operators.md); a store not yet migrated to slots has only its one wrapping.
      const hasSlots = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'operators'").get();
      row = hasSlots ? db.prepare('SELECT kdf_params, kdf_salt FROM operators WHERE name = ?').get(namedOperator(argv, env)) : undefined;
      if (!row || (hasSlots && db.prepare('SELECT count(*) AS n FROM operators').get().n === 0)) row = db.prepare('SELECT kdf_params, kdf_salt FROM store_meta WHERE id = 1').get();
    } finally {
      db.close();
    }
    if (!row || !Buffer.isBuffer(row.kdf_salt) || row.kdf_salt.length === 0) return null;
    const { N, r, p } = JSON.parse(row.kdf_params);
    if (![N, r, p].every(Number.isInteger) || N > 2 ** 22 || r > 32 || p > 16) return null;
    const kdf = { N, r, p };
    // The same bytes and parameters as crypto/kdf.ts deriveKek (test/integration/kek-ahead.test.ts compares them).
    const secret = Buffer.from(passphrase.normalize('NFC'), 'utf8');
    const key = await new Promise((resolve, reject) => {
      crypto.scrypt(secret, row.kdf_salt, 32, { N, r, p, maxmem: 128 * N * r * p + 64 * 1024 * 1024 }, (err, k) => {
        secret.fill(0);
        if (err) reject(err);
        else resolve(k);
      });
    });
    return { passphrase, salt: row.kdf_salt, kdf, key };
  } catch {
    return null;
  }
}
