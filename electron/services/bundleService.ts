// Field key distribution (issue 5): builds a key bundle (electron/station/bundle.ts) for a registered robot from the
// identity public key in its active certificate and the console's newest communication and storage key versions,
// signed by the fleet CA through provider.sign, then records the distributed versions in the registry (source
// 'distribution') and audits 'bundle.issue' with ids, versions and the sequence only (never key material).
// Sequence per robot: 1 + the highest sequence of this robot's successful bundle.issue audit records (the audit log
// is append-only and hash-chained, so no extra table is needed).
import { X509Certificate } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { ConsoleError, isConsoleError } from '../../shared/errors.ts';
import { BundleError, createBundle } from '../station/bundle.ts';
import type { KeyToWrap } from '../station/keywrap.ts';
import type { KeysRepo } from '../store/keysRepo.ts';
import type { AuditLog } from './audit/auditLog.ts';
import type { FleetCaService } from './fleetCaService.ts';
import type { FleetRegistry } from './fleetRegistry.ts';
import type { Session } from './session.ts';
import { createStationDeps } from './stationDeps.ts';
import type { FleetRepo } from '../store/fleetRepo.ts';

/** What the service needs; `bundleDepsFrom` builds it from the unlocked console's services. */
export interface BundleServiceDeps {
  fleet: FleetRegistry;
  audit: AuditLog;
  clock: Clock;
  actor(): string;
  caCertificatePem(): Promise<string>;
  /** Signs with the CA key through its provider (provider.sign). */
  caSign(data: Buffer): Promise<Buffer>;
  /** The newest deliverable key versions (material unwrapped in the main process; zeroed by the service after use). */
  newestKeys(deviceId: string): Promise<KeyToWrap[]>;
  transaction<T>(fn: () => T): T;
}

export interface IssuedBundle { fileName: string; content: Buffer; sequence: number; keys: Array<{ keyId: string; version: number }> }

export interface BundleService {
  build(deviceId: string): Promise<IssuedBundle>;
}

function nextSequence(audit: AuditLog, deviceId: string): number {
  let max = 0;
  for (let offset = 0; ; offset += 500) {
    const page = audit.query({ action: 'bundle.issue', targetId: deviceId, offset, limit: 500 });
    for (const r of page.records) {
      const s = r.outcome === 'success' ? r.details?.sequence : undefined;
      if (typeof s === 'number' && s > max) max = s;
    }
    if (page.records.length < 500) return max + 1;
  }
}

export function createBundleService(deps: BundleServiceDeps): BundleService {
  const fail = (deviceId: string, e: unknown): never => {
    const code = isConsoleError(e) ? e.code : e instanceof BundleError ? `bundle_${e.code}` : 'internal';
    deps.audit.append({ actor: deps.actor(), action: 'bundle.issue', targetType: 'robot', targetId: deviceId, outcome: 'failure', details: { code } });
    if (isConsoleError(e)) throw e;
    throw new ConsoleError('internal', `The key bundle could not be built: ${e instanceof Error ? e.message : String(e)}`);
  };
  return {
    async build(deviceId) {
      let keys: KeyToWrap[] = [];
      try {
        const robot = deps.fleet.get(deviceId);
        const cert = robot.certificates.find((c) => c.status === 'active');
        if (robot.status === 'manufactured' || !cert) throw new ConsoleError('illegal_transition', `Robot ${deviceId} has no active certificate: provision it first.`, { deviceId });
        const caPem = await deps.caCertificatePem();
        const identity = new X509Certificate(cert.pem);
        const caCert = new X509Certificate(caPem);
        if (!identity.verify(caCert.publicKey)) throw new ConsoleError('integrity_failure', `The certificate of ${deviceId} was not issued by the current fleet CA.`, { deviceId });
        keys = await deps.newestKeys(deviceId);
        const sequence = nextSequence(deps.audit, deviceId);
        const content = await createBundle({
          deviceId, identityPublicKey: identity.publicKey, caPublicKey: caCert.publicKey, sequence,
          issuedAt: new Date(deps.clock.now()).toISOString(), keys, sign: deps.caSign,
        });
        const held = keys.map((k) => ({ keyId: k.keyId, version: k.version }));
        deps.transaction(() => {
          deps.fleet.recordKeyVersions(deviceId, held, 'distribution');
          deps.audit.append({ actor: deps.actor(), action: 'bundle.issue', targetType: 'robot', targetId: deviceId, outcome: 'success', details: { sequence, keys: held.map((k) => `${k.keyId}@${k.version}`).join(',') } });
        });
        return { fileName: `${deviceId}.bundle-${sequence}.json`, content, sequence, keys: held };
      } catch (e) {
        return fail(deviceId, e);
      } finally {
        for (const k of keys) k.material.fill(0);
      }
    },
  };
}

/** Wires the service to the unlocked console's services (the same key choice as the provisioning station). */
export function bundleDepsFrom(input: {
  ca: FleetCaService; keys: KeysRepo; fleet: FleetRegistry; fleetRepo: FleetRepo;
  session: Session; audit: AuditLog; clock: Clock; transaction<T>(fn: () => T): T;
}): BundleServiceDeps {
  const station = createStationDeps({ ca: input.ca, keys: input.keys, fleet: input.fleet, fleetRepo: input.fleetRepo, session: input.session, audit: input.audit, transaction: input.transaction });
  return {
    fleet: input.fleet, audit: input.audit, clock: input.clock, transaction: input.transaction,
    actor: () => input.session.actor(),
    caCertificatePem: async () => (await input.ca.require()).caCertificatePem(),
    caSign: (data) => input.ca.signWithCaKey(data),
    async newestKeys(deviceId) {
      const keys = await station.deps.keysToDeliver(deviceId);
      // The station deps keep a reference for release(); the service zeroes the buffers itself, so copy first.
      const out = keys.map((k) => ({ keyId: k.keyId, version: k.version, material: Buffer.from(k.material) }));
      station.release(deviceId);
      return out;
    },
  };
}
