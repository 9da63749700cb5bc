// One provisioning over a real socat pty pair: the console side through ProvisioningStation + serialport,
// the robot simulator as a child process on the other end, booted with --wait-signal and powered on once it said it
// is ready and the console's session has started. The pair is "unplugged" (socat ended) when the robot exits.
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { manualClock } from '../../electron/clock.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import type { ProvisioningDeps, SessionResult } from '../../electron/station/session.ts';
import { ProvisioningStation, openSerialPort } from '../../electron/station/station.ts';
import { spawnRobot, startPtyPair, tempDir, type RobotProcess } from './harness.ts';

export interface ScenarioOptions {
  deps: ProvisioningDeps;
  caCertFile: string;
  deviceId: string;
  keystore?: string;
  misbehave?: string;
  keyType?: 'ec' | 'rsa';
  stepTimeoutMs?: number;
  /** How long the robot waits for each console frame (robot.ts --timeout-ms): 60 s unless given. */
  robotTimeoutMs?: number;
  allowReprovision?: boolean;
  thinkMs?: number;
  /** Folder for the robot's key store (removed by the test); the OS temp folder otherwise. */
  workDir?: string;
}

export interface ScenarioOutcome {
  result: SessionResult;
  robot: Awaited<RobotProcess['result']>;
  keystore: string;
  steps: string[];
  logs: ReturnType<typeof createMemoryLogger>['entries'];
}

export async function provisionOnce(o: ScenarioOptions): Promise<ScenarioOutcome> {
  const pair = await startPtyPair();
  const keystore = o.keystore ?? tempDir('robot-ks-', o.workDir);
  let robot: RobotProcess | undefined;
  try {
    const port = await openSerialPort(pair.consolePath, 115200);
    const logger = createMemoryLogger();
    const station = new ProvisioningStation({
      deps: o.deps, clock: manualClock(), logger, stepTimeoutMs: o.stepTimeoutMs ?? 8000,
      openPort: async () => port, allowReprovision: () => o.allowReprovision === true,
    });
    const steps: string[] = [];
    station.on('progress', (p: { step: string }) => steps.push(p.step));
    // The robot boots first and says it is ready; only then does the console's session (and its first step timeout)
    // start, and the robot is powered on: a loaded machine's slow process start never counts against a step. It waits
    // up to 60 s for each console frame (its own default is 10 s), as in overCable (harness.ts): a robot that gives up
    // first on a loaded machine answers `timeout` instead of what the test checks; a stalled console still ends the
    // session by its step timeout and ERROR frame.
    robot = spawnRobot({ port: pair.robotPath, deviceId: o.deviceId, keystore, caCertFile: o.caCertFile, misbehave: o.misbehave, keyType: o.keyType, thinkMs: o.thinkMs, waitSignal: true, extraArgs: ['--timeout-ms', String(o.robotTimeoutMs ?? 60_000)] });
    void robot.result.then(() => pair.unplug());
    await robot.ready;
    const session = station.provisionPort(pair.consolePath);
    robot.powerOn();
    const result = await session;
    const robotTimer = setTimeout(() => robot?.kill(), 5000);
    const robotResult = await robot.result;
    clearTimeout(robotTimer);
    return { result, robot: robotResult, keystore, steps, logs: logger.entries };
  } finally {
    robot?.kill();
    pair.unplug();
  }
}

export function robotStoredKeys(keystore: string): Array<{ keyId: string; version: number; material: string }> {
  const file = path.join(keystore, 'keys.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Array<{ keyId: string; version: number; material: string }>) : [];
}

export function robotState(keystore: string): { provisioned: boolean; transcriptHash: string } | undefined {
  const file = path.join(keystore, 'state.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { provisioned: boolean; transcriptHash: string }) : undefined;
}
