// The provisioning station's dependencies, built from the unlocked console: the fleet CA issues, the store delivers
// the newest active communication and storage keys (their AES-256 material unwrapped in the main process, never
// crossing IPC), the fleet registry says who is known / provisioned, and the commit records the robot, its
// certificate and its key versions in ONE store transaction. Audit entries carry ids, steps and codes only.
import crypto from 'node:crypto';
import { ConsoleError } from '../../shared/errors.ts';
import type { KeyType } from '../../shared/domain.ts';
import { StationError } from '../station/errors.ts';
import type { DeliverableKey, ProvisioningDeps } from '../station/session.ts';
import type { FleetRepo } from '../store/fleetRepo.ts';
import type { KeysRepo } from '../store/keysRepo.ts';
import type { AuditLog } from './audit/auditLog.ts';
import type { FleetCaService } from './fleetCaService.ts';
import type { FleetRegistry } from './fleetRegistry.ts';
import { unwrapVersion } from './keysShared.ts';
import type { Session } from './session.ts';

export interface StationDepsInput {
  ca: FleetCaService;
  keys: KeysRepo;
  fleet: FleetRegistry;
  fleetRepo: FleetRepo;
  session: Session;
  audit: AuditLog;
  transaction<T>(fn: () => T): T;
  /** Only this device id is accepted (provision_robot_with_kms runs one session for one robot). */
  expectedDeviceId?: string;
  /** Robots this many days of certificate validity (default 365). */
  validityDays?: number;
}

export const DELIVERED_KEY_TYPES: readonly KeyType[] = ['communication', 'storage'];

/** The newest active AES-256 key of a type whose current version's material is in this store. */
function newestDeliverable(input: StationDepsInput, type: KeyType): DeliverableKey {
  const s = input.session.require();
  const candidates = input.keys
    .list({ type, state: 'active' })
    .filter((k) => k.algorithm === 'AES_256')
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  for (const key of candidates) {
    const v = input.keys.getVersion(key.id, key.currentVersion);
    if (!v || v.destroyed || !v.wrappedMaterial) continue;
    return { keyId: key.id, version: v.version, material: unwrapVersion(s, key, v) };
  }
  throw new ConsoleError('not_found', `No active AES-256 ${type} key with its material in this store: create one before provisioning.`, { type });
}

export interface StationDepsHandle {
  deps: ProvisioningDeps;
  /** Revokes a certificate issued in a session that did not commit (the robot never confirmed). */
  abandon(deviceId: string | null): void;
  /** Zeroes the key material unwrapped for this robot's session (call when the session has ended). */
  release(deviceId: string | null): void;
}

export function createStationDeps(input: StationDepsInput): StationDepsHandle {
  const { fleet, fleetRepo, session, audit, transaction } = input;
  // Certificates issued in sessions still running, by device id (per station, not module state).
  const pending = new Map<string, { serial: string; der: Buffer; pem: string; subject: string; notBefore: string; notAfter: string }>();
  // Key material unwrapped for a session, zeroed when the session ends (release).
  const delivered = new Map<string, Buffer[]>();

  const deps: ProvisioningDeps = {
    async issueCertificate(csrDer, deviceId) {
      const ca = await input.ca.require();
      const issued = await ca.issueDeviceCertificate(csrDer, { deviceId, validityDays: input.validityDays ?? 365, actor: session.actor() });
      const subject = new crypto.X509Certificate(issued.der).subject.replace(/\n/g, ', ');
      pending.set(deviceId, { serial: issued.serial, der: issued.der, pem: issued.pem, subject, notBefore: issued.notBefore, notAfter: issued.notAfter });
      return { certDer: issued.der, chainDer: [(await input.ca.require()).caCertificateDer()] };
    },
    async keysToDeliver(deviceId) {
      const keys = DELIVERED_KEY_TYPES.map((t) => newestDeliverable(input, t));
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
    async commitProvisioned(record) {
      const cert = pending.get(record.deviceId);
      if (!cert || !cert.der.equals(record.certificate)) throw new StationError('commit_failed', 'The certificate to record is not the one issued in this session.');
      transaction(() => {
        fleet.recordProvisioned(record.deviceId, record.keyVersions);
        fleet.attachCertificate(record.deviceId, { serial: cert.serial, subject: cert.subject, notBefore: cert.notBefore, notAfter: cert.notAfter, pem: cert.pem });
      });
      pending.delete(record.deviceId);
    },
    audit(entry) {
      const details: Record<string, string | number | boolean | null> = { port: entry.port, step: entry.step, ...(entry.details ?? {}) };
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
    },
    abandon(deviceId) {
      if (deviceId === null) return;
      const cert = pending.get(deviceId);
      if (!cert) return;
      pending.delete(deviceId);
      void input.ca
        .require()
        .then((ca) => ca.revoke(cert.serial, 'cessationOfOperation', { actor: session.actor() }))
        .catch(() => undefined);
    },
  };
}
