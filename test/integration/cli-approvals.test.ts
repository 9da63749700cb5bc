// Two-person control through the CLI (docs/cli.md, docs/two-person-control.md): a destruction asked by custodian Kate
// answers approval_required; Ken approves signed in as himself (or offline, with a signed approval file made by
// `approvals keygen` / `approvals sign` on a workstation without the store); Kate executes; the key is destroyed.
import { addOperators } from './support/consoleCalls.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRunner } from './support/cliProcess.ts';
import { CTX, open, PASSPHRASE, removeTempDirs } from '../unit/store-testkit.ts';

const pass = (name: string) => `${name} has a long passphrase`;
const KEY_PASS = 'Ken approval key passphrase';
const { dir, cli } = cliRunner('ecps-cli-approvals-', PASSPHRASE, 'in-process');
const as = (operator: string, args: string[], env: Record<string, string> = {}) => cli(args, undefined, { ECPS_OPERATOR: operator, ECPS_PASSPHRASE: operator === 'alice' ? PASSPHRASE : pass(operator), ...env });
const keyIds: string[] = [];

beforeAll(async () => {
  const setup = await open(join(dir, 'store'));
  await setup.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
  await addOperators(setup, { name: 'alice', passphrase: PASSPHRASE }, ['Kate', 'Ken'].map((name) => ({ name, role: 'key_custodian' as const, passphrase: pass(name) })));
  for (const label of ['cli destroy', 'cli destroy by file', 'cli denied']) {
    const key = await setup.handlers['keys:create']({ type: 'storage', label }, CTX);
    await setup.handlers['keys:setState']({ keyId: key.id, state: 'deactivated', reason: 'out of use' }, CTX);
    keyIds.push(key.id);
  }
  setup.close();
});

afterAll(() => removeTempDirs());

/** Kate asks to destroy the key: exit 1 with approval_required; the request id is in the message and in the list. */
async function kateAsksToDestroy(keyId: string): Promise<string> {
  const r = await as('Kate', ['keys', 'state', keyId, 'destroyed', '--reason', 'end of life']);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('error [approval_required]');
  const list = JSON.parse((await as('Kate', ['approvals', 'list', '--json'])).stdout) as { requests: Array<{ id: string; summary: Record<string, string> }> };
  const request = list.requests.find((q) => q.summary.keyId === keyId);
  expect(request).toBeDefined();
  expect(r.stderr).toContain(request!.id);
  return request!.id;
}

const stateOf = async (keyId: string) => {
  const keys = JSON.parse((await as('alice', ['keys', 'list', '--json'])).stdout) as { keys: Array<{ id: string; state: string }> };
  return keys.keys.find((k) => k.id === keyId)?.state;
};

describe('approvals through the CLI', () => {
  it('Kate asks, cannot approve her own, Ken approves signed in as Ken, Kate executes: the key is destroyed', async () => {
    const id = await kateAsksToDestroy(keyIds[0]!);
    const own = await as('Kate', ['approvals', 'approve', id]);
    expect(own.code).toBe(1);
    expect(own.stderr).toContain('error [illegal_transition]');
    const early = await as('Kate', ['approvals', 'execute', id]);
    expect(early.stderr).toContain('error [illegal_transition]');
    expect(await stateOf(keyIds[0]!)).toBe('deactivated');

    const ok = await as('Ken', ['approvals', 'approve', id]);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toContain('approvals 1/1: Ken');
    const run = await as('Kate', ['approvals', 'execute', id]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`executed: ${id}  executed`);
    expect(await stateOf(keyIds[0]!)).toBe('destroyed');
  });

  it('an approval file: exported by Kate, signed offline by Ken with his enrolled key, imported, executed', async () => {
    const id = await kateAsksToDestroy(keyIds[1]!);
    const requestPath = join(dir, 'request.json');
    expect((await as('Kate', ['approvals', 'export', id, '--out', requestPath])).code).toBe(0);

    // Ken's workstation: no --data-dir is needed; the key file's passphrase comes from its own variable.
    const keyPath = join(dir, 'ken-approval.pem');
    const gen = await cli(['approvals', 'keygen', '--out', keyPath, '--json'], undefined, { ECPS_APPROVAL_KEY_PASSPHRASE: KEY_PASS });
    expect(gen.stderr).toBe('');
    expect(readFileSync(keyPath, 'utf8')).toContain('BEGIN ENCRYPTED PRIVATE KEY');
    const publicPath = join(dir, 'ken-approval.pub');
    writeFileSync(publicPath, (JSON.parse(gen.stdout) as { publicKeyPem: string }).publicKeyPem);
    expect((await as('Ken', ['approvals', 'enrol', '--in', publicPath])).stdout).toContain('approval key enrolled for Ken');

    const approvalPath = join(dir, 'approval.json');
    const wrongPass = await cli(['--operator', 'Ken', 'approvals', 'sign', '--in', requestPath, '--key', keyPath, '--out', approvalPath], undefined, { ECPS_APPROVAL_KEY_PASSPHRASE: 'not the key passphrase' });
    expect(wrongPass.stderr).toContain('error [wrong_passphrase]');
    const signed = await cli(['--operator', 'Ken', 'approvals', 'sign', '--in', requestPath, '--key', keyPath, '--out', approvalPath], undefined, { ECPS_APPROVAL_KEY_PASSPHRASE: KEY_PASS });
    expect(signed.stderr).toBe('');
    expect(signed.stdout).toContain(`approved as Ken: key.destroy (keys:setState keyId=${keyIds[1]!}`);

    const imported = await as('Kate', ['approvals', 'import', '--in', approvalPath]);
    expect(imported.stderr).toBe('');
    expect(imported.stdout).toContain('Ken (file)');
    expect((await as('Kate', ['approvals', 'execute', id])).code).toBe(0);
    expect(await stateOf(keyIds[1]!)).toBe('destroyed');
  });

  it('a denied request cannot run', async () => {
    const id = await kateAsksToDestroy(keyIds[2]!);
    expect((await as('Ken', ['approvals', 'deny', id, '--reason', 'wrong key'])).stdout).toContain(`denied: ${id}  denied`);
    expect((await as('Kate', ['approvals', 'execute', id])).stderr).toContain('error [illegal_transition]');
    expect(await stateOf(keyIds[2]!)).toBe('deactivated');
    const all = JSON.parse((await as('Kate', ['approvals', 'list', '--all', '--json'])).stdout) as { requests: Array<{ id: string; action: string; state: string }> };
    // (Adding Ken, a second approver, was a request Kate approved when the store was set up.)
    expect(all.requests.filter((r) => r.action === 'key.destroy').map((r) => r.state).sort()).toEqual(['denied', 'executed', 'executed']);
    expect(all.requests.filter((r) => r.action !== 'key.destroy').map((r) => [r.action, r.state])).toEqual([['operator.approver', 'executed']]);
    expect((JSON.parse((await as('Kate', ['approvals', 'list', '--json'])).stdout) as { requests: unknown[] }).requests).toEqual([]);
  });
});
