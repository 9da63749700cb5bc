// What the Station screen is told of the orders step (docs/station.md, "Orders and CRLs on the port"): at a
// distribute-mode station, each port's row (station:status) and its station:progress events carry, per robot, the
// lockdown orders and the CRL sent to it and what it answered: accepted, refused with its code, or an answer the
// console refused. The real console (store, fleet CA, emergency key, station service) on in-memory cables, the robot
// simulator's session code on the other end of each, in this process. The expected items are derived from what the
// test issues (which orders cover which robot in the registry, the CRL number published) and from how each simulated
// robot is set up to answer.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, type EventPayload } from '../../shared/contract.ts';
import type { StationOrderResult, StationPort } from '../../shared/stationContract.ts';
import type { FleetConsole } from '../../electron/app.ts';
import type { Misbehaviour } from '../robot-sim/robotSession.ts';
import { runRobot, type RobotResult } from '../robot-sim/robotSession.ts';
import { removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { MemoryPort, memoryCable } from '../unit/station-link-kit.ts';
import { contractCaller, until } from './support/consoleCalls.ts';
import { createStationConsole, initStationFleet, memoryCableOpener } from './support/stationRig.ts';

/** Every robot is registered at Plant 1 (initStationFleet); what each one believes and does differs. */
const REGISTRY_SITE = 'Plant 1';
interface RobotSetup {
  /** The site the robot believes it is at (its own scope check). */
  site: string;
  /** Provisioned before the emergency key existed: it holds none and refuses every order. */
  early?: true;
  misbehave?: Misbehaviour;
  /** What it answers to an order, and to the CRL (docs/lockdown-orders.md, "What a robot checks"). */
  orderAnswer: string;
  crlAnswer: string;
}
const ROBOTS: Record<string, RobotSetup> = {
  'uv-early': { site: REGISTRY_SITE, early: true, orderAnswer: 'no_emergency_key', crlAnswer: 'accepted' },
  'uv-1': { site: REGISTRY_SITE, orderAnswer: 'accepted', crlAnswer: 'accepted' },
  'uv-2': { site: REGISTRY_SITE, orderAnswer: 'accepted', crlAnswer: 'accepted' },
  // The registry says Plant 1, the robot believes it was moved: it refuses a Plant 1 order as out of its scope.
  'uv-moved': { site: 'Plant 9', orderAnswer: 'out_of_scope', crlAnswer: 'accepted' },
  // Signs its ORDER_ACK with another key: the console refuses its first answer and the session ends there.
  'uv-forger': { site: REGISTRY_SITE, misbehave: 'forged-ack', orderAnswer: 'forged_ack', crlAnswer: 'forged_ack' },
};
/** The orders issued, oldest first, with their scope in the words the screen shows. */
type TestScope = { site: string } | { deviceIds: string[] };
const ORDERS: ReadonlyArray<{ scope: TestScope; words: string }> = [
  { scope: { site: REGISTRY_SITE }, words: `site ${REGISTRY_SITE}` },
  { scope: { deviceIds: ['uv-2'] }, words: 'robot uv-2' },
];

const covers = (scope: TestScope, deviceId: string): boolean => ('site' in scope ? scope.site === REGISTRY_SITE : scope.deviceIds.includes(deviceId));
const outcomeOf = (answer: string): StationOrderResult['outcome'] => (answer === 'accepted' ? 'accepted' : answer === 'forged_ack' ? 'answer_refused' : 'refused');

describe('station: the orders step on the port, per item', () => {
  const dir = tempDir('ecps-station-orders-');
  const work = tempDir('ecps-station-orders-work-');
  const progress: Array<EventPayload<'station:progress'>> = [];
  const plugged = new Map<string, { port: MemoryPort; powerOn(): Promise<RobotResult>; unplug(): void }>();
  let caPem = '';
  let c: FleetConsole;
  const call = contractCaller(() => c);
  const pathOf = (deviceId: string) => `/mem/${deviceId}`;

  const plugIn = (deviceId: string) => {
    const cable = memoryCable();
    const port = new MemoryPort();
    port.peer = cable.robotEnd;
    cable.robotEnd.peer = port;
    const r = ROBOTS[deviceId] as RobotSetup;
    // The robot powers on (says HELLO) when the station opens its port: a HELLO sent to a port nobody reads is lost.
    const powerOn = () => runRobot(cable.robotChannel, {
      deviceId, keystore: path.join(work, deviceId), caCertPem: caPem, keyType: 'ec', firmware: '1.0.0', stepTimeoutMs: 60_000,
      facts: { site: r.site, model: 'UV-7', tags: null }, ...(r.misbehave ? { misbehave: r.misbehave } : {}),
    });
    plugged.set(pathOf(deviceId), { port, powerOn, unplug: () => { port.emit('close'); cable.robotEnd.emit('close'); } });
  };
  /** One station run of `mode` with these robots plugged in; the port rows once every session ended. */
  const run = async (mode: 'provision' | 'distribute', deviceIds: string[]): Promise<StationPort[]> => {
    for (const d of deviceIds) plugIn(d);
    await call('station:start', { paths: deviceIds.map(pathOf), mode });
    const ports = await until(`${mode} sessions ended`, async () => {
      const s = await call('station:status', {});
      return s.ports.length === deviceIds.length && s.ports.every((p) => p.state !== 'active') ? s.ports : undefined;
    }, 120_000);
    await call('station:stop', {});
    for (const d of deviceIds) plugged.get(pathOf(d))?.unplug();
    return ports;
  };

  /** The USB listing the station sees (last test): the robot's port while plugged in, and how many scans there were. */
  let usbPresent = false;
  let listed = 0;
  let crlNumber = 0;
  const sequences: number[] = [];
  let distributed: StationPort[] = [];

  beforeAll(async () => {
    c = await createStationConsole({
      dataDir: dir,
      progress,
      station: {
        pollIntervalMs: 100,
        listPorts: async () => {
          listed++;
          return usbPresent ? [{ path: pathOf('uv-1'), vendorId: '2e8a', productId: '000a' }] : [];
        },
        openPort: memoryCableOpener(plugged),
      },
    });
    const { caFile } = await initStationFleet(call, { ca: { commonName: 'Orders Fleet CA', work }, robots: Object.fromEntries(Object.keys(ROBOTS).map((d) => [d, d])) });
    caPem = readFileSync(caFile, 'utf8');
    const early = Object.keys(ROBOTS).filter((d) => ROBOTS[d]?.early);
    expect((await run('provision', early)).map((p) => p.state)).toEqual(early.map(() => 'done'));
    await call('keys:create', { type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' });
    const rest = Object.keys(ROBOTS).filter((d) => !ROBOTS[d]?.early);
    expect((await run('provision', rest)).map((p) => p.state)).toEqual(rest.map(() => 'done'));
    for (const o of ORDERS) {
      const out = await call('emergency:lockdownOrder', { kind: 'lockdown', scope: o.scope, actions: ['stop_operating'], reason: 'drill', message: 'Stop now', validForSeconds: 3600 });
      sequences.push(out.order.sequence);
    }
    crlNumber = (await call('ca:crl', {})).crlNumber;
    progress.length = 0;
    distributed = await run('distribute', Object.keys(ROBOTS));
  }, 240_000);
  afterAll(() => {
    for (const p of plugged.values()) p.unplug();
    c.close();
    removeTempDirs();
  });

  /** The items pending for each robot (its orders oldest first, then the CRL), with what it answers. */
  const pendingFor = (deviceId: string) => {
    const r = ROBOTS[deviceId] as RobotSetup;
    const orders = ORDERS.flatMap((o, i) => (covers(o.scope, deviceId) ? [{ item: 'order' as const, ref: sequences[i] as number, orderKind: 'lockdown' as const, scope: o.words, ca: null }] : []));
    return [...orders.map((o) => ({ ...o, answer: r.orderAnswer })), { item: 'crl' as const, ref: crlNumber, orderKind: null, scope: null, ca: 'current' as const, answer: r.crlAnswer }];
  };
  /** The items each robot is sent and what it answers, as the screen gets them. */
  const expectedFor = (deviceId: string): StationOrderResult[] => {
    const items = pendingFor(deviceId);
    // A refused answer ends the session: nothing after it is sent.
    const last = items.findIndex((i) => outcomeOf(i.answer) === 'answer_refused');
    return items.slice(0, last === -1 ? items.length : last + 1).map(({ answer, ...i }) => ({ ...i, outcome: outcomeOf(answer), result: answer, message: expect.any(String) as unknown as string }));
  };
  /** The items a robot's failed session never sent: those after the answer the console refused; none for a session that went on. */
  const notSentFor = (deviceId: string) => {
    const items = pendingFor(deviceId);
    const last = items.findIndex((i) => outcomeOf(i.answer) === 'answer_refused');
    return last === -1 ? [] : items.slice(last + 1).map(({ answer: _answer, ...i }) => i);
  };

  it.each(Object.keys(ROBOTS))('%s: its port row lists each order and CRL sent and its answer, in the order sent', (deviceId) => {
    const port = distributed.find((p) => p.path === pathOf(deviceId));
    expect(port?.orders).toEqual(expectedFor(deviceId));
    expect(port?.notSent).toEqual(notSentFor(deviceId));
    if (ROBOTS[deviceId]?.misbehave === 'forged-ack') expect(port?.notSent.length).toBeGreaterThan(0);
    expect(port?.reissued).toBe(false);
    // The forger's session fails at the orders step (its answer refused); the others go on to their bundle.
    if (ROBOTS[deviceId]?.misbehave === 'forged-ack') expect(port).toMatchObject({ state: 'failed', step: 'orders', error: { code: 'forged_ack' } });
    else expect(port).toMatchObject({ state: 'done', step: 'done', error: null });
  });

  it.each(Object.keys(ROBOTS))('%s: station:progress announces each answer as it comes (step orders) and ends with the whole list', (deviceId) => {
    const mine = progress.filter((p) => p.port === pathOf(deviceId));
    for (const p of mine) expect(() => events['station:progress'].parse(p)).not.toThrow();
    const expected = expectedFor(deviceId);
    // Entering the step (none answered yet), then one event per answer, each with the list so far.
    expect(mine.filter((p) => p.step === 'orders' && p.state === 'active').map((p) => p.orders.length)).toEqual([0, ...expected.map((_, i) => i + 1)]);
    expect(mine.at(-1)?.orders).toEqual(expected);
    // What was never sent is told at the session's end only, with the failure.
    expect(mine.at(-1)?.notSent).toEqual(notSentFor(deviceId));
    expect(mine.slice(0, -1).every((p) => p.notSent.length === 0)).toBe(true);
    // The session starts with no item shown (hello), and the answers stay on the row through the bundle steps.
    expect(mine[0]).toMatchObject({ step: 'hello', orders: [] });
    for (const p of mine.filter((e) => ['bundle', 'install', 'commit', 'done'].includes(e.step))) expect(p.orders).toEqual(expected);
  });

  it('a robot plugged in again on the same port in the same run starts with an empty list: nothing pending, no orders step', async () => {
    // A USB-listed port: the station starts a session when it appears and again after it was gone from a scan.
    const order = await call('emergency:lockdownOrder', { kind: 'lockdown', scope: { deviceIds: ['uv-1'] }, actions: ['safe_mode'], reason: 'drill 2', message: 'Safe mode', validForSeconds: 3600 });
    const usb = pathOf('uv-1');
    const seen = progress.length;
    usbPresent = true;
    plugIn('uv-1');
    await call('station:start', { vendorIds: ['2e8a'], mode: 'distribute' });
    const sessionEnds = () => progress.slice(seen).filter((p) => p.port === usb && p.state !== 'active');
    const first = await until('the first session ended', () => sessionEnds()[0]);
    expect(first).toMatchObject({ state: 'done', orders: [{ item: 'order', ref: order.order.sequence, orderKind: 'lockdown', scope: 'robot uv-1', outcome: 'accepted' }] });
    // Unplugged: a scan without the port, then plugged in again.
    plugged.get(usb)?.unplug();
    usbPresent = false;
    const scans = listed;
    await until('a scan without the port', () => (listed > scans ? true : undefined));
    plugIn('uv-1');
    usbPresent = true;
    const second = await until('the second session ended', () => sessionEnds()[1]);
    await call('station:stop', {});
    plugged.get(usb)?.unplug();
    expect(second, JSON.stringify(second)).toMatchObject({ state: 'done', orders: [] });
    expect((await call('station:status', {})).ports.find((p) => p.path === usb)?.orders).toEqual([]);
    const secondSession = progress.slice(progress.indexOf(first) + 1).filter((p) => p.port === usb);
    expect(secondSession.map((p) => p.step)).not.toContain('orders');
    expect(secondSession.every((p) => p.orders.length === 0)).toBe(true);
  });
});
