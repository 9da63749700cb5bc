// The provisioning station's dependencies, built from the unlocked console: the fleet CA issues, the store delivers
// each robot's communication and storage keys as key assignment chooses them (keyAssignments.ts: robot, else site,
// else newest unassigned; their AES-256 material unwrapped in the main process, never crossing IPC), the fleet
// registry says who is known / provisioned, and the commit records the robot, its certificate and its key versions
// in ONE store transaction. Audit entries carry ids, steps and codes only. The certificate of a session that did not
// commit is revoked (abandon); a revocation that fails is logged and audited, never dropped.
import crypto from 'node:crypto';
import type { KeyType } from '../../../shared/domain.ts';
import { isConsoleError } from '../../../shared/errors.ts';
import type { Logger } from '../../logger.ts';
import { StationError } from '../../station/errors.ts';
import type { DeliverableKey, ProvisioningDeps } from '../../station/session.ts';
import type { FleetRepo } from '../../store/fleetRepo.ts';
import type { KeysRepo } from '../../store/keysRepo.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import type { OrderDelivery } from '../emergency/orderDelivery.ts';
import type { FleetCa, IssuedCertificate } from '../ca/fleetCa.ts';
import type { FleetCaService } from '../ca/fleetCaService.ts';
import type { FleetRegistry } from '../fleet/fleetRegistry.ts';
import type { KeyAssignmentResolver } from '../fleet/keyAssignments.ts';
import { unwrapVersion } from '../keys/keysShared.ts';
import type { Session } from '../session/session.ts';

export interface StationDepsInput {
  /** Lockdown delivery (issue 15): the emergency public key sent in the CERT frame, orders and the CRL for distribution. */
  orders?: OrderDelivery;
  ca: FleetCaService;
  keys: KeysRepo;
  fleet: FleetRegistry;
  fleetRepo: FleetRepo;
  session: Session;
  audit: AuditLog;
  transaction<T>(fn: () => T): T;
  /** Which key of each delivered type a robot receives (robot / site assignment, else the newest unassigned key). */
  assignments: KeyAssignmentResolver;
  /** Only this device id is accepted (provision_robot_with_kms runs one session for one robot). */
  expectedDeviceId?: string;
  /** Robots this many days of certificate validity (default 365). */
  validityDays?: number;
  /** Where a failed revocation of an abandoned session's certificate is reported (serial and device id, never keys). */
  logger?: Logger;
  /**
   * Device ids whose session is issuing or holds an uncommitted certificate, shared by the station service's sessions
   * and the re-issues (reissueDeps.ts, the station's distribute mode and the field link): the sweep of abandoned
   * certificates leaves these alone (their session commits or abandons them itself).
   */
  inFlight?: Set<string>;
  /**
   * How the opened fleet CA is asked for a robot's certificate; the CA's own issueDeviceCertificate when absent. Tests
   * put a faulty CA here (one that issues for another key) to see the station refuse and revoke what it issued.
   */
  issueWith?: DeviceCertificateIssuer;
}

export type DeviceCertificateIssuer = (ca: FleetCa, csrDer: Buffer, options: { deviceId: string; validityDays: number; actor: string }) => Promise<IssuedCertificate>;

export const DELIVERED_KEY_TYPES: readonly KeyType[] = ['communication', 'storage'];

/** The robot's assigned (or default) key versions with their material unwrapped; nothing stays unzeroed on failure. */
function assignedDeliverables(input: StationDepsInput, deviceId: string): DeliverableKey[] {
  const s = input.session.require();
  const out: DeliverableKey[] = [];
  try {
    for (const { key, version } of input.assignments.deliverable(deviceId)) {
      out.push({ keyId: key.id, version: version.version, material: unwrapVersion(s, key, version) });
    }
    return out;
  } catch (e) {
    for (const k of out) k.material.fill(0);
    throw e;
  }
}

/** The revocation reason of a certificate whose provisioning session did not commit. */
const ABANDONED_REASON = 'cessationOfOperation';

const serialKey = (s: string) => s.toLowerCase().replace(/:/g, '');

/**
 * Revokes ('superseded') every still valid certificate of the robot but `keep`: in the CA when it issued it, and the
 * registry's copy. Synchronous, so it runs inside the commit transaction: a failure rolls the whole commit back.
 */
export function supersedeCertificates(
  s: { ca: FleetCa; fleet: FleetRegistry; fleetRepo: FleetRepo; actor: string },
  deviceId: string,
  keep: string,
): string[] {
  const active = (serials: Array<{ serial: string }>) => new Map(serials.map((c) => [serialKey(c.serial), c.serial]));
  const inRegistry = active(s.fleetRepo.certificatesOf(deviceId).filter((c) => c.status === 'active'));
  const inCa = active(s.ca.list().filter((c) => c.deviceId === deviceId && c.status === 'valid'));
  const superseded = [...new Set([...inRegistry.keys(), ...inCa.keys()])].filter((k) => k !== serialKey(keep));
  for (const k of superseded) {
    const caSerial = inCa.get(k);
    if (caSerial !== undefined) s.ca.revoke(caSerial, 'superseded', { actor: s.actor });
    const registrySerial = inRegistry.get(k);
    if (registrySerial !== undefined) s.fleet.revokeCertificate(registrySerial, 'superseded');
  }
  return superseded;
}

export interface StationDepsHandle {
  deps: ProvisioningDeps;
  /**
   * Revokes a certificate issued in a session that did not commit (the robot never confirmed). Never rejects: a failed
   * revocation (store locked, CA unavailable) is logged as an error and audited ('ca.revoke' failure), and the
   * returned promise settles once that is done.
   */
  abandon(deviceId: string | null): Promise<void>;
  /** Zeroes the key material unwrapped for this robot's session (call when the session has ended). */
  release(deviceId: string | null): void;
}

/** What became of an abandoned certificate: revoked now, not revoked (logged, audited; the next unlock retries), or kept (still wanted). */
export type AbandonedRevocation = 'revoked' | 'failed' | 'kept';

/**
 * Revokes the certificate of a provisioning session that never committed. Never rejects: a failure (store locked, CA
 * unavailable) is logged and audited, and the sweep at the next unlock retries. `stillAbandoned` is asked once the CA
 * is open, in the same synchronous step as the revocation (nothing else runs in between): false keeps the certificate
 * (a session holds it or a robot carries it by now), with no revocation and no record.
 */
export async function revokeAbandonedCertificate(
  input: Pick<StationDepsInput, 'ca' | 'session' | 'audit' | 'logger'>,
  deviceId: string,
  serial: string,
  trigger: 'abandoned_session' | 'unlock_sweep',
  stillAbandoned?: (ca: FleetCa) => boolean,
): Promise<AbandonedRevocation> {
  const actor = input.session.actor();
  // Once ca.revoke is called, the CA audits the revocation itself (success or failure): no second record then.
  let auditedByCa = false;
  try {
    const ca = await input.ca.require();
    if (stillAbandoned && !stillAbandoned(ca)) return 'kept';
    auditedByCa = true;
    return ca.revoke(serial, ABANDONED_REASON, { actor }) ? 'revoked' : 'failed';
  } catch (e) {
    const code = isConsoleError(e) ? e.code : 'internal';
    const message = (e instanceof Error ? e.message : String(e)).slice(0, 200);
    // The robot was never provisioned; its certificate stays valid until a later sweep revokes it.
    input.logger?.error('revoking the certificate of an abandoned provisioning session failed; the next unlock retries', {
      deviceId, serial, trigger, code, error: message,
    });
    if (auditedByCa) return 'failed';
    try {
      input.audit.append({
        actor, action: 'ca.revoke', targetType: 'robot', targetId: deviceId, outcome: 'failure',
        details: { serial, reason: ABANDONED_REASON, trigger, code, error: message },
      });
    } catch (auditError) {
      input.logger?.error('auditing a failed revocation failed', { deviceId, serial, error: auditError instanceof Error ? auditError : String(auditError) });
    }
    return 'failed';
  }
}

export function createStationDeps(input: StationDepsInput): StationDepsHandle {
  const { fleet, fleetRepo, session, audit, transaction } = input;
  // Certificates issued in sessions still running, by device id (per station, not module state).
  const pending = new Map<string, { serial: string; der: Buffer; pem: string; subject: string; notBefore: string; notAfter: string }>();
  // Key material unwrapped for a session, zeroed when the session ends (release).
  const delivered = new Map<string, Buffer[]>();

  const deps: ProvisioningDeps = {
    async issueCertificate(csrDer, deviceId) {
      // Marked before the CA writes the certificate row, so a sweep can never take it for an abandoned one.
      input.inFlight?.add(deviceId);
      const ca = await input.ca.require();
      const options = { deviceId, validityDays: input.validityDays ?? 365, actor: session.actor() };
      const issued = await (input.issueWith ? input.issueWith(ca, csrDer, options) : ca.issueDeviceCertificate(csrDer, options));
      const subject = new crypto.X509Certificate(issued.der).subject.replace(/\n/g, ', ');
      pending.set(deviceId, { serial: issued.serial, der: issued.der, pem: issued.pem, subject, notBefore: issued.notBefore, notAfter: issued.notAfter });
      return { certDer: issued.der, chainDer: [(await input.ca.require()).caCertificateDer()] };
    },
    async keysToDeliver(deviceId) {
      const keys = assignedDeliverables(input, deviceId);
      delivered.set(deviceId, [...(delivered.get(deviceId) ?? []), ...keys.map((k) => k.material)]);
      return keys;
    },
    isKnownRobot(deviceId) {
      if (input.expectedDeviceId !== undefined && deviceId !== input.expectedDeviceId) return false;
      return fleetRepo.get(deviceId) !== null;
    },
    isProvisioned(deviceId) {
      const row = fleetRepo.get(deviceId);
      return row !== null && row.status !== 'manufactured';
    },
    seen: (deviceId) => fleet.touch(deviceId),
    emergencyPublicKey: () => input.orders?.emergencyPublicKey() ?? null,
    async commitProvisioned(record) {
      const cert = pending.get(record.deviceId);
      if (!cert || !cert.der.equals(record.certificate)) throw new StationError('commit_failed', 'The certificate to record is not the one issued in this session.');
      const ca = await input.ca.require();
      const actor = session.actor();
      transaction(() => {
        fleet.recordProvisioned(record.deviceId, record.keyVersions);
        fleet.attachCertificate(record.deviceId, { serial: cert.serial, subject: cert.subject, notBefore: cert.notBefore, notAfter: cert.notAfter, pem: cert.pem });
        // Re-provisioning: the new identity supersedes the robot's earlier certificates (CA revocation + registry copy).
        supersedeCertificates({ ca, fleet, fleetRepo, actor }, record.deviceId, cert.serial);
      });
      pending.delete(record.deviceId);
      input.inFlight?.delete(record.deviceId);
    },
    audit(entry) {
      const details: Record<string, string | number | boolean | null> = { ...(entry.details ?? {}), port: entry.port, step: entry.step };
      if (entry.code) details.code = entry.code;
      if (entry.message) details.message = entry.message.slice(0, 200);
      audit.append({ actor: session.actor(), action: entry.action, targetType: entry.deviceId ? 'robot' : null, targetId: entry.deviceId, outcome: entry.outcome, details });
    },
  };

  return {
    deps,
    release(deviceId) {
      if (deviceId === null) return;
      for (const m of delivered.get(deviceId) ?? []) m.fill(0);
      delivered.delete(deviceId);
      // A certificate still pending is abandon()'s to revoke; it leaves the in-flight set once that was tried.
      if (!pending.has(deviceId)) input.inFlight?.delete(deviceId);
    },
    async abandon(deviceId) {
      if (deviceId === null) return;
      const cert = pending.get(deviceId);
      if (!cert) {
        input.inFlight?.delete(deviceId);
        return;
      }
      pending.delete(deviceId);
      try {
        await revokeAbandonedCertificate(input, deviceId, cert.serial, 'abandoned_session');
      } finally {
        input.inFlight?.delete(deviceId);
      }
    },
  };
}
