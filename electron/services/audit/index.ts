// The tamper-evident audit log: hash-chained records, signed checkpoints, paged queries, verifiable JSON Lines export.
export { createAuditLog, DEFAULT_CHECKPOINT_EVERY, type AuditLogInternals } from './createAuditLog.ts';
export { DEFAULT_MAX_UNSIGNED_AGE_MS, DEFAULT_QUIET_CHECKPOINT_MS } from './checkpointTimer.ts';
export { verifyExport, type ExportVerification } from './verifyExport.ts';
export { createAuditSigner } from './auditSigner.ts';
export { GENESIS_HASH, keyFingerprint } from './canonical.ts';
export type { AuditDetails, AuditEntry, AuditExportPlan, AuditExportSink, AuditExportSummary, AuditKeyState, AuditLog, AuditLogOptions, AuditQuery, AuditQueryResult, AuditSigner } from './auditLog.ts';
