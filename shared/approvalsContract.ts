// Two-person control (issue 14, docs/two-person-control.md): the approvals:* channels of the IPC contract (spread into
// `contract` in contract.ts). A guarded call (destroying a key, marking one compromised, making an admin, lowering an
// approval policy) does not run: it answers `approval_required` with the id of a request that binds the exact channel
// and a hash of its parsed input. Other operators approve it (signed in, or with a signed approval file); then it is
// executed, exactly as requested. Nothing here carries a secret: a request shows a summary of its input without
// passphrases.
import { z } from 'zod';
import { channel } from './channel.ts';
import { OperatorName, OperatorRoleSchema } from './operatorsContract.ts';

/** The actions whose approvals are configurable (approvals:setPolicy). */
export const APPROVAL_ACTIONS = ['key.destroy', 'key.compromise', 'operator.admin', 'recovery.shares', 'emergency.wide', 'ca.replace', 'ca.revoke', 'rotation.lower', 'operator.remove', 'operator.approver'] as const;
export type ApprovalAction = (typeof APPROVAL_ACTIONS)[number];
/**
 * A request's action: a configurable one, lowering the policy of one (guarded by that action's current policy), or a
 * role change that approves less (operator.demote, guarded by operator.remove's policy: both take an approver away).
 */
export const REQUEST_ACTIONS = [...APPROVAL_ACTIONS, 'approval.lower', 'operator.demote'] as const;
export type RequestAction = (typeof REQUEST_ACTIONS)[number];

export const APPROVAL_ACTION_LABELS: Readonly<Record<RequestAction, string>> = {
  'key.destroy': 'Destroy a key',
  'key.compromise': 'Mark a key compromised',
  'operator.admin': 'Make an operator an admin',
  'recovery.shares': 'Split the master key into recovery shares',
  'emergency.wide': 'Act on a site, model, firmware, tag, key, certificate or the whole fleet in an emergency (playbook or lockdown order)',
  'ca.replace': 'Replace the fleet CA (a new CA key and certificate; robots need new certificates)',
  'ca.revoke': 'Revoke a compromised fleet CA (every certificate it issued is revoked)',
  'rotation.lower': 'Lower a rotation policy (a due rotation would happen later or less surely: a longer period, a higher usage limit, no scheduled rotation, more jitter, the provider driving it, narrower windows)',
  'operator.remove': 'Remove an operator (their key slot is wiped; they can no longer sign in or approve), or change their role so they approve less',
  'operator.approver': 'Add an operator who can approve, or give one a role that approves more',
  'approval.lower': 'Lower an approval policy',
  'operator.demote': 'Change an operator\'s role so they approve less (under the removal policy)',
};

export const REQUEST_STATES = ['pending', 'approved', 'denied', 'executed', 'expired'] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

/** Most approvals an action may need, and the bounds of a request's lifetime. */
export const MAX_APPROVALS = 5;
export const MIN_TTL_SECONDS = 60;
export const MAX_TTL_SECONDS = 30 * 24 * 3600;
export const DEFAULT_TTL_SECONDS = 24 * 3600;

const IsoTime = z.string().datetime({ offset: true });
const RequestId = z.string().uuid();
const Reason = z.string().trim().max(500).regex(/^[^\u0000-\u0008\u000b-\u001f\u007f]*$/, 'must not contain control characters');
/** A request or approval file, as text (JSON); bounded. */
const FileText = z.string().min(2).max(64 * 1024);

export const ApprovalPolicy = z
  .object({
    action: z.enum(APPROVAL_ACTIONS),
    /** M: approvals needed from distinct operators other than the requester (0: the action runs at once). */
    approvals: z.number().int().min(0).max(MAX_APPROVALS),
    /** Who may approve: operators holding one of these roles, or named here. */
    roles: z.array(OperatorRoleSchema).max(5),
    operators: z.array(OperatorName).max(50),
    /** How long a request stays open. */
    ttlSeconds: z.number().int().min(MIN_TTL_SECONDS).max(MAX_TTL_SECONDS),
  })
  .strict();
export type ApprovalPolicy = z.infer<typeof ApprovalPolicy>;

export const ApprovalPolicyView = ApprovalPolicy.extend({
  /** Null while the default applies. */
  updatedAt: IsoTime.nullable(),
  updatedBy: z.string().nullable(),
});
export type ApprovalPolicyView = z.infer<typeof ApprovalPolicyView>;

export const ApprovalRequestView = z.object({
  id: RequestId,
  action: z.enum(REQUEST_ACTIONS),
  channel: z.string(),
  /** SHA-256 (hex) of the canonical JSON of the parsed input (docs/two-person-control.md). */
  inputHash: z.string().regex(/^[0-9a-f]{64}$/),
  /** The input's fields as text, without secrets (a passphrase shows as "(hidden)"). */
  summary: z.record(z.string(), z.string()),
  requester: z.string(),
  createdAt: IsoTime,
  expiresAt: IsoTime,
  state: z.enum(REQUEST_STATES),
  required: z.number().int().nonnegative(),
  approvals: z.array(z.object({ approver: z.string(), at: IsoTime, via: z.enum(['session', 'file']) })),
  decidedBy: z.string().nullable(),
  reason: z.string().nullable(),
  executedAt: IsoTime.nullable(),
  executedBy: z.string().nullable(),
  /** Whether the signed-in operator may approve it now (eligible, not the requester, not yet approved by them). */
  canApprove: z.boolean(),
});
export type ApprovalRequestView = z.infer<typeof ApprovalRequestView>;

/**
 * A revoked approval key as approvals:listRevokedKeys shows it: whose, which (SHA-256 of its SPKI), when and by whom,
 * why (`removed` by an admin, with the reason given; `replaced` by its operator enrolling another, no reason). No
 * secret: a public key's fingerprint only.
 */
export const RevokedApprovalKeyView = z
  .object({
    operator: z.string(),
    fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
    enrolledAt: IsoTime,
    revokedAt: IsoTime,
    revokedBy: z.string(),
    why: z.enum(['removed', 'replaced']),
    reason: z.string().nullable(),
  })
  .strict();
export type RevokedApprovalKeyView = z.infer<typeof RevokedApprovalKeyView>;

/**
 * An approval key enrolled now, as approvals:listKeys shows it: whose, which (SHA-256 of its SPKI), since when, and
 * whether its operator is gone (a leftover key that counts for no one). No key material.
 */
export const ApprovalKeyView = z
  .object({
    operator: z.string(),
    fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
    enrolledAt: IsoTime,
    /**
     * True for a key left behind by an operator who was removed (no operator of that name now, or one added after the
     * key was enrolled: an earlier namesake's): it approves nothing and is listed only so that an admin can revoke it.
     */
    operatorRemoved: z.boolean(),
  })
  .strict();
export type ApprovalKeyView = z.infer<typeof ApprovalKeyView>;

/** Approval keys per page of approvals:listKeys and approvals:listRevokedKeys: the default, and the most one call takes. */
export const APPROVAL_KEYS_PAGE_DEFAULT = 100;
export const APPROVAL_KEYS_PAGE_MAX = 500;

/**
 * A page of approval keys (keyset pagination, docs/two-person-control.md "Paging the key lists"): `limit` keys (1 to
 * 500, default 100) after `cursor`, the previous page's nextCursor (opaque; made by the same channel).
 */
const KeyPageInput = z
  .object({
    limit: z.number().int().min(1).max(APPROVAL_KEYS_PAGE_MAX).optional(),
    cursor: z.string().regex(/^[A-Za-z0-9_-]{1,400}$/, 'must be a page cursor (nextCursor of the previous page)').optional(),
  })
  .strict();
/** Pass as `cursor` for the next page; null on the last page. */
const NextCursor = z.string().nullable();

export const approvalsChannels = {
  /** Requests, newest first; `open` only: pending and approved ones (expired ones are marked expired first). */
  'approvals:list': channel(
    z.object({ open: z.boolean().optional(), limit: z.number().int().min(1).max(1000).optional() }).strict(),
    z.object({ requests: z.array(ApprovalRequestView), awaitingMe: z.number().int().nonnegative() }),
  ),
  /** The signed-in operator approves (not their own request; once each; eligible by role or name). */
  'approvals:approve': channel(z.object({ requestId: RequestId }).strict(), ApprovalRequestView),
  /** An eligible operator refuses, or the requester withdraws: the request can no longer run. */
  'approvals:deny': channel(z.object({ requestId: RequestId, reason: Reason }).strict(), ApprovalRequestView),
  /** Runs an approved request: the stored input, on its channel, with the executor's own permission checked. */
  'approvals:execute': channel(z.object({ requestId: RequestId }).strict(), z.object({ request: ApprovalRequestView, result: z.unknown() })),
  'approvals:policies': channel(z.object({}).strict(), z.object({ policies: z.array(ApprovalPolicyView) })),
  /** Changes an action's policy; lowering it (fewer approvals, more approvers, longer life) needs approval itself. */
  'approvals:setPolicy': channel(z.object({ policy: ApprovalPolicy }).strict(), ApprovalPolicyView),
  /** The request as a file for an approver at another workstation (docs/two-person-control.md, "Approval files"). */
  'approvals:exportRequest': channel(z.object({ requestId: RequestId }).strict(), z.object({ fileName: z.string(), content: z.string() })),
  /** Records the approval a signed approval file carries (its signature checked against the approver's enrolled key). */
  'approvals:importApproval': channel(z.object({ content: FileText }).strict(), ApprovalRequestView),
  /**
   * The signed-in operator enrols (or replaces) their own Ed25519 approval public key (PEM, SPKI). A replaced key is
   * revoked; a revoked key is refused (approval_key_revoked).
   */
  'approvals:enrolKey': channel(
    z.object({ publicKeyPem: z.string().min(40).max(1024) }).strict(),
    z.object({ operator: z.string(), fingerprint: z.string().regex(/^[0-9a-f]{64}$/) }),
  ),
  /**
   * An admin removes (revokes) an operator's enrolled approval key, with a reason: files it signed are refused from
   * then on (approval_key_revoked), also if it is enrolled again. The operator still approves signed in at the console.
   */
  'approvals:revokeKey': channel(
    z.object({ operator: OperatorName, reason: Reason.min(1) }).strict(),
    z.object({ operator: z.string(), fingerprint: z.string().regex(/^[0-9a-f]{64}$/), revokedAt: IsoTime }),
  ),
  /**
   * Every revoked approval key (removed or replaced), newest revocation first (then by fingerprint), a page at a time:
   * any signed-in reader may look.
   */
  'approvals:listRevokedKeys': channel(KeyPageInput, z.object({ keys: z.array(RevokedApprovalKeyView), nextCursor: NextCursor }).strict()),
  /**
   * Every approval key enrolled now (operator, fingerprint, enrolled at; a removed operator's leftover key marked
   * operatorRemoved), newest enrolment first (then by operator), a page at a time: any signed-in reader.
   */
  'approvals:listKeys': channel(KeyPageInput, z.object({ keys: z.array(ApprovalKeyView), nextCursor: NextCursor }).strict()),
} as const;

/**
 * Pushed by the main process after a request is created, approved, denied, expired or executed (state: its state
 * after the change), and after a policy changes or an approval key is enrolled, replaced or revoked (requestId and
 * state null: who may approve, or with which key, may have changed). The window's Approvals list, its enrolled and
 * revoked key tables and the shell's badge refresh on it.
 */
export const ApprovalsChanged = z.object({ requestId: RequestId.nullable(), state: z.enum(REQUEST_STATES).nullable() });
export type ApprovalsChanged = z.infer<typeof ApprovalsChanged>;
export const approvalsEvents = { 'approvals:changed': ApprovalsChanged } as const;
