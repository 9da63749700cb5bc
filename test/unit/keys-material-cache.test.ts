// Per-version key material cached while unlocked (docs/key-store.md, "Material cache"): small messages do not pay an
// unwrap each; the session's lock and close zero the cached buffers; a state change, a rotation and a destruction drop
// the key's cached versions; and the console's state checks still run first, so a suspended, compromised or destroyed
// key whose material was cached is refused (expected outcomes from keys-testkit.ts's table).
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import { silentLogger } from '../../electron/logger.ts';
import { createAuditLog } from '../../electron/services/audit/index.ts';
import { createSession, type Session } from '../../electron/services/session/session.ts';
import { openStoreDatabase, type OpenedStore } from '../../electron/store/database.ts';
import { createOperatorsRepo } from '../../electron/store/operatorsRepo.ts';
import { createStoreMetaRepo } from '../../electron/store/storeMetaRepo.ts';
import { EXPECTED_OPERATIONS } from './keys-testkit.ts';
import { codeOf, CTX, FAST_KDF, openUnlocked, PASSPHRASE, removeTempDirs, tempDir } from './store-testkit.ts';

afterEach(removeTempDirs);

const zero = (b: Buffer) => b.length > 0 && b.every((x) => x === 0);
const AAD = Buffer.from('robot-7/telemetry');
const KEY = '00000000-0000-4000-8000-0000000000c1';

/** The console's own session over a real store (what createConsole builds), so a test can borrow the keyring's buffer. */
async function unlockedSession(): Promise<{ session: Session; store: OpenedStore }> {
  const clock = manualClock();
  const store = openStoreDatabase(tempDir(), () => new Date(clock.now()).toISOString());
  const session = createSession({
    meta: createStoreMetaRepo(store.db),
    operators: createOperatorsRepo(store.db),
    audit: createAuditLog(store.db, { clock }),
    clock,
    logger: silentLogger,
    kdf: FAST_KDF,
    storePath: store.path,
    transaction: (fn) => store.db.transaction(fn).immediate(),
    onChange: () => undefined,
  });
  await session.init('alice', PASSPHRASE);
  return { session, store };
}

/** Caches one version's material in the session's keyring and returns the cached buffer itself. */
function cachedBuffer(session: Session): Buffer {
  const ring = session.require().keyring;
  const wrapped = ring.wrapMaterial(KEY, 1, 'AES_256', Buffer.alloc(32, 0x5a));
  return ring.withMaterial(KEY, 1, 'AES_256', wrapped, (m) => m!);
}

describe('cached key material and the session', () => {
  it('is zeroed when the session locks', async () => {
    const { session, store } = await unlockedSession();
    const held = cachedBuffer(session);
    expect(held.equals(Buffer.alloc(32, 0x5a))).toBe(true);
    session.lock();
    expect(zero(held)).toBe(true);
    store.close();
  });

  it('is zeroed when the console closes (session.close)', async () => {
    const { session, store } = await unlockedSession();
    const held = cachedBuffer(session);
    session.close();
    expect(zero(held)).toBe(true);
    store.close();
  });
});

describe('the key services use the cache', () => {
  it('unwraps a version once for many small messages, both directions', async () => {
    const c = await openUnlocked();
    const key = await c.keys.create({ type: 'communication', label: 'link' });
    const cts = [];
    for (let i = 0; i < 5; i++) cts.push((await c.keys.encrypt(key.id, Buffer.alloc(1024, i), AAD)).ciphertext);
    for (const [i, ct] of cts.entries()) expect((await c.keys.decrypt(ct, AAD)).plaintext.equals(Buffer.alloc(1024, i))).toBe(true);
    expect(c.diagnostics().keyMaterialCache).toMatchObject({ misses: 1, hits: 9, versions: [`${key.id}#1`] });
    c.close();
  });

  it('is empty after a lock and answers null while locked', async () => {
    const c = await openUnlocked();
    const key = await c.keys.create({ type: 'storage', label: 'disk' });
    await c.keys.encrypt(key.id, Buffer.from('x'), AAD);
    expect(c.diagnostics().keyMaterialCache?.size).toBe(1);
    await c.handlers['session:lock']({}, CTX);
    expect(c.diagnostics().keyMaterialCache).toBeNull();
    await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    expect(c.diagnostics().keyMaterialCache?.size).toBe(0);
    c.close();
  });

  it('rotation drops the cached versions: new data uses the new version, the old one still decrypts', async () => {
    const c = await openUnlocked();
    const key = await c.keys.create({ type: 'communication', label: 'link' });
    const old = await c.keys.encrypt(key.id, Buffer.from('before'), AAD);
    expect(c.diagnostics().keyMaterialCache?.versions).toEqual([`${key.id}#1`]);
    await c.keys.rotate(key.id);
    expect(c.diagnostics().keyMaterialCache?.versions).toEqual([]);
    const fresh = await c.keys.encrypt(key.id, Buffer.from('after'), AAD);
    expect(fresh.version).toBe(2);
    const back = await c.keys.decrypt(old.ciphertext, AAD);
    expect([back.version, back.plaintext.toString()]).toEqual([1, 'before']);
    expect(c.diagnostics().keyMaterialCache?.versions).toEqual([`${key.id}#2`, `${key.id}#1`]);
    c.close();
  });
});

describe('a state change drops the key\'s cached material and the state check still refuses first', () => {
  for (const state of ['suspended', 'compromised'] as const) {
    it(`${state}: encrypt and decrypt refused as the table says, nothing of the key cached`, async () => {
      const c = await openUnlocked();
      const key = await c.keys.create({ type: 'communication', label: 'link' });
      const other = await c.keys.create({ type: 'communication', label: 'other' });
      const ct = (await c.keys.encrypt(key.id, Buffer.from('secret'), AAD)).ciphertext;
      await c.keys.encrypt(other.id, Buffer.from('x'), AAD);
      await c.keys.setState(key.id, state, 'test');
      expect(c.diagnostics().keyMaterialCache?.versions).toEqual([`${other.id}#1`]);
      expect(await codeOf(() => c.keys.encrypt(key.id, Buffer.from('more'), AAD))).toBe(EXPECTED_OPERATIONS[state].encrypt);
      expect(await codeOf(() => c.keys.decrypt(ct, AAD))).toBe(EXPECTED_OPERATIONS[state].decrypt);
      expect(c.diagnostics().keyMaterialCache?.versions).toEqual([`${other.id}#1`]);
      c.close();
    });
  }

  it('suspended then active again: unwrapped anew, and usable', async () => {
    const c = await openUnlocked();
    const key = await c.keys.create({ type: 'communication', label: 'link' });
    const ct = (await c.keys.encrypt(key.id, Buffer.from('secret'), AAD)).ciphertext;
    await c.keys.setState(key.id, 'suspended', 'test');
    await c.keys.setState(key.id, 'active', 'test');
    const misses = c.diagnostics().keyMaterialCache!.misses;
    expect((await c.keys.decrypt(ct, AAD)).plaintext.toString()).toBe('secret');
    expect(c.diagnostics().keyMaterialCache!.misses).toBe(misses + 1);
    c.close();
  });

  it('destroyed: decrypt refused as key_destroyed, nothing of the key cached', async () => {
    const c = await openUnlocked();
    const key = await c.keys.create({ type: 'communication', label: 'link' });
    const ct = (await c.keys.encrypt(key.id, Buffer.from('secret'), AAD)).ciphertext;
    await c.keys.setState(key.id, 'deactivated', 'test');
    // A deactivated key still decrypts (and caches its material again).
    expect((await c.keys.decrypt(ct, AAD)).plaintext.toString()).toBe('secret');
    expect(c.diagnostics().keyMaterialCache?.versions).toEqual([`${key.id}#1`]);
    await c.keys.setState(key.id, 'destroyed', 'test');
    expect(c.diagnostics().keyMaterialCache?.versions).toEqual([]);
    expect(await codeOf(() => c.keys.decrypt(ct, AAD))).toBe(EXPECTED_OPERATIONS.destroyed.decrypt);
    expect(c.diagnostics().keyMaterialCache?.versions).toEqual([]);
    c.close();
  });
});
