// Rollout of a new key version to robots in waves (docs/rotation.md "Rollout to robots"), in the real console with an
// injected clock: four robots provisioned over socat ptys by the simulator (child processes) hold the communication
// key at v1; the clock moves a day ahead and the scheduler rotates the key (v2), which queues a rollout with uv-r1 as
// the canary (the key's rollout policy). The station in distribute mode (station.distributeOnce) then serves each robot
// what the rollout says it is due: the rest keeps v1 until the canary confirmed; a canary that sends a wrong
// INSTALLED proof halts the rollout (threshold 0), so even the canary keeps v1; an officer resumes; the canary's
// confirmation opens the rest's wave; v1 cannot be retired while a robot holds it and retires on its own once nobody
// does and its grace ended; a forced retirement of v2 (after an officer's rotation to v3) flags its holders "needs a
// visit" until they install a newer version.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { robotStoredKeys } from '../robot-sim/scenario.ts';
import { removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { contractCaller, failure } from './support/consoleCalls.ts';
import { createStationConsole, distributeWithSimulator, initStationFleet, provisionWithSimulator, robotBench, type StationProgress } from './support/stationRig.ts';

const HOUR = 3_600_000;
const ROBOTS = ['uv-r1', 'uv-r2', 'uv-r3', 'uv-r4'] as const;

describe('rollout of a rotated key to robots in waves', () => {
  const dir = tempDir('ecps-rollout-console-');
  const work = tempDir('ecps-rollout-work-');
  const progress: StationProgress[] = [];
  const clock = manualClock(Date.now());
  const keystores = new Map<string, string>();
  let c: FleetConsole;
  let caFile = '';
  let comm = '';
  const call = contractCaller(() => c);
  const bench = robotBench(() => caFile);
  const audits = (action: string) => c.audit.query({ action, offset: 0, limit: 100 }).records;
  const rollout = async () => {
    const { rollouts } = await call('rollout:list', { keyId: comm });
    return call('rollout:get', { rolloutId: rollouts[0]!.rolloutId, robots: true });
  };
  const memberState = async () => Object.fromEntries((await rollout()).members!.map((m) => [m.deviceId, m.state]));
  /** One distribute-mode session for the robot; returns the session result and the comm versions in its key store. */
  const distribute = async (deviceId: string, misbehave?: string) => {
    const out = await distributeWithSimulator(c, bench, progress, deviceId, { keystore: keystores.get(deviceId)!, ...(misbehave ? { misbehave } : {}) });
    const held = robotStoredKeys(keystores.get(deviceId)!).filter((k) => k.keyId === comm).map((k) => k.version).sort();
    const [bundle] = (await call('bundles:list', { deviceId })).bundles;
    return { result: out.result, held, bundleComm: bundle?.keys.find((k) => k.keyId === comm)?.version };
  };
  const holdings = async () =>
    Object.fromEntries((await call('rollout:holdings', { keyId: comm })).sites.map((s) => [s.site, [s.current, s.previous, s.older]]));

  beforeAll(async () => {
    c = await createStationConsole({ dataDir: dir, clock, station: { stepTimeoutMs: 10_000, pollIntervalMs: 200 }, progress, rotation: { scheduler: false } });
    const fleet = await initStationFleet(call, { ca: { commonName: 'Rollout Test CA', work }, robots: { 'uv-r1': 'Canary', 'uv-r2': 'Rest 2', 'uv-r3': 'Rest 3' } });
    await call('fleet:create', { deviceId: 'uv-r4', name: 'Rest 4', model: 'UV-7', site: 'Plant 2' });
    comm = fleet.ids.comm;
    caFile = fleet.caFile;
    // The four robots are provisioned side by side, each on its own cable.
    const provisioned = await Promise.all(ROBOTS.map((id) => provisionWithSimulator(c, bench, progress, id)));
    for (const [i, id] of ROBOTS.entries()) {
      expect(provisioned[i]!.result.ok, id).toBe(true);
      keystores.set(id, provisioned[i]!.keystore);
    }
    await call('rollout:setPolicy', {
      keyId: comm,
      policy: { canaryRobots: ['uv-r1'], canaryPercent: 0, canarySites: [], maxFailureRatio: 0, graceVersions: 1, graceSeconds: 3600 },
    });
  });
  afterAll(() => {
    bench.release();
    c.close();
    removeTempDirs();
  });

  it('the scheduler rotates the due key once and queues a rollout: uv-r1 the canary, the other three the rest', async () => {
    expect(await call('rollout:list', {})).toEqual({ rollouts: [] });
    clock.advance(25 * HOUR); // communication keys rotate every 24 hours (plus at most 864 s of jitter)
    await c.rotation.scheduler.tick();
    expect((await call('keys:get', { keyId: comm })).currentVersion).toBe(2);
    const r = await rollout();
    expect(r).toMatchObject({ fromVersion: 1, toVersion: 2, state: 'running', openWave: 1, waves: 2, robots: 4, installed: 0, failed: 0, pending: 4 });
    expect(r.members!.filter((m) => m.wave === 1).map((m) => m.deviceId)).toEqual(['uv-r1']);
    expect(audits('rollout.queue')).toHaveLength(1);
    expect(audits('rollout.queue')[0]).toMatchObject({ targetId: comm, details: expect.objectContaining({ toVersion: 2, robots: 4, canary: 1, waves: 2 }) });
    expect(await holdings()).toEqual({ 'Plant 1': [0, 3, 0], 'Plant 2': [0, 1, 0] });
  });

  it('a robot of the rest seen before the canary confirmed keeps v1', async () => {
    const d = await distribute('uv-r2');
    expect(d.result.ok).toBe(true);
    expect(d.bundleComm).toBe(1);
    expect(d.held).toEqual([1]);
    expect((await memberState())['uv-r2']).toBe('pending');
  });

  it('a canary that fails its installation proof halts the rollout; halted, even the canary gets v1', async () => {
    const bad = await distribute('uv-r1', 'bad-install-mac');
    expect(bad.result.ok).toBe(false);
    expect(bad.bundleComm).toBe(2);
    const r = await rollout();
    expect(r).toMatchObject({ state: 'halted', haltedBy: 'auto', failed: 1, openWave: 1 });
    expect(audits('rollout.halt')[0]).toMatchObject({ outcome: 'failure', details: expect.objectContaining({ by: 'auto', failed: 1, robots: 1, severity: 'critical' }) });
    const again = await distribute('uv-r1');
    expect(again.result.ok).toBe(true);
    expect(again.bundleComm).toBe(1);
    expect((await call('fleet:get', { deviceId: 'uv-r1' })).keys.find((k) => k.keyId === comm)?.version).toBe(1);
    expect((await failure(call('rollout:halt', { rolloutId: r.rolloutId, reason: 'again' }))).code).toBe('illegal_transition');
  });

  it('after the officer resumes, the canary installs v2, which opens the rest; v1 cannot be retired while robots hold it', async () => {
    const { rolloutId } = await rollout();
    const resumed = await call('rollout:resume', { rolloutId, reason: 'canary firmware fixed' });
    expect(resumed).toMatchObject({ state: 'running', failed: 0, pending: 4, haltReason: null });
    expect(audits('rollout.resume')[0]).toMatchObject({ outcome: 'success', details: expect.objectContaining({ by: 'officer', reason: 'canary firmware fixed', retried: 1 }) });

    const refused = await failure(call('rollout:retire', { keyId: comm, version: 1 }));
    expect(refused).toMatchObject({ code: 'illegal_transition', details: { reason: 'held_by_robots', holders: 4 } });

    const canary = await distribute('uv-r1');
    expect(canary.result.ok).toBe(true);
    expect(canary.held).toEqual([1, 2]);
    expect(await rollout()).toMatchObject({ state: 'running', openWave: 2, installed: 1 });
    expect(audits('rollout.wave_open')[0]).toMatchObject({ details: expect.objectContaining({ wave: 2 }) });

    for (const id of ['uv-r2', 'uv-r3']) {
      const d = await distribute(id);
      expect(d.result.ok, id).toBe(true);
      expect(d.bundleComm, id).toBe(2);
    }
    expect(await holdings()).toEqual({ 'Plant 1': [3, 0, 0], 'Plant 2': [0, 1, 0] });
    expect((await failure(call('rollout:retire', { keyId: comm, version: 1 }))).details).toMatchObject({ holders: 1 });
    expect((await rollout()).state).toBe('running');
  });

  it('the last robot, seen later, completes the rollout; v1 retires on its own once its grace ends', async () => {
    const d = await distribute('uv-r4');
    expect(d.bundleComm).toBe(2);
    expect(await rollout()).toMatchObject({ state: 'done', installed: 4, pending: 0 });
    expect(await holdings()).toEqual({ 'Plant 1': [3, 0, 0], 'Plant 2': [1, 0, 0] });
    const v1 = async () => (await call('rollout:versions', { keyId: comm })).versions.find((v) => v.version === 1);
    expect(await v1()).toMatchObject({ state: 'in_grace', holders: 0 });
    await c.rotation.scheduler.tick();
    expect((await v1())?.state).toBe('in_grace');
    clock.advance(2 * HOUR); // past the one-hour grace
    await c.rotation.scheduler.tick();
    expect(await v1()).toMatchObject({ state: 'retired', retiredBy: 'auto', forced: false });
    expect((await failure(call('rollout:retire', { keyId: comm, version: 1 }))).code).toBe('illegal_transition');
  });

  it('a forced retirement needs a reason and flags the robots left holding the version until they get a newer one', async () => {
    await call('keys:rotate', { keyId: comm }); // an officer's rotation: v3, a new rollout
    expect(await rollout()).toMatchObject({ fromVersion: 2, toVersion: 3, state: 'running', robots: 4 });
    expect((await failure(call('rollout:retire', { keyId: comm, version: 2 }))).details).toMatchObject({ reason: 'held_by_robots', holders: 4 });
    await expect(call('rollout:retire', { keyId: comm, version: 2, force: true })).rejects.toThrow(/reason/);
    const forced = await call('rollout:retire', { keyId: comm, version: 2, force: true, reason: 'v2 leaked from a robot at the depot' });
    expect(forced.flagged).toEqual([...ROBOTS]);
    expect(forced.version).toMatchObject({ state: 'retired', forced: true, reason: 'v2 leaked from a robot at the depot', holders: 4 });
    expect((await call('rollout:needsVisit', {})).robots.map((r) => [r.deviceId, r.site, r.version])).toEqual([
      ['uv-r1', 'Plant 1', 2], ['uv-r2', 'Plant 1', 2], ['uv-r3', 'Plant 1', 2], ['uv-r4', 'Plant 2', 2],
    ]);
    expect((await call('rollout:needsVisit', { site: 'Plant 2' })).robots.map((r) => r.deviceId)).toEqual(['uv-r4']);
    expect(audits('robot.needs_visit')).toHaveLength(4);

    // uv-r2's wave is closed, but the versions it could keep (v2, and v1 before it) are retired: it gets v3 and is no
    // longer flagged; so does the canary.
    expect((await rollout()).openWave).toBe(1);
    expect((await distribute('uv-r2')).bundleComm).toBe(3);
    expect((await distribute('uv-r1')).bundleComm).toBe(3);
    expect((await call('rollout:needsVisit', {})).robots.map((r) => r.deviceId)).toEqual(['uv-r3', 'uv-r4']);
    expect((await call('audit:verify', {})).ok).toBe(true);
  });
});
