// Two-person control's service (electron/services/approvals/approvals.ts), the guard and the calls around a request:
// the text of `approval_required` under one and two policies, who counts as "someone else" for the waiver, the
// classifier's view of operators and rotation policies, list/deny marking expired requests first, withdrawal by a
// requester who approves nothing, and an approved role change or removal refused on a namesake added since. What is
// expected comes from docs/two-person-control.md and docs/operators.md, written out here; the set-up is the shared
// approvals-testkit.ts (a real store and keyring, the operators in a map the test edits).
import { describe, expect, it } from 'vitest';
import type { RequestRow } from '../../electron/store/approvalsRepo.ts';
import type { RotationPolicy } from '../../electron/services/rotation/policy.ts';
import { approvalsSetup, caught, CTX, DAY_LATER, DESTROY, rejected, START } from './approvals-testkit.ts';

const HOUR_LATER = '2026-01-01T01:00:00.000Z';
const CA_REVOKING_RUN = { playbook: 'p', scope: { all: true }, actions: ['revoke_ca'] };

describe('the request text (docs/two-person-control.md, "A request"; "A request under two policies")', () => {
  // [what, ca.revoke's policy (emergency.wide's is the default: security officers and admins, M = 1, one hour), who
  // the message names]. The playbook is judged under both; the message names each policy's approvers.
  const ROWS: Array<[string, { approvals: number; roles: string[]; operators: string[] }, string]> = [
    ['ca.revoke asking none and naming no one', { approvals: 0, roles: [], operators: [] }, 'emergency.wide: security_officer, admin; and ca.revoke: no one yet'],
    ['ca.revoke naming an operator only', { approvals: 1, roles: [], operators: ['dave'] }, 'emergency.wide: security_officer, admin; and ca.revoke: dave'],
    ['ca.revoke naming a role and an operator', { approvals: 1, roles: ['admin'], operators: ['bob'] }, 'emergency.wide: security_officer, admin; and ca.revoke: admin, bob'],
  ];
  for (const [what, caRevoke, names] of ROWS) {
    it(`${what}: "${names}"`, () => {
      const t = approvalsSetup([['alice', 'security_officer'], ['bob', 'security_officer'], ['dave', 'admin']]);
      t.as('dave');
      t.approvals.setPolicy({ action: 'ca.revoke', ...caRevoke, ttlSeconds: 86400 } as never);
      t.as('alice');
      const e = caught(() => t.approvals.require('emergency:execute', CA_REVOKING_RUN));
      const id = (e!.details as { requestId: string }).requestId;
      expect(e).toEqual({
        code: 'approval_required',
        message: `emergency.wide needs 1 approval from another operator (${names}); request ${id} was made and expires at ${HOUR_LATER}.`,
        details: { requestId: id, action: 'emergency.wide', required: 1, expiresAt: HOUR_LATER },
      });
    });
  }

  it('one policy naming operators only: their names, not "no one yet"', () => {
    const t = approvalsSetup();
    t.approvals.setPolicy({ action: 'key.destroy', approvals: 1, roles: [], operators: ['bob'], ttlSeconds: 86400 });
    const e = caught(() => t.approvals.require('keys:setState', DESTROY));
    const id = (e!.details as { requestId: string }).requestId;
    expect(e?.message).toBe(`key.destroy needs 1 approval from another operator (bob); request ${id} was made and expires at ${DAY_LATER}.`);
  });
});

describe('the waiver: who counts as someone else (docs/two-person-control.md, "Adding an approver")', () => {
  it('the operator promoted does not count as someone who could approve their own promotion: waived', () => {
    // operator.admin's policy names bob: bob could approve a promotion of anyone but himself.
    const t = approvalsSetup([['alice', 'admin'], ['bob', 'key_custodian']]);
    t.approvals.setPolicy({ action: 'operator.admin', approvals: 1, roles: ['admin'], operators: ['bob'], ttlSeconds: 86400 });
    t.audit.length = 0;
    expect(caught(() => t.approvals.require('operators:setRole', { name: 'bob', role: 'admin' }))).toBeNull();
    expect(t.audit).toEqual([
      { actor: 'alice', action: 'approval.waived', targetType: 'approval', targetId: null, outcome: 'success', details: { action: 'operator.admin', channel: 'operators:setRole', reason: 'no_other_approver' } },
    ]);
    expect(t.approvals.list(false, 10).requests).toEqual([]);
    // With a third operator who could approve it, the promotion is a request.
    t.ops.set('dave', { name: 'dave', role: 'admin', createdAt: START });
    expect(t.request('alice', { name: 'bob', role: 'admin' }, 'operators:setRole').action).toBe('operator.admin');
  });

});

describe('what the guard reads (docs/two-person-control.md, "Guarded actions", "Lowering a rotation policy")', () => {
  const policy = (p: Partial<RotationPolicy> = {}): RotationPolicy => ({
    mode: 'scheduled', driver: 'console', periodSeconds: 86400, jitterSeconds: 0, usageLimit: 1_000_000, timeZone: 'UTC', maintenanceWindow: null, blackoutWindows: [], ...p,
  });
  const LONGER = { type: 'storage', policy: policy({ periodSeconds: 2 * 86400 }) };

  it('a rotation policy that rotates less than the one in force is a rotation.lower request; the same policy runs', () => {
    const asked: unknown[] = [];
    const t = approvalsSetup(undefined, { rotationPolicy: (target) => (asked.push(target), policy()) });
    expect(t.request('alice', LONGER, 'rotation:setTypePolicy').action).toBe('rotation.lower');
    expect(asked).toEqual([{ type: 'storage' }]);
    expect(caught(() => t.approvals.require('rotation:setTypePolicy', { type: 'storage', policy: policy() }))).toBeNull();
  });

  it('with no rotation policy known (none given to the service), a rotation call is never guarded', () => {
    const t = approvalsSetup();
    expect(caught(() => t.approvals.require('rotation:setTypePolicy', LONGER))).toBeNull();
    expect(caught(() => t.approvals.require('rotation:clearKeyPolicy', { keyId: DESTROY.keyId }))).toBeNull();
    expect(t.audit).toEqual([]);
  });

  it('removing an operator who does not exist, or oneself, makes no request (the handler refuses those)', () => {
    const t = approvalsSetup();
    expect(caught(() => t.approvals.require('operators:remove', { name: 'zed' }))).toBeNull();
    expect(caught(() => t.approvals.require('operators:remove', { name: 'alice' }))).toBeNull();
    expect([t.audit, t.approvals.list(false, 10).requests]).toEqual([[], []]);
    expect(t.request('alice', { name: 'bob' }, 'operators:remove').action).toBe('operator.remove');
  });

  it('demoting oneself runs at once; demoting another approver is operator.demote', () => {
    const t = approvalsSetup();
    t.as('bob');
    expect(caught(() => t.approvals.require('operators:setRole', { name: 'bob', role: 'viewer' }))).toBeNull();
    expect(t.audit).toEqual([]);
    expect(t.request('alice', { name: 'bob', role: 'viewer' }, 'operators:setRole').action).toBe('operator.demote');
  });

});

describe('list (docs/two-person-control.md, "Approving and denying", "Expiry")', () => {
  it('a locked console lists nothing: refused locked, nothing expired', () => {
    const t = approvalsSetup();
    t.request('alice');
    t.f.clock.set(Date.parse(DAY_LATER));
    t.behaviour.locked = true;
    t.audit.length = 0;
    expect(caught(() => t.approvals.list(true, 10))?.code).toBe('locked');
    expect(t.audit).toEqual([]);
  });

  it('listing marks the requests past their expiry as expired first (audited by the system, pushed)', () => {
    const t = approvalsSetup();
    const { requestId } = t.request('alice');
    t.as('bob');
    t.audit.length = 0;
    t.changes.length = 0;
    t.f.clock.set(Date.parse(DAY_LATER));
    expect(t.approvals.list(true, 10)).toEqual({ requests: [], awaitingMe: 0 });
    expect(t.audit).toEqual([
      { actor: 'system', action: 'approval.expire', targetType: 'approval', targetId: requestId, outcome: 'success', details: { action: 'key.destroy', channel: 'keys:setState', approvals: 0, required: 1 } },
    ]);
    expect(t.changes).toEqual([{ requestId, state: 'expired' }]);
  });

  it('awaitingMe counts an open request behind a thousand newer closed ones', () => {
    const t = approvalsSetup();
    const { requestId } = t.request('alice');
    const open = t.repo.request(requestId)!;
    t.f.store.db.transaction(() => {
      for (let i = 0; i < 1000; i += 1) {
        const row: RequestRow = { ...open, id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, createdAt: '2026-01-01T00:00:01.000Z', state: 'denied', decidedBy: 'alice', reason: 'closed' };
        t.repo.insertRequest(row);
      }
    })();
    t.as('bob');
    expect(t.approvals.list(true, 10)).toMatchObject({ awaitingMe: 1, requests: [{ id: requestId, canApprove: true }] });
  });
});

describe('deny (docs/two-person-control.md, "Approving and denying", "Expiry")', () => {
  it('a request past its expiry cannot be denied: marked expired first, refused illegal_transition', () => {
    const t = approvalsSetup();
    const { requestId } = t.request('alice');
    t.f.clock.set(Date.parse(DAY_LATER));
    t.as('bob');
    expect(caught(() => t.approvals.deny(requestId, 'too late'))).toEqual({
      code: 'illegal_transition',
      message: `Approval request ${requestId} is expired; it can no longer be approved, denied or executed. Make the request again.`,
      details: { state: 'expired' },
    });
    expect(t.repo.request(requestId)).toMatchObject({ state: 'expired', decidedBy: null, reason: null });
    expect(t.audit.map((a) => [a.actor, a.action, a.outcome])).toEqual([
      ['alice', 'approval.request', 'success'],
      ['system', 'approval.expire', 'success'],
      ['bob', 'approval.deny', 'failure'],
    ]);
  });

  it('a requester who approves nothing under the policy withdraws their own request', () => {
    // bob, a key custodian, asks for recovery shares (approved by admins only) and withdraws it.
    const t = approvalsSetup();
    t.as('bob');
    const e = caught(() => t.approvals.requireFor('recovery.shares', 'recovery:createShares', { count: 3 }));
    const requestId = (e!.details as { requestId: string }).requestId;
    const v = t.approvals.deny(requestId, 'asked by mistake');
    expect([v.state, v.decidedBy, v.reason]).toEqual(['denied', 'bob', 'asked by mistake']);
    expect(t.audit.at(-1)).toEqual({ actor: 'bob', action: 'approval.deny', targetType: 'approval', targetId: requestId, outcome: 'success', details: { action: 'recovery.shares', channel: 'recovery:createShares', withdrawn: true } });
  });
});

describe('an approved call on an operator runs only on the operator it was approved for ("When no one else can approve")', () => {
  // [what, channel, input, the request's action]
  const ROWS: Array<[string, string, { name: string; role?: string }, string]> = [
    ['a removal', 'operators:remove', { name: 'bob' }, 'operator.remove'],
    ['a promotion', 'operators:setRole', { name: 'bob', role: 'admin' }, 'operator.admin'],
    ['a demotion', 'operators:setRole', { name: 'bob', role: 'viewer' }, 'operator.demote'],
  ];
  for (const [what, channel, input, action] of ROWS) {
    it(`${what} approved for bob is refused when bob was removed and a namesake added since; bob himself is reached`, async () => {
      const t = approvalsSetup();
      const { requestId, action: asked } = t.request('alice', input, channel);
      expect(asked).toBe(action);
      t.as('dave');
      t.approvals.approve(requestId);
      t.f.clock.advance(1000);
      t.ops.set('bob', { name: 'bob', role: 'key_custodian', createdAt: '2026-01-01T00:00:01.000Z' });
      expect(await rejected(t.approvals.execute(requestId, CTX))).toEqual({
        code: 'illegal_transition',
        message: `bob was added after request ${requestId} was made; that request was for the operator of that name before. Make a new request.`,
        details: undefined,
      });
      expect(t.runs).toEqual([]);
      expect(t.audit.at(-1)).toMatchObject({ action: 'approval.execute', outcome: 'failure', details: { code: 'illegal_transition' } });
      // The operator the request was made for (created before it, here at the same millisecond) is reached.
      t.ops.set('bob', { name: 'bob', role: 'key_custodian', createdAt: START });
      await t.approvals.execute(requestId, CTX);
      expect(t.runs).toEqual([[channel, input, { ...CTX, approvedRequestId: requestId }]]);
    });
  }
});
