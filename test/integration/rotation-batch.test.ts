// Batch rotation jobs (docs/rotation.md "Batch jobs") over a real console and SQLite store, with local keys: the
// concurrency bound measured around the key service's rotate, retries only for the errors a table here says are
// retryable (with the documented backoff: 1 s doubling, on a clock the test moves), cancel, progress events, the
// per-key results, selection by type and by site, refusals (invalid_input naming the field, nothing stored), the
// channels through the contract's schemas, and a store left mid-job (as after a crash) resumed without a second version.
import { afterAll, describe, expect, it } from 'vitest';
import { createConsole, type ConsoleOptions, type FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { silentLogger } from '../../electron/logger.ts';
import type { BatchRotate } from '../../electron/services/rotation/batchJobs.ts';
import { ConsoleError } from '../../shared/errors.ts';
import { CTX, FAST_KDF, PASSPHRASE, removeTempDirs, tempDir, withRawDb } from '../unit/store-testkit.ts';
import { contractCaller, failure } from './support/consoleCalls.ts';

afterAll(removeTempDirs);

const T0 = Date.parse('2026-03-02T08:00:00Z');
/** docs/rotation.md: a retryable failure is tried again after 1 s, then 2 s, 4 s, ... */
const FIRST_RETRY_MS = 1_000;

interface Rig {
  c: FleetConsole;
  clock: ReturnType<typeof manualClock>;
  sleeps: number[];
  events: Array<{ batchId: string; state: string; done: number; failed: number; cancelled: number; pending: number; total: number }>;
  /** Replaced per test: wraps the key service's rotate. */
  through: { wrap: (rotate: BatchRotate) => BatchRotate };
  call: ReturnType<typeof contractCaller>;
  dir: string;
}

async function rig(extra: Partial<ConsoleOptions> = {}, dir = tempDir('ecps-batch-')): Promise<Rig> {
  const clock = manualClock(T0);
  const sleeps: number[] = [];
  const through = { wrap: (rotate: BatchRotate) => rotate };
  const c = await createConsole({
    dataDir: dir,
    kdf: FAST_KDF,
    logger: silentLogger,
    clock,
    rotation: {
      scheduler: false,
      batch: {
        sleep: async (ms) => {
          sleeps.push(ms);
          clock.advance(ms);
        },
        rotateThrough: (rotate) => (keyId, options) => through.wrap(rotate)(keyId, options),
      },
    },
    ...extra,
  });
  const events: Rig['events'] = [];
  c.onEvent((event, payload) => {
    if (event === 'rotation:batchProgress') events.push(payload as Rig['events'][number]);
  });
  await c.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
  const r: Rig = { c, clock, sleeps, events, through, call: contractCaller(() => r.c), dir };
  return r;
}

async function makeKeys(c: FleetConsole, n: number, type: 'communication' | 'storage' = 'storage'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await c.keys.create({ type, label: `${type} ${i}` })).id);
  return ids;
}

const versionOf = (c: FleetConsole, id: string) => c.keys.get(id).currentVersion;

describe('batch rotation jobs', () => {
  it('never has more rotations in flight than its concurrency, and reaches it', async () => {
    const r = await rig();
    const ids = await makeKeys(r.c, 12);
    let inFlight = 0;
    let most = 0;
    r.through.wrap = (rotate) => async (keyId, options) => {
      inFlight++;
      most = Math.max(most, inFlight);
      try {
        // Give the other workers every chance to start theirs while this one is in flight.
        for (let i = 0; i < 5; i++) await new Promise((res) => setImmediate(res));
        return await rotate(keyId, options);
      } finally {
        inFlight--;
      }
    };
    const started = r.c.rotation.batches.start({ selection: { keyIds: ids }, concurrency: 3 });
    expect(started).toMatchObject({ state: 'running', total: 12, concurrency: 3 });
    const end = await r.c.rotation.batches.wait(started.batchId);
    expect(end).toMatchObject({ state: 'done', done: 12, failed: 0, pending: 0 });
    expect(most).toBe(3);
    for (const id of ids) expect(versionOf(r.c, id)).toBe(2);
    r.c.close();
  });

  it('defaults to 4 at once', async () => {
    const r = await rig();
    const ids = await makeKeys(r.c, 9);
    let inFlight = 0;
    let most = 0;
    r.through.wrap = (rotate) => async (keyId, options) => {
      most = Math.max(most, ++inFlight);
      try {
        for (let i = 0; i < 5; i++) await new Promise((res) => setImmediate(res));
        return await rotate(keyId, options);
      } finally {
        inFlight--;
      }
    };
    const b = r.c.rotation.batches.start({ selection: { keyIds: ids } });
    expect(b.concurrency).toBe(4);
    await r.c.rotation.batches.wait(b.batchId);
    expect(most).toBe(4);
    r.c.close();
  });

  // Which errors a batch tries again: the ones whose envelope says retryable (a provider unreachable or throttling)
  // and a busy store; never a refusal, a missing permission, a provider that cannot work at all, or a bug.
  const TABLE: Array<{ name: string; error: () => ConsoleError; retried: boolean }> = [
    { name: 'provider unreachable (retryable)', error: () => new ConsoleError('provider_unavailable', 'AWS KMS: timed out', { kind: 'Unavailable', retryable: true }), retried: true },
    { name: 'provider throttling (retryable)', error: () => new ConsoleError('provider_unavailable', 'AWS KMS: slow down', { kind: 'Throttled', retryable: true }), retried: true },
    { name: 'store busy', error: () => new ConsoleError('store_busy', 'database is locked'), retried: true },
    { name: 'provider unusable (not retryable)', error: () => new ConsoleError('provider_unavailable', 'PKCS#11 library missing', { kind: 'Unavailable', retryable: false }), retried: false },
    { name: 'provider not configured here', error: () => new ConsoleError('provider_unavailable', 'provider aws-x is not configured'), retried: false },
    { name: 'access denied', error: () => new ConsoleError('provider_access_denied', 'no kms:RotateKeyOnDemand', { kind: 'AccessDenied', retryable: false }), retried: false },
    { name: 'key disabled', error: () => new ConsoleError('key_disabled', 'key is suspended'), retried: false },
    { name: 'unsupported', error: () => new ConsoleError('unsupported_operation', 'cannot rotate signing keys'), retried: false },
    { name: 'invalid input', error: () => new ConsoleError('invalid_input', 'bad', { field: 'x' }), retried: false },
    { name: 'internal', error: () => new ConsoleError('internal', 'a bug'), retried: false },
  ];

  it('tries again only the errors the table calls retryable, with backoff, and records each result', async () => {
    const r = await rig();
    const ids = await makeKeys(r.c, TABLE.length);
    const calls = new Map<string, number>();
    const FAILS = 2;
    r.through.wrap = (rotate) => async (keyId, options) => {
      const n = (calls.get(keyId) ?? 0) + 1;
      calls.set(keyId, n);
      const row = TABLE[ids.indexOf(keyId)]!;
      if (n <= FAILS) throw row.error();
      return rotate(keyId, options);
    };
    // One at a time, so the waits recorded belong to one item after the other.
    const b = r.c.rotation.batches.start({ selection: { keyIds: ids }, concurrency: 1, maxAttempts: 4 });
    await r.c.rotation.batches.wait(b.batchId);
    const items = r.c.rotation.batches.get(b.batchId, true).items!;
    const retriedRows = TABLE.filter((t) => t.retried).length;
    TABLE.forEach((row, i) => {
      const item = items[i]!;
      const id = ids[i]!;
      if (row.retried) {
        expect({ name: row.name, state: item.state, attempts: item.attempts, calls: calls.get(id), toVersion: item.toVersion, version: versionOf(r.c, id) }).toEqual({
          name: row.name, state: 'done', attempts: FAILS + 1, calls: FAILS + 1, toVersion: 2, version: 2,
        });
        expect(item.errorCode).toBeNull();
      } else {
        const e = row.error();
        expect({ name: row.name, state: item.state, attempts: item.attempts, calls: calls.get(id), code: item.errorCode, message: item.errorMessage, version: versionOf(r.c, id) }).toEqual({
          name: row.name, state: 'failed', attempts: 1, calls: 1, code: e.code, message: e.message, version: 1,
        });
      }
    });
    // Each retried item waited 1 s, then 2 s.
    expect(r.sleeps).toEqual(Array.from({ length: retriedRows }, () => [FIRST_RETRY_MS, 2 * FIRST_RETRY_MS]).flat());
    expect(r.c.rotation.batches.get(b.batchId)).toMatchObject({ state: 'done', done: retriedRows, failed: TABLE.length - retriedRows });
    const finish = r.c.audit.query({ action: 'rotation.batch_finish', limit: 1 }).records[0]!;
    expect(finish).toMatchObject({ outcome: 'failure', targetId: b.batchId, details: { failed: TABLE.length - retriedRows, severity: 'critical' } });
    r.c.close();
  });

  it('a retryable error that persists fails the item after maxAttempts attempts', async () => {
    const r = await rig();
    const [id] = await makeKeys(r.c, 1);
    let calls = 0;
    r.through.wrap = () => async () => {
      calls++;
      throw TABLE[0]!.error();
    };
    const b = r.c.rotation.batches.start({ selection: { keyIds: [id!] }, maxAttempts: 3 });
    await r.c.rotation.batches.wait(b.batchId);
    expect(calls).toBe(3);
    expect(r.sleeps).toEqual([FIRST_RETRY_MS, 2 * FIRST_RETRY_MS]);
    expect(r.c.rotation.batches.get(b.batchId, true).items![0]).toMatchObject({ state: 'failed', attempts: 3, errorCode: 'provider_unavailable' });
    r.c.close();
  });

  it('every rotation is audited as key.rotate naming the job and the item', async () => {
    const r = await rig();
    const ids = await makeKeys(r.c, 3);
    const b = r.c.rotation.batches.start({ selection: { keyIds: ids } });
    await r.c.rotation.batches.wait(b.batchId);
    const rotations = r.c.audit.query({ action: 'key.rotate', limit: 10 }).records;
    expect(rotations).toHaveLength(3);
    expect(new Set(rotations.map((x) => x.targetId))).toEqual(new Set(ids));
    for (const x of rotations) expect(x).toMatchObject({ outcome: 'success', actor: 'alice', details: { version: 2, batchId: b.batchId } });
    expect(r.c.audit.query({ action: 'rotation.batch_start', limit: 1 }).records[0]).toMatchObject({ targetId: b.batchId, details: { selection: 'keys', total: 3 } });
    r.c.close();
  });

  it('cancel: rotations in flight finish, the rest are cancelled and keep their version; audited', async () => {
    const r = await rig();
    const ids = await makeKeys(r.c, 8);
    const gates: Array<() => void> = [];
    r.through.wrap = (rotate) => async (keyId, options) => {
      await new Promise<void>((res) => gates.push(res));
      return rotate(keyId, options);
    };
    const b = r.c.rotation.batches.start({ selection: { keyIds: ids }, concurrency: 2 });
    while (gates.length < 2) await new Promise((res) => setImmediate(res));
    const cancelling = r.c.rotation.batches.cancel(b.batchId);
    for (const open of gates) open();
    const end = await cancelling;
    expect(end).toMatchObject({ state: 'cancelled', done: 2, cancelled: 6, pending: 0, cancelledBy: 'alice' });
    expect(gates).toHaveLength(2);
    const items = r.c.rotation.batches.get(b.batchId, true).items!;
    expect(items.map((i) => i.state)).toEqual(['done', 'done', 'cancelled', 'cancelled', 'cancelled', 'cancelled', 'cancelled', 'cancelled']);
    expect(ids.map((id) => versionOf(r.c, id))).toEqual([2, 2, 1, 1, 1, 1, 1, 1]);
    expect(r.c.audit.query({ action: 'rotation.batch_cancel', limit: 1 }).records[0]).toMatchObject({ targetId: b.batchId, actor: 'alice' });
    expect((await failure(r.c.rotation.batches.cancel(b.batchId))).code).toBe('illegal_transition');
    r.c.close();
  });

  it('progress events count every item once, up to the total, and end with the final state', async () => {
    const r = await rig();
    const ids = await makeKeys(r.c, 6);
    r.through.wrap = (rotate) => async (keyId, options) => {
      if (keyId === ids[4]) throw new ConsoleError('key_disabled', 'suspended meanwhile');
      return rotate(keyId, options);
    };
    const b = r.c.rotation.batches.start({ selection: { keyIds: ids }, concurrency: 2 });
    await r.c.rotation.batches.wait(b.batchId);
    const mine = r.events.filter((e) => e.batchId === b.batchId);
    const finished = mine.map((e) => e.done + e.failed);
    // One event per item finished (1, 2, ... 6), then the final one.
    expect(finished.slice(0, 6)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(mine.at(-1)).toMatchObject({ state: 'done', total: 6, done: 5, failed: 1, pending: 0 });
    for (const e of mine) expect(e.total).toBe(6);
    r.c.close();
  });

  it('selects every active key of a type, and every key assigned to a site or to its robots', async () => {
    const r = await rig();
    const comm = await makeKeys(r.c, 3, 'communication');
    const stor = await makeKeys(r.c, 3, 'storage');
    await r.c.keys.setState(comm[2]!, 'suspended', 'maintenance');
    const byType = r.c.rotation.batches.start({ selection: { type: 'communication' } });
    expect(byType).toMatchObject({ total: 2, selection: { kind: 'type', value: 'communication' } });
    await r.c.rotation.batches.wait(byType.batchId);
    expect(comm.map((id) => versionOf(r.c, id))).toEqual([2, 2, 1]);
    expect(stor.map((id) => versionOf(r.c, id))).toEqual([1, 1, 1]);

    await r.call('fleet:create', { deviceId: 'uv-a1', name: 'A one', model: 'UV-7', site: 'Plant A' });
    await r.call('fleet:create', { deviceId: 'uv-b1', name: 'B one', model: 'UV-7', site: 'Plant B' });
    await r.call('fleet:assignKey', { scope: 'site', scopeId: 'Plant A', keyType: 'storage', keyId: stor[0]! });
    await r.call('fleet:assignKey', { scope: 'robot', scopeId: 'uv-a1', keyType: 'communication', keyId: comm[0]! });
    await r.call('fleet:assignKey', { scope: 'site', scopeId: 'Plant B', keyType: 'storage', keyId: stor[1]! });
    const bySite = await r.call('rotation:batchStart', { selection: { site: 'Plant A' } });
    expect(bySite).toMatchObject({ total: 2, selection: { kind: 'site', value: 'Plant A' } });
    await r.c.rotation.batches.wait(bySite.batchId);
    const got = await r.call('rotation:batchGet', { batchId: bySite.batchId, items: true });
    expect(new Set(got.items!.map((i) => i.keyId))).toEqual(new Set([stor[0], comm[0]]));
    expect(got.items!.map((i) => ({ state: i.state, from: i.fromVersion, to: i.toVersion }))).toContainEqual({ state: 'done', from: 2, to: 3 });
    expect([versionOf(r.c, comm[0]!), versionOf(r.c, stor[0]!), versionOf(r.c, stor[1]!)]).toEqual([3, 2, 1]);
    const listed = await r.call('rotation:batchList', {});
    expect(listed.jobs.map((j) => j.batchId)).toEqual(expect.arrayContaining([byType.batchId, bySite.batchId]));
    r.c.close();
  });

  it('refuses bad inputs with invalid_input naming the field; nothing is stored and the refusal is audited', async () => {
    const r = await rig();
    const [a, b] = await makeKeys(r.c, 2);
    const [sus] = await makeKeys(r.c, 1);
    await r.c.keys.setState(sus!, 'suspended', 'maintenance');
    const unknown = '0b7c2a52-3f1e-4c1a-9a57-3c7f2b8e4d10';
    const BAD: Array<[unknown, string]> = [
      [{ selection: {} }, 'selection'],
      [{ selection: { keyIds: [a], type: 'storage' } }, 'selection'],
      [{ selection: null }, 'selection'],
      [{ selection: { keyIds: [] } }, 'selection.keyIds'],
      [{ selection: { keyIds: 'all' } }, 'selection.keyIds'],
      [{ selection: { keyIds: [a, 'not-a-key'] } }, 'selection.keyIds[1]'],
      [{ selection: { keyIds: [a, b, a] } }, 'selection.keyIds[2]'],
      [{ selection: { keyIds: [unknown] } }, 'selection.keyIds[0]'],
      [{ selection: { keyIds: [a, sus] } }, 'selection.keyIds[1]'],
      [{ selection: { type: 'robot' } }, 'selection.type'],
      [{ selection: { type: 'emergency' } }, 'selection'], // no such key: an empty job
      [{ selection: { site: 'Nowhere' } }, 'selection.site'],
      [{ selection: { site: '' } }, 'selection.site'],
      [{ selection: { keyIds: [a], extra: 1 } }, 'selection.extra'],
      [{ selection: { keyIds: [a] }, concurrency: 0 }, 'concurrency'],
      [{ selection: { keyIds: [a] }, concurrency: 65 }, 'concurrency'],
      [{ selection: { keyIds: [a] }, concurrency: 2.5 }, 'concurrency'],
      [{ selection: { keyIds: [a] }, concurrency: '4' }, 'concurrency'],
      [{ selection: { keyIds: [a] }, maxAttempts: 0 }, 'maxAttempts'],
      [{ selection: { keyIds: [a] }, maxAttempts: 11 }, 'maxAttempts'],
    ];
    for (const [input, field] of BAD) {
      const f = await failure(Promise.resolve().then(() => r.c.rotation.batches.start(input as never)));
      expect({ input, code: f.code, field: f.details.field }).toEqual({ input, code: 'invalid_input', field });
    }
    expect(r.c.rotation.batches.list()).toEqual([]);
    expect([versionOf(r.c, a!), versionOf(r.c, b!)]).toEqual([1, 1]);
    const refusals = r.c.audit.query({ action: 'rotation.batch_start', limit: 100 }).records;
    expect(refusals).toHaveLength(BAD.length);
    for (const x of refusals) expect(x).toMatchObject({ outcome: 'failure', details: { code: 'invalid_input' } });
    expect((await failure(Promise.resolve().then(() => r.c.rotation.batches.get('nope')))).code).toBe('invalid_input');
    expect((await failure(Promise.resolve().then(() => r.c.rotation.batches.get(unknown)))).code).toBe('not_found');
    await r.c.handlers['session:lock']({}, CTX);
    expect((await failure(Promise.resolve().then(() => r.c.rotation.batches.start({ selection: { keyIds: [a!] } })))).code).toBe('locked');
    r.c.close();
  });

  it('a job left mid-way (as after a crash) resumes at unlock: a committed rotation is not made again, an uncommitted one is made once', async () => {
    const r = await rig();
    const ids = await makeKeys(r.c, 4);
    // bob, a key custodian with his own passphrase, signs in after the restart (issue 14: unlock names the operator).
    await r.c.handlers['operators:add']({ name: 'bob', role: 'key_custodian', passphrase: PASSPHRASE }, CTX);
    const b = r.c.rotation.batches.start({ selection: { keyIds: ids } });
    await r.c.rotation.batches.wait(b.batchId);
    r.c.close();
    // The crash image: the job running; item 1 marked rotating with its version committed (died before the item was
    // marked); item 2 marked rotating, its version never committed; items 3 and 4 never started.
    withRawDb(r.dir, (db) => {
      db.prepare("UPDATE rotation_batches SET state = 'running', finished_at = NULL WHERE id = ?").run(b.batchId);
      db.prepare("UPDATE rotation_batch_items SET state = 'rotating', to_version = NULL WHERE batch_id = ? AND seq IN (1, 2)").run(b.batchId);
      db.prepare("UPDATE rotation_batch_items SET state = 'pending', attempts = 0, to_version = NULL WHERE batch_id = ? AND seq IN (3, 4)").run(b.batchId);
      for (const id of ids.slice(1)) {
        db.prepare('DELETE FROM key_versions WHERE key_id = ? AND version = 2').run(id);
        db.prepare('UPDATE keys SET current_version = 1 WHERE id = ?').run(id);
      }
    });
    const again = await createConsole({ dataDir: r.dir, kdf: FAST_KDF, logger: silentLogger, clock: r.clock, rotation: { tickMs: 3_600_000 } });
    await again.handlers['session:unlock']({ operator: 'bob', passphrase: PASSPHRASE }, CTX);
    expect(again.rotation.batches.active()).toEqual([b.batchId]);
    const end = await again.rotation.batches.wait(b.batchId);
    expect(end).toMatchObject({ state: 'done', done: 4, failed: 0 });
    expect(ids.map((id) => again.keys.get(id).currentVersion)).toEqual([2, 2, 2, 2]);
    const items = again.rotation.batches.get(b.batchId, true).items!;
    expect(items.map((i) => [i.state, i.toVersion, i.recovered])).toEqual([
      ['done', 2, true],
      ['done', 2, false],
      ['done', 2, false],
      ['done', 2, false],
    ]);
    // Only the three rotations made after the restart were audited by bob.
    expect(again.audit.query({ action: 'key.rotate', actor: 'bob', limit: 10 }).records).toHaveLength(3);
    again.close();
  });
});
