// The audit log over the store's database: append (single and bulk), signed checkpoints, verification, paged queries
// and the JSON Lines export. State per instance only (the audit key, the alarm, the listeners, the checkpoint timer); the
// chain head is always read from the database, so a rolled-back caller transaction or a second connection cannot
// desynchronise it. Verification trusts only the key the session authenticated under the master key.
import type { AuditRecord } from '../../../shared/contract.ts';
import { ConsoleError } from '../../../shared/errors.ts';
import type { Timers } from '../../providers/resilience/resilienceOptions.ts';
import { createAuditRepo } from '../../store/auditRepo.ts';
import type { Db } from '../../store/database.ts';
import { createAlarmState } from './auditAlarm.ts';
import type { AuditKeyState, AuditLog, AuditLogOptions, AuditQuery } from './auditLog.ts';
import { checkpointMessage, GENESIS_HASH, keyFingerprint, recordLine, sha256Hex } from './canonical.ts';
import { createCheckpointTimer, DEFAULT_MAX_UNSIGNED_AGE_MS, DEFAULT_QUIET_CHECKPOINT_MS } from './checkpointTimer.ts';
import { buildExport, exportFileName, streamExport, type ExportOutcome, type ExportPlan } from './exportJsonl.ts';
import { createParallelSignatures } from './parallelSignatures.ts';
import { createHashWorkers, defaultVerifyWorkers, verifyChain } from './parallelWalk.ts';
import { queryRecords } from './queryRecords.ts';
import { tailProblem, type TailProblem } from './tailCheck.ts';
import { validateEntry, type ValidEntry } from './validateEntry.ts';
import type { WalkResult } from './walkChain.ts';

export const DEFAULT_CHECKPOINT_EVERY = 100;

export interface AuditLogInternals extends AuditLog {
  /** Also gives the verified head (seq and hash). */
  verify(): WalkResult;
  /** Stops the verification workers (the database's owner calls it before closing the database). */
  close(): void;
}

/** The alarm's words when the audit key failed its check: the chain has no trustworthy signature at all. */
const untrustedKeyText = (reason: string) => `The audit key failed its check against the master key (${reason}), so the audit chain cannot be trusted`;

function untrustedKeyError(reason: string, what: string): ConsoleError {
  return new ConsoleError('integrity_failure', `${untrustedKeyText(reason)}: no checkpoint signature can be verified${what}. Restore console.db from a backup you trust.`);
}

export function createAuditLog(db: Db, options: AuditLogOptions): AuditLogInternals {
  const repo = createAuditRepo(db);
  const every = options.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
  if (!Number.isInteger(every) || every < 1) throw new ConsoleError('invalid_input', 'checkpointEvery must be a positive integer');
  const listeners = new Set<(record: AuditRecord) => void>();
  const alarm = createAlarmState(options.logger);
  let key: AuditKeyState = { state: 'locked' };
  // A refused checkpoint to record once its transaction is over (null: none owed).
  let refusalToRecord: TailProblem | null = null;
  // Checkpoint signatures of long walks (verify, export) are checked on a worker while the walk hashes.
  const parallel = createParallelSignatures();
  // Long verifications hash chunks of records on worker threads (parallelWalk.ts); 0 workers: the serial walk.
  const verifyWorkers = options.verifyWorkers ?? defaultVerifyWorkers();
  if (!Number.isInteger(verifyWorkers) || verifyWorkers < 0) throw new ConsoleError('invalid_input', 'verifyWorkers must be a non-negative integer');
  const hashWorkers = verifyWorkers > 0 ? createHashWorkers(verifyWorkers) : null;
  const from = options.verifyParallelFrom;
  if (from !== undefined && (!Number.isInteger(from) || from < 0)) throw new ConsoleError('invalid_input', 'verifyParallelFrom must be a non-negative integer');
  const parallelFrom = from === undefined ? {} : { minRecords: from };

  const now = () => new Date(options.clock.now()).toISOString();
  const signer = () => (key.state === 'trusted' ? key.signer : null);

  function insertOne(v: ValidEntry, seq: number, prev: string, ts: string): string {
    const hash = sha256Hex(recordLine(seq, ts, v.actor, v.action, v.targetType, v.targetId, v.outcome, v.details, prev));
    repo.insert({ seq, ts, actor: v.actor, action: v.action, targetType: v.targetType, targetId: v.targetId, outcome: v.outcome, details: v.details, hash });
    return hash;
  }

  function toRecord(v: ValidEntry, seq: number, ts: string): AuditRecord {
    return { seq, ts, actor: v.actor, action: v.action, targetType: v.targetType, targetId: v.targetId, outcome: v.outcome, details: JSON.parse(v.details) };
  }

  function notify(record: AuditRecord): void {
    for (const l of listeners) {
      try {
        l(record);
      } catch (e) {
        options.logger?.warn('audit listener failed', { error: e instanceof Error ? e : String(e) });
      }
    }
  }

  /** Signs the head after checking the tail since the last checkpoint; a tail that fails is never signed. */
  function signHead(strict: boolean): void {
    const s = signer();
    if (!s) return;
    const head = repo.head();
    const last = repo.lastCheckpoint();
    if (head && last && last.seq === head.seq && last.head === head.hash) return;
    if (!head && !last) return;
    const problem = tailProblem(repo, head, last, s.publicKeySpki);
    if (problem) {
      const raised = alarm.raiseChain(problem.seq, problem.reason, now());
      options.logger?.error('audit checkpoint refused: the records since the last checkpoint failed verification', { seq: problem.seq, reason: problem.reason });
      if (strict) throw new ConsoleError('integrity_failure', `The audit log failed verification, so it was not signed: ${problem.reason}.`);
      if (raised) refusalToRecord = problem;
      return;
    }
    if (!head) return;
    const ts = now();
    const signature = s.sign(Buffer.from(checkpointMessage(head.seq, head.hash, ts)));
    repo.insertCheckpoint({ seq: head.seq, head: head.hash, ts, public_key: s.publicKeySpki.toString('base64'), signature: signature.toString('base64') });
    timer.signed();
  }

  /** After the transaction that refused a checkpoint: the refusal goes into the log (unsigned, like the tail before it). */
  function recordRefusal(): void {
    const problem = refusalToRecord;
    if (!problem) return;
    refusalToRecord = null;
    log.append({
      actor: 'system', action: 'audit.checkpoint', targetType: 'audit', targetId: null, outcome: 'failure',
      details: { code: 'integrity_failure', seq: problem.seq, reason: problem.reason.slice(0, 500) },
    });
  }

  // The quiet-interval checkpoint is owed to nobody who waits: unref'd, so it never keeps a finished CLI alive (close()
  // signs the tail anyway). Node's ref'd one-shot timers (nodeTimers) are for work a caller awaits.
  const backgroundTimers: Pick<Timers, 'setTimeout'> = {
    setTimeout(fn, ms) {
      const t = setTimeout(fn, ms);
      t.unref();
      return () => clearTimeout(t);
    },
  };
  const timer = createCheckpointTimer({
    clock: options.clock,
    timers: options.timers ?? backgroundTimers,
    quietMs: options.quietCheckpointMs ?? DEFAULT_QUIET_CHECKPOINT_MS,
    maxAgeMs: options.maxUnsignedAgeMs ?? DEFAULT_MAX_UNSIGNED_AGE_MS,
    ready: () => repo.isOpen() && signer() !== null && !repo.inTransaction(),
    checkpoint() {
      try {
        log.checkpoint();
      } catch (e) {
        options.logger?.error('timed audit checkpoint failed', { error: e instanceof Error ? e : String(e) });
      }
    },
  });
  const appended = () => {
    if (signer()) timer.appended();
  };

  const appendTx = repo.writeTransaction((v: ValidEntry): AuditRecord => {
    const head = repo.head();
    const seq = (head?.seq ?? 0) + 1;
    const ts = now();
    insertOne(v, seq, head?.hash ?? GENESIS_HASH, ts);
    if (seq % every === 0) signHead(false);
    return toRecord(v, seq, ts);
  });

  const appendManyTx = repo.writeTransaction((vs: ValidEntry[]): AuditRecord | null => {
    const head = repo.head();
    let seq = head?.seq ?? 0;
    let prev = head?.hash ?? GENESIS_HASH;
    let last: AuditRecord | null = null;
    for (const v of vs) {
      seq++;
      const ts = now();
      prev = insertOne(v, seq, prev, ts);
      if (seq % every === 0) signHead(false);
      last = { seq, ts, actor: v.actor, action: v.action, targetType: v.targetType, targetId: v.targetId, outcome: v.outcome, details: {} };
    }
    if (last) last.details = JSON.parse((vs[vs.length - 1] as ValidEntry).details);
    return last;
  });

  /** A failed export raises the alarm and refuses; a complete one clears it (it verified the whole chain). */
  function exportVerdict(outcome: Pick<ExportOutcome, 'ok'> & { firstBad?: { seq: number; reason: string } }): void {
    if (!outcome.ok) {
      const bad = outcome.firstBad ?? { seq: 0, reason: 'unknown' };
      alarm.raiseChain(bad.seq, bad.reason, now());
      throw new ConsoleError('integrity_failure', `The audit log failed verification, so it was not exported: ${bad.reason}.`);
    }
    alarm.clearChain();
  }

  /** The trusted key, or the error verify and export answer without one. */
  function requireTrustedKey(what: string): Buffer {
    if (key.state === 'untrusted') throw untrustedKeyError(key.reason, what);
    if (key.state === 'locked') {
      throw new ConsoleError('locked', 'Unlock the console to verify or export the audit log: only the audit key authenticated by the master key is trusted.');
    }
    return key.signer.publicKeySpki;
  }

  const log: AuditLogInternals = {
    append(entry) {
      const record = appendTx(validateEntry(entry));
      notify(record);
      appended();
      recordRefusal();
      return record;
    },
    appendMany(entries) {
      if (!Array.isArray(entries)) throw new ConsoleError('invalid_input', 'appendMany expects an array of entries');
      const valid = entries.map(validateEntry);
      const last = appendManyTx(valid);
      if (last) {
        notify(last);
        appended();
      }
      recordRefusal();
      return last;
    },
    setKey(next) {
      key = next;
      if (next.state !== 'trusted') timer.stop();
      if (next.state === 'untrusted') alarm.setKeyProblem(`${untrustedKeyText(next.reason)}.`);
      if (next.state === 'trusted') alarm.setKeyProblem(null);
    },
    setSigner(next) {
      log.setKey(next ? { state: 'trusted', signer: next } : { state: 'locked' });
    },
    checkpoint() {
      repo.writeTransaction(() => signHead(false))();
      recordRefusal();
    },
    verify() {
      const trusted = requireTrustedKey('');
      const walk = repo.readTransaction(() => verifyChain(repo, { trustedKey: trusted, workers: hashWorkers, parallel, ...parallelFrom }))();
      if (walk.ok) alarm.clearChain();
      else if (walk.firstBad) alarm.raiseChain(walk.firstBad.seq, walk.firstBad.reason, now());
      return walk;
    },
    close() {
      hashWorkers?.close();
      parallel.close();
    },
    query(q: AuditQuery) {
      return queryRecords(repo, q);
    },
    actions() {
      return repo.distinctActions();
    },
    keyFingerprint() {
      return keyFingerprint(requireTrustedKey(', so its fingerprint is not shown'));
    },
    signDocument(bytes) {
      const publicKeySpki = requireTrustedKey(', so no document is signed');
      // Domain separation: the log's own signed messages are JSON objects (checkpoint, seal lines).
      if (bytes.length === 0 || bytes[0] === 0x7b) throw new ConsoleError('invalid_input', 'The audit key signs no empty document and none that begins with "{" (the form of its own checkpoint messages).');
      return { signature: signer()!.sign(bytes), publicKeySpki };
    },
    exportJsonl() {
      const plan = log.prepareExport();
      const built = buildExport(repo, signer()!, plan);
      exportVerdict(built);
      return { fileName: plan.fileName, content: built.ok ? built.content : '', records: plan.headSeq };
    },
    prepareExport() {
      requireTrustedKey(', so it was not exported');
      // The fresh checkpoint and the plan see the same head, so the export ends covered by a signature.
      return repo.writeTransaction((): ExportPlan => {
        signHead(true);
        const headSeq = repo.head()?.seq ?? 0;
        const exportedAt = now();
        return { headSeq, checkpoints: repo.checkpointCount(headSeq), exportedAt, fileName: exportFileName(exportedAt) };
      })();
    },
    async writeExport(plan, sink, options = {}) {
      requireTrustedKey(', so it was not exported');
      const outcome = await streamExport(repo, signer()!, plan, sink, { ...options, parallel });
      exportVerdict(outcome);
      return { fileName: plan.fileName, records: plan.headSeq, checkpoints: plan.checkpoints, bytes: outcome.ok ? outcome.bytes : 0 };
    },
    onAppend(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    alarm: () => alarm.current(),
    onAlarmChange: (listener) => alarm.onChange(listener),
  };
  return log;
}
