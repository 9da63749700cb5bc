// keys sign / verify / backup / verify-backup / migrate (docs/cli.md, "Signatures, key backups and migration"): their
// human output and the refusals that make the exit code tell the truth. A signature that does not verify, a backup
// version that does not match the store, a migration that stopped on a key: each is exit 1 with a typed error, never
// a result printed with exit 0, so a script can trust the exit code alone.
import type { ChannelOutput } from '../../../shared/contract.ts';
import { ConsoleError, ERROR_CODES, type ErrorCode } from '../../../shared/errors.ts';

/** keys verify: valid prints one line; anything else is signature_invalid (exit 1). */
export function signatureResult(keyId: string, o: { inPath: string; sigPath: string; version: number | undefined }, r: ChannelOutput<'keys:verify'>): string {
  const under = o.version === undefined ? `key ${keyId} (its current version)` : `key ${keyId} v${o.version}`;
  if (r.valid !== true) {
    throw new ConsoleError('signature_invalid', `The signature in ${o.sigPath} does not verify over ${o.inPath} under ${under}.`, {
      keyId,
      version: o.version ?? null,
    });
  }
  return `signature ${o.sigPath} verifies over ${o.inPath} under ${under}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** keys backup: what was wrapped, under which provider key. */
export function formatBackup(providerId: string, r: ChannelOutput<'keys:backup'>): string {
  return `backed up ${plural(r.backedUp, 'key')} (${plural(r.versions, 'version')}) to ${providerId} under ${r.providerKeyRef}`;
}

/**
 * keys verify-backup: every backed-up version unwrapped and identical to the store, else integrity_failure naming the
 * versions that differ. A provider that holds no backup of this store is not_found: "0 versions verified" would let
 * a script believe a backup exists.
 */
export function backupVerifyResult(providerId: string, r: ChannelOutput<'keys:verifyBackup'>): string {
  if (!r.ok || r.failures.length > 0) {
    const list = r.failures.map((f) => `${f.keyId} v${f.version} (${f.reason})`).join('; ');
    throw new ConsoleError('integrity_failure', `Backup at ${providerId}: ${r.failures.length} of ${plural(r.checked, 'version')} did not match the store: ${list || 'the report is not ok'}.`, {
      provider: providerId,
      failed: r.failures.length,
      checked: r.checked,
    });
  }
  if (r.checked === 0) throw new ConsoleError('not_found', `Provider ${providerId} holds no backup of this store's keys; run keys backup --provider ${providerId} first.`, { provider: providerId });
  return `backup at ${providerId} verified: ${plural(r.checked, 'version')} unwrapped and identical to the store`;
}

const isErrorCode = (c: unknown): c is ErrorCode => typeof c === 'string' && (ERROR_CODES as readonly string[]).includes(c);

/** keys migrate: done prints the count; a job that stopped on a key is exit 1 with that failure's code. */
export function migrationResult(providerId: string, job: ChannelOutput<'keys:migrate'>): string {
  if (job.state !== 'done') {
    const code: ErrorCode = isErrorCode(job.errorCode) ? job.errorCode : 'internal';
    throw new ConsoleError(code, `${job.error ?? `The migration to ${providerId} did not finish.`} ${job.done} of ${plural(job.total, 'key')} moved before it stopped (job ${job.jobId}).`, {
      provider: providerId,
      jobId: job.jobId,
      done: job.done,
      total: job.total,
    });
  }
  return `moved ${job.done} of ${plural(job.total, 'key')} to ${providerId} (job ${job.jobId}): their next version lives there; earlier versions keep decrypting`;
}

/**
 * The progress line of a keys job (keys:migrate, keys:backup: jobs:progress events), printed at each tenth of its keys
 * settled, never twice for one tenth, as `rotation batch start` prints its own (batchProgressPrinter). A migration
 * stops on the key that fails, so "failed" is 0 or 1; a job of no keys prints nothing.
 */
export function jobProgressPrinter(verb: string, out: (line: string) => void): (p: Pick<ChannelOutput<'keys:migrate'>, 'jobId' | 'state' | 'done' | 'total'>) => void {
  const printed = new Map<string, number>();
  return (p) => {
    if (p.total === 0) return;
    const failed = p.state === 'failed' ? 1 : 0;
    const tenth = Math.floor(((p.done + failed) * 10) / p.total);
    if (tenth <= (printed.get(p.jobId) ?? 0)) return;
    printed.set(p.jobId, tenth);
    out(`${verb} ${p.jobId}: ${p.done}/${plural(p.total, 'key')} (${failed} failed)`);
  };
}
