// The operators service in-process over a real store (electron/services/operators/operators.ts, docs/operators.md
// "Operators and roles"), so the mutation run sees it (the integration tests do the same from beforeAll hooks, which
// Stryker cannot attribute): add (the name unique ignoring case, audited operator.add with the role), remove (not
// oneself, the slot gone, audited operator.remove), change a role (the last admin keeps it, audited operator.set_role
// with from and to, the signed-in operator's own role applies to the next call), change one's own passphrase, and
// operators:list's fields. One console per test, the clock moved by hand; expectations written from the docs.
// Round (z) adds the approval keys (docs/operators.md "Approval keys", docs/two-person-control.md "Revoking an
// approval key": the key listed only when enrolled at or after the operator's row, removal revokes it "operator
// removed") and the open incident kits (docs/incident-kit.md "It says so at the change"), with the keys and kit rows
// written into the real store by its own repositories, and the removed slot gone from the file at once.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { openKitsDetail } from '../../electron/services/operators/operators.ts';
import { createApprovalsRepo } from '../../electron/store/approvalsRepo.ts';
import { createIncidentKitRepo } from '../../electron/store/incidentKitRepo.ts';
import { createOperatorsRepo } from '../../electron/store/operatorsRepo.ts';
import { contractCaller, failure } from '../integration/support/consoleCalls.ts';
import { CTX, dbFile, open, PASSPHRASE, removeTempDirs, tempDir, withRawDb } from './store-testkit.ts';

const VIC_PASS = 'vic has a long passphrase';
const BOB_PASS = 'bob has a long passphrase';
const T0 = Date.parse('2026-03-02T10:00:00Z');
const consoles: FleetConsole[] = [];

afterEach(() => {
  for (const c of consoles.splice(0)) c.close();
  removeTempDirs();
});

/**
 * A store with alice (admin, signed in) and vic (viewer, added a minute after the first run). `seed` writes rows into
 * the store with its own repositories before vic is added (the console closed meanwhile, then alice signs in again).
 */
async function setUp(seed?: (db: Database.Database) => void) {
  const clock = manualClock(T0);
  const dir = tempDir('ecps-operators-mut-');
  const options = { clock, rotation: { scheduler: false }, idleLock: { intervalMs: null } } as const;
  let c = await open(dir, options);
  const call = contractCaller(() => c);
  await call('session:init', { operator: 'alice', passphrase: PASSPHRASE });
  if (seed) {
    c.close();
    withRawDb(dir, seed);
    c = await open(dir, options);
    await call('session:unlock', { operator: 'alice', passphrase: PASSPHRASE });
  }
  consoles.push(c);
  const changed: string[] = [];
  const approvalsPushed: unknown[] = [];
  c.onEvent((event, payload) => {
    if (event === 'operators:changed') changed.push((payload as { name: string }).name);
    if (event === 'approvals:changed') approvalsPushed.push(payload);
  });
  clock.advance(60_000);
  await call('operators:add', { name: 'vic', role: 'viewer', passphrase: VIC_PASS });
  const last = (action: string) => c.audit.query({ action, limit: 1 }).records[0];
  const count = (action: string) => c.audit.query({ action, limit: 100 }).records.length;
  const signIn = async (operator: string, passphrase: string) => {
    await call('session:lock', {});
    await c.handlers['session:unlock']({ operator, passphrase }, CTX);
  };
  return { c, dir, clock, call, changed, approvalsPushed, last, count, signIn };
}

describe('operators:add and operators:list', () => {
  it('adds an operator with the documented fields, audited, pushed, and their passphrase opens their slot', async () => {
    const { call, changed, last, clock, signIn } = await setUp();
    expect(changed).toEqual(['vic']);
    expect(last('operator.add')).toMatchObject({ actor: 'alice', targetType: 'operator', targetId: 'vic', outcome: 'success', details: { role: 'viewer', keychainBound: false } });
    expect(last('operator.add')!.details).not.toHaveProperty('approvalRequestId');
    const { operators } = await call('operators:list', {});
    expect(operators.map((o) => o.name)).toEqual(['alice', 'vic']);
    expect(operators[1]).toEqual({
      name: 'vic', role: 'viewer', createdAt: '2026-03-02T10:01:00.000Z', createdBy: 'alice', passphraseChangedAt: null, failedAttempts: 0,
      retryAfterMs: 0, secondFactor: 'none', recoveryCodesLeft: 0, lastSignInAt: null, approvalKey: null,
      approvalKeyRevoked: null,
    });
    // alice's first sign-in is the first run; a later unlock is newer.
    expect(operators[0]).toMatchObject({ name: 'alice', role: 'admin', lastSignInAt: '2026-03-02T10:00:00.000Z' });
    clock.advance(60_000);
    await signIn('alice', PASSPHRASE);
    expect((await call('operators:list', {})).operators[0]!.lastSignInAt).toBe('2026-03-02T10:02:00.000Z');
    await signIn('vic', VIC_PASS);
    expect(await call('session:info', {})).toEqual({ operator: 'vic', role: 'viewer', permissions: ['read'] });
  });

  it('refuses a name taken (ignoring case), audited as a failure; nothing added', async () => {
    const { call, last, count, changed } = await setUp();
    for (const name of ['VIC', 'Alice']) {
      const e = await failure(call('operators:add', { name, role: 'station_operator', passphrase: BOB_PASS }));
      expect(e).toEqual({ code: 'invalid_input', message: `An operator named ${name} already exists.`, details: { field: 'name' } });
      expect(last('operator.add')).toMatchObject({ actor: 'alice', targetId: name, outcome: 'failure', details: { role: 'station_operator', code: 'invalid_input' } });
    }
    expect(count('operator.add')).toBe(3);
    expect((await call('operators:list', {})).operators.map((o) => o.name)).toEqual(['alice', 'vic']);
    expect(changed).toEqual(['vic']);
  });

  it('answers locked when no one is signed in', async () => {
    const { call } = await setUp();
    await call('session:lock', {});
    expect((await failure(call('operators:list', {}))).code).toBe('locked');
    expect((await failure(call('session:info', {}))).code).toBe('locked');
  });
});

describe('operators:remove', () => {
  it('removes an operator: gone from the list, their passphrase opens nothing, audited with their role, pushed', async () => {
    const { c, call, last, changed } = await setUp();
    expect(await call('operators:remove', { name: 'vic' })).toEqual({ removed: true });
    expect(last('operator.remove')).toMatchObject({ actor: 'alice', targetType: 'operator', targetId: 'vic', outcome: 'success', details: { role: 'viewer' } });
    expect(changed).toEqual(['vic', 'vic']);
    expect((await call('operators:list', {})).operators.map((o) => o.name)).toEqual(['alice']);
    await call('session:lock', {});
    expect((await failure(c.handlers['session:unlock']({ operator: 'vic', passphrase: VIC_PASS }, CTX))).code).toBe('wrong_passphrase');
  });

  it('refuses removing oneself and an unknown name, audited as failures', async () => {
    const { call, last, count } = await setUp();
    expect(await failure(call('operators:remove', { name: 'alice' }))).toEqual({ code: 'illegal_transition', message: 'You cannot remove yourself while signed in; another admin can.', details: {} });
    expect(last('operator.remove')).toMatchObject({ actor: 'alice', targetId: 'alice', outcome: 'failure', details: { code: 'illegal_transition' } });
    expect(await failure(call('operators:remove', { name: 'nobody' }))).toEqual({ code: 'not_found', message: 'There is no operator named nobody.', details: { field: 'name' } });
    expect(last('operator.remove')).toMatchObject({ targetId: 'nobody', outcome: 'failure', details: { code: 'not_found' } });
    expect(count('operator.remove')).toBe(2);
    expect((await call('operators:list', {})).operators.map((o) => o.name)).toEqual(['alice', 'vic']);
  });
});

describe('operators:setRole', () => {
  it('changes a role, audited with from and to; the same role again changes and records nothing', async () => {
    const { call, last, count, changed } = await setUp();
    expect(await call('operators:setRole', { name: 'vic', role: 'station_operator' })).toMatchObject({ name: 'vic', role: 'station_operator' });
    expect(last('operator.set_role')).toMatchObject({ actor: 'alice', targetType: 'operator', targetId: 'vic', outcome: 'success', details: { from: 'viewer', to: 'station_operator' } });
    expect(changed).toEqual(['vic', 'vic']);
    expect(await call('operators:setRole', { name: 'vic', role: 'station_operator' })).toMatchObject({ name: 'vic', role: 'station_operator' });
    expect(count('operator.set_role')).toBe(1);
    expect(changed).toEqual(['vic', 'vic']);
    expect((await failure(call('operators:setRole', { name: 'nobody', role: 'viewer' })))).toMatchObject({ code: 'not_found', details: { field: 'name' } });
  });

  it('keeps the last admin: alice cannot take the role from herself, audited as a failure', async () => {
    const { call, last } = await setUp();
    const e = await failure(call('operators:setRole', { name: 'alice', role: 'viewer' }));
    expect(e).toEqual({ code: 'illegal_transition', message: 'alice is the last admin; taking the admin role away would leave the console without one. Make another operator an admin first.', details: {} });
    expect(last('operator.set_role')).toMatchObject({ actor: 'alice', targetId: 'alice', outcome: 'failure', details: { role: 'viewer', code: 'illegal_transition' } });
    expect((await call('session:info', {})).role).toBe('admin');
  });

  it('with a second admin, alice may step down: her own new role applies to the next call', async () => {
    const { call, last } = await setUp();
    // No approver but alice yet: adding an admin runs at once.
    await call('operators:add', { name: 'bob', role: 'admin', passphrase: BOB_PASS });
    expect(await call('operators:setRole', { name: 'alice', role: 'key_custodian' })).toMatchObject({ name: 'alice', role: 'key_custodian' });
    expect(last('operator.set_role')).toMatchObject({ targetId: 'alice', outcome: 'success', details: { from: 'admin', to: 'key_custodian' } });
    expect(await call('session:info', {})).toEqual({ operator: 'alice', role: 'key_custodian', permissions: ['read', 'keys'] });
    expect((await failure(call('operators:list', {}).then(() => call('operators:remove', { name: 'vic' })))).code).toBe('forbidden');
  });

  it('a change run under an approved request names the request in its record', async () => {
    const { call, last, signIn } = await setUp();
    await call('operators:add', { name: 'bob', role: 'admin', passphrase: BOB_PASS });
    const asked = await failure(call('operators:setRole', { name: 'vic', role: 'key_custodian' }));
    expect(asked.code).toBe('approval_required');
    const requestId = asked.details['requestId'] as string;
    await signIn('bob', BOB_PASS);
    await call('approvals:approve', { requestId });
    await signIn('alice', PASSPHRASE);
    await call('approvals:execute', { requestId });
    expect(last('operator.set_role')).toMatchObject({ targetId: 'vic', outcome: 'success', details: { from: 'viewer', to: 'key_custodian', approvalRequestId: requestId } });
  });
});

describe('changing one\'s own passphrase (both channels)', () => {
  it.each(['operators:changePassphrase', 'session:changePassphrase'] as const)('%s re-seals the slot and pushes operators:changed', async (channel) => {
    const { c, call, changed, clock, signIn } = await setUp();
    await signIn('vic', VIC_PASS);
    clock.advance(60_000);
    expect(await call(channel, { current: VIC_PASS, next: BOB_PASS })).toEqual({ changed: true });
    expect(changed).toEqual(['vic', 'vic']);
    expect((await call('operators:list', {})).operators[1]).toMatchObject({ name: 'vic', passphraseChangedAt: '2026-03-02T10:02:00.000Z' });
    await call('session:lock', {});
    expect((await failure(c.handlers['session:unlock']({ operator: 'vic', passphrase: VIC_PASS }, CTX))).code).toBe('wrong_passphrase');
    await c.handlers['session:unlock']({ operator: 'vic', passphrase: BOB_PASS }, CTX);
  });
});

const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
/** An Ed25519 public key as an approver enrols it; the fingerprint is the SHA-256 of its SPKI DER (the docs' fingerprint). */
const approvalKeyPair = () => {
  const { publicKey } = crypto.generateKeyPairSync('ed25519');
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return { pem: publicKey.export({ format: 'pem', type: 'spki' }).toString(), der, fingerprint: crypto.createHash('sha256').update(der).digest('hex') };
};

describe('approval keys (docs/operators.md "Approval keys", docs/two-person-control.md)', () => {
  it('operators:list names a key enrolled at or after the operator\'s row; a key left under the name before it counts for no one', async () => {
    const leftover = approvalKeyPair();
    // zed's name holds a key enrolled at the first run, before any operator zed exists (a namesake's leftover).
    const { call, clock, signIn } = await setUp((db) => createApprovalsRepo(db).saveApprovalKey({ operator: 'zed', publicSpki: leftover.der, fingerprint: leftover.fingerprint, enrolledAt: at(0) }));
    // vic enrols in the same millisecond his row was made (10:01): that counts ("after their row": not before it).
    await signIn('vic', VIC_PASS);
    const vicKey = approvalKeyPair();
    expect(await call('approvals:enrolKey', { publicKeyPem: vicKey.pem })).toEqual({ operator: 'vic', fingerprint: vicKey.fingerprint });
    await signIn('alice', PASSPHRASE);
    clock.advance(60_000);
    await call('operators:add', { name: 'zed', role: 'viewer', passphrase: BOB_PASS });
    const { operators } = await call('operators:list', {});
    expect(operators.map((o) => [o.name, o.createdAt, o.approvalKey])).toEqual([
      ['alice', at(0), null],
      ['vic', at(1), { fingerprint: vicKey.fingerprint, enrolledAt: at(1) }],
      ['zed', at(2), null],
    ]);
  });

  it('removing an operator revokes their key in the same step: listed revoked "operator removed" by the remover, audited, approvals:changed pushed', async () => {
    const { c, call, clock, signIn, approvalsPushed, last } = await setUp();
    await signIn('vic', VIC_PASS);
    const key = approvalKeyPair();
    await call('approvals:enrolKey', { publicKeyPem: key.pem });
    await signIn('alice', PASSPHRASE);
    clock.set(Date.parse(at(6)));
    const pushedBefore = approvalsPushed.length;
    expect(await call('operators:remove', { name: 'vic' })).toEqual({ removed: true });
    expect(approvalsPushed.slice(pushedBefore)).toEqual([{ requestId: null, state: null }]);
    const record = last('approval.revoke_key')!;
    expect([record.actor, record.action, record.targetType, record.targetId, record.outcome, record.ts]).toEqual(['alice', 'approval.revoke_key', 'operator', 'vic', 'success', at(6)]);
    expect(record.details).toEqual({ fingerprint: key.fingerprint, reason: 'operator removed' });
    // The removal is recorded first, then the revocation it caused.
    const both = c.audit.query({ actionPrefix: 'op', limit: 10 }).records.concat(c.audit.query({ action: 'approval.revoke_key', limit: 10 }).records);
    const removedSeq = both.find((r) => r.action === 'operator.remove')!.seq;
    expect(record.seq).toBeGreaterThan(removedSeq);
    expect((await call('approvals:listRevokedKeys', {})).keys).toEqual([
      { operator: 'vic', fingerprint: key.fingerprint, enrolledAt: at(1), revokedAt: at(6), revokedBy: 'alice', why: 'removed', reason: 'operator removed' },
    ]);
    expect((await call('approvals:listKeys', {})).keys).toEqual([]);
  });

  it('removing an operator without a key revokes nothing: no approval.revoke_key record, no approvals:changed push', async () => {
    const { call, approvalsPushed, count } = await setUp();
    const pushedBefore = approvalsPushed.length;
    expect(await call('operators:remove', { name: 'vic' })).toEqual({ removed: true });
    expect(count('approval.revoke_key')).toBe(0);
    expect(approvalsPushed.slice(pushedBefore)).toEqual([]);
  });
});

describe('the removed operator\'s slot (docs/operators.md: "the slot is wiped")', () => {
  it('is in neither the store file nor its WAL once operators:remove has answered, the console still open', async () => {
    const { c, dir, clock } = await setUp();
    // The store holds the database exclusively while open: vic's slot is read with the console closed, then reopened.
    c.close();
    const slot = withRawDb(dir, (db) => db.prepare("SELECT wrapped_master FROM operators WHERE name = 'vic'").pluck().get() as Buffer);
    expect(slot.length).toBeGreaterThan(16);
    const again = await open(dir, { clock, rotation: { scheduler: false }, idleLock: { intervalMs: null } });
    consoles.push(again);
    const call = contractCaller(() => again);
    await call('session:unlock', { operator: 'alice', passphrase: PASSPHRASE });
    const fileBytes = () => Buffer.concat([dbFile(dir), `${dbFile(dir)}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)));
    expect(fileBytes().includes(slot), 'the slot is in the files before').toBe(true);
    expect(await call('operators:remove', { name: 'vic' })).toEqual({ removed: true });
    expect(fileBytes().includes(slot)).toBe(false);
  });
});

// Kit rows as the export writes them (incident_kits): kim's two open kits, one whose orders expired at the time vic
// was added, one imported, and an open kit of another responder. Open at 10:01 and later: K1 and K2, by export time.
const KITS = [
  { kitId: 'kit-k2', responder: 'kim', exportedAt: '2026-03-02T09:30:00.000Z', expiresAt: '2026-03-02T11:00:00.000Z' },
  { kitId: 'kit-k1', responder: 'kim', exportedAt: '2026-03-02T09:00:00.000Z', expiresAt: '2026-03-02T12:00:00.000Z' },
  { kitId: 'kit-expired', responder: 'kim', exportedAt: '2026-03-02T08:00:00.000Z', expiresAt: at(1) },
  { kitId: 'kit-imported', responder: 'kim', exportedAt: '2026-03-02T08:30:00.000Z', expiresAt: '2026-03-02T12:00:00.000Z' },
  { kitId: 'kit-lee', responder: 'lee', exportedAt: '2026-03-02T09:10:00.000Z', expiresAt: '2026-03-02T12:00:00.000Z' },
];
const KIM_OPEN = [
  { kitId: 'kit-k1', exportedAt: '2026-03-02T09:00:00.000Z', expiresAt: '2026-03-02T12:00:00.000Z' },
  { kitId: 'kit-k2', exportedAt: '2026-03-02T09:30:00.000Z', expiresAt: '2026-03-02T11:00:00.000Z' },
];
const KIM_OPEN_LIST = 'kit-k1 exported 2026-03-02T09:00:00.000Z expires 2026-03-02T12:00:00.000Z; kit-k2 exported 2026-03-02T09:30:00.000Z expires 2026-03-02T11:00:00.000Z';
const KIM_PASS = 'kim has a long passphrase';

describe('open incident kits (docs/incident-kit.md "It says so at the change")', () => {
  const seedKits = (db: Database.Database) => {
    const kits = createIncidentKitRepo(db);
    for (const k of KITS) kits.insert({ ...k, exportedBy: k.responder, orders: 1, robots: 1 });
    kits.markImported('kit-imported', at(0), 'alice', 3);
  };

  /** Runs an operator change as alice; when it needs a second person, kim consents and alice executes it. */
  async function asAlice(s: Awaited<ReturnType<typeof setUp>>, run: () => Promise<unknown>): Promise<{ result: unknown; requestId: string | null }> {
    try {
      return { result: await run(), requestId: null };
    } catch (e) {
      const refused = await failure(Promise.reject(e));
      if (refused.code !== 'approval_required') throw e;
      const requestId = String(refused.details['requestId']);
      await s.signIn('kim', KIM_PASS);
      await s.call('approvals:approve', { requestId });
      await s.signIn('alice', PASSPHRASE);
      return { result: (await s.call('approvals:execute', { requestId })).result, requestId };
    }
  }

  it('operators:list gives each operator\'s open kits by export time, and no openKits field to one with none', async () => {
    const s = await setUp(seedKits);
    await s.call('operators:add', { name: 'kim', role: 'security_officer', passphrase: KIM_PASS });
    const { operators } = await s.call('operators:list', {});
    expect(operators.map((o) => o.name)).toEqual(['alice', 'kim', 'vic']);
    expect(operators[1]!.openKits).toEqual(KIM_OPEN);
    for (const o of [operators[0]!, operators[2]!]) expect(Object.keys(o), o.name).not.toContain('openKits');
  });

  it('a role change names them only when the new role lacks security; removal names them in its record and result', async () => {
    const s = await setUp(seedKits);
    // Added while alice is the only approver: at once.
    await s.call('operators:add', { name: 'kim', role: 'admin', passphrase: KIM_PASS });
    const roleRecord = () => s.last('operator.set_role')!;

    // admin -> security officer: still holds security, so no kit is named.
    const toOfficer = await asAlice(s, () => s.call('operators:setRole', { name: 'kim', role: 'security_officer' }));
    expect(roleRecord()).toMatchObject({ actor: 'alice', targetId: 'kim', outcome: 'success' });
    expect(roleRecord().details).toEqual({ from: 'admin', to: 'security_officer', ...(toOfficer.requestId ? { approvalRequestId: toOfficer.requestId } : {}) });
    expect((toOfficer.result as { openKits?: unknown }).openKits).toEqual(KIM_OPEN);

    // security officer -> viewer: security lost while two kits are open.
    const toViewer = await asAlice(s, () => s.call('operators:setRole', { name: 'kim', role: 'viewer' }));
    expect(roleRecord().details).toEqual({ from: 'security_officer', to: 'viewer', openKits: 2, openKitList: KIM_OPEN_LIST, ...(toViewer.requestId ? { approvalRequestId: toViewer.requestId } : {}) });

    const removed = await asAlice(s, () => s.call('operators:remove', { name: 'kim' }));
    expect(removed.result).toEqual({ removed: true, openKits: KIM_OPEN });
    const record = s.last('operator.remove')!;
    expect(record).toMatchObject({ actor: 'alice', targetId: 'kim', outcome: 'success' });
    expect(record.details).toEqual({ role: 'viewer', openKits: 2, openKitList: KIM_OPEN_LIST, ...(removed.requestId ? { approvalRequestId: removed.requestId } : {}) });
  });

  it('a demotion that loses security while no kit of theirs is open names none', async () => {
    const s = await setUp();
    await s.call('operators:add', { name: 'kim', role: 'security_officer', passphrase: KIM_PASS });
    const toViewer = await asAlice(s, () => s.call('operators:setRole', { name: 'kim', role: 'viewer' }));
    expect(s.last('operator.set_role')!.details).toEqual({ from: 'security_officer', to: 'viewer', ...(toViewer.requestId ? { approvalRequestId: toViewer.requestId } : {}) });
    expect(Object.keys(toViewer.result as object)).not.toContain('openKits');
  });

  it('openKitsDetail: nothing for no kit; the count and "<kitId> exported <at> expires <at>" joined by "; "', () => {
    expect(openKitsDetail([])).toEqual({});
    expect(openKitsDetail(KIM_OPEN)).toEqual({ openKits: 2, openKitList: KIM_OPEN_LIST });
    expect(openKitsDetail(KIM_OPEN.slice(0, 1))).toEqual({ openKits: 1, openKitList: 'kit-k1 exported 2026-03-02T09:00:00.000Z expires 2026-03-02T12:00:00.000Z' });
  });
});

/** RFC 4648 base32 (the enrolment's secret text). */
const base32Bytes = (text: string): Buffer => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of text.replace(/=+$/, '')) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  return Buffer.from((bits.match(/.{8}/g) ?? []).map((b) => parseInt(b, 2)));
};
/** RFC 6238 with the docs' parameters: HMAC-SHA-1, 30-second steps, 6 digits (RFC 4226's dynamic truncation). */
const totpAt = (secret: string, ms: number): string => {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(ms / 30_000)));
  const mac = crypto.createHmac('sha1', base32Bytes(secret)).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
};

describe('operators:list: the second factor (docs/operators.md "Second factor (TOTP)")', () => {
  it('names an operator\'s confirmed authenticator app as totp, with the recovery codes they were handed', async () => {
    const { call, clock, signIn } = await setUp();
    await signIn('vic', VIC_PASS);
    const { secret } = await call('operators:enrollTotp', {});
    // Started, not confirmed: none yet.
    expect((await call('operators:list', {})).operators[1]).toMatchObject({ name: 'vic', secondFactor: 'none', recoveryCodesLeft: 0 });
    const { recoveryCodes } = await call('operators:confirmTotp', { code: totpAt(secret, clock.now()) });
    expect(recoveryCodes.length).toBeGreaterThan(0);
    const listed = (await call('operators:list', {})).operators;
    expect(listed.map((o) => [o.name, o.secondFactor, o.recoveryCodesLeft])).toEqual([['alice', 'none', 0], ['vic', 'totp', recoveryCodes.length]]);
  });

  it('names a PKCS#11 token factor pkcs11 (the row the token enrolment writes, put in the store by its repository)', async () => {
    const { c, dir, clock } = await setUp();
    c.close();
    const { publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    withRawDb(dir, (db) => createOperatorsRepo(db).setToken('vic', {
      modulePath: '/usr/lib/softhsm/libsofthsm2.so', tokenLabel: 'vic-token', keyLabel: 'ecps-operator-vic', publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(), enabledAt: at(1),
    }));
    const again = await open(dir, { clock, rotation: { scheduler: false }, idleLock: { intervalMs: null } });
    consoles.push(again);
    const call = contractCaller(() => again);
    await call('session:unlock', { operator: 'alice', passphrase: PASSPHRASE });
    expect((await call('operators:list', {})).operators.map((o) => [o.name, o.secondFactor])).toEqual([['alice', 'none'], ['vic', 'pkcs11']]);
  });
});

describe('operators:list: the last sign-in (docs/operators.md)', () => {
  it('is an operator\'s latest successful unlock; null before their first', async () => {
    const { call, clock, signIn } = await setUp();
    expect((await call('operators:list', {})).operators[1]).toMatchObject({ name: 'vic', lastSignInAt: null });
    clock.advance(60_000);
    await signIn('vic', VIC_PASS);
    expect((await call('operators:list', {})).operators[1]).toMatchObject({ name: 'vic', lastSignInAt: at(2) });
    clock.advance(60_000);
    await signIn('alice', PASSPHRASE);
    clock.advance(60_000);
    await signIn('vic', VIC_PASS);
    expect((await call('operators:list', {})).operators.map((o) => [o.name, o.lastSignInAt])).toEqual([['alice', at(3)], ['vic', at(4)]]);
  });
});
