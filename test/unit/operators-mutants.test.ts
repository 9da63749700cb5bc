// The operators service in-process over a real store (electron/services/operators/operators.ts, docs/operators.md
// "Operators and roles"), so the mutation run sees it (the integration tests do the same from beforeAll hooks, which
// Stryker cannot attribute): add (the name unique ignoring case, audited operator.add with the role), remove (not
// oneself, the slot gone, audited operator.remove), change a role (the last admin keeps it, audited operator.set_role
// with from and to, the signed-in operator's own role applies to the next call), change one's own passphrase, and
// operators:list's fields. One console per test, the clock moved by hand; expectations written from the docs.
import { afterEach, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { contractCaller, failure } from '../integration/support/consoleCalls.ts';
import { CTX, open, PASSPHRASE, removeTempDirs, tempDir } from './store-testkit.ts';

const VIC_PASS = 'vic has a long passphrase';
const BOB_PASS = 'bob has a long passphrase';
const T0 = Date.parse('2026-03-02T10:00:00Z');
const consoles: FleetConsole[] = [];

afterEach(() => {
  for (const c of consoles.splice(0)) c.close();
  removeTempDirs();
});

/** A store with alice (admin, signed in) and vic (viewer). */
async function setUp() {
  const clock = manualClock(T0);
  const c = await open(tempDir('ecps-operators-mut-'), { clock, rotation: { scheduler: false }, idleLock: { intervalMs: null } });
  consoles.push(c);
  const changed: string[] = [];
  c.onEvent((event, payload) => {
    if (event === 'operators:changed') changed.push((payload as { name: string }).name);
  });
  const call = contractCaller(() => c);
  await call('session:init', { operator: 'alice', passphrase: PASSPHRASE });
  clock.advance(60_000);
  await call('operators:add', { name: 'vic', role: 'viewer', passphrase: VIC_PASS });
  const last = (action: string) => c.audit.query({ action, limit: 1 }).records[0];
  const count = (action: string) => c.audit.query({ action, limit: 100 }).records.length;
  const signIn = async (operator: string, passphrase: string) => {
    await call('session:lock', {});
    await c.handlers['session:unlock']({ operator, passphrase }, CTX);
  };
  return { c, clock, call, changed, last, count, signIn };
}

describe('operators:add and operators:list', () => {
  it('adds an operator with the documented fields, audited, pushed, and their passphrase opens their slot', async () => {
    const { call, changed, last, clock, signIn } = await setUp();
    expect(changed).toEqual(['vic']);
    expect(last('operator.add')).toMatchObject({ actor: 'alice', targetType: 'operator', targetId: 'vic', outcome: 'success', details: { role: 'viewer', keychainBound: false } });
    expect(last('operator.add')!.details).not.toHaveProperty('approvalRequestId');
    const { operators } = await call('operators:list', {});
    expect(operators.map((o) => o.name)).toEqual(['alice', 'vic']);
    expect(operators[1]).toEqual({
      name: 'vic', role: 'viewer', createdAt: '2026-03-02T10:01:00.000Z', createdBy: 'alice', passphraseChangedAt: null, failedAttempts: 0,
      retryAfterMs: 0, secondFactor: 'none', recoveryCodesLeft: 0, lastSignInAt: null, approvalKey: null,
      approvalKeyRevoked: null,
    });
    // alice's first sign-in is the first run; a later unlock is newer.
    expect(operators[0]).toMatchObject({ name: 'alice', role: 'admin', lastSignInAt: '2026-03-02T10:00:00.000Z' });
    clock.advance(60_000);
    await signIn('alice', PASSPHRASE);
    expect((await call('operators:list', {})).operators[0]!.lastSignInAt).toBe('2026-03-02T10:02:00.000Z');
    await signIn('vic', VIC_PASS);
    expect(await call('session:info', {})).toEqual({ operator: 'vic', role: 'viewer', permissions: ['read'] });
  });

  it('refuses a name taken (ignoring case), audited as a failure; nothing added', async () => {
    const { call, last, count, changed } = await setUp();
    for (const name of ['VIC', 'Alice']) {
      const e = await failure(call('operators:add', { name, role: 'station_operator', passphrase: BOB_PASS }));
      expect(e).toEqual({ code: 'invalid_input', message: `An operator named ${name} already exists.`, details: { field: 'name' } });
      expect(last('operator.add')).toMatchObject({ actor: 'alice', targetId: name, outcome: 'failure', details: { role: 'station_operator', code: 'invalid_input' } });
    }
    expect(count('operator.add')).toBe(3);
    expect((await call('operators:list', {})).operators.map((o) => o.name)).toEqual(['alice', 'vic']);
    expect(changed).toEqual(['vic']);
  });

  it('answers locked when no one is signed in', async () => {
    const { call } = await setUp();
    await call('session:lock', {});
    expect((await failure(call('operators:list', {}))).code).toBe('locked');
    expect((await failure(call('session:info', {}))).code).toBe('locked');
  });
});

describe('operators:remove', () => {
  it('removes an operator: gone from the list, their passphrase opens nothing, audited with their role, pushed', async () => {
    const { c, call, last, changed } = await setUp();
    expect(await call('operators:remove', { name: 'vic' })).toEqual({ removed: true });
    expect(last('operator.remove')).toMatchObject({ actor: 'alice', targetType: 'operator', targetId: 'vic', outcome: 'success', details: { role: 'viewer' } });
    expect(changed).toEqual(['vic', 'vic']);
    expect((await call('operators:list', {})).operators.map((o) => o.name)).toEqual(['alice']);
    await call('session:lock', {});
    expect((await failure(c.handlers['session:unlock']({ operator: 'vic', passphrase: VIC_PASS }, CTX))).code).toBe('wrong_passphrase');
  });

  it('refuses removing oneself and an unknown name, audited as failures', async () => {
    const { call, last, count } = await setUp();
    expect(await failure(call('operators:remove', { name: 'alice' }))).toEqual({ code: 'illegal_transition', message: 'You cannot remove yourself while signed in; another admin can.', details: {} });
    expect(last('operator.remove')).toMatchObject({ actor: 'alice', targetId: 'alice', outcome: 'failure', details: { code: 'illegal_transition' } });
    expect(await failure(call('operators:remove', { name: 'nobody' }))).toEqual({ code: 'not_found', message: 'There is no operator named nobody.', details: { field: 'name' } });
    expect(last('operator.remove')).toMatchObject({ targetId: 'nobody', outcome: 'failure', details: { code: 'not_found' } });
    expect(count('operator.remove')).toBe(2);
    expect((await call('operators:list', {})).operators.map((o) => o.name)).toEqual(['alice', 'vic']);
  });
});

describe('operators:setRole', () => {
  it('changes a role, audited with from and to; the same role again changes and records nothing', async () => {
    const { call, last, count, changed } = await setUp();
    expect(await call('operators:setRole', { name: 'vic', role: 'station_operator' })).toMatchObject({ name: 'vic', role: 'station_operator' });
    expect(last('operator.set_role')).toMatchObject({ actor: 'alice', targetType: 'operator', targetId: 'vic', outcome: 'success', details: { from: 'viewer', to: 'station_operator' } });
    expect(changed).toEqual(['vic', 'vic']);
    expect(await call('operators:setRole', { name: 'vic', role: 'station_operator' })).toMatchObject({ name: 'vic', role: 'station_operator' });
    expect(count('operator.set_role')).toBe(1);
    expect(changed).toEqual(['vic', 'vic']);
    expect((await failure(call('operators:setRole', { name: 'nobody', role: 'viewer' })))).toMatchObject({ code: 'not_found', details: { field: 'name' } });
  });

  it('keeps the last admin: alice cannot take the role from herself, audited as a failure', async () => {
    const { call, last } = await setUp();
    const e = await failure(call('operators:setRole', { name: 'alice', role: 'viewer' }));
    expect(e).toEqual({ code: 'illegal_transition', message: 'alice is the last admin; taking the admin role away would leave the console without one. Make another operator an admin first.', details: {} });
    expect(last('operator.set_role')).toMatchObject({ actor: 'alice', targetId: 'alice', outcome: 'failure', details: { role: 'viewer', code: 'illegal_transition' } });
    expect((await call('session:info', {})).role).toBe('admin');
  });

  it('with a second admin, alice may step down: her own new role applies to the next call', async () => {
    const { call, last } = await setUp();
    // No approver but alice yet: adding an admin runs at once.
    await call('operators:add', { name: 'bob', role: 'admin', passphrase: BOB_PASS });
    expect(await call('operators:setRole', { name: 'alice', role: 'key_custodian' })).toMatchObject({ name: 'alice', role: 'key_custodian' });
    expect(last('operator.set_role')).toMatchObject({ targetId: 'alice', outcome: 'success', details: { from: 'admin', to: 'key_custodian' } });
    expect(await call('session:info', {})).toEqual({ operator: 'alice', role: 'key_custodian', permissions: ['read', 'keys'] });
    expect((await failure(call('operators:list', {}).then(() => call('operators:remove', { name: 'vic' })))).code).toBe('forbidden');
  });

  it('a change run under an approved request names the request in its record', async () => {
    const { call, last, signIn } = await setUp();
    await call('operators:add', { name: 'bob', role: 'admin', passphrase: BOB_PASS });
    const asked = await failure(call('operators:setRole', { name: 'vic', role: 'key_custodian' }));
    expect(asked.code).toBe('approval_required');
    const requestId = asked.details['requestId'] as string;
    await signIn('bob', BOB_PASS);
    await call('approvals:approve', { requestId });
    await signIn('alice', PASSPHRASE);
    await call('approvals:execute', { requestId });
    expect(last('operator.set_role')).toMatchObject({ targetId: 'vic', outcome: 'success', details: { from: 'viewer', to: 'key_custodian', approvalRequestId: requestId } });
  });
});

describe('changing one\'s own passphrase (both channels)', () => {
  it.each(['operators:changePassphrase', 'session:changePassphrase'] as const)('%s re-seals the slot and pushes operators:changed', async (channel) => {
    const { c, call, changed, clock, signIn } = await setUp();
    await signIn('vic', VIC_PASS);
    clock.advance(60_000);
    expect(await call(channel, { current: VIC_PASS, next: BOB_PASS })).toEqual({ changed: true });
    expect(changed).toEqual(['vic', 'vic']);
    expect((await call('operators:list', {})).operators[1]).toMatchObject({ name: 'vic', passphraseChangedAt: '2026-03-02T10:02:00.000Z' });
    await call('session:lock', {});
    expect((await failure(c.handlers['session:unlock']({ operator: 'vic', passphrase: VIC_PASS }, CTX))).code).toBe('wrong_passphrase');
    await c.handlers['session:unlock']({ operator: 'vic', passphrase: BOB_PASS }, CTX);
  });
});
