// Builds the JSON Lines export: header, every record's canonical line, every checkpoint, and a signed seal over all
// bytes before it. The chain is verified in the same pass (against the signer's key, which the session only hands
// over after it passed its check under the master key): a damaged log is never exported under a fresh signature.
// The export is produced in chunks (one per 4,096 records, one per 1,024 checkpoints) with a running SHA-256 for the
// seal, so a file or a download of any size is written in constant memory; buildExport joins them for small logs.
import { createHash } from 'node:crypto';
import type { AuditRepo } from '../../store/auditRepo.ts';
import type { AuditSigner } from './auditLog.ts';
import { checkpointMessage, headerLine, sealMessage, withSignature } from './canonical.ts';
import type { ParallelSignatures } from './parallelSignatures.ts';
import { walkSteps } from './walkChain.ts';

/** What an export covers, fixed when it starts: records 1..headSeq, the checkpoints up to it, the export time. */
export interface ExportPlan {
  headSeq: number;
  checkpoints: number;
  exportedAt: string;
  fileName: string;
}

export type ExportOutcome =
  | { ok: true; records: number; checkpoints: number; bytes: number; sealSha256: string }
  | { ok: false; firstBad: { seq: number; reason: string } };

export interface ExportChunk {
  text: string;
  /** Records written so far (all of them once the checkpoints are being written). */
  records: number;
}

const CHECKPOINT_CHUNK = 1024;

export function exportFileName(exportedAt: string): string {
  return `ecps-audit-${exportedAt.replace(/[:.]/g, '-')}.jsonl`;
}

/** The export as a sequence of text chunks; returns the outcome (a failure means the caller must discard what it got). */
export function* exportChunks(repo: AuditRepo, signer: AuditSigner, plan: ExportPlan, parallel?: ParallelSignatures): Generator<ExportChunk, ExportOutcome> {
  const seal = createHash('sha256');
  let bytes = 0;
  const emit = (text: string, records: number, sealed = true): ExportChunk => {
    if (sealed) seal.update(text);
    bytes += Buffer.byteLength(text);
    return { text, records };
  };
  yield emit(headerLine(plan.exportedAt, signer.publicKeySpki, plan.headSeq, plan.checkpoints) + '\n', 0);

  let lines: string[] = [];
  const steps = walkSteps(repo, {
    endSeq: plan.headSeq,
    checkpoints: 'stored',
    trustedKey: signer.publicKeySpki,
    onLine: (l) => lines.push(l),
    ...(parallel ? { parallel } : {}),
  });
  let written = 0;
  for (;;) {
    const step = steps.next();
    if (lines.length) {
      written += lines.length;
      const text = lines.join('\n') + '\n';
      lines = [];
      yield emit(text, written);
    }
    if (!step.done) continue;
    const walk = step.value;
    if (!walk.ok) return { ok: false, firstBad: walk.firstBad ?? { seq: 0, reason: 'unknown' } };
    if (walk.headSeq !== plan.headSeq) {
      return { ok: false, firstBad: { seq: walk.headSeq + 1, reason: `records ${walk.headSeq + 1} to ${plan.headSeq} are missing (deleted)` } };
    }
    break;
  }

  let checkpoints = 0;
  for (let after = 0; ;) {
    const rows = repo.checkpointsAfter(after, plan.headSeq, CHECKPOINT_CHUNK);
    if (rows.length) {
      checkpoints += rows.length;
      after = (rows[rows.length - 1] as { seq: number }).seq;
      let text = '';
      for (const cp of rows) text += withSignature(checkpointMessage(cp.seq, cp.head, cp.ts), Buffer.from(cp.signature, 'base64')) + '\n';
      yield emit(text, written);
    }
    if (rows.length < CHECKPOINT_CHUNK) break;
  }
  // The header announced the count read when the export started; a checkpoint over these records cannot appear or go
  // away in between unless someone edits the database.
  if (checkpoints !== plan.checkpoints) {
    return { ok: false, firstBad: { seq: plan.headSeq, reason: `the checkpoints changed during the export (${plan.checkpoints} announced, ${checkpoints} found)` } };
  }
  const sealSha256 = seal.digest('hex');
  const message = sealMessage(sealSha256);
  yield emit(withSignature(message, signer.sign(Buffer.from(message))) + '\n', written, false);
  return { ok: true, records: written, checkpoints, bytes, sealSha256 };
}

/** The whole export as one string (logs that fit in memory: tests, small stores). */
export function buildExport(repo: AuditRepo, signer: AuditSigner, plan: ExportPlan):
  { ok: true; content: string; records: number } | { ok: false; firstBad: { seq: number; reason: string } } {
  const parts: string[] = [];
  const chunks = exportChunks(repo, signer, plan);
  for (;;) {
    const step = chunks.next();
    if (!step.done) {
      parts.push(step.value.text);
      continue;
    }
    return step.value.ok ? { ok: true, content: parts.join(''), records: step.value.records } : step.value;
  }
}

/** Where a streamed export goes: write() may return a promise to apply backpressure (a file, an HTTP response). */
export interface ExportSink {
  write(chunk: string): void | Promise<void>;
}

export interface StreamOptions {
  /** Called after each chunk written (about every 4,096 records), and once at the end. */
  onProgress?: (p: { records: number; bytes: number }) => void;
  parallel?: ParallelSignatures;
}

/** Writes the export chunk by chunk, waiting for the sink (and so yielding to the event loop) between chunks. */
export async function streamExport(repo: AuditRepo, signer: AuditSigner, plan: ExportPlan, sink: ExportSink, o: StreamOptions = {}): Promise<ExportOutcome> {
  const chunks = exportChunks(repo, signer, plan, o.parallel);
  let bytes = 0;
  for (;;) {
    const step = chunks.next();
    if (step.done) return step.value;
    await sink.write(step.value.text);
    bytes += Buffer.byteLength(step.value.text);
    o.onProgress?.({ records: step.value.records, bytes });
    // A sink that never waits would keep the event loop busy for the whole export: let other work in between.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
