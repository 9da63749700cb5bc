// Two-person control's service (electron/services/approvals/approvals.ts) in-process: a real store database and
// keyring (the request's input sealed and hashed for real), real Ed25519 approval keys and files, a manual clock, and
// recording stand-ins for the audit log, the access gate and the channel the approved input runs on. What is expected
// comes from docs/two-person-control.md and is written out here: the request and its refusal text, M of N, the
// requester never approving, one approval per operator, expiry at the stated time, deny and withdraw, execute running
// the stored input only (tampering refused), the waiver, approval files bound to store, channel, hash and expiry, a
// revoked key refused `approval_key_revoked`, and enrolment rules.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signApproval, readRequestFile } from '../../electron/services/approvals/approvalFile.ts';
import { approvalKeyPair, approvalsSetup as setup, type ApprovalsSetup, caught, CTX, DAY_LATER, DESTROY, DESTROY_ASKED, DESTROY_HASH, rejected, START } from './approvals-testkit.ts';

describe('the guard', () => {
  it('a guarded call stores a request, audits it, pushes it and refuses with its id and the documented text', () => {
    const t = setup();
    t.as('alice');
    const e = caught(() => t.approvals.require('keys:setState', DESTROY));
    const id = (e?.details as { requestId: string }).requestId;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(e).toEqual({
      code: 'approval_required',
      message: `key.destroy needs 1 approval from another operator (key_custodian, admin); request ${id} was made and expires at ${DAY_LATER}.`,
      details: { requestId: id, action: 'key.destroy', required: 1, expiresAt: DAY_LATER },
    });
    expect(t.audit).toEqual([
      { actor: 'alice', action: 'approval.request', targetType: 'approval', targetId: id, outcome: 'success', details: { action: 'key.destroy', channel: 'keys:setState', inputHash: DESTROY_HASH, required: 1, expiresAt: DAY_LATER } },
    ]);
    expect(t.changes).toEqual([{ requestId: id, state: 'pending' }]);
    t.as('bob');
    const [view] = t.approvals.list(true, 10).requests;
    expect(view).toEqual({
      id,
      ...DESTROY_ASKED,
      state: 'pending',
      approvals: [],
      decidedBy: null,
      reason: null,
      executedAt: null,
      executedBy: null,
      canApprove: true,
    });
  });

  it('two approvals asked: the plural, and the policy\'s life', () => {
    const t = setup();
    t.as('alice');
    t.approvals.setPolicy({ action: 'key.destroy', approvals: 2, roles: ['admin', 'key_custodian'], operators: ['carol'], ttlSeconds: 60 });
    const e = caught(() => t.approvals.require('keys:setState', DESTROY));
    const id = (e?.details as { requestId: string }).requestId;
    expect(e?.message).toBe(`key.destroy needs 2 approvals from another operator (admin, key_custodian, carol); request ${id} was made and expires at 2026-01-01T00:01:00.000Z.`);
  });

  it('a channel or a state that is not guarded runs at once, with nothing stored or audited', () => {
    const t = setup();
    t.approvals.require('keys:setState', { ...DESTROY, state: 'suspended' });
    t.approvals.require('keys:list' as never, {});
    expect([t.audit, t.changes, t.approvals.list(false, 10).requests]).toEqual([[], [], []]);
  });

  it('a policy asking no approval runs at once, not audited as waived', () => {
    const t = setup();
    t.approvals.setPolicy({ action: 'key.destroy', approvals: 0, roles: ['admin'], operators: [], ttlSeconds: 60 });
    t.audit.length = 0;
    t.approvals.require('keys:setState', DESTROY);
    expect([t.audit, t.approvals.list(false, 10).requests]).toEqual([[], []]);
  });

  it('no one else eligible: waived and audited each time, no request', () => {
    const t = setup([['alice', 'admin'], ['carol', 'viewer']]);
    t.approvals.require('keys:setState', DESTROY);
    t.approvals.require('keys:setState', DESTROY);
    const waived = { actor: 'alice', action: 'approval.waived', targetType: 'approval', targetId: null, outcome: 'success', details: { action: 'key.destroy', channel: 'keys:setState', reason: 'no_other_approver' } };
    expect(t.audit).toEqual([waived, waived]);
    expect(t.approvals.list(false, 10).requests).toEqual([]);
  });

  it('requireFor: the named action\'s policy applies', () => {
    const t = setup();
    t.as('bob');
    const e = caught(() => t.approvals.requireFor('recovery.shares', 'recovery:createShares', { count: 3 }));
    const id = (e?.details as { requestId: string }).requestId;
    expect(e?.message).toBe(`recovery.shares needs 1 approval from another operator (admin); request ${id} was made and expires at ${DAY_LATER}.`);
  });

  it('secret fields are hidden in the summary and hashed through the store\'s HMAC key', () => {
    const t = setup();
    const input = { name: 'erin', role: 'admin', passphrase: 'erin passphrase 1' };
    const { requestId } = t.request('alice', input, 'operators:add');
    const mac = t.f.keyring().macApprovalSecret(Buffer.from('erin passphrase 1', 'utf8')).toString('hex');
    const hash = crypto.createHash('sha256').update(`{"name":"erin","passphrase":{"$secret":"${mac}"},"role":"admin"}`).digest('hex');
    const r = t.repo.request(requestId)!;
    expect([r.summary, r.inputHash, r.action]).toEqual([{ name: 'erin', role: 'admin', passphrase: '(hidden)' }, hash, 'operator.admin']);
  });

  it('nested fields are summarised as a.b, long values cut at 200 characters, undefined left out', () => {
    const t = setup();
    const policy = { action: 'key.destroy', approvals: 0, roles: ['admin'], operators: [], ttlSeconds: 60 };
    const { requestId } = t.request('alice', { policy, note: undefined }, 'approvals:setPolicy');
    expect(t.repo.request(requestId)!.summary).toEqual({
      'policy.action': 'key.destroy',
      'policy.approvals': '0',
      'policy.roles': '["admin"]',
      'policy.operators': '[]',
      'policy.ttlSeconds': '60',
    });
    const long = 'x'.repeat(250);
    const second = t.request('alice', { ...DESTROY, reason: long });
    expect(t.repo.request(second.requestId)!.summary.reason).toBe('x'.repeat(200));
  });
});

describe('approving', () => {
  it('one approval of one asked: approved, audited with the count, pushed; the approver cannot approve again', () => {
    const t = setup();
    const { requestId } = t.request('alice');
    t.audit.length = 0;
    t.changes.length = 0;
    t.f.clock.advance(1000);
    t.as('bob');
    const v = t.approvals.approve(requestId);
    expect([v.state, v.approvals, v.canApprove]).toEqual(['approved', [{ approver: 'bob', at: '2026-01-01T00:00:01.000Z', via: 'session' }], false]);
    expect(t.audit).toEqual([
      { actor: 'bob', action: 'approval.approve', targetType: 'approval', targetId: requestId, outcome: 'success', details: { action: 'key.destroy', channel: 'keys:setState', inputHash: DESTROY_HASH, approver: 'bob', via: 'session', approvals: 1, required: 1 } },
    ]);
    expect(t.changes).toEqual([{ requestId, state: 'approved' }]);
    expect(caught(() => t.approvals.approve(requestId))).toEqual({
      code: 'illegal_transition',
      message: `bob already approved request ${requestId}; an operator's approval counts once.`,
      details: undefined,
    });
    expect(t.audit.at(-1)).toEqual({ actor: 'bob', action: 'approval.approve', targetType: 'approval', targetId: requestId, outcome: 'failure', details: { via: 'session', code: 'illegal_transition' } });
  });

  it('M of N: pending until the M-th approval, execute refused with the count before', async () => {
    const t = setup([['alice', 'admin'], ['bob', 'key_custodian'], ['dave', 'admin'], ['erin', 'key_custodian']]);
    t.as('alice');
    t.approvals.setPolicy({ action: 'key.destroy', approvals: 2, roles: ['admin', 'key_custodian'], operators: [], ttlSeconds: 3600 });
    const { requestId } = t.request('alice');
    t.changes.length = 0;
    t.as('bob');
    expect(t.approvals.approve(requestId).state).toBe('pending');
    expect(t.audit.at(-1)!.details).toMatchObject({ approvals: 1, required: 2 });
    expect(await rejected(t.approvals.execute(requestId, CTX))).toEqual({
      code: 'illegal_transition',
      message: `Request ${requestId} has 1 of the 2 approvals it needs; it cannot run yet.`,
      details: { approvals: 1, required: 2 },
    });
    expect(t.audit.at(-1)).toMatchObject({ action: 'approval.execute', outcome: 'failure', details: { code: 'illegal_transition' } });
    t.as('dave');
    expect(t.approvals.approve(requestId).state).toBe('approved');
    t.as('erin');
    // A third approval on an approved request is recorded; the state stays approved.
    const v = t.approvals.approve(requestId);
    expect([v.state, v.approvals.map((a) => a.approver)]).toEqual(['approved', ['bob', 'dave', 'erin']]);
    expect(t.changes).toEqual([
      { requestId, state: 'pending' },
      { requestId, state: 'approved' },
      { requestId, state: 'approved' },
    ]);
    expect(t.runs).toEqual([]);
  });

  it('the requester cannot approve their own request', () => {
    const t = setup();
    const { requestId } = t.request('alice');
    t.audit.length = 0;
    expect(caught(() => t.approvals.approve(requestId))).toEqual({ code: 'illegal_transition', message: 'The requester cannot approve their own request; another operator must.', details: undefined });
    expect(t.audit).toEqual([{ actor: 'alice', action: 'approval.approve', targetType: 'approval', targetId: requestId, outcome: 'failure', details: { via: 'session', code: 'illegal_transition' } }]);
    expect(t.repo.votes(requestId)).toEqual([]);
    expect(t.approvals.list(true, 10).requests[0]!.canApprove).toBe(false);
  });

  it('an operator outside the policy is refused forbidden; unknown requests and operators not_found', () => {
    const t = setup();
    const { requestId } = t.request('alice');
    t.as('carol');
    expect(caught(() => t.approvals.approve(requestId))).toEqual({
      code: 'forbidden',
      message: 'carol is not among the approvers of key.destroy (approvals:policies).',
      details: { role: 'viewer', needs: 'approver' },
    });
    expect(t.approvals.list(true, 10)).toMatchObject({ awaitingMe: 0, requests: [{ canApprove: false }] });
    const missing = '99999999-0000-4000-8000-000000000000';
    expect(caught(() => t.approvals.approve(missing))).toEqual({ code: 'not_found', message: `There is no approval request ${missing}.`, details: { field: 'requestId' } });
    t.ops.delete('carol');
    expect(caught(() => t.approvals.approve(requestId))).toEqual({ code: 'not_found', message: 'Operator carol no longer exists.', details: undefined });
  });

  it('a request judged under two policies names both when the approver is not eligible under each', () => {
    const t = setup([['alice', 'security_officer'], ['bob', 'security_officer'], ['dave', 'admin']]);
    t.as('dave');
    t.approvals.setPolicy({ action: 'ca.revoke', approvals: 1, roles: ['admin'], operators: [], ttlSeconds: 3600 });
    const input = { playbook: 'p', scope: { all: true }, actions: ['revoke_ca'] };
    t.as('alice');
    const e = caught(() => t.approvals.require('emergency:execute', input));
    expect(e?.code).toBe('approval_required');
    t.as('bob');
    expect(caught(() => t.approvals.approve((e!.details as { requestId: string }).requestId))?.message).toBe(
      'bob is not among the approvers of emergency.wide (it is judged under emergency.wide and ca.revoke: an approver must be eligible under each) (approvals:policies).',
    );
  });

  it('awaitingMe counts the open requests the signed-in operator may approve', () => {
    const t = setup();
    t.request('alice');
    t.request('alice');
    t.request('bob');
    t.as('dave');
    expect(t.approvals.list(true, 10).awaitingMe).toBe(3);
    t.as('bob');
    expect(t.approvals.list(true, 10).awaitingMe).toBe(2);
    expect(t.approvals.list(true, 1).requests).toHaveLength(1);
  });
});

describe('expiry', () => {
  it('a request expires at its expiry time, not a millisecond before; marked by the system, audited, pushed', () => {
    const t = setup();
    const { requestId } = t.request('alice');
    t.audit.length = 0;
    t.changes.length = 0;
    t.as('bob');
    t.f.clock.set(Date.parse(DAY_LATER) - 1);
    expect(t.approvals.list(true, 10).requests.map((r) => r.state)).toEqual(['pending']);
    t.f.clock.set(Date.parse(DAY_LATER));
    expect(caught(() => t.approvals.approve(requestId))).toEqual({
      code: 'illegal_transition',
      message: `Approval request ${requestId} is expired; it can no longer be approved, denied or executed. Make the request again.`,
      details: { state: 'expired' },
    });
    expect(t.audit[0]).toEqual({ actor: 'system', action: 'approval.expire', targetType: 'approval', targetId: requestId, outcome: 'success', details: { action: 'key.destroy', channel: 'keys:setState', approvals: 0, required: 1 } });
    expect(t.changes).toEqual([{ requestId, state: 'expired' }]);
    expect(t.approvals.list(true, 10).requests).toEqual([]);
    expect(t.approvals.list(false, 10).requests[0]).toMatchObject({ state: 'expired', canApprove: false });
  });

  it('an approved request expires too and never runs', async () => {
    const t = setup();
    const { requestId } = t.request('alice');
    t.as('bob');
    t.approvals.approve(requestId);
    t.f.clock.advance(24 * 3600 * 1000);
    expect((await rejected(t.approvals.execute(requestId, CTX)))?.details).toEqual({ state: 'expired' });
    expect(t.audit.find((a) => a.action === 'approval.expire')!.details).toMatchObject({ approvals: 1 });
    expect(t.runs).toEqual([]);
  });
});

describe('deny', () => {
  it('the requester withdraws; an approver denies; anyone else is refused; a denied request is closed', () => {
    const t = setup();
    const a = t.request('alice');
    const b = t.request('alice');
    t.audit.length = 0;
    t.changes.length = 0;
    const v = t.approvals.deny(a.requestId, 'changed my mind');
    expect([v.state, v.decidedBy, v.reason]).toEqual(['denied', 'alice', 'changed my mind']);
    expect(t.audit).toEqual([{ actor: 'alice', action: 'approval.deny', targetType: 'approval', targetId: a.requestId, outcome: 'success', details: { action: 'key.destroy', channel: 'keys:setState', withdrawn: true } }]);
    expect(t.changes).toEqual([{ requestId: a.requestId, state: 'denied' }]);
    t.as('carol');
    expect(caught(() => t.approvals.deny(b.requestId, 'no'))).toEqual({
      code: 'forbidden',
      message: 'Only the requester or an approver of key.destroy may deny this request.',
      details: { role: 'viewer', needs: 'approver' },
    });
    expect(t.audit.at(-1)).toEqual({ actor: 'carol', action: 'approval.deny', targetType: 'approval', targetId: b.requestId, outcome: 'failure', details: { code: 'forbidden' } });
    t.ops.delete('carol');
    expect(caught(() => t.approvals.deny(b.requestId, 'no'))?.details).toEqual({ role: null, needs: 'approver' });
    t.as('bob');
    expect(t.approvals.deny(b.requestId, 'not this key').decidedBy).toBe('bob');
    expect(t.audit.at(-1)!.details).toEqual({ action: 'key.destroy', channel: 'keys:setState', withdrawn: false });
    expect(caught(() => t.approvals.approve(b.requestId))?.message).toBe(`Approval request ${b.requestId} is denied; it can no longer be approved, denied or executed. Make the request again.`);
    expect(caught(() => t.approvals.deny(b.requestId, 'again'))?.code).toBe('illegal_transition');
  });
});

describe('execute', () => {
  it('runs the stored input on its channel after the access check, once; executed, audited, pushed', async () => {
    const t = setup();
    const { requestId } = t.request('alice');
    t.as('bob');
    t.approvals.approve(requestId);
    t.audit.length = 0;
    t.changes.length = 0;
    t.f.clock.advance(5000);
    t.as('dave');
    const out = await t.approvals.execute(requestId, CTX);
    expect(t.checks).toEqual([['keys:setState', CTX, { parsed: DESTROY }]]);
    expect(t.runs).toEqual([['keys:setState', DESTROY, { ...CTX, approvedRequestId: requestId }]]);
    expect(out.result).toEqual({ ran: 'keys:setState' });
    expect(out.request).toMatchObject({ state: 'executed', executedAt: '2026-01-01T00:00:05.000Z', executedBy: 'dave' });
    expect(t.audit).toEqual([
      { actor: 'dave', action: 'approval.execute', targetType: 'approval', targetId: requestId, outcome: 'success', details: { action: 'key.destroy', channel: 'keys:setState', inputHash: DESTROY_HASH, approvals: 'bob' } },
    ]);
    expect(t.changes).toEqual([{ requestId, state: 'executed' }]);
    expect((await rejected(t.approvals.execute(requestId, CTX)))?.message).toBe(`Approval request ${requestId} is executed; it can no longer be approved, denied or executed. Make the request again.`);
    expect(t.runs).toHaveLength(1);
  });

  it('the approvals counted at execution are those of operators who still exist and are not the requester', async () => {
    const t = setup();
    const { requestId } = t.request('alice');
    t.as('bob');
    t.approvals.approve(requestId);
    t.ops.delete('bob');
    t.as('dave');
    expect((await rejected(t.approvals.execute(requestId, CTX)))?.details).toEqual({ approvals: 0, required: 1 });
    t.approvals.approve(requestId);
    await t.approvals.execute(requestId, CTX);
    expect(t.audit.at(-1)!.details.approvals).toBe('dave');
  });

  it('a failing run leaves the request approved, audited with its code, and it runs again later', async () => {
    const t = setup();
    const { requestId } = t.request('alice');
    t.as('bob');
    t.approvals.approve(requestId);
    t.behaviour.fail = Object.assign(new Error('down'), { code: 'provider_unavailable' });
    expect(await rejected(t.approvals.execute(requestId, CTX))).toMatchObject({ message: 'down' });
    expect(t.audit.at(-1)).toMatchObject({ action: 'approval.execute', outcome: 'failure', details: { action: 'key.destroy', channel: 'keys:setState', code: 'internal' } });
    expect(t.repo.request(requestId)!.state).toBe('approved');
    t.behaviour.fail = null;
    expect((await t.approvals.execute(requestId, CTX)).request.state).toBe('executed');
  });

  it('the access check refusing: not run, audited with its code', async () => {
    const t = setup();
    const { requestId } = t.request('alice');
    t.as('bob');
    t.approvals.approve(requestId);
    const { ConsoleError } = await import('../../shared/errors.ts');
    t.behaviour.deny = new ConsoleError('forbidden', 'no');
    expect((await rejected(t.approvals.execute(requestId, CTX)))?.code).toBe('forbidden');
    expect(t.runs).toEqual([]);
    expect(t.audit.at(-1)).toEqual({ actor: 'bob', action: 'approval.execute', targetType: 'approval', targetId: requestId, outcome: 'failure', details: { action: 'key.destroy', channel: 'keys:setState', code: 'forbidden' } });
  });

  it('a second execute while the first runs is refused', async () => {
    const t = setup();
    const { requestId } = t.request('alice');
    t.as('bob');
    t.approvals.approve(requestId);
    let release!: () => void;
    t.behaviour.hold = new Promise((r) => (release = r));
    const first = t.approvals.execute(requestId, CTX);
    expect(await rejected(t.approvals.execute(requestId, CTX))).toEqual({ code: 'illegal_transition', message: `Request ${requestId} is already running.`, details: undefined });
    release();
    await first;
    expect(t.runs).toHaveLength(1);
  });

  it('an input the channel would read differently from what was hashed is not run (a reason with a trailing space)', async () => {
    const t = setup();
    const { requestId } = t.request('alice', { ...DESTROY, reason: 'worn out ' });
    t.as('bob');
    t.approvals.approve(requestId);
    expect((await rejected(t.approvals.execute(requestId, CTX)))?.code).toBe('integrity_failure');
    expect(t.runs).toEqual([]);
  });

  it('a request on a channel the contract does not know is not run: integrity_failure', async () => {
    const t = setup();
    t.as('alice');
    const e = caught(() => t.approvals.requireFor('recovery.shares', 'recovery:unknown' as never, { count: 3 }));
    const requestId = (e!.details as { requestId: string }).requestId;
    t.as('dave');
    t.approvals.approve(requestId);
    expect(await rejected(t.approvals.execute(requestId, CTX))).toMatchObject({ code: 'integrity_failure' });
  });

  it('a vote stored for the requester (written into the store) does not count', async () => {
    const t = setup();
    const { requestId } = t.request('alice');
    t.repo.addVote(requestId, { approver: 'alice', approvedAt: START, via: 'session' }, null);
    t.as('dave');
    expect((await rejected(t.approvals.execute(requestId, CTX)))?.details).toEqual({ approvals: 0, required: 1 });
  });

  it('an access check failing with a plain error is audited as internal', async () => {
    const t = setup();
    const { requestId } = t.request('alice');
    t.as('bob');
    t.approvals.approve(requestId);
    t.behaviour.deny = new Error('boom');
    expect((await rejected(t.approvals.execute(requestId, CTX)))?.message).toBe('boom');
    expect(t.audit.at(-1)!.details).toEqual({ action: 'key.destroy', channel: 'keys:setState', code: 'internal' });
  });

  const TAMPER: Array<[string, string]> = [
    ['the stored input changed', `UPDATE approval_requests SET input_sealed = (SELECT input_sealed FROM approval_requests WHERE id = :other) WHERE id = :id`],
    ['the stored hash changed', `UPDATE approval_requests SET input_hash = '${'0'.repeat(64)}' WHERE id = :id`],
    ['the channel changed', `UPDATE approval_requests SET channel = 'keys:import' WHERE id = :id`],
  ];
  for (const [what, sql] of TAMPER) {
    it(`${what}: integrity_failure, nothing runs`, async () => {
      const t = setup();
      const { requestId } = t.request('alice');
      const other = t.request('alice', { ...DESTROY, keyId: '0b0e7b8e-0000-4000-8000-000000000002' });
      t.as('bob');
      t.approvals.approve(requestId);
      t.f.store.db.prepare(sql).run({ id: requestId, other: other.requestId });
      expect(await rejected(t.approvals.execute(requestId, CTX))).toEqual({
        code: 'integrity_failure',
        message: `The stored input of request ${requestId} does not match its hash; it was not run.`,
        details: undefined,
      });
      expect([t.runs, t.checks]).toEqual([[], []]);
      expect(t.audit.at(-1)).toMatchObject({ action: 'approval.execute', outcome: 'failure', details: { code: 'integrity_failure' } });
    });
  }
});

describe('policies and export', () => {
  it('setPolicy: an unknown operator named is refused; a change is audited from and to, and pushed', () => {
    const t = setup();
    expect(caught(() => t.approvals.setPolicy({ action: 'key.destroy', approvals: 1, roles: [], operators: ['bob', 'zed'], ttlSeconds: 60 }))).toEqual({
      code: 'not_found',
      message: 'There is no operator named zed.',
      details: { field: 'policy.operators' },
    });
    t.audit.length = 0;
    const next = { action: 'key.destroy' as const, approvals: 2, roles: ['admin' as const], operators: ['bob'], ttlSeconds: 60 };
    const v = t.approvals.setPolicy(next);
    expect(v).toEqual({ ...next, updatedAt: START, updatedBy: 'alice' });
    expect(t.audit).toEqual([
      {
        actor: 'alice',
        action: 'approval.set_policy',
        targetType: 'approval',
        targetId: 'key.destroy',
        outcome: 'success',
        details: {
          from: '{"action":"key.destroy","approvals":1,"operators":[],"roles":["key_custodian","admin"],"ttlSeconds":86400}',
          to: '{"action":"key.destroy","approvals":2,"operators":["bob"],"roles":["admin"],"ttlSeconds":60}',
        },
      },
    ]);
    expect(t.changes).toEqual([{ requestId: null, state: null }]);
    expect(t.approvals.policies().find((p) => p.action === 'key.destroy')).toEqual(v);
    expect(t.approvals.policies().find((p) => p.action === 'ca.revoke')).toMatchObject({ updatedAt: null, updatedBy: null });
  });

  it('exportRequest writes the request file of the docs; a closed request is not exported', () => {
    const t = setup();
    const { requestId } = t.request('alice');
    const out = t.approvals.exportRequest(requestId);
    expect(out.fileName).toBe(`approval-request-${requestId}.json`);
    const expected = {
      format: 'ecps-approval-request/v1',
      storeId: t.f.storeId,
      requestId,
      ...DESTROY_ASKED,
    };
    expect(out.content).toBe(`${JSON.stringify(expected, null, 2)}\n`);
    expect(t.audit.at(-1)).toEqual({ actor: 'alice', action: 'approval.export', targetType: 'approval', targetId: requestId, outcome: 'success', details: { action: 'key.destroy', channel: 'keys:setState' } });
    t.approvals.deny(requestId, 'x');
    expect(caught(() => t.approvals.exportRequest(requestId))?.code).toBe('illegal_transition');
  });
});

describe('who a request concerns (docs/two-person-control.md: promotions, removals, lowering a policy)', () => {
  it('a promotion is not its target\'s to approve; another approver\'s is', () => {
    const t = setup();
    const { requestId, action } = t.request('alice', { name: 'bob', role: 'admin' }, 'operators:setRole');
    expect(action).toBe('operator.admin');
    t.as('bob');
    expect(t.approvals.list(true, 10).requests[0]!.canApprove).toBe(false);
    expect(caught(() => t.approvals.approve(requestId))).toEqual({ code: 'illegal_transition', message: 'bob cannot approve their own new role; another operator must.', details: undefined });
    t.as('dave');
    expect(t.approvals.list(true, 10).requests[0]!.canApprove).toBe(true);
    expect(t.approvals.approve(requestId).state).toBe('approved');
  });

  it('lowering a policy is approved under the policy it lowers (its summary names it)', () => {
    const t = setup();
    const lowered = { action: 'key.destroy', approvals: 0, roles: ['key_custodian', 'admin'], operators: [], ttlSeconds: 86400 };
    const { requestId, action } = t.request('alice', { policy: lowered }, 'approvals:setPolicy');
    expect(action).toBe('approval.lower');
    // bob, a key custodian, approves key.destroy's policy though not operator.admin's.
    t.as('bob');
    expect(t.approvals.approve(requestId).state).toBe('approved');
    const other = t.request('alice', { policy: lowered }, 'approvals:setPolicy');
    t.as('carol');
    expect(caught(() => t.approvals.approve(other.requestId))?.message).toBe('carol is not among the approvers of approval.lower (approvals:policies).');
  });

  it('a lowering request whose summary names no action is judged under operator.admin (admins only)', () => {
    const t = setup();
    const lowered = { action: 'key.destroy', approvals: 0, roles: ['key_custodian', 'admin'], operators: [], ttlSeconds: 86400 };
    const { requestId } = t.request('alice', { policy: lowered }, 'approvals:setPolicy');
    t.f.store.db.prepare(`UPDATE approval_requests SET summary = '{"policy.action":"nothing"}' WHERE id = ?`).run(requestId);
    t.as('bob');
    expect(caught(() => t.approvals.approve(requestId))?.code).toBe('forbidden');
    t.as('dave');
    expect(t.approvals.approve(requestId).state).toBe('approved');
  });

  it('a call judged under two policies with no one eligible under both is refused, audited, no request', () => {
    const t = setup([['alice', 'security_officer'], ['bob', 'security_officer'], ['dave', 'admin']]);
    t.as('dave');
    // ca.revoke: dave only; emergency.wide: security officers only. Each has someone, no one has both.
    t.approvals.setPolicy({ action: 'ca.revoke', approvals: 1, roles: ['admin'], operators: [], ttlSeconds: 3600 });
    t.approvals.setPolicy({ action: 'emergency.wide', approvals: 1, roles: ['security_officer'], operators: [], ttlSeconds: 3600 });
    t.as('alice');
    t.audit.length = 0;
    expect(caught(() => t.approvals.require('emergency:execute', { playbook: 'p', scope: { all: true }, actions: ['revoke_ca'] }))).toEqual({
      code: 'forbidden',
      message:
        'emergency.wide is judged under emergency.wide and ca.revoke, and no operator other than you is eligible under all of them (each alone names someone): no request was made and nothing was done. Change the policies so that someone is eligible under each (approvals:policies), or break glass.',
      details: { needs: 'approver', policies: 'emergency.wide,ca.revoke' },
    });
    expect(t.audit).toEqual([
      { actor: 'alice', action: 'approval.request', targetType: 'approval', targetId: null, outcome: 'failure', details: { action: 'emergency.wide', channel: 'emergency:execute', code: 'forbidden', reason: 'no_approver_under_all', policies: 'emergency.wide,ca.revoke' } },
    ]);
    expect(t.approvals.list(false, 10).requests).toEqual([]);
  });

  it('an emergency with no other officer is passed on unapproved (break-glass is the service\'s), not waived', () => {
    const t = setup([['alice', 'security_officer'], ['carol', 'viewer']]);
    t.approvals.require('emergency:execute', { playbook: 'p', scope: { all: true }, actions: ['quarantine'] });
    expect([t.audit, t.approvals.list(false, 10).requests]).toEqual([[], []]);
  });

  it('the summary of inputs that are not objects: the whole input, arrays and bytes as canonical JSON', () => {
    const t = setup();
    const a = caught(() => t.approvals.requireFor('recovery.shares', 'recovery:createShares', 'all of them'));
    expect(t.repo.request((a!.details as { requestId: string }).requestId)!.summary).toEqual({ input: 'all of them' });
    const b = caught(() => t.approvals.requireFor('recovery.shares', 'recovery:createShares', { names: ['x', 'y'], blob: new Uint8Array([1, 2, 3]), n: null }));
    expect(t.repo.request((b!.details as { requestId: string }).requestId)!.summary).toEqual({ names: '["x","y"]', blob: '{"$bytes":"AQID"}', n: 'null' });
  });

  it('secret fields inside arrays are hashed too', () => {
    const t = setup();
    const e = caught(() => t.approvals.requireFor('recovery.shares', 'recovery:createShares', { list: [{ passphrase: 'p1' }, 'x'] }));
    const r = t.repo.request((e!.details as { requestId: string }).requestId)!;
    const mac = t.f.keyring().macApprovalSecret(Buffer.from('p1', 'utf8')).toString('hex');
    expect(r.inputHash).toBe(crypto.createHash('sha256').update(`{"list":[{"passphrase":{"$secret":"${mac}"}},"x"]}`).digest('hex'));
  });
});

describe('approval files and keys', () => {
  const fileFor = (t: ApprovalsSetup, requestId: string, approver: string, key: crypto.KeyObject, change: Record<string, string> = {}) => {
    const request = readRequestFile(t.approvals.exportRequest(requestId).content);
    return signApproval({ ...request, ...change }, approver, key, new Date(t.f.clock.now()));
  };
  /** bob enrols a key, alice makes the key.destroy request, bob signs an approval file for it (`change`d). */
  const bobSigned = (t: ApprovalsSetup, change: Record<string, string> = {}) => {
    const bobKey = approvalKeyPair();
    t.as('bob');
    t.approvals.enrolKey(bobKey.pem);
    const { requestId } = t.request('alice');
    return { bobKey, requestId, text: fileFor(t, requestId, 'bob', bobKey.privateKey, change) };
  };

  it('a genuine file from an enrolled approver approves, recorded via file with its signature', () => {
    const t = setup();
    const bobKey = approvalKeyPair();
    t.as('bob');
    expect(t.approvals.enrolKey(bobKey.pem)).toEqual({ operator: 'bob', fingerprint: bobKey.fingerprint });
    expect(t.audit.at(-1)).toEqual({ actor: 'bob', action: 'approval.enrol_key', targetType: 'approval', targetId: 'bob', outcome: 'success', details: { fingerprint: bobKey.fingerprint, replaced: null } });
    const { requestId } = t.request('alice');
    t.f.clock.advance(60_000);
    const text = fileFor(t, requestId, 'bob', bobKey.privateKey);
    t.audit.length = 0;
    const v = t.approvals.importApproval(text);
    expect([v.state, v.approvals]).toEqual(['approved', [{ approver: 'bob', at: '2026-01-01T00:01:00.000Z', via: 'file' }]]);
    expect(t.audit).toEqual([
      { actor: 'alice', action: 'approval.approve', targetType: 'approval', targetId: requestId, outcome: 'success', details: { action: 'key.destroy', channel: 'keys:setState', inputHash: DESTROY_HASH, approver: 'bob', via: 'file', approvals: 1, required: 1 } },
    ]);
    const sig = t.f.store.db.prepare('SELECT signature FROM approval_votes WHERE request_id = ?').get(requestId) as { signature: Buffer };
    expect(sig.signature.toString('base64')).toBe((JSON.parse(text) as { signature: string }).signature);
    expect(caught(() => t.approvals.importApproval(text))?.message).toBe(`bob already approved request ${requestId}; an operator's approval counts once.`);
  });

  it('a genuine file brought after the request expired is refused: expired, no vote', () => {
    const t = setup();
    const { requestId, text } = bobSigned(t);
    t.f.clock.set(Date.parse(DAY_LATER));
    expect(caught(() => t.approvals.importApproval(text))).toMatchObject({ code: 'illegal_transition', details: { state: 'expired' } });
    expect(t.repo.votes(requestId)).toEqual([]);
  });

  const BOUND: Array<[string, Record<string, string>]> = [
    ['storeId', { storeId: 'another-store' }],
    ['channel', { channel: 'keys:import' }],
    ['inputHash', { inputHash: 'ef'.repeat(32) }],
    ['expiresAt', { expiresAt: '2026-01-09T00:00:00.000Z' }],
  ];
  for (const [field, change] of BOUND) {
    it(`a file whose ${field} differs from the request is refused integrity_failure, audited`, () => {
      const t = setup();
      const { requestId, text } = bobSigned(t, change);
      t.audit.length = 0;
      expect(caught(() => t.approvals.importApproval(text))).toEqual({
        code: 'integrity_failure',
        message: `The approval file's ${field} does not match request ${requestId}; it approves something else.`,
        details: undefined,
      });
      expect(t.audit).toEqual([{ actor: 'alice', action: 'approval.approve', targetType: 'approval', targetId: null, outcome: 'failure', details: { via: 'file', code: 'integrity_failure' } }]);
      expect(t.repo.votes(requestId)).toEqual([]);
    });
  }

  it('no enrolled key, a key older than the operator, another key\'s signature: integrity_failure', () => {
    const t = setup();
    const bobKey = approvalKeyPair();
    const { requestId } = t.request('alice');
    const text = fileFor(t, requestId, 'bob', bobKey.privateKey);
    expect(caught(() => t.approvals.importApproval(text))?.message).toBe('bob has no enrolled approval key; the file cannot be checked.');
    expect(caught(() => t.approvals.importApproval(fileFor(t, requestId, 'zed', bobKey.privateKey)))?.message).toBe('zed has no enrolled approval key; the file cannot be checked.');
    t.as('bob');
    t.approvals.enrolKey(bobKey.pem);
    t.ops.set('bob', { name: 'bob', role: 'key_custodian', createdAt: '2026-01-01T00:00:00.001Z' });
    expect(caught(() => t.approvals.importApproval(text))).toEqual({ code: 'integrity_failure', message: 'The approval key on record for bob predates that operator.', details: undefined });
    t.ops.set('bob', { name: 'bob', role: 'key_custodian', createdAt: START });
    expect(t.approvals.importApproval(text).state).toBe('approved');
    const other = t.request('alice');
    expect(caught(() => t.approvals.importApproval(fileFor(t, other.requestId, 'bob', approvalKeyPair().privateKey)))).toEqual({
      code: 'integrity_failure',
      message: "The approval file's signature does not verify with bob's approval key.",
      details: undefined,
    });
  });

  it('the requester\'s own signed file and an ineligible approver\'s file are refused like a signed-in approval', () => {
    const t = setup();
    const aliceKey = approvalKeyPair();
    const carolKey = approvalKeyPair();
    t.as('alice');
    t.approvals.enrolKey(aliceKey.pem);
    t.as('carol');
    t.approvals.enrolKey(carolKey.pem);
    const { requestId } = t.request('alice');
    expect(caught(() => t.approvals.importApproval(fileFor(t, requestId, 'alice', aliceKey.privateKey)))?.message).toBe('The requester cannot approve their own request; another operator must.');
    expect(caught(() => t.approvals.importApproval(fileFor(t, requestId, 'carol', carolKey.privateKey)))?.code).toBe('forbidden');
  });

  it('a file signed by a replaced key is refused approval_key_revoked, also with a new key enrolled', () => {
    const t = setup();
    const old = approvalKeyPair();
    const next = approvalKeyPair();
    t.as('bob');
    t.approvals.enrolKey(old.pem);
    const { requestId } = t.request('alice');
    const text = fileFor(t, requestId, 'bob', old.privateKey);
    t.f.clock.advance(1000);
    t.as('bob');
    expect(t.approvals.enrolKey(next.pem)).toEqual({ operator: 'bob', fingerprint: next.fingerprint });
    expect(t.audit.at(-1)!.details).toEqual({ fingerprint: next.fingerprint, replaced: old.fingerprint });
    // The same key again replaces nothing.
    t.approvals.enrolKey(next.pem);
    expect(t.audit.at(-1)!.details).toEqual({ fingerprint: next.fingerprint, replaced: null });
    expect(caught(() => t.approvals.importApproval(text))).toEqual({
      code: 'approval_key_revoked',
      message: `The approval file is signed with bob's approval key ${old.fingerprint.slice(0, 16)}…, which was replaced by a new key at 2026-01-01T00:00:01.000Z; it approves nothing any more. bob signs again with their current key, or approves signed in at the console.`,
      details: { approver: 'bob', fingerprint: old.fingerprint, why: 'replaced', revokedAt: '2026-01-01T00:00:01.000Z', revokedBy: 'bob' },
    });
    expect(t.audit.at(-1)).toMatchObject({ action: 'approval.approve', outcome: 'failure', details: { via: 'file', code: 'approval_key_revoked' } });
    // Enrolling the revoked key again is refused by its fingerprint.
    expect(caught(() => t.approvals.enrolKey(old.pem))).toEqual({
      code: 'approval_key_revoked',
      message: 'This approval key was replaced on 2026-01-01T00:00:01.000Z and cannot be enrolled again; make a new key (approvals keygen).',
      details: { field: 'publicKeyPem', fingerprint: old.fingerprint, why: 'replaced', revokedAt: '2026-01-01T00:00:01.000Z' },
    });
    // The new key's file counts.
    expect(t.approvals.importApproval(fileFor(t, requestId, 'bob', next.privateKey)).state).toBe('approved');
  });

  it('an admin revokes a key: its files are refused naming who and why; no key to revoke is not_found', () => {
    const t = setup();
    const { bobKey, requestId, text } = bobSigned(t);
    t.as('dave');
    t.f.clock.advance(2000);
    t.changes.length = 0;
    expect(t.approvals.revokeKey('bob', 'laptop stolen')).toEqual({ operator: 'bob', fingerprint: bobKey.fingerprint, revokedAt: '2026-01-01T00:00:02.000Z' });
    expect(t.audit.at(-1)).toEqual({ actor: 'dave', action: 'approval.revoke_key', targetType: 'approval', targetId: 'bob', outcome: 'success', details: { fingerprint: bobKey.fingerprint, reason: 'laptop stolen' } });
    expect(t.changes).toEqual([{ requestId: null, state: null }]);
    expect(caught(() => t.approvals.importApproval(text))).toMatchObject({
      code: 'approval_key_revoked',
      message: `The approval file is signed with bob's approval key ${bobKey.fingerprint.slice(0, 16)}…, which was removed by dave at 2026-01-01T00:00:02.000Z (laptop stolen); it approves nothing any more. bob signs again with their current key, or approves signed in at the console.`,
      details: { why: 'removed', revokedBy: 'dave' },
    });
    expect(caught(() => t.approvals.revokeKey('bob', 'again'))).toEqual({ code: 'not_found', message: 'bob has no enrolled approval key.', details: { field: 'operator' } });
    expect(t.audit.at(-1)).toEqual({ actor: 'dave', action: 'approval.revoke_key', targetType: 'approval', targetId: 'bob', outcome: 'failure', details: { reason: 'again', code: 'not_found' } });
    // Bob still approves signed in.
    t.as('bob');
    expect(t.approvals.approve(requestId).state).toBe('approved');
  });

  it('a revoked key without a reason, and a removed approver\'s revoked key, are said so', () => {
    const t = setup();
    const { text } = bobSigned(t);
    t.as('dave');
    t.approvals.revokeKey('bob', '');
    expect(caught(() => t.approvals.importApproval(text))?.message).toContain(`which was removed by dave at ${START}; it approves nothing any more.`);
    t.ops.delete('bob');
    // A removed approver: the revoked keys are not consulted, the file cannot be checked.
    expect(caught(() => t.approvals.importApproval(text))).toMatchObject({ code: 'integrity_failure', message: 'bob has no enrolled approval key; the file cannot be checked.' });
  });

  it('a key enrolled by another operator is refused; a private key never enrolls', () => {
    const t = setup();
    const shared = approvalKeyPair();
    t.as('bob');
    t.approvals.enrolKey(shared.pem);
    t.as('dave');
    expect(caught(() => t.approvals.enrolKey(shared.pem))).toEqual({
      code: 'invalid_input',
      message: 'This approval key is already enrolled by another operator; make a key of your own.',
      details: { field: 'publicKeyPem' },
    });
    expect(t.audit.at(-1)).toEqual({ actor: 'dave', action: 'approval.enrol_key', targetType: 'approval', targetId: 'dave', outcome: 'failure', details: { code: 'invalid_input' } });
    const priv = shared.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    expect(caught(() => t.approvals.enrolKey(priv))?.details).toEqual({ field: 'publicKeyPem' });
  });
});

describe('the key lists', () => {
  it('enrolled keys newest first, a removed operator\'s key and an earlier namesake\'s marked; revoked keys with why', () => {
    const t = setup();
    const keys = Object.fromEntries(['alice', 'bob', 'dave'].map((n) => [n, { pem: '', fingerprint: '' }]));
    for (const n of ['alice', 'bob', 'dave']) {
      const { publicKey } = crypto.generateKeyPairSync('ed25519');
      keys[n] = { pem: publicKey.export({ format: 'pem', type: 'spki' }) as string, fingerprint: crypto.createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex') };
      t.as(n);
      t.approvals.enrolKey(keys[n]!.pem);
      t.f.clock.advance(1000);
    }
    t.ops.delete('alice');
    t.ops.set('bob', { name: 'bob', role: 'key_custodian', createdAt: '2026-01-01T00:00:01.500Z' });
    const page = t.approvals.enrolledKeys({ limit: 2 });
    expect(page.keys).toEqual([
      { operator: 'dave', fingerprint: keys.dave!.fingerprint, enrolledAt: '2026-01-01T00:00:02.000Z', operatorRemoved: false },
      { operator: 'bob', fingerprint: keys.bob!.fingerprint, enrolledAt: '2026-01-01T00:00:01.000Z', operatorRemoved: true },
    ]);
    expect(t.approvals.enrolledKeys({ limit: 2, cursor: page.nextCursor! })).toEqual({
      keys: [{ operator: 'alice', fingerprint: keys.alice!.fingerprint, enrolledAt: START, operatorRemoved: true }],
      nextCursor: null,
    });
    t.as('dave');
    t.approvals.revokeKey('bob', 'gone');
    expect(t.approvals.revokedKeys()).toEqual({
      keys: [{ operator: 'bob', fingerprint: keys.bob!.fingerprint, enrolledAt: '2026-01-01T00:00:01.000Z', revokedAt: '2026-01-01T00:00:03.000Z', revokedBy: 'dave', why: 'removed', reason: 'gone' }],
      nextCursor: null,
    });
  });
});
