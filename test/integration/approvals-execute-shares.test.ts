// `approvals execute ID` of an approved recovery.shares request (docs/cli.md, docs/recovery-and-backup.md "Share
// files"), through the real CLI (in process) on a real store with two admins: alice asks, Bea approves, alice runs it.
// Its answer holds the master key's shares, which the text output does not show: without --out-dir or --json the
// command is refused before the request runs (still approved, no set recorded); with --out-dir the shares go to one
// 0600 file per custodian, as `recovery shares --out-dir` writes them, and k of those files recover the store.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CTX, FAST_KDF, open, PASSPHRASE, removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { cliEnv, cliInProcess } from './support/cliProcess.ts';
import { addOperators, contractCaller } from './support/consoleCalls.ts';

const BEA_PASS = 'Bea has a long passphrase too';
const RESCUE_PASS = 'the rescuer picks a new long passphrase';
const CUSTODIANS = ['--custodian', 'Ann', '--custodian', 'Ben', '--custodian', 'Cy'];

const work = tempDir('ecps-execute-shares-');
const store = path.join(work, 'store');
const PASSES: Record<string, string> = { alice: PASSPHRASE, Bea: BEA_PASS, dora: RESCUE_PASS };
const as = (operator: string, args: string[]) => cliInProcess(['--data-dir', store, ...args], { env: cliEnv({ ECPS_OPERATOR: operator, ECPS_PASSPHRASE: PASSES[operator]! }) });

/** What the store says: its share sets and its recovery.create_shares audit records. */
async function storeState(): Promise<{ sets: string[]; created: number }> {
  const c = await open(store, { kdf: FAST_KDF });
  try {
    await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    const call = contractCaller(() => c);
    const sets = (await call('recovery:status', {})).sets.map((s) => s.setId);
    const created = (await call('audit:query', { action: 'recovery.create_shares', limit: 1000 })).records.length;
    return { sets, created };
  } finally {
    c.close();
  }
}

/** The state of request `id` as `approvals list --all --json` shows it. */
async function requestState(id: string): Promise<string | undefined> {
  const list = JSON.parse((await as('alice', ['approvals', 'list', '--all', '--json'])).stdout) as { requests: Array<{ id: string; state: string }> };
  return list.requests.find((r) => r.id === id)?.state;
}

/** alice asks for a 2-of-3 share set (approval_required), Bea approves it: the id of the approved request. */
async function approvedSharesRequest(custodians: string[] = CUSTODIANS): Promise<string> {
  const asked = await as('alice', ['recovery', 'shares', '--k', '2', ...custodians]);
  expect(asked.code).toBe(1);
  expect(asked.stderr).toContain('error [approval_required]');
  const list = JSON.parse((await as('alice', ['approvals', 'list', '--json'])).stdout) as { requests: Array<{ id: string; action: string; state: string }> };
  const request = list.requests.find((r) => r.action === 'recovery.shares' && r.state === 'pending');
  expect(request).toBeDefined();
  expect(asked.stderr).toContain(request!.id);
  expect((await as('Bea', ['approvals', 'approve', request!.id])).code).toBe(0);
  expect(await requestState(request!.id)).toBe('approved');
  return request!.id;
}

let n = 0;
const folder = () => {
  const d = path.join(work, `out-${++n}`);
  fs.mkdirSync(d);
  return d;
};

beforeAll(async () => {
  const setup = await open(store, { kdf: FAST_KDF });
  await setup.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
  await addOperators(setup, { name: 'alice', passphrase: PASSPHRASE }, [{ name: 'Bea', role: 'admin', passphrase: BEA_PASS }, { name: 'Cal', role: 'viewer', passphrase: 'Cal has a long passphrase too' }]);
  setup.close();
});

afterAll(() => removeTempDirs());

describe('approvals execute of a recovery.shares request', () => {
  it('without --out-dir or --json: refused before it runs; the request stays approved and no set is recorded; then --out-dir runs it and k files recover', async () => {
    const id = await approvedSharesRequest();
    const before = await storeState();

    const bare = await as('alice', ['approvals', 'execute', id]);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toContain(`error [invalid_input]: Request ${id} (recovery.shares) hands out the master key's shares`);
    expect(bare.stderr).toContain('--out-dir DIR');
    expect(bare.stdout).toBe('');
    expect(await storeState()).toEqual(before);
    expect(await requestState(id)).toBe('approved');

    // Executable still, now with --out-dir: one 0600 file per custodian, named as recovery shares names them.
    const dir = folder();
    const run = await as('alice', ['approvals', 'execute', id, '--out-dir', dir]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`executed: ${id}  executed`);
    // The executed line, then the set's heading on a line of its own, then one line per file.
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^executed: ${id}  executed`));
    expect(lines[1]).toMatch(/^share set \S+: 2 of 3 shares rebuild the master key/);
    expect(lines).toHaveLength(5);
    const files = ['share-1-Ann.txt', 'share-2-Ben.txt', 'share-3-Cy.txt'].map((f) => path.join(dir, f));
    for (const [i, f] of files.entries()) expect(run.stdout).toContain(`share ${i + 1} for ${['Ann', 'Ben', 'Cy'][i]} -> ${f}`);
    expect(fs.readdirSync(dir).sort()).toEqual(files.map((f) => path.basename(f)));
    for (const f of files) expect(fs.statSync(f).mode & 0o777).toBe(0o600);
    expect(run.stdout).not.toContain('ecps-share');
    expect(await requestState(id)).toBe('executed');
    const after = await storeState();
    expect([after.sets.length, after.created]).toEqual([before.sets.length + 1, before.created + 1]);

    // Two of the three files (k = 2) rebuild the master key: the recovery ceremony makes dora an admin.
    const given = path.join(work, 'given.txt');
    fs.writeFileSync(given, `${fs.readFileSync(files[2]!, 'utf8')}${fs.readFileSync(files[0]!, 'utf8')}`);
    const rec = await as('dora', ['recovery', 'recover', '--shares', given]);
    expect(rec.stderr).toBe('');
    expect(rec.stdout).toContain('master key recovered from 2 shares');
    expect(rec.stdout).toContain('dora is a new admin');
    // One file alone does not.
    fs.writeFileSync(given, fs.readFileSync(files[1]!, 'utf8'));
    const few = await as('dora', ['recovery', 'recover', '--shares', given]);
    expect([few.code, few.stderr]).toEqual([1, expect.stringContaining('error [invalid_input]')]);
  });

  it('with --out-dir, a share file that exists is refused before the request runs (the file kept, the request still approved)', async () => {
    const id = await approvedSharesRequest();
    const before = await storeState();
    const dir = folder();
    fs.writeFileSync(path.join(dir, 'share-2-Ben.txt'), 'a custodian kept this\n');
    const r = await as('alice', ['approvals', 'execute', id, '--out-dir', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error [invalid_input]: Output file ${path.join(dir, 'share-2-Ben.txt')} exists`);
    expect(fs.readdirSync(dir)).toEqual(['share-2-Ben.txt']);
    expect(fs.readFileSync(path.join(dir, 'share-2-Ben.txt'), 'utf8')).toBe('a custodian kept this\n');
    expect(await storeState()).toEqual(before);
    expect(await requestState(id)).toBe('approved');

    // --json without --out-dir runs it: the shares are in the answer.
    const json = await as('alice', ['approvals', 'execute', id, '--json']);
    expect(json.stderr).toBe('');
    const answer = JSON.parse(json.stdout) as { request: { state: string }; result: { shares: Array<{ custodian: string; share: string }> } };
    expect(answer.request.state).toBe('executed');
    expect(answer.result.shares.map((s) => s.custodian)).toEqual(['Ann', 'Ben', 'Cy']);
    expect(answer.result.shares.every((s) => s.share.startsWith('ecps-share'))).toBe(true);
  });

  it('a request that is not open is left to the channel: an unknown id is not_found, an executed one illegal_transition (docs/two-person-control.md), with or without --out-dir', async () => {
    // An approved shares request is open meanwhile: the unknown id is not mistaken for it.
    const id = await approvedSharesRequest();
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const extra of [[], ['--out-dir', folder()], ['--json']]) {
      const r = await as('alice', ['approvals', 'execute', unknown, ...extra]);
      expect([r.code, r.stdout]).toEqual([1, '']);
      expect(r.stderr).toMatch(new RegExp(`^error \\[not_found\\]: [^\\n]*${unknown}`));
    }

    // An executed recovery.shares request never runs again: the channel refuses it (not the --out-dir check, which
    // is for a request about to run), and no share file or set is made.
    expect(await requestState(id)).toBe('approved');
    expect((await as('alice', ['approvals', 'execute', id, '--json'])).code).toBe(0);
    expect(await requestState(id)).toBe('executed');
    const before = await storeState();
    const dir = folder();
    for (const extra of [[], ['--out-dir', dir], ['--json']]) {
      const r = await as('alice', ['approvals', 'execute', id, ...extra]);
      expect([r.code, r.stdout]).toEqual([1, '']);
      expect(r.stderr).toMatch(new RegExp(`^error \\[illegal_transition\\]: [^\\n]*${id}`));
    }
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(await storeState()).toEqual(before);
  });

  it('custodians past the summary\'s 200 characters: only the folder is checked first (a missing one refused before it runs), then one file per custodian', async () => {
    // Four 60-character names: their list is longer than the 200 characters a request summary keeps.
    const names = ['A', 'B', 'C', 'D'].map((c) => `${c}${'x'.repeat(59)}`);
    const id = await approvedSharesRequest(names.flatMap((c) => ['--custodian', c]));
    const before = await storeState();
    const missing = path.join(work, 'no-such-folder');
    const r = await as('alice', ['approvals', 'execute', id, '--out-dir', missing]);
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toMatch(new RegExp(`^error \\[invalid_input\\]: Output file ${missing}/[^\\n]* cannot be written: the folder ${missing} does not exist`));
    expect(fs.existsSync(missing)).toBe(false);
    expect(await storeState()).toEqual(before);
    expect(await requestState(id)).toBe('approved');

    const dir = folder();
    const run = await as('alice', ['approvals', 'execute', id, '--out-dir', dir]);
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(fs.readdirSync(dir).sort()).toEqual(names.map((c, i) => `share-${i + 1}-${c}.txt`));
    expect(await requestState(id)).toBe('executed');

    // --json without --out-dir: no folder to check; the shares are in the answer.
    const second = await approvedSharesRequest(names.flatMap((c) => ['--custodian', c]));
    const json = await as('alice', ['approvals', 'execute', second, '--json']);
    expect([json.code, json.stderr]).toEqual([0, '']);
    expect((JSON.parse(json.stdout) as { result: { shares: Array<{ custodian: string }> } }).result.shares.map((x) => x.custodian)).toEqual(names);
  });

  it('an approved request that hands out no shares runs as before: the executed line (text), no --out-dir needed', async () => {
    const asked = await as('alice', ['operators', 'remove', 'Cal']);
    expect(asked.stderr).toContain('error [approval_required]');
    const list = JSON.parse((await as('alice', ['approvals', 'list', '--json'])).stdout) as { requests: Array<{ id: string; action: string; state: string }> };
    const id = list.requests.find((r) => r.action === 'operator.remove' && r.state === 'pending')!.id;
    expect((await as('Bea', ['approvals', 'approve', id])).code).toBe(0);
    const r = await as('alice', ['approvals', 'execute', id]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(new RegExp(`^executed: ${id}  executed[^\\n]*\\n$`));
    expect(await requestState(id)).toBe('executed');
  });

  it('--out-dir on a request that hands out no shares is refused before it runs', async () => {
    const asked = await as('alice', ['operators', 'remove', 'Bea']);
    expect(asked.stderr).toContain('error [approval_required]');
    const list = JSON.parse((await as('alice', ['approvals', 'list', '--json'])).stdout) as { requests: Array<{ id: string; action: string; state: string }> };
    const id = list.requests.find((r) => r.action === 'operator.remove' && r.state === 'pending')!.id;
    const r = await as('alice', ['approvals', 'execute', id, '--out-dir', folder()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error [invalid_input]: --out-dir applies only to a request that hands out shares (recovery.shares); request ${id} is operator.remove`);
    expect(await requestState(id)).toBe('pending');
  });
});
