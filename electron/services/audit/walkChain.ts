// One streaming pass over the stored chain: recomputes every record's canonical line from its columns, checks seq
// continuity, the stored hash and every checkpoint (head and Ed25519 signature against the trusted key only: the key
// stored beside a checkpoint is never used). Stops at the first bad record.
import { createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import type { AuditVerification } from '../../../shared/contract.ts';
import type { CheckpointRow, RecordTuple } from '../../store/auditRepo.ts';
import { checkpointMessage, GENESIS_HASH, recordLine, sha256Hex } from './canonical.ts';

/** Where the walk reads records from (the audit repository, or anything that serves the same rows). */
export interface ChainReader {
  recordsAfter(afterSeq: number, endSeq: number, limit: number): RecordTuple[];
}

const CHUNK = 4096;

export interface WalkOptions {
  /** Start after this record (0 = from genesis) whose hash is startHash. */
  startSeq?: number;
  startHash?: string;
  /** Stop after this record (default: the end). */
  endSeq?: number;
  checkpoints: readonly CheckpointRow[];
  /**
   * The audit public key authenticated under the master key (DER SPKI); every checkpoint signature is checked against
   * it alone. null only when no checkpoint is to be checked: a checkpoint met without it fails the walk.
   */
  trustedKey: Buffer | null;
  /** Receives every verified record line in order (the export uses it). */
  onLine?: (line: string) => void;
}

export interface WalkResult extends AuditVerification {
  headSeq: number;
  headHash: string;
}

export function walkChain(reader: ChainReader, o: WalkOptions): WalkResult {
  let expected = (o.startSeq ?? 0) + 1;
  let prev = o.startHash ?? GENESIS_HASH;
  const end = o.endSeq ?? Number.MAX_SAFE_INTEGER;
  const cps = o.checkpoints;
  let ci = 0;
  while (ci < cps.length && (cps[ci] as CheckpointRow).seq < expected) ci++;
  const keys = new Map<string, KeyObject | null>();
  let verifiedCheckpoints = 0;
  let lastCheckpointSeq: number | null = null;
  const result = (firstBad: AuditVerification['firstBad']): WalkResult => ({
    ok: firstBad === null,
    checkedRecords: expected - 1 - (o.startSeq ?? 0),
    checkpoints: verifiedCheckpoints,
    lastCheckpointSeq,
    firstBad,
    headSeq: expected - 1,
    headHash: prev,
  });

  for (;;) {
    const rows = reader.recordsAfter(expected - 1, end, CHUNK);
    for (const r of rows) {
      const seq = r[0];
      if (seq !== expected) {
        return result(seq > expected
          ? { seq: expected, reason: seq === expected + 1 ? `record ${expected} is missing (deleted)` : `records ${expected} to ${seq - 1} are missing (deleted)` }
          : { seq, reason: `record ${seq} is out of sequence (inserted)` });
      }
      const line = recordLine(seq, r[1], r[2], r[3], r[4], r[5], r[6], r[7], prev);
      const hash = sha256Hex(line);
      if (hash !== r[8]) {
        return result({ seq, reason: `record ${seq} was modified (its content no longer matches its hash${seq > 1 ? ', or record ' + (seq - 1) + ' was rewritten' : ''})` });
      }
      while (ci < cps.length && (cps[ci] as CheckpointRow).seq === seq) {
        const bad = checkCheckpoint(cps[ci] as CheckpointRow, hash, o.trustedKey, keys);
        if (bad) return result({ seq, reason: bad });
        verifiedCheckpoints++;
        lastCheckpointSeq = seq;
        ci++;
      }
      o.onLine?.(line);
      prev = hash;
      expected++;
    }
    if (rows.length < CHUNK) break;
  }
  if (ci < cps.length && o.endSeq === undefined) {
    const cp = cps[ci] as CheckpointRow;
    return result({
      seq: expected,
      reason: `the checkpoint at record ${cp.seq} refers to records that were removed (records ${expected} to ${cp.seq} are missing: the log was truncated)`,
    });
  }
  return result(null);
}

function checkCheckpoint(cp: CheckpointRow, hash: string, trusted: Buffer | null, keys: Map<string, KeyObject | null>): string | null {
  if (cp.head !== hash) return `the checkpoint at record ${cp.seq} does not match the chain (records up to ${cp.seq} were changed, or the checkpoint was)`;
  return checkpointSignatureProblem(cp, trusted, keys);
}

/** Why cp's signature does not verify under the trusted key (null when it does). `keys` caches the parsed key. */
export function checkpointSignatureProblem(cp: CheckpointRow, trusted: Buffer | null, keys = new Map<string, KeyObject | null>()): string | null {
  if (!trusted) return `the checkpoint at record ${cp.seq} cannot be checked: no trusted audit key`;
  const keyText = trusted.toString('base64');
  let key = keys.get(keyText);
  if (key === undefined) {
    key = ed25519Key(trusted);
    keys.set(keyText, key);
  }
  if (!key) return 'the trusted audit key is not an Ed25519 key';
  const sig = Buffer.from(cp.signature, 'base64');
  const valid = sig.length === 64 && sig.toString('base64') === cp.signature &&
    verifySignature(null, Buffer.from(checkpointMessage(cp.seq, cp.head, cp.ts)), key, sig);
  return valid ? null : `the checkpoint at record ${cp.seq} has an invalid signature (not signed by the trusted audit key)`;
}

export function ed25519Key(spki: Buffer): KeyObject | null {
  try {
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'ed25519' ? key : null;
  } catch {
    return null;
  }
}
