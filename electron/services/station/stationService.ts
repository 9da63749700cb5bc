// The console's station: one ProvisioningStation at a time while the store is unlocked, built from the unlocked
// console's pieces (stationDeps.ts for provisioning, distributionDeps.ts for key bundles over the link). Tracks each
// port's mode, step and error for station:status, pushes station:progress events, counts the shift (since unlock),
// keeps the officer's per-robot re-provisioning confirmations of this run, and stops at lock and close.
// station:start/stop/retry and station.reprovision.confirm are audited here; each session is audited by its deps
// (station.provision, bundle.install).
import { ConsoleError, type ErrorCode } from '../../../shared/errors.ts';
import type { RobotStatus } from '../../../shared/domain.ts';
import { MAX_STATION_ORDER_RESULTS, type StationMode, type StationNotSentItem, type StationOrderResult, type StationPort, type StationStatus } from '../../../shared/stationContract.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import type { DistributionDeps, DistributionResult, OrderAnswer, OrderItemForLink, RefusedOrderAnswer } from '../../station/distributeSession.ts';
import type { StationError } from '../../station/errors.ts';
import type { SessionResult } from '../../station/session.ts';
import { MAX_ORDER_ITEMS } from '../../station/protocol.ts';
import { DEFAULT_STEP_TIMEOUT_MS, ProvisioningStation, type OpenPort, type PortInfo, type PortResult, type StationProgress } from '../../station/station.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import type { BundleService } from './bundleService.ts';
import { createDistributionDeps } from './distributionDeps.ts';
import type { ReissueDeps } from './reissueDeps.ts';
import type { Session } from '../session/session.ts';
import { createStationDeps, revokeAbandonedCertificate, type StationDepsInput } from './stationDeps.ts';

export interface StationServiceDeps extends Omit<StationDepsInput, 'expectedDeviceId'> {
  clock: Clock;
  logger: Logger;
  session: Session;
  audit: AuditLog;
  /** Key bundles for distribute mode. */
  bundles: BundleService;
  /** Re-issue of flagged robots' certificates in distribute mode (reissueDeps.ts). */
  reissue?: ReissueDeps;
  /** station:progress: the port's row as station:status shows it, under `port` (its path). */
  emitProgress(p: Omit<StationPort, 'path'> & { port: string }): void;
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
  mode?: StationMode | undefined;
}

export interface StationService {
  status(): StationStatus;
  start(options: StartOptions): StationStatus;
  stop(): Promise<StationStatus>;
  retry(path: string): StationStatus;
  /** The officer confirms one provisioned robot's re-provisioning (this station run only); with a path, that port is retried. */
  confirmReprovision(deviceId: string, path?: string): StationStatus;
  /** One session on one port for one robot, outside the watching station (provision_robot_with_kms). */
  provisionOnce(path: string, deviceId: string, options?: { allowReprovision?: boolean }): Promise<SessionResult>;
  /** One distribution session on one port for one robot, outside the watching station (the CLI's `distribute`). */
  distributeOnce(path: string, deviceId: string): Promise<DistributionResult>;
  /** At lock / close: stops the station (sessions in progress end as failures) and resets the shift counters. */
  shutdown(): void;
  /**
   * Revokes (cessationOfOperation) every valid certificate of the fleet CA that no robot carries and no running session
   * holds: left by a session whose own revocation failed (store locked mid-session) or by a console that stopped
   * mid-session. The list is taken synchronously when called; the console calls this at every unlock. Each listed
   * certificate is checked again right before its revocation, in the same synchronous step: one that a robot carries
   * by then, that a session (provisioning or re-issue) holds by then, or that is no longer a valid certificate of the
   * CA about to revoke it, is kept (counted in `kept`, nothing revoked or audited).
   */
  sweepAbandoned(): Promise<{ revoked: number; failed: number; kept: number }>;
}

/**
 * One answer of the orders step as the Station screen shows it (docs/station.md, "Orders and CRLs on the port"): the
 * robot's answer (accepted or its refusal code), or the console's refusal of that answer (forged or replayed ack).
 */
export function orderResultOf(a: OrderAnswer | RefusedOrderAnswer): StationOrderResult {
  const refused = 'code' in a;
  const result = refused ? a.code : a.result;
  return {
    ...orderItemOf({ kind: a.kind, ref: a.ref, ...(a.about === undefined ? {} : { about: a.about }) }),
    outcome: refused ? 'answer_refused' : result === 'accepted' ? 'accepted' : 'refused',
    result: result.slice(0, 64) || 'unknown',
    message: a.message.slice(0, 200),
  };
}

/** An order or CRL as the Station screen describes it: its kind and scope, or its CRL's CA (`about`, made by orderDelivery.itemsFor). */
export function orderItemOf(i: Pick<OrderItemForLink, 'kind' | 'ref' | 'about'>): StationNotSentItem {
  const order = i.about && 'orderKind' in i.about ? i.about : null;
  const crl = i.about && 'ca' in i.about ? i.about : null;
  return {
    item: i.kind,
    ref: i.ref,
    orderKind: i.kind === 'order' ? (order?.orderKind ?? null) : null,
    scope: i.kind === 'order' ? (order?.scope.slice(0, 200) ?? null) : null,
    ca: i.kind === 'crl' ? (crl?.ca ?? null) : null,
  };
}

/** Identifies an item across the pending list and the answers (CRL numbers count per CA, so the CA's id is part of it). */
const itemKey = (i: { kind: string; ref: number; caId?: string | undefined }) => `${i.kind}:${i.ref}:${i.caId ?? ''}`;

/**
 * The items pending for the robot when its session started and not answered in it (never sent, the session having
 * failed first), in the order the session would have sent them.
 */
export function notSentOf(pending: readonly OrderItemForLink[], answered: ReadonlySet<string>): StationNotSentItem[] {
  return pending.filter((i) => !answered.has(itemKey(i))).slice(0, MAX_STATION_ORDER_RESULTS).map(orderItemOf);
}

/** Robots whose re-provisioning an officer may confirm (the registry keeps their status; others are refused). */
export const REPROVISIONABLE_STATUSES: readonly RobotStatus[] = ['provisioned', 'deployed'];

interface BuildOptions extends StartOptions {
  mode: StationMode;
  expectedDeviceId?: string;
  /** Whether an already provisioned robot may be re-provisioned in this session. */
  reprovision: (deviceId: string) => boolean;
}

export function createStationService(deps: StationServiceDeps): StationService {
  const ports = new Map<string, StationPort>();
  // Per port, for its current session: the items pending for its robot when the session started (taken once the robot
  // is known; null before) and the keys of those it answered. Only a failed session shows the rest, as not sent.
  const sessionItems = new Map<string, { pending: OrderItemForLink[] | null; answered: Set<string> }>();
  const pendingFor = (deviceId: string): OrderItemForLink[] => {
    try {
      return (deps.orders?.itemsFor(deviceId) ?? []).slice(0, MAX_ORDER_ITEMS);
    } catch (e) {
      deps.logger.warn('station: the items pending for a robot could not be listed', { deviceId, code: (e as { code?: string })?.code ?? 'internal' });
      return [];
    }
  };
  const shift = { provisioned: 0, failed: 0, distributed: 0 };
  // Device ids the officer confirmed for re-provisioning in this station run; one confirmation = one re-provisioning.
  const confirmed = new Set<string>();
  let mode: StationMode = 'provision';
  // Robots whose session is issuing or holds an uncommitted certificate, across every session this service runs and,
  // when the console shares its set, every re-issue (distribute mode, the field link).
  const inFlight = deps.inFlight ?? new Set<string>();
  let station: ProvisioningStation | null = null;
  // Bumped at shutdown: events of sessions that outlive a lock no longer touch the new shift's state.
  let generation = 0;

  const status = (): StationStatus => ({
    running: station !== null,
    mode,
    reprovisionConfirmed: [...confirmed].sort(),
    ports: [...ports.values()].sort((a, b) => a.path.localeCompare(b.path)),
    provisionedThisShift: shift.provisioned,
    failedThisShift: shift.failed,
    distributedThisShift: shift.distributed,
  });
  const audited = (action: string, outcome: 'success' | 'failure', details: Record<string, string | number | boolean | null>, deviceId: string | null = null) =>
    deps.audit.append({ actor: deps.session.actor(), action, targetType: deviceId ? 'robot' : null, targetId: deviceId, outcome, details });

  const emitPort = (entry: StationPort) =>
    deps.emitProgress({ port: entry.path, mode: entry.mode, deviceId: entry.deviceId, step: entry.step, state: entry.state, error: entry.error, orders: [...entry.orders], notSent: [...entry.notSent], reissued: entry.reissued });

  const onResult = (port: string, out: PortResult, release: (id: string | null) => void, abandon: (id: string | null) => void) => {
    const { result } = out;
    release(result.deviceId);
    if (!result.ok) abandon(result.deviceId);
    if (result.ok && out.mode === 'provision') confirmed.delete(result.deviceId);
    if (!result.ok) shift.failed++;
    else if (out.mode === 'provision') shift.provisioned++;
    else shift.distributed++;
    const prev = ports.get(port);
    const robotCode = result.ok ? undefined : result.error.details?.robotCode;
    const error = result.ok ? null : { code: result.error.code, message: result.error.message, ...(typeof robotCode === 'string' ? { robotCode: robotCode.slice(0, 64) } : {}) };
    const deviceId = result.deviceId ?? prev?.deviceId ?? null;
    const items = sessionItems.get(port);
    sessionItems.delete(port);
    // A failed distribution: what was pending for the robot at its start and never sent. A robot identified at hello
    // but failed before its next step has had nothing sent, so what is pending now is what was then.
    const notSent = result.ok || out.mode !== 'distribute' || deviceId === null ? [] : notSentOf(items?.pending ?? pendingFor(deviceId), items?.answered ?? new Set());
    const entry: StationPort = {
      path: port,
      mode: out.mode,
      deviceId,
      step: result.ok ? 'done' : result.step,
      state: result.ok ? 'done' : 'failed',
      error,
      orders: prev?.orders ?? [],
      notSent,
      reissued: prev?.reissued ?? false,
    };
    ports.set(port, entry);
    // The session's end is announced here, success included: the 'done' step is only the DONE frame being sent.
    emitPort(entry);
  };

  /**
   * The distribution deps, with each answer of the orders step also put on its port's row and announced (step orders),
   * once it is recorded (or, for an answer the console refused, audited). `gen`: the station run's generation.
   */
  const withOrderResults = (d: DistributionDeps, gen: number): DistributionDeps => {
    const show = (a: OrderAnswer | RefusedOrderAnswer) => {
      const p = ports.get(a.port);
      if (gen !== generation || !p) return;
      sessionItems.get(a.port)?.answered.add(itemKey(a));
      if (p.orders.length >= MAX_STATION_ORDER_RESULTS) return;
      const entry: StationPort = { ...p, deviceId: a.deviceId, step: 'orders', state: 'active', error: null, orders: [...p.orders, orderResultOf(a)] };
      ports.set(a.port, entry);
      emitPort(entry);
    };
    return {
      ...d,
      async recordOrderAnswer(a) {
        await d.recordOrderAnswer?.(a);
        show(a);
      },
      async refuseOrderAnswer(r) {
        await d.refuseOrderAnswer?.(r);
        show(r);
      },
    };
  };

  const build = (options: BuildOptions) => {
    const expected = options.expectedDeviceId === undefined ? {} : { expectedDeviceId: options.expectedDeviceId };
    const handle = createStationDeps({ ...deps, ...expected, inFlight });
    const gen = generation;
    const distribution = withOrderResults(createDistributionDeps({ bundles: deps.bundles, fleet: deps.fleet, fleetRepo: deps.fleetRepo, session: deps.session, audit: deps.audit, ...expected, ...(deps.orders ? { orders: deps.orders } : {}), ...(deps.reissue ? { reissue: deps.reissue } : {}) }), gen);
    const explicit = options.paths;
    const s = new ProvisioningStation({
      deps: handle.deps,
      mode: options.mode,
      distribution,
      clock: deps.clock,
      logger: deps.logger,
      stepTimeoutMs: deps.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS,
      pollIntervalMs: deps.pollIntervalMs ?? 1000,
      vendorIds: options.vendorIds ?? [],
      productIds: options.productIds ?? [],
      ...(explicit && explicit.length > 0 ? { paths: () => [...explicit] } : {}),
      allowReprovision: options.reprovision,
      ...(deps.listPorts ? { listPorts: deps.listPorts } : {}),
      ...(deps.openPort ? { openPort: deps.openPort } : {}),
    });
    s.on('progress', (p: StationProgress) => {
      if (gen !== generation) return;
      // Never 'done' from a step: a port is done only once its session ended ok (the DONE frame written and drained).
      // A session starts at hello: the answers of the port's last session go then.
      const prev = p.step === 'hello' ? undefined : ports.get(p.port);
      const orders = prev?.orders ?? [];
      if (p.step === 'hello') sessionItems.set(p.port, { pending: null, answered: new Set() });
      const items = sessionItems.get(p.port);
      // The robot is known from the step after hello on: what is pending for it now is what the session will send.
      if (p.mode === 'distribute' && p.deviceId !== null && items && items.pending === null) items.pending = pendingFor(p.deviceId);
      const reissued = (prev?.reissued ?? false) || p.step === 'reissue';
      const entry: StationPort = { path: p.port, mode: p.mode, deviceId: p.deviceId, step: p.step, state: 'active', error: null, orders, notSent: [], reissued };
      ports.set(p.port, entry);
      emitPort(entry);
    });
    s.on('result', ({ port, ...out }: { port: string } & PortResult) => {
      if (gen !== generation) {
        handle.release(out.result.deviceId);
        if (!out.result.ok) handle.abandon(out.result.deviceId);
        return;
      }
      onResult(port, out, handle.release, handle.abandon);
    });
    s.on('scan-error', (e: StationError) => deps.logger.warn('station scan failed', { code: e.code }));
    return s;
  };

  /** Starts a new session on a port that is not busy (retry and confirmReprovision). */
  const rerun = (s: ProvisioningStation, path: string) => {
    const p = ports.get(path);
    ports.set(path, { path, mode, deviceId: p?.deviceId ?? null, step: 'hello', state: 'active', error: null, orders: [], notSent: [], reissued: false });
    void s.runPort(path);
  };

  /** Validates a re-provisioning confirmation; every refusal is audited and typed. */
  const checkConfirmation = (deviceId: string, path: string | undefined): ProvisioningStation => {
    const refuse = (code: ErrorCode, message: string): never => {
      audited('station.reprovision.confirm', 'failure', { port: path ?? null, code }, deviceId);
      throw new ConsoleError(code, message, { deviceId });
    };
    const s = station;
    if (!s) return refuse('illegal_transition', 'The station is not running; start it in provision mode first.');
    if (mode !== 'provision') return refuse('illegal_transition', 'The station distributes key bundles; re-provisioning is confirmed while it provisions.');
    const robot = deps.fleetRepo.get(deviceId);
    if (!robot) return refuse('not_found', `No robot with device id ${deviceId}.`);
    if (!REPROVISIONABLE_STATUSES.includes(robot.status)) {
      return refuse('illegal_transition', `Robot ${deviceId} is ${robot.status}: only a provisioned or deployed robot can be re-provisioned.`);
    }
    if (path !== undefined) {
      const p = ports.get(path);
      if (!p || p.state !== 'failed' || p.error?.code !== 'already_provisioned' || p.deviceId !== deviceId) {
        return refuse('illegal_transition', `The last session on ${path} was not robot ${deviceId} refused as already provisioned.`);
      }
    }
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
      mode = options.mode ?? 'provision';
      confirmed.clear();
      // A new run starts with no port rows: the last run's outcomes (a 'done' above all) must never read as this run's.
      // The shift counters and the audit keep the last run's results.
      ports.clear();
      sessionItems.clear();
      station = build({ ...options, mode, reprovision: (id) => options.allowReprovision === true || confirmed.has(id) });
      station.start();
      audited('station.start', 'success', {
        mode,
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
      confirmed.clear();
      if (s) {
        await s.stop();
        audited('station.stop', 'success', { mode, provisioned: shift.provisioned, distributed: shift.distributed, failed: shift.failed });
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
      if (ports.get(path)?.state === 'active') throw new ConsoleError('illegal_transition', `A session is already running on ${path}.`);
      audited('station.retry', 'success', { port: path, mode });
      rerun(s, path);
      return status();
    },
    confirmReprovision(deviceId, path) {
      deps.session.require();
      const s = checkConfirmation(deviceId, path);
      confirmed.add(deviceId);
      audited('station.reprovision.confirm', 'success', { port: path ?? null }, deviceId);
      if (path !== undefined) rerun(s, path);
      return status();
    },
    async provisionOnce(path, deviceId, options) {
      deps.session.require();
      const s = build({ paths: [path], mode: 'provision', expectedDeviceId: deviceId, reprovision: () => options?.allowReprovision === true });
      return s.provisionPort(path);
    },
    async distributeOnce(path, deviceId) {
      deps.session.require();
      const s = build({ paths: [path], mode: 'distribute', expectedDeviceId: deviceId, reprovision: () => false });
      return s.distributePort(path);
    },
    async sweepAbandoned() {
      deps.session.require();
      const candidates = deps.ca.unattachedCertificates();
      const gen = generation;
      const count = { revoked: 0, failed: 0, kept: 0 };
      for (const c of candidates) {
        // Locked or closed meanwhile (a CLI command ending): the rest wait for the next unlock, without an error each.
        if (gen !== generation) break;
        // Kept when a session (provisioning or re-issue) holds a certificate of this robot, when a robot carries it by
        // now, or when it is no longer a valid certificate of the CA about to revoke it. Asked once the CA is open (that
        // awaits: sessions run meanwhile), in the same synchronous step as ca.revoke.
        const stillAbandoned = (ca: { id: string }) => ca.id === c.caId && !inFlight.has(c.deviceId) && deps.ca.stillUnattached(c.caId, c.serial);
        count[await revokeAbandonedCertificate(deps, c.deviceId, c.serial, 'unlock_sweep', stillAbandoned)]++;
      }
      if (count.revoked + count.failed > 0) {
        const log = count.failed > 0 ? deps.logger.warn.bind(deps.logger) : deps.logger.info.bind(deps.logger);
        log('certificates of abandoned provisioning sessions revoked', count);
      }
      return count;
    },
    shutdown() {
      const s = station;
      station = null;
      generation++;
      ports.clear();
      sessionItems.clear();
      confirmed.clear();
      shift.provisioned = 0;
      shift.failed = 0;
      shift.distributed = 0;
      if (s) void s.stop().catch((e: unknown) => deps.logger.warn('station stop failed', { error: e instanceof Error ? e : String(e) }));
    },
  };
}
