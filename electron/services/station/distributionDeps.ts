// The distribution session's dependencies (electron/station/distributeSession.ts), built from the unlocked console:
// the fleet registry says who is known (and records last seen), the bundle service issues the robot's next bundle
// (delivery 'serial') and records its installation or failure together with the 'bundle.install' audit record in ONE
// store transaction. Audit details carry ids, versions, the sequence, the port and codes only.
import { X509Certificate, type KeyObject } from 'node:crypto';
import { isConsoleError } from '../../../shared/errors.ts';
import type { BundleForLink, DistributionDeps, DistributionFailure, InstalledRecord } from '../../station/distributeSession.ts';
import { StationError } from '../../station/errors.ts';
import type { CertificateRow, FleetRepo } from '../../store/fleetRepo.ts';
import { formatKeyVersions } from '../../store/keyBundlesRepo.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import type { BundleService } from './bundleService.ts';
import type { FleetRegistry } from '../fleet/fleetRegistry.ts';
import type { Session } from '../session/session.ts';
import type { OrderDelivery } from '../emergency/orderDelivery.ts';
import type { ReissueDeps } from './reissueDeps.ts';

export interface DistributionDepsInput {
  bundles: BundleService;
  fleet: FleetRegistry;
  fleetRepo: FleetRepo;
  session: Session;
  audit: AuditLog;
  /** Only this device id is accepted (the CLI's `distribute` runs one session for one robot). */
  expectedDeviceId?: string;
  /** Lockdown orders and the CRL sent before the bundle (ORDER frames), and the record of the robot's answers. */
  orders?: OrderDelivery;
  /** Re-issue of flagged robots' certificates after a CA replacement (reissueDeps.ts). */
  reissue?: ReissueDeps;
}

/** ConsoleError codes of bundleService that mean "this robot may not receive a bundle". */
const NOT_ELIGIBLE = new Set(['illegal_transition', 'integrity_failure']);
/** ConsoleError codes of the key choice (keyAssignments.ts): an assigned key not usable, or no key of a type at all. */
const KEYS_UNAVAILABLE = new Set(['key_disabled', 'key_destroyed', 'not_found', 'unsupported_operation']);

/**
 * The identity public key a robot signs its ORDER_ACK answers with: its newest active certificate's, else its newest
 * revoked one's (an emergency revokes a compromised robot's certificate, and that robot must still hear its lockdown;
 * its answer then proves only that the holder of that key answered). Null without any certificate.
 */
export function identityKeyOf(certs: readonly CertificateRow[]): KeyObject | null {
  const newest = [...certs].sort((a, b) => Number(b.status === 'active') - Number(a.status === 'active') || b.notBefore.localeCompare(a.notBefore))[0];
  return newest ? new X509Certificate(newest.pem).publicKey : null;
}

export function createDistributionDeps(input: DistributionDepsInput): DistributionDeps {
  const { bundles, fleet, fleetRepo, session, audit } = input;
  const append = (deviceId: string | null, outcome: 'success' | 'failure', details: Record<string, string | number | boolean | null>) =>
    audit.append({ actor: session.actor(), action: 'bundle.install', targetType: deviceId ? 'robot' : null, targetId: deviceId, outcome, details });

  return {
    isKnownRobot(deviceId) {
      if (input.expectedDeviceId !== undefined && deviceId !== input.expectedDeviceId) return false;
      return fleetRepo.get(deviceId) !== null;
    },
    seen: (deviceId) => fleet.touch(deviceId),
    orderItems: (deviceId) => input.orders?.itemsFor(deviceId) ?? [],
    recordOrderAnswer: (answer) => input.orders?.recordAnswer(answer),
    refuseOrderAnswer: (refused) => input.orders?.refuseAnswer(refused),
    robotIdentityKey: (deviceId) => identityKeyOf(fleetRepo.certificatesOf(deviceId)),
    ...input.reissue,
    async issueBundle(deviceId, reserved): Promise<BundleForLink> {
      try {
        const b = await bundles.issueForSerial(deviceId, reserved);
        return { sequence: b.sequence, bundleId: b.bundleId, file: b.file, keyVersions: b.keys, kb: b.kb };
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (isConsoleError(e) && NOT_ELIGIBLE.has(e.code)) throw new StationError('not_provisioned', message, { deviceId });
        if (isConsoleError(e) && KEYS_UNAVAILABLE.has(e.code)) throw new StationError('keys_unavailable', message, { deviceId });
        throw new StationError('internal', `the key bundle could not be built: ${message}`, { deviceId, consoleCode: isConsoleError(e) ? e.code : null });
      }
    },
    commitInstalled(r: InstalledRecord) {
      bundles.recordInstalled({ deviceId: r.deviceId, sequence: r.sequence }, () =>
        append(r.deviceId, 'success', { port: r.port, step: 'done', sequence: r.sequence, bundleId: r.bundleId, keys: formatKeyVersions(r.keyVersions) }),
      );
    },
    recordFailure(f: DistributionFailure) {
      const details: Record<string, string | number | boolean | null> = {
        ...(f.details ?? {}), port: f.port, step: f.step, sequence: f.sequence, code: f.code, message: f.message.slice(0, 200),
      };
      // The row keeps what the officer needs: a robot's refusal reads robot_error:bundle_replayed (its own code).
      const robotCode = f.details?.robotCode;
      const rowCode = typeof robotCode === 'string' ? `${f.code}:${robotCode}` : f.code;
      if (f.deviceId !== null && f.sequence !== null) bundles.recordFailed({ deviceId: f.deviceId, sequence: f.sequence }, rowCode, () => append(f.deviceId, 'failure', details));
      else append(f.deviceId, 'failure', details);
    },
  };
}
