// `operators idle-time get|set`, `operators reset-factor NAME` and `approvals policy list|set` in the CLI (issue 14,
// docs/cli.md) through runCli on a real store. Who may run which command is the issue's own role definitions, written
// here as a table (not read from shared/permissions.ts): everyone may read (viewer: "read only"); the idle time, an
// operator's second factor and the approval policies are the admin's ("operators, providers, policies").
import { addOperators } from './support/consoleCalls.ts';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRunner } from './support/cliProcess.ts';
import { codeAt } from './support/totpCodes.ts';
import { CTX, open, PASSPHRASE, removeTempDirs } from '../unit/store-testkit.ts';

const pass = (name: string) => `${name} has a long passphrase`;
const { dir, cli } = cliRunner('ecps-cli-op-settings-', PASSPHRASE, 'in-process');
const as = (operator: string, args: string[]) =>
  cli(args, undefined, { ECPS_OPERATOR: operator, ECPS_PASSPHRASE: operator === 'alice' ? PASSPHRASE : pass(operator) });

/** One operator per role (alice, the first, is the admin). */
const BY_ROLE = { viewer: 'Vera', station_operator: 'Sam', key_custodian: 'Kate', security_officer: 'Sol', admin: 'alice' } as const;
type Role = keyof typeof BY_ROLE;
const ROLES = Object.keys(BY_ROLE) as Role[];
const ALL: readonly Role[] = ROLES;
const ADMIN_ONLY: readonly Role[] = ['admin'];

/** Command -> the roles allowed to run it (the others get `forbidden`, exit 1). */
const MATRIX: ReadonlyArray<{ args: string[]; allowed: readonly Role[] }> = [
  { args: ['operators', 'idle-time', 'get'], allowed: ALL },
  { args: ['operators', 'idle-time', 'set', '15'], allowed: ADMIN_ONLY },
  // Tom holds a TOTP factor (beforeAll): the admin's reset succeeds once, so the admin runs it last.
  { args: ['operators', 'reset-factor', 'Tom'], allowed: ADMIN_ONLY },
  { args: ['approvals', 'policy', 'list'], allowed: ALL },
  // Raising a policy (more approvals) runs at once; lowering asks for approval (below).
  { args: ['approvals', 'policy', 'set', 'ca.replace', '--m', '2'], allowed: ADMIN_ONLY },
];

beforeAll(async () => {
  const setup = await open(join(dir, 'store'));
  await setup.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
  await addOperators(setup, { name: 'alice', passphrase: PASSPHRASE }, ROLES.filter((r) => r !== 'admin').map((role) => ({ name: BY_ROLE[role], role, passphrase: pass(BY_ROLE[role]) })));
  await setup.handlers['operators:add']({ name: 'Tom', role: 'viewer', passphrase: pass('Tom') }, CTX);
  // Tom enrols an authenticator app (signed in as himself).
  await setup.handlers['session:lock']({}, CTX);
  await setup.handlers['session:unlock']({ operator: 'Tom', passphrase: pass('Tom') }, CTX);
  const secret = (await setup.handlers['operators:enrollTotp']({}, CTX)).secret;
  await setup.handlers['operators:confirmTotp']({ code: codeAt(secret, Date.now(), -1) }, CTX);
  setup.close();
});

afterAll(() => removeTempDirs());

const factorOf = async (name: string) => {
  const r = await as('alice', ['operators', 'list', '--json']);
  return (JSON.parse(r.stdout) as { operators: Array<{ name: string; secondFactor: string }> }).operators.find((o) => o.name === name)?.secondFactor;
};

describe('operator settings and approval policies through the CLI', () => {
  it('role x command: each role is allowed or refused (forbidden, exit 1) as the issue defines', async () => {
    const seen: string[] = [];
    const expected: string[] = [];
    for (const { args, allowed } of MATRIX) {
      // Refused roles first, so a command that changes something is refused before the admin's run changes it.
      for (const role of [...ROLES.filter((r) => !allowed.includes(r)), ...allowed]) {
        const r = await as(BY_ROLE[role], [...args, '--json']);
        const outcome = r.code === 0 ? 'allowed' : r.stderr.includes('error [forbidden]') ? 'forbidden' : `exit ${r.code}: ${r.stderr.trim()}`;
        seen.push(`${role} ${args.join(' ')} -> ${outcome}`);
        expected.push(`${role} ${args.join(' ')} -> ${allowed.includes(role) ? 'allowed' : 'forbidden'}`);
      }
    }
    expect(seen).toEqual(expected);
  });

  it('idle-time set changes what get reads back (human and --json); out of range is invalid_input; bad usage exits 2', async () => {
    const set = await as('alice', ['operators', 'idle-time', 'set', '30']);
    expect([set.code, set.stdout.trim()]).toEqual([0, 'idle lock after 30 minute(s) without activity']);
    const get = await as('Vera', ['operators', 'idle-time', 'get', '--json']);
    expect(JSON.parse(get.stdout)).toEqual({ minutes: 30 });
    const high = await as('alice', ['operators', 'idle-time', 'set', '241']);
    expect([high.code, high.stderr]).toEqual([1, expect.stringContaining('error [invalid_input]')]);
    for (const args of [['set'], ['set', 'ten'], ['get', '5'], ['show']]) {
      expect((await as('alice', ['operators', 'idle-time', ...args])).code, args.join(' ')).toBe(2);
    }
  });

  it('reset-factor removed Tom\'s factor (the matrix ran it as the admin): he signs in with his passphrase alone; a second reset is refused', async () => {
    expect(await factorOf('Tom')).toBe('none');
    expect((await as('Tom', ['operators', 'list'])).code).toBe(0);
    const again = await as('alice', ['operators', 'reset-factor', 'Tom']);
    expect([again.code, again.stderr]).toEqual([1, expect.stringContaining('error [illegal_transition]')]);
    expect((await as('alice', ['operators', 'reset-factor', 'Nobody'])).code).toBe(1);
  });

  it('policy list prints every configurable action; set changes only the fields given', async () => {
    const list = JSON.parse((await as('Vera', ['approvals', 'policy', 'list', '--json'])).stdout) as { policies: Array<{ action: string; approvals: number; roles: string[]; ttlSeconds: number }> };
    expect(list.policies.map((p) => p.action).sort()).toEqual(['ca.replace', 'ca.revoke', 'emergency.wide', 'key.compromise', 'key.destroy', 'operator.admin', 'recovery.shares', 'rotation.lower', 'operator.remove', 'operator.approver'].sort());
    const before = list.policies.find((p) => p.action === 'key.compromise')!;
    // Fewer roles takes Sol (a security officer) away from the approvers: lowering, a request (the waiver could follow).
    const fewer = await as('alice', ['approvals', 'policy', 'set', 'key.compromise', '--m', '2', '--eligible', 'admin', '--json']);
    expect([fewer.code, fewer.stderr]).toEqual([1, expect.stringContaining('error [approval_required]: approval.lower')]);
    // More approvals from the same roles: raising, at once (adding approvers or a longer life would be lowering, below).
    const set = await as('alice', ['approvals', 'policy', 'set', 'key.compromise', '--m', '2', '--json']);
    expect(set.stderr).toBe('');
    const after = JSON.parse(set.stdout) as { approvals: number; roles: string[]; operators: string[]; ttlSeconds: number; updatedBy: string };
    expect(after).toMatchObject({ approvals: 2, roles: before.roles, operators: [], ttlSeconds: before.ttlSeconds, updatedBy: 'alice' });
    const human = await as('alice', ['approvals', 'policy', 'list']);
    expect(human.stdout).toMatch(/^key\.compromise {2}approvals 2 {2}eligible security_officer,admin {2}requests live \d+ s {2}\(set .* by alice\)$/m);
  });

  it('lowering a policy answers approval_required with the request, like other guarded commands; nothing changes until approved', async () => {
    // ca.replace was raised to 2 by the matrix; back to 1 is lowering (eligible: security officers and admins).
    const r = await as('alice', ['approvals', 'policy', 'set', 'ca.replace', '--m', '1']);
    expect([r.code, r.stderr]).toEqual([1, expect.stringContaining('error [approval_required]')]);
    const open = JSON.parse((await as('alice', ['approvals', 'list', '--json'])).stdout) as { requests: Array<{ id: string; action: string; channel: string }> };
    const request = open.requests.find((q) => q.channel === 'approvals:setPolicy');
    expect(request?.action).toBe('approval.lower');
    expect(r.stderr).toContain(request!.id);
    const policies = JSON.parse((await as('alice', ['approvals', 'policy', 'list', '--json'])).stdout) as { policies: Array<{ action: string; approvals: number }> };
    expect(policies.policies.find((p) => p.action === 'ca.replace')?.approvals).toBe(2);
  });

  it('usage: set needs an action and a field, numbers are numbers, list takes no field; an unknown action or role is invalid_input', async () => {
    for (const args of [['set'], ['set', 'key.destroy'], ['set', 'key.destroy', '--m', 'two'], ['list', '--m', '1'], ['show']]) {
      expect((await as('alice', ['approvals', 'policy', ...args])).code, args.join(' ')).toBe(2);
    }
    for (const args of [['set', 'key.melt', '--m', '1'], ['set', 'key.destroy', '--eligible', 'overlord']]) {
      const r = await as('alice', ['approvals', 'policy', ...args]);
      expect([args.join(' '), r.code, r.stderr]).toEqual([args.join(' '), 1, expect.stringContaining('error [invalid_input]')]);
    }
  });
});
