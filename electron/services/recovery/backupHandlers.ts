// The backup:* channels (docs/recovery-and-backup.md): an admin writes an encrypted backup of this store to a file, or
// restores one into another, fresh data folder (the running store is never replaced). Both audited in this store.
import type { Handlers } from '../../../shared/contract.ts';
import { isConsoleError } from '../../../shared/errors.ts';
import type { Clock } from '../../clock.ts';
import type { Db } from '../../store/database.ts';
import type { KdfParams } from '../../store/storeMetaRepo.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import type { Session } from '../session/session.ts';
import { createBackup, restoreBackup } from './backup.ts';
import type { UndeliveredReason } from './recovery.ts';

export interface BackupDeps {
  db: Db;
  dataDir: string;
  schemaVersion: number;
  kdf: KdfParams;
  session: Session;
  audit: AuditLog;
  clock: Clock;
  /** Commits pending audited work and signs a checkpoint, so the copy's audit chain ends signed. */
  settle(): void;
}

type BackupHandlers = Pick<Handlers, 'backup:create' | 'backup:restore'>;

/**
 * The CLI's `backup --out-dir` when a file of the backup key's shares could not be written after the backup was made:
 * the CLI removes the backup file (split, with shares nobody holds, it would look recoverable by its custodians), and
 * this audits `backup.create` again, as a failure naming the file and why, after the success the channel audited.
 */
export function auditUndeliveredBackup(deps: Pick<BackupDeps, 'session' | 'audit'>, path: string, why: UndeliveredReason): void {
  const s = deps.session.require();
  deps.audit.append({
    actor: s.operator,
    action: 'backup.create',
    targetType: 'store',
    targetId: path,
    outcome: 'failure',
    details: { code: why.code, reason: 'shares_not_written', refusal: why.message.slice(0, 500), ...(why.file === undefined ? {} : { file: why.file.slice(0, 1000) }), refusedBy: 'cli' },
  });
}

export function createBackupHandlers(deps: BackupDeps): BackupHandlers {
  const { session, audit, clock } = deps;
  const audited = async <T extends object>(action: string, target: string, fn: () => Promise<T>, summary: (r: T) => Record<string, string | number>): Promise<T> => {
    const s = session.require();
    try {
      const r = await fn();
      audit.append({ actor: s.operator, action, targetType: 'store', targetId: target, outcome: 'success', details: summary(r) });
      return r;
    } catch (e) {
      const reason = isConsoleError(e) && typeof e.details?.reason === 'string' ? e.details.reason : null;
      audit.append({ actor: s.operator, action, targetType: 'store', targetId: target, outcome: 'failure', details: { code: isConsoleError(e) ? e.code : 'internal', reason } });
      throw e;
    }
  };
  return {
    'backup:create': ({ path, passphrase, shares }) =>
      audited('backup.create', path, async () => {
        const s = session.require();
        deps.settle();
        return createBackup({
          db: deps.db,
          dataDir: deps.dataDir,
          out: path,
          passphrase,
          kdf: deps.kdf,
          storeId: s.storeId,
          schemaVersion: deps.schemaVersion,
          createdBy: s.operator,
          now: () => new Date(clock.now()).toISOString(),
          shares,
        });
      }, (r) => ({
        bytes: r.bytes,
        storeBytes: r.storeBytes,
        sha256: r.sha256,
        ...(shares ? { shareThreshold: shares.threshold, shareCustodians: shares.custodians.join(', ') } : {}),
      })),
    'backup:restore': ({ from, dataDir, passphrase, shares }) =>
      audited('backup.restore', from, () => restoreBackup({ from, dataDir, passphrase, shares }), (r) => ({ dataDir: r.dataDir, storeId: r.storeId, storeBytes: r.storeBytes, withShares: shares !== undefined ? 1 : 0 })),
  };
}
