// Repository of the compliance report (issue 14, docs/compliance-report.md): read-only queries over the keys, the
// rotation jobs, the usage counters, the fleet CA's certificates, the operators and the audit tables, each bounded by
// the report's period where the data has a time. Portable SQL (SQLite and PostgreSQL): plain comparisons of ISO-8601
// UTC text (every time these tables hold is written by toISOString, so text order is time order) and of epoch
// milliseconds (rotation jobs); no date functions, no JSON functions (details are parsed by the service).
import type { Db } from './database.ts';

export interface ReportKeyRow {
  id: string;
  label: string;
  type: string;
  algorithm: string;
  state: string;
  provider: string;
  currentVersion: number;
  createdAt: string;
}

export interface ReportJobRow {
  keyId: string;
  fromVersion: number;
  reason: string;
  dueAt: number;
  state: string;
  lateMs: number | null;
  finishedAt: number | null;
}

export interface ReportUsageRow {
  keyId: string;
  version: number;
  reserved: number;
  warnedAt: string | null;
  limitReachedAt: string | null;
}

export interface ReportCertRow {
  serial: string;
  deviceId: string;
  notAfter: string;
  issuedAt: string;
  revokedAt: string | null;
  revocationReason: string | null;
}

export interface ReportOperatorRow {
  name: string;
  role: string;
  createdAt: string;
  createdBy: string;
}

export interface ReportAuditRow {
  seq: number;
  ts: string;
  actor: string;
  action: string;
  targetId: string | null;
  outcome: string;
  details: string;
}

/** A two-person approval request (docs/two-person-control.md) with its approvers, oldest approval first. */
export interface ReportApprovalRequestRow {
  id: string;
  action: string;
  requester: string;
  state: string;
  createdAt: string;
  expiresAt: string;
  decidedBy: string | null;
  executedAt: string | null;
  executedBy: string | null;
  approvers: string[];
}

export interface ReportCheckpointRow {
  seq: number;
  head: string;
  ts: string;
}

/** An inclusive period as ISO text (audit, certificates) and as epoch milliseconds (rotation jobs). */
export interface ReportPeriod {
  from: string;
  to: string;
  fromMs: number;
  toMs: number;
}

export interface ReportRepo {
  /** Keys created by the end of the period, with their state and provider now. */
  keys(p: ReportPeriod): ReportKeyRow[];
  /** Rotation jobs due within the period. */
  rotationJobs(p: ReportPeriod): ReportJobRow[];
  /** Usage counters of every key's current version (keys created by the end of the period). */
  currentUsage(p: ReportPeriod): ReportUsageRow[];
  /** Certificates issued within the period, revoked within it, and valid at its end expiring within `days` after it. */
  certificates(p: ReportPeriod, expiringDays: number): { issued: ReportCertRow[]; revoked: ReportCertRow[]; expiring: ReportCertRow[] };
  /** The operators now (the table keeps no history; changes in the period are in the audit). */
  operators(): ReportOperatorRow[];
  /** Audit records within the period whose action is one of `actions` or starts with one of `prefixes`. */
  auditRecords(p: ReportPeriod, actions: readonly string[], prefixes: readonly string[]): ReportAuditRow[];
  /** Records within the period, and the checkpoints signed within it. */
  auditWithin(p: ReportPeriod): { records: number; checkpoints: ReportCheckpointRow[] };
  /**
   * Approval requests made within the period or with any approval.* audit record within it (approved, denied,
   * executed, expired, exported there: a request made before the period counts too), oldest first, with their state
   * now and who approved them.
   */
  approvalRequests(p: ReportPeriod): ReportApprovalRequestRow[];
  /**
   * The audit records the report reconstructs the period's end from (reportHistory.ts), oldest first, read as one
   * stream over the whole log: operator changes (operator.add, .remove, .set_role, .migrated), the first admin's
   * store.init, key.create, key.state and the records of a new key version (key.rotate, key.migrate,
   * rotation.drift_detected), and the two-person records that say how an operator change was allowed
   * (approval.execute, approval.waived). Only these actions; their number, not the log's, is what is held.
   */
  historyRecords(): Iterable<ReportAuditRow>;
}

/** The actions historyRecords() streams (reportHistory.ts reads them). */
export const HISTORY_ACTIONS = [
  'operator.add', 'operator.remove', 'operator.set_role', 'operator.migrated', 'store.init', 'key.create', 'key.state', 'key.rotate', 'key.migrate',
  'rotation.drift_detected', 'approval.execute', 'approval.waived',
] as const;

const CERT_COLUMNS = 'serial, device_id AS deviceId, not_after AS notAfter, issued_at AS issuedAt, revoked_at AS revokedAt, revocation_reason AS revocationReason';

const num = (v: number | bigint | null): number | null => (v === null ? null : Number(v));

export function createReportRepo(db: Db): ReportRepo {
  const keys = db.prepare(
    `SELECT id, label, key_type AS type, algorithm, state, provider, current_version AS currentVersion, created_at AS createdAt
       FROM keys WHERE created_at <= ? ORDER BY key_type, label, id`,
  );
  // A request of the period: made in it, or named by an approval.* record in it (the service audits each step of a
  // request with its id as target). Parameters: from, to, from, to.
  const REQUEST_IN_PERIOD = `(r.created_at >= ? AND r.created_at <= ?)
      OR r.id IN (SELECT a.target_id FROM audit_records a WHERE a.ts >= ? AND a.ts <= ? AND a.target_type = 'approval' AND a.action LIKE 'approval.%')`;
  const approvalRequests = db.prepare(
    `SELECT r.id, r.action, r.requester, r.state, r.created_at AS createdAt, r.expires_at AS expiresAt, r.decided_by AS decidedBy, r.executed_at AS executedAt, r.executed_by AS executedBy
       FROM approval_requests r WHERE ${REQUEST_IN_PERIOD} ORDER BY r.created_at, r.id`,
  );
  const approvalVotes = db.prepare(
    `SELECT v.request_id AS requestId, v.approver FROM approval_votes v JOIN approval_requests r ON r.id = v.request_id
      WHERE ${REQUEST_IN_PERIOD} ORDER BY v.approved_at, v.approver`,
  );
  const jobs = db.prepare(
    `SELECT key_id AS keyId, from_version AS fromVersion, reason, due_at AS dueAt, state, late_ms AS lateMs, finished_at AS finishedAt
       FROM rotation_jobs WHERE due_at >= ? AND due_at <= ? ORDER BY due_at, key_id, from_version`,
  );
  const usage = db.prepare(
    `SELECT u.key_id AS keyId, u.version, u.reserved, u.warned_at AS warnedAt, u.limit_reached_at AS limitReachedAt
       FROM key_version_usage u JOIN keys k ON k.id = u.key_id AND k.current_version = u.version
      WHERE k.created_at <= ? ORDER BY u.key_id`,
  );
  const issued = db.prepare(`SELECT ${CERT_COLUMNS} FROM fleet_certificates WHERE issued_at >= ? AND issued_at <= ? ORDER BY issued_at, serial`);
  const revoked = db.prepare(`SELECT ${CERT_COLUMNS} FROM fleet_certificates WHERE revoked_at >= ? AND revoked_at <= ? ORDER BY revoked_at, serial`);
  const expiring = db.prepare(
    `SELECT ${CERT_COLUMNS} FROM fleet_certificates
      WHERE issued_at <= ? AND not_after > ? AND not_after <= ? AND (revoked_at IS NULL OR revoked_at > ?) ORDER BY not_after, serial`,
  );
  const operators = db.prepare('SELECT name, role, created_at AS createdAt, created_by AS createdBy FROM operators ORDER BY name');
  const history = db.prepare(
    `SELECT seq, ts, actor, action, target_id AS targetId, outcome, details FROM audit_records
      WHERE action IN (${HISTORY_ACTIONS.map(() => '?').join(', ')}) ORDER BY seq`,
  );
  const recordCount = db.prepare('SELECT COUNT(*) FROM audit_records WHERE ts >= ? AND ts <= ?').pluck();
  const checkpoints = db.prepare('SELECT seq, head, ts FROM audit_checkpoints WHERE ts >= ? AND ts <= ? ORDER BY seq');
  return {
    keys: (p) => keys.all(p.to) as ReportKeyRow[],
    rotationJobs: (p) =>
      (jobs.all(p.fromMs, p.toMs) as Array<Omit<ReportJobRow, 'dueAt'> & { dueAt: number | bigint; lateMs: number | bigint | null; finishedAt: number | bigint | null }>).map((r) => ({
        ...r,
        dueAt: Number(r.dueAt),
        lateMs: num(r.lateMs),
        finishedAt: num(r.finishedAt),
      })),
    currentUsage: (p) => (usage.all(p.to) as Array<Omit<ReportUsageRow, 'reserved'> & { reserved: number | bigint }>).map((r) => ({ ...r, reserved: Number(r.reserved) })),
    certificates(p, expiringDays) {
      const horizon = new Date(p.toMs + expiringDays * 86_400_000).toISOString();
      return {
        issued: issued.all(p.from, p.to) as ReportCertRow[],
        revoked: revoked.all(p.from, p.to) as ReportCertRow[],
        expiring: expiring.all(p.to, p.to, horizon, p.to) as ReportCertRow[],
      };
    },
    operators: () => operators.all() as ReportOperatorRow[],
    auditRecords(p, actions, prefixes) {
      const where = [...actions.map(() => 'action = ?'), ...prefixes.map(() => 'action LIKE ?')];
      if (where.length === 0) return [];
      // Prefixes are dotted action names (letters, digits, . and _): `_` is escaped so it matches itself.
      const likes = prefixes.map((x) => `${x.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      const sql = `SELECT seq, ts, actor, action, target_id AS targetId, outcome, details FROM audit_records
                    WHERE ts >= ? AND ts <= ? AND (${where.map((w) => (w.includes('LIKE') ? `${w} ESCAPE '\\'` : w)).join(' OR ')}) ORDER BY seq`;
      return db.prepare(sql).all(p.from, p.to, ...actions, ...likes) as ReportAuditRow[];
    },
    approvalRequests(p) {
      const votes = new Map<string, string[]>();
      for (const v of approvalVotes.all(p.from, p.to, p.from, p.to) as Array<{ requestId: string; approver: string }>) votes.set(v.requestId, [...(votes.get(v.requestId) ?? []), v.approver]);
      return (approvalRequests.all(p.from, p.to, p.from, p.to) as Array<Omit<ReportApprovalRequestRow, 'approvers'>>).map((r) => ({ ...r, approvers: votes.get(r.id) ?? [] }));
    },
    historyRecords: () => history.iterate(...HISTORY_ACTIONS) as IterableIterator<ReportAuditRow>,
    auditWithin: (p) => ({ records: Number(recordCount.get(p.from, p.to)), checkpoints: checkpoints.all(p.from, p.to) as ReportCheckpointRow[] }),
  };
}
