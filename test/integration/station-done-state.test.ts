// What the Station screen reads (station:status, station:progress) about a session's end (docs/station.md, "When a
// port is done"): a port is done only once the DONE frame was written to the robot, a DONE that cannot be written
// ends the port failed as done_not_delivered (audited), and a new station run never shows the last run's rows as its
// own. The real console (store, fleet CA, station service) on in-memory cables, the robot simulator's session code on
// the other end of each, in this process.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventPayload } from '../../shared/contract.ts';
import type { FleetConsole } from '../../electron/app.ts';
import { runRobot, type RobotResult } from '../robot-sim/robotSession.ts';
import { removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { MemoryPort, memoryCable } from '../unit/station-link-kit.ts';
import { contractCaller, until } from './support/consoleCalls.ts';
import { createStationConsole, initStationFleet } from './support/stationRig.ts';

/** The console's writes in a provisioning session, in order (docs/provisioning-protocol.md): DONE is the fourth. */
const PROVISION_WRITES = ['CHALLENGE', 'CERT', 'KEYS', 'DONE'];

describe('station: a port is done only when its robot was sent DONE', () => {
  const dir = tempDir('ecps-station-done-');
  const work = tempDir('ecps-station-done-work-');
  const progress: Array<EventPayload<'station:progress'>> = [];
  /** The cable the station opens next on each path (one per session), and the robot session on its other end. */
  const plugged = new Map<string, { port: MemoryPort; robot: Promise<RobotResult>; unplug(): void }>();
  let caPem = '';
  let c: FleetConsole;
  const call = contractCaller(() => c);

  /** A robot on `portPath`: its session starts when the station opens the port; `failWrite` makes that console write fail. */
  const plugIn = (portPath: string, deviceId: string, failWrite?: string) => {
    const cable = memoryCable();
    const port = new MemoryPort();
    port.peer = cable.robotEnd;
    cable.robotEnd.peer = port;
    if (failWrite) port.failFrom = { index: PROVISION_WRITES.indexOf(failWrite), error: new Error('EIO') };
    const keystore = path.join(work, deviceId);
    // The robot's own wait is a hang guard only: the test unplugs the cable once the console's session has ended.
    const robot = runRobot(cable.robotChannel, { deviceId, keystore, caCertPem: caPem, keyType: 'ec', firmware: '1.0.0', stepTimeoutMs: 60_000 });
    plugged.set(portPath, { port, robot, unplug: () => { port.emit('close'); cable.robotEnd.emit('close'); } });
  };
  const portOf = async (portPath: string) => (await call('station:status', {})).ports.find((p) => p.path === portPath);
  const ended = (portPath: string) => until(`${portPath} ended`, async () => {
    const p = await portOf(portPath);
    return p && p.state !== 'active' ? p : undefined;
  });

  beforeAll(async () => {
    c = await createStationConsole({
      dataDir: dir,
      progress,
      station: {
        pollIntervalMs: 100,
        openPort: async (p) => {
          const cable = plugged.get(p);
          if (!cable) throw new Error(`nothing plugged in on ${p}`);
          return cable.port;
        },
      },
    });
    const { caFile } = await initStationFleet(call, { ca: { commonName: 'Done Fleet CA', work }, robots: { 'uv-1': 'One', 'uv-2': 'Two', 'uv-3': 'Three' } });
    caPem = readFileSync(caFile, 'utf8');
  });
  afterAll(() => {
    for (const p of plugged.values()) p.unplug();
    c.close();
    removeTempDirs();
  });

  it('a DONE that cannot be written: the port ends failed at done (done_not_delivered, audited), never done', async () => {
    plugIn('/mem/a', 'uv-1', 'DONE');
    await call('station:start', { paths: ['/mem/a'] });
    const port = await ended('/mem/a');
    await call('station:stop', {});
    plugged.get('/mem/a')?.unplug();
    expect(port).toMatchObject({ deviceId: 'uv-1', state: 'failed', step: 'done', error: { code: 'done_not_delivered' } });
    // No event ever told the screen this port was done; its last one is the failure.
    const events = progress.filter((p) => p.port === '/mem/a');
    expect(events.filter((p) => p.state === 'done')).toEqual([]);
    expect(events.at(-1)).toMatchObject({ state: 'failed', step: 'done', error: { code: 'done_not_delivered' } });
    // The robot never heard DONE: it does not count itself provisioned.
    expect((await plugged.get('/mem/a')?.robot)?.ok).toBe(false);
    // Audited like any failed session; the commit (the robot confirmed its keys) stands and is not audited as a success.
    const audits = c.audit.query({ action: 'station.provision', targetId: 'uv-1', offset: 0, limit: 10 }).records;
    expect(audits.map((r) => [r.outcome, r.details.step, r.details.code])).toEqual([['failure', 'done', 'done_not_delivered']]);
    expect((await call('fleet:get', { deviceId: 'uv-1' })).status).toBe('provisioned');
    expect(await call('station:status', {})).toMatchObject({ provisionedThisShift: 0, failedThisShift: 1 });
  });

  it('a DONE written: done, announced by an event once the session ended', async () => {
    plugIn('/mem/b', 'uv-2');
    await call('station:start', { paths: ['/mem/b'] });
    const port = await ended('/mem/b');
    await call('station:stop', {});
    expect(port).toMatchObject({ deviceId: 'uv-2', state: 'done', step: 'done', error: null });
    expect((await plugged.get('/mem/b')?.robot)?.ok).toBe(true);
    const events = progress.filter((p) => p.port === '/mem/b');
    // The 'done' step is reported while DONE is being sent (active), then the end of the session (done).
    expect(events.slice(-2).map((p) => [p.step, p.state])).toEqual([['done', 'active'], ['done', 'done']]);
  });

  it('a new run starts without the last run\'s rows: no old "done" reads as the new run\'s', async () => {
    expect((await portOf('/mem/b'))?.state).toBe('done'); // the stopped run's outcome stays on screen until a new run
    plugIn('/mem/b', 'uv-3');
    const started = await call('station:start', { paths: ['/mem/b'] });
    expect(started.ports).toEqual([]);
    const port = await ended('/mem/b');
    await call('station:stop', {});
    expect(port).toMatchObject({ deviceId: 'uv-3', state: 'done' });
  });
});
