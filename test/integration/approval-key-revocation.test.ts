// Revoking approval keys (issue 14, docs/two-person-control.md "Revoking an approval key"), on a real store through
// the router and through the CLI. The rules written here, not read from the service:
// - only an admin removes an operator's approval key (approvals:revokeKey, CLI `approvals revoke-key`), with a reason;
//   anyone else is refused `forbidden` (audited access.denied); a name without an enrolled key is `not_found`;
// - a file signed by a removed key is refused `approval_key_revoked`, and so is one signed by a key its operator
//   replaced by enrolling another; a removed key cannot be enrolled again (same code); a new key works;
// - removing the key is not a demotion: its operator still approves signed in at the console;
// - every removal is audited `approval.revoke_key` (actor, operator, fingerprint, reason), refusals too.
import crypto from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelName, Envelope } from '../../shared/contract.ts';
import type { FleetConsole } from '../../electron/app.ts';
import { createRouter } from '../../electron/ipc/router.ts';
import { generateApprovalKey, loadApprovalPrivateKey, readRequestFile, signApproval } from '../../electron/services/approvals/approvalFile.ts';
import { cliRunner } from './support/cliProcess.ts';
import { addOperators, contractCaller } from './support/consoleCalls.ts';
import { CTX, open, PASSPHRASE, removeTempDirs, tempDir } from '../unit/store-testkit.ts';

const pass = (name: string) => `${name} has a long passphrase`;
const passOf = (name: string) => (name === 'alice' ? PASSPHRASE : pass(name));
const TEAM = [
  { name: 'Bea', role: 'admin' },
  { name: 'Kate', role: 'key_custodian' },
  { name: 'Ken', role: 'key_custodian' },
  { name: 'Otto', role: 'security_officer' },
  { name: 'Vera', role: 'viewer' },
] as const;
/** The SHA-256 of the key's DER SubjectPublicKeyInfo: the fingerprint docs/two-person-control.md names. */
const fingerprintOf = (publicPem: string) => crypto.createHash('sha256').update(crypto.createPublicKey(publicPem).export({ format: 'der', type: 'spki' })).digest('hex');
const KEY_PASS = 'approval key passphrase';

afterAll(() => removeTempDirs());

describe('through the router', () => {
  const dir = tempDir('ecps-approval-key-revocation-');
  let c: FleetConsole;
  const call = contractCaller(() => c);
  let route: (channel: ChannelName, input: unknown) => Promise<Envelope<unknown>>;
  const ken1 = generateApprovalKey(KEY_PASS);
  const records = (action: string) => c.audit.query({ action, limit: 1000 }).records;

  async function signIn(name: string): Promise<void> {
    if ((await c.handlers['session:status']({}, CTX)).state === 'unlocked') await c.handlers['session:lock']({}, CTX);
    await c.handlers['session:unlock']({ operator: name, passphrase: passOf(name) }, CTX);
  }

  /** Kate asks to destroy a fresh deactivated key; the request file she exports. */
  async function kateRequest(label: string) {
    await signIn('alice');
    const keyId = (await call('keys:create', { type: 'storage', label })).id;
    await call('keys:setState', { keyId, state: 'deactivated', reason: 'out of use' });
    await signIn('Kate');
    const env = await route('keys:setState', { keyId, state: 'destroyed', reason: label });
    expect(env).toMatchObject({ ok: false, error: { code: 'approval_required' } });
    const id = (!env.ok ? env.error.details?.requestId : '') as string;
    return { id, file: readRequestFile((await call('approvals:exportRequest', { requestId: id })).content) };
  }
  const signedWith = (key: { privatePem: string }, file: ReturnType<typeof readRequestFile>) => signApproval(file, 'Ken', loadApprovalPrivateKey(key.privatePem, KEY_PASS), new Date());
  const importAs = async (who: string, content: string) => {
    await signIn(who);
    return route('approvals:importApproval', { content });
  };

  beforeAll(async () => {
    c = await open(dir, { rotation: { scheduler: false } });
    await c.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    await addOperators(c, { name: 'alice', passphrase: PASSPHRASE }, TEAM.map((op) => ({ name: op.name, role: op.role, passphrase: pass(op.name) })));
    const router = createRouter({ handlers: c.handlers, access: c.access });
    route = (channel, input) => router.route({ channel, input, ctx: CTX, trustedSender: true });
    await signIn('Ken');
    await call('approvals:enrolKey', { publicKeyPem: ken1.publicPem });
  });

  afterAll(() => c.close());

  it('who may remove whose key: an admin only; a name without a key is not_found; each refusal audited', async () => {
    const { id, file } = await kateRequest('still good while refused');
    const table: Array<{ who: string; operator: string; expect: 'forbidden' | 'not_found' | 'removed' }> = [
      { who: 'Vera', operator: 'Ken', expect: 'forbidden' },
      { who: 'Kate', operator: 'Ken', expect: 'forbidden' },
      { who: 'Ken', operator: 'Ken', expect: 'forbidden' },
      { who: 'Otto', operator: 'Ken', expect: 'forbidden' },
      { who: 'Bea', operator: 'Vera', expect: 'not_found' },
      { who: 'Bea', operator: 'Nobody', expect: 'not_found' },
    ];
    const deniedBefore = records('access.denied').length;
    for (const row of table) {
      await signIn(row.who);
      const env = await route('approvals:revokeKey', { operator: row.operator, reason: 'key file seen on a shared drive' });
      expect(env.ok ? 'removed' : env.error.code, `${row.who} -> ${row.operator}`).toBe(row.expect);
    }
    const denied = records('access.denied').slice(0, records('access.denied').length - deniedBefore).reverse();
    expect(denied.map((r) => [r.actor, r.targetId, r.details.code])).toEqual(table.filter((r) => r.expect === 'forbidden').map((r) => [r.who, 'approvals:revokeKey', 'forbidden']));
    expect(records('approval.revoke_key').reverse().map((r) => [r.actor, r.targetId, r.outcome, r.details.code])).toEqual([
      ['Bea', 'Vera', 'failure', 'not_found'],
      ['Bea', 'Nobody', 'failure', 'not_found'],
    ]);
    // Ken's key was not touched by any of them: his file still approves.
    expect(await importAs('Kate', signedWith(ken1, file))).toMatchObject({ ok: true, value: { id, approvals: [{ approver: 'Ken', via: 'file' }] } });
  });

  it('an admin removes Ken\'s key: his file is refused approval_key_revoked, the key cannot come back, a new one works', async () => {
    const { id, file } = await kateRequest('after the removal');
    await signIn('Bea');
    const removed = await call('approvals:revokeKey', { operator: 'Ken', reason: 'laptop stolen' });
    expect(removed).toMatchObject({ operator: 'Ken', fingerprint: fingerprintOf(ken1.publicPem) });
    expect(records('approval.revoke_key')[0]).toMatchObject({
      actor: 'Bea',
      targetId: 'Ken',
      outcome: 'success',
      details: { fingerprint: fingerprintOf(ken1.publicPem), reason: 'laptop stolen' },
    });
    // Removing it again: there is no key to remove.
    expect(await route('approvals:revokeKey', { operator: 'Ken', reason: 'again' })).toMatchObject({ ok: false, error: { code: 'not_found' } });

    const refused = await importAs('Kate', signedWith(ken1, file));
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'approval_key_revoked', details: { approver: 'Ken', fingerprint: fingerprintOf(ken1.publicPem), why: 'removed', revokedBy: 'Bea' } },
    });
    expect(!refused.ok && refused.error.message).toContain('laptop stolen');

    // Ken enrols the same key again (whoever holds the stolen copy would like that): refused; still refused by file.
    await signIn('Ken');
    expect(await route('approvals:enrolKey', { publicKeyPem: ken1.publicPem })).toMatchObject({ ok: false, error: { code: 'approval_key_revoked', details: { why: 'removed' } } });
    // A new key: files it signs approve; the old key's files stay refused.
    const ken2 = generateApprovalKey(KEY_PASS);
    await call('approvals:enrolKey', { publicKeyPem: ken2.publicPem });
    expect(await importAs('Kate', signedWith(ken1, file))).toMatchObject({ ok: false, error: { code: 'approval_key_revoked' } });
    expect(await importAs('Kate', signedWith(ken2, file))).toMatchObject({ ok: true, value: { id, approvals: [{ approver: 'Ken', via: 'file' }] } });

    // Replacing a key revokes the one replaced: Ken enrols a third; files signed by the second are refused too.
    const other = await kateRequest('after a replacement');
    await signIn('Ken');
    const ken3 = generateApprovalKey(KEY_PASS);
    await call('approvals:enrolKey', { publicKeyPem: ken3.publicPem });
    expect(records('approval.enrol_key')[0]).toMatchObject({ actor: 'Ken', outcome: 'success', details: { fingerprint: fingerprintOf(ken3.publicPem), replaced: fingerprintOf(ken2.publicPem) } });
    expect(await importAs('Kate', signedWith(ken2, other.file))).toMatchObject({ ok: false, error: { code: 'approval_key_revoked', details: { why: 'replaced', fingerprint: fingerprintOf(ken2.publicPem) } } });
    expect(await importAs('Kate', signedWith(ken3, other.file))).toMatchObject({ ok: true, value: { approvals: [{ approver: 'Ken', via: 'file' }] } });
  });

  it('removing the key is not a demotion: Ken, keyless, still approves signed in at the console', async () => {
    await signIn('Bea');
    await call('approvals:revokeKey', { operator: 'Ken', reason: 'no more remote approvals' });
    const { id } = await kateRequest('approved at the console');
    await signIn('Ken');
    expect(await call('approvals:approve', { requestId: id })).toMatchObject({ state: 'approved', approvals: [{ approver: 'Ken', via: 'session' }] });
  });
});

describe('through the CLI', () => {
  const { dir, cli } = cliRunner('ecps-cli-approval-keys-', PASSPHRASE, 'in-process');
  const as = (operator: string, args: string[], env: Record<string, string> = {}) => cli(args, undefined, { ECPS_OPERATOR: operator, ECPS_PASSPHRASE: passOf(operator), ...env });
  const keyIds: string[] = [];

  beforeAll(async () => {
    const setup = await open(join(dir, 'store'));
    await setup.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    await addOperators(
      setup,
      { name: 'alice', passphrase: PASSPHRASE },
      [['Kate', 'key_custodian'], ['Ken', 'key_custodian'], ['Vera', 'viewer']].map(([name, role]) => ({ name: name!, role: role as 'key_custodian' | 'viewer', passphrase: pass(name!) })),
    );
    await setup.handlers['session:lock']({}, CTX);
    await setup.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    for (const label of ['first', 'second']) {
      const key = await setup.handlers['keys:create']({ type: 'storage', label }, CTX);
      await setup.handlers['keys:setState']({ keyId: key.id, state: 'deactivated', reason: 'out of use' }, CTX);
      keyIds.push(key.id);
    }
    setup.close();
  });

  /** Ken's workstation: a key pair made by `approvals keygen`, its public half enrolled by Ken at the console. */
  async function kenKeygenAndEnrol(name: string): Promise<{ keyPath: string; publicPem: string }> {
    const keyPath = join(dir, `${name}.pem`);
    const gen = await cli(['approvals', 'keygen', '--out', keyPath, '--json'], undefined, { ECPS_APPROVAL_KEY_PASSPHRASE: KEY_PASS });
    expect(gen.stderr).toBe('');
    const publicPem = (JSON.parse(gen.stdout) as { publicKeyPem: string }).publicKeyPem;
    writeFileSync(join(dir, `${name}.pub`), publicPem);
    expect((await as('Ken', ['approvals', 'enrol', '--in', join(dir, `${name}.pub`)])).code).toBe(0);
    return { keyPath, publicPem };
  }

  /** Kate asks to destroy a key and exports the request; Ken signs it with the key file; Kate imports it. */
  async function kenSignsAndKateImports(keyId: string, keyPath: string, tag: string) {
    const asked = await as('Kate', ['keys', 'state', keyId, 'destroyed', '--reason', 'end of life']);
    expect(asked.stderr).toContain('error [approval_required]');
    const list = JSON.parse((await as('Kate', ['approvals', 'list', '--json'])).stdout) as { requests: Array<{ id: string; summary: Record<string, string> }> };
    const id = list.requests.find((q) => q.summary.keyId === keyId)!.id;
    const requestPath = join(dir, `request-${tag}.json`);
    const approvalPath = join(dir, `approval-${tag}.json`);
    expect((await as('Kate', ['approvals', 'export', id, '--out', requestPath])).code).toBe(0);
    const signed = await cli(['--operator', 'Ken', 'approvals', 'sign', '--in', requestPath, '--key', keyPath, '--out', approvalPath], undefined, { ECPS_APPROVAL_KEY_PASSPHRASE: KEY_PASS });
    expect(signed.stderr).toBe('');
    return { id, imported: await as('Kate', ['approvals', 'import', '--in', approvalPath]) };
  }

  it('only an admin runs approvals revoke-key; the removed key\'s file is refused, a new key\'s is recorded; audited', async () => {
    const old = await kenKeygenAndEnrol('ken-old');
    const table: Array<{ who: string; args: string[]; code: number; out: string }> = [
      { who: 'Vera', args: ['Ken', '--reason', 'leaked'], code: 1, out: 'error [forbidden]' },
      { who: 'Ken', args: ['Ken', '--reason', 'leaked'], code: 1, out: 'error [forbidden]' },
      { who: 'Kate', args: ['Ken', '--reason', 'leaked'], code: 1, out: 'error [forbidden]' },
      { who: 'alice', args: ['Ken'], code: 2, out: '--reason' },
      { who: 'alice', args: ['Vera', '--reason', 'leaked'], code: 1, out: 'error [not_found]' },
      { who: 'alice', args: ['Ken', '--reason', 'leaked'], code: 0, out: `approval key of Ken removed (SHA-256 ${fingerprintOf(old.publicPem)})` },
      { who: 'alice', args: ['Ken', '--reason', 'leaked'], code: 1, out: 'error [not_found]' },
    ];
    for (const row of table) {
      const r = await as(row.who, ['approvals', 'revoke-key', ...row.args]);
      const label = `${row.who}: ${row.args.join(' ')}`;
      expect(r.code, label).toBe(row.code);
      expect(row.code === 0 ? r.stdout : r.stderr, label).toContain(row.out);
    }

    const byOld = await kenSignsAndKateImports(keyIds[0]!, old.keyPath, 'old');
    expect(byOld.imported.code).toBe(1);
    expect(byOld.imported.stderr).toContain('error [approval_key_revoked]');
    // The stolen key enrolled again: refused the same way.
    expect((await as('Ken', ['approvals', 'enrol', '--in', join(dir, 'ken-old.pub')])).stderr).toContain('error [approval_key_revoked]');

    const fresh = await kenKeygenAndEnrol('ken-new');
    const byNew = await kenSignsAndKateImports(keyIds[1]!, fresh.keyPath, 'new');
    expect(byNew.imported.stderr).toBe('');
    expect(byNew.imported.stdout).toContain('Ken (file)');

    const check = await open(join(dir, 'store'));
    await check.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    const revocations = check.audit.query({ action: 'approval.revoke_key', limit: 10 }).records.reverse();
    expect(revocations.map((r) => [r.actor, r.targetId, r.outcome, r.details.code ?? null, r.details.fingerprint ?? null, r.details.reason])).toEqual([
      ['alice', 'Vera', 'failure', 'not_found', null, 'leaked'],
      ['alice', 'Ken', 'success', null, fingerprintOf(old.publicPem), 'leaked'],
      ['alice', 'Ken', 'failure', 'not_found', null, 'leaked'],
    ]);
    const denied = check.audit.query({ action: 'access.denied', limit: 10 }).records.reverse();
    expect(denied.map((r) => [r.actor, r.targetId, r.details.transport])).toEqual([
      ['Vera', 'approvals:revokeKey', 'cli'],
      ['Ken', 'approvals:revokeKey', 'cli'],
      ['Kate', 'approvals:revokeKey', 'cli'],
    ]);
    check.close();
  });
});
