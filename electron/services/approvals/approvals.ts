// Two-person control (issue 14, docs/two-person-control.md). A guarded call (guardedActions.ts) does not run: require()
// stores a request binding the exact channel, the SHA-256 of the canonical JSON of its parsed input (secret fields
// through the store's HMAC key) and the input itself sealed under a sub-key of the master key, then throws
// `approval_required` with the request's id. Operators other than the requester approve it (signed in as themselves,
// or with a signed approval file); once it has the approvals its policy asks for, execute() runs the stored input on
// its channel, after checking its hash again and the executor's own permission. Requests expire; denied, expired and
// executed requests never run; one operator's approval counts once. Every step is audited (approval.*).
import crypto from 'node:crypto';
import { contract, type CallContext, type ChannelName } from '../../../shared/contract.ts';
import {
  APPROVAL_ACTIONS,
  type ApprovalAction,
  type ApprovalPolicy,
  type ApprovalPolicyView,
  type ApprovalRequestView,
  type ApprovalKeyView,
  type ApprovalsChanged,
  type RevokedApprovalKeyView,
} from '../../../shared/approvalsContract.ts';
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import type { OperatorRole } from '../../../shared/operatorsContract.ts';
import type { ApprovalsRepo, RequestRow } from '../../store/approvalsRepo.ts';
import type { OperatorsRepo } from '../../store/operatorsRepo.ts';
import type { AuditedChangeDeps } from '../audit/auditLog.ts';
import type { AccessGate } from '../operators/accessGate.ts';
import type { Session } from '../session/session.ts';
import { approvalSignatureValid, readApprovalFile, readApprovalPublicKey, REQUEST_FILE_FORMAT, type RequestFile } from './approvalFile.ts';
import { canonicalJson, parseCanonical, sha256Hex } from './canonical.ts';
import { keyPage } from './keyPages.ts';
import {
  classify,
  type GuardContext,
  DEFAULT_POLICIES,
  eligibleUnderAll,
  GUARDED_CHANNELS,
  guardDecision,
  requestAlsoUnder,
  SECRET_FIELDS,
  strictest,
  type GuardedCall,
} from './guardedActions.ts';

export interface ApprovalsDeps extends AuditedChangeDeps {
  repo: ApprovalsRepo;
  operators: Pick<OperatorsRepo, 'get' | 'list'>;
  session: Pick<Session, 'require' | 'actor'>;
  access: Pick<AccessGate, 'check'>;
  /** The rotation policy in force for a key type or a key (rotation.lower compares against it); none: never guarded. */
  rotationPolicy?: GuardContext['rotationPolicy'];
  /** Called after each committed change of a request (made, approved, denied, expired, executed) or of a policy. */
  onChanged?(change: ApprovalsChanged): void;
  /** Runs a channel's handler without the approval guard (the access gate is checked here first). */
  run(channel: ChannelName, input: unknown, ctx: CallContext): Promise<unknown>;
}

export interface Approvals {
  /**
   * The guard: returns when (channel, input) needs no approval (not guarded, its policy asks for none, or no operator
   * but the caller is eligible to approve: waived and audited); otherwise stores a request and throws `approval_required` with
   * details {requestId, action, required}. For other services (emergency break-glass): call it before acting.
   */
  require(channel: ChannelName, input: unknown): void;
  /** The same for an action the caller decides on itself (its policy applies), e.g. a service's own operation. */
  requireFor(action: ApprovalAction, channel: ChannelName, input: unknown): void;
  list(open: boolean, limit: number): { requests: ApprovalRequestView[]; awaitingMe: number };
  approve(requestId: string): ApprovalRequestView;
  deny(requestId: string, reason: string): ApprovalRequestView;
  execute(requestId: string, ctx: CallContext): Promise<{ request: ApprovalRequestView; result: unknown }>;
  policies(): ApprovalPolicyView[];
  /** Applies a policy (reached through the guard: lowering one was approved first). */
  setPolicy(policy: ApprovalPolicy): ApprovalPolicyView;
  exportRequest(requestId: string): { fileName: string; content: string };
  importApproval(content: string): ApprovalRequestView;
  enrolKey(publicKeyPem: string): { operator: string; fingerprint: string };
  /** An admin removes an operator's enrolled approval key (the router checks the role); audited with the reason. */
  revokeKey(operator: string, reason: string): { operator: string; fingerprint: string; revokedAt: string };
  /** A page of the revoked approval keys, newest revocation first (a read: the router checks the role). */
  revokedKeys(query?: KeyPageQuery): { keys: RevokedApprovalKeyView[]; nextCursor: string | null };
  /**
   * A page of the approval keys enrolled now, newest enrolment first: operator, fingerprint, enrolled at, and
   * `operatorRemoved` for a key that counts for no one (its operator was removed, or it predates the operator of that
   * name). A read: the router checks the role.
   */
  enrolledKeys(query?: KeyPageQuery): { keys: ApprovalKeyView[]; nextCursor: string | null };
}

/** A page of approval keys asked for: how many (default 100) after which cursor (none: the first page). */
export interface KeyPageQuery {
  limit?: number | undefined;
  cursor?: string | undefined;
}

const SUMMARY_VALUE_CHARS = 200;

/** `value` with every secret field's value replaced by "(hidden)", at any depth, inside arrays too. */
function withSecretsHidden(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withSecretsHidden);
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, SECRET_FIELDS.has(k) ? '(hidden)' : withSecretsHidden(v)]));
}

/**
 * A request's input as text for its summary: fields by name, nested ones as "a.b", an array or a value as canonical
 * JSON (at most SUMMARY_VALUE_CHARS characters); a secret field's value is "(hidden)" wherever it sits, in an array
 * included (the summary is stored in the clear and shown to every approver).
 */
export function summarizeInput(input: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (input === null || typeof input !== 'object' || input instanceof Uint8Array || Array.isArray(input)) {
    out[prefix || 'input'] = (typeof input === 'string' ? input : canonicalJson(withSecretsHidden(input))).slice(0, SUMMARY_VALUE_CHARS);
    return out;
  }
  for (const [k, v] of Object.entries(input as Record<string, unknown>)) {
    if (v === undefined) continue;
    const name = prefix ? `${prefix}.${k}` : k;
    if (SECRET_FIELDS.has(k)) out[name] = '(hidden)';
    else summarizeInput(v, name, out);
  }
  return out;
}

export function createApprovals(deps: ApprovalsDeps): Approvals {
  const { repo, session, audit, clock } = deps;
  const iso = (ms = clock.now()) => new Date(ms).toISOString();
  const running = new Set<string>();
  const changed = (requestId: string | null, state: ApprovalsChanged['state']) => deps.onChanged?.({ requestId, state });

  const policyOf = (action: ApprovalAction): ApprovalPolicy => {
    const row = repo.policy(action);
    return row ? { action, approvals: row.approvals, roles: row.roles, operators: row.operators, ttlSeconds: row.ttlSeconds } : DEFAULT_POLICIES[action];
  };
  /** The policies a request is judged under now (its own, and a second one: guardedActions.ts requestAlsoUnder). */
  const policiesOfRequest = (r: RequestRow): ApprovalPolicy[] => {
    const own = policyOf(r.action === 'approval.lower' ? (parsePolicyAction(r) ?? 'operator.admin') : r.action === 'operator.demote' ? 'operator.remove' : r.action);
    const also = requestAlsoUnder(r);
    return also === null || also === own.action ? [own] : [own, policyOf(also)];
  };
  const policiesOfCall = (guard: GuardedCall): ApprovalPolicy[] =>
    guard.alsoUnder === undefined || guard.alsoUnder === guard.policyAction ? [policyOf(guard.policyAction)] : [policyOf(guard.policyAction), policyOf(guard.alsoUnder)];
  /** The policy a lowering request is about: its summary names the action. */
  const parsePolicyAction = (r: RequestRow): ApprovalAction | null => {
    const named = r.summary['policy.action'];
    return (APPROVAL_ACTIONS as readonly string[]).includes(named ?? '') ? (named as ApprovalAction) : null;
  };

  const log = (action: string, targetId: string | null, outcome: 'success' | 'failure', details: Record<string, string | number | boolean | null>, actor = session.actor()) =>
    audit.append({ actor, action, targetType: 'approval', targetId, outcome, details });

  /** Runs fn; a refusal is audited as `action` failing (with its code), then thrown again. */
  const audited = <T>(action: string, targetId: string | null, details: Record<string, string | number | boolean | null>, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      log(action, targetId, 'failure', { ...details, code: isConsoleError(e) ? e.code : 'internal' });
      throw e;
    }
  };

  /** The input with secret fields replaced by their HMAC under the store's key: what the hash is taken over. */
  const hashable = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
    if (Array.isArray(value)) return value.map(hashable);
    const keyring = session.require().keyring;
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) =>
        SECRET_FIELDS.has(k) && typeof v === 'string' ? [k, { $secret: keyring.macApprovalSecret(Buffer.from(v, 'utf8')).toString('hex') }] : [k, hashable(v)],
      ),
    );
  };
  const inputHash = (input: unknown) => sha256Hex(canonicalJson(hashable(input)));
  const sealAad = (id: string, channel: string, hash: string) => Buffer.from(`ecps/approval-input/v1|${session.require().storeId}|${id}|${channel}|${hash}`, 'utf8');

  const expireDue = () => {
    for (const r of repo.dueToExpire(iso())) {
      deps.transaction(() => {
        repo.setState(r.id, 'expired');
        log('approval.expire', r.id, 'success', { action: r.action, channel: r.channel, approvals: repo.votes(r.id).length, required: r.required }, 'system');
      });
      changed(r.id, 'expired');
    }
  };

  const existing = (id: string): RequestRow => {
    const r = repo.request(id);
    if (!r) throw new ConsoleError('not_found', `There is no approval request ${id}.`, { field: 'requestId' });
    return r;
  };

  /** What a request asks, as shown and as exported. */
  const asked = (r: RequestRow) => ({
    action: r.action,
    channel: r.channel,
    inputHash: r.inputHash,
    summary: r.summary,
    requester: r.requester,
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
    required: r.required,
  });

  /**
   * Whether `name` is the operator a role change grants more to (operators:setRole, any action but operator.demote):
   * their own promotion is not theirs to approve; a demotion is (their consent, as for a removal).
   */
  const promotes = (r: RequestRow, name: string) => r.channel === 'operators:setRole' && r.action !== 'operator.demote' && name === deps.operators.get(r.summary.name ?? '')?.name;

  const view = (r: RequestRow): ApprovalRequestView => {
    const votes = repo.votes(r.id);
    const me = session.actor();
    const op = deps.operators.get(me);
    const canApprove =
      op !== null && (r.state === 'pending' || r.state === 'approved') && me !== r.requester &&
      !promotes(r, me) &&
      !votes.some((v) => v.approver === me) &&
      eligibleUnderAll(policiesOfRequest(r), me, op.role);
    return {
      id: r.id,
      ...asked(r),
      state: r.state,
      approvals: votes.map((v) => ({ approver: v.approver, at: v.approvedAt, via: v.via })),
      decidedBy: r.decidedBy,
      reason: r.reason,
      executedAt: r.executedAt,
      executedBy: r.executedBy,
      canApprove,
    };
  };

  const stillOpen = (r: RequestRow) => {
    if (r.state === 'pending' || r.state === 'approved') return;
    throw new ConsoleError('illegal_transition', `Approval request ${r.id} is ${r.state}; it can no longer be approved, denied or executed. Make the request again.`, { state: r.state });
  };

  /** Approvals that still count: by operators who exist and are not the requester. */
  const countedVotes = (r: RequestRow) => repo.votes(r.id).filter((v) => v.approver !== r.requester && deps.operators.get(v.approver) !== null);

  const recordApproval = (r: RequestRow, approver: string, role: OperatorRole, via: 'session' | 'file', signature: Buffer | null): ApprovalRequestView => {
    stillOpen(r);
    if (approver === r.requester) throw new ConsoleError('illegal_transition', 'The requester cannot approve their own request; another operator must.');
    // A promotion is not its target's to approve; a demotion is (their consent, as for a removal).
    if (promotes(r, approver)) {
      throw new ConsoleError('illegal_transition', `${approver} cannot approve their own new role; another operator must.`);
    }
    const policies = policiesOfRequest(r);
    if (!eligibleUnderAll(policies, approver, role)) {
      const under = policies.length > 1 ? ` (it is judged under ${policies.map((p) => p.action).join(' and ')}: an approver must be eligible under each)` : '';
      throw new ConsoleError('forbidden', `${approver} is not among the approvers of ${r.action}${under} (approvals:policies).`, { role, needs: 'approver' });
    }
    let state = r.state;
    deps.transaction(() => {
      if (!repo.addVote(r.id, { approver, approvedAt: iso(), via }, signature)) {
        throw new ConsoleError('illegal_transition', `${approver} already approved request ${r.id}; an operator's approval counts once.`);
      }
      const count = countedVotes(r).length;
      if (r.state === 'pending' && count >= r.required) {
        repo.setState(r.id, 'approved');
        state = 'approved';
      }
      log('approval.approve', r.id, 'success', { action: r.action, channel: r.channel, inputHash: r.inputHash, approver, via, approvals: count, required: r.required }, session.actor());
    });
    changed(r.id, state);
    return view(existing(r.id));
  };

  /**
   * A removal or a role change approved for one person must not reach another: an operator of the same name added
   * after the request (the first removed, a namesake added) is not the one the approvers saw. Until 2026-12-06 only
   * removals were checked, so an approved promotion made a namesake added since (a puppet) an admin.
   */
  const notReplacedSince = (r: RequestRow, parsed: unknown) => {
    if (r.channel !== 'operators:remove' && r.channel !== 'operators:setRole') return;
    const target = deps.operators.get((parsed as { name: string }).name);
    if (target && Date.parse(target.createdAt) > Date.parse(r.createdAt)) {
      throw new ConsoleError('illegal_transition', `${target.name} was added after request ${r.id} was made; that request was for the operator of that name before. Make a new request.`);
    }
  };

  const makeRequest = (guard: GuardedCall, channel: ChannelName, input: unknown): never => {
    const s = session.require();
    const policies = policiesOfCall(guard);
    const policy = strictest(policies);
    const id = crypto.randomUUID();
    const hash = inputHash(input);
    const now = clock.now();
    const row: RequestRow = {
      id,
      action: guard.action,
      channel,
      inputHash: hash,
      inputSealed: s.keyring.sealApprovalInput(Buffer.from(canonicalJson(input), 'utf8'), sealAad(id, channel, hash)),
      summary: summarizeInput(input),
      requester: s.operator,
      createdAt: iso(now),
      expiresAt: iso(now + policy.ttlSeconds * 1000),
      state: 'pending',
      required: policy.approvals,
      decidedBy: null,
      reason: null,
      executedAt: null,
      executedBy: null,
    };
    deps.transaction(() => {
      repo.insertRequest(row);
      log('approval.request', id, 'success', { action: guard.action, channel, inputHash: hash, required: policy.approvals, expiresAt: row.expiresAt });
    });
    changed(id, 'pending');
    const whoUnder = (p: ApprovalPolicy) => (p.roles.length || p.operators.length ? [...p.roles, ...p.operators].join(', ') : 'no one yet');
    const who = policies.length === 1 ? whoUnder(policies[0]!) : policies.map((p) => `${p.action}: ${whoUnder(p)}`).join('; and ');
    throw new ConsoleError(
      'approval_required',
      `${guard.action} needs ${policy.approvals} approval${policy.approvals === 1 ? '' : 's'} from another operator (${who}); request ${id} was made and expires at ${row.expiresAt}.`,
      { requestId: id, action: guard.action, required: policy.approvals, expiresAt: row.expiresAt },
    );
  };

  const guardWith = (guard: GuardedCall | null, channel: ChannelName, input: unknown) => {
    if (guard === null) return;
    const policies = policiesOfCall(guard);
    const me = session.require().operator;
    const others = deps.operators.list().filter((o) => o.name !== me && o.name !== guard.concerns);
    switch (guardDecision(policies, others, guard.waivable !== false)) {
      case 'run':
        return;
      case 'pass':
        return; // the service refuses an unapproved call itself (emergency: break-glass)
      case 'waive':
        // No one else could ever approve (a one-person console, or the only admin making a second one): the action
        // runs, and the audit says so, every time (docs/two-person-control.md, "When no one else can approve").
        log('approval.waived', null, 'success', { action: guard.action, channel, reason: 'no_other_approver' });
        return;
      case 'refuse': {
        const names = policies.map((p) => p.action);
        log('approval.request', null, 'failure', { action: guard.action, channel, code: 'forbidden', reason: 'no_approver_under_all', policies: names.join(',') });
        throw new ConsoleError(
          'forbidden',
          `${guard.action} is judged under ${names.join(' and ')}, and no operator other than you is eligible under all of them (each alone names someone): no request was made and nothing was done. Change the policies so that someone is eligible under each (approvals:policies)${guard.waivable === false ? ', or break glass' : ''}.`,
          { needs: 'approver', policies: names.join(',') },
        );
      }
      case 'request':
        makeRequest(guard, channel, input);
    }
  };

  const policyView = (action: ApprovalAction): ApprovalPolicyView => {
    const row = repo.policy(action);
    return { ...policyOf(action), updatedAt: row?.updatedAt ?? null, updatedBy: row?.updatedBy ?? null };
  };

  return {
    require(channel, input) {
      if (!GUARDED_CHANNELS.has(channel)) return;
      const ctx: GuardContext = {
        policyOf,
        rotationPolicy: deps.rotationPolicy ?? (() => null),
        operatorNamed: (name) => deps.operators.get(name)?.name ?? null,
        signedIn: () => session.require().operator,
        operators: () => deps.operators.list(),
      };
      guardWith(classify(channel, input, ctx), channel, input);
    },
    requireFor(action, channel, input) {
      guardWith({ action, policyAction: action }, channel, input);
    },

    list(open, limit) {
      session.require();
      expireDue();
      const requests = repo.requests(open, limit).map(view);
      const awaitingMe = repo.requests(true, 1000).map(view).filter((v) => v.canApprove).length;
      return { requests, awaitingMe };
    },

    approve(requestId) {
      const s = session.require();
      return audited('approval.approve', requestId, { via: 'session' }, () => {
        expireDue();
        const op = deps.operators.get(s.operator);
        if (!op) throw new ConsoleError('not_found', `Operator ${s.operator} no longer exists.`);
        return recordApproval(existing(requestId), s.operator, op.role, 'session', null);
      });
    },

    deny(requestId, reason) {
      const s = session.require();
      return audited('approval.deny', requestId, {}, () => {
        expireDue();
        const r = existing(requestId);
        stillOpen(r);
        const op = deps.operators.get(s.operator);
        if (s.operator !== r.requester && !(op && eligibleUnderAll(policiesOfRequest(r), s.operator, op.role))) {
          throw new ConsoleError('forbidden', `Only the requester or an approver of ${r.action} may deny this request.`, { role: op?.role ?? null, needs: 'approver' });
        }
        deps.transaction(() => {
          repo.setState(r.id, 'denied', { decidedBy: s.operator, reason });
          log('approval.deny', r.id, 'success', { action: r.action, channel: r.channel, withdrawn: s.operator === r.requester });
        });
        changed(r.id, 'denied');
        return view(existing(r.id));
      });
    },

    async execute(requestId, ctx) {
      const s = session.require();
      const r = audited('approval.execute', requestId, {}, () => {
        expireDue();
        const row = existing(requestId);
        stillOpen(row);
        const count = countedVotes(row).length;
        if (count < row.required) {
          throw new ConsoleError('illegal_transition', `Request ${row.id} has ${count} of the ${row.required} approvals it needs; it cannot run yet.`, { approvals: count, required: row.required });
        }
        if (running.has(row.id)) throw new ConsoleError('illegal_transition', `Request ${row.id} is already running.`);
        return row;
      });
      const channel = r.channel as ChannelName;
      let parsed: unknown;
      try {
        const opened = s.keyring.openApprovalInput(r.inputSealed, sealAad(r.id, r.channel, r.inputHash));
        const input = opened === null ? null : contract[channel]?.input.safeParse(parseCanonical(opened.toString('utf8')));
        if (!input?.success || inputHash(input.data) !== r.inputHash) {
          throw new ConsoleError('integrity_failure', `The stored input of request ${r.id} does not match its hash; it was not run.`);
        }
        parsed = input.data;
        deps.access.check(channel, ctx, { parsed });
        notReplacedSince(r, parsed);
      } catch (e) {
        log('approval.execute', r.id, 'failure', { action: r.action, channel, code: isConsoleError(e) ? e.code : 'internal' });
        throw e;
      }
      running.add(r.id);
      try {
        const result = await deps.run(channel, parsed, { ...ctx, approvedRequestId: r.id });
        deps.transaction(() => {
          repo.setState(r.id, 'executed', { executedAt: iso(), executedBy: s.operator });
          log('approval.execute', r.id, 'success', { action: r.action, channel, inputHash: r.inputHash, approvals: countedVotes(r).map((v) => v.approver).join(',') });
        });
        changed(r.id, 'executed');
        return { request: view(existing(r.id)), result };
      } catch (e) {
        // The request stays approved (until it expires): a provider that was down can be tried again.
        log('approval.execute', r.id, 'failure', { action: r.action, channel, code: isConsoleError(e) ? e.code : 'internal' });
        throw e;
      } finally {
        running.delete(r.id);
      }
    },

    policies() {
      session.require();
      return APPROVAL_ACTIONS.map(policyView);
    },

    setPolicy(policy) {
      const s = session.require();
      return audited('approval.set_policy', policy.action, {}, () => {
        const missing = policy.operators.find((name) => deps.operators.get(name) === null);
        if (missing) throw new ConsoleError('not_found', `There is no operator named ${missing}.`, { field: 'policy.operators' });
        const before = policyOf(policy.action);
        deps.transaction(() => {
          repo.savePolicy({ ...policy, updatedAt: iso(), updatedBy: s.operator });
          log('approval.set_policy', policy.action, 'success', { from: canonicalJson(before), to: canonicalJson(policy) });
        });
        changed(null, null);
        return policyView(policy.action);
      });
    },

    exportRequest(requestId) {
      const s = session.require();
      expireDue();
      const r = existing(requestId);
      stillOpen(r);
      const file: RequestFile = { format: REQUEST_FILE_FORMAT, storeId: s.storeId, requestId: r.id, ...asked(r) };
      log('approval.export', r.id, 'success', { action: r.action, channel: r.channel });
      return { fileName: `approval-request-${r.id}.json`, content: `${JSON.stringify(file, null, 2)}\n` };
    },

    importApproval(content) {
      const s = session.require();
      return audited('approval.approve', null, { via: 'file' }, () => {
        const file = readApprovalFile(content);
        expireDue();
        const r = existing(file.requestId);
        const mismatch = ([['storeId', s.storeId], ['channel', r.channel], ['inputHash', r.inputHash], ['expiresAt', r.expiresAt]] as const).find(
          ([field, want]) => file[field] !== want,
        );
        if (mismatch) throw new ConsoleError('integrity_failure', `The approval file's ${mismatch[0]} does not match request ${r.id}; it approves something else.`);
        const op = deps.operators.get(file.approver);
        // A file signed by a key that was removed or replaced is refused by name, whatever is enrolled now.
        const revoked = op ? repo.revokedApprovalKeys(file.approver).find((k) => approvalSignatureValid(file, k.publicSpki)) : undefined;
        if (revoked) {
          const how = revoked.why === 'removed' ? `removed by ${revoked.revokedBy} at ${revoked.revokedAt}${revoked.reason ? ` (${revoked.reason})` : ''}` : `replaced by a new key at ${revoked.revokedAt}`;
          throw new ConsoleError(
            'approval_key_revoked',
            `The approval file is signed with ${file.approver}'s approval key ${revoked.fingerprint.slice(0, 16)}…, which was ${how}; it approves nothing any more. ${file.approver} signs again with their current key, or approves signed in at the console.`,
            { approver: file.approver, fingerprint: revoked.fingerprint, why: revoked.why, revokedAt: revoked.revokedAt, revokedBy: revoked.revokedBy },
          );
        }
        const key = repo.approvalKey(file.approver);
        if (!op || !key) throw new ConsoleError('integrity_failure', `${file.approver} has no enrolled approval key; the file cannot be checked.`);
        // A key enrolled before the operator's row was made belongs to an earlier operator of the same name.
        if (Date.parse(key.enrolledAt) < Date.parse(op.createdAt)) throw new ConsoleError('integrity_failure', `The approval key on record for ${file.approver} predates that operator.`);
        if (!approvalSignatureValid(file, key.publicSpki)) throw new ConsoleError('integrity_failure', `The approval file's signature does not verify with ${file.approver}'s approval key.`);
        return recordApproval(r, file.approver, op.role as OperatorRole, 'file', Buffer.from(file.signature, 'base64'));
      });
    },

    enrolKey(publicKeyPem) {
      const s = session.require();
      return audited('approval.enrol_key', s.operator, {}, () => {
        const { spki, fingerprint } = readApprovalPublicKey(publicKeyPem);
        // A revoked key stays revoked: whoever holds a leaked copy must not get it counted again by enrolling it.
        const revoked = repo.revokedApprovalKey(fingerprint);
        if (revoked) {
          throw new ConsoleError('approval_key_revoked', `This approval key was ${revoked.why} on ${revoked.revokedAt} and cannot be enrolled again; make a new key (approvals keygen).`, {
            field: 'publicKeyPem',
            fingerprint,
            why: revoked.why,
            revokedAt: revoked.revokedAt,
          });
        }
        const owner = repo.approvalKeyOwner(fingerprint);
        // One key, one person: a key already enrolled by someone else would let their signature count as this operator's.
        if (owner !== null && owner !== s.operator) throw new ConsoleError('invalid_input', 'This approval key is already enrolled by another operator; make a key of your own.', { field: 'publicKeyPem' });
        const before = repo.approvalKey(s.operator);
        const replaced = before !== null && before.fingerprint !== fingerprint ? before.fingerprint : null;
        const now = iso();
        deps.transaction(() => {
          // The key it replaces is revoked: a file it signed no longer counts (a leaked key is replaced this way).
          if (replaced !== null) repo.revokeApprovalKey(s.operator, { revokedAt: now, revokedBy: s.operator, why: 'replaced', reason: null });
          repo.saveApprovalKey({ operator: s.operator, publicSpki: spki, fingerprint, enrolledAt: now });
          log('approval.enrol_key', s.operator, 'success', { fingerprint, replaced });
        });
        // The enrolled and revoked key tables (a replaced key moved) follow this push.
        changed(null, null);
        return { operator: s.operator, fingerprint };
      });
    },

    revokeKey(operator, reason) {
      session.require();
      return audited('approval.revoke_key', operator, { reason }, () => {
        const key = repo.approvalKey(operator);
        if (!key) throw new ConsoleError('not_found', `${operator} has no enrolled approval key.`, { field: 'operator' });
        const revokedAt = iso();
        deps.transaction(() => {
          repo.revokeApprovalKey(operator, { revokedAt, revokedBy: session.actor(), why: 'removed', reason });
          log('approval.revoke_key', operator, 'success', { fingerprint: key.fingerprint, reason });
        });
        changed(null, null);
        return { operator, fingerprint: key.fingerprint, revokedAt };
      });
    },

    revokedKeys(query = {}) {
      session.require();
      return keyPage(
        'revoked',
        query,
        (after, limit) => repo.revokedApprovalKeysPage(after && { revokedAt: after.at, fingerprint: after.name }, limit),
        (k) => ({ at: k.revokedAt, name: k.fingerprint }),
        (k) => ({
          operator: k.operator,
          fingerprint: k.fingerprint,
          enrolledAt: k.enrolledAt,
          revokedAt: k.revokedAt,
          revokedBy: k.revokedBy,
          why: k.why,
          reason: k.reason,
        }),
      );
    },

    enrolledKeys(query = {}) {
      session.require();
      // Every row is listed (so a page holds exactly `limit` keys whatever is left over); a key left by a removed
      // operator, or by an earlier operator of the same name, approves nothing and is marked so an admin revokes it.
      const removed = (k: { operator: string; enrolledAt: string }) => {
        const op = deps.operators.get(k.operator);
        return op === null || Date.parse(k.enrolledAt) < Date.parse(op.createdAt);
      };
      return keyPage(
        'keys',
        query,
        (after, limit) => repo.approvalKeysPage(after && { enrolledAt: after.at, operator: after.name }, limit),
        (k) => ({ at: k.enrolledAt, name: k.operator }),
        (k) => ({ operator: k.operator, fingerprint: k.fingerprint, enrolledAt: k.enrolledAt, operatorRemoved: removed(k) }),
      );
    },
  };
}
