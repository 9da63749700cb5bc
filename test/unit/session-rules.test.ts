// The operator session's answers, one table at a time (electron/services/session/session.ts through the console's
// handlers): the code, message and details of each refusal (docs/key-store.md "Passphrase and throttling"), the audit
// record of each outcome, the status events a failed attempt sends, the audit key check at unlock (docs/audit-log.md),
// what an unexpected failure logs, and the log lines of each step. Expected texts are written out here.
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import { createMemoryLogger, silentLogger } from '../../electron/logger.ts';
import { createAuditLog } from '../../electron/services/audit/createAuditLog.ts';
import { createSession, type Session, type SessionDeps } from '../../electron/services/session/session.ts';
import { openStoreDatabase } from '../../electron/store/database.ts';
import { createOperatorsRepo } from '../../electron/store/operatorsRepo.ts';
import { createStoreMetaRepo } from '../../electron/store/storeMetaRepo.ts';
import { CTX, createTestKeychain, FAST_KDF, open, openUnlocked, PASSPHRASE, removeTempDirs, tempDir, withRawDb } from './store-testkit.ts';

afterEach(removeTempDirs);

const NOT_INITIALIZED = { code: 'not_initialized', message: 'No key store exists in this folder yet; create it first.' };
const LOCKED = { code: 'locked', message: 'The key store is locked; unlock it with the operator passphrase.' };
const CLOSING = { code: 'locked', message: 'The console is closing.' };

/** The code, message and details of what fn threw. */
async function refusal(fn: () => unknown): Promise<{ code: unknown; message: string; details?: unknown }> {
  try {
    await fn();
  } catch (e) {
    const { code, message, details } = e as { code: unknown; message: string; details?: unknown };
    return details === undefined ? { code, message } : { code, message, details };
  }
  throw new Error('expected a refusal');
}

type Row = { actor: string; action: string; target_type: string; target_id: string | null; outcome: string; details: string };
const records = (dir: string) =>
  withRawDb(dir, (db) => (db.prepare('SELECT actor, action, target_type, target_id, outcome, details FROM audit_records ORDER BY seq').all() as Row[])
    .map((r) => ({ actor: r.actor, action: r.action, targetType: r.target_type, targetId: r.target_id, outcome: r.outcome, details: JSON.parse(r.details) as unknown })));
const storeId = (dir: string) => withRawDb(dir, (db) => db.prepare('SELECT store_id FROM store_meta').pluck().get() as string);

describe('refusals: code, message, details', () => {
  it('before the store exists, and while it is locked', async () => {
    const dir = tempDir();
    const c = await open(dir);
    expect(await refusal(() => c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX))).toEqual(NOT_INITIALIZED);
    expect(await refusal(() => c.handlers['session:lock']({}, CTX))).toEqual(NOT_INITIALIZED);
    await c.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    expect(await refusal(() => c.handlers['session:init']({ operator: 'eve', passphrase: PASSPHRASE }, CTX))).toEqual({ code: 'already_initialized', message: 'A key store already exists in this folder.' });
    await c.handlers['session:lock']({}, CTX);
    expect(await refusal(() => c.handlers['session:lock']({}, CTX))).toEqual(LOCKED);
    expect(await refusal(() => c.handlers['session:changePassphrase']({ current: PASSPHRASE, next: 'another long passphrase' }, CTX))).toEqual(LOCKED);
    c.close();
  });

  it('a passphrase needs at least 12 characters (11 is refused, 12 is enough)', async () => {
    const c = await open(tempDir());
    expect(await refusal(() => c.handlers['session:init']({ operator: 'alice', passphrase: 'abcdefghijk' }, CTX))).toEqual({ code: 'weak_passphrase', message: 'The passphrase must have at least 12 characters.' });
    expect((await c.handlers['session:init']({ operator: 'alice', passphrase: 'abcdefghijkl' }, CTX)).state).toBe('unlocked');
    c.close();
  });

  it('wrong passphrases: no details until the throttle starts, then the wait; then too_many_attempts with the wait in seconds', async () => {
    const dir = tempDir();
    const clock = manualClock();
    (await openUnlocked(dir, { clock })).close();
    const c = await open(dir, { clock });
    // Per operator (issue 14): alice's own wrong passphrases throttle alice.
    const wrong = () => refusal(() => c.handlers['session:unlock']({ operator: 'alice', passphrase: 'not the passphrase' }, CTX));
    expect(await wrong()).toEqual({ code: 'wrong_passphrase', message: 'The passphrase is wrong.' });
    expect(await wrong()).toEqual({ code: 'wrong_passphrase', message: 'The passphrase is wrong.' });
    // docs: after 3 consecutive failures, 5 s x 2^(failures - 3).
    expect(await wrong()).toEqual({ code: 'wrong_passphrase', message: 'The passphrase is wrong.', details: { retryAfterMs: 5000 } });
    clock.advance(1500);
    expect(await refusal(() => c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX))).toEqual({
      code: 'too_many_attempts', message: 'Too many wrong passphrases; try again in 4 s.', details: { retryAfterMs: 3500 },
    });
    c.close();
  });

  it('changing the passphrase is throttled too', async () => {
    const dir = tempDir();
    const clock = manualClock();
    const c = await openUnlocked(dir, { clock });
    const change = (current: string) => refusal(() => c.handlers['session:changePassphrase']({ current, next: 'another long passphrase' }, CTX));
    for (let i = 0; i < 3; i++) expect((await change('not the passphrase')).code).toBe('wrong_passphrase');
    expect(await change(PASSPHRASE)).toEqual({ code: 'too_many_attempts', message: 'Too many wrong passphrases; try again in 5 s.', details: { retryAfterMs: 5000 } });
    c.close();
  });

  it('calls racing close() are refused as closing', async () => {
    const dir = tempDir();
    (await openUnlocked(dir)).close();
    const c = await open(dir);
    const pending = refusal(() => c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX));
    c.close();
    expect(await pending).toEqual(CLOSING);
    const fresh = await open(tempDir());
    const init = refusal(() => fresh.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX));
    fresh.close();
    expect(await init).toEqual(CLOSING);
  });
});

describe('OS keychain refusals (docs: a store bound to the keychain needs it to unlock)', () => {
  it('no keychain here: provider_unavailable; a keychain that cannot decrypt: integrity_failure', async () => {
    const dir = tempDir();
    (await openUnlocked(dir, { keychain: createTestKeychain() })).close();
    const without = await open(dir);
    expect(await refusal(() => without.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX))).toEqual({
      code: 'provider_unavailable', message: 'This key store is bound to the OS keychain of the computer that created it, and that keychain is not available here.',
    });
    without.close();
    const other = await open(dir, { keychain: createTestKeychain() });
    expect(await refusal(() => other.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX))).toEqual({
      code: 'integrity_failure', message: 'The OS keychain could not decrypt the stored master key.',
    });
    other.close();
  });
});

describe('an unexpected failure (not a ConsoleError)', () => {
  it('is internal "<action> failed unexpectedly.", logged with the error name only, and audited with its code', async () => {
    for (const [thrown, logged] of [[new TypeError('keychain broke'), 'TypeError'], ['keychain broke', 'unknown']] as const) {
      const logger = createMemoryLogger();
      const keychain = { isAvailable: () => true, encrypt: () => { throw thrown; }, decrypt: (d: Buffer) => d };
      const dir = tempDir();
      const c = await open(dir, { logger, keychain });
      expect(await refusal(() => c.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX))).toEqual({ code: 'internal', message: 'store.init failed unexpectedly.' });
      expect(logger.entries.filter((e) => e.level === 'error')).toEqual([{ level: 'error', message: 'store.init failed', fields: { error: logged } }]);
      c.close();
      expect(records(dir)).toEqual([{ actor: 'alice', action: 'store.init', targetType: 'store', targetId: null, outcome: 'failure', details: { code: 'internal' } }]);
    }
  });

  it('a refusal that is a ConsoleError is not logged as an error', async () => {
    const logger = createMemoryLogger();
    const dir = tempDir();
    (await openUnlocked(dir)).close();
    const c = await open(dir, { logger });
    await refusal(() => c.handlers['session:unlock']({ operator: 'mallory', passphrase: 'not the passphrase' }, CTX));
    expect(logger.entries.filter((e) => e.level === 'error')).toEqual([]);
    c.close();
  });
});

describe('audit records and log lines of each step', () => {
  it('init, a wrong unlock, unlock, change, lock and close', async () => {
    const logger = createMemoryLogger();
    const dir = tempDir();
    const c = await open(dir, { logger });
    await c.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    await c.handlers['session:lock']({}, CTX);
    await refusal(() => c.handlers['session:unlock']({ operator: 'mallory', passphrase: 'not the passphrase' }, CTX));
    await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    await c.handlers['session:changePassphrase']({ current: PASSPHRASE, next: 'another long passphrase' }, CTX);
    c.close();
    const id = storeId(dir);
    const session = records(dir).filter((r) => r.targetType === 'store' || r.targetType === 'operator');
    // The first operator is an admin; a passphrase change is the operator's own (their key slot, issue 14).
    expect(session).toEqual([
      { actor: 'alice', action: 'store.init', targetType: 'store', targetId: id, outcome: 'success', details: { keychainBound: false, kdfN: 1024, role: 'admin' } },
      { actor: 'alice', action: 'session.lock', targetType: 'store', targetId: id, outcome: 'success', details: {} },
      { actor: 'mallory', action: 'session.unlock', targetType: 'store', targetId: null, outcome: 'failure', details: { code: 'wrong_passphrase' } },
      { actor: 'alice', action: 'session.unlock', targetType: 'store', targetId: id, outcome: 'success', details: { role: 'admin' } },
      { actor: 'alice', action: 'session.change_passphrase', targetType: 'operator', targetId: 'alice', outcome: 'success', details: { keychainBound: false } },
      { actor: 'alice', action: 'session.lock', targetType: 'store', targetId: id, outcome: 'success', details: { reason: 'close' } },
    ]);
    const lines = logger.entries.filter((e) => e.level === 'info' && ['key store created', 'key store unlocked', 'key store locked', 'passphrase changed'].includes(e.message));
    expect(lines).toEqual([
      { level: 'info', message: 'key store created', fields: { storeId: id, keychainBound: false } },
      { level: 'info', message: 'key store locked' },
      { level: 'info', message: 'key store unlocked', fields: { operator: 'alice' } },
      { level: 'info', message: 'passphrase changed', fields: { operator: 'alice' } },
    ]);
  });

  it('closing a locked console records nothing and throws nothing', async () => {
    const dir = tempDir();
    (await openUnlocked(dir)).close();
    const before = records(dir).length;
    const c = await open(dir);
    expect(() => c.close()).not.toThrow();
    expect(records(dir)).toHaveLength(before);
  });
});

describe('status events (the window hears a failed attempt, because it changes retryAfterMs)', () => {
  it('a wrong passphrase sends one locked status; a right one sends only the unlocked status', async () => {
    const dir = tempDir();
    (await openUnlocked(dir)).close();
    const c = await open(dir);
    const states: unknown[] = [];
    c.onEvent((event, payload) => {
      if (event === 'session:changed') states.push((payload as { state: string }).state);
    });
    await refusal(() => c.handlers['session:unlock']({ operator: 'mallory', passphrase: 'not the passphrase' }, CTX));
    expect(states).toEqual(['locked']);
    states.length = 0;
    await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    expect(states).toEqual(['unlocked']);
    c.close();
  });
});

describe('the audit key check at unlock (docs/audit-log.md: a key that fails it raises the alarm; nothing falls back)', () => {
  async function unlockAfter(tamper: string) {
    const dir = tempDir();
    (await openUnlocked(dir)).close();
    withRawDb(dir, (db) => db.prepare(tamper).run());
    const logger = createMemoryLogger();
    const c = await open(dir, { logger });
    const status = await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    c.close();
    return { status, logger, dir };
  }

  it('a wrapped private key that does not unwrap: the alarm names it, the error is logged, a key_check failure is recorded', async () => {
    const { status, logger, dir } = await unlockAfter("UPDATE store_meta SET audit_private_wrapped = zeroblob(length(audit_private_wrapped))");
    expect(status.auditAlarm?.keyProblem).toContain('the stored audit private key does not unwrap under the master key');
    expect(logger.entries).toContainEqual({ level: 'error', message: 'audit key failed its integrity check; the audit chain cannot be verified or signed', fields: { storeId: storeId(dir) } });
    expect(records(dir).filter((r) => r.action === 'audit.key_check')).toEqual([
      { actor: 'alice', action: 'audit.key_check', targetType: 'audit', targetId: null, outcome: 'failure', details: { code: 'integrity_failure' } },
    ]);
  });

  it('a MAC of another length is a MAC that does not match (not a crash)', async () => {
    const { status } = await unlockAfter('UPDATE store_meta SET audit_public_mac = substr(audit_public_mac, 1, 16)');
    expect(status.state).toBe('unlocked');
    expect(status.auditAlarm?.keyProblem).toContain('the MAC of the stored audit public key does not match');
  });
});

describe('the session on its own (its database stays open, so a call after close() could still write)', () => {
  const opened: Array<{ close(): void }> = [];
  afterEach(() => {
    for (const s of opened.splice(0)) s.close();
  });

  function direct(over: Partial<SessionDeps> = {}) {
    const clock = manualClock();
    const store = openStoreDatabase(tempDir(), () => new Date(clock.now()).toISOString());
    opened.push(store);
    const audit = createAuditLog(store.db, { clock, quietCheckpointMs: 0 });
    const session = createSession({
      meta: createStoreMetaRepo(store.db), operators: createOperatorsRepo(store.db), audit, clock, logger: silentLogger, kdf: FAST_KDF, storePath: store.path,
      transaction: (fn) => store.db.transaction(fn).immediate(), onChange: () => undefined, ...over,
    });
    const recordCount = () => store.db.prepare('SELECT count(*) FROM audit_records').pluck().get();
    // Per operator since issue 14: alice's own count.
    const failedAttempts = () => store.db.prepare("SELECT failed_attempts FROM operators WHERE name = 'alice'").pluck().get();
    return { session, recordCount, failedAttempts };
  }

  it('after close(), an unlock with the right passphrase is refused as closing and writes nothing', async () => {
    const { session, recordCount, failedAttempts } = direct();
    await session.init('alice', PASSPHRASE);
    session.lock();
    session.close();
    const before = recordCount();
    expect(await refusal(() => session.unlock('alice', PASSPHRASE))).toEqual(CLOSING);
    expect(session.status().state).toBe('locked');
    expect(recordCount()).toBe(before);
    expect(failedAttempts()).toBe(0);
  });

  it('close() during an unlock (here: from the keychain, just before the key derivation) ends it as closing, unaudited', async () => {
    const inner = createTestKeychain();
    let session: Session | null = null;
    let closeOnDecrypt = false;
    const keychain = {
      isAvailable: () => true,
      encrypt: (d: Buffer) => inner.encrypt(d),
      decrypt: (d: Buffer) => {
        if (closeOnDecrypt) session?.close();
        return inner.decrypt(d);
      },
    };
    const d = direct({ keychain });
    session = d.session;
    await session.init('alice', PASSPHRASE);
    session.lock();
    closeOnDecrypt = true;
    const before = d.recordCount();
    expect(await refusal(() => d.session.unlock('alice', PASSPHRASE))).toEqual(CLOSING);
    expect(d.recordCount()).toBe(before);
    expect(d.failedAttempts()).toBe(0);
  });

  it('close() while locked records nothing and throws nothing', async () => {
    const { session, recordCount } = direct();
    await session.init('alice', PASSPHRASE);
    session.lock();
    const before = recordCount();
    expect(() => session.close()).not.toThrow();
    expect(recordCount()).toBe(before);
  });

  it('lock destroys the keyring: one held from before refuses to work (docs/key-store.md: lock zeroes the keys)', async () => {
    const { session } = direct();
    await session.init('alice', PASSPHRASE);
    const { keyring } = session.require();
    session.lock();
    expect(() => keyring.wrapAuditKey(Buffer.alloc(48))).toThrow('store keyring used after lock');
  });

  it('an init whose transaction fails is internal and leaves the store uninitialized and locked', async () => {
    const { session } = direct({ transaction: () => { throw new Error('disk full'); } });
    expect(await refusal(() => session.init('alice', PASSPHRASE))).toEqual({ code: 'internal', message: 'store.init failed unexpectedly.' });
    expect(session.status()).toMatchObject({ state: 'uninitialized', operator: null });
  });
});
