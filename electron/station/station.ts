// The factory station: watches serial ports (USB vendor/product filter, or explicit paths), opens each new one with
// serialport and provisions the robot on it, several in parallel; reports progress per port and counts the shift.
import { EventEmitter } from 'node:events';
import { SerialPort } from 'serialport';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { StationError } from './errors.ts';
import { runConsoleSession, type ProvisioningDeps, type SessionResult, type SessionStep } from './session.ts';
import { FrameChannel, realTimers, type ByteLink, type Timers } from './transport.ts';

export interface PortInfo { path: string; vendorId?: string; productId?: string; serialNumber?: string }

/** An open port as the station uses it: bytes plus close. */
export interface OpenPort extends ByteLink {
  close(cb?: (err?: Error | null) => void): void;
  readonly isOpen: boolean;
}

export interface StationConfig {
  deps: ProvisioningDeps;
  clock: Clock;
  logger: Logger;
  timers?: Timers;
  baudRate?: number;
  stepTimeoutMs?: number;
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

export interface StationProgress { port: string; step: SessionStep; deviceId: string | null; at: number }
export interface StationStats { provisioned: number; failed: number; active: number; ports: string[] }

export function openSerialPort(path: string, baudRate: number): Promise<OpenPort> {
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  return new Promise((resolve, reject) => port.open((e) => (e ? reject(new StationError('disconnected', `cannot open ${path}: ${e.message}`, { port: path })) : resolve(port))));
}

export async function listSerialPorts(): Promise<PortInfo[]> {
  return (await SerialPort.list()).map((p) => ({ path: p.path, vendorId: p.vendorId, productId: p.productId, serialNumber: p.serialNumber }));
}

export function matchesUsbFilter(p: PortInfo, vendorIds: string[] = [], productIds: string[] = []): boolean {
  const norm = (s: string | undefined) => (s ?? '').toLowerCase().replace(/^0x/, '');
  if (vendorIds.length > 0 && !vendorIds.map(norm).includes(norm(p.vendorId))) return false;
  if (productIds.length > 0 && !productIds.map(norm).includes(norm(p.productId))) return false;
  return true;
}

/**
 * Events: 'progress' (StationProgress), 'result' ({port, result: SessionResult}), 'scan-error' (StationError).
 * A port is provisioned once while it stays present; when it disappears and comes back, it is a new robot.
 */
export class ProvisioningStation extends EventEmitter {
  private readonly cfg: StationConfig;
  private readonly timers: Timers;
  private readonly active = new Map<string, Promise<SessionResult>>();
  private readonly finished = new Set<string>();
  private readonly counts = { provisioned: 0, failed: 0 };
  private pollHandle: unknown;
  private running = false;

  constructor(cfg: StationConfig) {
    super();
    this.cfg = cfg;
    this.timers = cfg.timers ?? realTimers;
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
      void this.provisionPort(p);
    }
    return started;
  }

  /** Opens the port, runs one session, closes the port. Never rejects: failures are typed results. */
  provisionPort(path: string): Promise<SessionResult> {
    const existing = this.active.get(path);
    if (existing) return existing;
    const run = this.runOn(path).finally(() => {
      this.active.delete(path);
      this.finished.add(path);
    });
    this.active.set(path, run);
    return run;
  }

  private async runOn(path: string): Promise<SessionResult> {
    const { clock, logger, deps } = this.cfg;
    const started = clock.now();
    let port: OpenPort | undefined;
    let result: SessionResult;
    try {
      port = await (this.cfg.openPort ?? openSerialPort)(path, this.cfg.baudRate ?? 115200);
      const channel = new FrameChannel(port, this.timers);
      result = await runConsoleSession(channel, deps, {
        port: path,
        clock,
        logger,
        stepTimeoutMs: this.cfg.stepTimeoutMs ?? 10_000,
        allowReprovision: this.cfg.allowReprovision ?? false,
        onStep: (step, id) => {
          this.emit('progress', { port: path, step, deviceId: id, at: clock.now() } satisfies StationProgress);
        },
      });
      channel.detach();
    } catch (e) {
      const error = e instanceof StationError ? e : new StationError('internal', (e as Error)?.message ?? String(e));
      await Promise.resolve(deps.audit({ action: 'station.provision', outcome: 'failure', port: path, deviceId: null, step: 'hello', code: error.code, message: error.message })).catch(() => undefined);
      result = { ok: false, deviceId: null, step: 'hello', error, durationMs: clock.now() - started };
    } finally {
      if (port?.isOpen) await new Promise<void>((r) => port?.close(() => r()));
    }
    if (result.ok) this.counts.provisioned++;
    else this.counts.failed++;
    this.emit('result', { port: path, result });
    return result;
  }
}
