// Gathers the compliance report's figures for a period from the store (reportRepo) and the audit log, as sections of
// summary figures, tables and notes that the PDF and the CSV renderers print alike. Definitions (docs/compliance-report.md):
// - rotation: the scheduler's jobs due within the period. On time: done less than OVERDUE_AFTER_MS (1 h) after its due
//   time. Late: done 1 h or more after it. Overdue: not done and due 1 h or more before the period's end (or now, if
//   earlier). Superseded jobs (the version was replaced another way) and jobs not yet overdue are counted apart and
//   left out of the on-time percentage, which is on time / (on time + late + overdue).
// - certificates: issued within the period, revoked within it, and expiring: valid at the period's end (not revoked
//   by then) with an expiry within EXPIRING_DAYS after it.
// - audit actions: the records dated within the period (both ends included).
import { OVERDUE_AFTER_MS } from '../../../shared/rotationContract.ts';
import type { AuditVerification } from '../../../shared/contract.ts';
import type { ReportApprovalRequestRow, ReportAuditRow, ReportPeriod, ReportRepo } from '../../store/reportRepo.ts';
import { CONTROL_MAP, type ControlMapping, REPORT_SECTIONS, type ReportSectionId, SECTION_TITLES } from './controls.ts';
import { FROM_NOW, periodEnd, type PeriodEnd } from './reportHistory.ts';

export const EXPIRING_DAYS = 30;

export interface ReportTable {
  id: string;
  title: string;
  columns: string[];
  rows: string[][];
}

export interface ReportSection {
  id: ReportSectionId;
  title: string;
  summary: Array<[string, string]>;
  tables: ReportTable[];
  notes: string[];
  controls: readonly ControlMapping[];
}

export interface ReportData {
  period: ReportPeriod;
  generatedAt: string;
  generatedBy: string;
  storeId: string;
  keyFingerprint: string;
  sections: ReportSection[];
}

export interface ReportSources {
  repo: ReportRepo;
  /** The effective rotation policy of a key (null: unknown key). */
  policyOf(keyId: string): { mode: string; periodSeconds: number | null; usageLimit: number } | null;
  /** A verdict over the whole chain (the audit log's verify). */
  verification: AuditVerification;
}

const n = (v: number) => String(v);
const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString());
const hours = (ms: number | null) => (ms === null ? '' : (ms / 3_600_000).toFixed(1));
const percent = (part: number, whole: number) => (whole === 0 ? 'n/a' : `${((100 * part) / whole).toFixed(1)}%`);

function parseDetails(r: ReportAuditRow): Record<string, unknown> {
  try {
    const d: unknown = JSON.parse(r.details);
    return typeof d === 'object' && d !== null ? (d as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function countBy<T>(items: readonly T[], keyOf: (t: T) => string[]): string[][] {
  const counts = new Map<string, { key: string[]; count: number }>();
  for (const item of items) {
    const key = keyOf(item);
    const id = JSON.stringify(key);
    const entry = counts.get(id) ?? { key, count: 0 };
    entry.count++;
    counts.set(id, entry);
  }
  return [...counts.values()].sort((a, b) => b.count - a.count || a.key.join().localeCompare(b.key.join())).map((e) => [...e.key, n(e.count)]);
}

/** Under each section the period's end is reconstructed for: what it is read from, and what is not. */
export const INVENTORY_NOTE =
  'Key states are those at the period\'s end, reconstructed from the audit log (key.create and every key.state change, with its time): ' +
  'keys created after the period and keys destroyed before it began are left out. A key no audit record speaks for (made before key ' +
  `changes were audited) shows its state now, marked "${FROM_NOW}" in the From column. Versions and providers are those at the period's end too (the first new version after it, ` +
  'key.rotate, key.migrate or an adopted provider version, gives the version and the provider the key had).';
export const OPERATORS_NOTE =
  'Operators and roles are those at the period\'s end, reconstructed from the audit log (operator.add, .remove, .set_role, with time and actor): ' +
  'the changes made since are undone, so an operator added since is left out and one removed since is listed with the role they held. ' +
  `An operator no audit record speaks for (added before operator changes were audited) shows their role now, marked "${FROM_NOW}" in the From column. ` +
  'A change\'s Approval is the two-person request it ran under, with its approvers, or the waiver when no one else could approve it.';

function inventory(end: PeriodEnd): Omit<ReportSection, 'id' | 'title' | 'controls'> {
  const keys = end.keys;
  const byState = countBy(keys, (k) => [k.state]);
  const byProvider = countBy(keys, (k) => [k.provider]);
  return {
    summary: [['Keys', n(keys.length)], ...byState.map(([s, c]) => [`Keys ${s}`, c] as [string, string]), ...byProvider.map(([pr, c]) => [`Keys on provider ${pr}`, c] as [string, string])],
    tables: [
      {
        id: 'keys',
        title: 'Keys at the period\'s end',
        columns: ['Key id', 'Label', 'Type', 'Algorithm', 'State', 'Provider', 'Version', 'From'],
        rows: keys.map((k) => [k.id, k.label, k.type, k.algorithm, k.state, k.provider, n(k.currentVersion), k.from]),
      },
    ],
    notes: [INVENTORY_NOTE],
  };
}

/** A key's policy in words: "every 24 h", "manual". */
function policyWords(p: ReturnType<ReportSources['policyOf']>): string {
  if (!p) return '';
  return p.mode === 'scheduled' && p.periodSeconds !== null ? `every ${Number((p.periodSeconds / 3600).toFixed(2))} h` : p.mode;
}

function rotation(src: ReportSources, p: ReportPeriod, now: number): Omit<ReportSection, 'id' | 'title' | 'controls'> {
  const jobs = src.repo.rotationJobs(p);
  const horizon = Math.min(p.toMs, now);
  const verdict = (j: (typeof jobs)[number]): string => {
    if (j.state === 'done') return (j.lateMs ?? 0) < OVERDUE_AFTER_MS ? 'on time' : 'late';
    if (j.state === 'superseded') return 'superseded';
    return j.dueAt + OVERDUE_AFTER_MS <= horizon ? 'overdue' : 'not yet overdue';
  };
  const rows = jobs.map((j) => {
    const late = j.state === 'done' ? j.lateMs : Math.max(0, horizon - j.dueAt);
    return [j.keyId, policyWords(src.policyOf(j.keyId)), n(j.fromVersion), j.reason, iso(j.dueAt), j.state, hours(late), verdict(j)];
  });
  const count = (v: string) => rows.filter((r) => r[7] === v).length;
  const onTime = count('on time');
  const late = count('late');
  const overdue = count('overdue');
  return {
    summary: [
      ['Rotations due', n(jobs.length)],
      ['On time', n(onTime)],
      ['Late', n(late)],
      ['Overdue', n(overdue)],
      ['Superseded', n(count('superseded'))],
      ['Not yet overdue', n(count('not yet overdue'))],
      ['On-time rate', percent(onTime, onTime + late + overdue)],
    ],
    tables: [{ id: 'jobs', title: 'Rotations due in the period', columns: ['Key id', 'Policy now', 'From version', 'Reason', 'Due', 'State', 'Late (h)', 'Verdict'], rows }],
    notes: ['A rotation is late or overdue from one hour after its due time (the console\'s overdue alert threshold).'],
  };
}

function usage(src: ReportSources, p: ReportPeriod): Omit<ReportSection, 'id' | 'title' | 'controls'> {
  const rows = src.repo.currentUsage(p).map((u) => {
    const limit = src.policyOf(u.keyId)?.usageLimit ?? null;
    return [u.keyId, n(u.version), n(u.reserved), limit === null ? '' : n(limit), limit === null ? '' : percent(u.reserved, limit), u.limitReachedAt ?? ''];
  });
  const warned = rows.filter((r) => r[3] !== '' && Number(r[2]) >= 0.8 * Number(r[3])).length;
  const reached = rows.filter((r) => r[3] !== '' && Number(r[2]) >= Number(r[3])).length;
  return {
    summary: [['Key versions with usage', n(rows.length)], ['At 80% of their limit or more', n(warned)], ['At their limit', n(reached)]],
    tables: [{ id: 'usage', title: 'Current versions: uses against the limit', columns: ['Key id', 'Version', 'Used', 'Limit', 'Share', 'Limit reached'], rows }],
    notes: ['Used is the durable count of encryptions reserved for the version (never below the true count).'],
  };
}

function certificates(src: ReportSources, p: ReportPeriod): Omit<ReportSection, 'id' | 'title' | 'controls'> {
  const c = src.repo.certificates(p, EXPIRING_DAYS);
  const cols = ['Serial', 'Robot', 'Issued', 'Expires', 'Revoked', 'Reason'];
  const rowsOf = (list: typeof c.issued) => list.map((x) => [x.serial, x.deviceId, x.issuedAt, x.notAfter, x.revokedAt ?? '', x.revocationReason ?? '']);
  return {
    summary: [['Certificates issued', n(c.issued.length)], ['Certificates revoked', n(c.revoked.length)], [`Expiring within ${EXPIRING_DAYS} days after the period`, n(c.expiring.length)]],
    tables: [
      { id: 'issued', title: 'Issued', columns: cols, rows: rowsOf(c.issued) },
      { id: 'revoked', title: 'Revoked', columns: cols, rows: rowsOf(c.revoked) },
      { id: 'expiring', title: 'Expiring', columns: cols, rows: rowsOf(c.expiring) },
    ],
    notes: [],
  };
}

// ca.revoke.batch: an emergency run's or a CA revocation's certificates, one record per batch of up to 1,000 serials (docs/audit-log.md).
// robot.status.batch: an emergency run's quarantine, one record per batch of up to 1,000 robots.
const INCIDENT_ACTIONS = ['key.state', 'ca.revoke', 'ca.revoke.batch', 'robot.status', 'robot.status.batch', 'lockdown.order'] as const;

/** A batch record's serials as the report names them: how many, the CRL, the first and the last. */
/** The items a batch record's list detail names. */
const listed = (d: Record<string, unknown>, name: 'serialList' | 'deviceList'): string[] => String(d[name] ?? '').split(' ').filter(Boolean);
const batchSerials = (d: Record<string, unknown>): string[] => listed(d, 'serialList');

function batchWhat(d: Record<string, unknown>): string {
  const serials = batchSerials(d);
  const range = serials.length > 1 ? `${serials[0]} … ${serials.at(-1)}` : (serials[0] ?? '');
  return `${serials.length} serials (CRL ${String(d.crlNumber ?? '')}): ${range}`;
}

function incidents(src: ReportSources, p: ReportPeriod): Omit<ReportSection, 'id' | 'title' | 'controls'> {
  const records = src.repo.auditRecords(p, INCIDENT_ACTIONS, []).filter((r) => {
    const d = parseDetails(r);
    if (r.action === 'key.state') return d.to === 'compromised' || d.to === 'destroyed';
    if (r.action === 'robot.status') return d.to === 'revoked' || d.to === 'quarantined';
    return true;
  });
  const what = (r: ReportAuditRow) => {
    const d = parseDetails(r);
    if (r.action === 'key.state' || r.action === 'robot.status') return `to ${String(d.to)}`;
    if (r.action === 'ca.revoke') return `serial ${String(d.serial ?? '')}`;
    if (r.action === 'robot.status.batch') return `${listed(d, 'deviceList').length} robots to ${String(d.to)}`;
    return r.action === 'ca.revoke.batch' ? batchWhat(d) : String(d.kind ?? '');
  };
  const ok = (a: string) => records.filter((r) => r.outcome === 'success' && r.action === a);
  // Each certificate once: a ca.revoke record names one, a batch record the serials of its serialList.
  const revocations = ok('ca.revoke').length + ok('ca.revoke.batch').reduce((sum, r) => sum + batchSerials(parseDetails(r)).length, 0);
  return {
    summary: [
      ['Keys marked compromised', n(ok('key.state').filter((r) => parseDetails(r).to === 'compromised').length)],
      ['Keys destroyed', n(ok('key.state').filter((r) => parseDetails(r).to === 'destroyed').length)],
      ['Certificate revocations', n(revocations)],
      ['Robots revoked or quarantined', n(ok('robot.status').length + ok('robot.status.batch').reduce((sum, r) => sum + listed(parseDetails(r), 'deviceList').length, 0))],
      ['Lockdown orders', n(ok('lockdown.order').length)],
      ['Failed attempts', n(records.filter((r) => r.outcome === 'failure').length)],
    ],
    tables: [{ id: 'actions', title: 'Actions', columns: ['Seq', 'Time', 'Actor', 'Action', 'Target', 'What', 'Outcome'], rows: records.map((r) => [n(r.seq), r.ts, r.actor, r.action, r.targetId ?? '', what(r), r.outcome]) }],
    notes: [],
  };
}

function operators(src: ReportSources, p: ReportPeriod, end: PeriodEnd): Omit<ReportSection, 'id' | 'title' | 'controls'> {
  const ops = end.operators;
  const changes = end.changes;
  const approvals = src.repo.auditRecords(p, [], ['approval.']);
  const requests = src.repo.approvalRequests(p);
  // Executed: when it ran; expired: its expiry; denied: the denial's record (the request row keeps no time of it).
  const denials = new Map(approvals.filter((r) => r.action === 'approval.deny' && r.outcome === 'success').map((r) => [r.targetId, r.ts]));
  const closedAt = (r: ReportApprovalRequestRow) =>
    r.state === 'executed' ? (r.executedAt ?? '') : r.state === 'expired' ? r.expiresAt : r.state === 'denied' ? (denials.get(r.id) ?? '') : '';
  const notes = [
    OPERATORS_NOTE,
    ...(approvals.length === 0 ? ['No approvals recorded in the period (no approval.* audit records: no guarded action was requested, approved, waived or executed).'] : []),
  ];
  return {
    summary: [
      ['Operators', n(ops.length)],
      ...countBy(ops, (o) => [o.role]).map(([r, c]) => [`Role ${r}`, c] as [string, string]),
      ['Operator changes in the period', n(changes.length)],
      ['Approval records', n(approvals.length)],
    ],
    tables: [
      { id: 'operators', title: 'Operators and roles at the period\'s end', columns: ['Operator', 'Role', 'Created', 'Created by', 'From'], rows: ops.map((o) => [o.name, o.role, o.createdAt, o.createdBy, o.from]) },
      {
        id: 'changes',
        title: 'Operator changes in the period',
        columns: ['Seq', 'Time', 'Actor', 'Action', 'Operator', 'Change', 'Outcome', 'Approval (request, approvers)'],
        rows: changes.map((r) => [n(r.seq), r.ts, r.actor, r.action, r.operator, r.change, r.outcome, r.approval]),
      },
      { id: 'approvals', title: 'Two-person approvals', columns: ['Action', 'Outcome', 'Count'], rows: countBy(approvals, (r) => [r.action, r.outcome]) },
      {
        id: 'approval-requests',
        title: 'Approval requests with any approval record in the period (state now)',
        columns: ['Request', 'Action', 'Requester', 'Approvers', 'Outcome', 'Requested', 'Closed', 'Closed by'],
        rows: requests.map((r) => [r.id, r.action, r.requester, r.approvers.join(' ') || '-', r.state, r.createdAt, closedAt(r), r.executedBy ?? r.decidedBy ?? '']),
      },
    ],
    notes,
  };
}

function access(src: ReportSources, p: ReportPeriod): Omit<ReportSection, 'id' | 'title' | 'controls'> {
  const denied = src.repo.auditRecords(p, ['access.denied'], []);
  const unlocks = src.repo.auditRecords(p, ['session.unlock'], []).filter((r) => r.outcome === 'failure');
  return {
    summary: [['Denied calls', n(denied.length)], ['Failed sign-ins', n(unlocks.length)]],
    tables: [
      { id: 'denied', title: 'Denied calls by operator and channel', columns: ['Operator', 'Role', 'Channel', 'Count'], rows: countBy(denied, (r) => [r.actor, String(parseDetails(r).role ?? ''), r.targetId ?? '']) },
      { id: 'signins', title: 'Failed sign-ins by operator name and reason', columns: ['Operator', 'Reason', 'Count'], rows: countBy(unlocks, (r) => [r.actor, String(parseDetails(r).code ?? '')]) },
    ],
    notes: [],
  };
}

function auditSection(src: ReportSources, p: ReportPeriod): Omit<ReportSection, 'id' | 'title' | 'controls'> {
  const v = src.verification;
  const within = src.repo.auditWithin(p);
  return {
    summary: [
      ['Chain verified', v.ok ? 'yes' : 'NO'],
      ['Records checked (whole log)', n(v.checkedRecords)],
      ['Checkpoints checked (whole log)', n(v.checkpoints)],
      ['Latest checkpoint at record', v.lastCheckpointSeq === null ? 'none' : n(v.lastCheckpointSeq)],
      ['First failure', v.firstBad ? `record ${v.firstBad.seq}: ${v.firstBad.reason}` : 'none'],
      ['Records in the period', n(within.records)],
      ['Checkpoints signed in the period', n(within.checkpoints.length)],
    ],
    tables: [{ id: 'checkpoints', title: 'Checkpoint heads signed in the period', columns: ['Record', 'Signed', 'Head (SHA-256)'], rows: within.checkpoints.map((c) => [n(c.seq), c.ts, c.head]) }],
    notes: ['The whole chain is verified when the report is generated, against the audit key authenticated at sign-in.'],
  };
}

export function collectReport(src: ReportSources, meta: Omit<ReportData, 'sections'>, now: number): ReportData {
  const p = meta.period;
  // One stream over the audit records the period's end is rebuilt from (key states, operators, their changes).
  const end = periodEnd(src.repo.historyRecords(), p, { operators: src.repo.operators(), keys: src.repo.keys(p) });
  const build: Record<ReportSectionId, () => Omit<ReportSection, 'id' | 'title' | 'controls'>> = {
    inventory: () => inventory(end),
    rotation: () => rotation(src, p, now),
    usage: () => usage(src, p),
    certificates: () => certificates(src, p),
    incidents: () => incidents(src, p),
    operators: () => operators(src, p, end),
    access: () => access(src, p),
    audit: () => auditSection(src, p),
  };
  return { ...meta, sections: REPORT_SECTIONS.map((id) => ({ id, title: SECTION_TITLES[id], controls: CONTROL_MAP[id], ...build[id]() })) };
}
