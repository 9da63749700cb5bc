// The audit log over the store's SQLite database: append (single and bulk), signed checkpoints, verification, paged
// queries and the JSON Lines export. State per instance only (the signer and the listeners); the chain head is always
// read from the database, so a rolled-back caller transaction or a second connection cannot desynchronise it.
import type { Db } from '../../store/database.ts';
import type { AuditRecord } from '../../../shared/contract.ts';
import { createAuditRepo } from '../../store/auditRepo.ts';
import { ConsoleError } from '../../../shared/errors.ts';
import type { AuditLog, AuditLogOptions, AuditQuery, AuditSigner } from './auditLog.ts';
import { checkpointMessage, GENESIS_HASH, recordLine, sha256Hex } from './canonical.ts';
import { buildExport } from './exportJsonl.ts';
import { queryRecords } from './queryRecords.ts';
import { validateEntry, type ValidEntry } from './validateEntry.ts';
import { walkChain, type WalkResult } from './walkChain.ts';

export const DEFAULT_CHECKPOINT_EVERY = 100;

export interface AuditLogInternals extends AuditLog {
  /** Also says whether checkpoints were checked against the trusted key or only against the key stored beside them. */
  verify(): WalkResult & { keySource: 'trusted' | 'stored' };
}

export function createAuditLog(db: Db, options: AuditLogOptions): AuditLogInternals {
  const repo = createAuditRepo(db);
  const every = options.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
  if (!Number.isInteger(every) || every < 1) throw new ConsoleError('invalid_input', 'checkpointEvery must be a positive integer');
  const listeners = new Set<(record: AuditRecord) => void>();
  let signer: AuditSigner | null = null;

  const now = () => new Date(options.clock.now()).toISOString();
  const trustedKey = () => options.trustedPublicKeySpki?.() ?? null;

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

  /** Signs the head after re-verifying the records since the last checkpoint, so a tampered tail is never signed. */
  function signHead(strict: boolean): void {
    if (!signer) return;
    const head = repo.head();
    const last = repo.lastCheckpoint();
    if (!head || (last && last.seq >= head.seq)) return;
    const walk = walkChain(repo, {
      startSeq: last?.seq ?? 0,
      startHash: last?.head ?? GENESIS_HASH,
      checkpoints: [],
      trustedKey: null,
    });
    if (!walk.ok || walk.headSeq !== head.seq) {
      const reason = walk.firstBad?.reason ?? 'the chain head moved during the check';
      if (strict) throw new ConsoleError('integrity_failure', `The audit log failed verification, so it was not signed: ${reason}.`);
      options.logger?.error('audit checkpoint skipped: chain failed verification', { reason });
      return;
    }
    const ts = now();
    const signature = signer.sign(Buffer.from(checkpointMessage(head.seq, head.hash, ts)));
    repo.insertCheckpoint({ seq: head.seq, head: head.hash, ts, public_key: signer.publicKeySpki.toString('base64'), signature: signature.toString('base64') });
  }

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

  const log: AuditLogInternals = {
    append(entry) {
      const record = appendTx(validateEntry(entry));
      notify(record);
      return record;
    },
    appendMany(entries) {
      if (!Array.isArray(entries)) throw new ConsoleError('invalid_input', 'appendMany expects an array of entries');
      const valid = entries.map(validateEntry);
      const last = appendManyTx(valid);
      if (last) notify(last);
      return last;
    },
    setSigner(next) {
      signer = next;
    },
    checkpoint() {
      repo.writeTransaction(() => signHead(false))();
    },
    verify() {
      const trusted = trustedKey();
      const walk = repo.readTransaction(() => walkChain(repo, { checkpoints: repo.checkpoints(), trustedKey: trusted }))();
      return { ...walk, keySource: trusted ? 'trusted' : 'stored' };
    },
    query(q: AuditQuery) {
      return queryRecords(repo, q);
    },
    exportJsonl() {
      if (!signer) {
        throw new ConsoleError('locked', 'Unlock the console to export the audit log: every export is signed with the audit key.');
      }
      const s = signer;
      // One write transaction: the fresh checkpoint and the export see the same head, so the export ends covered.
      return repo.writeTransaction(() => {
        signHead(true);
        const t = trustedKey();
        if (t && !t.equals(s.publicKeySpki)) {
          throw new ConsoleError('integrity_failure', 'The audit signing key is not the trusted audit key; the export was refused.');
        }
        const built = buildExport(repo, s, now());
        if (!built.ok) {
          throw new ConsoleError('integrity_failure', `The audit log failed verification, so it was not exported: ${built.walk.firstBad?.reason ?? 'unknown'}.`);
        }
        return { fileName: built.fileName, content: built.content, records: built.records };
      })();
    },
    onAppend(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
  return log;
}
