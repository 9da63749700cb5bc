// The rotation:* channels (issue 13) through the console's own handlers and its router, over a real SQLite store with
// the clock moved by hand: status and the due / overdue list with how late, "run now" audited like a manual rotation
// and visible in the job history, policies per key type and per key with field errors in words, pause and resume,
// usage per version against its limit, the 30-day forecast with sites, and what waited while the console was locked.
// Expected values come from the specification's periods (communication 24 h; storage manual) and the tables here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelName, KeySummary } from '../../shared/contract.ts';
import { createConsole, type FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { createRouter } from '../../electron/ipc/router.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { CTX, FAST_KDF, PASSPHRASE, removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { contractCaller, failure } from './support/consoleCalls.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-03-02T10:00:00Z');
const OPERATOR = 'Officer Ada';

describe('rotation channels', () => {
  const dir = tempDir('ecps-rot-ch-');
  const clock = manualClock(T0);
  let c: FleetConsole;
  const call = contractCaller(() => c);
  /** Through the router, as a window's call arrives (input parsing, typed envelope). */
  const route = (channel: ChannelName, input: unknown) => createRouter({ handlers: c.handlers }).route({ channel, input, ctx: CTX, trustedSender: true });
  const audits = (action: string, targetId?: string) => c.audit.query({ action, ...(targetId ? { targetId } : {}), limit: 20 }).records;
  let comm: KeySummary;
  let disk: KeySummary;

  beforeAll(async () => {
    c = await createConsole({ dataDir: dir, kdf: FAST_KDF, logger: createMemoryLogger(), clock, rotation: { scheduler: false } });
    await call('session:init', { operator: OPERATOR, passphrase: PASSPHRASE });
    // No jitter, so due times are exact: the specification's 24 hours.
    await call('rotation:setTypePolicy', { type: 'communication', policy: { mode: 'scheduled', periodSeconds: 24 * 3600, jitterSeconds: 0 } });
    comm = await call('keys:create', { type: 'communication', label: 'uplink' });
    disk = await call('keys:create', { type: 'storage', label: 'disk' });
  });
  afterAll(() => {
    c.close();
    removeTempDirs();
  });

  it('nothing is due right after creation; the forecast lists the communication key daily and never the manual storage key', async () => {
    const s = await call('rotation:status', {});
    expect(s).toMatchObject({ now: new Date(T0).toISOString(), paused: false, periodic: false, dueNow: 0, overdue: 0, maxLateMs: 0, nextDueAt: new Date(T0 + DAY).toISOString() });
    const up = await call('rotation:upcoming', {});
    expect(up.until).toBe(new Date(T0 + 30 * DAY).toISOString());
    expect(up.items.map((i) => [i.label, i.fromVersion, i.dueAt])).toEqual(Array.from({ length: 30 }, (_, n) => ['uplink', n + 1, new Date(T0 + (n + 1) * DAY).toISOString()]));
    expect((await call('rotation:upcoming', { days: 3 })).items).toHaveLength(3);
  });

  it('the forecast names the sites a key serves (a site assignment and a robot assignment)', async () => {
    await call('fleet:create', { deviceId: 'uv-1', name: 'One', model: 'UV-7', site: 'Lyon' });
    await call('fleet:create', { deviceId: 'uv-2', name: 'Two', model: 'UV-7', site: 'Oslo' });
    await call('fleet:assignKey', { scope: 'site', scopeId: 'Lyon', keyType: 'communication', keyId: comm.id });
    await call('fleet:assignKey', { scope: 'robot', scopeId: 'uv-2', keyType: 'communication', keyId: comm.id });
    expect((await call('rotation:upcoming', { days: 1 })).items[0]!.sites).toEqual(['Lyon', 'Oslo']);
  });

  it('three days later: one rotation due, overdue by two days, in the due list with how late', async () => {
    clock.set(T0 + 3 * DAY);
    const s = await call('rotation:status', {});
    expect(s).toMatchObject({ dueNow: 1, overdue: 1, maxLateMs: 2 * DAY, waiting: 0 });
    const due = await call('rotation:due', {});
    expect(due.items).toEqual([
      { keyId: comm.id, label: 'uplink', keyType: 'communication', fromVersion: 1, reason: 'schedule', dueAt: new Date(T0 + DAY).toISOString(), lateMs: 2 * DAY, overdue: true, state: 'pending', attempts: 0, waitingFor: null },
    ]);
  });

  it('paused: the due rotation waits for the pause; pause and resume are audited', async () => {
    const paused = await call('rotation:pause', {});
    expect(paused).toMatchObject({ paused: true, waiting: 1 });
    expect((await call('rotation:due', {})).items[0]!.waitingFor).toBe('paused');
    expect(audits('rotation.pause')[0]).toMatchObject({ actor: OPERATOR, outcome: 'success' });
  });

  it('run now (while paused): a new version, audited as key.rotate and rotation.run by the officer, and in the job history', async () => {
    const run = await call('rotation:runNow', { keyId: comm.id });
    expect(run).toEqual({ keyId: comm.id, fromVersion: 1, toVersion: 2, lateMs: 2 * DAY, reason: 'schedule' });
    expect((await call('keys:get', { keyId: comm.id })).currentVersion).toBe(2);
    expect(audits('key.rotate', comm.id).map((r) => [r.actor, r.outcome])).toEqual([[OPERATOR, 'success']]);
    expect(audits('rotation.run', comm.id)[0]).toMatchObject({ actor: OPERATOR, outcome: 'success', details: { by: 'officer', fromVersion: 1, toVersion: 2, lateMs: 2 * DAY } });
    const jobs = await call('rotation:jobs', { keyId: comm.id });
    expect(jobs.jobs[0]).toMatchObject({ label: 'uplink', fromVersion: 1, toVersion: 2, state: 'done', lateMs: 2 * DAY, errorCode: null, startedAt: new Date(T0 + 3 * DAY).toISOString() });
    expect((await call('rotation:due', {})).items).toEqual([]);
    // The next one is planned a period after the new version.
    expect((await call('rotation:status', {})).nextDueAt).toBe(new Date(T0 + 4 * DAY).toISOString());
    await call('rotation:resume', {});
    expect(audits('rotation.resume')).toHaveLength(1);
  });

  it('run now is refused with a typed error for a manual key (no rotation planned) and an unknown key', async () => {
    const manual = await failure(call('rotation:runNow', { keyId: disk.id }));
    expect(manual.code).toBe('illegal_transition');
    expect(manual.message).toContain('manual');
    expect((await call('keys:get', { keyId: disk.id })).currentVersion).toBe(1);
    expect((await failure(call('rotation:runNow', { keyId: '00000000-0000-4000-8000-000000000000' }))).code).toBe('not_found');
  });

  it('a bad period is refused with its field and in words, audited, and nothing stored changes', async () => {
    const before = await call('rotation:policies', {});
    const env = await route('rotation:setTypePolicy', { type: 'communication', policy: { mode: 'scheduled', periodSeconds: 1800 } });
    expect(env.ok).toBe(false);
    if (env.ok) return;
    expect(env.error).toMatchObject({ code: 'invalid_input', details: { field: 'periodSeconds' } });
    expect(env.error.message).toContain('at least 3600 (1 hour)');
    expect(env.error.message).not.toContain('rotation:');
    expect(audits('rotation.policy_set')[0]).toMatchObject({ outcome: 'failure', targetId: 'type:communication', details: { code: 'invalid_input', field: 'periodSeconds' } });
    expect(await call('rotation:policies', {})).toEqual(before);
  });

  it('a bad blackout window names its field; a key override applies to that key only and can be removed', async () => {
    const env = await route('rotation:setKeyPolicy', { keyId: comm.id, policy: { mode: 'scheduled', periodSeconds: 7200, blackoutWindows: [{ cron: '0 6 * * 1-5', durationMinutes: 600 }, { cron: 'every day', durationMinutes: 60 }] } });
    expect(env.ok ? null : env.error.details).toEqual({ field: 'blackoutWindows[1].cron' });
    const set = await call('rotation:setKeyPolicy', { keyId: comm.id, policy: { mode: 'scheduled', periodSeconds: 7200, timeZone: 'Europe/Berlin', usageLimit: 5 } });
    expect(set).toMatchObject({ keyId: comm.id, source: 'key', policy: { periodSeconds: 7200, timeZone: 'Europe/Berlin', usageLimit: 5, jitterSeconds: 72 } });
    const all = await call('rotation:policies', { keyId: comm.id });
    expect(all.key).toMatchObject({ source: 'key', policy: { periodSeconds: 7200 } });
    expect(all.overrides).toEqual([expect.objectContaining({ keyId: comm.id, label: 'uplink', keyType: 'communication', updatedBy: OPERATOR })]);
    expect(all.types.find((t) => t.type === 'communication')).toMatchObject({ source: 'type', policy: { periodSeconds: 86_400 } });
    expect(all.types.find((t) => t.type === 'storage')).toMatchObject({ source: 'default', policy: { mode: 'manual', periodSeconds: null } });
  });

  it('usage per version against the limit: counted encryptions of the current version, warn at 80 %', async () => {
    for (let i = 0; i < 3; i++) await call('keys:encrypt', { keyId: comm.id, plaintext: new Uint8Array([1, 2, 3]) });
    const u = await call('rotation:usage', { keyId: comm.id });
    // limit 5 (the override above): 80 % rounded up is 4.
    expect(u.versions).toEqual([
      { keyId: comm.id, label: 'uplink', keyType: 'communication', version: 2, current: true, count: 3, limit: 5, warnAt: 4, warned: false, limitReached: false },
      { keyId: comm.id, label: 'uplink', keyType: 'communication', version: 1, current: false, count: 0, limit: 5, warnAt: 4, warned: false, limitReached: false },
    ]);
    const all = await call('rotation:usage', {});
    expect(all.versions.map((v) => [v.label, v.version])).toEqual(expect.arrayContaining([['uplink', 2], ['disk', 1]]));
    const cleared = await call('rotation:clearKeyPolicy', { keyId: comm.id });
    expect(cleared).toMatchObject({ source: 'type', policy: { periodSeconds: 86_400 } });
  });

  it('rotations that came due while locked are counted at unlock and reported by status', async () => {
    await call('session:lock', {});
    expect((await failure(call('rotation:status', {}))).code).toBe('locked');
    expect((await failure(call('rotation:due', {}))).code).toBe('locked');
    clock.set(T0 + 6 * DAY);
    await call('session:unlock', { operator: OPERATOR, passphrase: PASSPHRASE });
    const s = await call('rotation:status', {});
    expect(s.waitedWhileLocked).toEqual({ count: 1, unlockedAt: new Date(T0 + 6 * DAY).toISOString() });
    expect(s.dueNow).toBe(1);
  });

  it('bad inputs: typed invalid_input naming the field, the handler never reached', async () => {
    const cases: Array<[ChannelName, unknown, string]> = [
      ['rotation:runNow', { keyId: 'not-a-key' }, 'keyId'],
      ['rotation:upcoming', { days: 91 }, 'days'],
      ['rotation:upcoming', { days: 1.5 }, 'days'],
      ['rotation:jobs', { limit: 0 }, 'limit'],
      ['rotation:setTypePolicy', { type: 'bogus', policy: { mode: 'manual' } }, 'type'],
      ['rotation:setTypePolicy', { type: 'storage', policy: { mode: 'weekly' } }, 'policy.mode'],
      ['rotation:setKeyPolicy', { keyId: comm.id, policy: { mode: 'manual', secret: 1 } }, 'policy'],
      ['rotation:status', { extra: true }, '(input)'],
    ];
    const before = c.keys.get(comm.id).currentVersion;
    for (const [channel, input, field] of cases) {
      const env = await route(channel, input);
      expect(env.ok, channel).toBe(false);
      if (env.ok) continue;
      expect(env.error.code, channel).toBe('invalid_input');
      expect(env.error.details?.field, `${channel} ${JSON.stringify(input)}`).toBe(field);
    }
    expect(c.keys.get(comm.id).currentVersion).toBe(before);
  });
});

describe('run now racing a scheduler pass', () => {
  it('a key the pass reaches while an officer runs it now is rotated once (one new version, one key.rotate)', async () => {
    const dir = tempDir('ecps-rot-race-');
    const clock = manualClock(T0);
    // One rotation at a time, so the pass is still busy with the first key when the officer runs the second.
    const c = await createConsole({ dataDir: dir, kdf: FAST_KDF, logger: createMemoryLogger(), clock, rotation: { scheduler: false, concurrency: 1 } });
    try {
      const call = contractCaller(() => c);
      await call('session:init', { operator: OPERATOR, passphrase: PASSPHRASE });
      await call('rotation:setTypePolicy', { type: 'communication', policy: { mode: 'scheduled', periodSeconds: 24 * 3600, jitterSeconds: 0 } });
      const first = await call('keys:create', { type: 'communication', label: 'first' });
      clock.advance(60_000);
      const second = await call('keys:create', { type: 'communication', label: 'second' });
      clock.set(T0 + 2 * DAY);
      // The pass starts with `first` (the earlier due time) and awaits its rotation; meanwhile the officer runs `second`.
      const pass = c.rotation.scheduler.tick();
      const officer = call('rotation:runNow', { keyId: second.id });
      const [report, run] = await Promise.all([pass, officer]);
      expect(run).toMatchObject({ fromVersion: 1, toVersion: 2 });
      expect(report.ran.find((r) => r.keyId === first.id)).toMatchObject({ outcome: 'success', toVersion: 2 });
      expect(report.ran.filter((r) => r.keyId === second.id && r.outcome !== 'skipped')).toEqual([]);
      for (const k of [first, second]) expect(c.keys.get(k.id).currentVersion, k.label).toBe(2);
      const rotations = c.audit.query({ action: 'key.rotate', targetId: second.id, limit: 10 }).records;
      expect(rotations.map((r) => r.outcome)).toEqual(['success']);
    } finally {
      c.close();
    }
  });
});
