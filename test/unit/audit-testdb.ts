// Shared by the audit tests: a real better-sqlite3 database in a temp folder, opened with the store's pragmas, and a
// real Ed25519 audit key.
import Database from 'better-sqlite3';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { manualClock } from '../../electron/clock.ts';
import { createAuditLog, createAuditSigner } from '../../electron/services/audit/index.ts';
import { AUDIT_QUERY_INDEXES_SQL, AUDIT_SCHEMA_SQL } from '../../electron/store/auditRepo.ts';
import type { AuditEntry, AuditLogOptions } from '../../electron/services/audit/index.ts';

export function openTestDb(prefix = 'audit-') {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const file = path.join(dir, 'console.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  // As migrations 1 and 10 leave them.
  db.exec(AUDIT_SCHEMA_SQL);
  db.exec(AUDIT_QUERY_INDEXES_SQL);
  return {
    db,
    dir,
    file,
    cleanup() {
      if (db.open) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function newSigner() {
  const { privateKey } = generateKeyPairSync('ed25519');
  return createAuditSigner(privateKey);
}

export function makeLog(db: Database.Database, opts: Partial<AuditLogOptions> = {}) {
  const clock = manualClock();
  const log = createAuditLog(db, { clock, ...opts });
  return { log, clock };
}

const ACTIONS = ['key.create', 'key.rotate', 'key.state', 'session.unlock', 'key.encrypt'] as const;
const ACTORS = ['alice', 'bob', 'système', 'carol'] as const;

/** A realistic entry n: varied actors, actions, targets, outcomes and details. */
export function entry(n: number): AuditEntry {
  const keyId = `00000000-0000-4000-8000-${String(n % 7).padStart(12, '0')}`;
  return {
    actor: ACTORS[n % ACTORS.length] as string,
    action: ACTIONS[n % ACTIONS.length] as string,
    targetType: n % 5 === 3 ? 'store' : 'key',
    targetId: n % 5 === 3 ? null : keyId,
    outcome: n % 9 === 4 ? 'failure' : 'success',
    details: n % 9 === 4 ? { code: 'wrong_passphrase', attempt: n % 3 } : { version: (n % 4) + 1, state: 'active', note: `op "${n}"\n` },
  };
}
