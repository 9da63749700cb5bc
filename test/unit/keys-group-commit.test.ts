// Audited key operations under group commit, through a real console (docs/audit-log.md, "Group commit"): a concurrent
// burst shares transactions and every operation, success or failure, has its record in a chain that verifies; an
// operation whose store changes fail inside a shared transaction leaves the others committed, none of its own changes
// kept, and is recorded as a failure (as before group commit), whether SQLite rolls back its savepoint or the whole
// transaction. Records are read back from the database file after close.
import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { CTX, open, openUnlocked, PASSPHRASE, removeTempDirs, tempDir, withRawDb } from './store-testkit.ts';

afterEach(removeTempDirs);

const AAD = Buffer.from('robot-7/telemetry');

interface Row {
  seq: number;
  action: string;
  target_id: string | null;
  outcome: string;
  details: string;
}
const records = (dir: string) =>
  withRawDb(dir, (db) => db.prepare('SELECT seq, action, target_id, outcome, details FROM audit_records ORDER BY seq').all() as Row[]).map((r) => ({
    ...r,
    details: JSON.parse(r.details) as Record<string, unknown>,
  }));

async function verified(c: FleetConsole) {
  return c.handlers['audit:verify']({}, CTX);
}

describe('group commit of audited key operations', () => {
  it('a concurrent burst shares transactions; every operation has its record and the chain verifies', async () => {
    const dir = tempDir();
    const c = await openUnlocked(dir);
    const link = await c.keys.create({ type: 'communication', label: 'link' });
    const rotating = await c.keys.create({ type: 'storage', label: 'disk' });
    const signer = await c.keys.create({ type: 'device_identity', label: 'robot', algorithm: 'EC_P256' });
    const sealed = [];
    for (let j = 0; j < 10; j++) sealed.push((await c.keys.encrypt(link.id, Buffer.alloc(100 + j, j), AAD)).ciphertext);
    const missing = crypto.randomUUID();
    const before = c.diagnostics().auditGroups;

    // Byte counts tell the operations apart in the records: encrypt i has i bytes, decrypt j 100 + j, sign k 200 + k.
    const burst: Array<Promise<unknown>> = [];
    for (let i = 1; i <= 40; i++) burst.push(c.keys.encrypt(link.id, Buffer.alloc(i, i), AAD));
    for (const ct of sealed) burst.push(c.keys.decrypt(ct, AAD));
    for (let k = 0; k < 5; k++) burst.push(c.keys.sign(signer.id, Buffer.alloc(200 + k, k)));
    burst.push(c.keys.rotate(rotating.id));
    burst.push(c.keys.encrypt(missing, Buffer.alloc(7), AAD));
    const settled = await Promise.allSettled(burst);
    expect(settled.filter((s) => s.status === 'rejected')).toHaveLength(1);
    expect((settled.at(-1) as PromiseRejectedResult).reason).toMatchObject({ code: 'not_found' });

    const after = c.diagnostics().auditGroups;
    expect(after.members - before.members).toBe(burst.length);
    expect(after.groups - before.groups).toBeLessThan(burst.length);
    expect(await verified(c)).toMatchObject({ ok: true, firstBad: null });
    c.close();

    const rows = records(dir);
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
    const has = (action: string, targetId: string, bytes: number) =>
      rows.filter((r) => r.action === action && r.target_id === targetId && r.outcome === 'success' && r.details.bytes === bytes).length;
    for (let i = 1; i <= 40; i++) expect(has('key.encrypt', link.id, i)).toBe(1);
    for (let j = 0; j < 10; j++) expect(has('key.decrypt', link.id, 100 + j)).toBe(1);
    for (let k = 0; k < 5; k++) expect(has('key.sign', signer.id, 200 + k)).toBe(1);
    expect(rows.filter((r) => r.action === 'key.rotate' && r.target_id === rotating.id && r.outcome === 'success' && r.details.version === 2)).toHaveLength(1);
    expect(rows.filter((r) => r.action === 'key.encrypt' && r.target_id === missing)).toMatchObject([{ outcome: 'failure', details: { code: 'not_found' } }]);
  });

  it('each result is returned only once the transaction holding its record has committed', async () => {
    const dir = tempDir();
    const setup = await openUnlocked(dir);
    const link = await setup.keys.create({ type: 'communication', label: 'link' });
    setup.close();
    const c = await open(dir);
    await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    const before = c.diagnostics().auditGroups.members;
    // The store is opened with an exclusive lock, so no second connection can look: the group commit's count of
    // committed members is read, synchronously, the moment each result arrives; the n-th result needs n committed.
    let arrived = 0;
    const shortfall: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        c.keys.encrypt(link.id, Buffer.alloc(i + 1), AAD).then(() => {
          arrived++;
          if (c.diagnostics().auditGroups.members - before < arrived) shortfall.push(i + 1);
        }),
      ),
    );
    expect(shortfall).toEqual([]);
    c.close();
    const rows = records(dir).filter((r) => r.action === 'key.encrypt' && r.outcome === 'success');
    expect(rows.map((r) => r.details.bytes).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  // RAISE(ABORT) fails the statement (the operation's savepoint rolls back); RAISE(ROLLBACK) takes the whole shared
  // transaction down (the group runs again without the operation).
  for (const raise of ['ABORT', 'ROLLBACK'] as const) {
    it(`an operation whose store changes fail (RAISE(${raise})) leaves the others committed and is recorded as a failure`, async () => {
      const dir = tempDir();
      const c = await openUnlocked(dir);
      const doomed = await c.keys.create({ type: 'storage', label: 'doomed' });
      const healthy = await c.keys.create({ type: 'storage', label: 'healthy' });
      const link = await c.keys.create({ type: 'communication', label: 'link' });
      c.close();
      // The rotation's second change (the key row) fails, after its first (the version row) went in: both must go.
      withRawDb(dir, (db) =>
        db.exec(`CREATE TRIGGER refuse_rotation BEFORE UPDATE OF current_version ON keys WHEN OLD.id = '${doomed.id}'
                 BEGIN SELECT RAISE(${raise}, 'refused by the test'); END;`),
      );
      const again = await open(dir);
      await again.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
      const before = again.diagnostics().auditGroups;

      const burst: Array<Promise<unknown>> = [];
      for (let i = 1; i <= 10; i++) burst.push(again.keys.encrypt(link.id, Buffer.alloc(i), AAD));
      burst.push(again.keys.rotate(doomed.id));
      burst.push(again.keys.rotate(healthy.id));
      for (let i = 11; i <= 20; i++) burst.push(again.keys.encrypt(link.id, Buffer.alloc(i), AAD));
      const settled = await Promise.allSettled(burst);
      expect(settled.map((s) => s.status)).toEqual([...Array(10).fill('fulfilled'), 'rejected', ...Array(11).fill('fulfilled')]);
      expect((settled[10] as PromiseRejectedResult).reason).toMatchObject({ code: 'internal' });
      // The success records of the burst shared transactions (the failure record came in one of its own or a later group).
      expect(again.diagnostics().auditGroups.groups - before.groups).toBeLessThan(burst.length);
      expect(again.keys.get(doomed.id)).toMatchObject({ currentVersion: 1, versions: [{ version: 1 }] });
      expect(again.keys.get(healthy.id)).toMatchObject({ currentVersion: 2 });
      expect(await verified(again)).toMatchObject({ ok: true, firstBad: null });
      again.close();

      const rows = records(dir);
      const rotations = rows.filter((r) => r.action === 'key.rotate');
      expect(rotations.filter((r) => r.target_id === doomed.id)).toMatchObject([{ outcome: 'failure', details: { code: 'internal' } }]);
      expect(rotations.filter((r) => r.target_id === healthy.id)).toMatchObject([{ outcome: 'success', details: { version: 2 } }]);
      for (let i = 1; i <= 20; i++) {
        expect(rows.filter((r) => r.action === 'key.encrypt' && r.outcome === 'success' && r.details.bytes === i)).toHaveLength(1);
      }
      expect(withRawDb(dir, (db) => db.prepare('SELECT version FROM key_versions WHERE key_id = ? ORDER BY version').pluck().all(doomed.id))).toEqual([1]);
    });
  }
});
