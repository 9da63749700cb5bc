// Composition root: createConsole(options) wires store, crypto, services and handlers. Used by electron/main.ts,
// the browser host, the CLI and the tests alike. No module-level state: two consoles can run side by side.
import { X509Certificate } from 'node:crypto';
import { signerKeyId } from './station/bundle.ts';
import { createKeyedLock } from './services/keys/keyedLock.ts';
import type { CallContext, ChannelName, EventName, EventPayload, Handlers } from '../shared/contract.ts';
import { ConsoleError, isConsoleError } from '../shared/errors.ts';
import { type Clock, systemClock } from './clock.ts';
import { DEFAULT_KDF, validateKdfParams } from './crypto/kdf.ts';
import type { MaterialCacheStats } from './crypto/materialCache.ts';
import { createStderrLogger, type Logger } from './logger.ts';
import type { AuditLog, AuditLogOptions } from './services/audit/auditLog.ts';
import { createGroupCommit, type GroupCommitOptions } from './services/audit/groupCommit.ts';
import { createAuditLog } from './services/audit/index.ts';
import { createAuditExports, type AuditExports } from './services/audit/auditExports.ts';
import { createKeyLifecycle, type KeyLifecycle } from './services/keys/keys.ts';
import { createKeyCrypto, type KeyCrypto } from './services/keys/keysCrypto.ts';
import { createKeyHandlers } from './services/keys/keysHandlers.ts';
import { createKeyPlacer } from './services/keys/keyPlacement.ts';
import { createKeyRestrictions } from './services/keys/keyPolicy.ts';
import { buildFleetDashboard } from './services/fleet/fleetDashboard.ts';
import { createFleetHandlers } from './services/fleet/fleetHandlers.ts';
import { createFleetRegistry, type FleetRegistry } from './services/fleet/fleetRegistry.ts';
import { createKeyAssignmentHandlers } from './services/fleet/keyAssignmentHandlers.ts';
import { createKeyAssignments } from './services/fleet/keyAssignments.ts';
import { createKeyAssignmentsRepo } from './store/keyAssignmentsRepo.ts';
import { createFleetRepo } from './store/fleetRepo.ts';
import { createFleetCaRepo } from './store/fleetCaRepo.ts';
import { createKeyBundlesRepo } from './store/keyBundlesRepo.ts';
import { createFleetCaService, type FleetCaService } from './services/ca/fleetCaService.ts';
import { createCaTransition, createCaTransitionHandlers } from './services/ca/caTransition.ts';
import { createCaTransitionsRepo } from './store/caTransitionsRepo.ts';
import { createRobotRevocation } from './services/ca/robotRevocation.ts';
import { type BundleService, bundleDepsFrom, createBundleService } from './services/station/bundleService.ts';
import { createStationHandlers } from './services/station/stationHandlers.ts';
import { createStationService, type StationService, type StationServiceDeps } from './services/station/stationService.ts';
import { createProviderHandlers } from './services/providers/providerHandlers.ts';
import type { KeyServiceDeps } from './services/keys/keysShared.ts';
import { createBackupService } from './services/providers/backupService.ts';
import { createMigrationService } from './services/providers/migrationService.ts';
import type { ProviderTuning } from './services/providers/providerFactory.ts';
import { createProviderRegistry, type ProviderRegistry } from './services/providers/providerRegistry.ts';
import { createProviderConfigStore } from './providers/config/providerConfigStore.ts';
import { createLocalProvider } from './providers/local/localProvider.ts';
import { createStoreKeyProvider } from './providers/local/storeKeyProvider.ts';
import { createDisabledKeySet, createKeyBackupsRepo } from './store/keyBackupsRepo.ts';
import { createLocalKmsRepo, createProviderConfigRepo } from './store/providerRepo.ts';
import { createSession, type Keychain } from './services/session/session.ts';
import { openStoreDatabase } from './store/database.ts';
import { createKeyMaterialsRepo } from './store/keyMaterialsRepo.ts';
import { createKeysRepo, FALLBACK_PROVIDER_ID } from './store/keysRepo.ts';
import { createBatchHandlers } from './services/rotation/batchHandlers.ts';
import { type BatchDeps, type BatchRotate, createRotationBatches, type RotationBatches } from './services/rotation/batchJobs.ts';
import { createRotationPolicies, type RotationPolicies } from './services/rotation/policies.ts';
import { createProviderRotation, type ProviderRotation } from './services/rotation/providerRotation.ts';
import { createRotationHandlers } from './services/rotation/rotationHandlers.ts';
import { createRotationScheduler, type RotationScheduler, type SchedulerDeps } from './services/rotation/scheduler.ts';
import { createUsageMeter, type VersionUsage } from './services/rotation/usageMeter.ts';
import { createRotationBatchRepo } from './store/rotationBatchRepo.ts';
import { createRollouts, type Rollouts } from './services/rotation/rollout.ts';
import { createRolloutHandlers } from './services/rotation/rolloutHandlers.ts';
import { createRolloutRepo } from './store/rolloutRepo.ts';
import { createLockdownRepo } from './store/lockdownRepo.ts';
import { createLockdownService } from './services/emergency/lockdownService.ts';
import { createOrderDelivery } from './services/emergency/orderDelivery.ts';
import { createOrderDeliveryRepo } from './store/orderDeliveryRepo.ts';
import { createCaEndorsedRepo } from './store/caEndorsedRepo.ts';
import { createEmergencyHandlers } from './services/emergency/emergencyHandlers.ts';
import { createEmergencyResponse, type EmergencyResponse } from './services/emergency/emergencyResponse.ts';
import { createEmergencyRepo } from './store/emergencyRepo.ts';
import { toPem } from './crypto/x509Plain.ts';
import { createIncidentKitRepo } from './store/incidentKitRepo.ts';
import { createKitService } from './services/incidentKit/kitService.ts';
import { createKitHandlers } from './services/incidentKit/kitHandlers.ts';
import { createSlotCrypto } from './services/operators/keySlots.ts';
import { holderOf, locationsOf, looksReachable } from './services/keys/keyLocations.ts';
import { createRotationRepo } from './store/rotationRepo.ts';
import { createUsageRepo } from './store/usageRepo.ts';
import { createStoreMetaRepo } from './store/storeMetaRepo.ts';
import { createMetricsRepo } from './store/metricsRepo.ts';
import { createAlerts, type Alerts } from './services/metrics/alerts.ts';
import { healthAlert, overdueAlert } from './services/metrics/alertRules.ts';
import { createMetrics, type Metrics, type MetricsDeps } from './services/metrics/metrics.ts';
import { createMetricsHandlers } from './services/metrics/metricsHandlers.ts';
import { parsePrometheusAddress, type PrometheusAddress, type PrometheusEndpoint, requireLoopback, startPrometheusEndpoint } from './services/metrics/prometheus.ts';
import { OVERDUE_AFTER_MS } from '../shared/rotationContract.ts';
import { createOperatorsRepo, createSettingsRepo } from './store/operatorsRepo.ts';
import { createIdleLock, type IdleLock, PASSIVE_CHANNELS } from './services/session/idleLock.ts';
import { createTotpHandlers } from './services/secondFactor/totpHandlers.ts';
import { createReminderHandlers } from './services/recoveryCodes/reminder.ts';
import { type AccessGate, type AccessGateDeps, createAccessGate } from './services/operators/accessGate.ts';
import { createOperatorHandlers } from './services/operators/operators.ts';
import { createReportRepo } from './store/reportRepo.ts';
import { createReportHandlers, createReportService, type ReportService } from './services/report/reportService.ts';
import { type Approvals, createApprovals } from './services/approvals/approvals.ts';
import { createApprovalHandlers } from './services/approvals/approvalsHandlers.ts';
import { createApprovalsRepo } from './store/approvalsRepo.ts';
import { auditUndeliveredBackup, createBackupHandlers } from './services/recovery/backupHandlers.ts';
import { createRecoveryHandlers, type UndeliveredReason, voidUndeliveredShareSet } from './services/recovery/recovery.ts';
import { createRecoveryRepo } from './store/recoveryRepo.ts';
import { createFieldLink, type FieldLink } from './services/field/fieldLink.ts';
import { caRecordLookup, dueCheck, trustedCas } from './services/field/fieldDeps.ts';
import { createFieldHandlers } from './services/field/fieldHandlers.ts';
import { createFieldAutostart } from './services/field/fieldAutostart.ts';
import { createFieldContactRepo } from './store/fieldContactRepo.ts';
import { createDistributionDeps } from './services/station/distributionDeps.ts';
import { createReissueDeps } from './services/station/reissueDeps.ts';
import { createCaEndorsements } from './services/ca/caEndorsement.ts';
import { createCaCrossCertificates } from './services/ca/caCrossCertificates.ts';
import { createCaCrossRepo } from './store/caCrossRepo.ts';

export type { Keychain } from './services/session/session.ts';

export interface ConsoleOptions {
  /** Folder holding the database (the user-data folder in Electron). */
  dataDir: string;
  clock?: Clock;
  logger?: Logger;
  keychain?: Keychain;
  /** scrypt cost for the passphrase KDF; tests lower it, production keeps the default. */
  kdf?: { N: number; r: number; p: number };
  /** Sign an audit checkpoint every N records (AUDIT's default when absent). */
  auditCheckpointEvery?: number;
  /** Group commit of audited key operations: the wait for operations in flight and the group size (docs/audit-log.md); tests pass timers. */
  auditGroupCommit?: Pick<GroupCommitOptions, 'windowMs' | 'maxBatch' | 'timers'>;
  /** Timed audit checkpoints (AUDIT's defaults: 60 s after the last record, 5 min after the first unsigned one); tests pass timers. */
  auditCheckpointTimer?: Pick<AuditLogOptions, 'quietCheckpointMs' | 'maxUnsignedAgeMs' | 'timers'>;
  /** The coalescing of audited refusals (schema, locked): one record per kind per window (default 60 s); tests pass timers. */
  refusalAudit?: { windowMs?: number; timers?: AccessGateDeps['timers'] };
  /** Environment read for KMS_PROVIDER, AWS_REGION, USE_KMS_FOR_STORAGE and the providers' variables (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Provider resilience tuning (retry delays, breaker, health-check interval, timers); tests shorten it. */
  providers?: ProviderTuning;
  /**
   * Provisioning station tuning: per-step wait for the robot and the port scan interval (ms); `openPort` replaces how a
   * serial port is opened (stations with odd hardware; the benchmark powers a simulated robot on once its port is open);
   * `issueWith` replaces how the fleet CA is asked for a robot's certificate (tests: a faulty CA); `listPorts` replaces the
   * USB port listing (tests: a robot unplugged and plugged in again).
   */
  station?: { stepTimeoutMs?: number; pollIntervalMs?: number; openPort?: StationServiceDeps['openPort']; issueWith?: StationServiceDeps['issueWith']; listPorts?: StationServiceDeps['listPorts'] };
  /**
   * The field link (docs/field-link.md): `startAtUnlock` true lets the stored "start when the console unlocks" setting
   * start it at each unlock (the window, `serve`, the headless `scheduler` and `field`; never one-shot CLI commands);
   * `renewCheckMs` between checks of its server certificate (default 1 hour; null: tests call field.checkRenewal()).
   */
  field?: { startAtUnlock?: boolean; renewCheckMs?: number | null };
  /**
   * Rotation (issue 13, docs/rotation.md): `scheduler` false = no periodic passes (tests call rotation.scheduler.tick()
   * with their clock); `tickMs` between passes; `usageBlock` uses reserved per durable write; `countUsage` false turns
   * the usage limits off (only the benchmark's baseline does that); `driftIntervalMs`: how often a pass checks the
   * providers for versions the console did not make (default 15 min).
   */
  rotation?: {
    scheduler?: boolean;
    tickMs?: number;
    timers?: SchedulerDeps['timers'];
    concurrency?: number;
    usageBlock?: number;
    countUsage?: boolean;
    driftIntervalMs?: number;
    /**
     * Batch jobs: retry backoff (`retryBaseMs` doubling up to `retryMaxMs`), the wait itself (tests move their clock),
     * and `rotateThrough`, which wraps the key service's rotate (tests count calls in flight or inject failures).
     * Interrupted jobs resume at unlock while `scheduler` is not false.
     */
    batch?: Pick<BatchDeps, 'sleep' | 'retryBaseMs' | 'retryMaxMs'> & { rotateThrough?: (rotate: BatchRotate) => BatchRotate };
  };
  /**
   * Metrics and alerts (docs/metrics-and-alerts.md): `flushMs` between writes of the in-memory aggregates (default
   * 10 s; tests call metrics.service.flush() or read a range), `overdueCheckMs` between checks for overdue rotations
   * (default 60 s; only where the scheduler runs periodically), `prometheus`: the loopback endpoint's address (else
   * ECPS_PROMETHEUS from `env`; null = off even if the variable is set). The endpoint is served only by long-running
   * consoles (the window, `serve`, `scheduler`), not by one-shot CLI commands. `enabled` false: key operations and
   * provider calls are not observed (the benchmark's baseline; alerts still work).
   */
  metrics?: { enabled?: boolean; flushMs?: number; timers?: MetricsDeps['timers']; overdueCheckMs?: number; prometheus?: PrometheusAddress | null };
  /**
   * The idle lock (docs/operators.md "Idle lock"): present for the window and the browser host, absent for the CLI and
   * the headless scheduler. Every call counts as activity (except PASSIVE_CHANNELS) and is preceded by a check, so a
   * call after the idle time finds the session locked; `intervalMs` between timed checks (default 15 s; null: none,
   * tests move their clock and call idle.check()).
   */
  idleLock?: { intervalMs?: number | null };
  /** Electron: where an audit export is saved (a save dialog, electron/adapters/); null when cancelled. */
  chooseAuditExportPath?: (suggestedName: string) => Promise<string | null>;
  /** The folder of the compliance report's font files (Electron: dist-electron/fonts next to main.cjs); absent: node_modules. */
  reportFontDir?: string;
}

export type ConsoleEventListener = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

export interface FleetConsole {
  readonly handlers: Handlers;
  readonly dataDir: string;
  onEvent(listener: ConsoleEventListener): () => void;
  /** Locks the store (zeroing the master key), writes a final checkpoint when unlocked, closes the database. */
  close(): void;
  /** The audit log itself, for tests and bulk seeding. */
  readonly audit: AuditLog;
  /** Buffer API over the keys (no base64), for the CLI and benchmarks; same auditing and state rules as the handlers. */
  readonly keys: KeyLifecycle & KeyCrypto;
  /**
   * For tests and benchmarks (ids and counts, never material): what the unlocked keyring's material cache holds (null
   * while locked), how many shared transactions carried how many audited key operations, and the time spent in them.
   */
  diagnostics(): { keyMaterialCache: MaterialCacheStats | null; auditGroups: { groups: number; members: number; transactionMs: number } };
  /** Absolute path of the database file. */
  readonly storePath: string;
  /** The signed-in operator's permissions: every transport's router checks each call with it (docs/operators.md). */
  readonly access: AccessGate;
  /**
   * Two-person control (docs/two-person-control.md): every transport's guarded calls go through it; other services
   * call approvals.require / requireFor before an action that needs approvals.
   */
  readonly approvals: Approvals;
  /** The idle lock: the shell locks through it when the OS suspends or the screen locks; tests check it with their clock. */
  readonly idle: IdleLock;
  /** The fleet registry, for the provisioning station, the fleet CA and tests (same auditing as the handlers). */
  readonly fleet: FleetRegistry;
  /** The provisioning station (station:* channels; provision_robot_with_kms runs one session on it). */
  readonly station: StationService;
  /** Field key distribution: signed per-robot bundles (bundles:build, bundles:list, the station's distribute mode). */
  readonly bundles: BundleService;
  /** The field link: robots poll over mutual TLS for bundles, orders and the CRL (field:* channels; docs/field-link.md). */
  readonly field: FieldLink;
  /** Streamed audit exports: the browser host's download route and the CLI's `audit export` (audited like the channel). */
  readonly auditExports: AuditExports;
  /** Rotation policies, the scheduler and the usage counters of key versions (docs/rotation.md). */
  readonly rotation: {
    policies: RotationPolicies;
    scheduler: RotationScheduler;
    /** Provider-driven policies (set and read back at the provider) and the drift check (providerRotation.ts). */
    provider: ProviderRotation;
    /** A key version's usage against its limit (null for an unknown key). */
    usage(keyId: string, version: number): VersionUsage | null;
    /** Batch rotation jobs (docs/rotation.md "Batch jobs"). */
    batches: RotationBatches;
    /** Rollouts of new versions to robots in waves, grace and retirement (docs/rotation.md "Rollout to robots"). */
    rollouts: Rollouts;
  };
  /** The signed compliance report (the CLI's `report` writes its bytes and signature to files). */
  readonly reports: ReportService;
  /** Emergency response: scopes, blast-radius preview, playbook runs (docs/emergency-response.md). */
  readonly emergency: EmergencyResponse;
  /**
   * Recovery shares and backups, for the CLI's --out-dir (docs/recovery-and-backup.md): a share set whose files could
   * not be written is removed and audited (`recovery.void_shares`); a backup whose key shares could not be written is
   * audited `backup.create` failure (the CLI removes its file).
   */
  readonly recovery: {
    voidUndeliveredSet(setId: string, why: UndeliveredReason): boolean;
    auditUndeliveredBackup(path: string, why: UndeliveredReason): void;
  };
  /** The fleet CA service (tests issue robot certificates through it; the same auditing as the channels). */
  readonly ca: FleetCaService;
  /** Indicators, the alert inbox and the opt-in Prometheus endpoint (docs/metrics-and-alerts.md). */
  readonly metrics: {
    service: Metrics;
    alerts: Alerts;
    /** Raises a rotation_overdue alert (once per key version) for each rotation an hour or more late; returns how many are overdue. */
    checkOverdue(): number;
    /** The Prometheus endpoint when configured (null: off). */
    prometheus: PrometheusEndpoint | null;
  };
}

export async function createConsole(options: ConsoleOptions): Promise<FleetConsole> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createStderrLogger('warn');
  // A Prometheus address that is not loopback is refused before anything opens (invalid_input naming the setting).
  const configuredProm = options.metrics?.prometheus;
  const envProm = (options.env ?? process.env).ECPS_PROMETHEUS;
  const promAddress = configuredProm === undefined ? (envProm ? parsePrometheusAddress(envProm) : null) : configuredProm;
  if (promAddress) requireLoopback(promAddress, configuredProm ? 'metrics.prometheus' : 'ECPS_PROMETHEUS');
  const kdf = validateKdfParams(options.kdf ?? DEFAULT_KDF);
  const store = openStoreDatabase(options.dataDir, () => new Date(clock.now()).toISOString());
  try {
    const listeners = new Set<ConsoleEventListener>();
    const emit = <E extends EventName>(event: E, payload: EventPayload<E>) => {
      for (const l of listeners) {
        try {
          l(event, payload);
        } catch (e) {
          logger.warn('event listener failed', { event, error: e instanceof Error ? e : String(e) });
        }
      }
    };
    /** An operator added, removed, their role, passphrase, second factor or recovery codes changed (committed). */
    const operatorChanged = (name: string) => emit('operators:changed', { name });
    // One wrapper for every call (better-sqlite3 builds four closures per wrapper); nested calls become savepoints.
    const runTransaction = store.db.transaction((fn: () => unknown) => fn());
    const transaction = <T>(fn: () => T): T => runTransaction.immediate(fn) as T;
    const recoveryRepo = createRecoveryRepo(store.db);

    // Providers live while the store is unlocked: built at unlock, closed (cache zeroed) at lock and close.
    let registry: ProviderRegistry | null = null;
    // The fleet CA and the station live while the store is unlocked: dropped / stopped at lock and close.
    let onLocked: (() => void) | null = null;
    // At unlock: certificates left valid by provisioning sessions that never committed are revoked (stationService).
    let onUnlocked: (() => void) | null = null;
    const audit = createAuditLog(store.db, {
      clock,
      logger,
      ...(options.auditCheckpointEvery === undefined ? {} : { checkpointEvery: options.auditCheckpointEvery }),
      ...options.auditCheckpointTimer,
    });
    audit.onAppend((r) => emit('audit:appended', { seq: r.seq }));
    const operatorsRepo = createOperatorsRepo(store.db);
    const liveSession = createSession({
      meta: createStoreMetaRepo(store.db),
      operators: operatorsRepo,
      audit,
      clock,
      logger,
      kdf,
      ...(options.keychain ? { keychain: options.keychain } : {}),
      storePath: store.path,
      transaction,
      onChange: (s) => {
        if (s.state === 'unlocked') {
          registry?.activate();
          onUnlocked?.();
        } else {
          onLocked?.();
          void registry?.deactivate();
        }
        emit('session:changed', s);
      },
    });
    const metricsRepo = createMetricsRepo(store.db);
    const metrics = createMetrics({
      repo: metricsRepo,
      clock,
      logger,
      transaction,
      ...(options.metrics?.flushMs === undefined ? {} : { flushMs: options.metrics.flushMs }),
      ...(options.metrics?.timers ? { timers: options.metrics.timers } : {}),
    });
    const alerts = createAlerts({ repo: metricsRepo, audit, session: liveSession, clock, logger, transaction, onChanged: (id) => emit('alerts:changed', { id }) });
    const observing = options.metrics?.enabled !== false;
    /** Per provider: whether its last health check passed (a failure after a pass, or a first failure, raises HIGH). */
    const healthy = new Map<string, boolean>();
    // The session status carries the audit alarm: the window hears when it starts, changes or ends.
    audit.onAlarmChange(() => emit('session:changed', liveSession.status()));
    const keyring = () => liveSession.require().keyring;
    const localKms = createLocalProvider({ id: FALLBACK_PROVIDER_ID, repo: createLocalKmsRepo(store.db), keyring, clock });
    const auditProvider = (action: string, targetId: string | null, outcome: 'success' | 'failure', details: Record<string, string | number | boolean | null>) =>
      audit.append({ actor: liveSession.actor(), action, targetType: null, targetId, outcome, details });
    const liveRegistry = createProviderRegistry({
      configs: createProviderConfigStore({ repo: createProviderConfigRepo(store.db), keyring, clock }),
      localKms,
      env: options.env ?? process.env,
      clock,
      logger,
      tuning: options.providers ?? {},
      disabledKeys: (providerId) => createDisabledKeySet(store.db, providerId),
      audit: auditProvider,
      onChanged: (id) => emit('providers:changed', { id }),
      observe: (id, e) => {
        if (e.type === 'call') {
          if (observing) metrics.providerObservation(id, e.ok);
        } else if (e.type === 'health') {
          if (observing) metrics.providerObservation(id, e.report.ok);
          if (!e.report.ok && healthy.get(id) !== false) {
            try {
              alerts.raise(healthAlert(id, e.report.detail ?? null));
            } catch (err) {
              logger.warn('raising a provider alert failed', { provider: id, error: err instanceof Error ? err.name : String(err) });
            }
          }
          healthy.set(id, e.report.ok);
        }
      },
    });
    registry = liveRegistry;

    // Audited key operations finishing together share one durable transaction (their records and store changes).
    const commits = createGroupCommit({ transaction, inTransaction: () => store.db.inTransaction, ...options.auditGroupCommit });
    const keysRepo = createKeysRepo(store.db);
    const rotationRepo = createRotationRepo(store.db);
    const policies = createRotationPolicies({ repo: rotationRepo, keys: keysRepo, session: liveSession, audit, clock, transaction });
    // The scheduler is made after the key service it rotates through; a usage limit reached before then waits for its pass.
    let scheduler: RotationScheduler | null = null;
    // Rollouts hear of every new key version through the key service's change notice; made once the fleet repo exists.
    let rollouts: Rollouts | null = null;
    const syncNextRotation = (keyId: string | null) => {
      try {
        scheduler?.syncNextRotation(keyId);
      } catch (e) {
        logger.warn('the next rotation shown for a key could not be updated', { keyId, error: e instanceof Error ? e.name : 'unknown' });
      }
    };
    const usageMeter = createUsageMeter({
      repo: createUsageRepo(store.db),
      rotation: rotationRepo,
      policies,
      session: liveSession,
      audit,
      clock,
      transaction,
      ...(options.rotation?.usageBlock === undefined ? {} : { block: options.rotation.usageBlock }),
      onLimitReached: () => scheduler?.kick(),
    });
    // Retirements are the rollouts' (made below); the key service reads them to refuse a retired version's decryption.
    const rolloutRepo = createRolloutRepo(store.db);
    const keyDeps: KeyServiceDeps = {
      versionLock: createKeyedLock(),
      materials: createKeyMaterialsRepo(store.db),
      repo: keysRepo,
      session: liveSession,
      audit,
      // The access gate's coalescing (made below, called only once the console runs).
      refusals: { record: (entry) => access.recordRefusal(entry) },
      clock,
      logger,
      transaction,
      commits,
      onKeysChanged: (keyId) => {
        // The shown next rotation follows the key's rotation policy (the scheduler's due time), not its type's default.
        syncNextRotation(keyId);
        emit('keys:changed', { keyId });
        rollouts?.noteKeyChanged(keyId);
      },
      checkpointWal: () => store.checkpointWal(),
      registry: liveRegistry,
      store: createStoreKeyProvider({ repo: keysRepo, keyring, clock }),
      localKms,
      restrictions: createKeyRestrictions(),
      providerDriven: (key) => policies.forKey(key).policy.driver === 'provider',
      retiredAt: (keyId, version) => rolloutRepo.retirement(keyId, version)?.retiredAt ?? null,
      ...(options.rotation?.countUsage === false ? {} : { usage: usageMeter }),
      ...(observing ? { observe: (action: string, provider: string, ms: number, ok: boolean) => metrics.keyOperation(action, provider, ms, ok) } : {}),
    };
    // One lifecycle and one crypto service for every key, local or on a provider.
    const lifecycle = createKeyLifecycle(keyDeps);
    const keyOps = createKeyCrypto(keyDeps);
    const providerRotation = createProviderRotation({
      keys: keyDeps,
      policies,
      ...(options.rotation?.driftIntervalMs === undefined ? {} : { driftIntervalMs: options.rotation.driftIntervalMs }),
    });
    const liveScheduler = createRotationScheduler({
      beforePass: async (now) => {
        await providerRotation.prePass(now);
        // Rollouts a missed change notice left unqueued, and previous versions due for retirement.
        rollouts?.sweep(now);
      },
      keys: keysRepo,
      repo: rotationRepo,
      policies,
      rotate: (keyId, expectVersion) => lifecycle.rotate(keyId, { expectVersion }),
      session: liveSession,
      audit,
      clock,
      logger,
      transaction,
      ...(options.rotation?.timers ? { timers: options.rotation.timers } : {}),
      ...(options.rotation?.tickMs === undefined ? {} : { tickMs: options.rotation.tickMs }),
      ...(options.rotation?.concurrency === undefined ? {} : { concurrency: options.rotation.concurrency }),
      onChanged: () => emit('keys:changed', { keyId: null }),
    });
    scheduler = liveScheduler;
    syncNextRotation(null);
    if (options.rotation?.scheduler !== false) liveScheduler.start();
    const batchOptions = options.rotation?.batch ?? {};
    const batchRotate: BatchRotate = (keyId, opts) => lifecycle.rotate(keyId, opts);
    const batches = createRotationBatches({
      repo: createRotationBatchRepo(store.db),
      keys: keysRepo,
      rotate: batchOptions.rotateThrough ? batchOptions.rotateThrough(batchRotate) : batchRotate,
      session: liveSession,
      audit,
      commits,
      clock,
      logger,
      transaction,
      ...(batchOptions.sleep ? { sleep: batchOptions.sleep } : {}),
      ...(batchOptions.retryBaseMs === undefined ? {} : { retryBaseMs: batchOptions.retryBaseMs }),
      ...(batchOptions.retryMaxMs === undefined ? {} : { retryMaxMs: batchOptions.retryMaxMs }),
      onProgress: (p) => emit('rotation:batchProgress', p),
    });
    // Lockdown orders, signed through the key service with the emergency key (docs/lockdown-orders.md); their files,
    // the robots' answers and the published CRLs are kept for delivery at stations and in key bundles.
    const orderDeliveryRepo = createOrderDeliveryRepo(store.db);
    const fleetCaRepo = { ...createFleetCaRepo(store.db), saveCrl: orderDeliveryRepo.saveCrl, latestCrl: orderDeliveryRepo.latestCrl };
    const lockdown = createLockdownService({
      saveFile: orderDeliveryRepo.saveOrderFile,
      caKeyIdOf: (caId) => {
        const ca = fleetCaRepo.getCa(caId);
        return ca === null ? null : signerKeyId(new X509Certificate(ca.certDer).publicKey);
      },
      keys: keysRepo,
      sign: (keyId, data) => keyOps.sign(keyId, data),
      publicKey: (keyId) => lifecycle.publicKey(keyId),
      repo: createLockdownRepo(store.db),
      audit,
      session: liveSession,
      clock,
    });
    const checkOverdue = (): number => {
      if (liveSession.status().state !== 'unlocked') return 0;
      const now = clock.now();
      let overdue = 0;
      for (const u of liveScheduler.upcoming()) {
        const lateMs = now - Date.parse(u.dueAt);
        if (lateMs < OVERDUE_AFTER_MS) continue;
        overdue++;
        alerts.raise(overdueAlert(u.keyId, u.fromVersion, u.dueAt, lateMs));
      }
      return overdue;
    };
    metrics.start();
    let stopOverdue: (() => void) | null = null;
    let prometheus: PrometheusEndpoint | null = null;
    const longRunning = options.rotation?.scheduler !== false;
    if (longRunning) {
      const t = setInterval(() => {
        try {
          checkOverdue();
        } catch (e) {
          logger.warn('checking for overdue rotations failed', { error: isConsoleError(e) ? e.code : 'internal' });
        }
      }, options.metrics?.overdueCheckMs ?? 60_000);
      t.unref();
      stopOverdue = () => clearInterval(t);
      if (promAddress) {
        // A port in use (or any bind failure) leaves the console running without the endpoint, said in the log.
        // prom-client is imported here, only when the endpoint is configured (not loaded at start-up otherwise).
        prometheus = await import('./services/metrics/prometheusRegistry.ts')
          .then(({ buildRegistry }) => startPrometheusEndpoint(promAddress, buildRegistry(metrics, () => alerts.open())))
          .catch((e: unknown) => {
            logger.error('the Prometheus endpoint could not start', { host: promAddress.host, port: promAddress.port, error: e instanceof Error ? e.message : String(e) });
            return null;
          });
      }
    }
    const providerHandlers = createProviderHandlers({
      registry: liveRegistry,
      session: liveSession,
      audit,
      keys: keyDeps.repo,
      backup: createBackupService({ ...keyDeps, backups: createKeyBackupsRepo(store.db), onProgress: (p) => emit('jobs:progress', p) }),
      migration: createMigrationService({ ...keyDeps, onProgress: (p) => emit('jobs:progress', p) }),
      onProvidersChanged: (id) => emit('providers:changed', { id }),
    });

    const fleetRepo = createFleetRepo(store.db);
    const fleetBase = {
      keys: keyDeps.repo,
      session: liveSession,
      audit,
      clock,
      logger,
      transaction,
      onFleetChanged: (deviceId: string | null) => emit('fleet:changed', { deviceId }),
    };
    const fleet = createFleetRegistry({ ...fleetBase, repo: fleetRepo });
    const liveRollouts = createRollouts({ ...fleetBase, repo: rolloutRepo, fleetRepo, onChanged: (keyId) => emit('keys:changed', { keyId }) });
    rollouts = liveRollouts;
    const keyAssignmentsRepo = createKeyAssignmentsRepo(store.db);
    const keyAssignments = createKeyAssignments({ ...fleetBase, repo: keyAssignmentsRepo, fleetRepo });
    const orderDelivery = createOrderDelivery({
      repo: orderDeliveryRepo, fleetRepo, keys: keysRepo, publicKey: (keyId) => lifecycle.publicKey(keyId), currentCaId: () => fleetCaRepo.currentCaId(),
      audit, actor: () => liveSession.actor(), clock, transaction,
    });
    const fleetCa = createFleetCaService({
      repo: fleetCaRepo,
      registry: liveRegistry,
      localKms,
      fleet,
      fleetRepo,
      session: liveSession,
      audit,
      clock,
      logger,
      transaction,
    });
    // Replacing and revoking the fleet CA (ca:replace, ca:revoke: guarded, two-person control).
    const caTransitions = createCaTransitionsRepo(store.db);
    // The retired CAs' cross-certificates for later CAs (migration 43): signed at a replacement, sent by the field link.
    const caCross = createCaCrossCertificates({ ca: fleetCa, caRepo: fleetCaRepo, transitions: caTransitions, repo: createCaCrossRepo(store.db), audit, clock, logger });
    let afterCaChange: () => Promise<void> = async () => undefined; // set once the field link exists (below)
    const caTransition = createCaTransition({ ca: fleetCa, repo: fleetCaRepo, transitions: caTransitions, session: liveSession, audit, clock, transaction, cross: caCross, changed: () => afterCaChange() });
    // The retired CAs' endorsements of the current CA: over the link (RENEW) and in key bundle files (v3), signed once per pair.
    // Each endorsement sent is recorded per robot (migration 38), so the endorsed CA's CRL reaches it once that CA is retired.
    const caEndorsements = createCaEndorsements({ ca: fleetCa, caRepo: fleetCaRepo, transitions: caTransitions, endorsed: { repo: createCaEndorsedRepo(store.db), now: () => clock.now() } });
    // Robots whose provisioning or re-issue holds a certificate not yet recorded in the registry, shared by the station
    // (both modes, provisionOnce / distributeOnce) and the field link's re-issues: the unlock sweep leaves them alone.
    const certificatesInFlight = new Set<string>();
    const reissue = createReissueDeps({ ca: fleetCa, caRepo: fleetCaRepo, transitions: caTransitions, fleet, session: liveSession, audit, clock, transaction, logger, endorsements: caEndorsements, inFlight: certificatesInFlight });
    const robotRevocation = createRobotRevocation({ ca: fleetCa, fleet, fleetRepo, session: liveSession, audit, clock, logger, transaction });
    const fleetHandlers = createFleetHandlers(fleet, robotRevocation, async () =>
      buildFleetDashboard({
        repo: fleetRepo,
        keys: keyDeps.repo,
        session: liveSession,
        clock,
        providers: async () => (await providerHandlers['providers:list']({}, { transport: 'test' })).providers,
      }),
    );
    const bundles = createBundleService(
      bundleDepsFrom({
        ca: fleetCa, keys: keyDeps.repo, fleet, fleetRepo, bundles: createKeyBundlesRepo(store.db), session: liveSession, audit, clock, transaction, endorsements: caEndorsements,
        // Field distribution follows the rollouts' gates: a robot whose wave is not open keeps the version it holds.
        assignments: { deliverable: (deviceId) => liveRollouts.gate(deviceId, keyAssignments.deliverable(deviceId)) },
        hooks: {
          onInstalled: (deviceId, keys) => liveRollouts.noteInstalled(deviceId, keys),
          onFailed: (deviceId, keys, code) => liveRollouts.noteFailed(deviceId, keys, code),
          orders: orderDelivery,
        },
      }),
    );
    const station = createStationService({
      bundles,
      orders: orderDelivery,
      reissue,
      inFlight: certificatesInFlight,
      ca: fleetCa,
      keys: keyDeps.repo,
      fleet,
      fleetRepo,
      session: liveSession,
      audit,
      clock,
      logger,
      transaction,
      assignments: keyAssignments,
      emitProgress: (p) => emit('station:progress', p),
      ...(options.station?.stepTimeoutMs === undefined ? {} : { stepTimeoutMs: options.station.stepTimeoutMs }),
      ...(options.station?.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.station.pollIntervalMs }),
      ...(options.station?.openPort === undefined ? {} : { openPort: options.station.openPort }),
      ...(options.station?.issueWith === undefined ? {} : { issueWith: options.station.issueWith }),
      ...(options.station?.listPorts === undefined ? {} : { listPorts: options.station.listPorts }),
    });
    const emergency = createEmergencyResponse({
      repo: createEmergencyRepo(store.db),
      fleetRepo,
      keys: keysRepo,
      keyProviders: (key) => locationsOf(key, keysRepo.listVersions(key.id)).map((l) => l.providerId),
      providerState: (providerId) => {
        const p = holderOf(keyDeps, providerId);
        return { configured: p !== null, reachable: p !== null && looksReachable(p) };
      },
      atStation: () => station.status().ports.filter((p) => p.deviceId !== null && p.state === 'active').map((p) => p.deviceId!),
      lifecycle,
      expediteRollout: (keyId, reason) => rollouts?.expedite(keyId, reason),
      ca: fleetCa,
      caTransition,
      fleet,
      lockdown,
      storedCrlPem: (caId, crlNumber) => {
        const der = orderDeliveryRepo.crl(caId, crlNumber);
        return der === null ? null : toPem(der, 'X509 CRL');
      },
      raiseAlert: (draft) => void alerts.raise(draft),
      audit,
      session: liveSession,
      clock,
      logger,
      transaction,
      transactionCheckpointAfter: (fn) => store.checkpointAfter(() => transaction(fn)),
      onRunChanged: (change) => emit('emergency:runChanged', change),
    });
    // Incident kits for offline response (docs/incident-kit.md): orders signed like any lockdown order, the manifest
    // with the audit key; the responder's passphrase is checked against their own slot before it seals the kit.
    const kitSlots = createSlotCrypto(options.keychain, () => false);
    const kitRepo = createIncidentKitRepo(store.db);
    const kits = createKitService({
      repo: kitRepo,
      fleetRepo,
      fleet,
      lockdown,
      publicKey: (keyId) => lifecycle.publicKey(keyId),
      fleetCas: () => caTransition.history().cas.map((ca) => ({ caId: ca.id, subject: ca.subject, state: ca.state })),
      crl: async () => {
        try {
          return await fleetCa.crl();
        } catch (e) {
          if (isConsoleError(e) && e.code === 'not_initialized') return null;
          throw e;
        }
      },
      checkPassphrase: async (operator, passphrase) => {
        const op = operatorsRepo.get(operator);
        if (op === null) return false;
        const master = await kitSlots.open(op.slot, liveSession.storeId(), op.name, passphrase);
        master?.fill(0);
        return master !== null;
      },
      audit,
      session: liveSession,
      clock,
      kdf,
      transaction,
    });
    // The field link (docs/field-link.md): the same deliveries as a station in distribute mode, over mutual TLS.
    const deliverable = (deviceId: string) => liveRollouts.gate(deviceId, keyAssignments.deliverable(deviceId));
    const field = createFieldLink({
      session: liveSession, audit, clock, logger,
      ca: () => fleetCa.require(),
      trustedCas: () => trustedCas(caTransition.history().cas, clock.now()),
      crossCertificates: (caId) => caCross.chainFor(caId, liveSession.actor()),
      caCertificate: caRecordLookup(fleetCaRepo),
      fleetRepo,
      contacts: createFieldContactRepo(store.db),
      due: dueCheck({ deliverable, fleetRepo, orders: orderDelivery, reissueDue: (deviceId) => reissue.due(deviceId) }),
      distribution: (deviceId) => createDistributionDeps({ bundles, fleet, fleetRepo, session: liveSession, audit, orders: orderDelivery, reissue, expectedDeviceId: deviceId }),
      stepTimeoutMs: options.station?.stepTimeoutMs ?? 10_000,
      currentCaId: () => fleetCaRepo.currentCaId(),
      ...(options.field?.renewCheckMs === undefined ? {} : { renewCheckMs: options.field.renewCheckMs }),
    });
    const fieldAutostart = createFieldAutostart({ settings: createSettingsRepo(store.db), link: field, session: liveSession, audit, clock, logger, transaction });
    // A replaced CA: the running field link gets a certificate of the new one at once (not at its next periodic check).
    // A revoked (compromised) CA, by ca:revoke or an emergency run's revoke_ca: the link stops sending that CA's
    // cross-certificate at once. Both through caTransition's `changed`, after the transition is committed.
    afterCaChange = async () => {
      await field.checkRenewal();
    };
    const caHandlersRenewingField = createCaTransitionHandlers(caTransition);
    onLocked = () => {
      station.shutdown();
      void field.stop();
      fleetCa.forget();
    };
    onUnlocked = () => {
      // Rotations that came due while locked run at the next pass, soon; how many waited is kept for the dashboard.
      liveScheduler.noteUnlocked();
      liveScheduler.kick();
      // Batch jobs a crash or a lock interrupted go on where they stopped (one-shot CLI commands leave them alone).
      if (options.rotation?.scheduler !== false) batches.resumeInterrupted();
      // Rollouts of versions made while no notice could queue them (a crash between a rotation and its rollout).
      try {
        liveRollouts.sweep(clock.now());
      } catch (e) {
        logger.warn('the rollout sweep at unlock failed', { error: isConsoleError(e) ? e.code : 'internal' });
      }
      // The field link on its stored address, when an officer asked for it (docs/field-link.md "Starting at unlock").
      if (options.field?.startAtUnlock === true) void fieldAutostart.atUnlock();
      // The candidates are listed synchronously here, before any station session can start.
      void station.sweepAbandoned().catch((e: unknown) => logger.warn('sweeping abandoned certificates failed', { error: isConsoleError(e) ? e.code : 'internal' }));
    };

    /** Audits an audit-log operation (the record lands after the operation, so an export does not contain itself). */
    const auditedAuditOp = <T>(action: string, fn: () => T): T => {
      try {
        liveSession.require();
        const value = fn();
        audit.append({ actor: liveSession.actor(), action, targetType: 'audit', targetId: null, outcome: 'success' });
        return value;
      } catch (e) {
        const code = isConsoleError(e) ? e.code : 'internal';
        audit.append({ actor: liveSession.actor(), action, targetType: 'audit', targetId: null, outcome: 'failure', details: { code } });
        throw isConsoleError(e) ? e : new ConsoleError('internal', `${action} failed unexpectedly.`);
      }
    };

    const auditExports = createAuditExports({
      audit,
      session: { require: () => void liveSession.require(), actor: () => liveSession.actor() },
      emitProgress: (p) => emit('audit:exportProgress', p),
      clock,
      logger,
      ...(options.chooseAuditExportPath ? { chooseSavePath: options.chooseAuditExportPath } : {}),
    });

    // The signed compliance report of a period (docs/compliance-report.md).
    const reports = createReportService({
      repo: createReportRepo(store.db),
      audit,
      session: liveSession,
      clock,
      fontDir: options.reportFontDir ?? null,
      policyOf: (keyId) => {
        const key = keysRepo.get(keyId);
        return key ? policies.forKey(key).policy : null;
      },
    });
    const idle = createIdleLock({ clock, session: liveSession, settings: createSettingsRepo(store.db), audit, logger, transaction, beforeLock: () => commits.flush() });
    const idleEnabled = options.idleLock !== undefined;
    if (idleEnabled && options.idleLock?.intervalMs !== null) idle.start(options.idleLock?.intervalMs);

    let closed = false;
    const access = createAccessGate({
      session: liveSession,
      audit,
      clock,
      logger,
      ...(options.refusalAudit?.timers ? { timers: options.refusalAudit.timers } : {}),
      ...(options.refusalAudit?.windowMs === undefined ? {} : { refusalWindowMs: options.refusalAudit.windowMs }),
    });
    const approvalsRepo = createApprovalsRepo(store.db);
    const approvals = createApprovals({
      repo: approvalsRepo,
      onChanged: (change) => emit('approvals:changed', change),
      operators: operatorsRepo,
      session: liveSession,
      audit,
      access,
      clock,
      transaction,
      rotationPolicy: (target) => {
        if ('type' in target) return policies.forType(target.type).policy;
        const key = keysRepo.get('keyId' in target ? target.keyId : target.typeOfKey);
        if (!key) return null;
        return 'keyId' in target ? policies.forKey(key).policy : policies.forType(key.type).policy;
      },
      // The approved input runs on its channel's own handler, past the guard (the access gate was checked already).
      run: (channel, input, ctx) => (routes[channel] as (i: unknown, c: CallContext) => Promise<unknown>)(input, ctx),
    });
    const routes: Handlers = {
      'session:status': async () => liveSession.status(),
      'session:init': ({ operator, passphrase }) => liveSession.init(operator, passphrase),
      'session:unlock': ({ operator, passphrase, totp, tokenPin, recoveryCode }) => liveSession.unlock(operator, passphrase, { totp, tokenPin, recoveryCode }),
      'session:lock': async () => {
        // Operations already finished commit (and are recorded) before the lock record.
        commits.flush();
        return liveSession.lock();
      },
      ...createKeyHandlers({ lifecycle, crypto: keyOps, placement: createKeyPlacer({ registry: liveRegistry, env: options.env ?? process.env, audit, session: liveSession }) }),
      ...providerHandlers,
      ...fleetHandlers,
      ...createKeyAssignmentHandlers(keyAssignments),
      ...createStationHandlers(fleetCa, station, bundles),
      ...createFieldHandlers(field, liveSession, fieldAutostart),
      ...caHandlersRenewingField,
      ...createRotationHandlers({
        policies,
        keyPolicy: providerRotation,
        scheduler: liveScheduler,
        keys: keysRepo,
        session: liveSession,
        clock,
        usage: (key, version) => usageMeter.usage(key, version),
        sitesOf: (keyId) => {
          const sites = new Set<string>();
          for (const a of keyAssignmentsRepo.listForKey(keyId)) {
            const site = a.scope === 'site' ? a.scopeId : fleetRepo.get(a.scopeId)?.site;
            if (site) sites.add(site);
          }
          return [...sites].sort();
        },
        periodic: () => options.rotation?.scheduler !== false,
      }),
      ...createBatchHandlers(batches),
      ...createRolloutHandlers(liveRollouts),
      ...createEmergencyHandlers(lockdown, emergency),
      ...createKitHandlers(kits),
      ...createMetricsHandlers({ metrics, alerts, session: liveSession }),
      ...createReportHandlers(reports),
      ...createOperatorHandlers({
        repo: operatorsRepo,
        session: liveSession,
        audit,
        clock,
        transaction,
        checkpointWal: () => store.checkpointWal(),
        onChanged: operatorChanged,
        approvalKeys: approvalsRepo,
        onApprovalKeyRevoked: () => emit('approvals:changed', { requestId: null, state: null }),
        openKitsByOperator: (now, name) =>
          new Map([...kitRepo.openByResponder(now, name)].map(([who, kits]) => [who, kits.map(({ kitId, exportedAt, expiresAt }) => ({ kitId, exportedAt, expiresAt }))])),
      }),
      ...createApprovalHandlers(approvals),
      ...createTotpHandlers({ repo: operatorsRepo, session: liveSession, audit, clock, kdf, transaction, onChanged: operatorChanged }),
      ...createReminderHandlers({ repo: operatorsRepo, session: liveSession, audit, clock, transaction }),
      'session:idleLock': async () => {
        liveSession.require();
        return { minutes: idle.minutes() };
      },
      'session:setIdleLock': async ({ minutes }) => {
        liveSession.require();
        return { minutes: idle.setMinutes(minutes) };
      },
      'session:visibility': async ({ hidden }) => {
        idle.visibility(hidden);
        if (idleEnabled) idle.check();
        return { state: liveSession.status().state };
      },
      ...createRecoveryHandlers({ repo: recoveryRepo, session: liveSession, audit, clock, transaction }),
      ...createBackupHandlers({
        db: store.db,
        dataDir: options.dataDir,
        schemaVersion: store.schemaVersion,
        kdf,
        session: liveSession,
        audit,
        clock,
        settle: () => {
          commits.flush();
          audit.checkpoint();
        },
      }),
      'audit:query': async (input) => {
        liveSession.require();
        return audit.query(input);
      },
      'audit:verify': async () =>
        auditedAuditOp('audit.verify', () => {
          const v = audit.verify();
          return { ok: v.ok, checkedRecords: v.checkedRecords, checkpoints: v.checkpoints, lastCheckpointSeq: v.lastCheckpointSeq, firstBad: v.firstBad };
        }),
      'audit:export': (_input, ctx) => auditExports.start(ctx.transport),
      'audit:actions': async () => {
        liveSession.require();
        return { actions: audit.actions() };
      },
      'audit:keyFingerprint': async () => {
        liveSession.require();
        return { fingerprint: audit.keyFingerprint() };
      },
    };

    // After close() every channel answers locked instead of reaching a closed database; a channel the signed-in
    // operator's role may not call answers forbidden, whatever called the handler (the routers check first).
    const handlers = Object.fromEntries(
      Object.entries(routes).map(([name, fn]) => [
        name,
        (input: never, ctx: CallContext) => {
          if (closed) return Promise.reject(new ConsoleError('locked', 'The console was closed.'));
          try {
            if (idleEnabled) {
              // A call after the idle time finds the session locked (the timer may not have run yet), then counts.
              idle.check();
              if (!PASSIVE_CHANNELS.has(name)) idle.activity();
            }
            access.check(name as ChannelName, ctx, { parsed: input });
            // A guarded call (destroying a key, making an admin, ...) becomes an approval request instead of running.
            approvals.require(name as ChannelName, input);
          } catch (e) {
            return Promise.reject(e);
          }
          return (fn as (i: never, c: CallContext) => Promise<unknown>)(input, ctx);
        },
      ]),
    ) as Handlers;

    return {
      handlers,
      access,
      approvals,
      idle,
      dataDir: options.dataDir,
      storePath: store.path,
      audit,
      fleet,
      station,
      bundles,
      field,
      auditExports,
      reports,
      keys: { ...lifecycle, ...keyOps },
      rotation: {
        policies,
        scheduler: liveScheduler,
        provider: providerRotation,
        batches,
        rollouts: liveRollouts,
        usage(keyId, version) {
          const key = keysRepo.get(keyId);
          return key ? usageMeter.usage(key, version) : null;
        },
      },
      metrics: { service: metrics, alerts, checkOverdue, prometheus },
      emergency,
      recovery: {
        voidUndeliveredSet: (setId, why) => voidUndeliveredShareSet({ repo: recoveryRepo, session: liveSession, audit, transaction }, setId, why),
        auditUndeliveredBackup: (path, why) => auditUndeliveredBackup({ session: liveSession, audit }, path, why),
      },
      ca: fleetCa,
      diagnostics() {
        let keyMaterialCache: MaterialCacheStats | null = null;
        try {
          keyMaterialCache = liveSession.require().keyring.materialCacheStats();
        } catch {
          // locked: nothing is cached
        }
        return { keyMaterialCache, auditGroups: commits.stats() };
      },
      onEvent(listener) {
        listeners.add(listener);
        return () => {
          listeners.delete(listener);
        };
      },
      close() {
        if (closed) return;
        closed = true;
        try {
          liveScheduler.stop();
          idle.stop();
          stopOverdue?.();
          void prometheus?.close();
          commits.flush();
          // The counts of coalesced refusals are written; later refusals (the database closes) are not audited.
          access.close();
          metrics.stop();
          alerts.close();
          station.shutdown();
          void field.stop();
          liveSession.close();
          void liveRegistry.deactivate();
        } catch (e) {
          logger.error('locking on close failed', { error: e instanceof Error ? e : String(e) });
        } finally {
          listeners.clear();
          audit.close();
          store.close();
        }
      },
    };
  } catch (e) {
    store.close();
    throw e;
  }
}
