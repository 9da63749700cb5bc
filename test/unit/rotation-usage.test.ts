// Usage limits per key version (issue 13): every encryption counted against the version's limit (Vault's default
// 3,865,470,566, under NIST SP 800-38D's 2^32 for random 96-bit nonces), a warning at 80 %, rotation requested at the
// limit, refusal past it, and counters that survive restarts and crashes without ever undercounting. Real SQLite
// stores throughout; a crash is the database and WAL files copied while the console is running (what a SIGKILL
// leaves behind: synchronous=FULL makes every commit durable in the WAL), then opened by a new console.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import { STORE_FILE_NAME } from '../../electron/store/database.ts';
import { codeOf, CTX, open, openUnlocked, PASSPHRASE, removeTempDirs, tempDir } from './store-testkit.ts';

/** Vault's default max_operations (its /sys/rotate/config documentation), and 80 % of it rounded up, worked out by hand. */
const VAULT_LIMIT = 3_865_470_566;
const VAULT_WARN_AT = 3_092_376_453;
const BLOCK = 4;
const AAD = Buffer.from('robot-7/telemetry');
const MSG = Buffer.from('telemetry frame');

afterAll(() => removeTempDirs());

/** The files a crash would leave: the database and its WAL, copied into a fresh folder. */
function crashImage(dir: string): string {
  const copy = tempDir('ecps-crash-');
  for (const suffix of ['', '-wal']) {
    const f = path.join(dir, STORE_FILE_NAME + suffix);
    if (fs.existsSync(f)) fs.copyFileSync(f, path.join(copy, STORE_FILE_NAME + suffix));
  }
  return copy;
}

async function withLimitedKey(limit: number, extra: { block?: number } = {}) {
  const clock = manualClock(Date.parse('2026-03-02T09:00:00Z'));
  const dir = tempDir('ecps-usage-');
  const c = await openUnlocked(dir, { clock, rotation: { scheduler: false, usageBlock: extra.block ?? BLOCK } });
  const k = await c.keys.create({ type: 'storage', label: 'archive' });
  if (limit !== VAULT_LIMIT) c.rotation.policies.setKeyPolicy(k.id, { mode: 'manual', usageLimit: limit });
  return { c, k, clock, dir };
}

describe('limits', () => {
  it("a key version's default limit is Vault's, with the warning at 80 %", async () => {
    const { c, k } = await withLimitedKey(VAULT_LIMIT);
    expect(c.rotation.usage(k.id, 1)!).toMatchObject({ limit: VAULT_LIMIT, warnAt: VAULT_WARN_AT, count: 0 });
    c.close();
  });

  it('limit 10: warns once at the 8th encryption, requests rotation at the 10th, refuses the 11th; rotation (even in a blackout) restores encryption', async () => {
    const { c, k } = await withLimitedKey(10);
    const warnings = () => c.audit.query({ action: 'key.usage_warning', targetId: k.id, limit: 10 }).records;
    const first = await c.keys.encrypt(k.id, MSG, AAD);
    for (let i = 2; i <= 7; i++) await c.keys.encrypt(k.id, MSG, AAD);
    expect(warnings()).toHaveLength(0);
    await c.keys.encrypt(k.id, MSG, AAD);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]!.details).toMatchObject({ version: 1, count: 8, limit: 10, percent: 80 });
    await c.keys.encrypt(k.id, MSG, AAD);
    expect(c.audit.query({ action: 'rotation.requested', targetId: k.id, limit: 10 }).records).toHaveLength(0);
    await c.keys.encrypt(k.id, MSG, AAD); // the 10th: allowed, and the limit is reached
    expect(warnings()).toHaveLength(1);
    expect(c.audit.query({ action: 'rotation.requested', targetId: k.id, limit: 10 }).records[0]!.details).toMatchObject({ version: 1, reason: 'usage_limit', count: 10, limit: 10 });
    expect(c.rotation.usage(k.id, 1)!).toMatchObject({ count: 10, warned: true, limitReached: true });
    expect(await codeOf(() => c.keys.encrypt(k.id, MSG, AAD))).toBe('usage_limit_reached');
    const refused = c.audit.query({ action: 'key.encrypt', targetId: k.id, limit: 1 }).records[0]!;
    expect(refused).toMatchObject({ outcome: 'failure', details: { code: 'usage_limit_reached' } });
    // What the version encrypted still decrypts: the limit is about making new ciphertext.
    expect((await c.keys.decrypt(first.ciphertext, AAD)).plaintext).toEqual(MSG);
    // The request is a scheduler job, due now and not held by windows, even for a manual key in a blackout.
    c.rotation.policies.setKeyPolicy(k.id, { mode: 'manual', usageLimit: 10, blackoutWindows: [{ cron: '0 0 * * *', durationMinutes: 1440 }] });
    expect(c.rotation.scheduler.upcoming()[0]).toMatchObject({ keyId: k.id, reason: 'usage_limit', waitingFor: null });
    const r = await c.rotation.scheduler.tick();
    expect(r.ran).toMatchObject([{ keyId: k.id, fromVersion: 1, toVersion: 2, reason: 'usage_limit', outcome: 'success' }]);
    const fresh = await c.keys.encrypt(k.id, MSG, AAD);
    expect(fresh.version).toBe(2);
    expect(c.rotation.usage(k.id, 2)!.count).toBe(1);
    c.close();
  });

  it('in a console whose scheduler runs, reaching the limit rotates the key by itself (no pass called by hand)', async () => {
    const timers = { setInterval: () => () => undefined }; // periodic passes on, but their timer never fires here
    const c = await openUnlocked(tempDir('ecps-usage-'), { clock: manualClock(Date.parse('2026-03-02T09:00:00Z')), rotation: { timers, usageBlock: BLOCK } });
    const k = await c.keys.create({ type: 'storage', label: 'archive' });
    c.rotation.policies.setKeyPolicy(k.id, { mode: 'manual', usageLimit: 3 });
    const rotated = new Promise<void>((resolve) => {
      const off = c.onEvent((event) => {
        if (event === 'keys:changed' && c.keys.get(k.id).currentVersion === 2) {
          off();
          resolve();
        }
      });
    });
    for (let i = 0; i < 3; i++) await c.keys.encrypt(k.id, MSG, AAD);
    await rotated;
    expect((await c.keys.encrypt(k.id, MSG, AAD)).version).toBe(2);
    c.close();
  });

  it('a limit lowered below the count refuses at once and requests rotation', async () => {
    const { c, k } = await withLimitedKey(100);
    for (let i = 0; i < 5; i++) await c.keys.encrypt(k.id, MSG, AAD);
    c.rotation.policies.setKeyPolicy(k.id, { mode: 'manual', usageLimit: 3 });
    expect(await codeOf(() => c.keys.encrypt(k.id, MSG, AAD))).toBe('usage_limit_reached');
    expect(c.rotation.usage(k.id, 1)!.limitReached).toBe(true);
    expect(c.rotation.scheduler.upcoming()).toMatchObject([{ keyId: k.id, reason: 'usage_limit' }]);
    c.close();
  });

  it('decryption is not counted', async () => {
    const { c, k } = await withLimitedKey(3);
    const sealed = await c.keys.encrypt(k.id, MSG, AAD);
    for (let i = 0; i < 10; i++) await c.keys.decrypt(sealed.ciphertext, AAD);
    expect(c.rotation.usage(k.id, 1)!.count).toBe(1);
    c.close();
  });
});

describe('durable counters', () => {
  it('survive a restart: counting resumes from the reservation (never below the true count, less than a block above)', async () => {
    const { c, k, dir, clock } = await withLimitedKey(1000);
    for (let i = 0; i < 5; i++) await c.keys.encrypt(k.id, MSG, AAD);
    c.close();
    const c2 = await open(dir, { clock, rotation: { scheduler: false, usageBlock: BLOCK } });
    const after = c2.rotation.usage(k.id, 1)!;
    expect(after.count).toBeGreaterThanOrEqual(5);
    expect(after.count).toBeLessThan(5 + BLOCK);
    await c2.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    await c2.keys.encrypt(k.id, MSG, AAD);
    expect(c2.rotation.usage(k.id, 1)!.count).toBe(after.count + 1);
    c2.close();
  });

  it.each([1, BLOCK])('survive a crash after every single encryption (block %i): the reservation and the audit record are durable together when the result returns', async (block) => {
    const { c, k } = await withLimitedKey(1000, { block });
    const images: Array<{ done: number; dir: string }> = [];
    for (let done = 1; done <= 2 * block + 1; done++) {
      await c.keys.encrypt(k.id, MSG, AAD);
      images.push({ done, dir: crashImage(c.dataDir) });
    }
    c.close();
    for (const { done, dir } of images) {
      const after = await open(dir, { rotation: { scheduler: false } });
      expect(after.rotation.usage(k.id, 1)!.reserved, `image after ${done}`).toBeGreaterThanOrEqual(done);
      expect(after.audit.query({ action: 'key.encrypt', targetId: k.id, limit: 100 }).records.filter((r) => r.outcome === 'success')).toHaveLength(done);
      after.close();
    }
  });

  it('never undercount with 64 encryptions in flight at once (block 3): every returned ciphertext is covered after a crash', async () => {
    const { c, k } = await withLimitedKey(1000, { block: 3 });
    const results = await Promise.all(Array.from({ length: 64 }, () => c.keys.encrypt(k.id, MSG, AAD)));
    expect(results).toHaveLength(64);
    const image = crashImage(c.dataDir);
    c.close();
    const after = await open(image, { rotation: { scheduler: false } });
    expect(after.rotation.usage(k.id, 1)!.reserved).toBeGreaterThanOrEqual(64);
    after.close();
  });

  it('a version at its limit stays refused after a restart, and its rotation request survives', async () => {
    const { c, k, dir, clock } = await withLimitedKey(6);
    for (let i = 0; i < 6; i++) await c.keys.encrypt(k.id, MSG, AAD);
    c.close();
    const c2 = await open(dir, { clock, rotation: { scheduler: false, usageBlock: BLOCK } });
    await c2.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    expect(await codeOf(() => c2.keys.encrypt(k.id, MSG, AAD))).toBe('usage_limit_reached');
    expect(c2.rotation.scheduler.status().waiting).toBe(0);
    expect((await c2.rotation.scheduler.tick()).ran).toMatchObject([{ keyId: k.id, reason: 'usage_limit', outcome: 'success' }]);
    c2.close();
  });
});
