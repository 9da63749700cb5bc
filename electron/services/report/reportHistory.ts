// The compliance report's view of the period's end (issue 14, docs/compliance-report.md "As at the period's end"): the
// operators and their roles, and each key's state, as they were at the end of the period, reconstructed from the
// audit log, which records every operator change and every key state change with its actor and time (the operators
// table keeps no history; a key row holds its state now). One pass over the records reportRepo.historyRecords()
// streams (oldest first):
// - keys: the first effective key.state change after the end gives the state the key left then (its `from`); without
//   one, the last change by the end (its `to`); without one, the state its key.create record gave it. A key.state
//   record is effective when it changed the state: a success, or a failure with code `incomplete` (the state changed
//   and a provider location was not reached, keyStateChange.ts), from one state to another (not a retry).
// - key versions and providers: the first new version after the end (key.rotate, key.migrate, an adopted provider
//   version: rotation.drift_detected) gives the version the key was at then, and a key.migrate its provider then;
//   without one, the values now (every change of them is audited).
// - operators: the operators now, with every change after the end undone, newest first: an operator added (or
//   migrated) since is taken out, one removed since is put back with the role its operator.remove record names, a role
//   changed since goes back to the role its operator.set_role record left.
// - a key or an operator no record speaks for (made before those actions were audited: an older store) keeps its value
//   now, marked FROM_NOW; the operators table's and the keys table's creation times still leave out what came later.
// - the period's operator changes, each with how it was allowed: the two-person request whose approval.execute record
//   is the next of these records after it (the change runs inside the execution, which is recorded right after), or
//   the approval.waived record of its channel just before it (nobody else could approve), or '-'.
import type { ReportAuditRow, ReportKeyRow, ReportOperatorRow, ReportPeriod } from '../../store/reportRepo.ts';

/** The "From" column: the value was read from the audit log, or (no record speaks for it) is the value now. */
export const FROM_AUDIT = 'audit';
export const FROM_NOW = 'now, unaudited';
/** The role of an operator removed after the period whose removal record does not name it. */
export const NOT_RECORDED = 'not recorded';

export interface OperatorAtEnd extends ReportOperatorRow {
  from: typeof FROM_AUDIT | typeof FROM_NOW;
}

export interface KeyAtEnd extends ReportKeyRow {
  from: typeof FROM_AUDIT | typeof FROM_NOW;
}

export interface OperatorChange {
  seq: number;
  ts: string;
  actor: string;
  action: string;
  operator: string;
  change: string;
  outcome: string;
  approval: string;
  /** The request the change's own record names (approvalRequestId), when it names one. */
  requestId?: string;
}

export interface PeriodEnd {
  operators: OperatorAtEnd[];
  keys: KeyAtEnd[];
  changes: OperatorChange[];
}

export const OPERATOR_CHANGE_ACTIONS = ['operator.add', 'operator.remove', 'operator.set_role'] as const;
const CHANNEL_OF: Record<string, string> = { 'operator.add': 'operators:add', 'operator.remove': 'operators:remove', 'operator.set_role': 'operators:setRole' };

interface Parsed extends ReportAuditRow {
  d: Record<string, unknown>;
}

function parse(r: ReportAuditRow): Parsed {
  let d: unknown;
  try {
    d = JSON.parse(r.details);
  } catch {
    d = null;
  }
  return { ...r, seq: Number(r.seq), d: typeof d === 'object' && d !== null ? (d as Record<string, unknown>) : {} };
}

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
/** Binary order, as SQLite's ORDER BY name. */
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Who a record names as the operator it concerns, and the role it gives them (null: none). */
function operatorOf(r: Parsed): { name: string; role: string | null; creates: boolean } | null {
  if (r.outcome !== 'success') return null;
  switch (r.action) {
    case 'operator.add':
    case 'operator.migrated':
      return r.targetId ? { name: r.targetId, role: text(r.d.role), creates: true } : null;
    case 'store.init':
      return { name: r.actor, role: text(r.d.role) ?? 'admin', creates: true };
    case 'operator.set_role':
      return r.targetId ? { name: r.targetId, role: text(r.d.to), creates: false } : null;
    default:
      return null;
  }
}

function describe(r: Parsed): string {
  if (r.outcome !== 'success') return `refused: ${text(r.d.code) ?? 'unknown'}`;
  if (r.action === 'operator.add') return `added as ${text(r.d.role) ?? '?'}`;
  if (r.action === 'operator.remove') return text(r.d.role) ? `removed (was ${String(r.d.role)})` : 'removed';
  return `${text(r.d.from) ?? '?'} -> ${text(r.d.to) ?? '?'}`;
}

export function periodEnd(records: Iterable<ReportAuditRow>, p: ReportPeriod, now: { operators: readonly ReportOperatorRow[]; keys: readonly ReportKeyRow[] }): PeriodEnd {
  const inPeriod = (ts: string) => ts >= p.from && ts <= p.to;
  const operatorRecords: Parsed[] = [];
  const keyStates = new Map<string, { firstAfter?: string; lastBy?: { to: string; ts: string } }>();
  const created = new Map<string, string>();
  const versions = new Map<string, number>();
  const providers = new Map<string, string>();
  const changes: OperatorChange[] = [];
  const waived = new Map<string, string>();
  let awaiting: OperatorChange | null = null;
  const byRequest = new Map<string, OperatorChange>();

  for (const raw of records) {
    const r = parse(raw);
    const follows = awaiting;
    awaiting = null;
    switch (r.action) {
      case 'key.state': {
        const from = text(r.d.from);
        const to = text(r.d.to);
        const changed = (r.outcome === 'success' || r.d.code === 'incomplete') && r.d.retry !== true && from !== null && to !== null && from !== to;
        if (!changed || !r.targetId) break;
        const k = keyStates.get(r.targetId) ?? {};
        if (r.ts > p.to) k.firstAfter ??= from;
        else k.lastBy = { to, ts: r.ts };
        keyStates.set(r.targetId, k);
        break;
      }
      case 'key.rotate':
      case 'key.migrate':
      case 'rotation.drift_detected': {
        // A new version (and, moved to a provider, a new holder): the first after the end says what the key had then.
        if (r.outcome !== 'success' || !r.targetId || r.ts <= p.to) break;
        const version = r.action === 'rotation.drift_detected' ? Number(r.d.fromVersion) : Number(r.d.version) - 1;
        if (!versions.has(r.targetId) && Number.isInteger(version) && version > 0) versions.set(r.targetId, version);
        const provider = r.action === 'key.migrate' ? text(r.d.fromProvider) : null;
        if (!providers.has(r.targetId) && provider !== null) providers.set(r.targetId, provider);
        break;
      }
      case 'key.create': {
        const state = text(r.d.state);
        if (r.outcome === 'success' && r.targetId && state && r.ts <= p.to) created.set(r.targetId, state);
        break;
      }
      case 'approval.waived':
        if (r.outcome === 'success') waived.set(String(r.d.channel ?? ''), r.ts);
        break;
      case 'approval.execute': {
        const approvers = text(r.d.approvals);
        if (r.outcome !== 'success') break;
        // Since 2026-12-06 a change's record names its request (approvalRequestId); older ones are tied by order.
        const named = r.targetId ? byRequest.get(r.targetId) : undefined;
        const change = named ?? (follows && follows.requestId === undefined && r.d.channel === CHANNEL_OF[follows.action] ? follows : undefined);
        if (change) change.approval = `${r.targetId ?? '?'} (${approvers ?? 'no approvers'})`;
        break;
      }
      default: {
        if (r.outcome === 'success') operatorRecords.push(r);
        if (!(OPERATOR_CHANGE_ACTIONS as readonly string[]).includes(r.action)) break;
        const channel = CHANNEL_OF[r.action]!;
        const wasWaived = r.outcome === 'success' && waived.has(channel);
        if (r.outcome === 'success') waived.delete(channel);
        if (!inPeriod(r.ts)) break;
        const change: OperatorChange = {
          seq: r.seq, ts: r.ts, actor: r.actor, action: r.action, operator: r.targetId ?? '', change: describe(r), outcome: r.outcome, approval: wasWaived ? 'waived (no other approver)' : 'none',
        };
        const requestId = text(r.d.approvalRequestId);
        if (requestId !== null) {
          change.requestId = requestId;
          byRequest.set(requestId, change);
        }
        changes.push(change);
        if (r.outcome === 'success') awaiting = change;
      }
    }
  }

  // Operators: now, with every change after the end undone, newest first.
  const ops = new Map<string, OperatorAtEnd>(now.operators.map((o) => [o.name, { ...o, from: FROM_NOW }]));
  const after = operatorRecords.filter((r) => r.ts > p.to).reverse();
  const restored = new Set<string>();
  for (const r of after) {
    const name = r.action === 'store.init' ? r.actor : r.targetId;
    if (!name) continue;
    if (r.action === 'operator.add' || r.action === 'operator.migrated' || r.action === 'store.init') ops.delete(name);
    else if (r.action === 'operator.remove') {
      const role = text(r.d.role);
      ops.set(name, { name, role: role ?? NOT_RECORDED, createdAt: '', createdBy: '', from: FROM_AUDIT });
      restored.add(name);
    } else if (r.action === 'operator.set_role') {
      const o = ops.get(name);
      const previous = text(r.d.from);
      if (o && previous) Object.assign(o, { role: previous, from: FROM_AUDIT });
    }
  }
  const by = operatorRecords.filter((r) => r.ts <= p.to);
  for (const o of ops.values()) {
    const own = by.map(operatorOf).filter((x) => x !== null && x.name === o.name);
    if (own.some((x) => x!.role !== null)) o.from = FROM_AUDIT;
    if (restored.has(o.name)) {
      // Put back by a removal after the end: when and by whom the last creation by the end made them.
      const made = by.filter((r) => operatorOf(r)?.creates && operatorOf(r)?.name === o.name).at(-1);
      if (made) Object.assign(o, { createdAt: made.ts, createdBy: made.actor });
    }
  }
  const operators = [...ops.values()].filter((o) => o.createdAt === '' || o.createdAt <= p.to).sort((a, b) => byName(a.name, b.name));

  // Keys: created by the end (the repository's rows), in their state at the end; destroyed before the period: left out.
  const keys: KeyAtEnd[] = [];
  for (const k of now.keys) {
    const h = keyStates.get(k.id);
    const atEnd: KeyAtEnd = h?.firstAfter
      ? { ...k, state: h.firstAfter, from: FROM_AUDIT }
      : h?.lastBy
        ? { ...k, state: h.lastBy.to, from: FROM_AUDIT }
        : created.has(k.id)
          ? { ...k, state: created.get(k.id)!, from: FROM_AUDIT }
          : { ...k, from: FROM_NOW };
    atEnd.currentVersion = versions.get(k.id) ?? atEnd.currentVersion;
    atEnd.provider = providers.get(k.id) ?? atEnd.provider;
    const destroyedAt = atEnd.state === 'destroyed' && h?.lastBy?.to === 'destroyed' ? h.lastBy.ts : null;
    if (destroyedAt !== null && destroyedAt < p.from) continue;
    keys.push(atEnd);
  }
  return { operators, keys, changes };
}
