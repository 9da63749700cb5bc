// Two-person control's service (electron/services/approvals/approvals.ts), the calls around a request that round (ae)
// of docs/mutation-testing.md found unpinned: `canApprove` applying each rule approving does, the sealed input bound
// to its own request, a secret field that holds no text, a service with no push, the locked console, the executed
// request's audit, policy and export refusals, and the key lists (a push on enrolment, the revoked keys' second page,
// a key enrolled the millisecond its operator was added, an unexpected store error audited `internal`). What is
// expected comes from docs/two-person-control.md and docs/operators.md, written out here; the set-up is the shared
// approvals-testkit.ts (a real store and keyring, the operators in a map the test edits).
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { approvalKeyPair, approvalsSetup, caught, CTX, DAY_LATER, DESTROY, rejected, START } from './approvals-testkit.ts';

describe('canApprove applies every rule approving does (docs/two-person-control.md, "Approving and denying")', () => {
  it('an approved request stays approvable by an eligible operator who has not approved it; not by one who has', () => {
    const t = approvalsSetup();
    const { requestId } = t.request('alice');
    t.as('bob');
    expect(t.approvals.approve(requestId).state).toBe('approved');
    expect(t.approvals.list(true, 10)).toMatchObject({ awaitingMe: 0, requests: [{ state: 'approved', canApprove: false }] });
    t.as('dave');
    expect(t.approvals.list(true, 10)).toMatchObject({ awaitingMe: 1, requests: [{ state: 'approved', canApprove: true }] });
    // What the view offered is what approving does: the second approval is recorded.
    expect(t.approvals.approve(requestId).approvals.map((a) => a.approver)).toEqual(['bob', 'dave']);
  });

  it('a signed-in operator who no longer exists may approve nothing: canApprove false, approving refused not_found', () => {
    const t = approvalsSetup();
    const { requestId } = t.request('alice');
    t.as('dave');
    t.ops.delete('dave');
    expect(t.approvals.list(true, 10)).toMatchObject({ awaitingMe: 0, requests: [{ canApprove: false }] });
    expect(caught(() => t.approvals.approve(requestId))).toMatchObject({ code: 'not_found', message: 'Operator dave no longer exists.' });
  });

  // [what, channel, input, action]: the operator named (bob) may approve their removal or demotion (their consent,
  // "Taking an approver away"), approved under operator.remove's policy, which holds key custodians.
  const CONSENT: Array<[string, string, unknown, string]> = [
    ['a removal', 'operators:remove', { name: 'bob' }, 'operator.remove'],
    ['a demotion', 'operators:setRole', { name: 'bob', role: 'viewer' }, 'operator.demote'],
  ];
  for (const [what, channel, input, action] of CONSENT) {
    it(`${what} is its target's to approve (consent): canApprove true, approved`, () => {
      const t = approvalsSetup();
      const { requestId, action: made } = t.request('alice', input, channel);
      expect(made).toBe(action);
      t.as('bob');
      expect(t.approvals.list(true, 10)).toMatchObject({ awaitingMe: 1, requests: [{ action, canApprove: true }] });
      expect(t.approvals.approve(requestId)).toMatchObject({ state: 'approved', approvals: [{ approver: 'bob' }] });
    });
  }

  it('a promotion whose target was removed since still lists and is approvable by another approver', () => {
    const t = approvalsSetup();
    const { requestId } = t.request('alice', { name: 'bob', role: 'admin' }, 'operators:setRole');
    t.ops.delete('bob');
    t.as('dave');
    expect(t.approvals.list(true, 10)).toMatchObject({ awaitingMe: 1, requests: [{ action: 'operator.admin', canApprove: true }] });
    expect(t.approvals.approve(requestId).state).toBe('approved');
  });
});

describe('the stored input (docs/two-person-control.md, "A request", "Executing" step 2)', () => {
  it('an input and hash copied from another request on the same channel do not open: integrity_failure, nothing runs', async () => {
    const t = approvalsSetup();
    const { requestId } = t.request('alice');
    const other = t.request('alice', { ...DESTROY, keyId: '0b0e7b8e-0000-4000-8000-000000000002' });
    t.as('bob');
    t.approvals.approve(requestId);
    // Both the sealed input and its hash: only the seal's AAD (store, request id, channel, hash) tells them apart.
    t.f.store.db
      .prepare('UPDATE approval_requests SET input_sealed = (SELECT input_sealed FROM approval_requests WHERE id = :other), input_hash = (SELECT input_hash FROM approval_requests WHERE id = :other) WHERE id = :id')
      .run({ id: requestId, other: other.requestId });
    expect(await rejected(t.approvals.execute(requestId, CTX))).toEqual({
      code: 'integrity_failure',
      message: `The stored input of request ${requestId} does not match its hash; it was not run.`,
      details: undefined,
    });
    expect([t.runs, t.checks]).toEqual([[], []]);
  });

  it('a secret field holding no text enters the hash as itself (there is nothing to hide); the summary still hides it', () => {
    const t = approvalsSetup();
    const e = caught(() => t.approvals.requireFor('recovery.shares', 'recovery:createShares', { name: 'x', passphrase: null }));
    expect(e?.code).toBe('approval_required');
    const r = t.repo.request((e!.details as { requestId: string }).requestId)!;
    expect([r.inputHash, r.summary]).toEqual([crypto.createHash('sha256').update('{"name":"x","passphrase":null}').digest('hex'), { name: 'x', passphrase: '(hidden)' }]);
  });
});

describe('a service given no push (onChanged is optional)', () => {
  it('requests, approvals, policies and keys still work', async () => {
    const t = approvalsSetup(undefined, { onChanged: undefined });
    const { requestId } = t.request('alice');
    t.as('bob');
    expect(t.approvals.approve(requestId).state).toBe('approved');
    expect((await t.approvals.execute(requestId, CTX)).request.state).toBe('executed');
    t.approvals.enrolKey(approvalKeyPair().pem);
    t.as('alice');
    t.approvals.setPolicy({ action: 'key.destroy', approvals: 2, roles: ['admin'], operators: [], ttlSeconds: 60 });
    expect(t.changes).toEqual([]);
  });
});

describe('a locked console (docs/operators.md: a handler refuses a locked call `locked`)', () => {
  const CALLS: Array<[string, (t: ReturnType<typeof approvalsSetup>) => unknown]> = [
    ['policies', (t) => t.approvals.policies()],
    ['revokeKey', (t) => t.approvals.revokeKey('bob', 'laptop stolen')],
    ['revokedKeys', (t) => t.approvals.revokedKeys()],
    ['enrolledKeys', (t) => t.approvals.enrolledKeys()],
  ];
  for (const [name, call] of CALLS) {
    it(`${name}: refused locked, nothing changed or audited`, () => {
      const t = approvalsSetup();
      t.as('bob');
      const bobKey = approvalKeyPair();
      t.approvals.enrolKey(bobKey.pem);
      t.as('dave');
      t.audit.length = 0;
      t.changes.length = 0;
      t.behaviour.locked = true;
      expect(caught(() => call(t))?.code).toBe('locked');
      expect([t.audit, t.changes]).toEqual([[], []]);
      expect(t.repo.approvalKey('bob')?.fingerprint).toBe(bobKey.fingerprint);
    });
  }
});

describe('execute, policies and export (docs/two-person-control.md, "Executing", "Policies", "Expiry", "Audit")', () => {
  it('the executed record names every approver counted, comma-separated in the order they approved', async () => {
    const t = approvalsSetup([['alice', 'admin'], ['bob', 'key_custodian'], ['dave', 'admin'], ['erin', 'key_custodian']]);
    t.approvals.setPolicy({ action: 'key.destroy', approvals: 2, roles: ['admin', 'key_custodian'], operators: [], ttlSeconds: 3600 });
    const { requestId } = t.request('alice');
    for (const who of ['dave', 'bob']) {
      t.f.clock.advance(1000);
      t.as(who);
      t.approvals.approve(requestId);
    }
    t.as('erin');
    await t.approvals.execute(requestId, CTX);
    expect(t.audit.at(-1)).toMatchObject({ actor: 'erin', action: 'approval.execute', outcome: 'success', details: { approvals: 'dave,bob' } });
  });

  it('a refused policy change is audited as approval.set_policy failing, with its code', () => {
    const t = approvalsSetup();
    t.audit.length = 0;
    expect(caught(() => t.approvals.setPolicy({ action: 'key.destroy', approvals: 1, roles: [], operators: ['zed'], ttlSeconds: 60 }))?.code).toBe('not_found');
    expect(t.audit).toEqual([{ actor: 'alice', action: 'approval.set_policy', targetType: 'approval', targetId: 'key.destroy', outcome: 'failure', details: { code: 'not_found' } }]);
    expect(t.changes).toEqual([]);
  });

  it('exporting a request past its expiry marks it expired first (by the system) and is refused: no file', () => {
    const t = approvalsSetup();
    const { requestId } = t.request('alice');
    t.audit.length = 0;
    t.f.clock.set(Date.parse(DAY_LATER));
    expect(caught(() => t.approvals.exportRequest(requestId))).toEqual({
      code: 'illegal_transition',
      message: `Approval request ${requestId} is expired; it can no longer be approved, denied or executed. Make the request again.`,
      details: { state: 'expired' },
    });
    expect(t.audit.map((a) => [a.actor, a.action])).toEqual([['system', 'approval.expire']]);
  });
});

describe('the approval keys (docs/two-person-control.md, "Revoking an approval key", "Who has an approval key", "Paging the key lists", "Push event")', () => {
  it('enrolling a key pushes approvals:changed with no request; a refused enrolment pushes nothing', () => {
    const t = approvalsSetup();
    t.as('bob');
    const key = approvalKeyPair();
    t.approvals.enrolKey(key.pem);
    expect(t.changes).toEqual([{ requestId: null, state: null }]);
    t.as('dave');
    expect(caught(() => t.approvals.enrolKey(key.pem))?.code).toBe('invalid_input');
    expect(t.changes).toEqual([{ requestId: null, state: null }]);
  });

  it('the revoked keys page by their cursor: newest revocation first, the next page after the last one shown', () => {
    const t = approvalsSetup();
    const fingerprints: Record<string, string> = {};
    for (const who of ['alice', 'bob', 'dave']) {
      t.as(who);
      const k = approvalKeyPair();
      t.approvals.enrolKey(k.pem);
      fingerprints[who] = k.fingerprint;
    }
    t.as('alice');
    for (const who of ['bob', 'dave', 'alice']) {
      t.f.clock.advance(1000);
      t.approvals.revokeKey(who, `${who} left`);
    }
    const first = t.approvals.revokedKeys({ limit: 2 });
    expect(first.keys.map((k) => [k.operator, k.revokedAt])).toEqual([['alice', '2026-01-01T00:00:03.000Z'], ['dave', '2026-01-01T00:00:02.000Z']]);
    expect(first.nextCursor).not.toBeNull();
    expect(t.approvals.revokedKeys({ limit: 2, cursor: first.nextCursor! })).toEqual({
      keys: [{ operator: 'bob', fingerprint: fingerprints.bob, enrolledAt: START, revokedAt: '2026-01-01T00:00:01.000Z', revokedBy: 'alice', why: 'removed', reason: 'bob left' }],
      nextCursor: null,
    });
    // A cursor of the revoked keys' list is not one of the enrolled keys' list.
    expect(caught(() => t.approvals.enrolledKeys({ cursor: first.nextCursor! }))).toMatchObject({
      code: 'invalid_input',
      message: "cursor was made for the revoked keys' list, not this one; start again from the first page.",
    });
  });

  it('a key enrolled the millisecond its operator was added is theirs (operatorRemoved false); one before is not', () => {
    const t = approvalsSetup();
    t.as('bob');
    t.approvals.enrolKey(approvalKeyPair().pem);
    expect(t.approvals.enrolledKeys().keys).toMatchObject([{ operator: 'bob', enrolledAt: START, operatorRemoved: false }]);
    t.ops.set('bob', { name: 'bob', role: 'key_custodian', createdAt: '2026-01-01T00:00:00.001Z' });
    expect(t.approvals.enrolledKeys().keys).toMatchObject([{ operator: 'bob', operatorRemoved: true }]);
  });

  it('a revocation the store fails to record is audited internal, and the key stays enrolled', () => {
    const t = approvalsSetup();
    t.as('bob');
    const key = approvalKeyPair();
    t.approvals.enrolKey(key.pem);
    t.f.store.db.exec("CREATE TRIGGER fail_revocation BEFORE INSERT ON approval_keys_revoked BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    t.as('dave');
    t.audit.length = 0;
    t.changes.length = 0;
    expect(caught(() => t.approvals.revokeKey('bob', 'laptop stolen'))?.message).toContain('disk full');
    expect(t.audit).toEqual([{ actor: 'dave', action: 'approval.revoke_key', targetType: 'approval', targetId: 'bob', outcome: 'failure', details: { reason: 'laptop stolen', code: 'internal' } }]);
    expect([t.changes, t.repo.approvalKey('bob')?.fingerprint]).toEqual([[], key.fingerprint]);
  });
});
