// The second factor and the idle lock (issue 14, docs/operators.md "Second factor", "Idle lock"), on a real store
// with the console's clock moved by hand: enrolment, unlock with, without, with a wrong and with a replayed code, the
// answers that must not tell a wrong passphrase from a wrong code, the throttle, an admin's reset, the secret kept
// out of the logs, the audit and the database in clear; the idle lock after the idle time and not before, the page
// hidden too long, the setting's bounds; and the CLI's --totp / ECPS_TOTP.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import type { FleetConsole } from '../../electron/app.ts';
import { createRouter } from '../../electron/ipc/router.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { base32Decode, codeAt, hotp } from './support/totpCodes.ts';
import { cliRunner } from './support/cliProcess.ts';
import { contractCaller } from './support/consoleCalls.ts';
import { codeOf, CTX, dbFile, open, PASSPHRASE, removeTempDirs, tempDir } from '../unit/store-testkit.ts';

const BOB_PASS = 'bob has a long passphrase';
const MINUTE = 60_000;

const clock = manualClock(Date.parse('2026-03-02T10:00:00Z'));
const logger = createMemoryLogger();
const dir = tempDir('ecps-factor-');
let c: FleetConsole;
const call = contractCaller(() => c);
let bobSecret = '';

const unlock = (operator: string, passphrase: string, totp?: string) =>
  c.handlers['session:unlock']({ operator, passphrase, ...(totp === undefined ? {} : { totp }) }, CTX);
const lockIfUnlocked = async () => {
  if ((await call('session:status', {})).state === 'unlocked') await call('session:lock', {});
};
const bobRow = async () => {
  await lockIfUnlocked();
  await unlock('alice', PASSPHRASE);
  const row = (await call('operators:list', {})).operators.find((o) => o.name === 'bob')!;
  await call('session:lock', {});
  return row;
};
const lastUnlockFailure = () => c.audit.query({ action: 'session.unlock', limit: 1 }).records[0]!;

beforeAll(async () => {
  c = await open(dir, { clock, logger, rotation: { scheduler: false }, idleLock: { intervalMs: null } });
  await call('session:init', { operator: 'alice', passphrase: PASSPHRASE });
  await call('operators:add', { name: 'bob', role: 'key_custodian', passphrase: BOB_PASS });
  await call('session:lock', {});
});

afterAll(() => {
  c.close();
  removeTempDirs();
});

describe('the codes of this test', () => {
  it('match RFC 6238 Appendix B (SHA-1, T=59 s: 94287082)', () => {
    expect(hotp(Buffer.from('12345678901234567890'), 1, 8)).toBe('94287082');
  });
});

describe('enrolment', () => {
  it('an operator enrols themselves: the URI and secret once, activated by a valid code only', async () => {
    await unlock('bob', BOB_PASS);
    const e = await call('operators:enrollTotp', {});
    bobSecret = e.secret;
    expect(e.uri).toMatch(/^otpauth:\/\/totp\//);
    expect(new URL(e.uri).searchParams.get('secret')).toBe(bobSecret);
    expect(base32Decode(bobSecret)).toHaveLength(20);
    // Not active before it is confirmed: the list says none.
    await lockIfUnlocked();
    expect((await bobRow()).secondFactor).toBe('none');
    await unlock('bob', BOB_PASS);
    const wrong = String((Number(codeAt(bobSecret, clock.now())) + 500_000) % 1_000_000).padStart(6, '0');
    expect(await codeOf(() => call('operators:confirmTotp', { code: wrong }))).toBe('wrong_second_factor');
    expect(await call('operators:confirmTotp', { code: codeAt(bobSecret, clock.now()) })).toMatchObject({ enabled: true, recoveryCodes: expect.any(Array) });
    // Newest first: the activation, then the refused wrong code.
    expect(c.audit.query({ action: 'operator.totp_enable', limit: 5 }).records.map((r) => [r.actor, r.targetId, r.outcome, r.details.code ?? null])).toEqual([
      ['bob', 'bob', 'success', null],
      ['bob', 'bob', 'failure', 'wrong_second_factor'],
    ]);
    expect((await bobRow()).secondFactor).toBe('totp');
  });

  it('confirming without an enrolment started is refused', async () => {
    await unlock('alice', PASSPHRASE);
    expect(await codeOf(() => call('operators:confirmTotp', { code: '123456' }))).toBe('illegal_transition');
    await call('session:lock', {});
  });
});

describe('unlock with a second factor', () => {
  it('right passphrase without a code: second_factor_required, counted and audited as a failed sign-in', async () => {
    clock.advance(30_000);
    expect(await codeOf(() => unlock('bob', BOB_PASS))).toBe('second_factor_required');
    expect(lastUnlockFailure()).toMatchObject({ actor: 'bob', outcome: 'failure', details: { code: 'second_factor_required' } });
    expect((await call('session:status', {})).state).toBe('locked');
    expect((await bobRow()).failedAttempts).toBe(1);
  });

  it('a wrong passphrase answers wrong_passphrase whatever the code (right, wrong or none)', async () => {
    for (const totp of [codeAt(bobSecret, clock.now()), '000000', undefined]) {
      clock.advance(10 * MINUTE); // past each throttle wait
      expect(await codeOf(() => unlock('bob', 'not bob at all, wrong', totp))).toBe('wrong_passphrase');
    }
    expect((await bobRow()).failedAttempts).toBe(4);
  });

  it('right passphrase, wrong code: wrong_second_factor; the right code unlocks and clears the count', async () => {
    clock.advance(60 * MINUTE); // past the throttle's wait
    expect(await codeOf(() => unlock('bob', BOB_PASS, '999 999' === codeAt(bobSecret, clock.now()) ? '000000' : '999 999'))).toBe('wrong_second_factor');
    expect(lastUnlockFailure()).toMatchObject({ actor: 'bob', details: { code: 'wrong_second_factor' } });
    clock.advance(60 * MINUTE);
    const code = codeAt(bobSecret, clock.now());
    expect(await unlock('bob', BOB_PASS, `${code.slice(0, 3)} ${code.slice(3)}`)).toMatchObject({ state: 'unlocked', operator: 'bob' });
    expect(c.audit.query({ action: 'session.unlock', limit: 1 }).records[0]).toMatchObject({ outcome: 'success', details: { secondFactor: 'totp' } });
    expect((await bobRow()).failedAttempts).toBe(0);
  });

  it('a code already used is refused (replay), also in the next step; the next step\'s code works', async () => {
    const used = codeAt(bobSecret, clock.now()); // accepted by the previous test
    expect(await codeOf(() => unlock('bob', BOB_PASS, used))).toBe('wrong_second_factor');
    clock.advance(30_000);
    expect(await codeOf(() => unlock('bob', BOB_PASS, used))).toBe('wrong_second_factor');
    expect(await unlock('bob', BOB_PASS, codeAt(bobSecret, clock.now()))).toMatchObject({ state: 'unlocked' });
    await call('session:lock', {});
    // The last accepted step is persisted: a reopened console refuses the same code too.
    c.close();
    c = await open(dir, { clock, logger, rotation: { scheduler: false }, idleLock: { intervalMs: null } });
    expect(await codeOf(() => unlock('bob', BOB_PASS, codeAt(bobSecret, clock.now())))).toBe('wrong_second_factor');
  });

  it('wrong codes count against the throttle: after three, even the right code waits', async () => {
    clock.advance(60 * MINUTE);
    await unlock('alice', PASSPHRASE); // clears nothing of bob's, checks the count below from zero
    await call('session:lock', {});
    const before = (await bobRow()).failedAttempts;
    expect(before).toBeLessThan(3);
    for (let i = before; i < 3; i++) expect(await codeOf(() => unlock('bob', BOB_PASS, '000001'))).toBe('wrong_second_factor');
    expect(await codeOf(() => unlock('bob', BOB_PASS, codeAt(bobSecret, clock.now())))).toBe('too_many_attempts');
    clock.advance(5_000);
    expect(await unlock('bob', BOB_PASS, codeAt(bobSecret, clock.now()))).toMatchObject({ state: 'unlocked' });
    await call('session:lock', {});
  });

  it('an admin resets the factor (audited); the operator then signs in with the passphrase alone', async () => {
    await unlock('bob', BOB_PASS, codeAt(bobSecret, clock.now(), 1));
    expect(await codeOf(() => call('operators:resetTotp', { name: 'alice' }))).toBe('forbidden');
    await call('session:lock', {});
    await unlock('alice', PASSPHRASE);
    expect(await codeOf(() => call('operators:resetTotp', { name: 'nobody' }))).toBe('not_found');
    expect(await call('operators:resetTotp', { name: 'bob' })).toEqual({ reset: true });
    expect(c.audit.query({ action: 'operator.totp_reset', limit: 5 }).records.map((r) => [r.actor, r.targetId, r.outcome])).toEqual([
      ['alice', 'bob', 'success'],
      ['alice', 'nobody', 'failure'],
    ]);
    await call('session:lock', {});
    expect(await unlock('bob', BOB_PASS)).toMatchObject({ state: 'unlocked' });
    await call('session:lock', {});
  });

  it('the secret is in no log line, no audit record and not in clear in the database file', async () => {
    const secretBytes = base32Decode(bobSecret);
    const logged = JSON.stringify(logger.entries);
    const audited = JSON.stringify(c.audit.query({ limit: 1000 }).records);
    for (const text of [logged, audited]) {
      expect(text).not.toContain(bobSecret);
      expect(text).not.toContain(secretBytes.toString('hex'));
      expect(text).not.toContain(secretBytes.toString('base64'));
    }
    // A fresh enrolment (not yet confirmed) is stored sealed: its bytes do not appear in the file.
    await unlock('alice', PASSPHRASE);
    const fresh = base32Decode((await call('operators:enrollTotp', {})).secret);
    await call('session:lock', {});
    c.close();
    const files = [dbFile(dir), `${dbFile(dir)}-wal`].map((f) => {
      try {
        return readFileSync(f);
      } catch {
        return Buffer.alloc(0);
      }
    });
    for (const f of files) {
      expect(f.includes(fresh)).toBe(false);
      expect(f.includes(secretBytes)).toBe(false);
    }
    c = await open(dir, { clock, logger, rotation: { scheduler: false }, idleLock: { intervalMs: null } });
  });
});

describe('idle lock', () => {
  const lockReasons = () => c.audit.query({ action: 'session.lock', limit: 1000 }).records.map((r) => r.details.reason ?? null);

  it('locks after the idle time without a call, not before; a late call finds the session locked', async () => {
    await unlock('alice', PASSPHRASE);
    expect(await call('session:idleLock', {})).toEqual({ minutes: 10 });
    clock.advance(10 * MINUTE - 1);
    expect(c.idle.check()).toBeNull();
    expect((await call('keys:list', {})).keys).toEqual([]); // a call: activity, the idle time starts again
    clock.advance(10 * MINUTE - 1);
    // Passive calls (the window's own status polls) do not keep the session open.
    expect((await call('session:status', {})).state).toBe('unlocked');
    clock.advance(1);
    const before = lockReasons().length;
    expect(await codeOf(() => call('keys:list', {}))).toBe('locked');
    expect(lockReasons().length).toBe(before + 1);
    expect(lockReasons()[0]).toBe('idle');
    expect(c.audit.query({ action: 'session.lock', limit: 1 }).records[0]).toMatchObject({ actor: 'alice', outcome: 'success' });
  });

  it('the timer path: check() locks once the time has passed', async () => {
    await unlock('alice', PASSPHRASE);
    clock.advance(10 * MINUTE);
    expect(c.idle.check()).toBe('idle');
    expect((await call('session:status', {})).state).toBe('locked');
    expect(c.idle.check()).toBeNull();
  });

  it('a page hidden longer than the idle time locks with the reason hidden; shown again in time, it does not', async () => {
    await unlock('alice', PASSPHRASE);
    await call('session:visibility', { hidden: true });
    clock.advance(5 * MINUTE);
    expect(await call('session:visibility', { hidden: false })).toEqual({ state: 'unlocked' });
    await call('keys:list', {});
    await call('session:visibility', { hidden: true });
    clock.advance(10 * MINUTE - 1);
    expect(c.idle.check()).toBeNull();
    clock.advance(1);
    expect(c.idle.check()).toBe('hidden');
    expect(lockReasons()[0]).toBe('hidden');
  });

  it('the idle time is an admin setting from 1 to 240 minutes, persisted and audited', async () => {
    await unlock('bob', BOB_PASS);
    expect(await call('session:idleLock', {})).toEqual({ minutes: 10 });
    expect(await codeOf(() => call('session:setIdleLock', { minutes: 30 }))).toBe('forbidden');
    await call('session:lock', {});
    await unlock('alice', PASSPHRASE);
    // Refused by the contract (through the router) and by the service itself.
    const router = createRouter({ handlers: c.handlers, access: c.access });
    for (const minutes of [0, 241, 1.5, -5]) {
      expect(await router.route({ channel: 'session:setIdleLock', input: { minutes }, ctx: CTX, trustedSender: true }), String(minutes)).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
      expect(await codeOf(() => c.idle.setMinutes(minutes)), String(minutes)).toBe('invalid_input');
    }
    expect(c.audit.query({ action: 'settings.idle_lock', limit: 5 }).records).toEqual([]);
    expect(await call('session:setIdleLock', { minutes: 240 })).toEqual({ minutes: 240 });
    expect(await call('session:setIdleLock', { minutes: 1 })).toEqual({ minutes: 1 });
    expect(c.audit.query({ action: 'settings.idle_lock', limit: 5 }).records.map((r) => r.details).reverse()).toEqual([{ from: 10, to: 240 }, { from: 240, to: 1 }]);
    clock.advance(MINUTE - 1);
    expect(c.idle.check()).toBeNull();
    clock.advance(1);
    expect(c.idle.check()).toBe('idle');
    c.close();
    c = await open(dir, { clock, logger, rotation: { scheduler: false }, idleLock: { intervalMs: null } });
    await unlock('alice', PASSPHRASE);
    expect(await call('session:idleLock', {})).toEqual({ minutes: 1 });
    await call('session:setIdleLock', { minutes: 10 });
    await call('session:lock', {});
  });

  it('a console without the idle lock (CLI, headless scheduler) never locks by itself', async () => {
    const other = tempDir('ecps-factor-noidle-');
    const clock2 = manualClock();
    const headless = await open(other, { clock: clock2, rotation: { scheduler: false } });
    await headless.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    clock2.advance(24 * 60 * MINUTE);
    expect((await headless.handlers['keys:list']({}, CTX)).keys).toEqual([]);
    headless.close();
  });
});

describe('the CLI signs in with --totp or ECPS_TOTP', () => {
  const { dir: cliDir, cli } = cliRunner('ecps-factor-cli-', PASSPHRASE, 'in-process');
  let secret = '';

  beforeAll(async () => {
    // The CLI runs on the real clock: the factor is enrolled with it too.
    const setup = await open(join(cliDir, 'store'));
    await setup.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    secret = (await setup.handlers['operators:enrollTotp']({}, CTX)).secret;
    await setup.handlers['operators:confirmTotp']({ code: codeAt(secret, Date.now(), -1) }, CTX);
    setup.close();
  });

  it('refuses without a code, accepts --totp, refuses the same code again, accepts ECPS_TOTP with the next one', async () => {
    const none = await cli(['keys', 'list']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('error [second_factor_required]');
    const code = codeAt(secret, Date.now());
    const first = await cli(['keys', 'list', '--totp', code]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect((await cli(['keys', 'list', '--totp', code])).stderr).toContain('error [wrong_second_factor]');
    const next = await cli(['keys', 'list'], undefined, { ECPS_TOTP: codeAt(secret, Date.now(), 1) });
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
    const bad = await cli(['keys', 'list', '--totp', 'abc']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--totp');
  });

  it('a wrong passphrase is still wrong_passphrase with a valid code', async () => {
    const r = await cli(['keys', 'list', '--totp', codeAt(secret, Date.now(), 1)], undefined, { ECPS_PASSPHRASE: 'not the passphrase at all' });
    expect(r.stderr).toContain('error [wrong_passphrase]');
  });
});

