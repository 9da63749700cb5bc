// Robots provisioned per minute: 4 simulated robots in parallel (4 socat pty pairs, 4 station sessions) vs 1 at a time.
// Each robot is its own simulator process on its own pty pair, through the real serialport stack on both ends. The
// simulators are booted before the clock starts (a robot on the line is already powered up), with their crypto paths
// warmed (robotSession.ts warmUp: firmware has no first-call costs, a fresh Node process does); the clock covers the
// console opening the port, the whole protocol (key generation on the robot, CSR, CA, wrapping, confirmation) and commit.
// The simulators share this machine's 2 cores with the console; a second row models robot-side compute time
// (what a small MCU spends on key generation and unwrapping) as waiting on the robot, as on real hardware.
// Two station set-ups: the session with in-memory dependencies (test CA, fresh keys, no store: the protocol's own
// cost), and the whole console (createConsole: SQLite store with synchronous=FULL, fleet CA on the local provider,
// key assignment, the commit transaction and its audit records), each robot provisioned by station.provisionOnce.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { createConsole, type FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { silentLogger } from '../../electron/logger.ts';
import { ProvisioningStation, openSerialPort } from '../../electron/station/station.ts';
import { realDeps, spawnRobot, startPtyPair, tempDir, writeCaFile, type PtyPair, type RobotProcess } from '../robot-sim/harness.ts';
import { createTestCa, type TestCa } from '../robot-sim/testCa.ts';
import type { BenchResult } from './types.ts';

const LANES = 4;

interface Rig { pair: PtyPair; robot: RobotProcess }

async function bootRigs(n: number, prefix: string, caCertFile: string, thinkMs: number, root: string): Promise<Array<Rig & { id: string }>> {
  const rigs: Array<Rig & { id: string }> = [];
  for (let i = 0; i < n; i++) {
    const pair = await startPtyPair();
    const id = `${prefix}-${i}`;
    const robot = spawnRobot({ port: pair.robotPath, deviceId: id, keystore: tempDir('bench-ks-', root), caCertFile, thinkMs, waitSignal: true });
    void robot.result.then(() => pair.unplug());
    rigs.push({ pair, robot, id });
  }
  await Promise.all(rigs.map((r) => r.robot.ready));
  return rigs;
}

type Provision = (rig: Rig & { id: string }) => Promise<{ ok: true } | { ok: false; error: { code: string; message: string } }>;

/** Provisions the rigs, `lanes` at a time, with `provision`; returns robots per minute. */
async function measureWith(provision: Provision, rigs: Array<Rig & { id: string }>, lanes: number): Promise<number> {
  const queue = [...rigs];
  const t0 = performance.now();
  await Promise.all(Array.from({ length: lanes }, async () => {
    for (let rig = queue.shift(); rig; rig = queue.shift()) {
      const result = await provision(rig);
      if (!result.ok) throw new Error(`bench provisioning of ${rig.id} failed: ${result.error.code} ${result.error.message}`);
      await rig.robot.result;
    }
  }));
  return (rigs.length / (performance.now() - t0)) * 60_000;
}

/** Opens a serial port, then powers on the simulated robot attached to it (it says HELLO once the console listens). */
const powerOnAtOpen = (rigs: () => Map<string, Rig>) => async (portPath: string, baud: number) => {
  const port = await openSerialPort(portPath, baud);
  rigs().get(portPath)?.robot.powerOn();
  return port;
};

/** The session alone: in-memory dependencies (the test CA, fresh AES keys, an in-memory registry). */
async function measure(ca: TestCa, rigs: Array<Rig & { id: string }>, lanes: number): Promise<number> {
  const { deps } = realDeps(ca, rigs.map((r) => r.id));
  const byPath = new Map(rigs.map((r) => [r.pair.consolePath, r]));
  const station = new ProvisioningStation({ deps, clock: manualClock(), logger: silentLogger, stepTimeoutMs: 20_000, openPort: powerOnAtOpen(() => byPath) });
  return measureWith((rig) => station.provisionPort(rig.pair.consolePath), rigs, lanes);
}

const CTX = { transport: 'test' } as const;

/** A whole console in `dir` with its fleet CA (local provider) and keys; its CA certificate written for the robots. */
async function benchConsole(dir: string, byPath: Map<string, Rig>): Promise<{ c: FleetConsole; caCertFile: string }> {
  const c = await createConsole({
    dataDir: path.join(dir, 'store'), kdf: { N: 1024, r: 8, p: 1 }, logger: silentLogger,
    station: { stepTimeoutMs: 20_000, openPort: powerOnAtOpen(() => byPath) },
  });
  await c.handlers['session:init']({ operator: 'Bench Officer', passphrase: 'bench passphrase 0123' }, CTX);
  await c.handlers['keys:create']({ type: 'communication', label: 'bench comm', activate: true }, CTX);
  await c.handlers['keys:create']({ type: 'storage', label: 'bench storage', activate: true }, CTX);
  const ca = await c.handlers['ca:init']({ providerId: 'local', algorithm: 'EC_P256', commonName: 'Bench Fleet CA' }, CTX);
  return { c, caCertFile: writeCaFile(dir, ca.certificatePem ?? '') };
}

/** The whole console: registry lookups, CA signature through the provider, key unwrapping, one commit transaction. */
async function measureConsole(c: FleetConsole, rigs: Array<Rig & { id: string }>, lanes: number): Promise<number> {
  const csv = ['device_id,name,model,site,firmware,tags,status', ...rigs.map((r) => `${r.id},${r.id},UV-7,Bench,1.0.0,,manufactured`)].join('\n') + '\n';
  await c.handlers['fleet:importCsv']({ csv }, CTX);
  return measureWith((rig) => c.station.provisionOnce(rig.pair.consolePath, rig.id), rigs, lanes);
}

export async function run(): Promise<BenchResult[]> {
  const ca = await createTestCa();
  const root = tempDir('bench-station-');
  const caCertFile = writeCaFile(root, ca.caCertPem);
  const results: BenchResult[] = [];
  /** Boots `count` robots and measures them one at a time, then `count * 2` robots LANES at a time; one result row. */
  const compare = async (o: { label: string; prefix: string; caCertFile: string; thinkMs: number; note: string; measure: (rigs: Array<Rig & { id: string }>, lanes: number) => Promise<number>; booted?: (rigs: Rig[]) => void }) => {
    const count = 8;
    const rigs: Array<Rig & { id: string }> = [];
    try {
      const single = await bootRigs(count, `${o.prefix}S${o.thinkMs}`, o.caCertFile, o.thinkMs, root);
      rigs.push(...single);
      o.booted?.(single);
      const baseline = await o.measure(single, 1);
      const parallel = await bootRigs(count * 2, `${o.prefix}P${o.thinkMs}`, o.caCertFile, o.thinkMs, root);
      rigs.push(...parallel);
      o.booted?.(parallel);
      const measured = await o.measure(parallel, LANES);
      results.push({
        name: `station provisioning, ${LANES} robots in parallel vs 1 (${o.label})`,
        unit: 'robots/min',
        baseline,
        measured,
        ratio: measured / baseline,
        target: '>= 3x one robot at a time',
        pass: measured / baseline >= 3,
        note: `${count} robots one at a time, ${count * 2} robots ${LANES} at a time; ${o.note}`,
      });
    } finally {
      for (const r of rigs) {
        r.robot.kill();
        r.pair.unplug();
      }
    }
  };
  try {
    for (const { thinkMs, label } of [
      { thinkMs: 0, label: 'simulators share the 2 cores' },
      { thinkMs: 300, label: '300 ms modelled robot compute before CSR and before CONFIRM' },
    ]) {
      await compare({ label, prefix: '', caCertFile, thinkMs, note: 'each robot a booted simulator on its own socat pair', measure: (rigs, lanes) => measure(ca, rigs, lanes) });
    }
    // The same comparison through the whole console.
    for (const { thinkMs, label } of [
      { thinkMs: 0, label: 'whole console, simulators share the 2 cores' },
      { thinkMs: 300, label: 'whole console, 300 ms modelled robot compute' },
    ]) {
      const byPath = new Map<string, Rig>();
      const { c, caCertFile: consoleCa } = await benchConsole(tempDir(`bench-console-${thinkMs}-`, root), byPath);
      try {
        await compare({
          label, prefix: 'C', caCertFile: consoleCa, thinkMs,
          note: 'createConsole (SQLite store, fleet CA on the local provider), station.provisionOnce per robot',
          booted: (rigs) => rigs.forEach((r) => byPath.set(r.pair.consolePath, r)),
          measure: (rigs, lanes) => measureConsole(c, rigs, lanes),
        });
      } finally {
        c.close();
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return results;
}
