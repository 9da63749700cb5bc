// The factory station: watches serial ports (USB vendor/product filter, or explicit paths), opens each new one with
// serialport and runs one session on it, several in parallel; reports progress per port and counts the shift.
// Mode 'provision' runs the provisioning session (session.ts); mode 'distribute' sends each provisioned robot its
// next key bundle (distributeSession.ts).
import { EventEmitter } from 'node:events';
import type { StationMode } from '../../shared/stationContract.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { StationError } from './errors.ts';
import { pollForEveryWaiter } from './serialPoller.ts';
import { runDistributionSession, type DistributeStep, type DistributionDeps, type DistributionResult } from './distributeSession.ts';
import { runConsoleSession, type ProvisioningDeps, type SessionResult, type SessionStep } from './session.ts';
import { FrameChannel, realTimers, type ByteLink, type Timers } from './transport.ts';

/**
 * The console's default wait for each robot frame (HELLO, CSR, CONFIRM, ORDER_ACK, INSTALLED). It only ends a session
 * with a robot that is plugged in but silent (a pulled cable is seen by the link probe at once), so it is generous: a
 * robot generating its identity key on a small MCU, or any robot on a loaded station PC, must not be cut off at a
 * working step (a false timeout costs a failed session, a revoked certificate and a retry). docs/station.md.
 */
export const DEFAULT_STEP_TIMEOUT_MS = 30_000;

export interface PortInfo { path: string; vendorId?: string; productId?: string; serialNumber?: string }

/** An open port as the station uses it: bytes plus close. */
export interface OpenPort extends ByteLink {
  close(cb?: (err?: Error | null) => void): void;
  readonly isOpen: boolean;
}

export interface StationConfig {
  deps: ProvisioningDeps;
  /** 'provision' (default) or 'distribute' (needs `distribution`). */
  mode?: StationMode;
  distribution?: DistributionDeps;
  clock: Clock;
  logger: Logger;
  timers?: Timers;
  baudRate?: number;
  /** Per-step wait for the robot, ms (DEFAULT_STEP_TIMEOUT_MS). */
  stepTimeoutMs?: number;
  /** While waiting for the robot, check the line this often (drain) so a pulled cable is seen at once; 0 = never. */
  linkProbeMs?: number;
  pollIntervalMs?: number;
  /** USB ids as serialport reports them (hex strings, case-insensitive); empty means any. */
  vendorIds?: string[];
  productIds?: string[];
  /** Explicit device paths (e.g. socat ptys); when given, SerialPort.list() is not used. */
  paths?: () => string[];
  /** Re-provisioning of already provisioned robots, confirmed by the officer. */
  allowReprovision?: (deviceId: string) => boolean;
  listPorts?: () => Promise<PortInfo[]>;
  openPort?: (path: string, baudRate: number) => Promise<OpenPort>;
}

export interface StationProgress { port: string; mode: StationMode; step: SessionStep | DistributeStep; deviceId: string | null; at: number }
export interface StationStats { provisioned: number; distributed: number; failed: number; active: number; ports: string[] }
/** One session's outcome, by the station's mode. */
export type PortResult = { mode: 'provision'; result: SessionResult } | { mode: 'distribute'; result: DistributionResult };

/**
 * serialport (its parsers, stream and native binding) is loaded when a station first lists or opens a port, not at
 * start-up: the console imports this module whether or not a station ever runs, and every major GC of the main
 * process marks what is loaded (test/unit/startup-libraries-lazy.test.ts).
 */
const serialPortLibrary = async () => (await import('serialport')).SerialPort;

export async function openSerialPort(path: string, baudRate: number): Promise<OpenPort> {
  const SerialPort = await serialPortLibrary();
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  return new Promise((resolve, reject) =>
    port.open((e) => {
      if (e) return reject(new StationError('disconnected', `cannot open ${path}: ${e.message}`, { port: path }));
      // Keep reading while a write waits for the robot to take bytes (serialPoller.ts).
      pollForEveryWaiter(port);
      resolve(port);
    }),
  );
}

export async function listSerialPorts(): Promise<PortInfo[]> {
  return (await (await serialPortLibrary()).list()).map((p) => ({ path: p.path, vendorId: p.vendorId, productId: p.productId, serialNumber: p.serialNumber }));
}

export function matchesUsbFilter(p: PortInfo, vendorIds: string[] = [], productIds: string[] = []): boolean {
  const norm = (s: string | undefined) => (s ?? '').toLowerCase().replace(/^0x/, '');
  if (vendorIds.length > 0 && !vendorIds.map(norm).includes(norm(p.vendorId))) return false;
  if (productIds.length > 0 && !productIds.map(norm).includes(norm(p.productId))) return false;
  return true;
}

/**
 * Events: 'progress' (StationProgress), 'result' ({port, mode, result}: port + PortResult), 'scan-error' (StationError).
 * A port gets one session while it stays present; when it disappears and comes back, it is a new robot.
 */
export class ProvisioningStation extends EventEmitter {
  private readonly cfg: StationConfig;
  private readonly timers: Timers;
  private readonly active = new Map<string, Promise<PortResult>>();
  private readonly finished = new Set<string>();
  private readonly counts = { provisioned: 0, distributed: 0, failed: 0 };
  private pollHandle: unknown;
  private running = false;

  constructor(cfg: StationConfig) {
    super();
    this.cfg = cfg;
    this.timers = cfg.timers ?? realTimers;
    if (this.mode === 'distribute' && !cfg.distribution) throw new StationError('internal', 'a distribute-mode station needs its distribution dependencies');
  }

  get mode(): StationMode {
    return this.cfg.mode ?? 'provision';
  }

  stats(): StationStats {
    return { ...this.counts, active: this.active.size, ports: [...this.active.keys()] };
  }

  /** Starts watching: scans now, then every pollIntervalMs. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const tick = () => {
      if (!this.running) return;
      void this.scan().finally(() => {
        if (this.running) this.pollHandle = this.timers.setTimeout(tick, this.cfg.pollIntervalMs ?? 1000);
      });
    };
    tick();
  }

  /** Stops watching and waits for the sessions in progress to end. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.pollHandle !== undefined) this.timers.clearTimeout(this.pollHandle);
    await Promise.allSettled([...this.active.values()]);
  }

  /** One pass: starts a session on every matching port that is new; forgets ports that disappeared. */
  async scan(): Promise<string[]> {
    let present: string[];
    try {
      present = this.cfg.paths
        ? this.cfg.paths()
        : (await (this.cfg.listPorts ?? listSerialPorts)()).filter((p) => matchesUsbFilter(p, this.cfg.vendorIds, this.cfg.productIds)).map((p) => p.path);
    } catch (e) {
      const err = new StationError('internal', `listing serial ports failed: ${(e as Error)?.message ?? String(e)}`);
      this.cfg.logger.warn('serial port scan failed', { error: err.message });
      this.emit('scan-error', err);
      return [];
    }
    for (const p of this.finished) if (!present.includes(p)) this.finished.delete(p);
    const started: string[] = [];
    for (const p of present) {
      if (this.active.has(p) || this.finished.has(p)) continue;
      started.push(p);
      void this.runPort(p);
    }
    return started;
  }

  /** Provision mode: one provisioning session on the port (see runPort). */
  async provisionPort(path: string): Promise<SessionResult> {
    const r = await this.runPort(path);
    if (r.mode !== 'provision') throw new StationError('internal', 'this station distributes key bundles; it does not provision');
    return r.result;
  }

  /** Distribute mode: one distribution session on the port (see runPort). */
  async distributePort(path: string): Promise<DistributionResult> {
    const r = await this.runPort(path);
    if (r.mode !== 'distribute') throw new StationError('internal', 'this station provisions; it does not distribute key bundles');
    return r.result;
  }

  /** Opens the port, runs one session of the station's mode, closes the port. Never rejects: failures are typed results. */
  runPort(path: string): Promise<PortResult> {
    const existing = this.active.get(path);
    if (existing) return existing;
    const run = this.runOn(path).finally(() => {
      this.active.delete(path);
      this.finished.add(path);
    });
    this.active.set(path, run);
    return run;
  }

  private async runOn(path: string): Promise<PortResult> {
    const { clock } = this.cfg;
    const started = clock.now();
    let port: OpenPort | undefined;
    let out: PortResult;
    try {
      port = await (this.cfg.openPort ?? openSerialPort)(path, this.cfg.baudRate ?? 115200);
      const channel = new FrameChannel(port, this.timers, { probeIntervalMs: this.cfg.linkProbeMs ?? (this.cfg.timers ? 0 : 250) });
      out = await this.session(path, channel);
      channel.detach();
    } catch (e) {
      const error = e instanceof StationError ? e : new StationError('internal', (e as Error)?.message ?? String(e));
      out = await this.unopened(path, error, clock.now() - started);
    } finally {
      if (port?.isOpen) await new Promise<void>((r) => port?.close(() => r()));
    }
    if (!out.result.ok) this.counts.failed++;
    else if (out.mode === 'provision') this.counts.provisioned++;
    else this.counts.distributed++;
    this.emit('result', { port: path, ...out });
    return out;
  }

  private async session(path: string, channel: FrameChannel): Promise<PortResult> {
    const { clock, logger } = this.cfg;
    const common = { port: path, clock, logger, stepTimeoutMs: this.cfg.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS };
    const mode = this.mode;
    const onStep = (step: SessionStep | DistributeStep, id: string | null) => {
      this.emit('progress', { port: path, mode, step, deviceId: id, at: clock.now() } satisfies StationProgress);
    };
    if (mode === 'distribute' && this.cfg.distribution) {
      return { mode, result: await runDistributionSession(channel, this.cfg.distribution, { ...common, onStep }) };
    }
    return { mode: 'provision', result: await runConsoleSession(channel, this.cfg.deps, { ...common, allowReprovision: this.cfg.allowReprovision ?? false, onStep }) };
  }

  /** The port could not be opened (or the session threw): a failure at hello, audited like a session's. */
  private async unopened(path: string, error: StationError, durationMs: number): Promise<PortResult> {
    if (this.mode === 'distribute' && this.cfg.distribution) {
      const d = this.cfg.distribution;
      await quietly(() => d.recordFailure({ port: path, deviceId: null, step: 'hello', sequence: null, code: error.code, message: error.message }));
      return { mode: 'distribute', result: { ok: false, deviceId: null, step: 'hello', sequence: null, error, durationMs } };
    }
    const { deps } = this.cfg;
    await quietly(() => deps.audit({ action: 'station.provision', outcome: 'failure', port: path, deviceId: null, step: 'hello', code: error.code, message: error.message }));
    return { mode: 'provision', result: { ok: false, deviceId: null, step: 'hello', error, durationMs } };
  }
}

/** Runs a best-effort record (audit of a port that never opened); its own failure must not hide the first one. */
async function quietly(fn: () => Promise<void> | void): Promise<void> {
  try {
    await fn();
  } catch {
    /* the session result still carries the error */
  }
}
