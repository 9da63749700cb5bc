// Test harness: socat pseudo-terminal pairs (the "USB cable") and the robot simulator as a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CommitRecord, DeliverableKey, ProvisioningDeps, StationAuditEntry } from '../../electron/station/session.ts';
import { openSerialPort } from '../../electron/station/station.ts';
import { FrameChannel } from '../../electron/station/transport.ts';
import { createTestCa, type TestCa } from './testCa.ts';

/**
 * A "USB cable": two pseudo-terminals joined by socat. `consolePath` and `robotPath` are symbolic links in a directory
 * of this pair's own, which socat removes when it ends: a path that was unplugged stays gone. (The /dev/pts numbers
 * themselves are reused by the kernel at once, so a test running in parallel may get the same number; reopening a bare
 * /dev/pts path after an unplug could then open, and lock, another test's cable.) `consoleDevice` and `robotDevice`
 * are the /dev/pts paths the links point to.
 */
export interface PtyPair { consolePath: string; robotPath: string; consoleDevice: string; robotDevice: string; unplug(): void; process: ChildProcess }

/**
 * Starts `socat -d -d -b 256 pty,raw,echo=0,link=DIR/console pty,raw,echo=0,link=DIR/robot` and waits for its two ptys.
 *
 * `-b 256`: a cable carries each direction on its own, but socat relays both in one loop with blocking writes. With its
 * default 8 KiB steps it could enter a write toward an end that had stopped reading (a robot that refused a chunk and
 * left) and stay in it for good, holding the robot's answer, already written, unread on the other side (seen with
 * strace: `write(robot side, 4095 bytes)` blocked while that side's answer waited). A pty that polls writable takes a
 * write of up to 256 bytes at once (the kernel's smallest tty buffer), so socat never blocks in a write and keeps
 * serving the other direction. docs/testing.md, "The cable".
 */
export function startPtyPair(): Promise<PtyPair> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ecps-cable-'));
  const consolePath = path.join(dir, 'console');
  const robotPath = path.join(dir, 'robot');
  const proc = spawn('socat', ['-d', '-d', '-b', '256', `pty,raw,echo=0,link=${consolePath}`, `pty,raw,echo=0,link=${robotPath}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  proc.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`socat did not report its ptys: ${err}`));
    }, 30_000); // a hang guard: socat starts in milliseconds, but a loaded machine may take seconds
    proc.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      const paths = [...err.matchAll(/PTY is (\/dev\/pts\/\d+)/g)].map((m) => m[1] as string);
      if (paths.length >= 2 && /starting data transfer loop/.test(err)) {
        clearTimeout(timer);
        resolve({ consolePath, robotPath, consoleDevice: paths[0] as string, robotDevice: paths[1] as string, process: proc, unplug: () => void proc.kill('SIGTERM') });
      }
    });
    proc.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

export interface RobotProcess {
  process: ChildProcess;
  /** With waitSignal: resolves once the simulator is booted and attached to its port. */
  ready: Promise<void>;
  /** With waitSignal: "powers the robot on" (it then sends HELLO). */
  powerOn(): void;
  result: Promise<{ exitCode: number | null; stdout: string; stderr: string; json: { ok: boolean; code?: string } | undefined }>;
  kill(): void;
}

export function spawnRobot(args: {
  port: string; deviceId: string; keystore: string; caCertFile: string; misbehave?: string; keyType?: 'ec' | 'rsa'; thinkMs?: number; waitSignal?: boolean;
  /** More simulator options, e.g. what the robot knows of itself (--site, --model, --tags) or its clock (--now). */
  extraArgs?: string[];
}): RobotProcess {
  const argv = ['test/robot-sim/robot.ts', '--port', args.port, '--device-id', args.deviceId, '--keystore', args.keystore, '--ca-cert', args.caCertFile];
  if (args.misbehave) argv.push('--misbehave', args.misbehave);
  if (args.keyType) argv.push('--key-type', args.keyType);
  if (args.thinkMs) argv.push('--think-ms', String(args.thinkMs));
  if (args.waitSignal) argv.push('--wait-signal');
  if (args.extraArgs) argv.push(...args.extraArgs);
  const proc = spawn(process.execPath, argv, { cwd: path.resolve(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  proc.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (stdout.includes('{"ready":true}')) onReady();
  });
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const result = new Promise<Awaited<RobotProcess['result']>>((resolve) => {
    proc.on('exit', (exitCode) => {
      onReady();
      let json;
      try {
        json = JSON.parse(stdout.trim().split('\n').pop() ?? '');
      } catch {
        json = undefined;
      }
      resolve({ exitCode, stdout, stderr, json });
    });
  });
  return { process: proc, ready, powerOn: () => void proc.kill('SIGUSR1'), result, kill: () => void (proc.exitCode === null && proc.kill('SIGKILL')) };
}

/**
 * A robot simulator booted on a fresh cable and powered on, with `consoleSide` playing the console on the other end
 * (the station's own session code, or a hand-made one). Returns what the console side returned and the robot's result.
 */
export async function overCable<T>(robot: Omit<Parameters<typeof spawnRobot>[0], 'port' | 'waitSignal'>, consoleSide: (channel: FrameChannel, port: string) => Promise<T>) {
  const pair = await startPtyPair();
  // The robot waits up to 60 s for each console frame (its own default is 10 s): the console side here is a test
  // that may write several 60 KiB frames on a loaded machine, and a robot that gives up first answers `timeout`
  // instead of the refusal under test (seen once in CI, load 6.5). A caller's own --timeout-ms comes later and wins.
  const sim = spawnRobot({ ...robot, extraArgs: ['--timeout-ms', '60000', ...(robot.extraArgs ?? [])], port: pair.robotPath, waitSignal: true });
  try {
    await sim.ready;
    const port = await openSerialPort(pair.consolePath, 115200);
    const channel = new FrameChannel(port, undefined, { probeIntervalMs: 250 });
    const run = consoleSide(channel, pair.consolePath);
    sim.powerOn();
    const [result, robotResult] = await Promise.all([run, sim.result]);
    channel.detach();
    // The cable is pulled before the port closes: a write the robot never took (it refused an item and stopped
    // reading) then fails at once instead of holding the close.
    pair.unplug();
    await new Promise<void>((r) => port.close(() => r()));
    return { result, robot: robotResult };
  } finally {
    sim.kill();
    pair.unplug();
  }
}

/** Real implementations of the session's dependencies: the test CA, fresh AES-256 keys, in-memory registry. */
export function realDeps(ca: TestCa, known: string[], provisioned: string[] = []) {
  const commits: CommitRecord[] = [];
  const audits: StationAuditEntry[] = [];
  const delivered = new Map<string, DeliverableKey[]>();
  /** Device ids the CA was asked to issue a certificate for, in order. */
  const issued: string[] = [];
  const done = new Set(provisioned);
  const deps: ProvisioningDeps = {
    issueCertificate: (csr, id) => (issued.push(id), ca.issueCertificate(csr, id)),
    async keysToDeliver(deviceId) {
      const keys = [
        { keyId: `comm-${deviceId}`, version: 1, material: randomBytes(32) },
        { keyId: `storage-${deviceId}`, version: 3, material: randomBytes(32) },
      ];
      delivered.set(deviceId, keys);
      return keys;
    },
    isKnownRobot: (id) => known.includes(id),
    isProvisioned: (id) => done.has(id),
    async commitProvisioned(record) {
      commits.push(record);
      done.add(record.deviceId);
    },
    audit: (entry) => void audits.push(entry),
  };
  return { deps, commits, audits, delivered, issued };
}

export function tempDir(prefix: string, parent = tmpdir()): string {
  return mkdtempSync(path.join(parent, prefix));
}

export function writeCaFile(dir: string, pem: string): string {
  const file = path.join(dir, 'fleet-ca.pem');
  writeFileSync(file, pem);
  return file;
}

/** Writes files into `dir`: `(name, content)` returns the file's path (tests that hand files to the simulator). */
export function fileIn(dir: string): (name: string, content: Buffer | string) => string {
  return (name, content) => {
    const file = path.join(dir, name);
    writeFileSync(file, content);
    return file;
  };
}

/** The DER bytes of one PEM block. */
export const pemToDer = (pem: string): Buffer => Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');

/** `count` distinct serials for a CRL: 16 hex digits each, the first digit 1 (a positive INTEGER). */
export const revokedSerials = (count: number): string[] => Array.from({ length: count }, (_, i) => `1${i.toString(16).padStart(15, '0')}`);

/**
 * A robot simulator provisioned once by a fresh test CA over a socat pty pair (the station's own provisioning
 * session, scenario.ts), for tests that then talk to it: the CA, its certificate file in `work`, the robot's keystore.
 * Fails the test when provisioning does not succeed.
 */
export async function provisionedRobot(work: string, deviceId: string): Promise<{ ca: TestCa; caFile: string; keystore: string }> {
  // scenario.ts imports this file: loaded when called, not at import time.
  const { provisionOnce } = await import('./scenario.ts');
  const ca = await createTestCa();
  const caFile = writeCaFile(work, ca.caCertPem);
  const out = await provisionOnce({ deps: realDeps(ca, [deviceId]).deps, caCertFile: caFile, deviceId, workDir: work });
  if (!out.result.ok) throw new Error(`provisioning ${deviceId} failed: ${JSON.stringify(out.result)}`);
  return { ca, caFile, keystore: out.keystore };
}

