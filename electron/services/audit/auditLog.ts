// The seam between the audit log (owned by AUDIT) and its users (owned by CORE). AUDIT implements createAuditLog in
// this folder; CORE calls it from app.ts and the services. Change this interface only by agreement.
import type { AuditAlarm, AuditRecord, AuditVerification } from '../../../shared/contract.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import type { Timers } from '../../providers/resilience/resilienceOptions.ts';

export type AuditDetails = Record<string, string | number | boolean | null>;

export interface AuditEntry {
  /** The operator (or 'system', or 'unknown' before unlock). */
  actor: string;
  /** Dotted action name, e.g. 'key.create', 'key.rotate', 'key.state', 'session.unlock', 'audit.export'. */
  action: string;
  targetType: 'key' | 'robot' | 'store' | 'audit' | 'operator' | 'channel' | 'approval' | null;
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

/**
 * What the session learned about the audit key at unlock. Only a key that passed its check under the master key is
 * ever used to verify: the public key stored beside each checkpoint is never trusted.
 */
export type AuditKeyState =
  /** No session: verify and export answer locked; nothing is signed. */
  | { state: 'locked' }
  /** The key passed its check: checkpoints are signed with it and verified against its public half. */
  | { state: 'trusted'; signer: AuditSigner }
  /** The check failed (why, in words): verify and export answer integrity_failure, and the alarm stands. */
  | { state: 'untrusted'; reason: string };

export interface AuditQuery {
  action?: string;
  /** The action starts with this (e.g. "key."); wildcards in it are literal. */
  actionPrefix?: string;
  /** Appears in the actor, action, target id or details; wildcards literal, ASCII letters in any case. */
  text?: string;
  actor?: string;
  targetId?: string;
  /** Records whose target is this robot / this key. */
  robotId?: string;
  keyId?: string;
  from?: string;
  to?: string;
  /** Keyset paging: the page after this record (older), or before it (newer). */
  before?: number;
  after?: number;
  /** Legacy paging (costs the rows it skips); not with a cursor. Default 0. */
  offset?: number;
  limit: number;
}

export interface AuditQueryResult {
  /** Matching records: exact when totalExact, else a lower bound (the count stops at a cap); null on cursor pages. */
  total: number | null;
  totalExact: boolean;
  /** More records follow in the paging direction. */
  more: boolean;
  records: AuditRecord[];
}

/** What an export covers, fixed by prepareExport. */
export interface AuditExportPlan {
  headSeq: number;
  checkpoints: number;
  exportedAt: string;
  fileName: string;
}

export interface AuditExportSink {
  /** May return a promise to apply backpressure. */
  write(chunk: string): void | Promise<void>;
}

export interface AuditExportSummary {
  fileName: string;
  records: number;
  checkpoints: number;
  bytes: number;
}

export interface AuditLog {
  /** Appends one record durably (inside the caller's SQLite transaction when called within one). */
  append(entry: AuditEntry): AuditRecord;
  /**
   * Bulk path (seeding, imports): appends all entries in one transaction, producing exactly the rows and automatic
   * checkpoints that the same append() calls would. Listeners hear only the last record. Returns it (null if none).
   */
  appendMany(entries: readonly AuditEntry[]): AuditRecord | null;
  /** Set by the session at unlock and lock. A key that failed its check raises the alarm until a later unlock passes. */
  setKey(key: AuditKeyState): void;
  /** Shorthand for setKey: a signer is a trusted key, null is locked. */
  setSigner(signer: AuditSigner | null): void;
  /**
   * Signs the current chain head if records were added since the last checkpoint and a trusted key is set. First the
   * latest checkpoint is checked against the trusted key and the records since it are re-verified (links, canonical
   * form); if they fail nothing is signed: the alarm is raised, the error logged and a failure record appended.
   */
  checkpoint(): void;
  /** Walks the whole chain against the trusted key. Throws locked, or integrity_failure when the key failed its check. */
  verify(): AuditVerification;
  query(q: AuditQuery): AuditQueryResult;
  /** Every action the log holds, sorted (the Audit screen's action list). */
  actions(): string[];
  /** SHA-256 (hex) of the trusted audit key's DER public key; throws locked / integrity_failure like verify. */
  keyFingerprint(): string;
  /**
   * A detached signature with the trusted audit key over a whole document (the compliance report's file bytes),
   * verifiable with `openssl pkeyutl -verify -rawin`. Refuses bytes that begin with `{`: every message the log itself
   * signs (checkpoint, seal) is a JSON object, so a document can never pass for one. Throws locked / integrity_failure
   * like verify.
   */
  signDocument(bytes: Buffer): { signature: Buffer; publicKeySpki: Buffer };
  /**
   * JSON Lines export with header and checkpoints as one string; writes a fresh checkpoint first. For logs that fit in
   * a string (tests, small stores): the console's channel, the CLI and the browser host stream (prepareExport + writeExport).
   */
  exportJsonl(): { fileName: string; content: string; records: number };
  /**
   * Starts an export: signs the head (after checking the records since the last checkpoint) and fixes what the export
   * covers, records 1..headSeq. Throws locked / integrity_failure like verify.
   */
  prepareExport(): AuditExportPlan;
  /**
   * Streams the planned export to the sink in constant memory, verifying the chain as it goes; the same bytes as
   * exportJsonl. A failure (integrity_failure, or the sink's error) means the sink got an incomplete export: discard it.
   */
  writeExport(plan: AuditExportPlan, sink: AuditExportSink, options?: { onProgress?: (p: { records: number; bytes: number }) => void }): Promise<AuditExportSummary>;
  onAppend(listener: (record: AuditRecord) => void): () => void;
  /** What the window must show as an alarm (null: nothing). */
  alarm(): AuditAlarm | null;
  /** Called whenever alarm() changes. */
  onAlarmChange(listener: (alarm: AuditAlarm | null) => void): () => void;
}

/** What a service that audits its changes inside the store's transactions is given (its own deps extend this). */
export interface AuditedChangeDeps {
  audit: Pick<AuditLog, 'append'>;
  clock: Clock;
  /** Runs fn in one store transaction (its audit records commit with its changes). */
  transaction<T>(fn: () => T): T;
}

export interface AuditLogOptions {
  clock: Clock;
  /** Write a signed checkpoint automatically every N appended records (when a signer is set). */
  checkpointEvery?: number;
  /**
   * Sign a checkpoint this long (ms) after the last append when nothing else did (default 60 s; 0 = no timer), and at
   * the latest maxUnsignedAgeMs after the first unsigned record (default 5 min), so the unsigned tail stays short in
   * time. The timer runs on `timers` (default: Node's, unref'd so an idle CLI can exit).
   */
  quietCheckpointMs?: number;
  maxUnsignedAgeMs?: number;
  timers?: Pick<Timers, 'setTimeout'>;
  /**
   * Worker threads that hash chunks of records during a long verification (default: one per core beyond the calling
   * thread, at most 4, and none on 2 cores or fewer); 0: every verification is the serial walk.
   */
  verifyWorkers?: number;
  /** Logs with fewer records are verified serially (default 32,768: a worker's start costs more than it saves). */
  verifyParallelFrom?: number;
  /** Where skipped checkpoints and failing listeners are reported (never with secrets). */
  logger?: Logger;
}
