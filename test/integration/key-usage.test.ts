// fleet:keyUsage through the console's own handlers over a real SQLite store: which robots hold which version of a
// key (counts over the whole fleet, holders a page at a time, filtered by version), where the key is assigned, and the
// typed refusals. This is what an officer reads before retiring a key version or disabling the key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contract, type KeySummary } from '../../shared/contract.ts';
import { KEY_USAGE_PAGE } from '../../shared/fleetContract.ts';
import { createConsole, type FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { makePreOperatorsStore } from './support/legacyStore.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { FAST_KDF, removeTempDirs, tempDir, withRawDb } from '../unit/store-testkit.ts';
import { contractCaller, failure } from './support/consoleCalls.ts';

const ROBOTS = 450; // more than two pages
const id = (i: number) => `uv-${String(i).padStart(4, '0')}`;

describe('key usage (fleet:keyUsage)', () => {
  const dir = tempDir('ecps-key-usage-');
  const clock = manualClock(Date.parse('2026-06-01T00:00:00Z'));
  let c: FleetConsole;
  const call = contractCaller(() => c);
  let comm: KeySummary;
  let unused: KeySummary;

  beforeAll(async () => {
    c = await createConsole({ dataDir: dir, kdf: FAST_KDF, logger: createMemoryLogger(), clock });
    await call('session:init', { operator: 'Officer Ada', passphrase: 'fleet passphrase 0123' });
    comm = await call('keys:create', { type: 'communication', label: 'fleet comm' });
    unused = await call('keys:create', { type: 'storage', label: 'spare disk' });
    const rows = Array.from({ length: ROBOTS }, (_, i) => `${id(i)},Robot ${i},UV-7,${i % 2 === 0 ? 'Plant A' : 'Plant B'},1.0.0,,manufactured`);
    expect(await call('fleet:importCsv', { csv: ['device_id,name,model,site,firmware,tags,status', ...rows].join('\n') + '\n' })).toEqual({ imported: ROBOTS });
    // Every robot receives v1; then the key rotates twice and robots 0..99 move to v3, 100..149 to v2.
    for (let i = 0; i < ROBOTS; i++) c.fleet.recordKeyVersions(id(i), [{ keyId: comm.id, version: 1 }], 'provisioning');
    await call('keys:rotate', { keyId: comm.id });
    await call('keys:rotate', { keyId: comm.id });
    for (let i = 0; i < 100; i++) c.fleet.recordKeyVersions(id(i), [{ keyId: comm.id, version: 3 }], 'distribution');
    for (let i = 100; i < 150; i++) c.fleet.recordKeyVersions(id(i), [{ keyId: comm.id, version: 2 }], 'distribution');
  });
  afterAll(() => {
    c.close();
    removeTempDirs();
  });

  it('counts the holders of every version over the whole fleet and lists the oldest holders first', async () => {
    const u = await call('fleet:keyUsage', { keyId: comm.id });
    expect(u).toMatchObject({ keyId: comm.id, currentVersion: 3, robots: ROBOTS, matching: ROBOTS, offset: 0, assignments: [] });
    expect(u.versions).toEqual([
      { version: 1, robots: ROBOTS - 150 },
      { version: 2, robots: 50 },
      { version: 3, robots: 100 },
    ]);
    expect(u.holders).toHaveLength(KEY_USAGE_PAGE);
    // Oldest version first (the robots that block retiring it), then by device id.
    expect(u.holders[0]).toEqual({ deviceId: id(150), name: 'Robot 150', site: 'Plant A', status: 'manufactured', version: 1, recordedAt: expect.any(String), source: 'provisioning' });
    expect(u.holders.every((h) => h.version === 1)).toBe(true);
    const ids = u.holders.map((h) => h.deviceId);
    expect(ids).toEqual([...ids].sort());
  });

  it('filters to one version and pages through its holders without gaps or repeats', async () => {
    const seen: string[] = [];
    for (let offset = 0; ; offset += KEY_USAGE_PAGE) {
      const page = await call('fleet:keyUsage', { keyId: comm.id, version: 1, offset });
      expect(page.matching).toBe(ROBOTS - 150);
      expect(page.robots).toBe(ROBOTS);
      expect(page.offset).toBe(offset);
      if (page.holders.length === 0) break;
      expect(page.holders.every((h) => h.version === 1)).toBe(true);
      seen.push(...page.holders.map((h) => h.deviceId));
    }
    expect(seen).toEqual(Array.from({ length: ROBOTS - 150 }, (_, i) => id(i + 150)));
    const v2 = await call('fleet:keyUsage', { keyId: comm.id, version: 2 });
    expect(v2.matching).toBe(50);
    expect(v2.holders.map((h) => [h.deviceId, h.source])).toEqual(Array.from({ length: 50 }, (_, i) => [id(100 + i), 'distribution']));
    // A version nobody holds (or that does not exist) matches nobody; it is not an error.
    expect(await call('fleet:keyUsage', { keyId: comm.id, version: 9 })).toMatchObject({ matching: 0, holders: [], robots: ROBOTS });
  });

  it('re-provisioning a robot (its key store replaced) removes what it held from the counts', async () => {
    c.fleet.recordProvisioned(id(0), [{ keyId: unused.id, version: 1 }]);
    const u = await call('fleet:keyUsage', { keyId: comm.id });
    expect(u.versions.find((v) => v.version === 3)).toEqual({ version: 3, robots: 99 });
    expect(u.robots).toBe(ROBOTS - 1);
    expect((await call('fleet:keyUsage', { keyId: unused.id })).holders.map((h) => h.deviceId)).toEqual([id(0)]);
  });

  it('lists every site and robot the key is assigned to, sites first, with problems reported', async () => {
    const dedicated = await call('keys:create', { type: 'communication', label: 'plant B comm' });
    await call('fleet:assignKey', { scope: 'robot', scopeId: id(7), keyType: 'communication', keyId: dedicated.id });
    await call('fleet:assignKey', { scope: 'site', scopeId: 'Plant B', keyType: 'communication', keyId: dedicated.id });
    const u = await call('fleet:keyUsage', { keyId: dedicated.id });
    expect(u).toMatchObject({ robots: 0, versions: [], holders: [] });
    expect(u.assignments.map((a) => [a.scope, a.scopeId, a.keyType, a.problem])).toEqual([
      ['site', 'Plant B', 'communication', null],
      ['robot', id(7), 'communication', null],
    ]);
    await call('keys:setState', { keyId: dedicated.id, state: 'suspended', reason: 'audit' });
    const broken = await call('fleet:keyUsage', { keyId: dedicated.id });
    expect(broken.assignments.every((a) => a.keyState === 'suspended' && /only active keys are delivered/.test(a.problem ?? ''))).toBe(true);
  });

  it('refuses an unknown key with not_found, a malformed one in the contract, and answers locked when locked', async () => {
    expect(await failure(call('fleet:keyUsage', { keyId: '00000000-0000-4000-8000-000000000000' }))).toMatchObject({ code: 'not_found', details: { field: 'keyId' } });
    expect(contract['fleet:keyUsage'].input.safeParse({ keyId: comm.id, version: 0 }).success).toBe(false);
    expect(contract['fleet:keyUsage'].input.safeParse({ keyId: comm.id, offset: -1 }).success).toBe(false);
    expect(contract['fleet:keyUsage'].input.safeParse({ keyId: 'not-a-uuid' }).success).toBe(false);
    await call('session:lock', {});
    expect((await failure(call('fleet:keyUsage', { keyId: comm.id }))).code).toBe('locked');
    await call('session:unlock', { operator: 'Officer Ada', passphrase: 'fleet passphrase 0123' });
    expect((await call('fleet:keyUsage', { keyId: comm.id })).robots).toBe(ROBOTS - 1);
  });

  it('migration 8 replaces the holdings index of an older store, keeping every holding; pages need no sort', async () => {
    const before = await call('fleet:keyUsage', { keyId: comm.id, version: 1, offset: 100 });
    c.close();
    const indexes = () => withRawDb(dir, (db) => db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'robot_keys' AND sql IS NOT NULL ORDER BY name").pluck().all());
    // What a version-7 store looks like: one shared passphrase (no operators, migration 15; nor 16), then older still.
    makePreOperatorsStore(dir, { operator: 'Officer Ada', passphrase: 'fleet passphrase 0123', legacyPassphrase: 'fleet passphrase 0123' });
    withRawDb(dir, (db) => {
      db.exec('DROP INDEX robot_keys_key_version_device; CREATE INDEX robot_keys_key ON robot_keys (key_id, key_version); DELETE FROM schema_migrations WHERE version >= 8;');
      db.exec('DROP TABLE key_unreached_locations;'); // migration 9
      db.exec('DROP INDEX audit_records_by_action_ts; DROP INDEX audit_records_by_actor_ts; DROP INDEX audit_records_by_actor_action_ts; DROP INDEX audit_records_by_target_ts;'); // migration 10
      db.exec('DROP TABLE rotation_jobs; DROP TABLE rotation_policies; DROP TABLE rotation_scheduler; DROP TABLE key_version_usage;'); // migration 11
      db.exec('DROP TABLE rotation_batch_items; DROP TABLE rotation_batches;'); // migration 12
      db.exec('DROP TABLE robot_visits; DROP TABLE key_version_retirements; DROP TABLE rollout_robots; DROP TABLE rollouts; DROP TABLE rollout_policies;'); // migration 13
      db.exec('DROP TABLE metric_buckets; DROP TABLE alerts;'); // migration 14
    });
    expect(indexes()).toEqual(['robot_keys_key']);
    c = await createConsole({ dataDir: dir, kdf: FAST_KDF, logger: createMemoryLogger(), clock });
    await call('session:unlock', { operator: 'Officer Ada', passphrase: 'fleet passphrase 0123' });
    expect(await call('fleet:keyUsage', { keyId: comm.id, version: 1, offset: 100 })).toEqual(before);
    c.close();
    expect(indexes()).toEqual(['robot_keys_key_version_device']);
    withRawDb(dir, (db) => {
      const plan = db
        .prepare('EXPLAIN QUERY PLAN SELECT device_id, key_version FROM robot_keys WHERE key_id = ? ORDER BY key_version, device_id LIMIT 200 OFFSET 400')
        .all(comm.id) as Array<{ detail: string }>;
      expect(plan.map((p) => p.detail).join('; ')).toMatch(/COVERING INDEX robot_keys_key_version_device/);
      expect(plan.map((p) => p.detail).join('; ')).not.toMatch(/TEMP B-TREE/);
    });
    c = await createConsole({ dataDir: dir, kdf: FAST_KDF, logger: createMemoryLogger(), clock });
  });
});
