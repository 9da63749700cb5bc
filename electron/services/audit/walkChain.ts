// One streaming pass over the stored chain: recomputes every record's canonical line from its columns, checks seq
// continuity, the stored hash and every checkpoint (head and Ed25519 signature against the trusted key only: the key
// stored beside a checkpoint is never used). Stops at the first bad record. Reads records and checkpoints in chunks,
// so memory stays flat on millions of records; signatures may be verified on a worker while the walk hashes.
import { createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import type { AuditVerification } from '../../../shared/contract.ts';
import type { CheckpointRow, RecordTuple } from '../../store/auditRepo.ts';
import { canonicalSignature, checkpointMessage, GENESIS_HASH, recordLine, sha256Hex } from './canonical.ts';
import type { ParallelSignatures, SignatureBatch } from './parallelSignatures.ts';

/** Where the walk reads records (and, for `checkpoints: 'stored'`, checkpoints) from: the audit repository. */
export interface ChainReader {
  recordsAfter(afterSeq: number, endSeq: number, limit: number): RecordTuple[];
  /** Up to `limit` checkpoints with afterSeq < seq <= endSeq, ascending. */
  checkpointsAfter?(afterSeq: number, endSeq: number, limit: number): CheckpointRow[];
  /** The newest seq (0 when empty): lets a verification choose between the serial and the parallel walk. */
  headSeq?(): number;
}

/** Records per read (and per chunk handed to a hash worker). */
export const CHUNK = 4096;
const CHECKPOINT_CHUNK = 1024;
/** Below this many signatures a walk verifies them inline: a worker is not worth starting for a short walk. */
export const PARALLEL_AFTER_CHECKPOINTS = 64;

export interface WalkOptions {
  /** Start after this record (0 = from genesis) whose hash is startHash. */
  startSeq?: number;
  startHash?: string;
  /** Stop after this record (default: the end). */
  endSeq?: number;
  /** The checkpoints to check, ascending; 'stored': read from the reader in chunks. */
  checkpoints: readonly CheckpointRow[] | 'stored';
  /**
   * The audit public key authenticated under the master key (DER SPKI); every checkpoint signature is checked against
   * it alone. null only when no checkpoint is to be checked: a checkpoint met without it fails the walk.
   */
  trustedKey: Buffer | null;
  /** Receives every record line in order. With parallel signatures a line may arrive before the signatures of the
   * checkpoints before it are confirmed: only a walk that ends ok vouches for the lines it handed out. */
  onLine?: (line: string) => void;
  /** Verify signatures on this worker once a walk has met `parallelAfter` checkpoints (default 64). */
  parallel?: ParallelSignatures;
  parallelAfter?: number;
}

export interface WalkResult extends AuditVerification {
  headSeq: number;
  headHash: string;
}

/** The walk's position after each chunk of records (for progress and for yielding to the event loop). */
export interface WalkProgress {
  checkedRecords: number;
}

/** Walks the whole range at once. */
export function walkChain(reader: ChainReader, o: WalkOptions): WalkResult {
  const steps = walkSteps(reader, o);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** What the walk keeps about a checkpoint whose signature is still being checked elsewhere. */
interface PendingCheckpoint {
  seq: number;
  /** Hash of record seq - 1: the head the walk reports if this signature turns out invalid. */
  prevHash: string;
  verifiedBefore: number;
  lastSeqBefore: number | null;
}

/** The walk as a generator: yields after each chunk of records, returns the verdict. */
export function* walkSteps(reader: ChainReader, o: WalkOptions): Generator<WalkProgress, WalkResult> {
  const startSeq = o.startSeq ?? 0;
  let expected = startSeq + 1;
  let prev = o.startHash ?? GENESIS_HASH;
  const end = o.endSeq ?? Number.MAX_SAFE_INTEGER;
  const cps = checkpointCursor(reader, o.checkpoints, startSeq, o.endSeq);
  const sig = signatureChecks(o);
  let verifiedCheckpoints = 0;
  let lastCheckpointSeq: number | null = null;
  const result = (firstBad: AuditVerification['firstBad']): WalkResult => ({
    ok: firstBad === null,
    checkedRecords: expected - 1 - startSeq,
    checkpoints: verifiedCheckpoints,
    lastCheckpointSeq,
    firstBad,
    headSeq: expected - 1,
    headHash: prev,
  });
  /** A signature checked elsewhere was invalid: the walk's verdict is as if it had stopped right there. */
  const invalidAt = (p: PendingCheckpoint): WalkResult => {
    expected = p.seq;
    prev = p.prevHash;
    verifiedCheckpoints = p.verifiedBefore;
    lastCheckpointSeq = p.lastSeqBefore;
    return result({ seq: p.seq, reason: invalidSignature(p.seq) });
  };
  /** Ends the walk: checks queued elsewhere come first in walk order, so a failure among them wins. */
  const finish = (firstBad: AuditVerification['firstBad']): WalkResult => {
    const bad = sig.settle();
    if (bad) return invalidAt(bad);
    return result(firstBad);
  };

  for (;;) {
    const rows = reader.recordsAfter(expected - 1, end, CHUNK);
    for (const r of rows) {
      const seq = r[0];
      if (seq !== expected) {
        return finish(seq > expected
          ? { seq: expected, reason: seq === expected + 1 ? `record ${expected} is missing (deleted)` : `records ${expected} to ${seq - 1} are missing (deleted)` }
          : { seq, reason: `record ${seq} is out of sequence (inserted)` });
      }
      const line = recordLine(seq, r[1], r[2], r[3], r[4], r[5], r[6], r[7], prev);
      const hash = sha256Hex(line);
      if (hash !== r[8]) {
        return finish({ seq, reason: `record ${seq} was modified (its content no longer matches its hash${seq > 1 ? ', or record ' + (seq - 1) + ' was rewritten' : ''})` });
      }
      for (let cp = cps.peek(); cp !== undefined && cp.seq === seq; cp = cps.peek()) {
        const bad = sig.check(cp, hash, { seq, prevHash: prev, verifiedBefore: verifiedCheckpoints, lastSeqBefore: lastCheckpointSeq });
        if (bad) return finish({ seq, reason: bad });
        verifiedCheckpoints++;
        lastCheckpointSeq = seq;
        cps.next();
      }
      o.onLine?.(line);
      prev = hash;
      expected++;
    }
    const early = sig.failedSoFar();
    if (early) return invalidAt(early);
    if (rows.length < CHUNK) break;
    yield { checkedRecords: expected - 1 - startSeq };
  }
  const left = cps.peek();
  if (left !== undefined && o.endSeq === undefined) {
    return finish({
      seq: expected,
      reason: `the checkpoint at record ${left.seq} refers to records that were removed (records ${expected} to ${left.seq} are missing: the log was truncated)`,
    });
  }
  return finish(null);
}

const invalidSignature = (seq: number) => `the checkpoint at record ${seq} has an invalid signature (not signed by the trusted audit key)`;

/** Checkpoints in order from an array or read from the repository in chunks (only those after startSeq). */
function checkpointCursor(reader: ChainReader, source: WalkOptions['checkpoints'], startSeq: number, endSeq: number | undefined) {
  if (source !== 'stored') {
    let i = 0;
    while (i < source.length && (source[i] as CheckpointRow).seq <= startSeq) i++;
    return { peek: () => source[i], next: () => void i++ };
  }
  if (!reader.checkpointsAfter) throw new Error('this chain reader cannot read checkpoints');
  const read = reader.checkpointsAfter.bind(reader);
  // Past endSeq only when walking to the end: a checkpoint beyond the last record means the log was truncated.
  const until = endSeq ?? Number.MAX_SAFE_INTEGER;
  let buffer: CheckpointRow[] = [];
  let i = 0;
  let after = startSeq;
  let exhausted = false;
  const fill = () => {
    if (i < buffer.length || exhausted) return;
    buffer = read(after, until, CHECKPOINT_CHUNK);
    i = 0;
    if (buffer.length < CHECKPOINT_CHUNK) exhausted = true;
    if (buffer.length) after = (buffer[buffer.length - 1] as CheckpointRow).seq;
  };
  return {
    peek: () => {
      fill();
      return buffer[i];
    },
    next: () => void i++,
  };
}

/**
 * The head check is always inline; the signature is verified inline, or (past `parallelAfter` checkpoints, with a
 * worker) queued and its verdict collected later. The walk keeps what it needs to report each queued one.
 */
function signatureChecks(o: WalkOptions) {
  const key = o.trustedKey ? ed25519Key(o.trustedKey) : null;
  const parallelAfter = o.parallelAfter ?? PARALLEL_AFTER_CHECKPOINTS;
  let batch: SignatureBatch | null = null;
  let pending: PendingCheckpoint[] = [];
  let pendingFrom = 0; // batch ordinal of pending[0]
  let met = 0;

  const pendingAt = (ordinal: number | null): PendingCheckpoint | null => (ordinal === null ? null : (pending[ordinal - pendingFrom] ?? null));

  return {
    /** Why cp fails now, or null (valid, or queued). */
    check(cp: CheckpointRow, hash: string, at: PendingCheckpoint): string | null {
      if (cp.head !== hash) return `the checkpoint at record ${cp.seq} does not match the chain (records up to ${cp.seq} were changed, or the checkpoint was)`;
      if (!o.trustedKey) return `the checkpoint at record ${cp.seq} cannot be checked: no trusted audit key`;
      if (!key) return 'the trusted audit key is not an Ed25519 key';
      const sig = canonicalSignature(cp.signature);
      if (!sig) return invalidSignature(cp.seq);
      const message = checkpointMessage(cp.seq, cp.head, cp.ts);
      if (++met > parallelAfter && o.parallel) {
        batch ??= o.parallel.begin(key, o.trustedKey);
        batch.add(message, cp.signature);
        pending.push(at);
        if (pending.length > 2048) {
          const valid = batch.checkedValid();
          if (valid > pendingFrom) {
            pending = pending.slice(valid - pendingFrom);
            pendingFrom = valid;
          }
        }
        return null;
      }
      return verifySignature(null, Buffer.from(message), key, sig) ? null : invalidSignature(cp.seq);
    },
    failedSoFar: () => (batch ? pendingAt(batch.firstInvalid()) : null),
    settle: () => (batch ? pendingAt(batch.settle()) : null),
  };
}

/** Why cp's signature does not verify under the trusted key (null when it does). */
export function checkpointSignatureProblem(cp: CheckpointRow, trusted: Buffer | null): string | null {
  if (!trusted) return `the checkpoint at record ${cp.seq} cannot be checked: no trusted audit key`;
  const key = ed25519Key(trusted);
  if (!key) return 'the trusted audit key is not an Ed25519 key';
  const sig = canonicalSignature(cp.signature);
  const valid = sig !== null && verifySignature(null, Buffer.from(checkpointMessage(cp.seq, cp.head, cp.ts)), key, sig);
  return valid ? null : invalidSignature(cp.seq);
}

export function ed25519Key(spki: Buffer): KeyObject | null {
  try {
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'ed25519' ? key : null;
  } catch {
    return null;
  }
}
