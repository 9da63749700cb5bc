// A PKCS#11 token as an operator's second factor (docs/operators.md "Second factor (PKCS#11 token)"), on a real
// SoftHSM2 token: the operator binds an EC P-256 key pair made with pkcs11-tool; then the unlock needs the token's
// PIN: none is second_factor_required, a wrong PIN or a token holding another key under the label is
// wrong_second_factor (both counted against the operator's throttle), the right PIN unlocks; a wrong passphrase is
// wrong_passphrase whatever the PIN; an admin's reset removes the factor. The CLI gives the PIN from ECPS_TOKEN_PIN
// and binds a token through `operators token slots / bind` (the PIN never on argv; from the variable or stdin).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import type { ConsoleError } from '../../shared/errors.ts';
import { manualClock } from '../../electron/clock.ts';
import { join } from 'node:path';
import { cliEnv, cliInProcess, cliRunner } from './support/cliProcess.ts';
import { contractCaller } from './support/consoleCalls.ts';
import { createSoftHsmToken, removeSoftHsmFolder, type SoftHsmToken } from './softhsm-kit.ts';
import { codeOf, CTX, open, PASSPHRASE, removeTempDirs, tempDir } from '../unit/store-testkit.ts';

const BOB_PASS = 'bob has a long passphrase';
const KEY_LABEL = 'bob-sign-in';
const clock = manualClock(Date.parse('2026-03-02T10:00:00Z'));
const dir = tempDir('ecps-token-factor-');
let c: FleetConsole;
let token: SoftHsmToken;
const call = contractCaller(() => c);
const unlock = (operator: string, passphrase: string, tokenPin?: string) =>
  c.handlers['session:unlock']({ operator, passphrase, ...(tokenPin === undefined ? {} : { tokenPin }) }, CTX);
const keypair = (label: string) => token.pkcs11Tool(['--login', '--pin', token.pin, '--keypairgen', '--key-type', 'EC:prime256v1', '--label', label]);
const bob = async () => {
  await unlock('alice', PASSPHRASE);
  const row = (await call('operators:list', {})).operators.find((o) => o.name === 'bob')!;
  await call('session:lock', {});
  return row;
};

beforeAll(async () => {
  token = createSoftHsmToken('factor');
  c = await open(dir, { clock, rotation: { scheduler: false } });
  await call('session:init', { operator: 'alice', passphrase: PASSPHRASE });
  await call('operators:add', { name: 'bob', role: 'viewer', passphrase: BOB_PASS });
  await call('session:lock', {});
});

afterAll(async () => {
  c.close();
  await token.cleanup();
  removeSoftHsmFolder();
  removeTempDirs();
});

describe('a PKCS#11 token key as second factor', () => {
  it('enrolment refusals name the field they are about (module path, token label, PIN, key label), for the window', async () => {
    keypair(KEY_LABEL);
    token.pkcs11Tool(['--login', '--pin', token.pin, '--keypairgen', '--key-type', 'EC:secp384r1', '--label', 'bob-p384']);
    await unlock('bob', BOB_PASS);
    const ref = { modulePath: token.modulePath, tokenLabel: token.label, keyLabel: KEY_LABEL, pin: token.pin };
    const refusal = async (input: typeof ref) => {
      try {
        await call('operators:enrollToken', input);
      } catch (e) {
        const err = e as ConsoleError;
        return [err.code, err.details?.field, err.message];
      }
      return ['accepted'];
    };
    // [input, code, field, words the message holds] (table written here).
    const CASES: Array<[typeof ref, string, string, RegExp]> = [
      [{ ...ref, modulePath: '/usr/lib/no-such-pkcs11-module.so' }, 'invalid_input', 'modulePath', /does not exist/],
      [{ ...ref, tokenLabel: 'no such token' }, 'provider_unavailable', 'tokenLabel', /not present/],
      [{ ...ref, pin: 'not-the-pin' }, 'wrong_second_factor', 'pin', /refused the PIN/],
      [{ ...ref, keyLabel: 'no such key' }, 'wrong_second_factor', 'keyLabel', /no EC P-256 or RSA key pair labelled no such key/],
      [{ ...ref, keyLabel: 'bob-p384' }, 'wrong_second_factor', 'keyLabel', /bob-p384 is not an EC P-256 key/],
    ];
    for (const [input, code, field, words] of CASES) expect(await refusal(input)).toEqual([code, field, expect.stringMatching(words)]);
    await call('session:lock', {});
  });

  it("a signed-in viewer lists the module's tokens to pick theirs (operators:tokenSlots), audited; a bad module is refused", async () => {
    await unlock('bob', BOB_PASS);
    const { slots } = await call('operators:tokenSlots', { modulePath: token.modulePath });
    expect(slots).toEqual(expect.arrayContaining([expect.objectContaining({ tokenLabel: token.label, tokenPresent: true, loginRequired: true })]));
    expect(c.audit.query({ action: 'operator.token_slots', limit: 1 }).records[0]).toMatchObject({ actor: 'bob', outcome: 'success', details: { modulePath: token.modulePath, slots: String(slots.length) } });
    expect(await codeOf(() => call('operators:tokenSlots', { modulePath: '/usr/lib/no-such-pkcs11-module.so' }))).toBe('invalid_input');
    expect(c.audit.query({ action: 'operator.token_slots', limit: 1 }).records[0]).toMatchObject({ actor: 'bob', outcome: 'failure', details: { code: 'invalid_input' } });
    await call('session:lock', {});
  });

  it('binding needs the right PIN and an EC key pair under the label; then the list says pkcs11', async () => {
    await unlock('bob', BOB_PASS);
    const ref = { modulePath: token.modulePath, tokenLabel: token.label, keyLabel: KEY_LABEL };
    expect(await codeOf(() => call('operators:enrollToken', { ...ref, pin: 'not-the-pin' }))).toBe('wrong_second_factor');
    expect(await codeOf(() => call('operators:enrollToken', { ...ref, keyLabel: 'no such key', pin: token.pin }))).toBe('wrong_second_factor');
    const bound = await call('operators:enrollToken', { ...ref, pin: token.pin });
    expect(bound.enabled).toBe(true);
    // A token's enrolment gives recovery codes too (docs/operators.md "Recovery codes").
    expect(bound.recoveryCodes).toHaveLength(10);
    expect(c.audit.query({ action: 'operator.token_enable', limit: 3 }).records.map((r) => r.outcome)).toEqual(['success', 'failure', 'failure']);
    await call('session:lock', {});
    expect((await bob()).secondFactor).toBe('pkcs11');
  });

  it('unlock: no PIN, a wrong PIN, a wrong passphrase; the right PIN opens and clears the count', async () => {
    const noPin = await codeOf(() => unlock('bob', BOB_PASS));
    expect(noPin).toBe('second_factor_required');
    await expect(unlock('bob', BOB_PASS)).rejects.toMatchObject({ details: { factor: 'pkcs11' } });
    clock.advance(60 * 60_000);
    expect(await codeOf(() => unlock('bob', 'not bob, a wrong passphrase', token.pin))).toBe('wrong_passphrase');
    clock.advance(60 * 60_000);
    expect(await codeOf(() => unlock('bob', BOB_PASS, 'wrong-pin'))).toBe('wrong_second_factor');
    expect(c.audit.query({ action: 'session.unlock', limit: 1 }).records[0]).toMatchObject({ actor: 'bob', outcome: 'failure', details: { code: 'wrong_second_factor' } });
    clock.advance(60 * 60_000);
    expect((await bob()).failedAttempts).toBe(4); // two without a PIN, the wrong passphrase, the wrong PIN
    expect(await unlock('bob', BOB_PASS, token.pin)).toMatchObject({ state: 'unlocked', operator: 'bob' });
    expect(c.audit.query({ action: 'session.unlock', limit: 1 }).records[0]).toMatchObject({ outcome: 'success', details: { secondFactor: 'pkcs11' } });
    await call('session:lock', {});
    expect((await bob()).failedAttempts).toBe(0);
  });

  it('a token whose key under the label was replaced does not pass (the kept public key decides)', async () => {
    token.pkcs11Tool(['--login', '--pin', token.pin, '--delete-object', '--type', 'privkey', '--label', KEY_LABEL]);
    token.pkcs11Tool(['--login', '--pin', token.pin, '--delete-object', '--type', 'pubkey', '--label', KEY_LABEL]);
    keypair(KEY_LABEL);
    expect(await codeOf(() => unlock('bob', BOB_PASS, token.pin))).toBe('wrong_second_factor');
  });

  it("an admin's reset removes the factor: the passphrase alone opens again", async () => {
    await unlock('alice', PASSPHRASE);
    expect(await call('operators:resetTotp', { name: 'bob' })).toEqual({ reset: true });
    await call('session:lock', {});
    clock.advance(60 * 60_000);
    expect(await unlock('bob', BOB_PASS)).toMatchObject({ state: 'unlocked' });
  });
});

describe('an RSA key pair on the token as second factor', () => {
  const CAROL_PASS = 'carol has a long passphrase';
  const rsaPair = (label: string, bits: number) => token.pkcs11Tool(['--login', '--pin', token.pin, '--keypairgen', '--key-type', `rsa:${bits}`, '--label', label]);
  const unlockCarol = (pin?: string) => unlock('carol', CAROL_PASS, pin);

  beforeAll(async () => {
    await unlock('alice', PASSPHRASE);
    await call('operators:add', { name: 'carol', role: 'viewer', passphrase: CAROL_PASS });
    await call('session:lock', {});
    rsaPair('carol-rsa', 2048);
    rsaPair('carol-rsa-short', 1024);
  });

  it('a 1024-bit RSA key is refused at binding (the key label named), a 2048-bit one is bound', async () => {
    clock.advance(60 * 60_000);
    await unlockCarol();
    const ref = { modulePath: token.modulePath, tokenLabel: token.label, pin: token.pin };
    await expect(call('operators:enrollToken', { ...ref, keyLabel: 'carol-rsa-short' })).rejects.toMatchObject({
      code: 'wrong_second_factor',
      details: { field: 'keyLabel' },
      message: expect.stringMatching(/carol-rsa-short has 1024 bits; the console accepts RSA keys of 2048/),
    });
    expect(await call('operators:enrollToken', { ...ref, keyLabel: 'carol-rsa' })).toMatchObject({ enabled: true });
    expect(c.audit.query({ action: 'operator.token_enable', limit: 1 }).records[0]).toMatchObject({ actor: 'carol', outcome: 'success', details: { keyLabel: 'carol-rsa', keyType: 'rsa-2048' } });
    await call('session:lock', {});
  });

  it('unlock with the RSA key: the token signs a challenge that the kept RSA public key verifies', async () => {
    expect(await codeOf(() => unlockCarol())).toBe('second_factor_required');
    expect(await codeOf(() => unlockCarol('wrong-pin'))).toBe('wrong_second_factor');
    clock.advance(60 * 60_000);
    expect(await unlockCarol(token.pin)).toMatchObject({ state: 'unlocked', operator: 'carol' });
    expect(c.audit.query({ action: 'session.unlock', limit: 1 }).records[0]).toMatchObject({ actor: 'carol', outcome: 'success', details: { secondFactor: 'pkcs11' } });
    await call('session:lock', {});
  });

  it('another RSA key under the same label is refused: the kept public key decides', async () => {
    token.pkcs11Tool(['--login', '--pin', token.pin, '--delete-object', '--type', 'privkey', '--label', 'carol-rsa']);
    token.pkcs11Tool(['--login', '--pin', token.pin, '--delete-object', '--type', 'pubkey', '--label', 'carol-rsa']);
    rsaPair('carol-rsa', 2048);
    clock.advance(60 * 60_000);
    expect(await codeOf(() => unlockCarol(token.pin))).toBe('wrong_second_factor');
    expect(c.audit.query({ action: 'session.unlock', limit: 1 }).records[0]).toMatchObject({ actor: 'carol', outcome: 'failure', details: { code: 'wrong_second_factor' } });
  });
});

describe('the CLI gives the token PIN from ECPS_TOKEN_PIN', () => {
  const { dir: cliDir, cli } = cliRunner('ecps-token-cli-', PASSPHRASE, 'in-process');

  beforeAll(async () => {
    keypair('alice-sign-in');
    const setup = await open(join(cliDir, 'store'));
    await setup.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    await setup.handlers['operators:enrollToken']({ modulePath: token.modulePath, tokenLabel: token.label, keyLabel: 'alice-sign-in', pin: token.pin }, CTX);
    setup.close();
  });

  it('without it the command is refused; with a wrong PIN too; with the right one it runs', async () => {
    expect((await cli(['keys', 'list'])).stderr).toContain('error [second_factor_required]');
    expect((await cli(['keys', 'list'], undefined, { ECPS_TOKEN_PIN: 'wrong-pin' })).stderr).toContain('error [wrong_second_factor]');
    const ok = await cli(['keys', 'list'], undefined, { ECPS_TOKEN_PIN: token.pin });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
  });
});

describe('the CLI binds the signed-in operator\'s token key (operators token slots / bind; docs/cli.md)', () => {
  const { dir: cliDir, cli } = cliRunner('ecps-token-bind-cli-', PASSPHRASE, 'in-process');
  const storeDir = join(cliDir, 'store');
  /** docs/operators.md: four groups of four characters of Crockford's base32. */
  const CODE_SHAPE = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/;
  /** The codes the binding printed (the next test signs in with one). */
  let recoveryCodes: string[] = [];

  beforeAll(async () => {
    keypair('alice-cli-bound');
    keypair('alice-cli-second');
    const setup = await open(storeDir);
    await setup.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    setup.close();
  });

  it('slots lists the token; bind refuses a wrong PIN and an unknown key, binds with ECPS_TOKEN_PIN and prints ten codes; the token then signs in', async () => {
    const slots = await cli(['operators', 'token', 'slots', '--module', token.modulePath]);
    expect([slots.code, slots.stderr]).toEqual([0, '']);
    expect(slots.stdout.split('\n')[0]).toMatch(/^SLOT +TOKEN /);
    expect(slots.stdout).toMatch(new RegExp(`^\\S+ +${token.label} `, 'm'));

    const bind = (keyLabel: string, pin: string) =>
      cli(['operators', 'token', 'bind', '--module', token.modulePath, '--token-label', token.label, '--key-label', keyLabel], undefined, { ECPS_TOKEN_PIN: pin });
    const wrongPin = await bind('alice-cli-bound', 'not-the-pin');
    expect([wrongPin.code, wrongPin.stdout]).toEqual([1, '']);
    expect(wrongPin.stderr).toMatch(/^error \[wrong_second_factor\]: /);
    const noKey = await bind('no such key', token.pin);
    expect([noKey.code, noKey.stderr.split(':')[0]]).toEqual([1, 'error [wrong_second_factor]']);
    // no PIN at all (no variable, nothing on stdin): the command says where a PIN comes from, binds nothing
    const noPin = await cli(['operators', 'token', 'bind', '--module', token.modulePath, '--token-label', token.label, '--key-label', 'alice-cli-bound']);
    expect([noPin.code, noPin.stdout]).toEqual([1, '']);
    expect(noPin.stderr).toMatch(/^error \[invalid_input\]: No token PIN given: set ECPS_TOKEN_PIN, type it at the prompt, or pipe it on stdin\.\n/);

    const bound = await bind('alice-cli-bound', token.pin);
    expect([bound.code, bound.stderr]).toEqual([0, '']);
    const lines = bound.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`token key bound.*${token.label}.*recovery codes`, 'i'));
    expect(lines.slice(1, -1)).toHaveLength(10);
    for (const code of lines.slice(1, -1)) expect(code).toMatch(CODE_SHAPE);
    recoveryCodes = lines.slice(1, -1);

    // from now on the token signs in: without its PIN refused, with it the command runs
    expect((await cli(['keys', 'list'])).stderr).toMatch(/^error \[second_factor_required\]/);
    const withPin = await cli(['keys', 'list'], undefined, { ECPS_TOKEN_PIN: token.pin });
    expect([withPin.code, withPin.stderr]).toEqual([0, '']);

    // audited as the channel audits (two refusals with their codes, then the binding); the PIN nowhere in the audit
    const check = await open(storeDir);
    try {
      await check.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE, tokenPin: token.pin }, CTX);
      const records = check.audit.query({ action: 'operator.token_enable', limit: 10 }).records.reverse();
      expect(records.map((r) => [r.actor, r.outcome, r.details?.code ?? null])).toEqual([
        ['alice', 'failure', 'wrong_second_factor'],
        ['alice', 'failure', 'wrong_second_factor'],
        ['alice', 'success', null],
      ]);
      expect(check.audit.query({ action: 'operator.token_slots', limit: 1 }).records[0]).toMatchObject({ actor: 'alice', outcome: 'success' });
      expect(JSON.stringify(check.audit.query({ limit: 500 }).records)).not.toContain(token.pin);
    } finally {
      check.close();
    }
  });

  it('the PIN as an argument is refused (usage, exit 2), nothing bound', async () => {
    const r = await cli(['operators', 'token', 'bind', '--module', token.modulePath, '--token-label', token.label, '--key-label', 'alice-cli-bound', '--pin', token.pin]);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toMatch(/^usage error: refusing a token PIN on the command line/);
  });

  it('replacing the token key: signed in with a recovery code (no ECPS_TOKEN_PIN), the new PIN is read from stdin (docs/cli.md)', async () => {
    expect(recoveryCodes).toHaveLength(10);
    const r = await cliInProcess(
      ['--data-dir', storeDir, 'operators', 'token', 'bind', '--module', token.modulePath, '--token-label', token.label, '--key-label', 'alice-cli-second', '--recovery-code', recoveryCodes[0]!],
      { env: cliEnv({ ECPS_PASSPHRASE: PASSPHRASE }), stdin: `${token.pin}\n` },
    );
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout.split('\n').slice(1, -1)).toHaveLength(10);
    // the token still signs in (now with the new key); the old set of codes went with the old binding
    const withPin = await cli(['keys', 'list'], undefined, { ECPS_TOKEN_PIN: token.pin });
    expect([withPin.code, withPin.stderr]).toEqual([0, '']);
    expect((await cli(['keys', 'list', '--recovery-code', recoveryCodes[1]!])).stderr).toMatch(/^error \[wrong_second_factor\]/);
  });
});
