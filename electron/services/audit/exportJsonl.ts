// Builds the JSON Lines export: header, every record's canonical line, every checkpoint, and a signed seal over all
// bytes before it. The chain is verified in the same pass (against the signer's key, which the session only hands
// over after it passed its check under the master key): a damaged log is never exported under a fresh signature.
import type { AuditRepo } from '../../store/auditRepo.ts';
import type { AuditSigner } from './auditLog.ts';
import { checkpointMessage, headerLine, sealMessage, sha256Hex, withSignature } from './canonical.ts';
import { walkChain, type WalkResult } from './walkChain.ts';

/** The export's content, or the failed walk (the caller raises the alarm and refuses). */
export function buildExport(repo: AuditRepo, signer: AuditSigner, exportedAt: string):
  { ok: true; fileName: string; content: string; records: number } | { ok: false; walk: WalkResult } {
  const checkpoints = repo.checkpoints();
  const lines: string[] = [];
  const walk = walkChain(repo, { checkpoints, trustedKey: signer.publicKeySpki, onLine: (l) => lines.push(l) });
  if (!walk.ok) return { ok: false, walk };
  let body = headerLine(exportedAt, signer.publicKeySpki, lines.length, checkpoints.length) + '\n';
  if (lines.length) body += lines.join('\n') + '\n';
  for (const cp of checkpoints) body += withSignature(checkpointMessage(cp.seq, cp.head, cp.ts), Buffer.from(cp.signature, 'base64')) + '\n';
  const seal = sealMessage(sha256Hex(body));
  const content = body + withSignature(seal, signer.sign(Buffer.from(seal))) + '\n';
  const fileName = `ecps-audit-${exportedAt.replace(/[:.]/g, '-')}.jsonl`;
  return { ok: true, fileName, content, records: lines.length };
}
