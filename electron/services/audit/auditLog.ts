// The seam between the audit log (owned by AUDIT) and its users (owned by CORE). AUDIT implements createAuditLog in
// this folder; CORE calls it from app.ts and the services. Change this interface only by agreement.
import type { AuditRecord, AuditVerification } from '../../../shared/contract.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';

export type AuditDetails = Record<string, string | number | boolean | null>;

export interface AuditEntry {
  /** The operator (or 'system', or 'unknown' before unlock). */
  actor: string;
  /** Dotted action name, e.g. 'key.create', 'key.rotate', 'key.state', 'session.unlock', 'audit.export'. */
  action: string;
  targetType: 'key' | 'robot' | 'store' | 'audit' | null;
  targetId: string | null;
  outcome: 'success' | 'failure';
  /** Non-secret facts only (ids, versions, states, error codes). Never key material, passphrases or plaintext. */
  details?: AuditDetails;
}

/** Signs checkpoints of the chain head with the console audit key (Ed25519). */
export interface AuditSigner {
  /** DER SubjectPublicKeyInfo of the audit public key. */
  readonly publicKeySpki: Buffer;
  sign(message: Buffer): Buffer;
}

export interface AuditQuery {
  action?: string;
  actor?: string;
  targetId?: string;
  from?: string;
  to?: string;
  offset: number;
  limit: number;
}

export interface AuditLog {
  /** Appends one record durably (inside the caller's SQLite transaction when called within one). */
  append(entry: AuditEntry): AuditRecord;
  /**
   * Bulk path (seeding, imports): appends all entries in one transaction, producing exactly the rows and automatic
   * checkpoints that the same append() calls would. Listeners hear only the last record. Returns it (null if none).
   */
  appendMany(entries: readonly AuditEntry[]): AuditRecord | null;
  /** Set on unlock, cleared (null) on lock. Without a signer no checkpoint is written. */
  setSigner(signer: AuditSigner | null): void;
  /**
   * Signs the current chain head if records were added since the last checkpoint and a signer is set. The records
   * since the last checkpoint are re-verified first; a tampered tail is never signed (skipped and logged, no throw).
   */
  checkpoint(): void;
  verify(): AuditVerification;
  query(q: AuditQuery): { total: number; records: AuditRecord[] };
  /** JSON Lines export with header and checkpoints; writes a fresh checkpoint first when a signer is set. */
  exportJsonl(): { fileName: string; content: string; records: number };
  onAppend(listener: (record: AuditRecord) => void): () => void;
}

export interface AuditLogOptions {
  clock: Clock;
  /** Write a signed checkpoint automatically every N appended records (when a signer is set). */
  checkpointEvery?: number;
  /** Trusted audit public key (DER SPKI) to verify checkpoints against; see docs/audit-log.md on why it is not just read from the db. */
  trustedPublicKeySpki?: () => Buffer | null;
  /** Where skipped checkpoints and failing listeners are reported (never with secrets). */
  logger?: Logger;
}
