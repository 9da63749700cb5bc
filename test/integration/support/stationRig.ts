// The provisioning station in the real console, as the station integration tests set it up: createConsole in a temp
// folder with the station tuning of the test and its station:progress events collected; the fleet it starts from
// (officer, AES-256 keys, fleet CA on the local provider, registered robots); and the socat pty pairs with the robot
// simulator on their robot end (test/robot-sim/harness.ts), kept so that afterAll can kill and unplug them all.
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { EventPayload } from '../../../shared/contract.ts';
import { createConsole, type ConsoleOptions, type FleetConsole } from '../../../electron/app.ts';
import { createMemoryLogger } from '../../../electron/logger.ts';
import type { DistributionResult } from '../../../electron/station/distributeSession.ts';
import type { SessionResult } from '../../../electron/station/session.ts';
import { spawnRobot, startPtyPair, writeCaFile, type PtyPair, type RobotProcess } from '../../robot-sim/harness.ts';
import { FAST_KDF, tempDir } from '../../unit/store-testkit.ts';
import { until, type ContractCall } from './consoleCalls.ts';

export const OPERATOR = 'Officer Ada';
export const PASS = 'fleet passphrase 0123';

export type StationProgress = EventPayload<'station:progress'>;

/**
 * createConsole in `dataDir` with the fast KDF, a memory logger unless `logger` is given, the `station` tuning and any
 * other option given; with `progress`, every station:progress event is appended to it.
 */
export async function createStationConsole(
  o: Partial<ConsoleOptions> & { dataDir: string; station: NonNullable<ConsoleOptions['station']>; progress?: StationProgress[] },
): Promise<FleetConsole> {
  const { progress, ...options } = o;
  const c = await createConsole({ ...options, kdf: FAST_KDF, logger: options.logger ?? createMemoryLogger() });
  if (progress) {
    c.onEvent((event, payload) => {
      if (event === 'station:progress') progress.push(payload as StationProgress);
    });
  }
  return c;
}

/**
 * The fleet a station test starts from: session:init as OPERATOR with PASS; a communication and a storage AES-256 key
 * ('fleet comm', 'fleet storage'); with `ca`, the fleet CA on the local provider (EC P-256) with its certificate
 * written to `ca.work`/fleet-ca.pem; then each robot of `robots` (device id -> name) registered, model UV-7 at Plant 1.
 */
export async function initStationFleet(
  call: ContractCall,
  o: { ca?: { commonName: string; work: string }; robots: Record<string, string> },
): Promise<{ ids: { comm: string; storage: string }; caFile: string }> {
  await call('session:init', { operator: OPERATOR, passphrase: PASS });
  const comm = (await call('keys:create', { type: 'communication', label: 'fleet comm', algorithm: 'AES_256' })).id;
  const storage = (await call('keys:create', { type: 'storage', label: 'fleet storage', algorithm: 'AES_256' })).id;
  let caFile = '';
  if (o.ca) {
    const ca = await call('ca:init', { providerId: 'local', algorithm: 'EC_P256', commonName: o.ca.commonName });
    caFile = writeCaFile(o.ca.work, ca.certificatePem ?? '');
  }
  for (const [deviceId, name] of Object.entries(o.robots)) await call('fleet:create', { deviceId, name, model: 'UV-7', site: 'Plant 1' });
  return { ids: { comm, storage }, caFile };
}

/** How long a simulator spawned here waits for each console frame (robot.ts --timeout-ms). */
/**
 * A station's `openPort` over in-memory cables: the port plugged in at that path, its robot powered on as the console
 * opens it; an unknown path is refused as an empty socket would be.
 */
export function memoryCableOpener<P>(cables: ReadonlyMap<string, { port: P; powerOn(): unknown }>): (path: string) => Promise<P> {
  return async (p) => {
    const cable = cables.get(p);
    if (!cable) throw new Error(`nothing plugged in on ${p}`);
    void cable.powerOn();
    return cable.port;
  };
}

export const ROBOT_FRAME_TIMEOUT_MS = 60_000;

export interface RobotOptions {
  /** The simulator's key store (its flash); a fresh temp folder when absent. */
  keystore?: string;
  /** The fleet CA certificate the robot trusts; the bench's `caFile()` when absent. */
  caCertFile?: string;
  misbehave?: string;
  thinkMs?: number;
  waitSignal?: boolean;
  /** More simulator options (what the robot knows of itself, its clock). */
  extraArgs?: string[];
}

export interface RobotBench {
  readonly pairs: PtyPair[];
  readonly robots: RobotProcess[];
  /** A fresh socat pty pair (the "USB cable"), unplugged by release(). */
  cable(): Promise<PtyPair>;
  /** The robot simulator for `deviceId` on the robot end of `pair`, killed by release(). */
  spawn(pair: PtyPair, deviceId: string, o?: RobotOptions): { keystore: string; robot: RobotProcess };
  /** cable() then spawn() on it. */
  robotOn(deviceId: string, o?: RobotOptions): Promise<{ pair: PtyPair; keystore: string; robot: RobotProcess }>;
  /** Kills every simulator and unplugs every pair started through the bench (for afterAll). */
  release(): void;
}

/** The pty pairs and robot simulators of a test file; `caFile` names the fleet CA certificate once it is written. */
export function robotBench(caFile: () => string): RobotBench {
  const pairs: PtyPair[] = [];
  const robots: RobotProcess[] = [];
  const cable = async () => {
    const pair = await startPtyPair();
    pairs.push(pair);
    return pair;
  };
  const spawn = (pair: PtyPair, deviceId: string, o: RobotOptions = {}) => {
    const { keystore = tempDir('ecps-robot-ks-'), caCertFile = caFile(), extraArgs = [], ...behaviour } = o;
    // The robot waits up to 60 s for each console frame (its own default is 10 s), as in overCable (harness.ts): on a
    // loaded machine a robot that gives up first answers `timeout` instead of what the test checks. A stalled console
    // still ends the session by its own step timeout and ERROR frame; a caller's own --timeout-ms comes later and wins.
    const robot = spawnRobot({ port: pair.robotPath, deviceId, keystore, caCertFile, ...behaviour, extraArgs: ['--timeout-ms', String(ROBOT_FRAME_TIMEOUT_MS), ...extraArgs] });
    robots.push(robot);
    return { keystore, robot };
  };
  return {
    pairs,
    robots,
    cable,
    spawn,
    async robotOn(deviceId, o) {
      const pair = await cable();
      return { pair, ...spawn(pair, deviceId, o) };
    },
    release() {
      for (const r of robots) r.kill();
      for (const p of pairs) p.unplug();
    },
  };
}

/**
 * One session of the console on a fresh cable with a simulator booted with --wait-signal: `run` starts the console's
 * session on the console end; the robot is powered on once that session waits for its HELLO (seen in `progress`, the
 * console's station:progress events), so no step timeout covers the simulator's start.
 */
async function withSimulator<R>(
  bench: RobotBench,
  progress: StationProgress[],
  deviceId: string,
  robotOptions: Omit<RobotOptions, 'waitSignal'>,
  run: (consolePath: string) => Promise<R>,
): Promise<{ result: R; robot: Awaited<RobotProcess['result']>; keystore: string }> {
  const { pair, robot, keystore } = await bench.robotOn(deviceId, { ...robotOptions, waitSignal: true });
  await robot.ready;
  const seen = progress.length;
  const session = run(pair.consolePath);
  await until('the console session on the port', () => (progress.slice(seen).some((p) => p.port === pair.consolePath && p.step === 'hello') ? true : undefined));
  robot.powerOn();
  const [result, robotResult] = await Promise.all([session, robot.result]);
  return { result, robot: robotResult, keystore };
}

/** One provisioning session of the console (station.provisionOnce) with a simulator (see withSimulator). */
export async function provisionWithSimulator(
  c: FleetConsole,
  bench: RobotBench,
  progress: StationProgress[],
  deviceId: string,
  o: Omit<RobotOptions, 'waitSignal'> & { allowReprovision?: boolean } = {},
): Promise<{ result: SessionResult; robot: Awaited<RobotProcess['result']>; keystore: string }> {
  const { allowReprovision, ...robotOptions } = o;
  return withSimulator(bench, progress, deviceId, robotOptions, (path) => c.station.provisionOnce(path, deviceId, { allowReprovision: allowReprovision === true }));
}

/** Provisions each robot in turn from the console's station with the simulator; each must succeed. Their keystores by device id. */
export async function provisionAll(c: FleetConsole, bench: RobotBench, progress: StationProgress[], deviceIds: string[]): Promise<Record<string, string>> {
  const keystores: Record<string, string> = {};
  for (const deviceId of deviceIds) {
    const out = await provisionWithSimulator(c, bench, progress, deviceId);
    if (!out.result.ok) throw new Error(`provisioning ${deviceId} failed: ${JSON.stringify(out.result)}`);
    keystores[deviceId] = out.keystore;
  }
  return keystores;
}

/**
 * One distribution session of the console (station.distributeOnce: a station in distribute mode on that port for that
 * robot) with a simulator (see withSimulator); `keystore` is the robot's key store from its provisioning.
 */
export async function distributeWithSimulator(
  c: FleetConsole,
  bench: RobotBench,
  progress: StationProgress[],
  deviceId: string,
  o: Omit<RobotOptions, 'waitSignal'> & { keystore: string },
): Promise<{ result: DistributionResult; robot: Awaited<RobotProcess['result']>; keystore: string }> {
  return withSimulator(bench, progress, deviceId, o, (path) => c.station.distributeOnce(path, deviceId));
}

/** Runs one of the simulator's one-shot commands (--check-peer-cert, --operate...) as a child process: its exit code and JSON line. */
export async function robotSays(args: string[]): Promise<{ exitCode: number | null; json: Record<string, unknown> }> {
  const proc = spawn(process.execPath, ['test/robot-sim/robot.ts', ...args], { cwd: path.resolve(import.meta.dirname, '../../..'), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exitCode = await new Promise<number | null>((r) => proc.on('exit', r));
  return { exitCode, json: JSON.parse(out.trim().split('\n').pop() ?? '{}') as Record<string, unknown> };
}
