// approvals:changed (docs/two-person-control.md, "Push event"): the main process pushes it after each committed change
// of a request (made, approved, denied, expired, executed) and of a policy, so the window's Approvals list and the
// shell's badge refresh on it instead of on every audit append. The expected sequence is written here, step by step.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalsChanged } from '../../shared/approvalsContract.ts';
import type { FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { contractCaller, failure, addOperators } from './support/consoleCalls.ts';
import { CTX, open, PASSPHRASE, removeTempDirs, tempDir } from '../unit/store-testkit.ts';

const pass = (name: string) => `${name} has a long passphrase`;
const clock = manualClock(Date.parse('2026-06-01T08:00:00Z'));
let c: FleetConsole;
const call = contractCaller(() => c);
const pushed: ApprovalsChanged[] = [];
let others = 0;

async function signIn(name: string): Promise<void> {
  await c.handlers['session:lock']({}, CTX);
  await c.handlers['session:unlock']({ operator: name, passphrase: name === 'alice' ? PASSPHRASE : pass(name) }, CTX);
}

/** The approvals:changed events pushed while fn ran. */
async function pushedBy(fn: () => Promise<unknown>): Promise<ApprovalsChanged[]> {
  const from = pushed.length;
  await fn();
  return pushed.slice(from);
}

/** Asks to remove an operator (a two-person action) and returns the request id. */
const requestRemoval = async (name: string) => (await failure(call('operators:remove', { name }))).details.requestId as string;

beforeAll(async () => {
  c = await open(tempDir('ecps-approvals-events-'), { clock, rotation: { scheduler: false } });
  c.onEvent((event, payload) => {
    if (event === 'approvals:changed') pushed.push(payload as ApprovalsChanged);
    else others++;
  });
  await c.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
  for (const name of ['Kate', 'Vera', 'Sam']) await call('operators:add', { name, role: name === 'Kate' ? 'key_custodian' : 'viewer', passphrase: pass(name) });
});

afterAll(() => {
  c.close();
  removeTempDirs();
});

describe('approvals:changed', () => {
  it('made (pending), approved, executed: one event each, with the request id and its new state', async () => {
    let id = '';
    expect(await pushedBy(async () => (id = await requestRemoval('Vera')))).toEqual([{ requestId: expect.any(String), state: 'pending' }]);
    expect(pushed.at(-1)?.requestId).toBe(id);
    await signIn('Kate');
    expect(await pushedBy(() => call('approvals:approve', { requestId: id }))).toEqual([{ requestId: id, state: 'approved' }]);
    await signIn('alice');
    expect(await pushedBy(() => call('approvals:execute', { requestId: id }))).toEqual([{ requestId: id, state: 'executed' }]);
  });

  it('denied (and withdrawn): one event; a refused approval or a list pushes nothing', async () => {
    await signIn('alice');
    const id = await requestRemoval('Sam');
    expect(await pushedBy(async () => failure(call('approvals:approve', { requestId: id })))).toEqual([]);
    expect(await pushedBy(() => call('approvals:list', { open: true }))).toEqual([]);
    expect(await pushedBy(() => call('approvals:deny', { requestId: id, reason: 'not now' }))).toEqual([{ requestId: id, state: 'denied' }]);
  });

  it('a policy changed pushes a null request; an approval that does not reach M pushes the request still pending', async () => {
    await signIn('alice');
    // Adding a role to the approvers lowers the policy: the change is itself a request (pending) and changes nothing.
    const lowering = await pushedBy(() => failure(call('approvals:setPolicy', { policy: { action: 'operator.remove', approvals: 2, roles: ['admin', 'key_custodian', 'viewer'], operators: [], ttlSeconds: 3600 } })));
    expect(lowering).toEqual([{ requestId: expect.any(String), state: 'pending' }]);
    const policy = (await call('approvals:policies', {})).policies.find((p) => p.action === 'operator.remove')!;
    expect(policy.approvals).toBe(1);
    const raise = await pushedBy(() => call('approvals:setPolicy', { policy: { action: 'operator.remove', approvals: 2, roles: ['admin', 'key_custodian'], operators: [], ttlSeconds: 3600 } }));
    expect(raise, 'a policy changed: who may approve may have changed').toEqual([{ requestId: null, state: null }]);
    // Ken can approve: Kate approves adding him (operator.approver).
    await addOperators(c, { name: 'alice', passphrase: PASSPHRASE }, [{ name: 'Ken', role: 'key_custodian', passphrase: pass('Ken') }], [
      { name: 'Kate', passphrase: pass('Kate') },
    ]);
    const id = await requestRemoval('Sam');
    await signIn('Kate');
    expect(await pushedBy(() => call('approvals:approve', { requestId: id }))).toEqual([{ requestId: id, state: 'pending' }]);
    await signIn('Ken');
    expect(await pushedBy(() => call('approvals:approve', { requestId: id }))).toEqual([{ requestId: id, state: 'approved' }]);
  });

  it('expired: pushed when the next approvals call marks it, once', async () => {
    await signIn('alice');
    const id = await requestRemoval('Kate');
    clock.advance(3600_000 + 1);
    const marked = await pushedBy(() => call('approvals:list', { open: false }));
    expect(marked).toContainEqual({ requestId: id, state: 'expired' });
    expect(marked.every((e) => e.state === 'expired')).toBe(true);
    expect(await pushedBy(() => call('approvals:list', { open: false }))).toEqual([]);
    // The other events still flow (the audit's among them): this one is in addition, not instead.
    expect(others).toBeGreaterThan(0);
  });
});
