// Shared helpers for CORE's tests: temp folders, a low scrypt cost, a real node:crypto Keychain, raw db access.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { CallContext } from '../../shared/contract.ts';
import { isConsoleError } from '../../shared/errors.ts';
import { createConsole, type ConsoleOptions, type FleetConsole, type Keychain } from '../../electron/app.ts';
import { silentLogger } from '../../electron/logger.ts';
import { STORE_FILE_NAME } from '../../electron/store/database.ts';

export const FAST_KDF = { N: 1024, r: 8, p: 1 };
export const PASSPHRASE = 'correct horse battery staple';
export const CTX: CallContext = { transport: 'test' };

const made: string[] = [];

export function tempDir(prefix = 'ecps-core-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

export function dbFile(dir: string): string {
  return path.join(dir, STORE_FILE_NAME);
}

export function open(dir: string, extra: Partial<ConsoleOptions> = {}): Promise<FleetConsole> {
  return createConsole({ dataDir: dir, kdf: FAST_KDF, logger: silentLogger, ...extra });
}

/** A console with an initialised, unlocked store. */
export async function openUnlocked(dir = tempDir(), extra: Partial<ConsoleOptions> = {}): Promise<FleetConsole> {
  const c = await open(dir, extra);
  await c.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
  return c;
}

/** Runs fn and returns the ConsoleError code it threw (fails the test when it does not throw one). */
export async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (e) {
    if (isConsoleError(e)) return e.code;
    throw e;
  }
  throw new Error('expected a ConsoleError, but the call succeeded');
}

/** What a promise was refused with: a ConsoleError's code, message and details; null when it resolved. */
export async function refusalOf(p: Promise<unknown>): Promise<{ code: string; message: string; details: unknown } | null> {
  try {
    await p;
    return null;
  } catch (e) {
    return isConsoleError(e) ? { code: e.code, message: e.message, details: e.details } : { code: 'not a console error', message: String(e), details: null };
  }
}

/** The console's `emergency.execute` audit records, oldest first (at most 20). */
export const emergencyExecutes = (c: FleetConsole) => c.audit.query({ action: 'emergency.execute', offset: 0, limit: 20 }).records.reverse();

/** Reads the database with a separate connection; the console holding the file must be closed. */
export function withRawDb<T>(dir: string, fn: (db: Database.Database) => T): T {
  const db = new Database(dbFile(dir));
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

export function sha256File(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** A real keychain: AES-256-GCM under a random key that only this object holds (like safeStorage's OS-held key). */
export function createTestKeychain(): Keychain & { available: boolean } {
  const key = crypto.randomBytes(32);
  return {
    available: true,
    isAvailable() {
      return this.available;
    },
    encrypt(data) {
      const iv = crypto.randomBytes(12);
      const c = crypto.createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(data), c.final()]);
      return Buffer.concat([Buffer.from('TKC1'), iv, body, c.getAuthTag()]);
    },
    decrypt(data) {
      if (!data.subarray(0, 4).equals(Buffer.from('TKC1'))) throw new Error('not keychain data');
      const iv = data.subarray(4, 16);
      const d = crypto.createDecipheriv('aes-256-gcm', key, iv);
      d.setAuthTag(data.subarray(data.length - 16));
      return Buffer.concat([d.update(data.subarray(16, data.length - 16)), d.final()]);
    },
  };
}
