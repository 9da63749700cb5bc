// Recovery codes at unlock, in-process over a real store (docs/operators.md "Recovery codes"), so the mutation run sees
// them (test/integration/operators-recovery.test.ts does the same outside Stryker's reach, from a beforeAll hook): a
// code stands in for the factor once, audited with the count left; a wrong, used or another operator's code is
// wrong_second_factor, counted against the operator's throttle (three failures pause them for 5 s); a wrong passphrase
// spends nothing; regenerating replaces the set. One console per test, the clock moved by hand.
import { afterEach, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { codeAt } from '../integration/support/totpCodes.ts';
import { contractCaller, failure } from '../integration/support/consoleCalls.ts';
import { CTX, open, PASSPHRASE, removeTempDirs, tempDir } from './store-testkit.ts';

const BOB_PASS = 'bob has a long passphrase';
const consoles: FleetConsole[] = [];

afterEach(() => {
  for (const c of consoles.splice(0)) c.close();
  removeTempDirs();
});

/** A store with alice (admin) and bob (viewer), each with an authenticator app; answers their recovery codes. */
async function setUp() {
  const clock = manualClock(Date.parse('2026-03-02T10:00:00Z'));
  const c = await open(tempDir('ecps-rc-session-'), { clock, rotation: { scheduler: false }, idleLock: { intervalMs: null } });
  consoles.push(c);
  const call = contractCaller(() => c);
  await call('session:init', { operator: 'alice', passphrase: PASSPHRASE });
  await call('operators:add', { name: 'bob', role: 'viewer', passphrase: BOB_PASS });
  const enrol = async () => {
    const { secret } = await call('operators:enrollTotp', {});
    const { recoveryCodes } = await call('operators:confirmTotp', { code: codeAt(secret, clock.now()) });
    await call('session:lock', {});
    return recoveryCodes;
  };
  const alice = await enrol();
  await c.handlers['session:unlock']({ operator: 'bob', passphrase: BOB_PASS }, CTX);
  const bob = await enrol();
  const unlock = (operator: string, passphrase: string, recoveryCode: string) => c.handlers['session:unlock']({ operator, passphrase, recoveryCode }, CTX);
  const lastUsed = () => c.audit.query({ action: 'operator.recoveryCode.used', limit: 1 }).records[0]!;
  return { c, clock, call, alice, bob, unlock, lastUsed };
}

describe('recovery codes at unlock', () => {
  it('a code opens once, audited with the count left; used again, or another operator\'s, it is refused', async () => {
    const { call, alice, bob, unlock, lastUsed } = await setUp();
    expect(alice).toHaveLength(10);
    expect((await unlock('alice', PASSPHRASE, alice[0]!)).state).toBe('unlocked');
    expect(lastUsed()).toMatchObject({ actor: 'alice', outcome: 'success', details: { remaining: 9 } });
    await call('session:lock', {});
    expect(await failure(unlock('alice', PASSPHRASE, alice[0]!))).toMatchObject({ code: 'wrong_second_factor', message: 'The recovery code is wrong or was already used.' });
    expect(lastUsed()).toMatchObject({ actor: 'alice', outcome: 'failure', details: { code: 'wrong_second_factor', remaining: 9 } });
    expect((await failure(unlock('alice', PASSPHRASE, bob[0]!))).code).toBe('wrong_second_factor');
    // Typed in lower case with spaces, another of alice's codes still opens.
    expect((await unlock('alice', PASSPHRASE, alice[5]!.toLowerCase().replace(/-/g, ' '))).state).toBe('unlocked');
    expect(lastUsed()).toMatchObject({ outcome: 'success', details: { remaining: 8 } });
    await call('session:lock', {});
    // bob's own code, refused for alice, was not spent.
    expect((await unlock('bob', BOB_PASS, bob[0]!)).state).toBe('unlocked');
    expect(lastUsed()).toMatchObject({ actor: 'bob', outcome: 'success', details: { remaining: 9 } });
  });

  it('wrong codes count against the throttle: the third pauses the operator for 5 s; a wrong passphrase spends no code', async () => {
    const { clock, call, alice, unlock } = await setUp();
    expect((await failure(unlock('alice', 'not the passphrase at all', alice[0]!))).code).toBe('wrong_passphrase');
    clock.advance(60 * 60_000);
    expect((await unlock('alice', PASSPHRASE, alice[0]!)).state).toBe('unlocked');
    await call('session:lock', {});
    expect((await failure(unlock('alice', PASSPHRASE, alice[0]!))).code).toBe('wrong_second_factor');
    expect((await failure(unlock('alice', PASSPHRASE, 'ZZZZ-ZZZZ-ZZZZ-ZZZZ'))).code).toBe('wrong_second_factor');
    const third = await failure(unlock('alice', PASSPHRASE, alice[0]!));
    expect(third).toMatchObject({ code: 'wrong_second_factor', details: { retryAfterMs: 5_000 } });
    expect((await failure(unlock('alice', PASSPHRASE, alice[1]!))).code).toBe('too_many_attempts');
    clock.advance(5_000);
    expect((await unlock('alice', PASSPHRASE, alice[1]!)).state).toBe('unlocked');
    const me = (await call('operators:list', {})).operators.find((o) => o.name === 'alice')!;
    expect(me).toMatchObject({ failedAttempts: 0, recoveryCodesLeft: 8 });
  });

  it('regenerating gives a new set of ten and the old set no longer opens', async () => {
    const { call, alice, unlock } = await setUp();
    expect((await unlock('alice', PASSPHRASE, alice[0]!)).state).toBe('unlocked');
    const { recoveryCodes } = await call('operators:regenerateRecoveryCodes', {});
    expect(recoveryCodes).toHaveLength(10);
    expect(recoveryCodes.filter((code) => alice.includes(code))).toEqual([]);
    expect((await call('operators:list', {})).operators.find((o) => o.name === 'alice')!.recoveryCodesLeft).toBe(10);
    await call('session:lock', {});
    expect((await failure(unlock('alice', PASSPHRASE, alice[1]!))).code).toBe('wrong_second_factor');
    expect((await unlock('alice', PASSPHRASE, recoveryCodes[9]!)).state).toBe('unlocked');
  });
});
