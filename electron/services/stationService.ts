// The console's provisioning station: one ProvisioningStation at a time while the store is unlocked, built from the
// unlocked console's pieces (stationDeps.ts). Tracks each port's step and error for station:status, pushes
// station:progress events, counts the shift (since unlock), and stops at lock and close. station:start/stop/retry
// are audited here; each provisioning session is audited by the session itself (station.provision).
import { ConsoleError } from '../../shared/errors.ts';
import type { StationPort, StationStatus } from '../../shared/stationContract.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import type { StationError } from '../station/errors.ts';
import type { SessionResult, SessionStep } from '../station/session.ts';
import { ProvisioningStation, type OpenPort, type PortInfo } from '../station/station.ts';
import type { AuditLog } from './audit/auditLog.ts';
import type { Session } from './session.ts';
import { createStationDeps, type StationDepsInput } from './stationDeps.ts';

export interface StationServiceDeps extends Omit<StationDepsInput, 'expectedDeviceId'> {
  clock: Clock;
  logger: Logger;
  session: Session;
  audit: AuditLog;
  emitProgress(p: { port: string; deviceId: string | null; step: SessionStep; state: StationPort['state']; error: { code: string; message: string } | null }): void;
  /** Tests and stations with odd hardware: per-step timeout, scan interval, port listing and opening. */
  stepTimeoutMs?: number;
  pollIntervalMs?: number;
  listPorts?: () => Promise<PortInfo[]>;
  openPort?: (path: string, baudRate: number) => Promise<OpenPort>;
}

export interface StartOptions {
  vendorIds?: string[] | undefined;
  productIds?: string[] | undefined;
  paths?: string[] | undefined;
  allowReprovision?: boolean | undefined;
}

export interface StationService {
  status(): StationStatus;
  start(options: StartOptions): StationStatus;
  stop(): Promise<StationStatus>;
  retry(path: string): StationStatus;
  /** One session on one port for one robot, outside the watching station (provision_robot_with_kms). */
  provisionOnce(path: string, deviceId: string, options?: { allowReprovision?: boolean }): Promise<SessionResult>;
  /** At lock / close: stops the station (sessions in progress end as failures) and resets the shift counters. */
  shutdown(): void;
}

export function createStationService(deps: StationServiceDeps): StationService {
  const ports = new Map<string, StationPort>();
  const shift = { provisioned: 0, failed: 0 };
  let station: ProvisioningStation | null = null;
  // Bumped at shutdown: events of sessions that outlive a lock no longer touch the new shift's state.
  let generation = 0;

  const status = (): StationStatus => ({
    running: station !== null,
    ports: [...ports.values()].sort((a, b) => a.path.localeCompare(b.path)),
    provisionedThisShift: shift.provisioned,
    failedThisShift: shift.failed,
  });
  const audited = (action: string, outcome: 'success' | 'failure', details: Record<string, string | number | boolean | null>) =>
    deps.audit.append({ actor: deps.session.actor(), action, targetType: null, targetId: null, outcome, details });

  const build = (options: StartOptions & { expectedDeviceId?: string }) => {
    const handle = createStationDeps({ ...deps, ...(options.expectedDeviceId === undefined ? {} : { expectedDeviceId: options.expectedDeviceId }) });
    const explicit = options.paths;
    const gen = generation;
    const s = new ProvisioningStation({
      deps: handle.deps,
      clock: deps.clock,
      logger: deps.logger,
      stepTimeoutMs: deps.stepTimeoutMs ?? 10_000,
      pollIntervalMs: deps.pollIntervalMs ?? 1000,
      vendorIds: options.vendorIds ?? [],
      productIds: options.productIds ?? [],
      ...(explicit && explicit.length > 0 ? { paths: () => [...explicit] } : {}),
      allowReprovision: () => options.allowReprovision === true,
      ...(deps.listPorts ? { listPorts: deps.listPorts } : {}),
      ...(deps.openPort ? { openPort: deps.openPort } : {}),
    });
    s.on('progress', (p: { port: string; step: SessionStep; deviceId: string | null }) => {
      if (gen !== generation) return;
      const entry: StationPort = { path: p.port, deviceId: p.deviceId, step: p.step, state: p.step === 'done' ? 'done' : 'active', error: null };
      ports.set(p.port, entry);
      deps.emitProgress({ port: entry.path, deviceId: entry.deviceId, step: entry.step, state: entry.state, error: null });
    });
    s.on('result', ({ port, result }: { port: string; result: SessionResult }) => {
      handle.release(result.deviceId);
      if (gen !== generation) {
        if (!result.ok) handle.abandon(result.deviceId);
        return;
      }
      if (result.ok) shift.provisioned++;
      else {
        shift.failed++;
        handle.abandon(result.deviceId);
      }
      const prev = ports.get(port);
      const error = result.ok ? null : { code: result.error.code, message: result.error.message };
      const entry: StationPort = {
        path: port,
        deviceId: result.deviceId ?? prev?.deviceId ?? null,
        step: result.ok ? 'done' : result.step,
        state: result.ok ? 'done' : 'failed',
        error,
      };
      ports.set(port, entry);
      // Success was already announced by the 'done' progress step.
      if (!result.ok) deps.emitProgress({ port, deviceId: entry.deviceId, step: entry.step, state: entry.state, error });
    });
    s.on('scan-error', (e: StationError) => deps.logger.warn('station scan failed', { code: e.code }));
    return s;
  };

  return {
    status: () => {
      deps.session.require();
      return status();
    },
    start(options) {
      deps.session.require();
      if (station) throw new ConsoleError('illegal_transition', 'The station is already running; stop it first.');
      // Never probe every serial device of the machine (modems, consoles): a port list or a USB filter is required.
      if (!options.paths?.length && !options.vendorIds?.length && !options.productIds?.length) {
        audited('station.start', 'failure', { code: 'invalid_input' });
        throw new ConsoleError('invalid_input', 'Give the station port paths or USB vendor / product ids to watch.', { field: 'paths' });
      }
      station = build(options);
      station.start();
      audited('station.start', 'success', {
        paths: options.paths?.join(',') ?? null,
        vendorIds: options.vendorIds?.join(',') ?? null,
        productIds: options.productIds?.join(',') ?? null,
        allowReprovision: options.allowReprovision === true,
      });
      return status();
    },
    async stop() {
      deps.session.require();
      const s = station;
      station = null;
      if (s) {
        await s.stop();
        audited('station.stop', 'success', { provisioned: shift.provisioned, failed: shift.failed });
      }
      return status();
    },
    retry(path) {
      deps.session.require();
      const s = station;
      if (!s) {
        audited('station.retry', 'failure', { port: path, code: 'illegal_transition' });
        throw new ConsoleError('illegal_transition', 'The station is not running; start it first.');
      }
      const p = ports.get(path);
      if (p?.state === 'active') throw new ConsoleError('illegal_transition', `A session is already running on ${path}.`);
      audited('station.retry', 'success', { port: path });
      ports.set(path, { path, deviceId: p?.deviceId ?? null, step: 'hello', state: 'active', error: null });
      void s.provisionPort(path);
      return status();
    },
    async provisionOnce(path, deviceId, options) {
      deps.session.require();
      const s = build({ paths: [path], expectedDeviceId: deviceId, allowReprovision: options?.allowReprovision === true });
      return s.provisionPort(path);
    },
    shutdown() {
      const s = station;
      station = null;
      generation++;
      ports.clear();
      shift.provisioned = 0;
      shift.failed = 0;
      if (s) void s.stop().catch((e: unknown) => deps.logger.warn('station stop failed', { error: e instanceof Error ? e : String(e) }));
    },
  };
}

