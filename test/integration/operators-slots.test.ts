// Operators' key slots (issue 14, docs/operators.md): each operator unlocks with their own passphrase, a removed
// operator cannot (their slot wiped from the file), the others still can; wrong passphrases are throttled per
// operator; the last admin stays; roles change what the next call may do; a store made before operators existed
// becomes the slot of the operator who next unlocks it, as admin. Slots are opened here by the documented recipe
// (scrypt, AES-256-GCM, the AAD string docs/operators.md gives), not by the code under test.
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import { THROTTLE_BASE_DELAY_MS } from '../../electron/services/session/sessionThrottle.ts';
import type { FleetConsole } from '../../electron/app.ts';
import { contractCaller, failure } from './support/consoleCalls.ts';
import { makePreOperatorsStore, masterFromSlot } from './support/legacyStore.ts';
import { CTX, dbFile, open, PASSPHRASE, removeTempDirs, tempDir, withRawDb } from '../unit/store-testkit.ts';

afterEach(removeTempDirs);

const BOB_PASS = 'bob has his own passphrase';
const unlock = (c: FleetConsole, operator: string, passphrase: string) => c.handlers['session:unlock']({ operator, passphrase }, CTX);
const lock = (c: FleetConsole) => c.handlers['session:lock']({}, CTX);

/** alice (admin, first run) and bob (key custodian, added by alice); alice signed in. */
async function twoOperators(dir = tempDir(), extra = {}): Promise<FleetConsole> {
  const c = await open(dir, extra);
  await c.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
  await contractCaller(() => c)('operators:add', { name: 'bob', role: 'key_custodian', passphrase: BOB_PASS });
  return c;
}

describe('key slots', () => {
  it('each operator unlocks with their own passphrase only; both slots hold the same master key', async () => {
    const dir = tempDir();
    const c = await twoOperators(dir);
    await lock(c);
    expect(await failure(unlock(c, 'bob', PASSPHRASE))).toMatchObject({ code: 'wrong_passphrase' });
    expect(await failure(unlock(c, 'alice', BOB_PASS))).toMatchObject({ code: 'wrong_passphrase' });
    expect(await unlock(c, 'bob', BOB_PASS)).toMatchObject({ state: 'unlocked', operator: 'bob', role: 'key_custodian' });
    expect(await c.handlers['session:info']({}, CTX)).toEqual({ operator: 'bob', role: 'key_custodian', permissions: ['read', 'keys'] });
    const key = await contractCaller(() => c)('keys:create', { type: 'storage', label: 'shared' });
    const ct = await c.handlers['keys:encrypt']({ keyId: key.id, plaintext: Buffer.from('both read this') }, CTX);
    await lock(c);
    await unlock(c, 'alice', PASSPHRASE);
    expect(Buffer.from((await c.handlers['keys:decrypt']({ ciphertext: ct.ciphertext }, CTX)).plaintext).toString()).toBe('both read this');
    c.close();
    const a = masterFromSlot(dir, 'alice', PASSPHRASE);
    const b = masterFromSlot(dir, 'bob', BOB_PASS);
    expect(a).not.toBeNull();
    expect(a!.equals(b!)).toBe(true);
    // No single-passphrase wrapping is left: the store's own fields are empty.
    expect(withRawDb(dir, (db) => db.prepare('SELECT length(wrapped_master) AS w, length(kdf_salt) AS s FROM store_meta').get())).toEqual({ w: 0, s: 0 });
  });

  it('the operators list says when each last signed in: the first run, a good unlock, never a refused one', async () => {
    const clock = manualClock(Date.parse('2026-03-01T10:00:00Z'));
    const c = await twoOperators(tempDir(), { clock });
    const lastOf = async (name: string) => (await c.handlers['operators:list']({}, CTX)).operators.find((o) => o.name === name)!.lastSignInAt;
    expect(await lastOf('alice')).toBe('2026-03-01T10:00:00.000Z');
    expect(await lastOf('bob')).toBeNull();
    await lock(c);
    clock.set(Date.parse('2026-03-02T08:15:00Z'));
    await unlock(c, 'bob', BOB_PASS);
    await lock(c);
    clock.set(Date.parse('2026-03-02T09:00:00Z'));
    expect((await failure(unlock(c, 'bob', 'not bob passphrase'))).code).toBe('wrong_passphrase');
    await unlock(c, 'alice', PASSPHRASE);
    expect(await lastOf('bob')).toBe('2026-03-02T08:15:00.000Z');
    expect(await lastOf('alice')).toBe('2026-03-02T09:00:00.000Z');
    c.close();
  });

  it('a removed operator cannot unlock (their slot is gone from the file); the other still can', async () => {
    const dir = tempDir();
    const c = await twoOperators(dir);
    c.close();
    const bobSlot = withRawDb(dir, (db) => db.prepare("SELECT wrapped_master FROM operators WHERE name = 'bob'").pluck().get() as Buffer);
    const again = await open(dir);
    await unlock(again, 'alice', PASSPHRASE);
    // bob, a key custodian, could approve: his removal is a request he approves (docs/two-person-control.md).
    const asked = await failure(again.handlers['operators:remove']({ name: 'bob' }, CTX));
    expect(asked.code).toBe('approval_required');
    await lock(again);
    await unlock(again, 'bob', BOB_PASS);
    await again.handlers['approvals:approve']({ requestId: asked.details.requestId as string }, CTX);
    await lock(again);
    await unlock(again, 'alice', PASSPHRASE);
    expect((await again.handlers['approvals:execute']({ requestId: asked.details.requestId as string }, CTX)).result).toEqual({ removed: true });
    expect((await again.handlers['operators:list']({}, CTX)).operators.map((o) => o.name)).toEqual(['alice']);
    await lock(again);
    expect(await failure(unlock(again, 'bob', BOB_PASS))).toMatchObject({ code: 'wrong_passphrase' });
    expect((await unlock(again, 'alice', PASSPHRASE)).state).toBe('unlocked');
    again.close();
    const bytes = Buffer.concat([fs.readFileSync(dbFile(dir)), ...(fs.existsSync(`${dbFile(dir)}-wal`) ? [fs.readFileSync(`${dbFile(dir)}-wal`)] : [])]);
    expect(bytes.includes(bobSlot)).toBe(false);
    const removed = withRawDb(dir, (db) => db.prepare("SELECT actor, outcome, details FROM audit_records WHERE action = 'operator.remove'").all());
    expect(removed).toEqual([{ actor: 'alice', outcome: 'success', details: JSON.stringify({ approvalRequestId: asked.details.requestId, role: 'key_custodian' }) }]);
  });

  it('wrong passphrases are throttled per operator: bob waits, alice does not', async () => {
    const clock = manualClock();
    const c = await twoOperators(tempDir(), { clock });
    await lock(c);
    for (let i = 0; i < 3; i++) expect((await failure(unlock(c, 'bob', 'not bob passphrase'))).code).toBe('wrong_passphrase');
    expect(await failure(unlock(c, 'bob', BOB_PASS))).toMatchObject({ code: 'too_many_attempts', details: { retryAfterMs: THROTTLE_BASE_DELAY_MS } });
    // The status (no operator named) hints the last failing operator's wait to a reloaded window.
    expect((await c.handlers['session:status']({}, CTX)).retryAfterMs).toBe(THROTTLE_BASE_DELAY_MS);
    expect((await unlock(c, 'alice', PASSPHRASE)).state).toBe('unlocked');
    const bob = (await c.handlers['operators:list']({}, CTX)).operators.find((o) => o.name === 'bob')!;
    expect(bob).toMatchObject({ failedAttempts: 3, retryAfterMs: THROTTLE_BASE_DELAY_MS });
    await lock(c);
    clock.advance(THROTTLE_BASE_DELAY_MS);
    expect((await unlock(c, 'bob', BOB_PASS)).operator).toBe('bob');
    c.close();
  });

  it('a passphrase change is the operator own: the new one opens their slot, the old one not; the other slot is untouched', async () => {
    const dir = tempDir();
    const c = await twoOperators(dir);
    await lock(c);
    await unlock(c, 'bob', BOB_PASS);
    const next = 'bob chose a new passphrase';
    expect(await failure(c.handlers['operators:changePassphrase']({ current: 'not the current one', next }, CTX))).toMatchObject({ code: 'wrong_passphrase' });
    expect(await c.handlers['operators:changePassphrase']({ current: BOB_PASS, next }, CTX)).toEqual({ changed: true });
    c.close();
    expect(masterFromSlot(dir, 'bob', BOB_PASS)).toBeNull();
    expect(masterFromSlot(dir, 'bob', next)!.equals(masterFromSlot(dir, 'alice', PASSPHRASE)!)).toBe(true);
  });

  it('the last admin is kept, no one removes themselves, and a role change applies to the next call', async () => {
    const c = await twoOperators();
    const call = contractCaller(() => c);
    expect(await failure(call('operators:remove', { name: 'alice' }))).toMatchObject({ code: 'illegal_transition' });
    expect(await failure(call('operators:setRole', { name: 'alice', role: 'viewer' }))).toMatchObject({ code: 'illegal_transition' });
    expect(await failure(call('operators:add', { name: 'Bob', role: 'viewer', passphrase: BOB_PASS }))).toMatchObject({ code: 'invalid_input' });
    expect(await failure(call('operators:add', { name: 'carol', role: 'viewer', passphrase: 'short' }))).toMatchObject({ code: 'weak_passphrase' });
    expect(await call('operators:setRole', { name: 'bob', role: 'admin' })).toMatchObject({ name: 'bob', role: 'admin' });
    // Two admins now: alice may step down; her next change of operators is refused.
    expect(await call('operators:setRole', { name: 'alice', role: 'viewer' })).toMatchObject({ role: 'viewer' });
    expect(await failure(call('operators:setRole', { name: 'bob', role: 'viewer' }))).toMatchObject({ code: 'forbidden' });
    expect((await c.handlers['session:status']({}, CTX)).role).toBe('viewer');
    c.close();
  });
});

describe('a store made before operators (one shared passphrase)', () => {
  const LEGACY_PASS = 'the old shared passphrase';

  /** A real store turned into its pre-operators form: one wrapping in store_meta, no operators table, schema 12. */
  async function legacyStore(): Promise<{ dir: string; ciphertext: Uint8Array }> {
    const dir = tempDir();
    const c = await open(dir);
    await c.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    const key = await contractCaller(() => c)('keys:create', { type: 'storage', label: 'old data' });
    const { ciphertext } = await c.handlers['keys:encrypt']({ keyId: key.id, plaintext: Buffer.from('kept across the migration') }, CTX);
    c.close();
    makePreOperatorsStore(dir, { operator: 'alice', passphrase: PASSPHRASE, legacyPassphrase: LEGACY_PASS });
    return { dir, ciphertext };
  }

  it('its wrapping becomes the slot of the operator named at the next unlock, an admin; the old wrapping is wiped', async () => {
    const { dir, ciphertext } = await legacyStore();
    const c = await open(dir);
    expect((await c.handlers['session:status']({}, CTX)).state).toBe('locked');
    expect(await failure(unlock(c, 'Chief', 'not the shared passphrase'))).toMatchObject({ code: 'wrong_passphrase' });
    expect(await unlock(c, 'Chief', LEGACY_PASS)).toMatchObject({ state: 'unlocked', operator: 'Chief', role: 'admin' });
    expect(Buffer.from((await c.handlers['keys:decrypt']({ ciphertext }, CTX)).plaintext).toString()).toBe('kept across the migration');
    expect((await c.handlers['operators:list']({}, CTX)).operators.map((o) => [o.name, o.role])).toEqual([['Chief', 'admin']]);
    await lock(c);
    // From now on the passphrase is Chief's own: another name with it is refused.
    expect(await failure(unlock(c, 'Deputy', LEGACY_PASS))).toMatchObject({ code: 'wrong_passphrase' });
    expect((await unlock(c, 'Chief', LEGACY_PASS)).state).toBe('unlocked');
    c.close();
    expect(masterFromSlot(dir, 'Chief', LEGACY_PASS)).not.toBeNull();
    expect(withRawDb(dir, (db) => db.prepare('SELECT length(wrapped_master) AS w FROM store_meta').get())).toEqual({ w: 0 });
    const migrated = withRawDb(dir, (db) => db.prepare("SELECT actor, targetId FROM (SELECT actor, target_id AS targetId FROM audit_records WHERE action = 'operator.migrated')").all());
    expect(migrated).toEqual([{ actor: 'Chief', targetId: 'Chief' }]);
  });
});
