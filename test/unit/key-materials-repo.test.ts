// The version <-> material bindings of migration 39 (electron/store/keyMaterialsRepo.ts): a version is bound once and
// a material names at most one version of a key, so a later answer never re-binds either (docs/rotation.md: an AWS
// answer still naming the previous version's material while a rotation completes binds nothing). Real SQLite store.
import { afterAll, describe, expect, it } from 'vitest';
import { createKeyMaterialsRepo, type VersionMaterialRow } from '../../electron/store/keyMaterialsRepo.ts';
import { openUnlocked, removeTempDirs, tempDir, withRawDb } from './store-testkit.ts';

afterAll(removeTempDirs);

describe('key version materials', () => {
  it('binds each version and each material once; lists, finds and tells bound versions', async () => {
    const dir = tempDir('ecps-materials-');
    const c = await openUnlocked(dir);
    const keyA = (await c.keys.create({ type: 'storage', label: 'a' })).id;
    const keyB = (await c.keys.create({ type: 'storage', label: 'b' })).id;
    c.close();
    const row = (keyId: string, version: number, materialId: string): VersionMaterialRow =>
      ({ keyId, version, provider: 'aws', materialId, learntFrom: 'data_key', learntAt: '2026-12-05T19:00:00.000Z' });
    // [binding asked, bound?] in order: what the rules above say, not what the code does.
    const TABLE: Array<[VersionMaterialRow, boolean]> = [
      [row(keyA, 1, 'm1'), true],
      [row(keyA, 1, 'm1'), false], // the same again
      [row(keyA, 1, 'm9'), false], // version 1 is bound already
      [row(keyA, 2, 'm1'), false], // m1 names version 1 already (a late answer naming the previous material)
      [row(keyA, 2, 'm2'), true],
      [row(keyB, 1, 'm1'), true], // another key: its own materials
      [{ ...row(keyA, 4, 'm4'), learntFrom: 'drift' }, true],
    ];
    withRawDb(dir, (db) => {
      const repo = createKeyMaterialsRepo(db);
      for (const [r, bound] of TABLE) expect(repo.bind(r), `${r.keyId === keyA ? 'A' : 'B'} v${r.version} ${r.materialId}`).toBe(bound);
      expect(repo.listForKey(keyA).map((m) => [m.version, m.materialId, m.learntFrom])).toEqual([[1, 'm1', 'data_key'], [2, 'm2', 'data_key'], [4, 'm4', 'drift']]);
      expect([repo.versionOf(keyA, 'm1'), repo.versionOf(keyA, 'm2'), repo.versionOf(keyA, 'm9'), repo.versionOf(keyB, 'm2')]).toEqual([1, 2, null, null]);
      expect([1, 2, 3, 4].map((v) => repo.isBound(keyA, v))).toEqual([true, true, false, true]);
    });
  });
});
