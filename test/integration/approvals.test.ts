// Two-person control (issue 14, docs/two-person-control.md), on a real store: a guarded call becomes a request, another
// operator approves it (signed in as themselves, or with a signed approval file), and what runs is exactly what was
// requested. The expectations come from the tables and rules written here, not from the service.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelName, Envelope } from '../../shared/contract.ts';
import type { FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { createRouter } from '../../electron/ipc/router.ts';
import { generateApprovalKey, loadApprovalPrivateKey, readRequestFile, signApproval } from '../../electron/services/approvals/approvalFile.ts';
import { contractCaller, failure, addOperators } from './support/consoleCalls.ts';
import { CTX, open, PASSPHRASE, removeTempDirs, tempDir, withRawDb } from '../unit/store-testkit.ts';

const pass = (name: string) => `${name} has a long passphrase`;
/**
 * The operators of the tests, with their roles, in the order they are added. alice is the first admin; Bea is made an
 * admin while alice is the only operator (waived); every later approver is added with an earlier one's approval.
 */
const TEAM = [
  { name: 'Bea', role: 'admin' },
  { name: 'Kate', role: 'key_custodian' },
  { name: 'Ken', role: 'key_custodian' },
  { name: 'Otto', role: 'security_officer' },
  { name: 'Vera', role: 'viewer' },
] as const;
const HOUR = 3600_000;
/** The documented default: a request lives 24 hours. */
const DEFAULT_LIFETIME_MS = 24 * HOUR;

const clock = manualClock(Date.parse('2026-06-01T08:00:00Z'));
const dir = tempDir('ecps-approvals-');
let c: FleetConsole;
const call = contractCaller(() => c);
let route: (channel: ChannelName, input: unknown) => Promise<Envelope<unknown>>;

async function signIn(name: string): Promise<void> {
  if ((await c.handlers['session:status']({}, CTX)).state === 'unlocked') await c.handlers['session:lock']({}, CTX);
  await c.handlers['session:unlock']({ operator: name, passphrase: name === 'alice' ? PASSPHRASE : pass(name) }, CTX);
}

async function reopen(): Promise<void> {
  c.close();
  c = await open(dir, { clock, rotation: { scheduler: false } });
  const router = createRouter({ handlers: c.handlers, access: c.access });
  route = (channel, input) => router.route({ channel, input, ctx: CTX, trustedSender: true });
}

/** A fresh storage key made by alice, deactivated (a key is destroyed from there), or left active. */
async function newKey(label: string, active = false): Promise<string> {
  await signIn('alice');
  const id = (await call('keys:create', { type: 'storage', label })).id;
  if (!active) await call('keys:setState', { keyId: id, state: 'deactivated', reason: 'out of use' });
  return id;
}

/** Calls the guarded channel and returns the request id of the approval_required answer (fails otherwise). */
async function requested(channel: ChannelName, input: unknown): Promise<string> {
  const env = await route(channel, input);
  expect(env, `${channel} should need approval`).toMatchObject({ ok: false, error: { code: 'approval_required' } });
  const id = !env.ok ? env.error.details?.requestId : undefined;
  expect(typeof id).toBe('string');
  return id as string;
}

const stateOf = async (keyId: string) => (await call('keys:get', { keyId })).state;
const records = (action: string) => c.audit.query({ action, limit: 1000 }).records;

beforeAll(async () => {
  c = await open(dir, { clock, rotation: { scheduler: false } });
  await c.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
  await addOperators(c, { name: 'alice', passphrase: PASSPHRASE }, TEAM.map((op) => ({ name: op.name, role: op.role, passphrase: pass(op.name) })));
  await reopen();
});

afterAll(() => {
  c.close();
  removeTempDirs();
});

describe('guarded calls become requests', () => {
  it('making the second admin while alice is the only one was waived (no one else could approve), and audited', () => {
    const waived = records('approval.waived');
    expect(waived.map((r) => [r.actor, r.details.action, r.details.channel, r.details.reason])).toEqual([['alice', 'operator.admin', 'operators:add', 'no_other_approver']]);
    // Then each operator who can approve something was a request (operator.approver) that Bea approved; a viewer was not.
    expect(records('approval.request').map((r) => [r.actor, r.details.action, r.details.channel]).reverse()).toEqual(
      ['Kate', 'Ken', 'Otto'].map(() => ['alice', 'operator.approver', 'operators:add']),
    );
    expect(records('approval.approve').map((r) => r.details.approver)).toEqual(['Bea', 'Bea', 'Bea']);
  });

  // Each guarded action, the operator who asks, and a call that is not guarded on the same channel (runs at once).
  const GUARDED: Array<{ what: string; as: string; channel: ChannelName; input: (keyId: string) => unknown; unguarded?: (keyId: string) => unknown }> = [
    { what: 'destroying a key', as: 'Kate', channel: 'keys:setState', input: (k) => ({ keyId: k, state: 'destroyed', reason: 'retired' }), unguarded: (k) => ({ keyId: k, state: 'suspended', reason: 'pause' }) },
    { what: 'marking a key compromised', as: 'Otto', channel: 'keys:setState', input: (k) => ({ keyId: k, state: 'compromised', reason: 'leak' }) },
    { what: 'adding an admin', as: 'alice', channel: 'operators:add', input: () => ({ name: 'Zed', role: 'admin', passphrase: pass('Zed') }), unguarded: () => ({ name: 'Zoe', role: 'viewer', passphrase: pass('Zoe') }) },
    { what: 'making an operator an admin', as: 'alice', channel: 'operators:setRole', input: () => ({ name: 'Vera', role: 'admin' }), unguarded: () => ({ name: 'Zoe', role: 'station_operator' }) },
  ];
  for (const g of GUARDED) {
    it(`${g.what}: approval_required with a request id, nothing changed, the request stored and audited`, async () => {
      const keyId = await newKey(`guarded ${g.what}`);
      await signIn(g.as);
      const before = { key: await stateOf(keyId), operators: (await call('operators:list', {})).operators };
      const id = await requested(g.channel, g.input(keyId));
      expect({ key: await stateOf(keyId), operators: (await call('operators:list', {})).operators }).toEqual(before);
      const listed = (await call('approvals:list', { open: true })).requests.find((r) => r.id === id);
      expect(listed).toMatchObject({ channel: g.channel, requester: g.as, state: 'pending', required: 1, approvals: [] });
      expect(Date.parse(listed!.expiresAt) - Date.parse(listed!.createdAt)).toBe(DEFAULT_LIFETIME_MS);
      expect(JSON.stringify(listed)).not.toContain(pass('Zed'));
      expect(records('approval.request').find((r) => r.targetId === id)).toMatchObject({ actor: g.as, details: { channel: g.channel, inputHash: listed!.inputHash } });
      if (g.unguarded) {
        const active = await newKey('unguarded', true);
        await signIn(g.as);
        expect((await route(g.channel, g.unguarded(active))).ok, 'the same channel, unguarded input').toBe(true);
      }
    });
  }
});

describe('a destruction needs a second operator and runs exactly what was approved', () => {
  it('requested by custodian Kate, approved by Ken signed in as Ken, executed by Kate: the key is destroyed', async () => {
    const keyId = await newKey('to destroy');
    await signIn('Kate');
    const id = await requested('keys:setState', { keyId, state: 'destroyed', reason: 'end of life' });
    expect(await stateOf(keyId)).toBe('deactivated');
    // Not yet approved: it cannot run.
    expect(await failure(call('approvals:execute', { requestId: id }))).toMatchObject({ code: 'illegal_transition' });

    await signIn('Ken');
    expect((await call('approvals:list', { open: true })).requests.find((r) => r.id === id)?.canApprove).toBe(true);
    const approved = await call('approvals:approve', { requestId: id });
    expect(approved).toMatchObject({ state: 'approved', approvals: [{ approver: 'Ken', via: 'session' }] });

    await signIn('Kate');
    const done = await call('approvals:execute', { requestId: id });
    expect(done.request).toMatchObject({ state: 'executed', executedBy: 'Kate' });
    expect(await stateOf(keyId)).toBe('destroyed');
    // Executed once: never again.
    expect(await failure(call('approvals:execute', { requestId: id }))).toMatchObject({ code: 'illegal_transition' });

    const trail = c.audit.query({ limit: 1000 }).records.filter((r) => r.targetId === id || (r.action === 'key.state' && r.targetId === keyId)).reverse();
    expect(trail.filter((r) => r.outcome === 'success').map((r) => [r.action, r.actor])).toEqual([
      ['key.state', 'alice'], // deactivated by alice (newKey)
      ['approval.request', 'Kate'],
      ['approval.approve', 'Ken'],
      ['key.state', 'Kate'],
      ['approval.execute', 'Kate'],
    ]);
  });

  it('the requester cannot approve their own request; an operator outside the policy cannot; one approval counts once', async () => {
    const keyId = await newKey('own approval');
    await signIn('Kate');
    const id = await requested('keys:setState', { keyId, state: 'destroyed', reason: 'mine' });
    expect(await failure(call('approvals:approve', { requestId: id }))).toMatchObject({ code: 'illegal_transition' });
    await signIn('Vera');
    expect(await failure(call('approvals:approve', { requestId: id }))).toMatchObject({ code: 'forbidden' });
    await signIn('Otto'); // a security officer is not an approver of key destruction (custodians and admins are)
    expect(await failure(call('approvals:approve', { requestId: id }))).toMatchObject({ code: 'forbidden' });
    // Raise the bar to two approvals for later requests: an admin may raise a policy at once.
    await signIn('alice');
    await call('approvals:setPolicy', { policy: { action: 'key.destroy', approvals: 2, roles: ['key_custodian', 'admin'], operators: [], ttlSeconds: 24 * 3600 } });
    await signIn('Kate');
    const two = await requested('keys:setState', { keyId, state: 'destroyed', reason: 'needs two' });
    await signIn('Ken');
    await call('approvals:approve', { requestId: two });
    expect(await failure(call('approvals:approve', { requestId: two }))).toMatchObject({ code: 'illegal_transition' });
    const view = (await call('approvals:list', {})).requests.find((r) => r.id === two)!;
    expect(view).toMatchObject({ state: 'pending', required: 2 });
    expect(view.approvals.map((a) => a.approver)).toEqual(['Ken']);
    await signIn('Kate');
    expect(await failure(call('approvals:execute', { requestId: two }))).toMatchObject({ code: 'illegal_transition', details: { approvals: 1, required: 2 } });
    await signIn('alice');
    expect(await call('approvals:approve', { requestId: two })).toMatchObject({ state: 'approved' });
    // The failed approvals are in the audit, each with its code.
    const refused = records('approval.approve').filter((r) => r.outcome === 'failure' && r.targetId === id).map((r) => [r.actor, r.details.code]).reverse();
    expect(refused).toEqual([['Kate', 'illegal_transition'], ['Vera', 'forbidden'], ['Otto', 'forbidden']]);
  });

  // From here on key destruction needs two approvals (set above): Ken's and alice's.
  it('a changed input is a new request, and the approved one runs with its own input', async () => {
    {
      const a = await newKey('changed input A');
      const b = await newKey('changed input B');
      await signIn('Kate');
      const first = await requested('keys:setState', { keyId: a, state: 'destroyed', reason: 'first' });
      const otherReason = await requested('keys:setState', { keyId: a, state: 'destroyed', reason: 'second' });
      const otherKey = await requested('keys:setState', { keyId: b, state: 'destroyed', reason: 'first' });
      const same = await requested('keys:setState', { keyId: a, state: 'destroyed', reason: 'first' });
      const list = (await call('approvals:list', {})).requests;
      const hash = (id: string) => list.find((r) => r.id === id)!.inputHash;
      expect(new Set([first, otherReason, otherKey, same]).size).toBe(4);
      expect(hash(otherReason)).not.toBe(hash(first));
      expect(hash(otherKey)).not.toBe(hash(first));
      // The same input hashes the same (the hash identifies the input, the id the request).
      expect(hash(same)).toBe(hash(first));
      await signIn('Ken');
      await call('approvals:approve', { requestId: first });
      await signIn('alice');
      await call('approvals:approve', { requestId: first });
      await signIn('Kate');
      await call('approvals:execute', { requestId: first });
      expect(await stateOf(a)).toBe('destroyed');
      expect(await stateOf(b)).toBe('deactivated');
      const stateRecord = records('key.state').find((r) => r.targetId === a && r.outcome === 'success');
      expect(stateRecord?.details).toMatchObject({ reason: 'first' });
    }
  });

  it('a stored input altered in the database does not run (integrity_failure), nor one moved to another request', async () => {
    const keyId = await newKey('tampered');
    const spare = await newKey('tampered spare');
    await signIn('Kate');
    const id = await requested('keys:setState', { keyId, state: 'destroyed', reason: 'x' });
    const other = await requested('keys:setState', { keyId: spare, state: 'destroyed', reason: 'x' });
    for (const approver of ['Ken', 'alice']) {
      await signIn(approver);
      await call('approvals:approve', { requestId: id });
      await call('approvals:approve', { requestId: other });
    }
    c.close();
    withRawDb(dir, (db) => {
      // The other request's sealed input (a different key) copied onto this one, and its hash too.
      const row = db.prepare('SELECT input_sealed, input_hash FROM approval_requests WHERE id = ?').get(other) as { input_sealed: Buffer; input_hash: string };
      db.prepare('UPDATE approval_requests SET input_sealed = ?, input_hash = ? WHERE id = ?').run(row.input_sealed, row.input_hash, id);
      const sealed = db.prepare('SELECT input_sealed FROM approval_requests WHERE id = ?').pluck().get(other) as Buffer;
      sealed.writeUInt8(sealed.readUInt8(sealed.length - 1) ^ 1, sealed.length - 1);
      db.prepare('UPDATE approval_requests SET input_sealed = ? WHERE id = ?').run(sealed, other);
    });
    await reopen();
    await signIn('Kate');
    expect(await failure(call('approvals:execute', { requestId: id }))).toMatchObject({ code: 'integrity_failure' });
    expect(await failure(call('approvals:execute', { requestId: other }))).toMatchObject({ code: 'integrity_failure' });
    expect(await stateOf(keyId)).toBe('deactivated');
    expect(await stateOf(spare)).toBe('deactivated');
  });
});

describe('requests expire and can be denied', () => {
  it('an expired request is refused (approve and execute), marked expired and audited', async () => {
    const keyId = await newKey('expires');
    await signIn('Kate');
    const id = await requested('keys:setState', { keyId, state: 'destroyed', reason: 'late' });
    await signIn('Ken');
    await call('approvals:approve', { requestId: id });
    clock.advance(DEFAULT_LIFETIME_MS - 1000);
    await signIn('alice');
    await call('approvals:approve', { requestId: id }); // still in time
    clock.advance(1000);
    await signIn('Kate');
    expect(await failure(call('approvals:execute', { requestId: id }))).toMatchObject({ code: 'illegal_transition', details: { state: 'expired' } });
    expect(await stateOf(keyId)).toBe('deactivated');
    expect((await call('approvals:list', {})).requests.find((r) => r.id === id)?.state).toBe('expired');
    expect(records('approval.expire').map((r) => r.targetId)).toContain(id);
  });

  it('a denied request cannot be approved or executed; the requester may withdraw; others outside the policy may not deny', async () => {
    const keyId = await newKey('denied');
    await signIn('Kate');
    const id = await requested('keys:setState', { keyId, state: 'destroyed', reason: 'no' });
    const withdrawn = await requested('keys:setState', { keyId, state: 'destroyed', reason: 'withdrawn' });
    await signIn('Vera');
    expect(await failure(call('approvals:deny', { requestId: id, reason: 'viewer says no' }))).toMatchObject({ code: 'forbidden' });
    await signIn('Ken');
    await call('approvals:approve', { requestId: id });
    expect(await call('approvals:deny', { requestId: id, reason: 'wrong key' })).toMatchObject({ state: 'denied', decidedBy: 'Ken', reason: 'wrong key' });
    await signIn('alice');
    expect(await failure(call('approvals:approve', { requestId: id }))).toMatchObject({ code: 'illegal_transition' });
    await signIn('Kate');
    expect(await failure(call('approvals:execute', { requestId: id }))).toMatchObject({ code: 'illegal_transition', details: { state: 'denied' } });
    expect(await call('approvals:deny', { requestId: withdrawn, reason: 'changed my mind' })).toMatchObject({ state: 'denied', decidedBy: 'Kate' });
    expect(await stateOf(keyId)).toBe('deactivated');
    expect(records('approval.deny').filter((r) => r.outcome === 'success').map((r) => [r.actor, r.targetId])).toEqual([['Kate', withdrawn], ['Ken', id]]);
  });
});

describe('approval files from another workstation', () => {
  const KEY_PASS = 'Ken approval key passphrase';
  const kenKey = generateApprovalKey(KEY_PASS);
  const kateKey = generateApprovalKey('Kate approval key passphrase');
  const mallory = crypto.generateKeyPairSync('ed25519');

  beforeAll(async () => {
    await signIn('Ken');
    await call('approvals:enrolKey', { publicKeyPem: kenKey.publicPem });
    await signIn('Kate');
    await call('approvals:enrolKey', { publicKeyPem: kateKey.publicPem });
  });

  /** Kate asks for a destruction and exports the request file. */
  async function requestFile(label: string): Promise<{ id: string; keyId: string; file: ReturnType<typeof readRequestFile> }> {
    const keyId = await newKey(label);
    await signIn('Kate');
    const id = await requested('keys:setState', { keyId, state: 'destroyed', reason: label });
    const exported = await call('approvals:exportRequest', { requestId: id });
    return { id, keyId, file: readRequestFile(exported.content) };
  }
  const signedByKen = (file: ReturnType<typeof readRequestFile>) => signApproval(file, 'Ken', loadApprovalPrivateKey(kenKey.privatePem, KEY_PASS), new Date(clock.now()));

  it("Ken's signed file approves Kate's request (imported by Kate); with alice's approval it runs", async () => {
    const { id, keyId, file } = await requestFile('file approval');
    expect(file).toMatchObject({ requestId: id, channel: 'keys:setState', requester: 'Kate', summary: { keyId, state: 'destroyed' } });
    const approvalFile = signedByKen(file);
    expect(await call('approvals:importApproval', { content: approvalFile })).toMatchObject({ approvals: [{ approver: 'Ken', via: 'file' }] });
    // The same file again: Ken's approval counts once.
    expect(await failure(call('approvals:importApproval', { content: approvalFile }))).toMatchObject({ code: 'illegal_transition' });
    await signIn('alice');
    await call('approvals:approve', { requestId: id });
    await signIn('Kate');
    await call('approvals:execute', { requestId: id });
    expect(await stateOf(keyId)).toBe('destroyed');
  });

  it('forged, altered, misdirected, self-signed and expired approval files are refused', async () => {
    const { id, file } = await requestFile('bad files');
    const other = await requestFile('bad files, other request');
    const good = JSON.parse(signedByKen(file)) as Record<string, string>;
    const resigned = (changes: Record<string, string>) => JSON.stringify({ ...good, ...changes });
    const cases: Array<[string, string, string]> = [
      ['signed with a key Ken never enrolled', signApproval(file, 'Ken', mallory.privateKey, new Date(clock.now())), 'integrity_failure'],
      ['input hash altered', resigned({ inputHash: 'f'.repeat(64) }), 'integrity_failure'],
      ['approver changed to alice (no key) ', resigned({ approver: 'alice' }), 'integrity_failure'],
      ['approver changed to Kate (her key, not her signature)', resigned({ approver: 'Kate' }), 'integrity_failure'],
      ['pointed at another request', resigned({ requestId: other.id }), 'integrity_failure'],
      ['signature bit flipped', resigned({ signature: Buffer.from(Buffer.from(good.signature ?? '', 'base64').map((b, i) => (i === 0 ? b ^ 1 : b))).toString('base64') }), 'integrity_failure'],
      ['not JSON', 'approve please', 'invalid_input'],
      ['the requester approving her own request by file', signApproval(file, 'Kate', loadApprovalPrivateKey(kateKey.privatePem, 'Kate approval key passphrase'), new Date(clock.now())), 'illegal_transition'],
    ];
    const got = [];
    for (const [, content] of cases) got.push((await failure(call('approvals:importApproval', { content }))).code);
    expect(got).toEqual(cases.map(([, , code]) => code));
    expect((await call('approvals:list', {})).requests.find((r) => r.id === id)?.approvals).toEqual([]);

    // A genuine file, brought after the request expired.
    const late = signedByKen(other.file);
    clock.advance(DEFAULT_LIFETIME_MS + 1);
    expect(await failure(call('approvals:importApproval', { content: late }))).toMatchObject({ code: 'illegal_transition', details: { state: 'expired' } });
  });

  it('an operator enrols a key for themselves only: an Ed25519 one, not one another operator holds', async () => {
    await signIn('Vera');
    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'pem', type: 'spki' }) as string;
    expect(await failure(call('approvals:enrolKey', { publicKeyPem: rsa }))).toMatchObject({ code: 'invalid_input' });
    expect(await failure(call('approvals:enrolKey', { publicKeyPem: kenKey.publicPem }))).toMatchObject({ code: 'invalid_input' });
    expect(await call('approvals:enrolKey', { publicKeyPem: generateApprovalKey('Vera key pass').publicPem })).toMatchObject({ operator: 'Vera' });
    expect(records('approval.enrol_key').filter((r) => r.outcome === 'success').map((r) => r.actor).reverse()).toEqual(['Ken', 'Kate', 'Vera']);
  });
});

describe('approval policies', () => {
  it('raising a policy runs at once; lowering it (fewer approvals, more approvers, longer life) needs an approval itself', async () => {
    await signIn('alice');
    const policies = (await call('approvals:policies', {})).policies;
    // The documented defaults: one approver besides the requester, 24 hours.
    expect(policies.find((p) => p.action === 'operator.admin')).toMatchObject({ approvals: 1, roles: ['admin'], ttlSeconds: 24 * 3600 });
    expect(policies.find((p) => p.action === 'key.compromise')).toMatchObject({ approvals: 1, roles: ['security_officer', 'admin'] });
    const base = { action: 'key.compromise' as const, approvals: 1, roles: ['security_officer' as const, 'admin' as const], operators: [], ttlSeconds: 24 * 3600 };
    // Raising: shorter life, two approvals. Runs.
    expect(await call('approvals:setPolicy', { policy: { ...base, approvals: 2, ttlSeconds: 3600 } })).toMatchObject({ approvals: 2, updatedBy: 'alice' });
    const lowering = [
      { ...base, approvals: 1, ttlSeconds: 3600 },
      { ...base, approvals: 2, ttlSeconds: 7200 },
      { ...base, approvals: 2, ttlSeconds: 3600, roles: [...base.roles, 'viewer' as const] },
      { ...base, approvals: 2, ttlSeconds: 3600, operators: ['Vera'] },
    ];
    const ids = [];
    for (const policy of lowering) ids.push(await requested('approvals:setPolicy', { policy }));
    expect((await call('approvals:policies', {})).policies.find((p) => p.action === 'key.compromise')).toMatchObject({ approvals: 2, ttlSeconds: 3600 });
    // The lowering of key.compromise is approved by that action's approvers (two of them now): Otto and Bea.
    await signIn('Kate');
    expect(await failure(call('approvals:approve', { requestId: ids[0]! }))).toMatchObject({ code: 'forbidden' });
    for (const who of ['Otto', 'Bea']) {
      await signIn(who);
      await call('approvals:approve', { requestId: ids[0]! });
    }
    await signIn('alice');
    await call('approvals:execute', { requestId: ids[0]! });
    expect((await call('approvals:policies', {})).policies.find((p) => p.action === 'key.compromise')).toMatchObject({ approvals: 1, ttlSeconds: 3600, updatedBy: 'alice' });
    expect(records('approval.set_policy').filter((r) => r.outcome === 'success').length).toBeGreaterThanOrEqual(2);

    // The request naming Vera (asked while two approvals were needed): approved by two, executed; then Vera, a viewer
    // named in the policy, may approve a compromise.
    for (const who of ['Otto', 'Bea']) {
      await signIn(who);
      await call('approvals:approve', { requestId: ids[3]! });
    }
    await signIn('alice');
    await call('approvals:execute', { requestId: ids[3]! });
    const keyId = await newKey('named approver');
    await signIn('Otto');
    const compromise = await requested('keys:setState', { keyId, state: 'compromised', reason: 'leaked' });
    await signIn('Vera');
    expect(await call('approvals:approve', { requestId: compromise })).toMatchObject({ approvals: [{ approver: 'Vera' }] });
  });

  it('the executor needs the guarded channel\'s own permission', async () => {
    await signIn('Bea');
    const id = await requested('operators:setRole', { name: 'Kate', role: 'admin' });
    await signIn('alice');
    await call('approvals:approve', { requestId: id });
    await signIn('Kate'); // a key custodian may not call operators:setRole, approved or not
    expect(await failure(call('approvals:execute', { requestId: id }))).toMatchObject({ code: 'forbidden' });
    await signIn('Bea');
    expect((await call('approvals:execute', { requestId: id })).request.state).toBe('executed');
    expect((await call('operators:list', {})).operators.find((o) => o.name === 'Kate')?.role).toBe('admin');
  });
});

describe('exporting recovery shares needs a second admin', () => {
  // docs/two-person-control.md: splitting the master key into shares is guarded ("recovery.shares", one other admin).
  const SPLIT = { threshold: 2, custodians: ['Ann', 'Ben', 'Cai'] };

  it('alice asks, a custodian may not approve, Bea approves, alice executes once and receives one share per custodian', async () => {
    await signIn('alice');
    const id = await requested('recovery:createShares', SPLIT);
    expect(records('recovery.create_shares')).toEqual([]); // nothing made yet
    expect(await failure(call('approvals:approve', { requestId: id }))).toMatchObject({ code: 'illegal_transition' }); // not her own
    await signIn('Ken'); // a key custodian is not among the approvers of this action
    expect(await failure(call('approvals:approve', { requestId: id }))).toMatchObject({ code: 'forbidden' });
    await signIn('Bea');
    await call('approvals:approve', { requestId: id });
    await signIn('alice');
    const done = await call('approvals:execute', { requestId: id });
    const result = done.result as { threshold: number; shares: Array<{ custodian: string }> };
    expect([result.threshold, result.shares.map((s) => s.custodian)]).toEqual([2, ['Ann', 'Ben', 'Cai']]);
    expect(done.request.state).toBe('executed');
    expect(await failure(call('approvals:execute', { requestId: id }))).toMatchObject({ code: 'illegal_transition' });
  });
});

describe('a lockdown order beyond a list of robots needs a second officer', () => {
  // docs/two-person-control.md: emergency.wide (security officer or admin approves); a lift and a list of robots are not guarded.
  const LOCK = { kind: 'lockdown', actions: ['stop_operating'], reason: 'stolen badge', message: 'Stop and wait for an officer', validForSeconds: 3600 } as const;

  it('Otto asks for a site-wide order; Bea approves; Otto executes and gets the signed order; a robot list needs no one', async () => {
    await signIn('alice');
    await call('keys:create', { type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' });
    await signIn('Otto');
    const id = await requested('emergency:lockdownOrder', { ...LOCK, actions: [...LOCK.actions], scope: { site: 'Plant 7' } });
    expect(records('lockdown.order')).toEqual([]);
    await signIn('Bea');
    await call('approvals:approve', { requestId: id });
    await signIn('Otto');
    const done = await call('approvals:execute', { requestId: id });
    expect((done.result as { order: { kind: string; scope: unknown; issuedBy: string } }).order).toMatchObject({ kind: 'lockdown', scope: { site: 'Plant 7' }, issuedBy: 'Otto' });
    // One robot named: at once, no request.
    const direct = await call('emergency:lockdownOrder', { ...LOCK, actions: [...LOCK.actions], scope: { deviceIds: ['uv-9'] } });
    expect(direct.order.scope).toEqual({ deviceIds: ['uv-9'] });
    expect(records('lockdown.order').map((r) => r.outcome)).toEqual(['success', 'success']);
  });
});

describe('lowering a rotation policy needs a second admin or key custodian', () => {
  it('a longer period for a key type is a rotation.lower request until Kate approves; a shorter one runs at once', async () => {
    await signIn('Bea');
    const before = (await call('rotation:policies', {})).types.find((t) => t.type === 'communication')!.policy;
    const longer = { mode: 'scheduled' as const, periodSeconds: (before.periodSeconds ?? 3600) * 2 };
    const id = await requested('rotation:setTypePolicy', { type: 'communication', policy: longer });
    expect((await call('rotation:policies', {})).types.find((t) => t.type === 'communication')!.policy).toEqual(before);
    expect((await call('approvals:list', { open: true })).requests.find((r) => r.id === id)).toMatchObject({ action: 'rotation.lower', requester: 'Bea' });
    await signIn('Kate');
    await call('approvals:approve', { requestId: id });
    await signIn('Bea');
    await call('approvals:execute', { requestId: id });
    expect((await call('rotation:policies', {})).types.find((t) => t.type === 'communication')!.policy.periodSeconds).toBe(longer.periodSeconds);
    // Raising it back runs at once.
    expect((await route('rotation:setTypePolicy', { type: 'communication', policy: { mode: 'scheduled', periodSeconds: before.periodSeconds } })).ok).toBe(true);
  });
});
