// Recovery codes for a lost authenticator or token (issue 14, docs/operators.md "Recovery codes"), on a real store
// with the console's clock moved by hand: the enrolment gives ten codes once, stored only as slow hashes; a code stands
// in for the second factor once (also after a restart), audited with the count left; a code of another operator does
// not work; wrong codes are throttled like a wrong factor; a wrong passphrase does not spend a code; regenerating
// invalidates the old set; an admin's reset of the factor removes the codes; the CLI's --recovery-code and
// `operators recovery-codes regenerate`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { codeAt } from './support/totpCodes.ts';
import { cliRunner } from './support/cliProcess.ts';
import { contractCaller } from './support/consoleCalls.ts';
import { codeOf, CTX, dbFile, open, PASSPHRASE, removeTempDirs, tempDir} from '../unit/store-testkit.ts';

const BOB_PASS = 'bob has a long passphrase';
const CAROL_PASS = 'carol has a long passphrase';
const HOUR = 60 * 60_000;
/** Four groups of four characters of Crockford's base32 (no I, L, O, U), as the docs give them. */
const CODE_SHAPE = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/;

const clock = manualClock(Date.parse('2026-03-02T10:00:00Z'));
const logger = createMemoryLogger();
const dir = tempDir('ecps-recovery-codes-');
let c: FleetConsole;
const call = contractCaller(() => c);
const codes: Record<string, string[]> = {};

const unlock = (operator: string, passphrase: string, extra: { recoveryCode?: string; totp?: string } = {}) =>
  c.handlers['session:unlock']({ operator, passphrase, ...extra }, CTX);
const lockIfUnlocked = async () => {
  if ((await call('session:status', {})).state === 'unlocked') await call('session:lock', {});
};
/** Signs in with a code; answers the state or the refusal's code. Each attempt starts after any throttle wait. */
const tryCode = async (operator: string, passphrase: string, recoveryCode: string) => {
  await lockIfUnlocked();
  clock.advance(HOUR);
  try {
    return (await unlock(operator, passphrase, { recoveryCode })).state;
  } catch (e) {
    return (e as { code: string }).code;
  } finally {
    await lockIfUnlocked();
  }
};
const lastRecord = (action: string) => c.audit.query({ action, limit: 1 }).records[0]!;
/** The unused codes of an operator, as an admin's list says. */
const storedCodeRows = async (operator: string) => {
  await lockIfUnlocked();
  await unlock('alice', PASSPHRASE);
  const row = (await call('operators:list', {})).operators.find((o) => o.name === operator)!;
  await call('session:lock', {});
  return { n: row.recoveryCodesLeft };
};

/** Enrols an authenticator app for the operator (signed in) and returns the recovery codes shown. */
const enrolTotp = async (operator: string, passphrase: string) => {
  await lockIfUnlocked();
  await unlock(operator, passphrase);
  const { secret } = await call('operators:enrollTotp', {});
  const done = await call('operators:confirmTotp', { code: codeAt(secret, clock.now()) });
  await call('session:lock', {});
  return done.recoveryCodes;
};

beforeAll(async () => {
  c = await open(dir, { clock, logger, rotation: { scheduler: false }, idleLock: { intervalMs: null } });
  await call('session:init', { operator: 'alice', passphrase: PASSPHRASE });
  await call('operators:add', { name: 'bob', role: 'viewer', passphrase: BOB_PASS });
  await call('operators:add', { name: 'carol', role: 'viewer', passphrase: CAROL_PASS });
  await call('session:lock', {});
  codes['bob'] = await enrolTotp('bob', BOB_PASS);
  codes['carol'] = await enrolTotp('carol', CAROL_PASS);
});

afterAll(() => {
  c.close();
  removeTempDirs();
});

describe('recovery codes', () => {
  it('the enrolment shows ten distinct codes once; only hashes are stored (not in the file, the audit or the log)', async () => {
    const bob = codes['bob']!;
    expect(bob).toHaveLength(10);
    expect(new Set(bob).size).toBe(10);
    for (const code of bob) expect(code).toMatch(CODE_SHAPE);
    expect(codes['carol']!.some((code) => bob.includes(code))).toBe(false);
    expect(lastRecord('operator.recoveryCode.regenerate')).toMatchObject({ actor: 'carol', outcome: 'success', details: { count: '10' } });
    expect((await storedCodeRows('bob')).n).toBe(10);
    c.audit.checkpoint();
    const file = readFileSync(dbFile(dir)).toString('latin1');
    const audit = JSON.stringify(c.audit.query({ limit: 500 }).records);
    const logs = JSON.stringify(logger.entries);
    for (const code of bob) {
      for (const form of [code, code.replace(/-/g, '')]) {
        expect(file).not.toContain(form);
        expect(audit).not.toContain(form);
        expect(logs).not.toContain(form);
      }
    }
  });

  it('a code opens instead of the authenticator once: audited with the count left; used again it is refused, also after a restart', async () => {
    const [first] = codes['bob']!;
    expect(await tryCode('bob', BOB_PASS, first!)).toBe('unlocked');
    expect(lastRecord('operator.recoveryCode.used')).toMatchObject({ actor: 'bob', targetId: 'bob', outcome: 'success', details: { remaining: 9 } });
    expect(lastRecord('session.unlock')).toMatchObject({ actor: 'bob', outcome: 'success', details: { secondFactor: 'recovery_code' } });
    expect(await tryCode('bob', BOB_PASS, first!)).toBe('wrong_second_factor');
    // The same code typed otherwise (lower case, no dashes) is the same code: still used.
    expect(await tryCode('bob', BOB_PASS, first!.replace(/-/g, '').toLowerCase())).toBe('wrong_second_factor');
    c.close();
    c = await open(dir, { clock, logger, rotation: { scheduler: false }, idleLock: { intervalMs: null } });
    expect(await tryCode('bob', BOB_PASS, first!)).toBe('wrong_second_factor');
    expect(lastRecord('operator.recoveryCode.used')).toMatchObject({ actor: 'bob', outcome: 'failure', details: { code: 'wrong_second_factor', remaining: 9 } });
    // An unused one typed in lower case with spaces works.
    expect(await tryCode('bob', BOB_PASS, codes['bob']![1]!.toLowerCase().replace(/-/g, ' '))).toBe('unlocked');
    expect(lastRecord('operator.recoveryCode.used')).toMatchObject({ actor: 'bob', outcome: 'success', details: { remaining: 8 } });
    expect((await storedCodeRows('bob')).n).toBe(8);
  });

  it("another operator's code does not open, and is not spent by the attempt", async () => {
    const carols = codes['carol']![0]!;
    expect(await tryCode('bob', BOB_PASS, carols)).toBe('wrong_second_factor');
    expect((await storedCodeRows('carol')).n).toBe(10);
    expect(await tryCode('carol', CAROL_PASS, carols)).toBe('unlocked');
    expect(await tryCode('carol', CAROL_PASS, carols)).toBe('wrong_second_factor');
  });

  it('a wrong passphrase with a good code is wrong_passphrase and does not spend the code', async () => {
    const code = codes['bob']![2]!;
    expect(await tryCode('bob', 'not bob, a wrong passphrase', code)).toBe('wrong_passphrase');
    expect((await storedCodeRows('bob')).n).toBe(8);
    expect(await tryCode('bob', BOB_PASS, code)).toBe('unlocked');
  });

  it('wrong codes count against the throttle like a wrong factor: the third pauses even a good code', async () => {
    await lockIfUnlocked();
    clock.advance(HOUR);
    for (let i = 0; i < 3; i++) expect(await codeOf(() => unlock('bob', BOB_PASS, { recoveryCode: 'AAAA-AAAA-AAAA-AAAA' }))).toBe('wrong_second_factor');
    await expect(unlock('bob', BOB_PASS, { recoveryCode: codes['bob']![3]! })).rejects.toMatchObject({ code: 'too_many_attempts', details: { retryAfterMs: expect.any(Number) } });
    expect((await storedCodeRows('bob')).n).toBe(7);
    clock.advance(HOUR);
    expect((await unlock('bob', BOB_PASS, { recoveryCode: codes['bob']![3]! })).state).toBe('unlocked');
    await call('session:lock', {});
  });

  it('regenerating gives a new set and the old codes stop working; without a factor there is nothing to regenerate', async () => {
    clock.advance(HOUR);
    await unlock('bob', BOB_PASS, { recoveryCode: codes['bob']![4]! });
    const { recoveryCodes } = await call('operators:regenerateRecoveryCodes', {});
    await call('session:lock', {});
    expect(recoveryCodes).toHaveLength(10);
    expect(recoveryCodes.some((code) => codes['bob']!.includes(code))).toBe(false);
    expect(lastRecord('operator.recoveryCode.regenerate')).toMatchObject({ actor: 'bob', outcome: 'success' });
    expect(await tryCode('bob', BOB_PASS, codes['bob']![5]!)).toBe('wrong_second_factor');
    expect(await tryCode('bob', BOB_PASS, recoveryCodes[0]!)).toBe('unlocked');
    codes['bob'] = recoveryCodes;
    await unlock('alice', PASSPHRASE);
    expect(await codeOf(() => call('operators:regenerateRecoveryCodes', {}))).toBe('illegal_transition');
    await call('session:lock', {});
  });

  it("an admin's reset of the factor removes the codes; a code given without a factor changes nothing", async () => {
    await unlock('alice', PASSPHRASE);
    await call('operators:resetTotp', { name: 'bob' });
    await call('session:lock', {});
    expect((await storedCodeRows('bob')).n).toBe(0);
    expect(await tryCode('bob', BOB_PASS, codes['bob']![1]!)).toBe('unlocked');
    expect(lastRecord('session.unlock').details).not.toHaveProperty('secondFactor');
  });
});

describe('the CLI: --recovery-code and operators recovery-codes regenerate', () => {
  const { dir: cliDir, cli } = cliRunner('ecps-recovery-cli-', PASSPHRASE, 'in-process');
  let first: string[] = [];

  beforeAll(async () => {
    const setup = await open(join(cliDir, 'store'));
    await setup.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    const { secret } = await setup.handlers['operators:enrollTotp']({}, CTX);
    first = (await setup.handlers['operators:confirmTotp']({ code: codeAt(secret, Date.now(), -1) }, CTX)).recoveryCodes;
    setup.close();
  });

  it('a code signs in once; regenerate prints a new set that replaces it', async () => {
    expect((await cli(['keys', 'list'])).stderr).toContain('error [second_factor_required]');
    const ok = await cli(['keys', 'list', '--recovery-code', first[0]!]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect((await cli(['keys', 'list', '--recovery-code', first[0]!])).stderr).toContain('error [wrong_second_factor]');
    const regen = await cli(['operators', 'recovery-codes', 'regenerate'], undefined, { ECPS_RECOVERY_CODE: first[1]! });
    expect(regen.code).toBe(0);
    const printed = regen.stdout.split('\n').filter((l) => CODE_SHAPE.test(l.trim())).map((l) => l.trim());
    expect(printed).toHaveLength(10);
    expect((await cli(['keys', 'list', '--recovery-code', first[2]!])).stderr).toContain('error [wrong_second_factor]');
    expect((await cli(['keys', 'list', '--recovery-code', printed[0]!])).code).toBe(0);
    expect((await cli(['operators', 'recovery-codes', 'rotate'])).stderr).toMatch(/expected regenerate/);
  });
});
