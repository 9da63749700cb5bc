// Encrypted backup of the whole store (issue 14, docs/recovery-and-backup.md). create: SQLite's online backup of the
// open database into a private temp file in the data folder, then that copy streamed into the backup file under a
// fresh 256-bit backup key (AES-256-GCM in chunks: the format-2 stream's chunk cipher, electron/crypto/
// streamEnvelope.ts), the key wrapped under scrypt(the backup passphrase). restore: into a fresh data folder only,
// decrypted into a temp folder beside it, checked (every chunk authenticated, the length, SQLite's integrity check, the
// store id), and only then moved into place, so a failure never leaves a half-restored store.
//
// File layout: "ECPSBAK1" | u32 BE header length | header (JSON, below) | chunks (ChunkCipher, AAD = the whole
// prefix and header, so no header byte can change unnoticed).
import crypto from 'node:crypto';
import { mkdtemp, open, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { MIN_PASSPHRASE_CHARS, passphraseLength } from '../../../shared/domain.ts';
import { ConsoleError } from '../../../shared/errors.ts';
import { open as openSealed, seal } from '../../crypto/aead.ts';
import { deriveKek, SALT_BYTES, validateKdfParams } from '../../crypto/kdf.ts';
import { ChunkCipher, DEFAULT_CHUNK_BYTES, MAX_CHUNK_BYTES, MIN_CHUNK_BYTES, newStreamParams, openStream, sealStream, type StreamSource } from '../../crypto/streamEnvelope.ts';
import { tempOutput } from '../../ipc/cli/fileCrypto.ts';
import { checkCustodians, checkShares, combineShares, makeShares } from './recovery.ts';
import { shareError } from './shareCodec.ts';
import { type Db, STORE_FILE_MODE, STORE_FILE_NAME } from '../../store/database.ts';
import type { KdfParams } from '../../store/storeMetaRepo.ts';

export const BACKUP_MAGIC = Buffer.from('ECPSBAK1', 'latin1');
const PREFIX_BYTES = BACKUP_MAGIC.length + 4;
const MAX_HEADER_BYTES = 16 * 1024;
const BACKUP_KEY_BYTES = 32;
const STREAM_AAD = Buffer.from('ecps/backup/v1', 'utf8');

const Hex = z.string().regex(/^([0-9a-f]{2})+$/);
const BackupHeader = z.object({
  format: z.literal(1),
  storeId: z.string().min(1).max(64),
  createdAt: z.string(),
  createdBy: z.string(),
  schemaVersion: z.number().int().nonnegative(),
  storeBytes: z.number().int().nonnegative(),
  kdf: z.object({ N: z.number(), r: z.number(), p: z.number() }),
  salt: Hex,
  wrappedKey: Hex,
  chunkBytes: z.number().int().min(MIN_CHUNK_BYTES).max(MAX_CHUNK_BYTES),
  streamSalt: Hex,
  /** HMAC-SHA256 of a fixed text under the backup key: a key rebuilt from shares is checked with it. */
  keyCheck: Hex,
  /** The share set of the backup key, when it was also split into shares. */
  shareSetId: z.string().max(32).optional(),
}).strict();
export type BackupHeader = z.infer<typeof BackupHeader>;

const keyCheckOf = (key: Buffer) => crypto.createHmac('sha256', key).update('ecps/backup-key-check/v1').digest('hex');

const keyAad = (storeId: string, kdf: KdfParams) => Buffer.from(`ecps/backup-key/v1|${storeId}|N=${kdf.N},r=${kdf.r},p=${kdf.p}`, 'utf8');

function checkStrength(passphrase: string): void {
  if (passphraseLength(passphrase) < MIN_PASSPHRASE_CHARS) {
    throw new ConsoleError('weak_passphrase', `The backup passphrase must have at least ${MIN_PASSPHRASE_CHARS} characters.`);
  }
}

function absolute(path: string, field: string): string {
  if (!isAbsolute(path)) throw new ConsoleError('invalid_input', `${path} is not an absolute path.`, { field });
  return path;
}

const sourceOf = (file: FileHandle, start: number, length: number): StreamSource => ({
  read: async (buf, position) => (await file.read(buf, 0, buf.length, position)).bytesRead,
  start,
  length,
});

export interface BackupOptions {
  db: Db;
  /** The data folder: the plaintext SQLite copy is made there (0700), then removed. */
  dataDir: string;
  out: string;
  passphrase: string;
  kdf: KdfParams;
  storeId: string;
  schemaVersion: number;
  createdBy: string;
  now: () => string;
  chunkBytes?: number;
  /** Also split the backup key into k-of-n shares for these custodians. */
  shares?: { threshold: number; custodians: string[] } | undefined;
}

export interface BackupResult {
  path: string;
  bytes: number;
  storeBytes: number;
  storeId: string;
  createdAt: string;
  sha256: string;
  /** The backup key's shares, when asked for: returned here once, stored nowhere. */
  shares?: Array<{ index: number; custodian: string; share: string }>;
}

/** Writes the encrypted backup to `out` (a new file, 0600, complete or absent). */
export async function createBackup(o: BackupOptions): Promise<BackupResult> {
  absolute(o.out, 'path');
  checkStrength(o.passphrase);
  if (o.shares) checkCustodians(o.shares.threshold, o.shares.custodians);
  const kdf = validateKdfParams(o.kdf);
  const copy = join(o.dataDir, `.backup-${crypto.randomBytes(6).toString('hex')}.db`);
  const backupKey = crypto.randomBytes(BACKUP_KEY_BYTES);
  let cipher: ChunkCipher | null = null;
  try {
    await o.db.backup(copy);
    const salt = crypto.randomBytes(SALT_BYTES);
    const kek = await deriveKek(o.passphrase, salt, kdf);
    let wrappedKey: Buffer;
    try {
      wrappedKey = seal(kek, backupKey, keyAad(o.storeId, kdf));
    } finally {
      kek.fill(0);
    }
    const shareSetId = o.shares ? `b${crypto.randomBytes(7).toString('hex')}` : undefined;
    const shares = o.shares ? await makeShares(backupKey, o.storeId, shareSetId!, o.shares.threshold, o.shares.custodians) : undefined;
    const plain = await open(copy, 'r');
    try {
      const storeBytes = (await plain.stat()).size;
      const params = newStreamParams(o.chunkBytes ?? DEFAULT_CHUNK_BYTES);
      const createdAt = o.now();
      const header: BackupHeader = {
        format: 1,
        storeId: o.storeId,
        createdAt,
        createdBy: o.createdBy,
        schemaVersion: o.schemaVersion,
        storeBytes,
        kdf,
        salt: salt.toString('hex'),
        wrappedKey: wrappedKey.toString('hex'),
        chunkBytes: params.chunkBytes,
        streamSalt: params.salt.toString('hex'),
        keyCheck: keyCheckOf(backupKey),
        ...(shareSetId ? { shareSetId } : {}),
      };
      const json = Buffer.from(JSON.stringify(header), 'utf8');
      const prefix = Buffer.alloc(PREFIX_BYTES);
      BACKUP_MAGIC.copy(prefix, 0);
      prefix.writeUInt32BE(json.length, BACKUP_MAGIC.length);
      const head = Buffer.concat([prefix, json]);
      cipher = new ChunkCipher(backupKey, params.salt, head, STREAM_AAD);
      const hash = crypto.createHash('sha256').update(head);
      let bytes = head.length;
      const out = await tempOutput(o.out, false);
      try {
        await out.write([Buffer.from(head)]);
        await sealStream(sourceOf(plain, 0, storeBytes), cipher, params.chunkBytes, async (parts) => {
          for (const p of parts) {
            hash.update(p);
            bytes += p.length;
          }
          await out.write(parts);
        });
        await out.commit();
      } catch (e) {
        await out.discard();
        throw e;
      }
      const handed = shares?.map(({ index, custodian, share }) => ({ index, custodian, share }));
      return { path: o.out, bytes, storeBytes, storeId: o.storeId, createdAt, sha256: hash.digest('hex'), ...(handed ? { shares: handed } : {}) };
    } finally {
      await plain.close();
    }
  } finally {
    cipher?.destroy();
    backupKey.fill(0);
    await unlink(copy).catch(() => undefined);
  }
}

const malformed = (what: string) => new ConsoleError('ciphertext_malformed', `The backup file is incomplete or damaged (${what}).`, { reason: 'malformed' });

/** Reads and checks the prefix and header of a backup file. */
async function readHeader(file: FileHandle, size: number): Promise<{ header: BackupHeader; head: Buffer }> {
  const prefix = Buffer.alloc(PREFIX_BYTES);
  const { bytesRead } = await file.read(prefix, 0, PREFIX_BYTES, 0);
  if (bytesRead < BACKUP_MAGIC.length || !prefix.subarray(0, BACKUP_MAGIC.length).equals(BACKUP_MAGIC)) {
    throw new ConsoleError('ciphertext_foreign', 'This file is not an ECPS console backup.', { reason: 'not_a_backup' });
  }
  if (bytesRead < PREFIX_BYTES) throw malformed('it ends inside its header');
  const length = prefix.readUInt32BE(BACKUP_MAGIC.length);
  if (length < 2 || length > MAX_HEADER_BYTES || PREFIX_BYTES + length > size) throw malformed('header length out of range');
  const json = Buffer.alloc(length);
  await file.read(json, 0, length, PREFIX_BYTES);
  let header: BackupHeader;
  try {
    header = BackupHeader.parse(JSON.parse(json.toString('utf8')));
    validateKdfParams(header.kdf);
  } catch {
    throw malformed('the header is not readable');
  }
  return { header, head: Buffer.concat([prefix, json]) };
}

/** Refuses a target that exists and holds anything (or is not a folder); resolves whether it exists. */
async function targetState(dataDir: string): Promise<'absent' | 'empty'> {
  let info;
  try {
    info = await stat(dataDir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'absent';
    // A path through a file (ENOTDIR), a folder that cannot be searched (EACCES), a name too long...: a typed refusal
    // naming the field, not an untyped error (the channel audited it as `internal`).
    throw new ConsoleError('invalid_input', `${dataDir} cannot be used as the data folder (${code ?? 'error'}).`, { field: 'dataDir' });
  }
  if (!info.isDirectory()) throw new ConsoleError('invalid_input', `${dataDir} exists and is not a folder.`, { field: 'dataDir', reason: 'target_not_empty' });
  const entries = await readdir(dataDir);
  if (entries.length > 0) {
    throw new ConsoleError('invalid_input', `${dataDir} is not empty (${entries.length} entries); a backup is restored into a new or empty folder only, never over a store.`, { field: 'dataDir', reason: 'target_not_empty' });
  }
  return 'empty';
}

export interface RestoreOptions {
  from: string;
  dataDir: string;
  /** Exactly one of the two opens the backup key. */
  passphrase?: string | undefined;
  shares?: string[] | undefined;
}

export interface RestoreResult {
  dataDir: string;
  storeId: string;
  storeBytes: number;
  createdAt: string;
}

/** Restores a backup into `dataDir` (absent or empty); nothing is left there unless every check passed. */
export async function restoreBackup(o: RestoreOptions): Promise<RestoreResult> {
  absolute(o.from, 'from');
  absolute(o.dataDir, 'dataDir');
  if ((o.passphrase === undefined) === (o.shares === undefined)) {
    throw new ConsoleError('invalid_input', 'Give the backup passphrase or the backup key\'s shares (one of the two).', { field: 'passphrase' });
  }
  await targetState(o.dataDir);
  let file: FileHandle;
  try {
    file = await open(o.from, 'r');
  } catch {
    throw new ConsoleError('not_found', `The backup file ${o.from} cannot be read.`, { field: 'from' });
  }
  let work: string | null = null;
  let cipher: ChunkCipher | null = null;
  try {
    const size = (await file.stat()).size;
    const { header, head } = await readHeader(file, size);
    // Every chunk but the last is full, each with its 16-byte tag: the header says how long the file must be.
    const expected = head.length + header.storeBytes + Math.max(1, Math.ceil(header.storeBytes / header.chunkBytes)) * 16;
    if (size < expected) throw malformed(`it is ${expected - size} bytes shorter than its header says: truncated`);
    if (size > expected) throw new ConsoleError('ciphertext_tampered', `The backup file has ${size - expected} bytes more than its header says: data was appended.`, { reason: 'trailing_data' });
    const backupKey = o.shares ? await keyFromShares(o.shares, header) : await keyFromPassphrase(o.passphrase ?? '', header);
    try {
      cipher = new ChunkCipher(backupKey, Buffer.from(header.streamSalt, 'hex'), head, STREAM_AAD);
    } finally {
      backupKey.fill(0);
    }
    work = await mkdtemp(join(dirname(o.dataDir), `.${basename(o.dataDir)}.restore-`)).catch((e: NodeJS.ErrnoException) => {
      throw new ConsoleError('invalid_input', `Cannot restore beside ${o.dataDir}: its parent folder cannot be written (${e.code ?? 'error'}).`, { field: 'dataDir' });
    });
    const target = join(work, STORE_FILE_NAME);
    const out = await open(target, 'wx', STORE_FILE_MODE);
    let written = 0;
    try {
      await openStream(sourceOf(file, head.length, size - head.length), cipher, header.chunkBytes, async (parts) => {
        const { bytesWritten } = await out.writev(parts, written);
        written += bytesWritten;
        for (const p of parts) p.fill(0);
      });
      await out.sync();
    } finally {
      await out.close();
    }
    if (written !== header.storeBytes) throw malformed(`${written} bytes restored, the header says ${header.storeBytes}`);
    checkRestoredStore(target, header.storeId);
    // Moved into place only now; the target is checked again (it may have been filled meanwhile).
    if ((await targetState(o.dataDir)) === 'absent') {
      await rename(work, o.dataDir);
    } else {
      await rename(target, join(o.dataDir, STORE_FILE_NAME));
      await rm(work, { recursive: true, force: true });
    }
    work = null;
    return { dataDir: o.dataDir, storeId: header.storeId, storeBytes: written, createdAt: header.createdAt };
  } finally {
    cipher?.destroy();
    await file.close();
    if (work !== null) await rm(work, { recursive: true, force: true });
  }
}

async function keyFromPassphrase(passphrase: string, header: BackupHeader): Promise<Buffer> {
  const kek = await deriveKek(passphrase, Buffer.from(header.salt, 'hex'), header.kdf);
  const key = openSealed(kek, Buffer.from(header.wrappedKey, 'hex'), keyAad(header.storeId, header.kdf));
  kek.fill(0);
  if (key === null) throw new ConsoleError('wrong_passphrase', 'The backup passphrase is wrong (or the backup\'s key header was altered).');
  return key;
}

/** The backup key rebuilt from k of its shares: the backup's own store and set, checked against the header's check value. */
async function keyFromShares(texts: string[], header: BackupHeader): Promise<Buffer> {
  if (header.shareSetId === undefined) throw shareError('backup_without_shares', 'This backup\'s key was not split into shares; restore it with its passphrase.');
  const decoded = checkShares(texts, header.storeId, null);
  if (decoded[0]!.setId !== header.shareSetId) {
    throw shareError('share_other_backup', `These shares are of another backup (set ${decoded[0]!.setId}); this backup's key was split as set ${header.shareSetId}.`);
  }
  const key = await combineShares(decoded);
  const check = Buffer.from(keyCheckOf(key), 'hex');
  const expected = Buffer.from(header.keyCheck, 'hex');
  if (check.length !== expected.length || !crypto.timingSafeEqual(check, expected)) {
    key.fill(0);
    throw new ConsoleError('integrity_failure', 'The shares rebuild a key that does not open this backup: one of them was altered.', { reason: 'backup_key_mismatch' });
  }
  return key;
}

/** SQLite's integrity check and the store id of the decrypted copy (before it is moved into place). */
function checkRestoredStore(file: string, storeId: string): void {
  let db: Database.Database | null = null;
  try {
    // Read-write only so that closing removes the -wal and -shm files this connection makes; nothing is written.
    db = new Database(file, { fileMustExist: true });
    const ok = db.pragma('integrity_check', { simple: true }) === 'ok';
    const row = db.prepare('SELECT store_id FROM store_meta WHERE id = 1').get() as { store_id: string } | undefined;
    if (!ok || row?.store_id !== storeId) throw new Error('mismatch');
  } catch {
    throw new ConsoleError('integrity_failure', 'The restored database failed its integrity check or names another store; nothing was restored.', { reason: 'restored_store_invalid' });
  } finally {
    db?.close();
  }
}
