// Robots provisioned per minute: 4 simulated robots in parallel (4 socat pty pairs, 4 station sessions) vs 1 at a time.
// Each robot is its own simulator process on its own pty pair, through the real serialport stack on both ends. The
// simulators are booted before the clock starts (a robot on the line is already powered up), with their crypto paths
// warmed (robotSession.ts warmUp: firmware has no first-call costs, a fresh Node process does); the clock covers the
// console opening the port, the whole protocol (key generation on the robot, CSR, CA, wrapping, confirmation) and commit.
// The simulators share this machine's 2 cores with the console; a second row models robot-side compute time
// (what a small MCU spends on key generation and unwrapping) as waiting on the robot, as on real hardware.
import { rmSync } from 'node:fs';
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

/** Provisions the rigs, `lanes` at a time; returns robots per minute. */
async function measure(ca: TestCa, rigs: Array<Rig & { id: string }>, lanes: number): Promise<number> {
  const { deps } = realDeps(ca, rigs.map((r) => r.id));
  const byPath = new Map(rigs.map((r) => [r.pair.consolePath, r]));
  const station = new ProvisioningStation({
    deps, clock: manualClock(), logger: silentLogger, stepTimeoutMs: 20_000,
    openPort: async (path, baud) => {
      const port = await openSerialPort(path, baud);
      byPath.get(path)?.robot.powerOn();
      return port;
    },
  });
  const queue = [...rigs];
  const t0 = performance.now();
  await Promise.all(Array.from({ length: lanes }, async () => {
    for (let rig = queue.shift(); rig; rig = queue.shift()) {
      const result = await station.provisionPort(rig.pair.consolePath);
      if (!result.ok) throw new Error(`bench provisioning of ${rig.id} failed: ${result.error.code} ${result.error.message}`);
      await rig.robot.result;
    }
  }));
  return (rigs.length / (performance.now() - t0)) * 60_000;
}

export async function run(): Promise<BenchResult[]> {
  const ca = await createTestCa();
  const root = tempDir('bench-station-');
  const caCertFile = writeCaFile(root, ca.caCertPem);
  const results: BenchResult[] = [];
  try {
  for (const { thinkMs, count, label } of [
    { thinkMs: 0, count: 8, label: 'simulators share the 2 cores' },
    { thinkMs: 300, count: 8, label: '300 ms modelled robot compute before CSR and before CONFIRM' },
  ]) {
    const rigs: Array<Rig & { id: string }> = [];
    try {
      const single = await bootRigs(count, `S${thinkMs}`, caCertFile, thinkMs, root);
      rigs.push(...single);
      const baseline = await measure(ca, single, 1);
      const parallel = await bootRigs(count * 2, `P${thinkMs}`, caCertFile, thinkMs, root);
      rigs.push(...parallel);
      const measured = await measure(ca, parallel, LANES);
      results.push({
        name: `station provisioning, ${LANES} robots in parallel vs 1 (${label})`,
        unit: 'robots/min',
        baseline,
        measured,
        ratio: measured / baseline,
        target: '>= 3x one robot at a time',
        pass: measured / baseline >= 3,
        note: `${count} robots one at a time, ${count * 2} robots ${LANES} at a time; each robot a booted simulator on its own socat pair`,
      });
    } finally {
      for (const r of rigs) {
        r.robot.kill();
        r.pair.unplug();
      }
    }
  }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return results;
}
