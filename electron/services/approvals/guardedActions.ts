// Which calls need approvals (docs/two-person-control.md, "Guarded actions"): a table of channel -> the action its
// input makes it, if any. Another service adds a guarded action by adding its name to APPROVAL_ACTIONS
// (shared/approvalsContract.ts), a default policy below and a row here (or by calling Approvals.requireFor itself).
import type { ChannelName, ParsedInput } from '../../../shared/contract.ts';
import { isWideOrder, isWidePlaybook } from '../../../shared/emergencyContract.ts';
import type { KeyType } from '../../../shared/domain.ts';
import { type RotationPolicy, type RotationWindow, validatePolicy } from '../rotation/policy.ts';
import { APPROVAL_ACTIONS, DEFAULT_TTL_SECONDS, type ApprovalAction, type ApprovalPolicy, type RequestAction } from '../../../shared/approvalsContract.ts';
import type { OperatorRole } from '../../../shared/operatorsContract.ts';

export interface GuardedCall {
  /** What the request is for (shown, audited). */
  action: RequestAction;
  /** Whose policy decides how many approvals and who may give them. */
  policyAction: ApprovalAction;
  /**
   * A second policy the call is judged under too (the stricter of both, policiesFor): as many approvals as the larger
   * asks, only operators eligible under both may approve, the shorter life.
   */
  alsoUnder?: ApprovalAction;
  /**
   * false: when no one else could approve, the call is not waived but passed on unapproved, for the service to refuse
   * (an emergency has its own one-officer path, break-glass, with an alert and a review).
   */
  waivable?: false;
  /**
   * The operator the call gives a role to (operators:setRole): not counted as someone else who could approve it (their
   * own promotion is no second person's check), and refused as its approver.
   */
  concerns?: string;
}

export const DEFAULT_POLICIES: Readonly<Record<ApprovalAction, ApprovalPolicy>> = {
  'key.destroy': { action: 'key.destroy', approvals: 1, roles: ['key_custodian', 'admin'], operators: [], ttlSeconds: DEFAULT_TTL_SECONDS },
  'key.compromise': { action: 'key.compromise', approvals: 1, roles: ['security_officer', 'admin'], operators: [], ttlSeconds: DEFAULT_TTL_SECONDS },
  'operator.admin': { action: 'operator.admin', approvals: 1, roles: ['admin'], operators: [], ttlSeconds: DEFAULT_TTL_SECONDS },
  // Exporting recovery shares hands out the master key in pieces: a second admin approves (the shares go to the one
  // who executes the approved request, once; never stored).
  'recovery.shares': { action: 'recovery.shares', approvals: 1, roles: ['admin'], operators: [], ttlSeconds: DEFAULT_TTL_SECONDS },
  // A playbook beyond a list of robots (issue 15): a second security officer approves, unless one officer breaks glass.
  // An emergency request lives an hour by default: approval for a bad day, not for next week.
  'emergency.wide': { action: 'emergency.wide', approvals: 1, roles: ['security_officer', 'admin'], operators: [], ttlSeconds: 3600 },
  // Replacing or revoking the fleet CA re-issues or revokes every robot's certificate: a second security officer.
  'ca.replace': { action: 'ca.replace', approvals: 1, roles: ['security_officer', 'admin'], operators: [], ttlSeconds: DEFAULT_TTL_SECONDS },
  'ca.revoke': { action: 'ca.revoke', approvals: 1, roles: ['security_officer', 'admin'], operators: [], ttlSeconds: DEFAULT_TTL_SECONDS },
  // A rotation policy that rotates less (issue 14, "lowering a policy"): admins set policies, an admin or a key
  // custodian approves.
  'rotation.lower': { action: 'rotation.lower', approvals: 1, roles: ['admin', 'key_custodian'], operators: [], ttlSeconds: DEFAULT_TTL_SECONDS },
  // Removing an operator takes away an approver: an admin who removed every other approver alone could then act alone
  // (the waiver). So anyone who approves some action by default (an admin, a key custodian, a security officer) may
  // approve a removal, the operator removed included (their consent); removing someone when no such operator but the
  // admin is left (a viewer, a station operator) is waived as usual.
  'operator.remove': { action: 'operator.remove', approvals: 1, roles: ['admin', 'key_custodian', 'security_officer'], operators: [], ttlSeconds: DEFAULT_TTL_SECONDS },
  // Adding an operator who can approve something (or raising one's role so they approve more): the admin types the
  // first passphrase, so one admin alone could add an approver they control and approve their own request with it.
  // The approvers already there (the same roles as a removal) witness the new one; a store where no one else approves
  // anything (a new store's first admin) waives it as usual.
  'operator.approver': { action: 'operator.approver', approvals: 1, roles: ['admin', 'key_custodian', 'security_officer'], operators: [], ttlSeconds: DEFAULT_TTL_SECONDS },
};

/** Whether the operator (name, role) may approve under the policy: by role or by name. */
export const eligible = (policy: ApprovalPolicy, name: string, role: OperatorRole): boolean => policy.roles.includes(role) || policy.operators.includes(name);

/**
 * The policies that decide who may approve a call judged under several: those that ask for approvals (a policy asking
 * none imposes no check, so its approvers restrict nothing); all of them when none asks.
 */
export const bindingPolicies = (policies: readonly ApprovalPolicy[]): readonly ApprovalPolicy[] => {
  const asking = policies.filter((p) => p.approvals > 0);
  return asking.length > 0 ? asking : policies;
};

/** Whether the operator may approve under every binding policy (each by role or by name: eligible above). */
export const eligibleUnderAll = (policies: readonly ApprovalPolicy[], name: string, role: OperatorRole): boolean =>
  policies.length > 0 && bindingPolicies(policies).every((p) => eligible(p, name, role));

/** The approvals a call judged under several policies needs (the most any asks) and its life (the shortest). */
export const strictest = (policies: readonly ApprovalPolicy[]): { approvals: number; ttlSeconds: number } => ({
  approvals: Math.max(0, ...policies.map((p) => p.approvals)),
  ttlSeconds: Math.min(...policies.map((p) => p.ttlSeconds)),
});

/**
 * What the guard does with a call (docs/two-person-control.md, "When no one else can approve"), given the policies it
 * is judged under and the operators other than the caller (and the call's target) who could approve it:
 * - 'run': no approval asked (every policy asks for none);
 * - 'request': someone is eligible under every policy: a request is made;
 * - 'refuse': no one is eligible under all of them although each alone has someone: the policies disagree (an admin
 *   narrowed one of them), which is not "no one else exists"; waiving then would let one policy's edit reach the
 *   waiver, so nothing runs and no request is made;
 * - 'waive': no one else could approve under any reading (the waiver, audited), or 'pass' when the call is not
 *   waivable (the service refuses it unapproved itself: an emergency's path is break-glass).
 */
export function guardDecision(
  policies: readonly ApprovalPolicy[],
  others: readonly { name: string; role: OperatorRole }[],
  waivable: boolean,
): 'run' | 'request' | 'refuse' | 'waive' | 'pass' {
  if (strictest(policies).approvals === 0) return 'run';
  if (others.some((o) => eligibleUnderAll(policies, o.name, o.role))) return 'request';
  const binding = bindingPolicies(policies);
  if (binding.length > 1 && binding.every((p) => others.some((o) => eligible(p, o.name, o.role)))) return 'refuse';
  return waivable ? 'waive' : 'pass';
}

/**
 * The policy actions a stored request is judged under besides its own (GuardedCall.alsoUnder), from what the request
 * binds: a wide emergency run whose actions include revoke_ca is judged under ca.revoke's policy too. The summary's
 * `actions` is the canonical JSON of the run's actions (at most six short names, never cut); a request without it is
 * taken to revoke the CA (the stricter reading).
 */
export function requestAlsoUnder(r: { channel: string; action: RequestAction; summary: Record<string, string> }): ApprovalAction | null {
  if (r.channel !== 'emergency:execute' || r.action !== 'emergency.wide') return null;
  const actions = r.summary.actions;
  return actions === undefined || actions.includes('"revoke_ca"') ? 'ca.revoke' : null;
}

/** Fewer approvals, anyone who could not approve before, or a longer life: a policy change that weakens control. */
export function lowers(current: ApprovalPolicy, next: ApprovalPolicy): boolean {
  return (
    next.approvals < current.approvals ||
    next.ttlSeconds > current.ttlSeconds ||
    next.roles.some((r) => !current.roles.includes(r)) ||
    next.operators.some((o) => !current.operators.includes(o))
  );
}

/** What a classifier may read besides the input: the approval policies, and the rotation policies in force. */
export interface GuardContext {
  policyOf(action: ApprovalAction): ApprovalPolicy;
  /** The stored name of the operator the handler would find under that name (null: none), and who is signed in. */
  operatorNamed?(name: string): string | null;
  signedIn?(): string | null;
  /** Every operator in the store (who could approve what). */
  operators?(): readonly { name: string; role: OperatorRole }[];
  /** The rotation policy that applies now to a key type or a key, and what a key falls back to (its type's); null: unknown. */
  rotationPolicy(target: { type: KeyType } | { keyId: string } | { typeOfKey: string }): RotationPolicy | null;
}

/** b is open whenever a is: the same start, at least as long. */
const covers = (b: RotationWindow, a: RotationWindow) => a.cron === b.cron && b.durationMinutes >= a.durationMinutes;

/**
 * Whether a rotation policy lowers the one in force (docs/two-person-control.md, "Lowering a rotation policy"): the
 * rule is that anything that can make a due rotation happen later or less surely is lowering. Concretely: a higher
 * usage limit; for a scheduled policy, scheduled rotation switched off, a longer period, a longer period + jitter (the
 * longest a version lives on schedule; more jitter on the same period), rotation handed
 * from the console to the key's provider (the console no longer runs it nor sees it run), a maintenance window added
 * or not covering the old one, a blackout window added or lengthened, or the time zone moved while windows apply.
 * Cron expressions are not compared for meaning: a changed one counts as lowering (the safe side).
 */
export function lowersRotation(current: RotationPolicy, next: RotationPolicy): boolean {
  if (next.usageLimit > current.usageLimit) return true;
  if (current.mode !== 'scheduled') return false;
  if (next.mode !== 'scheduled' || (next.periodSeconds ?? Infinity) > (current.periodSeconds ?? Infinity)) return true;
  if (current.driver === 'console' && next.driver === 'provider') return true;
  // Jitter delays a due rotation by up to its length: the longest a version lives on schedule is period + jitter.
  if ((next.periodSeconds ?? 0) + next.jitterSeconds > (current.periodSeconds ?? 0) + current.jitterSeconds) return true;
  const windows = next.maintenanceWindow !== null || next.blackoutWindows.length > 0;
  if (windows && next.timeZone !== current.timeZone) return true;
  if (next.maintenanceWindow !== null && (current.maintenanceWindow === null || !covers(next.maintenanceWindow, current.maintenanceWindow))) return true;
  return next.blackoutWindows.some((b) => !current.blackoutWindows.some((a) => covers(a, b)));
}

/** rotation.lower when the input's policy (validated as the handler will) rotates less than the one in force. */
const rotationLower = (current: RotationPolicy | null, input: unknown): GuardedCall | null => {
  if (current === null) return null;
  let next: RotationPolicy;
  try {
    next = validatePolicy(input);
  } catch {
    return null; // refused by the handler itself
  }
  return lowersRotation(current, next) ? same('rotation.lower') : null;
};

type Classifier<C extends ChannelName> = (input: ParsedInput<C>, ctx: GuardContext) => GuardedCall | null;
const same = (action: ApprovalAction): GuardedCall => ({ action, policyAction: action });

/** The operators other than the signed-in one (and `besides`) who are eligible under a policy. */
const othersUnder = (ctx: GuardContext, policy: ApprovalPolicy, besides: string | null = null): string[] => {
  const me = ctx.signedIn?.() ?? null;
  return (ctx.operators?.() ?? []).filter((o) => o.name !== me && o.name !== besides && eligible(policy, o.name, o.role)).map((o) => o.name);
};

/** Whether holding `to` instead of `from` lets `name` approve some action they could not (by role; a name stays named). */
const approvesMore = (ctx: GuardContext, name: string, to: OperatorRole, from: OperatorRole | null): boolean =>
  APPROVAL_ACTIONS.some((a) => eligible(ctx.policyOf(a), name, to) && !(from !== null && eligible(ctx.policyOf(a), name, from)));

/** A demotion's request: shown and audited as such, approved under operator.remove's policy (it takes an approver away). */
const DEMOTE: GuardedCall = { action: 'operator.demote', policyAction: 'operator.remove' };

/**
 * Making `name` hold `role` (added, or from `fromRole`): operator.admin for an admin, operator.approver for anyone
 * who could then approve an action they could not before, operator.demote (operator.remove's policy) for someone else
 * who could then no longer approve an action they could (`demotes`). An existing operator's own promotion is checked by
 * someone else: they do not count among those who could approve it; their demotion they may approve (their consent,
 * as for a removal). When several apply, the first with someone else to approve it decides (a lone admin among
 * custodians cannot make a second admin alone: the custodians witness it; a custodian made an officer with no one else
 * to witness the gain consents to the loss); when none has, the first, which the waiver then lets run.
 */
const grantGuard = (ctx: GuardContext, name: string, role: OperatorRole, fromRole: OperatorRole | null, demotes = false): GuardedCall | null => {
  const besides = fromRole === null ? null : name;
  const grant = (a: ApprovalAction): GuardedCall => (besides === null ? same(a) : { ...same(a), concerns: besides });
  const candidates: GuardedCall[] = [
    ...(role === 'admin' ? [grant('operator.admin')] : []),
    ...(approvesMore(ctx, name, role, fromRole) ? [grant('operator.approver')] : []),
    ...(demotes ? [DEMOTE] : []),
  ];
  const first = candidates[0];
  if (first === undefined) return null;
  return candidates.find((g) => ctx.policyOf(g.policyAction).approvals > 0 && othersUnder(ctx, ctx.policyOf(g.policyAction), g.concerns).length > 0) ?? first;
};

/**
 * A policy change lowers control when it lowers the policy itself (lowers) or takes away an approver other than the
 * one asking: dropping a role or a name could leave no one else eligible, and the waiver would then let them act alone.
 */
const lowersFor = (ctx: GuardContext, current: ApprovalPolicy, next: ApprovalPolicy): boolean => {
  if (lowers(current, next)) return true;
  const still = new Set(othersUnder(ctx, next));
  return othersUnder(ctx, current).some((name) => !still.has(name));
};

const GUARDED: { [C in ChannelName]?: Classifier<C> } = {
  'keys:setState': (i) => (i.state === 'destroyed' ? same('key.destroy') : i.state === 'compromised' ? same('key.compromise') : null),
  'operators:add': (i, ctx) => grantGuard(ctx, i.name, i.role, null),
  // A role change that approves more is a grant; one that approves less (loses any action the operator could approve)
  // takes an approver away, like a removal: operator.demote under operator.remove's policy. Demoting oneself is one's
  // own consent: it runs at once (the handler keeps the last admin). A move that neither gains nor loses runs at once.
  'operators:setRole': (i, ctx) => {
    const target = ctx.operators?.().find((o) => o.name === (ctx.operatorNamed?.(i.name) ?? i.name));
    const demotes = target !== undefined && target.name !== ctx.signedIn?.() && approvesMore(ctx, target.name, target.role, i.role);
    return grantGuard(ctx, target?.name ?? i.name, i.role, target?.role ?? null, demotes);
  },
  // A removal the handler refuses (no such operator, oneself) makes no request: the handler refuses it, audited.
  'operators:remove': (i, ctx) => {
    const target = ctx.operatorNamed ? ctx.operatorNamed(i.name) : i.name;
    return target === null || target === ctx.signedIn?.() ? null : same('operator.remove');
  },
  'recovery:createShares': () => same('recovery.shares'),
  // A dry run writes nothing, and break-glass is the one-officer path (alert and review instead of approval).
  // A lockdown order whose scope would make a playbook wide (isWideOrder: beyond a list of robots, including the holders
  // of a key or a certificate serial; a lift restores, and is not guarded). A console where no second officer exists
  // issues it alone, audited as waived. Break-glass is the one-officer path here too (a run with its alert and review).
  'emergency:lockdownOrder': (i) => (i.breakGlass === undefined && isWideOrder(i) ? same('emergency.wide') : null),
  // An incident kit carries lockdown orders signed in advance: one that would be wide issued now (isWideOrder: beyond a
  // list of robots, or distrusting a fleet CA whatever its scope) is as wide in a kit (docs/incident-kit.md). The
  // responder's passphrase is a secret field (hashed, never shown).
  'kit:export': (i) => (i.orders.some((o) => isWideOrder({ kind: 'lockdown', scope: o.scope, actions: o.actions ?? ['stop_operating'] })) ? same('emergency.wide') : null),
  // A playbook that revokes the fleet CA (revoke_ca) is wide whatever its scope, and it is judged under the stricter of
  // emergency.wide and ca.revoke: as many approvals as the larger asks, approvers eligible under both, the shorter life
  // (the playbook is no way around ca:revoke's guard, nor around emergency.wide's). Break-glass remains the one-officer
  // path (docs/emergency-response.md). A lockdown that distrusts a fleet CA makes any playbook wide (isWidePlaybook), as
  // it makes an order issued on its own.
  'emergency:execute': (i) => {
    if (i.dryRun === true || i.breakGlass !== undefined || !isWidePlaybook(i)) return null;
    return { action: 'emergency.wide', policyAction: 'emergency.wide', ...(i.actions.includes('revoke_ca') ? { alsoUnder: 'ca.revoke' as const } : {}), waivable: false };
  },
  'approvals:setPolicy': (i, ctx) => (lowersFor(ctx, ctx.policyOf(i.policy.action), i.policy) ? { action: 'approval.lower', policyAction: i.policy.action } : null),
  'ca:replace': () => same('ca.replace'),
  'ca:revoke': () => same('ca.revoke'),
  'rotation:setTypePolicy': (i, ctx) => rotationLower(ctx.rotationPolicy({ type: i.type }), i.policy),
  'rotation:setKeyPolicy': (i, ctx) => rotationLower(ctx.rotationPolicy({ keyId: i.keyId }), i.policy),
  // Removing a key's own policy puts its type's in force: guarded when that one rotates less.
  'rotation:clearKeyPolicy': (i, ctx) => rotationLower(ctx.rotationPolicy({ keyId: i.keyId }), ctx.rotationPolicy({ typeOfKey: i.keyId })),
};

/** The channels that may need approvals (a quick test before classifying the input). */
export const GUARDED_CHANNELS: ReadonlySet<string> = new Set(Object.keys(GUARDED));

export function classify(channel: ChannelName, input: unknown, ctx: GuardContext): GuardedCall | null {
  const fn = GUARDED[channel] as Classifier<ChannelName> | undefined;
  return fn ? fn(input as never, ctx) : null;
}

/** Input fields that are secrets: hashed through the store's HMAC key and never shown in a request's summary. */
export const SECRET_FIELDS: ReadonlySet<string> = new Set(['passphrase', 'current', 'next']);
