// Builds the JSON Lines export: header, every record's canonical line, every checkpoint, and a signed seal over all
// bytes before it. The chain is verified in the same pass: a damaged log is never exported under a fresh signature.
import type { AuditSigner } from './auditLog.ts';
import { ConsoleError } from '../../../shared/errors.ts';
import { checkpointMessage, headerLine, sealMessage, sha256Hex, withSignature } from './canonical.ts';
import type { AuditStatements } from './statements.ts';
import { walkChain } from './walkChain.ts';

export function buildExport(st: AuditStatements, signer: AuditSigner, trusted: Buffer | null, exportedAt: string) {
  if (trusted && !trusted.equals(signer.publicKeySpki)) {
    throw new ConsoleError('integrity_failure', 'The audit signing key is not the trusted audit key; the export was refused.');
  }
  const checkpoints = st.checkpoints.all();
  const lines: string[] = [];
  const walk = walkChain(st, { checkpoints, trustedKey: signer.publicKeySpki, onLine: (l) => lines.push(l) });
  if (!walk.ok) {
    throw new ConsoleError('integrity_failure', `The audit log failed verification, so it was not exported: ${walk.firstBad?.reason ?? 'unknown'}.`);
  }
  let body = headerLine(exportedAt, signer.publicKeySpki, lines.length, checkpoints.length) + '\n';
  if (lines.length) body += lines.join('\n') + '\n';
  for (const cp of checkpoints) body += withSignature(checkpointMessage(cp.seq, cp.head, cp.ts), Buffer.from(cp.signature, 'base64')) + '\n';
  const seal = sealMessage(sha256Hex(body));
  const content = body + withSignature(seal, signer.sign(Buffer.from(seal))) + '\n';
  const fileName = `ecps-audit-${exportedAt.replace(/[:.]/g, '-')}.jsonl`;
  return { fileName, content, records: lines.length };
}
