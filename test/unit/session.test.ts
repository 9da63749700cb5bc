// The operator session: creating the store, unlocking, wrong passphrases (which change nothing but the persisted
// failure count), throttling with a manual clock across restarts, passphrase change, and the OS keychain binding.
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import { isConsoleError } from '../../shared/errors.ts';
import { THROTTLE_BASE_DELAY_MS } from '../../electron/services/session/sessionThrottle.ts';
import { codeOf, CTX, open, openUnlocked, PASSPHRASE, removeTempDirs, tempDir, withRawDb } from './store-testkit.ts';
import { createTestKeychain } from './store-testkit.ts';

afterEach(removeTempDirs);

const snapshot = (dir: string) =>
  withRawDb(dir, (db) => ({
    meta: db.prepare('SELECT * FROM store_meta').all(),
    slots: db.prepare('SELECT name, kdf_params, kdf_salt, wrapped_master FROM operators ORDER BY name').all(),
    keys: db.prepare('SELECT * FROM keys ORDER BY id').all(),
    versions: db.prepare('SELECT * FROM key_versions ORDER BY key_id, version').all(),
  }));

describe('first run and unlock', () => {
  it('creates the store on init, unlocked for the operator, and locked after a restart', async () => {
    const dir = tempDir();
    const c = await open(dir);
    expect((await c.handlers['session:status']({}, CTX)).state).toBe('uninitialized');
    const s = await c.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    expect(s).toMatchObject({ state: 'unlocked', operator: 'alice', retryAfterMs: 0 });
    c.close();
    const again = await open(dir);
    expect((await again.handlers['session:status']({}, CTX)).state).toBe('locked');
    expect(await codeOf(() => again.handlers['keys:list']({}, CTX))).toBe('locked');
    // Unlock names the operator: the passphrase opens alice's slot only (issue 14); another name gets the same refusal.
    expect(await codeOf(() => again.handlers['session:unlock']({ operator: 'bob', passphrase: PASSPHRASE }, CTX))).toBe('wrong_passphrase');
    expect(await again.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX)).toMatchObject({ operator: 'alice', role: 'admin' });
    again.close();
  });

  it('refuses a passphrase under 12 characters and stays uninitialized', async () => {
    const c = await open(tempDir());
    expect(await codeOf(() => c.handlers['session:init']({ operator: 'alice', passphrase: 'short pass' }, CTX))).toBe('weak_passphrase');
    expect((await c.handlers['session:status']({}, CTX)).state).toBe('uninitialized');
    expect(await codeOf(() => c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX))).toBe('not_initialized');
    c.close();
  });

  it('refuses a second init', async () => {
    const c = await openUnlocked();
    expect(await codeOf(() => c.handlers['session:init']({ operator: 'eve', passphrase: 'another long passphrase' }, CTX))).toBe('already_initialized');
    c.close();
  });

  it('a wrong passphrase is refused and changes nothing but the failure count', async () => {
    const dir = tempDir();
    const c = await openUnlocked(dir);
    await c.handlers['keys:create']({ type: 'storage', label: 'disk' }, CTX);
    c.close();
    const before = snapshot(dir);
    const again = await open(dir);
    expect(await codeOf(() => again.handlers['session:unlock']({ operator: 'mallory', passphrase: 'not the passphrase' }, CTX))).toBe('wrong_passphrase');
    expect((await again.handlers['session:status']({}, CTX)).state).toBe('locked');
    again.close();
    expect(snapshot(dir)).toEqual(before);
    // mallory is no operator: the shared count of unknown names.
    expect(withRawDb(dir, (db) => db.prepare('SELECT failed_attempts FROM unlock_throttle').get())).toEqual({ failed_attempts: 1 });
  });

  it('lock forgets the session: key channels answer locked and the audit signer is gone', async () => {
    const c = await openUnlocked();
    const locked = await c.handlers['session:lock']({}, CTX);
    expect(locked).toMatchObject({ state: 'locked', operator: null });
    expect(await codeOf(() => c.handlers['keys:create']({ type: 'storage', label: 'x' }, CTX))).toBe('locked');
    expect(await codeOf(() => c.handlers['session:lock']({}, CTX))).toBe('locked');
    expect(await codeOf(() => c.audit.exportJsonl())).toBe('locked');
    c.close();
  });
});

describe('closing', () => {
  it('an unlock still deriving its key when the console closes fails cleanly as locked', async () => {
    const dir = tempDir();
    (await openUnlocked(dir)).close();
    const c = await open(dir);
    const pending = codeOf(() => c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX));
    c.close();
    expect(await pending).toBe('locked');
    const again = await open(dir);
    expect((await again.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX)).state).toBe('unlocked');
    again.close();
  });

  it('close locks an unlocked store and records the lock with a signed final checkpoint', async () => {
    const dir = tempDir();
    const c = await openUnlocked(dir);
    await c.handlers['keys:create']({ type: 'storage', label: 'x' }, CTX);
    c.close();
    c.close();
    expect(await codeOf(() => c.handlers['keys:list']({}, CTX))).toBe('locked');
    expect(await codeOf(() => c.handlers['session:status']({}, CTX))).toBe('locked');
    const { last, checkpoint } = withRawDb(dir, (db) => ({
      last: db.prepare('SELECT seq, action FROM audit_records ORDER BY seq DESC LIMIT 1').get() as { seq: number; action: string },
      checkpoint: db.prepare('SELECT max(seq) AS seq FROM audit_checkpoints').get() as { seq: number },
    }));
    expect(last.action).toBe('session.lock');
    expect(checkpoint.seq).toBe(last.seq);
  });
});

describe('throttling wrong passphrases', () => {
  it('after three failures refuses attempts for an exponentially growing delay, persisted across restarts', async () => {
    const dir = tempDir();
    const clock = manualClock();
    const first = await openUnlocked(dir, { clock });
    first.close();
    let c = await open(dir, { clock });
    // Per operator (issue 14): alice's wrong passphrases throttle alice; the wait comes with each refusal.
    const wrong = () => c.handlers['session:unlock']({ operator: 'alice', passphrase: 'guess number one' }, CTX);
    const refusal = async (fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (e) {
        return isConsoleError(e) ? { code: e.code, wait: e.details?.retryAfterMs } : e;
      }
      throw new Error('expected a refusal');
    };
    expect(await refusal(wrong)).toEqual({ code: 'wrong_passphrase', wait: undefined });
    expect(await refusal(wrong)).toEqual({ code: 'wrong_passphrase', wait: undefined });
    expect(await refusal(wrong)).toEqual({ code: 'wrong_passphrase', wait: THROTTLE_BASE_DELAY_MS });

    // Even the right passphrase is refused while throttled, with the wait in the details.
    expect(await refusal(() => c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX))).toEqual({ code: 'too_many_attempts', wait: THROTTLE_BASE_DELAY_MS });

    clock.advance(THROTTLE_BASE_DELAY_MS - 1);
    expect(await refusal(wrong)).toEqual({ code: 'too_many_attempts', wait: 1 });
    clock.advance(1);
    expect(await refusal(wrong)).toEqual({ code: 'wrong_passphrase', wait: 2 * THROTTLE_BASE_DELAY_MS });

    // A restart does not reset the count or the wait.
    c.close();
    clock.advance(1000);
    c = await open(dir, { clock });
    expect(await refusal(() => c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX))).toEqual({ code: 'too_many_attempts', wait: 2 * THROTTLE_BASE_DELAY_MS - 1000 });

    clock.advance(2 * THROTTLE_BASE_DELAY_MS);
    expect((await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX)).state).toBe('unlocked');
    await c.handlers['session:lock']({}, CTX);
    // The success reset the count: one wrong passphrase is not throttled.
    expect(await refusal(wrong)).toEqual({ code: 'wrong_passphrase', wait: undefined });
    expect((await c.handlers['session:status']({}, CTX)).retryAfterMs).toBe(0);
    c.close();
  });

  it('parallel attempts cannot slip past the throttle', async () => {
    const dir = tempDir();
    const clock = manualClock();
    (await openUnlocked(dir, { clock })).close();
    const c = await open(dir, { clock });
    const codes = await Promise.all(
      Array.from({ length: 6 }, () => codeOf(() => c.handlers['session:unlock']({ operator: 'm', passphrase: 'parallel guessing' }, CTX))),
    );
    expect(codes.filter((x) => x === 'wrong_passphrase')).toHaveLength(3);
    expect(codes.filter((x) => x === 'too_many_attempts')).toHaveLength(3);
    c.close();
  });
});

describe('changing the passphrase', () => {
  it('re-wraps the master key without touching key rows', async () => {
    const dir = tempDir();
    const c = await openUnlocked(dir);
    const k = await c.handlers['keys:create']({ type: 'communication', label: 'link' }, CTX);
    const ct = await c.handlers['keys:encrypt']({ keyId: k.id, plaintext: Buffer.from('kept') }, CTX);
    c.close();
    const before = snapshot(dir);

    const c2 = await open(dir);
    await c2.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    const next = 'a brand new long passphrase';
    expect(await c2.handlers['session:changePassphrase']({ current: PASSPHRASE, next }, CTX)).toEqual({ changed: true });
    c2.close();

    const after = snapshot(dir);
    expect(after.keys).toEqual(before.keys);
    expect(after.versions).toEqual(before.versions);
    expect(after.meta).toEqual(before.meta);
    // Only alice's slot changed: a new salt and a new wrapping of the same master key.
    expect(after.slots).not.toEqual(before.slots);

    const c3 = await open(dir);
    expect(await codeOf(() => c3.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX))).toBe('wrong_passphrase');
    await c3.handlers['session:unlock']({ operator: 'alice', passphrase: next }, CTX);
    const pt = await c3.handlers['keys:decrypt']({ ciphertext: ct.ciphertext }, CTX);
    expect(Buffer.from(pt.plaintext).toString()).toBe('kept');
    c3.close();
  });

  it('refuses a wrong current passphrase or a weak new one and keeps the old passphrase', async () => {
    const dir = tempDir();
    const c = await openUnlocked(dir);
    expect(await codeOf(() => c.handlers['session:changePassphrase']({ current: 'not the current one', next: 'a brand new long passphrase' }, CTX))).toBe('wrong_passphrase');
    expect(await codeOf(() => c.handlers['session:changePassphrase']({ current: PASSPHRASE, next: 'tiny' }, CTX))).toBe('weak_passphrase');
    await c.handlers['session:lock']({}, CTX);
    expect(await codeOf(() => c.handlers['session:changePassphrase']({ current: PASSPHRASE, next: 'a brand new long passphrase' }, CTX))).toBe('locked');
    expect((await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX)).state).toBe('unlocked');
    c.close();
  });
});

describe('OS keychain binding', () => {
  it('additionally encrypts the wrapped master key with an available keychain and needs it to unlock', async () => {
    const dir = tempDir();
    const keychain = createTestKeychain();
    (await openUnlocked(dir, { keychain })).close();
    const row = withRawDb(dir, (db) => db.prepare("SELECT keychain_bound, wrapped_master FROM operators WHERE name = 'alice'").get()) as { keychain_bound: number; wrapped_master: Buffer };
    expect(row.keychain_bound).toBe(1);
    expect(row.wrapped_master.subarray(0, 4).toString()).toBe('TKC1');

    const without = await open(dir);
    expect(await codeOf(() => without.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX))).toBe('provider_unavailable');
    without.close();

    const otherMachine = await open(dir, { keychain: createTestKeychain() });
    expect(await codeOf(() => otherMachine.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX))).toBe('integrity_failure');
    otherMachine.close();

    keychain.available = false;
    const unavailable = await open(dir, { keychain });
    expect(await codeOf(() => unavailable.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX))).toBe('provider_unavailable');
    unavailable.close();

    keychain.available = true;
    const same = await open(dir, { keychain });
    expect(await codeOf(() => same.handlers['session:unlock']({ operator: 'alice', passphrase: 'wrong but long enough' }, CTX))).toBe('wrong_passphrase');
    expect((await same.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX)).state).toBe('unlocked');
    same.close();
    // Keychain failures are not passphrase guesses: only the one wrong passphrase was counted, and success reset it.
    expect(withRawDb(dir, (db) => db.prepare("SELECT failed_attempts FROM operators WHERE name = 'alice'").get())).toEqual({ failed_attempts: 0 });
  });

  it('leaves the store unbound when the keychain reports itself unavailable', async () => {
    const dir = tempDir();
    const keychain = createTestKeychain();
    keychain.available = false;
    (await openUnlocked(dir, { keychain })).close();
    expect(withRawDb(dir, (db) => db.prepare("SELECT keychain_bound FROM operators WHERE name = 'alice'").get())).toEqual({ keychain_bound: 0 });
    const c = await open(dir);
    expect((await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX)).state).toBe('unlocked');
    c.close();
  });
});
