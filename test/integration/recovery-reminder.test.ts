// The few-recovery-codes reminder's dismissal (docs/operators.md "Recovery codes"), on a real store: kept per operator
// at the count of unused codes, across sign-ins and a restart, until the codes change (a code used, a new set, even
// one of the same size, a reset, a removal). The expected values come from those rules, written here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { codeAt } from './support/totpCodes.ts';
import { contractCaller } from './support/consoleCalls.ts';
import { CTX, open, PASSPHRASE, removeTempDirs, tempDir, withRawDb } from '../unit/store-testkit.ts';

const pass = (name: string) => `${name} has a long passphrase`;
const clock = manualClock(Date.parse('2026-03-02T10:00:00Z'));
const dir = tempDir('ecps-recovery-reminder-');
let c: FleetConsole;
const call = contractCaller(() => c);
const codes: Record<string, string[]> = {};

async function signIn(name: string, extra: { recoveryCode?: string; totp?: string } = {}): Promise<void> {
  if ((await call('session:status', {})).state === 'unlocked') await call('session:lock', {});
  clock.advance(60_000);
  const secret = secrets[name];
  const factor = extra.recoveryCode ? extra : secret ? { totp: codeAt(secret, clock.now()) } : {};
  await c.handlers['session:unlock']({ operator: name, passphrase: name === 'alice' ? PASSPHRASE : pass(name), ...factor }, CTX);
}
const secrets: Record<string, string> = {};
const dismissedAt = async () => (await call('operators:recoveryReminder', {})).dismissedAt;
/** console_settings rows of reminders (named by a hash of the operator's name: the count is what the test can see). */
const reminderRows = () => withRawDb(dir, (db) => db.prepare("SELECT count(*) FROM console_settings WHERE name LIKE 'recovery_reminder/%'").pluck().get() as number);

let rowsAtClose = -1;
/** Closes the console (the raw read needs the file to itself), counts the reminder rows, opens it again. */
async function reopen(): Promise<void> {
  c.close();
  rowsAtClose = reminderRows();
  c = await open(dir, { clock, rotation: { scheduler: false }, idleLock: { intervalMs: null } });
}

beforeAll(async () => {
  c = await open(dir, { clock, rotation: { scheduler: false }, idleLock: { intervalMs: null } });
  await call('session:init', { operator: 'alice', passphrase: PASSPHRASE });
  for (const name of ['bob', 'carol']) await call('operators:add', { name, role: 'viewer', passphrase: pass(name) });
  for (const name of ['bob', 'carol']) {
    await signIn(name);
    const { secret } = await call('operators:enrollTotp', {});
    codes[name] = (await call('operators:confirmTotp', { code: codeAt(secret, clock.now()) })).recoveryCodes;
    secrets[name] = secret;
  }
});

afterAll(() => {
  c.close();
  removeTempDirs();
});

describe('the recovery-codes reminder dismissal', () => {
  it('is null until dismissed; dismissed at the count of unused codes; audited', async () => {
    await signIn('bob');
    expect(await dismissedAt()).toBeNull();
    expect(await call('operators:dismissRecoveryReminder', {})).toEqual({ dismissedAt: 10 });
    expect(await dismissedAt()).toBe(10);
    expect(c.audit.query({ action: 'operator.recoveryCode.reminder_dismissed', limit: 5 }).records.map((r) => [r.actor, r.targetId, r.details.remaining])).toEqual([['bob', 'bob', 10]]);
  });

  it('stays across a sign-in and a restart, and is each operator\'s own', async () => {
    await signIn('carol');
    expect(await dismissedAt()).toBeNull();
    await signIn('bob');
    expect(await dismissedAt()).toBe(10);
    await reopen();
    await signIn('bob');
    expect(await dismissedAt()).toBe(10);
  });

  it('is forgotten when a code is used, and when a new set is made, even of the same size', async () => {
    await signIn('bob', { recoveryCode: codes['bob']![0]! });
    expect(await dismissedAt()).toBeNull();
    expect(await call('operators:dismissRecoveryReminder', {})).toEqual({ dismissedAt: 9 });
    await call('operators:regenerateRecoveryCodes', {});
    expect(await dismissedAt()).toBeNull();
    expect(await call('operators:dismissRecoveryReminder', {})).toEqual({ dismissedAt: 10 });
    await call('operators:regenerateRecoveryCodes', {});
    expect(await dismissedAt(), 'a new set of ten is a change too').toBeNull();
  });

  it("is forgotten when an admin resets the factor, and when the operator is removed (no row left)", async () => {
    await signIn('carol');
    await call('operators:dismissRecoveryReminder', {});
    await signIn('bob');
    await call('operators:dismissRecoveryReminder', {});
    await reopen();
    expect(rowsAtClose, 'two dismissals stored').toBe(2);
    await signIn('alice');
    await call('operators:resetTotp', { name: 'carol' });
    delete secrets['carol'];
    await call('operators:remove', { name: 'bob' });
    await reopen();
    expect(rowsAtClose, 'the reset and the removal deleted them').toBe(0);
  });
});
