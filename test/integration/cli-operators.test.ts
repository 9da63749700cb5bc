// `operators list|add|remove|role` in the CLI (issue 14, docs/operators.md) through runCli on a real store: every
// command signs in as an operator (ECPS_PASSPHRASE is the signed-in operator's; the new operator's first passphrase
// comes from ECPS_NEW_OPERATOR_PASSPHRASE). The roles and refusals expected are the issue's, written here.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, cliInProcess } from './support/cliProcess.ts';

const ADMIN_PASS = 'Operators cli admin passphrase';
const BOB_PASS = 'Operators cli bob passphrase';
let dir = '';
/** Runs as `operator` (alice unless named) with that operator's passphrase. */
const run = (args: string[], o: { operator?: string; passphrase?: string; extra?: Record<string, string> } = {}) =>
  cliInProcess([...args, '--data-dir', join(dir, 'store'), ...(o.operator ? ['--operator', o.operator] : [])], {
    env: cliEnv({ ECPS_PASSPHRASE: o.passphrase ?? ADMIN_PASS, ...o.extra }),
  });
const listed = async () => JSON.parse((await run(['operators', 'list', '--json'])).stdout) as { operators: Array<{ name: string; role: string; createdBy: string }> };

describe('cli operators', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ecps-cli-operators-'));
    expect((await run(['init'])).code).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an admin adds a viewer with the first passphrase from the environment; the viewer signs in with it', async () => {
    const add = await run(['operators', 'add', 'bob', '--role', 'viewer'], { extra: { ECPS_NEW_OPERATOR_PASSPHRASE: BOB_PASS } });
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toMatch(/^added bob {2}viewer {2}second factor: none {2}added .* by alice/m);
    expect((await listed()).operators.map((o) => [o.name, o.role, o.createdBy])).toEqual([
      ['alice', 'admin', 'alice'],
      ['bob', 'viewer', 'alice'],
    ]);
    // The new passphrase is bob's own: he signs in with it (and not with the admin's).
    expect((await run(['operators', 'list'], { operator: 'bob', passphrase: BOB_PASS })).code).toBe(0);
    const wrong = await run(['operators', 'list'], { operator: 'bob', passphrase: ADMIN_PASS });
    expect([wrong.code, wrong.stderr]).toEqual([1, expect.stringContaining('wrong_passphrase')]);
  });

  it('a viewer may list but not add, change or remove anyone (forbidden, exit 1); nothing changes', async () => {
    const asBob = { operator: 'bob', passphrase: BOB_PASS, extra: { ECPS_NEW_OPERATOR_PASSPHRASE: 'never used passphrase' } };
    const refused: string[][] = [
      ['operators', 'add', 'mallory', '--role', 'admin'],
      ['operators', 'role', 'bob', '--role', 'admin'],
      ['operators', 'remove', 'alice'],
    ];
    for (const args of refused) {
      const r = await run(args, asBob);
      expect([args.join(' '), r.code, r.stderr]).toEqual([args.join(' '), 1, expect.stringContaining('forbidden')]);
    }
    expect((await listed()).operators.map((o) => [o.name, o.role])).toEqual([
      ['alice', 'admin'],
      ['bob', 'viewer'],
    ]);
  });

  it('the admin changes a role and removes operators (an approver only with approval); the last admin cannot remove themselves', async () => {
    const role = await run(['operators', 'role', 'bob', '--role', 'key_custodian']);
    expect([role.code, role.stdout]).toEqual([0, expect.stringMatching(/^bob {2}key_custodian /)]);
    const self = await run(['operators', 'remove', 'alice']);
    expect(self.code).toBe(1);
    // bob, a key custodian, approves things: removing him is a two-person action (operator.remove), and he is the one
    // other approver. The request's id is in the answer; bob approves, alice executes.
    const asked = await run(['operators', 'remove', 'bob']);
    expect([asked.code, asked.stderr]).toEqual([1, expect.stringContaining('error [approval_required]')]);
    expect((await listed()).operators.map((o) => o.name)).toEqual(['alice', 'bob']);
    const id = /request ([0-9a-f-]{36})/.exec(asked.stderr)?.[1] ?? '';
    expect((await run(['approvals', 'approve', id], { operator: 'bob', passphrase: BOB_PASS })).code).toBe(0);
    expect((await run(['approvals', 'execute', id])).code).toBe(0);
    expect((await listed()).operators.map((o) => o.name)).toEqual(['alice']);
    // A viewer approves nothing: with no one else to approve, removing one runs at once (waived, audited).
    expect((await run(['operators', 'add', 'carol', '--role', 'viewer'], { extra: { ECPS_NEW_OPERATOR_PASSPHRASE: BOB_PASS } })).code).toBe(0);
    const removed = await run(['operators', 'remove', 'carol']);
    expect([removed.code, removed.stdout.trim()]).toEqual([0, 'removed carol: key slot wiped']);
    expect((await listed()).operators.map((o) => o.name)).toEqual(['alice']);
  });

  it('usage mistakes exit 2: no --role, no name, an unknown role is a typed refusal (exit 1)', async () => {
    expect((await run(['operators', 'add', 'carol'])).code).toBe(2);
    expect((await run(['operators', 'remove'])).code).toBe(2);
    const bad = await run(['operators', 'role', 'alice', '--role', 'overlord']);
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringContaining('invalid_input')]);
  });
});
