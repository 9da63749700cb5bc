// Human-readable output of the CLI (the --json form prints the raw values instead).
import type { KeyStateChange, KeySummary } from '../../../shared/contract.ts';
import type { ApprovalKeyView, ApprovalPolicyView, ApprovalRequestView, RevokedApprovalKeyView } from '../../../shared/approvalsContract.ts';
import type { z } from 'zod';
import type { OperatorInfo, Pkcs11SlotList, TotpEnrolment } from '../../../shared/operatorsContract.ts';
import {
  ASSIGNABLE_KEY_TYPES,
  type EffectiveKey,
  type KeyAssignment,
  type KeyHolder,
  type KeyUsage,
  type RobotKeyAssignments,
  type SiteKeyAssignments,
} from '../../../shared/fleetContract.ts';

/** Rows as aligned columns (two spaces apart, no trailing blanks); the first row is the header. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export function formatKey(k: KeySummary): string {
  return `${k.id} "${k.label}" (${k.type}, ${k.algorithm}, ${k.state}, v${k.currentVersion})`;
}

/** keys state: the key, then each copy of it that was not reached and how to retry. */
export function formatStateChange(c: KeyStateChange): string {
  const lines = [`state changed: ${formatKey(c)}`];
  for (const u of c.unreached) lines.push(`not reached: ${u.provider} (${u.role}) ${u.action}: [${u.code}] ${u.message}`);
  if (!c.complete) lines.push(`incomplete: run the same command again to retry the ${c.unreached.length === 1 ? 'location' : 'locations'} above`);
  return lines.join('\n');
}

export function formatKeyTable(keys: readonly KeySummary[]): string {
  if (keys.length === 0) return 'no keys';
  return formatTable([
    ['ID', 'LABEL', 'TYPE', 'ALGORITHM', 'STATE', 'VERSION', 'NEXT ROTATION'],
    ...keys.map((k) => [k.id, k.label, k.type, k.algorithm, k.state, `v${k.currentVersion}`, k.nextRotationAt ?? '-']),
  ]);
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
const scopeName = (scope: KeyAssignment['scope'], scopeId: string) => `${scope} ${scopeId}`;

/** `"label" (id) v2`, as far as it is known. */
function keyRef(label: string | null, id: string, version: number | null): string {
  return `${label === null ? '' : `"${label}" `}(${id})${version === null ? '' : ` v${version}`}`;
}

function sourceText(e: EffectiveKey, r: RobotKeyAssignments): string {
  switch (e.source) {
    case 'robot':
      return `assigned to robot ${r.deviceId}`;
    case 'site':
      return `assigned to site ${r.site}`;
    case 'newest':
      return 'newest unassigned key';
    case 'none':
      return 'none';
  }
}

/** A robot's effective key per type, where it comes from, and the error of a broken assignment. */
export function formatRobotAssignments(r: RobotKeyAssignments): string {
  const lines = [`robot ${r.deviceId} (site ${r.site})`];
  for (const e of r.effective) {
    const key = e.keyId === null ? 'no key' : keyRef(e.keyLabel, e.keyId, e.version);
    const broken = e.error !== null && (e.source === 'robot' || e.source === 'site');
    lines.push(`${e.keyType}: ${key}; source: ${sourceText(e, r)}${broken ? ' (broken assignment)' : ''}`);
    if (e.error !== null) lines.push(`  error [${e.errorCode ?? 'unknown'}]: ${e.error}`);
  }
  return lines.join('\n');
}

/** One stored assignment row: the key as it is now, who assigned it, and its problem when it cannot be delivered. */
function assignmentLine(a: KeyAssignment, withScope: boolean): string[] {
  const state = a.keyState === null ? '' : `, ${a.keyState}`;
  const head = `${withScope ? `${scopeName(a.scope, a.scopeId)}: ` : ''}${a.keyType}: ${keyRef(a.keyLabel, a.keyId, a.version)}${state}; assigned ${a.assignedAt} by ${a.assignedBy}`;
  return a.problem === null ? [head] : [head, `  problem: ${a.problem}`];
}

/** A site's assignment rows (one per assignable type, "not assigned" for the others) and its robot count. */
export function formatSiteAssignments(s: SiteKeyAssignments): string {
  const lines = [`site ${s.site}: ${plural(s.robots, 'robot', 'robots')}`];
  for (const t of ASSIGNABLE_KEY_TYPES) {
    const a = s.assignments.find((row) => row.keyType === t);
    lines.push(...(a ? assignmentLine(a, false) : [`${t}: not assigned`]));
  }
  return lines.join('\n');
}

/** What assign-key / unassign-key did, then the scope's assignments as they are now. */
export function formatScopeChange(
  change: 'assign' | 'unassign',
  keyType: string,
  s: { scope: KeyAssignment['scope']; scopeId: string; assignments: readonly KeyAssignment[] },
): string {
  const where = scopeName(s.scope, s.scopeId);
  const row = s.assignments.find((a) => a.keyType === keyType);
  const head = change === 'assign' && row
    ? `assigned the ${keyType} key ${keyRef(row.keyLabel, row.keyId, row.version)} to ${where}`
    : `cleared the ${keyType} key assignment of ${where}`;
  if (s.assignments.length === 0) return `${head}\n${where} has no key assignments`;
  return [head, `${where} assignments:`, ...s.assignments.flatMap((a) => assignmentLine(a, false).map((l) => `  ${l}`))].join('\n');
}

/** "N robots hold this key (v1: a, v2: b)", the holders listed, `more` not listed, then the assignments. */
export function formatKeyUsage(u: KeyUsage, holders: readonly KeyHolder[], filter: number | undefined): string {
  const counts = u.versions.map((v) => `v${v.version}: ${v.robots}`).join(', ');
  const lines = [
    `${u.robots} ${u.robots === 1 ? 'robot holds' : 'robots hold'} this key${counts ? ` (${counts})` : ''}; current version v${u.currentVersion}`,
  ];
  if (filter !== undefined) lines.push(`${plural(u.matching, 'robot holds', 'robots hold')} v${filter}`);
  if (holders.length > 0) {
    lines.push(formatTable([['DEVICE ID', 'VERSION', 'SITE', 'STATUS'], ...holders.map((h) => [h.deviceId, `v${h.version}`, h.site, h.status])]));
  }
  const more = u.matching - u.offset - holders.length;
  if (more > 0) lines.push(`... and ${plural(more, 'more holder', 'more holders')} (--all lists every one)`);
  if (u.assignments.length === 0) lines.push('assigned to no robot or site');
  else lines.push('assignments:', ...u.assignments.flatMap((a) => assignmentLine(a, true).map((l) => `  ${l}`)));
  return lines.join('\n');
}

/** rotation status: one summary line, then one line per planned rotation. */
export function formatRotationStatus(s: {
  paused: boolean; locked: boolean; waiting: number; deferredByWindow: number; nextDueAt: string | null; running: number;
  upcoming: Array<{ keyId: string; keyType: string; fromVersion: number; reason: string; dueAt: string; waitingFor: string | null }>;
}): string {
  const head = `scheduler ${s.paused ? 'paused' : 'running'}${s.locked ? ' (store locked)' : ''}: ${s.waiting} rotation(s) waiting (${s.deferredByWindow} for a window), next due ${s.nextDueAt ?? 'none'}`;
  const rows = s.upcoming.map((u) => `  ${u.dueAt}  ${u.keyId}  ${u.keyType} v${u.fromVersion}  ${u.reason}${u.waitingFor ? `  waiting: ${u.waitingFor}` : ''}`);
  return [head, ...rows].join('\n');
}

/** rotation run-due: what the pass did. */
export function formatRotationRuns(r: { ran: Array<{ keyId: string; fromVersion: number; toVersion: number | null; outcome: string; code: string | null; lateMs: number }>; status: { waiting: number } }): string {
  if (r.ran.length === 0) return `nothing due to run now (${r.status.waiting} waiting)`;
  return r.ran
    .map((x) => x.outcome === 'success'
      ? `rotated ${x.keyId} v${x.fromVersion} -> v${x.toVersion} (late by ${Math.round(x.lateMs / 1000)} s)`
      : `${x.outcome} ${x.keyId} v${x.fromVersion}${x.code ? ` [${x.code}]` : ''}`)
    .join('\n');
}

/** rotation jobs: one line per job. */
export function formatRotationJobs(jobs: Array<{ keyId: string; fromVersion: number; toVersion: number | null; reason: string; state: string; dueAt: string | null; lateMs: number | null; errorCode: string | null }>): string {
  if (jobs.length === 0) return 'no rotation jobs';
  return jobs
    .map((j) => `${j.dueAt}  ${j.keyId}  v${j.fromVersion}${j.toVersion ? ` -> v${j.toVersion}` : ''}  ${j.reason}  ${j.state}${j.lateMs !== null ? `  late ${Math.round(j.lateMs / 1000)} s` : ''}${j.errorCode ? `  [${j.errorCode}]` : ''}`)
    .join('\n');
}

/** A batch rotation job: one summary line, then the keys that did not simply rotate (failed, superseded, cancelled). */
export function formatBatch(b: {
  batchId: string; state: string; total: number; done: number; failed: number; superseded: number; cancelled: number; pending: number;
  selection: { kind: string; value: string | null }; createdAt: string;
  items?: Array<{ keyId: string; fromVersion: number; toVersion: number | null; state: string; attempts: number; errorCode: string | null; errorMessage: string | null }>;
}): string {
  const head = `${b.batchId}  ${b.createdAt}  ${b.selection.kind}${b.selection.value ? ` ${b.selection.value}` : ''}  ${b.state}  ` +
    `${b.done}/${b.total} done, ${b.failed} failed, ${b.superseded} superseded, ${b.cancelled} cancelled, ${b.pending} pending`;
  const odd = (b.items ?? []).filter((i) => i.state !== 'done');
  return [head, ...odd.map(formatBatchItem)].join('\n');
}

/** One key of a batch job: `  KEY  v1 -> v2  done  attempts 1  [code] message`. */
export function formatBatchItem(i: { keyId: string; fromVersion: number; toVersion: number | null; state: string; attempts: number; errorCode: string | null; errorMessage: string | null }): string {
  return `  ${i.keyId}  v${i.fromVersion}${i.toVersion ? ` -> v${i.toVersion}` : ''}  ${i.state}  attempts ${i.attempts}${i.errorCode ? `  [${i.errorCode}] ${i.errorMessage ?? ''}` : ''}`;
}

/** rotation rollout: one rollout per line, then its progress per wave and site. */
/** A rollout policy in force, on one line: where it comes from, then its fields. */
export function formatRolloutPolicy(
  v: { policy: { canaryRobots: string[]; canaryPercent: number; canarySites: string[]; maxFailureRatio: number; graceVersions: number; graceSeconds: number }; source: string },
  keyId?: string,
): string {
  const p = v.policy;
  const from = v.source === 'key' ? `key ${keyId ?? ''}'s own` : v.source === 'default' ? 'the default' : 'the built-in default';
  const robots = p.canaryRobots.length ? p.canaryRobots.join(',') : 'none';
  const sites = p.canarySites.length ? p.canarySites.join(',') : 'every site';
  return `rollout policy (${from}): canary ${p.canaryPercent} % of ${sites}, canary robots ${robots}, halt above ${p.maxFailureRatio} failed, grace ${p.graceVersions} version(s) for ${p.graceSeconds} s`;
}

const VERSION_STATES: Readonly<Record<string, string>> = { current: 'current', in_grace: 'in its grace', grace_ended: 'grace ended', retired: 'retired' };

/** One line per version: `v1  retired 2026-...Z by alice (forced: reason)  2 robots hold it`. */
export function formatVersionStatus(v: {
  version: number; state: string; holders: number; retiredAt: string | null; retiredBy: string | null; forced: boolean; reason: string | null; reinstatedUntil: string | null;
}): string {
  const retired = v.retiredAt ? ` ${v.retiredAt} by ${v.retiredBy ?? '?'}${v.forced ? ` (forced: ${v.reason ?? ''})` : ''}` : '';
  const reinstated = v.reinstatedUntil ? `, reinstated until ${v.reinstatedUntil}` : '';
  return `v${v.version}  ${VERSION_STATES[v.state] ?? v.state}${retired}${reinstated}  ${v.holders} robot${v.holders === 1 ? ' holds' : 's hold'} it`;
}

export function formatRollout(r: {
  rolloutId: string; keyId: string; fromVersion: number; toVersion: number; state: string; openWave: number; waves: number;
  robots: number; installed: number; failed: number; pending: number; haltReason: string | null;
  progress: Array<{ wave: number; site: string; robots: number; installed: number; failed: number; pending: number }>;
}): string {
  const head = `${r.rolloutId}  key ${r.keyId}  v${r.fromVersion} -> v${r.toVersion}  ${r.state}  wave ${r.openWave}/${r.waves} open  ` +
    `${r.installed}/${r.robots} installed, ${r.failed} failed, ${r.pending} pending${r.haltReason ? `  (${r.haltReason})` : ''}`;
  const waves = r.progress.map((p) => `  wave ${p.wave}${p.wave === 1 && r.waves > 1 ? ' (canary)' : ''}  ${p.site}: ${p.installed}/${p.robots} installed, ${p.failed} failed, ${p.pending} pending`);
  return [head, ...waves].join('\n');
}

/** rotation drift: versions found at the providers that the console did not make (adopted), and keys not checked. */
export function formatDrift(r: {
  checked: number;
  drift: Array<{ keyId: string; provider: string; providerVersion: number; providerVersionId: string; origin: string | null; adoptedAs: number; expected: boolean }>;
  errors: Array<{ keyId: string; code: string; message: string }>;
}): string {
  const head = `${r.checked} provider key(s) checked: ${r.drift.length} version(s) made outside the console${r.errors.length > 0 ? `, ${r.errors.length} key(s) not checked` : ''}`;
  const found = r.drift.map((d) => `  ${d.keyId}  ${d.provider} version ${d.providerVersion} (${d.providerVersionId}${d.origin ? `, ${d.origin}` : ''}) adopted as v${d.adoptedAs}${d.expected ? '' : '  UNEXPECTED'}`);
  const failed = r.errors.map((e) => `  ${e.keyId}  not checked [${e.code}] ${e.message}`);
  return [head, ...found, ...failed].join('\n');
}

/** One approval request on a line: id, state, action and what it binds, who asked, approvals so far, expiry. */
/**
 * One operator on a line: name, role, second factor, who added them and when, a running unlock throttle, and the
 * approval key enrolled now or else the one last revoked (when, by whom, the reason quoted as JSON: one line whatever
 * it holds).
 */
export function formatOperator(o: OperatorInfo): string {
  const wait = o.retryAfterMs > 0 ? `, unlock paused ${Math.ceil(o.retryAfterMs / 1000)} s after ${o.failedAttempts} wrong passphrases` : '';
  const last = o.lastSignInAt ? `last sign-in ${o.lastSignInAt}` : 'never signed in';
  const revoked = o.approvalKeyRevoked;
  const key = o.approvalKey
    ? `  approval key ${o.approvalKey.fingerprint.slice(0, 16)}…`
    : revoked
      ? `  approval key ${revoked.fingerprint.slice(0, 16)}… revoked ${revoked.revokedAt} by ${revoked.revokedBy}${revoked.reason === null ? '' : ` (${JSON.stringify(revoked.reason)})`}`
      : '';
  return `${o.name}  ${o.role}  second factor: ${o.secondFactor}  added ${o.createdAt} by ${o.createdBy}  ${last}${wait}${key}`;
}

export function formatApproval(r: ApprovalRequestView): string {
  const fields = Object.entries(r.summary).map(([k, v]) => `${k}=${v}`).join(' ');
  const who = r.approvals.map((a) => `${a.approver}${a.via === 'file' ? ' (file)' : ''}`).join(', ') || 'none';
  return `${r.id}  ${r.state}  ${r.action} (${r.channel} ${fields})  by ${r.requester}  approvals ${r.approvals.length}/${r.required}: ${who}  expires ${r.expiresAt}`;
}

/** One approval policy: the action, M, who may approve (roles, then named operators), a request's life, who changed it. */
export function formatApprovalPolicy(p: ApprovalPolicyView): string {
  const eligible = [...p.roles, ...p.operators.map((n) => `"${n}"`)].join(',') || 'none';
  const changed = p.updatedAt === null ? 'default' : `set ${p.updatedAt} by ${p.updatedBy ?? '?'}`;
  return `${p.action}  approvals ${p.approvals}  eligible ${eligible}  requests live ${p.ttlSeconds} s  (${changed})`;
}

/**
 * approvals revoked-keys: one row per revoked key, newest revocation first, with why: the admin's reason for a
 * removed key, "replaced" for one its operator replaced by enrolling another.
 */
export function formatRevokedApprovalKeys(keys: readonly RevokedApprovalKeyView[]): string {
  if (keys.length === 0) return 'no approval key has been revoked';
  const why = (k: RevokedApprovalKeyView) => (k.why === 'replaced' ? 'replaced by a new key' : `removed: ${k.reason ?? '-'}`);
  return formatTable([['OPERATOR', 'FINGERPRINT (SHA-256)', 'REVOKED AT', 'BY', 'REASON'], ...keys.map((k) => [k.operator, k.fingerprint, k.revokedAt, k.revokedBy, why(k)])]);
}

/**
 * approvals keys: one row per approval key enrolled now, newest enrolment first; a key left by a removed operator
 * (counting for no one) says so after the name, for an admin to revoke it (approvals revoke-key NAME).
 */
export function formatApprovalKeys(keys: readonly ApprovalKeyView[]): string {
  if (keys.length === 0) return 'no approval key is enrolled';
  const who = (k: ApprovalKeyView) => (k.operatorRemoved ? `${k.operator} (operator removed)` : k.operator);
  return formatTable([['OPERATOR', 'FINGERPRINT (SHA-256)', 'ENROLLED AT'], ...keys.map((k) => [who(k), k.fingerprint, k.enrolledAt])]);
}

/** Recovery codes shown this once: a heading that says what they are, then one code a line. */
export function formatRecoveryCodes(head: string, codes: readonly string[]): string {
  return [`${head} (each works once; keep them offline):`, ...codes].join('\n');
}

/** operators totp enrol: the URI for a QR code or a copy, and the secret for typing in, then what to do next. */
export function formatTotpEnrolment(e: TotpEnrolment): string {
  return [
    `authenticator entry for ${e.label} (issuer ${e.issuer}), shown this once:`,
    `  uri:    ${e.uri}`,
    `  secret: ${e.secret}`,
    'add it to your authenticator app, then run: operators totp confirm --code NNNNNN',
  ].join('\n');
}

/** operators token slots: one line per slot, with its token when one is present. */
export function formatTokenSlots(list: z.infer<typeof Pkcs11SlotList>): string {
  if (list.slots.length === 0) return 'no slots';
  const rows = list.slots.map((s) => [
    s.slotId,
    s.tokenPresent ? (s.tokenLabel ?? '') : '(no token)',
    [s.manufacturer, s.model].filter((x) => x).join(' '),
    s.serial ?? '',
    s.loginRequired === null ? '' : s.loginRequired ? 'yes' : 'no',
  ]);
  return formatTable([['SLOT', 'TOKEN', 'MAKER/MODEL', 'SERIAL', 'PIN'], ...rows]);
}
