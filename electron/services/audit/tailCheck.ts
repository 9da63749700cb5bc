// The check before a checkpoint is signed: the latest checkpoint must verify under the trusted key and still match
// its record, and every record since it must verify (seq continuity, canonical line, hash link). A tail that fails
// is never signed, so the console's own signature never covers a record it could have caught as forged.
// Cost per checkpoint: one Ed25519 verification, one indexed read and the walk over the records since the last one.
import type { AuditRepo, CheckpointRow } from '../../store/auditRepo.ts';
import { GENESIS_HASH } from './canonical.ts';
import { checkpointSignatureProblem, walkChain } from './walkChain.ts';

export interface TailProblem {
  seq: number;
  reason: string;
}

/** Why the records after `last` up to `head` must not be signed, or null when they verify. */
export function tailProblem(repo: AuditRepo, head: { seq: number; hash: string } | null, last: CheckpointRow | null, trustedKey: Buffer): TailProblem | null {
  const headSeq = head?.seq ?? 0;
  if (last) {
    const bad = checkpointSignatureProblem(last, trustedKey);
    if (bad) return { seq: last.seq, reason: bad };
    if (last.seq > headSeq) {
      return { seq: headSeq + 1, reason: `the checkpoint at record ${last.seq} refers to records that were removed (the log ends at record ${headSeq})` };
    }
    if (repo.hashAt(last.seq) !== last.head) {
      return { seq: last.seq, reason: `record ${last.seq} no longer matches the checkpoint that signed it (records up to ${last.seq} were changed)` };
    }
  }
  if (!head) return null;
  const walk = walkChain(repo, { startSeq: last?.seq ?? 0, startHash: last?.head ?? GENESIS_HASH, endSeq: head.seq, checkpoints: [], trustedKey: null });
  if (!walk.ok) return walk.firstBad;
  if (walk.headSeq !== head.seq || walk.headHash !== head.hash) return { seq: walk.headSeq + 1, reason: 'the chain head moved during the check' };
  return null;
}
