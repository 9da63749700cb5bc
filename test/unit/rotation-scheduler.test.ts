// The rotation scheduler with the clock moved by hand (issue 13). Expectations come from the tables below, written
// from the specification (KMS_INTEGRATION.md, "Key Types and Usage": communication 24 hours, emergency 1 year,
// identity and storage manual) and from the windows as a person reads them, never from the engine's own computation.
import { afterAll, describe, expect, it } from 'vitest';
import { type FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import type { KeyType } from '../../shared/domain.ts';
import { CTX, open, openUnlocked, PASSPHRASE, removeTempDirs, tempDir, withRawDb } from './store-testkit.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MINUTE = 60_000;

/** The specification's rotation periods (null: manual). */
const SPEC_PERIOD_MS: Record<KeyType, number | null> = {
  communication: 24 * HOUR,
  emergency: 365 * DAY,
  device_identity: null,
  storage: null,
};

/** The jitter these tests give the communication policy: each rotation starts 0 to 10 minutes after its due time. */
const JITTER_S = 600;
const JITTER_MS = JITTER_S * 1000;

const T0 = Date.parse('2026-01-05T12:00:00Z');

async function consoleAt(start = T0, dir = tempDir('ecps-rot-')) {
  const clock = manualClock(start);
  const c = await openUnlocked(dir, { clock, rotation: { scheduler: false } });
  return { c, clock, dir };
}

const commPolicy = (extra: Record<string, unknown> = {}) => ({ mode: 'scheduled', periodSeconds: 24 * 3600, jitterSeconds: JITTER_S, timeZone: 'UTC', ...extra });

const version = (c: FleetConsole, id: string) => c.keys.get(id).currentVersion;

afterAll(() => removeTempDirs());

describe('the specification periods', () => {
  it("default policies follow the specification's table", async () => {
    const { c } = await consoleAt();
    for (const [type, period] of Object.entries(SPEC_PERIOD_MS) as Array<[KeyType, number | null]>) {
      const p = c.rotation.policies.forType(type);
      expect(p.source).toBe('default');
      expect(p.policy.mode).toBe(period === null ? 'manual' : 'scheduled');
      expect(p.policy.periodSeconds === null ? null : p.policy.periodSeconds * 1000).toBe(period);
      // The documented bound of any jitter: at most a tenth of the period.
      if (period !== null) expect(p.policy.jitterSeconds * 1000).toBeLessThanOrEqual(period / 10);
    }
    c.close();
  });

  it('a communication key made at t0 rotates exactly once, between t0 + 24 h and t0 + 24 h + the jitter', async () => {
    const { c, clock } = await consoleAt();
    c.rotation.policies.setTypePolicy('communication', commPolicy());
    const k = await c.keys.create({ type: 'communication', label: 'link' });
    const changes: number[] = [];
    // One pass a minute from an hour before the due time to a quarter of an hour after the jitter's end.
    for (let t = T0 + 23 * HOUR; t <= T0 + 24 * HOUR + JITTER_MS + 15 * MINUTE; t += MINUTE) {
      clock.set(t);
      const before = version(c, k.id);
      await c.rotation.scheduler.tick();
      if (version(c, k.id) !== before) changes.push(t);
    }
    expect(changes).toHaveLength(1);
    expect(changes[0]!).toBeGreaterThanOrEqual(T0 + 24 * HOUR);
    // The pass that ran it is the first one at or after the due time: within a minute of the jitter's end at the latest.
    expect(changes[0]!).toBeLessThanOrEqual(T0 + 24 * HOUR + JITTER_MS + MINUTE);
    expect(version(c, k.id)).toBe(2);
    const job = c.rotation.scheduler.jobs(10, k.id).find((j) => j.fromVersion === 1);
    expect(job).toMatchObject({ fromVersion: 1, toVersion: 2, state: 'done', reason: 'schedule' });
    expect(job!.dueAt - T0).toBeGreaterThanOrEqual(24 * HOUR);
    expect(job!.dueAt - T0).toBeLessThanOrEqual(24 * HOUR + JITTER_MS);
    expect(job!.lateMs).toBeLessThan(MINUTE);
    // The run is audited twice: the key service's key.rotate and the scheduler's rotation.run.
    expect(c.audit.query({ action: 'key.rotate', targetId: k.id, limit: 10 }).records.map((r) => r.outcome)).toEqual(['success']);
    const run = c.audit.query({ action: 'rotation.run', targetId: k.id, limit: 10 }).records;
    expect(run).toHaveLength(1);
    expect(run[0]!.details).toMatchObject({ fromVersion: 1, toVersion: 2, reason: 'schedule', by: 'scheduler' });
    c.close();
  });

  it('moved 3 days ahead: exactly one new version, late by about 2 days; the next is planned a period after it', async () => {
    const { c, clock } = await consoleAt();
    c.rotation.policies.setTypePolicy('communication', commPolicy());
    const k = await c.keys.create({ type: 'communication', label: 'link' });
    clock.set(T0 + 3 * DAY);
    const report = await c.rotation.scheduler.tick();
    expect(report.ran).toHaveLength(1);
    expect(version(c, k.id)).toBe(2);
    // Due at t0 + 1 day (+ up to the jitter), run at t0 + 3 days.
    expect(report.ran[0]!.lateMs).toBeGreaterThanOrEqual(2 * DAY - JITTER_MS);
    expect(report.ran[0]!.lateMs).toBeLessThanOrEqual(2 * DAY);
    expect(c.rotation.scheduler.jobs(10, k.id).find((j) => j.fromVersion === 1)!.lateMs).toBe(report.ran[0]!.lateMs);
    expect(c.audit.query({ action: 'rotation.run', targetId: k.id, limit: 10 }).records[0]!.details).toMatchObject({ lateMs: report.ran[0]!.lateMs });
    for (let i = 0; i < 3; i++) expect((await c.rotation.scheduler.tick()).ran).toHaveLength(0);
    expect(version(c, k.id)).toBe(2);
    const next = c.rotation.scheduler.upcoming().find((u) => u.keyId === k.id)!;
    expect(next.fromVersion).toBe(2);
    expect(Date.parse(next.dueAt) - (T0 + 3 * DAY)).toBeGreaterThanOrEqual(DAY);
    expect(Date.parse(next.dueAt) - (T0 + 3 * DAY)).toBeLessThanOrEqual(DAY + JITTER_MS);
    c.close();
  });

  it('over ten years, manual keys never rotate, an emergency key rotates once a year and a communication key once a day per pass', async () => {
    const { c, clock } = await consoleAt();
    const keys = {
      storage: await c.keys.create({ type: 'storage', label: 's' }),
      device_identity: await c.keys.create({ type: 'device_identity', label: 'i' }),
      emergency: await c.keys.create({ type: 'emergency', label: 'e' }),
    };
    // One pass every 400 days: each pass finds at most one missed rotation per key, whatever the number of periods.
    for (let i = 1; i <= 9; i++) {
      clock.set(T0 + i * 400 * DAY);
      await c.rotation.scheduler.tick();
    }
    expect(version(c, keys.storage.id)).toBe(1);
    expect(version(c, keys.device_identity.id)).toBe(1);
    expect(version(c, keys.emergency.id)).toBe(1 + 9);
    c.close();
  });

  it('a manual policy set on one communication key keeps it from rotating; its type-mates still rotate', async () => {
    const { c, clock } = await consoleAt();
    const pinned = await c.keys.create({ type: 'communication', label: 'pinned' });
    const other = await c.keys.create({ type: 'communication', label: 'other' });
    c.rotation.policies.setKeyPolicy(pinned.id, { mode: 'manual' });
    clock.set(T0 + 5 * DAY);
    await c.rotation.scheduler.tick();
    expect([version(c, pinned.id), version(c, other.id)]).toEqual([1, 2]);
    c.close();
  });

  it('a planned rotation is dropped when the key type becomes manual, and planned again when it is scheduled again', async () => {
    const { c, clock } = await consoleAt();
    const k = await c.keys.create({ type: 'communication', label: 'link' });
    clock.set(T0 + HOUR);
    await c.rotation.scheduler.tick();
    expect(c.rotation.scheduler.upcoming()).toHaveLength(1);
    c.rotation.policies.setTypePolicy('communication', { mode: 'manual' });
    clock.set(T0 + 3 * DAY);
    expect((await c.rotation.scheduler.tick()).ran).toHaveLength(0);
    expect(c.rotation.scheduler.upcoming()).toHaveLength(0);
    expect(version(c, k.id)).toBe(1);
    c.rotation.policies.setTypePolicy('communication', commPolicy());
    expect((await c.rotation.scheduler.tick()).ran).toHaveLength(1);
    c.close();
  });

  it("a planned job's stored due time follows a changed period, and a pass with nothing changed leaves it as it is", async () => {
    const { c, clock } = await consoleAt();
    c.rotation.policies.setTypePolicy('communication', commPolicy({ jitterSeconds: 0 }));
    const k = await c.keys.create({ type: 'communication', label: 'link' });
    clock.set(T0 + HOUR);
    await c.rotation.scheduler.tick();
    expect(c.rotation.scheduler.jobs(10, k.id)).toMatchObject([{ state: 'pending', dueAt: T0 + 24 * HOUR }]);
    // A 48-hour period: the job (as stored, shown by jobs()) is now due 48 hours after the version was made.
    c.rotation.policies.setTypePolicy('communication', commPolicy({ periodSeconds: 48 * 3600, jitterSeconds: 0 }));
    await c.rotation.scheduler.tick();
    expect(c.rotation.scheduler.jobs(10, k.id)).toMatchObject([{ state: 'pending', dueAt: T0 + 48 * HOUR }]);
    await c.rotation.scheduler.tick();
    expect(c.rotation.scheduler.jobs(10, k.id)).toMatchObject([{ state: 'pending', dueAt: T0 + 48 * HOUR }]);
    c.close();
  });

  it('jitter spreads keys made together over the jitter interval', async () => {
    const { c, clock } = await consoleAt();
    c.rotation.policies.setTypePolicy('communication', commPolicy());
    for (let i = 0; i < 20; i++) await c.keys.create({ type: 'communication', label: `k${i}` });
    clock.set(T0 + HOUR);
    await c.rotation.scheduler.tick();
    const due = c.rotation.scheduler.upcoming().map((u) => Date.parse(u.dueAt) - T0);
    expect(due).toHaveLength(20);
    for (const d of due) {
      expect(d).toBeGreaterThanOrEqual(DAY);
      expect(d).toBeLessThanOrEqual(DAY + JITTER_MS);
    }
    expect(new Set(due).size).toBeGreaterThan(10);
    expect(Math.max(...due) - Math.min(...due)).toBeGreaterThan(JITTER_MS / 4);
    c.close();
  });
});

describe('windows', () => {
  it("a blackout window (production hours 06:00-16:00 in Europe/Berlin) defers a due rotation to the window's end", async () => {
    // 2026-01-05 is a Monday; Berlin is UTC+1 in January: 06:00-16:00 Berlin = 05:00-15:00 UTC.
    const { c, clock } = await consoleAt(Date.parse('2026-01-05T07:00:00Z'));
    c.rotation.policies.setTypePolicy('communication', commPolicy({ jitterSeconds: 0, timeZone: 'Europe/Berlin', blackoutWindows: [{ cron: '0 6 * * *', durationMinutes: 600 }] }));
    const k = await c.keys.create({ type: 'communication', label: 'line 3' });
    clock.set(Date.parse('2026-01-06T07:00:00Z')); // due now, 08:00 in Berlin: production
    let r = await c.rotation.scheduler.tick();
    expect(r.ran).toHaveLength(0);
    expect(r.status).toMatchObject({ waiting: 1, deferredByWindow: 1 });
    expect(c.rotation.scheduler.upcoming()[0]).toMatchObject({ keyId: k.id, waitingFor: 'blackout' });
    clock.set(Date.parse('2026-01-06T14:59:00Z')); // 15:59 Berlin: still inside
    expect((await c.rotation.scheduler.tick()).ran).toHaveLength(0);
    clock.set(Date.parse('2026-01-06T15:00:00Z')); // 16:00 Berlin: the window has closed
    r = await c.rotation.scheduler.tick();
    expect(r.ran).toHaveLength(1);
    expect(r.ran[0]!.lateMs).toBe(8 * HOUR);
    expect(version(c, k.id)).toBe(2);
    c.close();
  });

  it('a maintenance window (02:00-04:00 UTC) holds a rotation due at 12:00 until 02:00', async () => {
    const { c, clock } = await consoleAt();
    c.rotation.policies.setTypePolicy('communication', commPolicy({ jitterSeconds: 0, maintenanceWindow: { cron: '0 2 * * *', durationMinutes: 120 } }));
    const k = await c.keys.create({ type: 'communication', label: 'link' });
    for (const at of ['2026-01-06T12:00:00Z', '2026-01-06T23:59:00Z', '2026-01-07T01:59:00Z']) {
      clock.set(Date.parse(at));
      const r = await c.rotation.scheduler.tick();
      expect(r.ran, at).toHaveLength(0);
      expect(c.rotation.scheduler.upcoming()[0]!.waitingFor).toBe('maintenance');
    }
    clock.set(Date.parse('2026-01-07T02:00:00Z'));
    expect((await c.rotation.scheduler.tick()).ran).toHaveLength(1);
    expect(version(c, k.id)).toBe(2);
    c.close();
  });
});

describe('pause, lock and restart', () => {
  it('pause stops rotations (persisted, audited); resume lets them run', async () => {
    const { c, clock, dir } = await consoleAt();
    const k = await c.keys.create({ type: 'communication', label: 'link' });
    c.rotation.scheduler.pause();
    clock.set(T0 + 2 * DAY);
    let r = await c.rotation.scheduler.tick();
    expect(r.ran).toHaveLength(0);
    expect(r.status).toMatchObject({ paused: true, waiting: 1 });
    c.close();
    // Still paused after a restart.
    const c2 = await open(dir, { clock, rotation: { scheduler: false } });
    await c2.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    r = await c2.rotation.scheduler.tick();
    expect(r.ran).toHaveLength(0);
    expect(r.status.paused).toBe(true);
    c2.rotation.scheduler.resume();
    r = await c2.rotation.scheduler.tick();
    expect(r.ran).toHaveLength(1);
    expect(version(c2, k.id)).toBe(2);
    expect(c2.audit.query({ action: 'rotation.pause', limit: 5 }).records).toHaveLength(1);
    expect(c2.audit.query({ action: 'rotation.resume', limit: 5 }).records).toHaveLength(1);
    c2.close();
  });

  it('while locked, due rotations wait and are counted; after unlock they run once each', async () => {
    const { c, clock } = await consoleAt();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await c.keys.create({ type: 'communication', label: `k${i}` })).id);
    await c.handlers['session:lock']({}, CTX);
    clock.set(T0 + 2 * DAY);
    const r = await c.rotation.scheduler.tick();
    expect(r.ran).toHaveLength(0);
    expect(r.status).toMatchObject({ locked: true, waiting: 3 });
    expect(c.rotation.scheduler.status().waiting).toBe(3);
    await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    expect((await c.rotation.scheduler.tick()).ran.map((x) => x.outcome)).toEqual(['success', 'success', 'success']);
    expect(ids.map((id) => version(c, id))).toEqual([2, 2, 2]);
    expect(c.rotation.scheduler.status().waiting).toBe(0);
    c.close();
  });

  it('a new engine on the same store does not rotate again', async () => {
    const { c, clock, dir } = await consoleAt();
    const k = await c.keys.create({ type: 'communication', label: 'link' });
    clock.set(T0 + 2 * DAY);
    expect((await c.rotation.scheduler.tick()).ran).toHaveLength(1);
    c.close();
    const c2 = await open(dir, { clock, rotation: { scheduler: false } });
    await c2.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    expect((await c2.rotation.scheduler.tick()).ran).toHaveLength(0);
    expect(version(c2, k.id)).toBe(2);
    c2.close();
  });

  it('after a crash between the rotation and its job record, the job is finished without a second rotation', async () => {
    const { c, clock, dir } = await consoleAt();
    const k = await c.keys.create({ type: 'communication', label: 'link' });
    clock.set(T0 + 2 * DAY);
    await c.rotation.scheduler.tick();
    c.close();
    // What a crash after key.rotate committed but before the job was marked done leaves behind.
    withRawDb(dir, (db) => db.prepare("UPDATE rotation_jobs SET state = 'running', to_version = NULL, finished_at = NULL WHERE key_id = ?").run(k.id));
    const c2 = await open(dir, { clock, rotation: { scheduler: false } });
    await c2.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    expect((await c2.rotation.scheduler.tick()).ran).toHaveLength(0);
    expect(version(c2, k.id)).toBe(2);
    expect(c2.rotation.scheduler.jobs(5, k.id).find((j) => j.fromVersion === 1)).toMatchObject({ state: 'done', toVersion: 2 });
    expect(c2.audit.query({ action: 'rotation.run', targetId: k.id, limit: 5 }).records[0]!.details).toMatchObject({ recovered: true });
    c2.close();
  });

  it('after a crash before the rotation committed, the job runs once', async () => {
    const { c, clock, dir } = await consoleAt();
    const k = await c.keys.create({ type: 'communication', label: 'link' });
    clock.set(T0 + HOUR);
    await c.rotation.scheduler.tick(); // plans the job
    c.close();
    withRawDb(dir, (db) => db.prepare("UPDATE rotation_jobs SET state = 'running', attempts = 1, started_at = ? WHERE key_id = ?").run(T0 + 2 * DAY, k.id));
    clock.set(T0 + 2 * DAY);
    const c2 = await open(dir, { clock, rotation: { scheduler: false } });
    await c2.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    expect((await c2.rotation.scheduler.tick()).ran).toHaveLength(1);
    expect((await c2.rotation.scheduler.tick()).ran).toHaveLength(0);
    expect(version(c2, k.id)).toBe(2);
    c2.close();
  });

  it('an officer rotating in the same instant as a scheduled rotation: one new version, the job stands down (superseded), no failure', async () => {
    const { c, clock } = await consoleAt();
    const k = await c.keys.create({ type: 'communication', label: 'link' });
    clock.set(T0 + 2 * DAY);
    // The officer's call takes the key's lock first; the pass's rotation, for version 1, finds version 2 made.
    const [manual, pass] = await Promise.allSettled([c.keys.rotate(k.id), c.rotation.scheduler.tick()]);
    expect(manual).toMatchObject({ status: 'fulfilled', value: { currentVersion: 2 } });
    expect(pass).toMatchObject({ status: 'fulfilled', value: { ran: [{ keyId: k.id, fromVersion: 1, outcome: 'skipped', toVersion: null }] } });
    expect(version(c, k.id)).toBe(2);
    expect(c.keys.get(k.id).versions.map((v) => v.version)).toEqual([1, 2]);
    expect(c.rotation.scheduler.jobs(5, k.id).find((j) => j.fromVersion === 1)).toMatchObject({ state: 'superseded', toVersion: 2 });
    // No failed rotation recorded for the job: a stood-down job raises no CRITICAL alert.
    expect(c.audit.query({ action: 'rotation.run', limit: 10 }).records.filter((r) => r.outcome === 'failure')).toEqual([]);
    c.close();
  });

  it('an officer rotating by hand supersedes the planned job: no second rotation for that period', async () => {
    const { c, clock } = await consoleAt();
    const k = await c.keys.create({ type: 'communication', label: 'link' });
    clock.set(T0 + HOUR);
    await c.rotation.scheduler.tick();
    await c.keys.rotate(k.id);
    clock.set(T0 + 24 * HOUR + HOUR); // past the first version's due time, before the second's
    expect((await c.rotation.scheduler.tick()).ran).toHaveLength(0);
    expect(version(c, k.id)).toBe(2);
    expect(c.rotation.scheduler.jobs(5, k.id).find((j) => j.fromVersion === 1)).toMatchObject({ state: 'superseded', toVersion: 2 });
    c.close();
  });

  it('in the console, passes run on the interval timer and right after an unlock; close stops them', async () => {
    const intervals: Array<{ fn: () => void; ms: number; cancelled: boolean }> = [];
    const timers = {
      setInterval(fn: () => void, ms: number) {
        const entry = { fn, ms, cancelled: false };
        intervals.push(entry);
        return () => {
          entry.cancelled = true;
        };
      },
    };
    const clock = manualClock(T0);
    const c = await openUnlocked(tempDir('ecps-rot-'), { clock, rotation: { timers, tickMs: 30_000 } });
    expect(intervals.map((i) => i.ms)).toEqual([30_000]);
    const k = await c.keys.create({ type: 'communication', label: 'link' });
    clock.set(T0 + 2 * DAY);
    const changed = () => new Promise<void>((resolve) => {
      const off = c.onEvent((event) => {
        if (event === 'keys:changed') {
          off();
          resolve();
        }
      });
    });
    let signal = changed();
    intervals[0]!.fn();
    await signal;
    expect(version(c, k.id)).toBe(2);
    // Locked while the next rotation comes due: the unlock itself starts a pass.
    await c.handlers['session:lock']({}, CTX);
    clock.set(T0 + 4 * DAY);
    signal = changed();
    await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    await signal;
    await c.rotation.scheduler.tick();
    expect(version(c, k.id)).toBe(3);
    c.close();
    expect(intervals[0]!.cancelled).toBe(true);
  });
});
