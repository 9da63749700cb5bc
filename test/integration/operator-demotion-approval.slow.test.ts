// Demoting an operator is a two-person action (issue 14; docs/two-person-control.md, "Taking an approver away"): an
// admin who could change every other approver's role to viewer at once could then act alone (the waiver), as if she
// had removed them. A role change that makes the target approve less (loses any action they could approve under the
// policies in force) is an operator.demote request, approved under operator.remove's policy, the target included (their
// consent). The table below is the specification, through the router as the console calls it: who asks, whose role
// from what to what, who else is in the store, the policy -> run at once (not guarded, or waived), a request, refused.
import { afterAll, describe, expect, it } from 'vitest';
import type { ApprovalAction, ApprovalPolicy } from '../../shared/approvalsContract.ts';
import type { FleetConsole } from '../../electron/app.ts';
import { failure } from './support/consoleCalls.ts';
import { approverStore, ROLE_OF, type Role } from './support/approverStore.ts';
import { removeTempDirs } from '../unit/store-testkit.ts';

/** The documented default policies (docs/two-person-control.md, "Guarded actions"), for the rows that change one. */
const DEFAULTS: Partial<Record<ApprovalAction, ApprovalPolicy>> = {
  'operator.remove': { action: 'operator.remove', approvals: 1, roles: ['admin', 'key_custodian', 'security_officer'], operators: [], ttlSeconds: 24 * 3600 },
  'key.destroy': { action: 'key.destroy', approvals: 1, roles: ['key_custodian', 'admin'], operators: [], ttlSeconds: 24 * 3600 },
};

const consoles: FleetConsole[] = [];
afterAll(() => {
  for (const c of consoles) c.close();
  removeTempDirs();
});

/** A store with alice and `names` (support/approverStore.ts). */
const store = (names: string[], policy?: Partial<ApprovalPolicy> & { action: ApprovalAction }) => approverStore(consoles, 'ecps-demote-', names, DEFAULTS, policy);

type Outcome = 'at once' | 'waived' | `request ${'operator.demote' | 'operator.approver' | 'operator.admin'}` | 'forbidden';
interface Row {
  what: string;
  /** Operators besides alice in the store. */
  store: string[];
  actor: string;
  target: string;
  /** The role before is the target's in ROLE_OF (alice: admin); this is the role after. */
  to: Role;
  policy?: Partial<ApprovalPolicy> & { action: ApprovalAction };
  outcome: Outcome;
}

// Default approvers: a key custodian approves key.destroy, rotation.lower, operator.remove, operator.approver; a
// security officer key.compromise, emergency.wide, ca.replace, ca.revoke, operator.remove, operator.approver; an admin
// every action; a viewer and a station operator none.
const TABLE: Row[] = [
  // Approving less: a request, whoever else could approve it (here another approver is there).
  { what: 'key custodian -> viewer', store: ['Kate', 'Otto'], actor: 'alice', target: 'Kate', to: 'viewer', outcome: 'request operator.demote' },
  { what: 'key custodian -> station operator', store: ['Kate', 'Otto'], actor: 'alice', target: 'Kate', to: 'station_operator', outcome: 'request operator.demote' },
  { what: 'security officer -> viewer', store: ['Otto', 'Kate'], actor: 'alice', target: 'Otto', to: 'viewer', outcome: 'request operator.demote' },
  { what: 'admin -> key custodian', store: ['Bea', 'Kate'], actor: 'alice', target: 'Bea', to: 'key_custodian', outcome: 'request operator.demote' },
  { what: 'admin -> security officer', store: ['Bea', 'Kate'], actor: 'alice', target: 'Bea', to: 'security_officer', outcome: 'request operator.demote' },
  { what: 'admin -> viewer', store: ['Bea', 'Kate'], actor: 'alice', target: 'Bea', to: 'viewer', outcome: 'request operator.demote' },
  { what: 'the other admin asking: alice (admin) -> viewer', store: ['Bea', 'Kate'], actor: 'Bea', target: 'alice', to: 'viewer', outcome: 'request operator.demote' },
  // The only other approver: their own consent is asked, as for their removal.
  { what: 'the only other operator, key custodian -> viewer', store: ['Kate'], actor: 'alice', target: 'Kate', to: 'viewer', outcome: 'request operator.demote' },
  { what: 'the only other approver, a viewer there: security officer -> station operator', store: ['Otto', 'Vera'], actor: 'alice', target: 'Otto', to: 'station_operator', outcome: 'request operator.demote' },
  // Gaining and losing (custodian -> officer: compromise, CA, emergency gained; destruction, rotation lost): another
  // approver witnesses the gain (operator.approver, not the target); with no one else, the target consents to the loss.
  { what: 'key custodian -> security officer, another custodian there', store: ['Kate', 'Ken'], actor: 'alice', target: 'Kate', to: 'security_officer', outcome: 'request operator.approver' },
  { what: 'key custodian -> security officer, the only other operator', store: ['Kate'], actor: 'alice', target: 'Kate', to: 'security_officer', outcome: 'request operator.demote' },
  // Losing nothing: as before (promotions guarded as grants; moves among roles that approve nothing at once).
  { what: 'viewer -> station operator', store: ['Vera', 'Kate'], actor: 'alice', target: 'Vera', to: 'station_operator', outcome: 'at once' },
  { what: 'station operator -> viewer', store: ['Sam', 'Kate'], actor: 'alice', target: 'Sam', to: 'viewer', outcome: 'at once' },
  { what: 'key custodian -> key custodian (no change)', store: ['Kate', 'Otto'], actor: 'alice', target: 'Kate', to: 'key_custodian', outcome: 'at once' },
  { what: 'viewer -> key custodian', store: ['Vera', 'Kate'], actor: 'alice', target: 'Vera', to: 'key_custodian', outcome: 'request operator.approver' },
  { what: 'key custodian -> admin, another admin there', store: ['Kate', 'Bea'], actor: 'alice', target: 'Kate', to: 'admin', outcome: 'request operator.admin' },
  // Oneself: one's own consent; the handler keeps the last admin.
  { what: 'herself, admin -> viewer, another admin there', store: ['Bea', 'Kate'], actor: 'Bea', target: 'Bea', to: 'viewer', outcome: 'at once' },
  // The policies in force decide what "approve less" means, and who approves.
  { what: 'station operator -> viewer while a policy lets station operators destroy keys', store: ['Sam', 'Kate'], actor: 'alice', target: 'Sam', to: 'viewer', policy: { action: 'key.destroy', roles: ['key_custodian', 'admin', 'station_operator'] }, outcome: 'request operator.demote' },
  { what: 'key custodian -> viewer under a removal policy of 0 approvals', store: ['Kate', 'Otto'], actor: 'alice', target: 'Kate', to: 'viewer', policy: { action: 'operator.remove', approvals: 0 }, outcome: 'at once' },
  { what: 'key custodian -> viewer when only admins approve removals, no other admin', store: ['Kate', 'Otto'], actor: 'alice', target: 'Kate', to: 'viewer', policy: { action: 'operator.remove', roles: ['admin'] }, outcome: 'waived' },
  { what: 'key custodian -> viewer when only admins approve removals, another admin there', store: ['Kate', 'Bea'], actor: 'alice', target: 'Kate', to: 'viewer', policy: { action: 'operator.remove', roles: ['admin'] }, outcome: 'request operator.demote' },
  // Only an admin changes roles.
  { what: 'a custodian demoting a custodian', store: ['Kate', 'Ken'], actor: 'Kate', target: 'Ken', to: 'viewer', outcome: 'forbidden' },
];

describe('changing a role: a demotion is a request, a move that loses nothing is not', () => {
  for (const row of TABLE) {
    it(`${row.actor} (${ROLE_OF[row.actor] ?? 'admin'}): ${row.target} ${row.what} -> ${row.outcome}`, async () => {
      const s = await store(row.store, row.policy);
      await s.signIn(row.actor);
      const before = await s.roles();
      const requestsBefore = s.records('approval.request').length;
      const waivedBefore = s.records('approval.waived').length;
      const attempt = s.call('operators:setRole', { name: row.target, role: row.to });
      const waived = () => s.records('approval.waived').length - waivedBefore;
      if (row.outcome === 'at once' || row.outcome === 'waived') {
        await attempt;
        expect(await s.roles()).toEqual({ ...before, [row.target]: row.to });
        expect(waived()).toBe(row.outcome === 'waived' ? 1 : 0);
        if (row.outcome === 'waived') {
          expect(s.records('approval.waived').filter((r) => r.details.channel === 'operators:setRole').map((r) => [r.details.action, r.details.reason])).toEqual([['operator.demote', 'no_other_approver']]);
        }
        return;
      }
      const refused = await failure(attempt);
      expect(await s.roles(), 'no role changed').toEqual(before);
      if (row.outcome === 'forbidden') {
        expect(refused.code).toBe('forbidden');
        expect(s.records('approval.request').length - requestsBefore).toBe(0);
        return;
      }
      const action = row.outcome.slice('request '.length);
      expect([refused.code, refused.details.action]).toEqual(['approval_required', action]);
      expect(waived()).toBe(0);
      const listed = (await s.call('approvals:list', { open: true })).requests;
      expect(listed.map((r) => [r.id, r.action, r.channel, r.summary.name, r.summary.role, r.requester, r.state, r.required])).toEqual([
        [refused.details.requestId, action, 'operators:setRole', row.target, row.to, row.actor, 'pending', 1],
      ]);
    });
  }
});

describe('the hole: an admin cannot demote every other approver and then act alone', () => {
  it('demoting Kate and Otto makes two requests; nobody is demoted and destroying a key still needs a second person', async () => {
    const s = await store(['Kate', 'Otto']);
    await s.signIn('alice');
    const keyId = (await s.call('keys:create', { type: 'storage', label: 'demotion target' })).id;
    await s.call('keys:setState', { keyId, state: 'deactivated', reason: 'out of use' });
    for (const name of ['Kate', 'Otto']) {
      expect((await failure(s.call('operators:setRole', { name, role: 'viewer' }))).details.action).toBe('operator.demote');
    }
    expect(await s.roles()).toEqual({ alice: 'admin', Kate: 'key_custodian', Otto: 'security_officer' });
    expect((await failure(s.call('keys:setState', { keyId, state: 'destroyed', reason: 'alone' }))).code).toBe('approval_required');
    expect(s.records('approval.waived').filter((r) => r.details.action === 'operator.demote' || r.details.action === 'key.destroy')).toEqual([]);
    expect((await s.call('keys:get', { keyId })).state).toBe('deactivated');
  });
});

describe('an approved demotion runs as approved', () => {
  it('the demoted operator may approve her own demotion (her consent); executed, it changes that role only, audited', async () => {
    const s = await store(['Kate', 'Otto']);
    await s.signIn('alice');
    const requestId = (await failure(s.call('operators:setRole', { name: 'Kate', role: 'viewer' }))).details.requestId as string;
    await s.signIn('Kate');
    const seen = (await s.call('approvals:list', { open: true })).requests.find((r) => r.id === requestId);
    expect([seen?.action, seen?.canApprove]).toEqual(['operator.demote', true]);
    expect((await s.call('approvals:approve', { requestId })).state).toBe('approved');
    await s.signIn('alice');
    const done = await s.call('approvals:execute', { requestId });
    expect([done.request.state, done.result]).toEqual(['executed', expect.objectContaining({ name: 'Kate', role: 'viewer' })]);
    expect(await s.roles()).toEqual({ alice: 'admin', Kate: 'viewer', Otto: 'security_officer' });
    expect(s.records('operator.set_role').map((r) => [r.actor, r.targetId, r.outcome, r.details.from, r.details.to])).toEqual([['alice', 'Kate', 'success', 'key_custodian', 'viewer']]);
    expect(s.records('approval.approve').filter((r) => r.targetId === requestId).map((r) => [r.outcome, r.details.action, r.details.approver, r.details.approvals, r.details.required])).toEqual([
      ['success', 'operator.demote', 'Kate', 1, 1],
    ]);
  });

  it('another approver may approve it; a viewer may not; the requester may not', async () => {
    const s = await store(['Kate', 'Otto', 'Vera']);
    await s.signIn('alice');
    const requestId = (await failure(s.call('operators:setRole', { name: 'Kate', role: 'viewer' }))).details.requestId as string;
    expect(await failure(s.call('approvals:approve', { requestId }))).toMatchObject({ code: 'illegal_transition' });
    await s.signIn('Vera');
    expect(await failure(s.call('approvals:approve', { requestId }))).toMatchObject({ code: 'forbidden' });
    await s.signIn('Otto');
    expect((await s.call('approvals:approve', { requestId })).state).toBe('approved');
    await s.signIn('alice');
    await s.call('approvals:execute', { requestId });
    expect((await s.roles()).Kate).toBe('viewer');
  });

  it('a move that gains and loses, witnessed for the gain: the target may not approve it, another approver may', async () => {
    const s = await store(['Kate', 'Ken']);
    await s.signIn('alice');
    const requestId = (await failure(s.call('operators:setRole', { name: 'Kate', role: 'security_officer' }))).details.requestId as string;
    await s.signIn('Kate');
    // The list agrees with approving: Kate is eligible under operator.approver's policy by role, but not for her own
    // promotion (not offered, not counted as awaiting her).
    const seenByKate = await s.call('approvals:list', { open: true });
    expect([seenByKate.requests.find((r) => r.id === requestId)?.canApprove, seenByKate.awaitingMe]).toEqual([false, 0]);
    expect(await failure(s.call('approvals:approve', { requestId }))).toMatchObject({ code: 'illegal_transition' });
    await s.signIn('Ken');
    const seenByKen = await s.call('approvals:list', { open: true });
    expect([seenByKen.requests.find((r) => r.id === requestId)?.canApprove, seenByKen.awaitingMe]).toEqual([true, 1]);
    await s.call('approvals:approve', { requestId });
    await s.signIn('alice');
    await s.call('approvals:execute', { requestId });
    expect((await s.roles()).Kate).toBe('security_officer');
  });
});
