// Removing an operator is a two-person action (issue 14; docs/two-person-control.md, "Guarded actions", operator.remove):
// an admin who could remove every other approver alone could then act alone (the waiver). The table below is the
// specification: who asks, whom, who else is in the store and the policy in force -> refused, a request, or run at
// once (waived: no one else could approve). Then the flow: what runs is exactly the approved removal.
import { afterAll, describe, expect, it } from 'vitest';
import type { ApprovalPolicy } from '../../shared/approvalsContract.ts';
import type { FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { addOperators, contractCaller, failure } from './support/consoleCalls.ts';
import { CTX, open, PASSPHRASE, removeTempDirs, tempDir } from '../unit/store-testkit.ts';

type Role = 'viewer' | 'station_operator' | 'key_custodian' | 'security_officer' | 'admin';
const pass = (name: string) => `${name} has a long passphrase`;
/** Everyone a row may name, with their role; alice is the first admin of every store. */
const ROLE_OF: Record<string, Role> = { Vera: 'viewer', Sam: 'station_operator', Kate: 'key_custodian', Ken: 'key_custodian', Otto: 'security_officer', Bea: 'admin' };

type Outcome = 'request' | 'executed' | 'forbidden' | 'illegal_transition' | 'not_found';
interface Row {
  what: string;
  /** Operators besides alice in the store. */
  store: string[];
  /** Who signs in and asks. */
  actor: string;
  target: string;
  /** The operator.remove policy set while alice was alone (the default otherwise: 1 approval; admin, custodian, officer). */
  policy?: Partial<ApprovalPolicy>;
  outcome: Outcome;
}

const TABLE: Row[] = [
  { what: 'a viewer', store: ['Vera', 'Kate'], actor: 'Vera', target: 'Kate', outcome: 'forbidden' },
  { what: 'a key custodian', store: ['Kate', 'Vera'], actor: 'Kate', target: 'Vera', outcome: 'forbidden' },
  { what: 'a security officer', store: ['Otto', 'Vera'], actor: 'Otto', target: 'Vera', outcome: 'forbidden' },
  { what: 'an admin removing herself', store: ['Bea'], actor: 'alice', target: 'alice', outcome: 'illegal_transition' },
  { what: 'an admin removing no one', store: ['Kate'], actor: 'alice', target: 'Nobody', outcome: 'not_found' },
  // No one else approves anything: the waiver (a store where the admin already acts alone).
  { what: 'the only other operator, a viewer', store: ['Vera'], actor: 'alice', target: 'Vera', outcome: 'executed' },
  { what: 'the only other operator, a station operator', store: ['Sam'], actor: 'alice', target: 'Sam', outcome: 'executed' },
  // The hole: the only other approver of key destruction, compromise or a second admin cannot be removed alone.
  { what: 'the only other operator, a key custodian', store: ['Kate'], actor: 'alice', target: 'Kate', outcome: 'request' },
  { what: 'the only other operator, a security officer', store: ['Otto'], actor: 'alice', target: 'Otto', outcome: 'request' },
  { what: 'the only other admin', store: ['Bea'], actor: 'alice', target: 'Bea', outcome: 'request' },
  { what: 'a viewer while a custodian could approve', store: ['Vera', 'Kate'], actor: 'alice', target: 'Vera', outcome: 'request' },
  { what: 'a custodian while another custodian is there', store: ['Kate', 'Ken'], actor: 'alice', target: 'Kate', outcome: 'request' },
  { what: 'a second admin asking', store: ['Bea', 'Kate'], actor: 'Bea', target: 'Kate', outcome: 'request' },
  // Configurable: no approvals, or only admins approving.
  { what: 'a custodian under a policy of 0 approvals', store: ['Kate'], actor: 'alice', target: 'Kate', policy: { approvals: 0 }, outcome: 'executed' },
  { what: 'a custodian when only admins approve removals', store: ['Kate'], actor: 'alice', target: 'Kate', policy: { roles: ['admin'] }, outcome: 'executed' },
  { what: 'a custodian when only admins approve, another admin there', store: ['Kate', 'Bea'], actor: 'alice', target: 'Kate', policy: { roles: ['admin'] }, outcome: 'request' },
];

const DEFAULT_REMOVE_POLICY: ApprovalPolicy = { action: 'operator.remove', approvals: 1, roles: ['admin', 'key_custodian', 'security_officer'], operators: [], ttlSeconds: 24 * 3600 };
const consoles: FleetConsole[] = [];
afterAll(() => {
  for (const c of consoles) c.close();
  removeTempDirs();
});

async function store(names: string[], policy?: Partial<ApprovalPolicy>, clock = manualClock(Date.parse('2026-06-01T08:00:00Z'))) {
  const c = await open(tempDir('ecps-remove-'), { clock, rotation: { scheduler: false } });
  consoles.push(c);
  const call = contractCaller(() => c);
  await c.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
  if (policy) await call('approvals:setPolicy', { policy: { ...DEFAULT_REMOVE_POLICY, ...policy } });
  // Each approver after the first is added with an earlier one's approval (operator.approver).
  await addOperators(c, { name: 'alice', passphrase: PASSPHRASE }, names.map((name) => ({ name, role: ROLE_OF[name]!, passphrase: pass(name) })));
  const signIn = async (name: string) => {
    await c.handlers['session:lock']({}, CTX);
    await c.handlers['session:unlock']({ operator: name, passphrase: name === 'alice' ? PASSPHRASE : pass(name) }, CTX);
  };
  const names_ = async () => (await call('operators:list', {})).operators.map((o) => o.name).sort();
  const records = (action: string) => c.audit.query({ action, limit: 1000 }).records;
  return { c, call, signIn, names: names_, records, clock };
}

describe('removing an operator: refused, a request, or run at once', () => {
  for (const row of TABLE) {
    it(`${row.actor} (${ROLE_OF[row.actor] ?? 'admin'}) removing ${row.what}: ${row.outcome}`, async () => {
      const s = await store(row.store, row.policy);
      await s.signIn(row.actor);
      const before = await s.names();
      const requestsBefore = s.records('approval.request').length;
      const attempt = s.call('operators:remove', { name: row.target });
      if (row.outcome === 'executed') {
        expect(await attempt).toEqual({ removed: true });
        expect(await s.names()).toEqual(before.filter((n) => n !== row.target));
        // Run at once because no one else could approve: audited as a waiver, unless the policy asks for none.
        const waived = s.records('approval.waived').filter((r) => r.details.action === 'operator.remove');
        expect(waived.length).toBe(row.policy?.approvals === 0 ? 0 : 1);
        return;
      }
      const refused = await failure(attempt);
      expect(refused.code).toBe(row.outcome === 'request' ? 'approval_required' : row.outcome);
      expect(await s.names(), 'nobody removed').toEqual(before);
      const made = s.records('approval.request').length - requestsBefore;
      if (row.outcome === 'request') {
        const listed = (await s.call('approvals:list', { open: true })).requests;
        expect(listed.map((r) => [r.id, r.action, r.channel, r.summary.name, r.requester, r.state])).toEqual([
          [refused.details.requestId, 'operator.remove', 'operators:remove', row.target, row.actor, 'pending'],
        ]);
        expect(made).toBe(1);
      } else {
        expect(made, 'a refused removal makes no request').toBe(0);
      }
      expect(s.records('operator.remove').filter((r) => r.outcome === 'success')).toEqual([]);
    });
  }
});

describe('the removal that runs is exactly the approved one', () => {
  it('two requests, one approved: executing it removes that operator only; the other cannot run', async () => {
    const s = await store(['Kate', 'Ken', 'Vera']);
    await s.signIn('alice');
    const kate = (await failure(s.call('operators:remove', { name: 'Kate' }))).details.requestId as string;
    const ken = (await failure(s.call('operators:remove', { name: 'Ken' }))).details.requestId as string;
    // Ken approves Kate's removal (and may approve his own: the target's consent counts).
    await s.signIn('Ken');
    expect((await s.call('approvals:approve', { requestId: kate })).state).toBe('approved');
    await s.signIn('alice');
    expect(await failure(s.call('approvals:execute', { requestId: ken }))).toMatchObject({ code: 'illegal_transition' });
    const done = await s.call('approvals:execute', { requestId: kate });
    expect(done.result).toEqual({ removed: true });
    expect(done.request.state).toBe('executed');
    expect(await s.names()).toEqual(['Ken', 'Vera', 'alice']);
    expect(s.records('operator.remove').map((r) => [r.actor, r.targetId, r.outcome])).toEqual([['alice', 'Kate', 'success']]);
    // Executed once: never again.
    expect(await failure(s.call('approvals:execute', { requestId: kate }))).toMatchObject({ code: 'illegal_transition' });
  });

  it('the target approving their own removal; a namesake added after the request is not removed by it', async () => {
    const s = await store(['Kate', 'Vera']);
    await s.signIn('alice');
    const first = (await failure(s.call('operators:remove', { name: 'Vera' }))).details.requestId as string;
    const second = (await failure(s.call('operators:remove', { name: 'Vera' }))).details.requestId as string;
    await s.signIn('Kate');
    await s.call('approvals:approve', { requestId: first });
    await s.call('approvals:approve', { requestId: second });
    await s.signIn('alice');
    await s.call('approvals:execute', { requestId: first });
    expect(await s.names()).toEqual(['Kate', 'alice']);
    // Later, another Vera joins (a viewer: not guarded); the second request was approved for the Vera before.
    s.clock.advance(60_000);
    await s.call('operators:add', { name: 'Vera', role: 'viewer', passphrase: pass('Vera') });
    expect(await failure(s.call('approvals:execute', { requestId: second }))).toMatchObject({ code: 'illegal_transition' });
    expect(await s.names()).toEqual(['Kate', 'Vera', 'alice']);
    // Kate's own removal, approved by Kate: then alice is alone and the waiver applies again.
    const own = (await failure(s.call('operators:remove', { name: 'Kate' }))).details.requestId as string;
    await s.signIn('Kate');
    await s.call('approvals:approve', { requestId: own });
    await s.signIn('alice');
    await s.call('approvals:execute', { requestId: own });
    expect(await s.names()).toEqual(['Vera', 'alice']);
  });
});
