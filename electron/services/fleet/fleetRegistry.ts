// The fleet registry: robots and their status lifecycle, which key version each robot holds, its certificates, and
// the CSV import/export. Every change is audited (targetType 'robot') and commits together with its audit record.
// Other services (fleet CA, provisioning station) call recordProvisioned / recordKeyVersions / attachCertificate.
import { canRobotTransition, type RobotStatus } from '../../../shared/domain.ts';
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import type { RobotDetail, RobotSummary } from '../../../shared/fleetContract.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import type { FleetRepo, RobotFilter, RobotRow } from '../../store/fleetRepo.ts';
import type { KeysRepo } from '../../store/keysRepo.ts';
import type { AuditDetails, AuditLog } from '../audit/auditLog.ts';
import { csvError, type CsvRobot, parseFleetCsv, writeFleetCsv } from './fleetCsv.ts';
import type { Session } from '../session/session.ts';

export interface FleetDeps {
  repo: FleetRepo;
  keys: KeysRepo;
  session: Session;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  transaction<T>(fn: () => T): T;
  onFleetChanged(deviceId: string | null): void;
}

export interface NewRobot {
  deviceId: string;
  name: string;
  model: string;
  site: string;
  firmware: string;
  tags: string[];
  status: RobotStatus;
}

export type RobotChanges = Partial<Pick<NewRobot, 'name' | 'model' | 'site' | 'firmware' | 'tags'>>;

export interface KeyVersionHolding {
  keyId: string;
  version: number;
}

export interface CertificateInput {
  serial: string;
  subject?: string;
  notBefore?: string;
  notAfter: string;
  pem: string;
}

export interface FleetRegistry {
  list(filter: RobotFilter): { total: number; robots: RobotSummary[] };
  get(deviceId: string): RobotDetail;
  create(input: NewRobot): RobotSummary;
  update(deviceId: string, changes: RobotChanges): RobotSummary;
  /** Any status change but to `revoked`, which revokes the robot's certificates too (robotRevocation.ts, recordRevoked). */
  setStatus(deviceId: string, status: RobotStatus, reason: string): RobotSummary;
  /**
   * Quarantines many robots in one transaction with ONE `robot.status.batch` audit record (`deviceList`, `fromList` in
   * the same order, `to`, `reason`, `count`, and `details`) instead of one `robot.status` each; at most
   * QUARANTINE_BATCH_MAX robots a call. Answers each robot's outcome: `quarantined`, `already` (it was), or the error code
   * that kept it out (`not_found`, `illegal_transition`); those others are left as they are and not in the record.
   */
  quarantineBatch(deviceIds: readonly string[], reason: string, details: AuditDetails): Map<string, 'quarantined' | 'already' | 'not_found' | 'illegal_transition'>;
  /**
   * For the robot revocation, in its transaction once the robot's certificates are revoked: the status becomes
   * `revoked`, audited as robot.status with the revocation's `details` (certificate serials, CRL number).
   */
  recordRevoked(deviceId: string, reason: string, details: AuditDetails): RobotSummary;
  sites(): Array<{ name: string; count: number }>;
  models(): Array<{ name: string; count: number }>;
  /** `check`: validate only (nothing written, not audited); answers the robots and their sites that would be imported. */
  importCsv(csv: string, check?: boolean): { imported: number; checked?: { robots: number; sites: Array<{ name: string; count: number }> } };
  exportCsv(): { fileName: string; content: string; robots: number };
  /**
   * For the provisioning station: marks a robot provisioned (registering it first when unknown) and records the key
   * versions it received, in the caller's transaction when there is one (better-sqlite3 nests as a savepoint).
   */
  recordProvisioned(deviceId: string, keys: readonly KeyVersionHolding[], robot?: Omit<NewRobot, 'deviceId' | 'status'>): RobotSummary;
  /** Records the key versions a robot now holds after a distribution. */
  recordKeyVersions(deviceId: string, keys: readonly KeyVersionHolding[], source?: 'provisioning' | 'distribution'): void;
  /** Stores an issued certificate for the robot (status active). */
  attachCertificate(deviceId: string, cert: CertificateInput): void;
  /** Marks a certificate revoked (the CA's CRL is its own concern). */
  revokeCertificate(serial: string, reason: string): void;
  /**
   * For a batch revocation by the CA, in its transaction: the active copies among `serials` become revoked, not audited
   * here (the CA's ca.revoke.batch record names every serial and counts these copies). Answers the serials changed.
   */
  revokeCertificateCopies(serials: readonly string[]): Set<string>;
  /** Robots that still hold this key (at this version, when given): what blocks retiring it. */
  holdersOf(keyId: string, version?: number): string[];
  /** Records when a robot was last heard from (not audited: it is telemetry, not a change an officer made). */
  touch(deviceId: string, at?: string): void;
}

/** At most this many robots per quarantineBatch call (its record's lists stay under the audit's list limit). */
export const QUARANTINE_BATCH_MAX = 1000;

export const toRobotSummary = (r: RobotRow): RobotSummary => ({
  deviceId: r.deviceId,
  name: r.name,
  model: r.model,
  site: r.site,
  firmware: r.firmware,
  tags: r.tags,
  status: r.status,
  lastSeen: r.lastSeen,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

export function createFleetRegistry(deps: FleetDeps): FleetRegistry {
  const { repo, clock } = deps;
  const nowIso = () => new Date(clock.now()).toISOString();

  /** Runs one change for the unlocked session inside a transaction with its success record; audits failures too. */
  function audited<T>(action: string, deviceId: string | null, op: () => { value: T; details?: AuditDetails }): T {
    try {
      const value = deps.transaction(() => {
        deps.session.require();
        const r = op();
        deps.audit.append({ actor: deps.session.actor(), action, targetType: 'robot', targetId: deviceId, outcome: 'success', details: r.details ?? {} });
        return r.value;
      });
      deps.onFleetChanged(deviceId);
      return value;
    } catch (e) {
      const err = isConsoleError(e) ? e : new ConsoleError('internal', `${action} failed unexpectedly.`);
      if (!isConsoleError(e)) deps.logger.error(`${action} failed`, { deviceId, error: e instanceof Error ? e.name : 'unknown' });
      const details: AuditDetails = { code: err.code };
      if (typeof err.details?.line === 'number') details.line = err.details.line;
      deps.audit.append({ actor: deps.session.actor(), action, targetType: 'robot', targetId: deviceId, outcome: 'failure', details });
      throw err;
    }
  }

  const load = (deviceId: string): RobotRow => {
    const r = repo.get(deviceId);
    if (!r) throw new ConsoleError('not_found', `No robot with device id ${deviceId}.`);
    return r;
  };

  const insertRobot = (input: NewRobot, at: string) => {
    if (repo.get(input.deviceId)) throw new ConsoleError('invalid_input', `A robot with device id ${input.deviceId} is already registered.`, { field: 'deviceId' });
    repo.ensureSite(input.site, at);
    repo.ensureModel(input.model, at);
    const row: RobotRow = { ...input, statusReason: null, lastSeen: null, createdAt: at, updatedAt: at };
    repo.insert(row);
    return row;
  };

  const holdKeys = (deviceId: string, keys: readonly KeyVersionHolding[], source: 'provisioning' | 'distribution', at: string) => {
    for (const k of keys) {
      const key = deps.keys.get(k.keyId);
      if (!key) throw new ConsoleError('not_found', `No key with id ${k.keyId}.`, { field: 'keyId' });
      if (!Number.isInteger(k.version) || k.version < 1 || k.version > key.currentVersion) {
        throw new ConsoleError('invalid_input', `Key ${k.keyId} has no version ${k.version}.`, { field: 'version' });
      }
      repo.upsertKeyVersion({ deviceId, keyId: k.keyId, version: k.version, source, recordedAt: at });
    }
  };

  const changeStatus = (deviceId: string, status: RobotStatus, reason: string, extra: AuditDetails) => {
    const before = load(deviceId);
    if (!canRobotTransition(before.status, status)) {
      throw new ConsoleError('illegal_transition', `Robot ${deviceId} is ${before.status}; it cannot become ${status}.`, { from: before.status, to: status });
    }
    const row: RobotRow = { ...before, status, statusReason: reason || null, updatedAt: nowIso() };
    repo.update(row);
    return { value: toRobotSummary(row), details: { from: before.status, to: status, reason, ...extra } };
  };

  const keysDetail = (keys: readonly KeyVersionHolding[]) => keys.map((k) => `${k.keyId}@${k.version}`).join(' ');

  return {
    list(filter) {
      deps.session.require();
      const { total, robots } = repo.list(filter.renewal ? { ...filter, at: new Date(deps.clock.now()).toISOString() } : filter);
      return { total, robots: robots.map(toRobotSummary) };
    },

    get(deviceId) {
      deps.session.require();
      const r = load(deviceId);
      return {
        ...toRobotSummary(r),
        statusReason: r.statusReason,
        keys: repo.keysOf(deviceId).map((h) => {
          const key = deps.keys.get(h.keyId);
          return { keyId: h.keyId, label: key?.label ?? null, type: key?.type ?? null, version: h.version, currentVersion: key?.currentVersion ?? null, recordedAt: h.recordedAt, source: h.source };
        }),
        certificates: repo.certificatesOf(deviceId).map(({ deviceId: _d, ...c }) => c),
      };
    },

    create(input) {
      return audited('robot.create', input.deviceId, () => {
        const row = insertRobot(input, nowIso());
        return { value: toRobotSummary(row), details: { name: input.name, model: input.model, site: input.site, status: input.status } };
      });
    },

    update(deviceId, changes) {
      return audited('robot.update', deviceId, () => {
        const before = load(deviceId);
        const at = nowIso();
        if (changes.site !== undefined) repo.ensureSite(changes.site, at);
        if (changes.model !== undefined) repo.ensureModel(changes.model, at);
        const row: RobotRow = { ...before, ...changes, updatedAt: at };
        repo.update(row);
        const details: AuditDetails = {};
        for (const [field, value] of Object.entries(changes)) {
          const old = before[field as keyof RobotChanges];
          const text = Array.isArray(value) ? value.join(';') : String(value);
          const oldText = Array.isArray(old) ? old.join(';') : String(old);
          if (text !== oldText) details[field] = `${oldText} -> ${text}`;
        }
        return { value: toRobotSummary(row), details };
      });
    },

    setStatus(deviceId, status, reason) {
      return audited('robot.status', deviceId, () => {
        // A revoked robot whose certificates stay valid is what an attacker holding it would want: never by this path.
        if (status === 'revoked') throw new ConsoleError('invalid_input', 'A robot is revoked together with its certificates (robot revocation), not by a status change alone.', { field: 'status' });
        return changeStatus(deviceId, status, reason, {});
      });
    },

    quarantineBatch(deviceIds, reason, details) {
      if (deviceIds.length > QUARANTINE_BATCH_MAX) throw new ConsoleError('invalid_input', `At most ${QUARANTINE_BATCH_MAX} robots a batch.`, { field: 'deviceIds' });
      const outcome = new Map<string, 'quarantined' | 'already' | 'not_found' | 'illegal_transition'>();
      const changed: string[] = [];
      const from: string[] = [];
      deps.transaction(() => {
        deps.session.require();
        const at = nowIso();
        for (const deviceId of deviceIds) {
          const before = repo.get(deviceId);
          if (!before) outcome.set(deviceId, 'not_found');
          else if (before.status === 'quarantined') outcome.set(deviceId, 'already');
          else if (!canRobotTransition(before.status, 'quarantined')) outcome.set(deviceId, 'illegal_transition');
          else {
            repo.update({ ...before, status: 'quarantined', statusReason: reason || null, updatedAt: at });
            outcome.set(deviceId, 'quarantined');
            changed.push(deviceId);
            from.push(before.status);
          }
        }
        if (changed.length > 0) {
          deps.audit.append({
            actor: deps.session.actor(), action: 'robot.status.batch', targetType: null, targetId: null, outcome: 'success',
            details: { ...details, to: 'quarantined', reason, count: changed.length, deviceList: changed.join(' '), fromList: from.join(' ') },
          });
        }
      });
      if (changed.length > 0) deps.onFleetChanged(null);
      return outcome;
    },

    recordRevoked(deviceId, reason, details) {
      return audited('robot.status', deviceId, () => changeStatus(deviceId, 'revoked', reason, details));
    },

    sites: () => (deps.session.require(), repo.sites()),
    models: () => (deps.session.require(), repo.models()),

    importCsv(csv, check = false) {
      if (check) {
        deps.session.require();
        const robots: CsvRobot[] = parseFleetCsv(csv);
        const sites = new Map<string, number>();
        for (const { line, deviceId, site } of robots) {
          if (repo.get(deviceId)) throw csvError(line, 'device_id', `a robot with device id ${deviceId} is already registered`);
          sites.set(site, (sites.get(site) ?? 0) + 1);
        }
        const byCount = [...sites].map(([name, count]) => ({ name, count })).sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
        return { imported: 0, checked: { robots: robots.length, sites: byCount } };
      }
      return audited('fleet.import', null, () => {
        const robots: CsvRobot[] = parseFleetCsv(csv);
        const at = nowIso();
        for (const { line, ...robot } of robots) {
          if (repo.get(robot.deviceId)) throw csvError(line, 'device_id', `a robot with device id ${robot.deviceId} is already registered`);
          insertRobot(robot, at);
        }
        return { value: { imported: robots.length }, details: { imported: robots.length } };
      });
    },

    exportCsv() {
      return audited('fleet.export', null, () => {
        const { content, count } = writeFleetCsv(repo.iterateAll());
        const stamp = nowIso().replace(/[:.]/g, '-');
        return { value: { fileName: `fleet-${stamp}.csv`, content, robots: count }, details: { robots: count } };
      });
    },

    recordProvisioned(deviceId, keys, robot) {
      return audited('robot.provision', deviceId, () => {
        const at = nowIso();
        let row = repo.get(deviceId);
        if (!row) {
          if (!robot) throw new ConsoleError('not_found', `No robot with device id ${deviceId}; register it first or give its name, model and site.`);
          row = insertRobot({ ...robot, deviceId, status: 'manufactured' }, at);
        }
        // Re-provisioning (a provisioned or deployed robot, confirmed by the officer) keeps the status. Either way the
        // robot's new key store holds exactly the delivered keys, so any earlier holdings (a quarantined robot brought
        // back, a robot re-provisioned) are replaced.
        const reprovisioned = row.status === 'provisioned' || row.status === 'deployed';
        if (!reprovisioned) {
          if (!canRobotTransition(row.status, 'provisioned')) {
            throw new ConsoleError('illegal_transition', `Robot ${deviceId} is ${row.status}; it cannot be provisioned.`, { from: row.status, to: 'provisioned' });
          }
          row = { ...row, status: 'provisioned', statusReason: 'provisioned at a factory station', updatedAt: at };
          repo.update(row);
        }
        repo.clearKeyVersions(deviceId);
        holdKeys(deviceId, keys, 'provisioning', at);
        return { value: toRobotSummary(row), details: { keys: keysDetail(keys), reprovisioned } };
      });
    },

    recordKeyVersions(deviceId, keys, source = 'distribution') {
      audited('robot.keys', deviceId, () => {
        load(deviceId);
        holdKeys(deviceId, keys, source, nowIso());
        return { value: undefined, details: { keys: keysDetail(keys), source } };
      });
    },

    attachCertificate(deviceId, cert) {
      audited('robot.certificate', deviceId, () => {
        load(deviceId);
        if (Number.isNaN(Date.parse(cert.notAfter))) throw new ConsoleError('invalid_input', 'The certificate has no valid notAfter time.', { field: 'notAfter' });
        const notAfter = new Date(cert.notAfter).toISOString();
        const notBefore = new Date(cert.notBefore ?? clock.now()).toISOString();
        repo.insertCertificate({ serial: cert.serial, deviceId, subject: cert.subject ?? `CN=${deviceId}`, notBefore, notAfter, status: 'active', pem: cert.pem });
        return { value: undefined, details: { serial: cert.serial, notAfter } };
      });
    },

    revokeCertificate(serial, reason) {
      audited('robot.certificate.revoke', null, () => {
        if (!repo.setCertificateStatus(serial, 'revoked')) throw new ConsoleError('not_found', `No certificate with serial ${serial}.`);
        return { value: undefined, details: { serial, reason } };
      });
    },

    revokeCertificateCopies(serials) {
      deps.session.require();
      const changed = repo.revokeActiveCertificates(serials);
      if (changed.size > 0) deps.onFleetChanged(null);
      return changed;
    },

    holdersOf: (keyId, version) => repo.holders(keyId, version),

    touch(deviceId, at) {
      const row = load(deviceId);
      repo.update({ ...row, lastSeen: new Date(at ?? clock.now()).toISOString() });
      deps.onFleetChanged(deviceId);
    },
  };
}
