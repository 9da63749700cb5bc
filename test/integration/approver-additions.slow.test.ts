// Adding an operator who can approve, and narrowing who approves, are two-person actions (issue 14;
// docs/two-person-control.md, "When no one else can approve"). The admin types a new operator's first passphrase, so an
// admin alone could add an approver they control and approve their own key destruction with it; and a policy change
// that drops the other approvers would let the waiver apply. The tables below are the specification: who asks, what,
// who else is in the store -> run at once (not guarded, or waived), a request for an action, or refused.
import { afterAll, describe, expect, it } from 'vitest';
import type { ApprovalAction, ApprovalPolicy } from '../../shared/approvalsContract.ts';
import type { FleetConsole } from '../../electron/app.ts';
import { addOperators, failure } from './support/consoleCalls.ts';
import { approverStore, pass, ROLE_OF, type Role } from './support/approverStore.ts';
import { CTX, PASSPHRASE, removeTempDirs } from '../unit/store-testkit.ts';

/** The documented default policies (docs/two-person-control.md, "Guarded actions"). */
const APPROVER_ROLES: Role[] = ['admin', 'key_custodian', 'security_officer'];
const DEFAULTS: Partial<Record<ApprovalAction, ApprovalPolicy>> = {
  'operator.approver': { action: 'operator.approver', approvals: 1, roles: APPROVER_ROLES, operators: [], ttlSeconds: 24 * 3600 },
  'key.destroy': { action: 'key.destroy', approvals: 1, roles: ['key_custodian', 'admin'], operators: [], ttlSeconds: 24 * 3600 },
};

const consoles: FleetConsole[] = [];
afterAll(() => {
  for (const c of consoles) c.close();
  removeTempDirs();
});

/** A store with alice and `names` (support/approverStore.ts). */
const store = (names: string[], policy?: Partial<ApprovalPolicy> & { action: ApprovalAction }) => approverStore(consoles, 'ecps-approver-', names, DEFAULTS, policy);

type Outcome = 'at once' | 'waived' | `request ${ApprovalAction | 'operator.demote'}` | 'forbidden';
interface GrantRow {
  what: string;
  store: string[];
  actor: string;
  /** operators:add of a new operator "New", or operators:setRole of someone in the store. */
  change: { add: Role } | { setRole: string; to: Role };
  policy?: Partial<ApprovalPolicy> & { action: ApprovalAction };
  outcome: Outcome;
}

const GRANTS: GrantRow[] = [
  // Roles that approve nothing by default: never guarded.
  { what: 'a viewer, a custodian present', store: ['Kate'], actor: 'alice', change: { add: 'viewer' }, outcome: 'at once' },
  { what: 'a station operator, a custodian present', store: ['Kate'], actor: 'alice', change: { add: 'station_operator' }, outcome: 'at once' },
  // No one else approves anything: the waiver (a new store's first admin; a store where she already acts alone).
  { what: 'a custodian to a store of one', store: [], actor: 'alice', change: { add: 'key_custodian' }, outcome: 'waived' },
  { what: 'a custodian, only a viewer and a station operator present', store: ['Vera', 'Sam'], actor: 'alice', change: { add: 'key_custodian' }, outcome: 'waived' },
  { what: 'a second admin to a store of one', store: [], actor: 'alice', change: { add: 'admin' }, outcome: 'waived' },
  // The hole: another approver is there, so the new approver is witnessed.
  { what: 'a custodian, a custodian present', store: ['Kate'], actor: 'alice', change: { add: 'key_custodian' }, outcome: 'request operator.approver' },
  { what: 'a security officer, a custodian present', store: ['Kate'], actor: 'alice', change: { add: 'security_officer' }, outcome: 'request operator.approver' },
  { what: 'a custodian, an officer present', store: ['Otto'], actor: 'alice', change: { add: 'key_custodian' }, outcome: 'request operator.approver' },
  // A second admin: another admin approves (operator.admin); with none, the custodians witness it (no waiver).
  { what: 'an admin, another admin present', store: ['Bea'], actor: 'alice', change: { add: 'admin' }, outcome: 'request operator.admin' },
  { what: 'an admin, only a custodian present', store: ['Kate'], actor: 'alice', change: { add: 'admin' }, outcome: 'request operator.approver' },
  { what: 'a custodian by a second admin', store: ['Bea', 'Kate'], actor: 'Bea', change: { add: 'key_custodian' }, outcome: 'request operator.approver' },
  // Role changes: to one that approves more is the same; a move to a role approving nothing new is not (a demotion is
  // operator.demote: test/integration/operator-demotion-approval.slow.test.ts).
  { what: 'a viewer made a custodian, a custodian present', store: ['Kate', 'Vera'], actor: 'alice', change: { setRole: 'Vera', to: 'key_custodian' }, outcome: 'request operator.approver' },
  { what: 'a viewer made a station operator, a custodian present', store: ['Kate', 'Vera'], actor: 'alice', change: { setRole: 'Vera', to: 'station_operator' }, outcome: 'at once' },
  { what: 'a custodian made a viewer, an officer present', store: ['Otto', 'Kate'], actor: 'alice', change: { setRole: 'Kate', to: 'viewer' }, outcome: 'request operator.demote' },
  { what: 'a custodian made an officer (approves compromise now), another custodian present', store: ['Kate', 'Ken'], actor: 'alice', change: { setRole: 'Kate', to: 'security_officer' }, outcome: 'request operator.approver' },
  // Her own promotion is not hers to witness: with no one else, the waiver.
  { what: 'the only other operator, a viewer, made a custodian', store: ['Vera'], actor: 'alice', change: { setRole: 'Vera', to: 'key_custodian' }, outcome: 'waived' },
  { what: 'the only custodian made an admin', store: ['Kate'], actor: 'alice', change: { setRole: 'Kate', to: 'admin' }, outcome: 'waived' },
  // A custodian made an officer also stops approving key destruction: with no one else to witness the gain, she
  // consents to the loss (operator.demote; it was waived before demotions were guarded).
  { what: 'the only custodian made an officer', store: ['Kate'], actor: 'alice', change: { setRole: 'Kate', to: 'security_officer' }, outcome: 'request operator.demote' },
  // Only an admin adds operators.
  { what: 'a viewer added by a custodian', store: ['Kate'], actor: 'Kate', change: { add: 'viewer' }, outcome: 'forbidden' },
  // Configurable: no approvals, or only admins approving additions.
  { what: 'a custodian under a policy of 0 approvals', store: ['Kate'], actor: 'alice', change: { add: 'key_custodian' }, policy: { action: 'operator.approver', approvals: 0 }, outcome: 'at once' },
  { what: 'a custodian when only admins approve additions, an officer present', store: ['Otto'], actor: 'alice', change: { add: 'key_custodian' }, policy: { action: 'operator.approver', roles: ['admin'] }, outcome: 'waived' },
];

describe('adding or promoting an operator who can approve: at once, waived, a request, or refused', () => {
  for (const row of GRANTS) {
    it(`${row.actor} (${ROLE_OF[row.actor] ?? 'admin'}): ${row.what} -> ${row.outcome}`, async () => {
      const s = await store(row.store, row.policy);
      await s.signIn(row.actor);
      const before = await s.roles();
      const waivedBefore = s.records('approval.waived').length;
      const attempt =
        'add' in row.change
          ? s.call('operators:add', { name: 'New', role: row.change.add, passphrase: pass('New') })
          : s.call('operators:setRole', { name: row.change.setRole, role: row.change.to });
      const after = 'add' in row.change ? { ...before, New: row.change.add } : { ...before, [row.change.setRole]: row.change.to };
      /** The waivers audited by this change. */
      const waived = () => s.records('approval.waived').length - waivedBefore;
      if (row.outcome === 'at once' || row.outcome === 'waived') {
        await attempt;
        expect(await s.roles()).toEqual(after);
        expect(waived()).toBe(row.outcome === 'waived' ? 1 : 0);
        if (row.outcome === 'waived') expect(s.records('approval.waived').map((r) => [r.details.channel, r.details.reason])).toContainEqual([
          'add' in row.change ? 'operators:add' : 'operators:setRole',
          'no_other_approver',
        ]);
        return;
      }
      const refused = await failure(attempt);
      expect(await s.roles(), 'nothing changed').toEqual(before);
      if (row.outcome === 'forbidden') {
        expect(refused.code).toBe('forbidden');
        return;
      }
      expect([refused.code, refused.details.action]).toEqual(['approval_required', row.outcome.slice('request '.length)]);
      expect(waived()).toBe(0);
    });
  }
});

describe('the puppet: an admin cannot add an approver and approve her own destruction with it', () => {
  it('adding a custodian is a request Kate must approve; the puppet never signs in, and the key stays', async () => {
    const s = await store(['Kate']);
    await s.signIn('alice');
    const keyId = (await s.call('keys:create', { type: 'storage', label: 'puppet target' })).id;
    await s.call('keys:setState', { keyId, state: 'deactivated', reason: 'out of use' });
    const add = await failure(s.call('operators:add', { name: 'Mallory', role: 'key_custodian', passphrase: pass('Mallory') }));
    expect([add.code, add.details.action]).toEqual(['approval_required', 'operator.approver']);
    const destroy = await failure(s.call('keys:setState', { keyId, state: 'destroyed', reason: 'done' }));
    expect(destroy.code).toBe('approval_required');
    // Mallory does not exist: she cannot sign in to approve.
    await s.c.handlers['session:lock']({}, CTX);
    expect((await failure(s.c.handlers['session:unlock']({ operator: 'Mallory', passphrase: pass('Mallory') }, CTX))).code).toBe('wrong_passphrase');
    await s.c.handlers['session:unlock']({ operator: 'Kate', passphrase: pass('Kate') }, CTX);
    expect(Object.keys(await s.roles())).not.toContain('Mallory');
    // Kate refuses the puppet; the destruction still waits for her.
    await s.call('approvals:deny', { requestId: add.details.requestId as string, reason: 'who is Mallory?' });
    await s.signIn('alice');
    expect(await failure(s.call('approvals:execute', { requestId: add.details.requestId as string }))).toMatchObject({ code: 'illegal_transition' });
    expect(await failure(s.call('approvals:execute', { requestId: destroy.details.requestId as string }))).toMatchObject({ code: 'illegal_transition' });
    expect((await s.call('keys:get', { keyId })).state).toBe('deactivated');
  });

  it('the detour through a viewer: promoting her is a request, and as a viewer she approves nothing', async () => {
    const s = await store(['Kate']);
    await s.signIn('alice');
    const keyId = (await s.call('keys:create', { type: 'storage', label: 'puppet detour' })).id;
    await s.call('keys:setState', { keyId, state: 'deactivated', reason: 'out of use' });
    await s.call('operators:add', { name: 'Mallory', role: 'viewer', passphrase: pass('Mallory') });
    const promote = await failure(s.call('operators:setRole', { name: 'Mallory', role: 'key_custodian' }));
    expect([promote.code, promote.details.action]).toEqual(['approval_required', 'operator.approver']);
    const destroy = (await failure(s.call('keys:setState', { keyId, state: 'destroyed', reason: 'done' }))).details.requestId as string;
    await s.signIn('Mallory');
    expect(await failure(s.call('approvals:approve', { requestId: destroy }))).toMatchObject({ code: 'forbidden' });
    expect(await failure(s.call('approvals:approve', { requestId: promote.details.requestId as string }))).toMatchObject({ code: 'illegal_transition' });
    // Nor, once she can approve, is her own promotion hers to approve: Ken, a custodian, is added (Kate approves) and
    // promoted to officer; Ken cannot approve that himself.
    await s.signIn('alice');
    await addOperators(s.c, { name: 'alice', passphrase: PASSPHRASE }, [{ name: 'Ken', role: 'key_custodian', passphrase: pass('Ken') }], [{ name: 'Kate', passphrase: pass('Kate') }]);
    const kenUp = (await failure(s.call('operators:setRole', { name: 'Ken', role: 'security_officer' }))).details.requestId as string;
    await s.signIn('Ken');
    expect(await failure(s.call('approvals:approve', { requestId: kenUp }))).toMatchObject({ code: 'illegal_transition' });
    await s.signIn('alice');
    expect(await failure(s.call('approvals:execute', { requestId: destroy }))).toMatchObject({ code: 'illegal_transition' });
    expect((await s.call('keys:get', { keyId })).state).toBe('deactivated');
    expect((await s.roles()).Mallory).toBe('viewer');
  });
});

interface PolicyRow {
  what: string;
  store: string[];
  actor: string;
  /** The key.destroy policy asked for (the default in force: 1 approval; custodians and admins). */
  next: Partial<ApprovalPolicy>;
  outcome: 'at once' | 'request';
}

const NARROWING: PolicyRow[] = [
  { what: 'dropping custodians while Kate is one', store: ['Kate'], actor: 'alice', next: { roles: ['admin'] }, outcome: 'request' },
  { what: 'dropping custodians while Kate is one and Bea an admin', store: ['Bea', 'Kate'], actor: 'alice', next: { roles: ['admin'] }, outcome: 'request' },
  { what: 'dropping admins, alice the other admin (Bea asks)', store: ['Bea'], actor: 'Bea', next: { roles: ['key_custodian'] }, outcome: 'request' },
  { what: 'dropping admins when the asker is the only one', store: ['Kate'], actor: 'alice', next: { roles: ['key_custodian'] }, outcome: 'at once' },
  { what: 'dropping custodians when there are none', store: ['Vera', 'Otto'], actor: 'alice', next: { roles: ['admin'] }, outcome: 'at once' },
  { what: 'more approvals from the same roles', store: ['Kate'], actor: 'alice', next: { approvals: 2 }, outcome: 'at once' },
];

describe('a policy change that takes an approver away is lowering', () => {
  for (const row of NARROWING) {
    it(`${row.actor}: key.destroy ${row.what} -> ${row.outcome}`, async () => {
      const s = await store(row.store);
      await s.signIn(row.actor);
      const next = { ...DEFAULTS['key.destroy']!, ...row.next };
      const policy = async () => (await s.call('approvals:policies', {})).policies.find((p) => p.action === 'key.destroy')!;
      const attempt = s.call('approvals:setPolicy', { policy: next });
      if (row.outcome === 'at once') {
        await attempt;
        expect(await policy()).toMatchObject({ approvals: next.approvals, roles: next.roles });
        return;
      }
      const refused = await failure(attempt);
      expect([refused.code, refused.details.action]).toEqual(['approval_required', 'approval.lower']);
      expect(await policy()).toMatchObject({ approvals: 1, roles: DEFAULTS['key.destroy']!.roles });
    });
  }

  it('approved by an approver being dropped (their consent), it applies', async () => {
    const s = await store(['Kate']);
    await s.signIn('alice');
    const requestId = (await failure(s.call('approvals:setPolicy', { policy: { ...DEFAULTS['key.destroy']!, roles: ['admin'] } }))).details.requestId as string;
    await s.signIn('Kate');
    await s.call('approvals:approve', { requestId });
    await s.signIn('alice');
    await s.call('approvals:execute', { requestId });
    expect((await s.call('approvals:policies', {})).policies.find((p) => p.action === 'key.destroy')?.roles).toEqual(['admin']);
  });
});
