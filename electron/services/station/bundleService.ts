// Field key distribution (issue 5): builds a key bundle (electron/station/bundle.ts) for a registered robot from the
// identity public key in its active certificate and the console's deliverable communication and storage key versions
// (stationDeps keysToDeliver), signed by the fleet CA through provider.sign. Two deliveries:
//   file   (bundles:build, CLI `bundle`): recorded in the registry (source 'distribution') and audited 'bundle.issue'
//          at once, since the console cannot see the installation;
//   serial (a distribute-mode station session): recorded only when the robot proves the installation (INSTALLED MAC),
//          audited 'bundle.install' by the session's deps (electron/services/station/distributionDeps.ts).
// Sequence per robot: the key_bundles table (keyBundlesRepo.ts). The next number is reserved by a row in state
// 'issuing', in a synchronous transaction, before the asynchronous CA signature; a failed build burns its number.
// Audit details carry ids, versions and the sequence only, never key material.
// A robot whose certificate is of a retired CA (replaced, not compromised; not re-issued yet) gets a v3 bundle: the
// current CA's certificate endorsed by that retired CA rides along, so the robot can trust the bundle's signer
// (caEndorsement.ts; docs/key-bundles.md, "The new CA certificate"). Its robots' bundles name the endorser (endorsedBy).
// A bundle carries every CRL the link would deliver to the robot: the current CA's, and when there are others (a
// retired or compromised CA that issued the robot a certificate or was endorsed to it) the body is v4 ("crls").
import { randomBytes, X509Certificate } from 'node:crypto';
import type { RobotStatus } from '../../../shared/domain.ts';
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import type { Clock } from '../../clock.ts';
import { BundleError, bundleConfirmationKey, createBundle } from '../../station/bundle.ts';
import type { KeyToWrap } from '../../station/keywrap.ts';
import type { FleetRepo } from '../../store/fleetRepo.ts';
import { formatKeyVersions, type BundleDelivery, type KeyBundleRow, type KeyBundlesRepo } from '../../store/keyBundlesRepo.ts';
import type { KeysRepo } from '../../store/keysRepo.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import type { CaEndorsement, CaEndorsements } from '../ca/caEndorsement.ts';
import type { FleetCaService } from '../ca/fleetCaService.ts';
import type { FleetRegistry } from '../fleet/fleetRegistry.ts';
import type { KeyAssignmentResolver } from '../fleet/keyAssignments.ts';
import type { Session } from '../session/session.ts';
import type { BundleEmergencyItems, OrderDelivery } from '../emergency/orderDelivery.ts';
import { createStationDeps } from './stationDeps.ts';

/** Robots that may receive bundles; quarantined, revoked, decommissioned and manufactured robots may not. */
export const DISTRIBUTABLE_STATUSES: readonly RobotStatus[] = ['provisioned', 'deployed'];

/** What the service needs; `bundleDepsFrom` builds it from the unlocked console's services. */
export interface BundleServiceDeps {
  fleet: FleetRegistry;
  audit: AuditLog;
  clock: Clock;
  bundles: KeyBundlesRepo;
  actor(): string;
  caCertificatePem(): Promise<string>;
  /** Signs with the CA key through its provider (provider.sign). */
  caSign(data: Buffer): Promise<Buffer>;
  /** The deliverable key versions (material unwrapped in the main process; zeroed by the service after use). */
  newestKeys(deviceId: string): Promise<KeyToWrap[]>;
  transaction<T>(fn: () => T): T;
  /**
   * Told inside the bundle's own transaction what a robot installed (its INSTALLED proof verified) or failed to install
   * (the rollouts of docs/rotation.md count confirmations and failures from these).
   */
  onInstalled?(deviceId: string, keys: ReadonlyArray<{ keyId: string; version: number }>): void;
  onFailed?(deviceId: string, keys: ReadonlyArray<{ keyId: string; version: number }>, code: string): void;
  /** Lockdown delivery (issue 15): the emergency key, pending orders and the CRL a bundle carries (a v2 bundle). */
  orders?: Pick<OrderDelivery, 'forBundle' | 'recordIncluded'>;
  /**
   * For a robot whose certificate the current CA did not issue: the current CA's certificate endorsed by the retired CA
   * that did (caEndorsement.ts forCertificate; throws for a compromised or unknown CA). Absent: such a robot is refused.
   */
  caEndorsementFor?(deviceId: string, certificate: X509Certificate): Promise<CaEndorsement | null>;
  /** Records, in the bundle's transaction once it is issued, that its endorsement was sent (caEndorsement.ts recordSent). */
  recordEndorsed?(deviceId: string, endorsement: CaEndorsement): void;
}

export interface IssuedBundle { fileName: string; content: Buffer; sequence: number; keys: Array<{ keyId: string; version: number }> }

/** A bundle for the serial link: signed, row 'issued', not yet recorded in the registry. `kb` is secret: zero it. */
export interface SerialBundle {
  deviceId: string;
  sequence: number;
  bundleId: string;
  file: Buffer;
  keys: Array<{ keyId: string; version: number }>;
  /** The key-confirmation key (bundle.ts bundleConfirmationKey), derived before the key material was zeroed. */
  kb: Buffer;
}

export interface BundleListEntry {
  sequence: number;
  bundleId: string | null;
  issuedAt: string;
  delivery: BundleDelivery;
  state: KeyBundleRow['state'];
  keys: Array<{ keyId: string; version: number }>;
  errorCode: string | null;
}

export interface BundleService {
  /** A bundle file (USB stick): recorded and audited 'bundle.issue' at once. */
  build(deviceId: string): Promise<IssuedBundle>;
  /** The robot's bundles, newest first (not_found for an unknown robot). */
  list(deviceId: string): BundleListEntry[];
  /**
   * A bundle for the serial link (throws ConsoleError; the row is then 'failed'). Not audited here: the session is.
   * `reserved` hears the sequence as soon as it is reserved (before the CA signature), so that a session whose build
   * fails afterwards can name the burnt sequence in its failure record.
   */
  issueForSerial(deviceId: string, reserved?: (sequence: number) => void): Promise<SerialBundle>;
  /** The robot proved the installation: row 'installed' + registry versions + `audit` (its success record), one transaction. */
  recordInstalled(b: { deviceId: string; sequence: number }, audit: () => void): void;
  /** The session failed after the bundle was issued: row 'failed' with the code + `audit` (its failure record), one transaction. */
  recordFailed(b: { deviceId: string; sequence: number }, code: string, audit: () => void): void;
}

const ERROR_CODE_MAX = 64;

interface Prepared {
  deviceId: string;
  identity: X509Certificate;
  caCert: X509Certificate;
  keys: KeyToWrap[];
  emergency: BundleEmergencyItems | null;
  endorsement: CaEndorsement | null;
}

export function createBundleService(deps: BundleServiceDeps): BundleService {
  const nowIso = () => new Date(deps.clock.now()).toISOString();
  const codeOf = (e: unknown) => (isConsoleError(e) ? e.code : e instanceof BundleError ? `bundle_${e.code}` : 'internal');
  const asConsoleError = (e: unknown): ConsoleError =>
    isConsoleError(e) ? e : new ConsoleError('internal', `The key bundle could not be built: ${e instanceof Error ? e.message : String(e)}`);

  /** Checks the robot and the CA, then takes the keys (their material is the caller's to zero). */
  async function prepare(deviceId: string): Promise<Prepared> {
    const robot = deps.fleet.get(deviceId);
    if (!DISTRIBUTABLE_STATUSES.includes(robot.status)) {
      throw new ConsoleError('illegal_transition', `Robot ${deviceId} is ${robot.status}: only provisioned or deployed robots receive key bundles.`, { deviceId, status: robot.status });
    }
    const cert = robot.certificates.filter((c) => c.status === 'active').sort((a, b) => b.notBefore.localeCompare(a.notBefore))[0];
    if (!cert) throw new ConsoleError('illegal_transition', `Robot ${deviceId} has no active certificate: provision it first.`, { deviceId });
    const identity = new X509Certificate(cert.pem);
    const caCert = new X509Certificate(await deps.caCertificatePem());
    // A certificate of a retired CA: the bundle carries the current CA's certificate endorsed by that CA.
    const ofCurrentCa = identity.verify(caCert.publicKey);
    const endorsement = ofCurrentCa ? null : ((await deps.caEndorsementFor?.(deviceId, identity)) ?? null);
    if (!ofCurrentCa && !endorsement) throw new ConsoleError('integrity_failure', `The certificate of ${deviceId} was not issued by the current fleet CA.`, { deviceId });
    const emergency = deps.orders ? await deps.orders.forBundle(deviceId) : null;
    return { deviceId, identity, caCert, keys: await deps.newestKeys(deviceId), emergency, endorsement };
  }

  interface Reserved { sequence: number; bundleId: string; issuedAt: string }

  /** Reserves the robot's next sequence: a row in state 'issuing', committed before the asynchronous signature. */
  const reserve = (p: Prepared, delivery: BundleDelivery): Reserved => {
    const held = p.keys.map((k) => ({ keyId: k.keyId, version: k.version }));
    const issuedAt = nowIso();
    const bundleId = randomBytes(16).toString('hex');
    return { sequence: deps.transaction(() => deps.bundles.reserve(p.deviceId, bundleId, issuedAt, delivery, held)), bundleId, issuedAt };
  };

  const sign = (p: Prepared, r: Reserved): Promise<Buffer> =>
    createBundle({
      deviceId: p.deviceId, identityPublicKey: p.identity.publicKey, caPublicKey: p.caCert.publicKey, sequence: r.sequence, bundleId: r.bundleId,
      issuedAt: r.issuedAt, keys: p.keys, sign: deps.caSign,
      ...(p.emergency ? { emergency: { emergencyKeyDer: p.emergency.emergencyKeyDer, orders: p.emergency.orders.map((o) => o.content), crlDer: p.emergency.crl?.content ?? null, otherCrlsDer: p.emergency.otherCrls.map((c) => c.content) } } : {}),
      ...(p.endorsement ? { caEndorsement: { caCertDer: p.endorsement.caCertDer, endorserKeyId: p.endorsement.endorserKeyId, endorsement: p.endorsement.endorsement } } : {}),
    });
  /**
   * The orders and CRLs signed into the bundle, recorded as included (their results stay unknown to the console), and
   * the endorsement it carries as sent; inside the transaction that marks the bundle issued.
   */
  const included = (p: Prepared, sequence: number) => {
    if (p.emergency) deps.orders?.recordIncluded(p.deviceId, [...p.emergency.orders, ...(p.emergency.crl ? [p.emergency.crl] : []), ...p.emergency.otherCrls], sequence);
    if (p.endorsement) deps.recordEndorsed?.(p.deviceId, p.endorsement);
  };

  /** A build that failed after its reservation: the row is 'failed' and its sequence burnt (the robot only needs a greater one). */
  const burn = (deviceId: string, sequence: number | null, code: string) => {
    if (sequence !== null) deps.bundles.setState(deviceId, sequence, 'failed', ['issuing', 'issued'], code.slice(0, ERROR_CODE_MAX));
  };

  const auditIssue = (deviceId: string, outcome: 'success' | 'failure', details: Record<string, string | number | boolean | null>) =>
    deps.audit.append({ actor: deps.actor(), action: 'bundle.issue', targetType: 'robot', targetId: deviceId, outcome, details });

  return {
    async build(deviceId) {
      let keys: KeyToWrap[] = [];
      let sequence: number | null = null;
      try {
        const p = await prepare(deviceId);
        keys = p.keys;
        const r = reserve(p, 'file');
        sequence = r.sequence;
        const content = await sign(p, r);
        const held = keys.map((k) => ({ keyId: k.keyId, version: k.version }));
        deps.transaction(() => {
          deps.fleet.recordKeyVersions(deviceId, held, 'distribution');
          if (!deps.bundles.setState(deviceId, r.sequence, 'issued', ['issuing'])) throw new ConsoleError('internal', `Bundle ${r.sequence} of ${deviceId} is no longer being issued.`);
          included(p, r.sequence);
          auditIssue(deviceId, 'success', { sequence: r.sequence, keys: formatKeyVersions(held), delivery: 'file', ...(p.endorsement ? { endorsedBy: p.endorsement.fromCaId } : {}) });
        });
        return { fileName: `${deviceId}.bundle-${r.sequence}.json`, content, sequence: r.sequence, keys: held };
      } catch (e) {
        const code = codeOf(e);
        deps.transaction(() => {
          burn(deviceId, sequence, code);
          auditIssue(deviceId, 'failure', { code, sequence });
        });
        throw asConsoleError(e);
      } finally {
        for (const k of keys) k.material.fill(0);
      }
    },

    list(deviceId) {
      deps.fleet.get(deviceId); // not_found for an unknown robot (and the session check)
      return deps.bundles.listFor(deviceId).map((r) => ({
        sequence: r.sequence, bundleId: r.bundleId, issuedAt: r.issuedAt, delivery: r.delivery, state: r.state, keys: r.keys, errorCode: r.errorCode,
      }));
    },

    async issueForSerial(deviceId, reserved) {
      let keys: KeyToWrap[] = [];
      let sequence: number | null = null;
      try {
        const p = await prepare(deviceId);
        keys = p.keys;
        const r = reserve(p, 'serial');
        sequence = r.sequence;
        reserved?.(r.sequence);
        const file = await sign(p, r);
        deps.transaction(() => {
          deps.bundles.setState(deviceId, r.sequence, 'issued', ['issuing']);
          included(p, r.sequence);
        });
        const kb = bundleConfirmationKey(deviceId, r.bundleId, keys.map((k) => k.material));
        return { deviceId, sequence: r.sequence, bundleId: r.bundleId, file, keys: keys.map((k) => ({ keyId: k.keyId, version: k.version })), kb };
      } catch (e) {
        const code = codeOf(e);
        deps.transaction(() => burn(deviceId, sequence, code));
        throw asConsoleError(e);
      } finally {
        for (const k of keys) k.material.fill(0);
      }
    },

    recordInstalled(b, audit) {
      deps.transaction(() => {
        const row = deps.bundles.get(b.deviceId, b.sequence);
        if (!row || !deps.bundles.setState(b.deviceId, b.sequence, 'installed', ['issued'])) {
          throw new ConsoleError('illegal_transition', `Bundle ${b.sequence} of ${b.deviceId} is not awaiting installation.`);
        }
        deps.fleet.recordKeyVersions(b.deviceId, row.keys, 'distribution');
        audit();
        deps.onInstalled?.(b.deviceId, row.keys);
      });
    },

    recordFailed(b, code, audit) {
      deps.transaction(() => {
        const row = deps.bundles.get(b.deviceId, b.sequence);
        const changed = deps.bundles.setState(b.deviceId, b.sequence, 'failed', ['issuing', 'issued'], code.slice(0, ERROR_CODE_MAX));
        audit();
        if (changed && row) deps.onFailed?.(b.deviceId, row.keys, code);
      });
    },
  };
}

/** Wires the service to the unlocked console's services (the same key choice as the provisioning station). */
export function bundleDepsFrom(input: {
  ca: FleetCaService; keys: KeysRepo; fleet: FleetRegistry; fleetRepo: FleetRepo; bundles: KeyBundlesRepo;
  session: Session; audit: AuditLog; clock: Clock; transaction<T>(fn: () => T): T; assignments: KeyAssignmentResolver;
  hooks?: Pick<BundleServiceDeps, 'onInstalled' | 'onFailed' | 'orders'>;
  /** The retired CAs' endorsements (shared with the re-issue over the link); absent: only robots of the current CA get bundles. */
  endorsements?: CaEndorsements;
}): BundleServiceDeps {
  const station = createStationDeps({ ca: input.ca, keys: input.keys, fleet: input.fleet, fleetRepo: input.fleetRepo, session: input.session, audit: input.audit, transaction: input.transaction, assignments: input.assignments });
  return {
    fleet: input.fleet, audit: input.audit, clock: input.clock, transaction: input.transaction, bundles: input.bundles, ...input.hooks,
    actor: () => input.session.actor(),
    caCertificatePem: async () => (await input.ca.require()).caCertificatePem(),
    caSign: (data) => input.ca.signWithCaKey(data),
    ...(input.endorsements ? { caEndorsementFor: input.endorsements.forCertificate, recordEndorsed: (deviceId, e) => input.endorsements?.recordSent(deviceId, e, 'bundle') } : {}),
    async newestKeys(deviceId) {
      const keys = await station.deps.keysToDeliver(deviceId);
      // The station deps keep a reference for release(); the service zeroes the buffers itself, so copy first.
      const out = keys.map((k) => ({ keyId: k.keyId, version: k.version, material: Buffer.from(k.material) }));
      station.release(deviceId);
      return out;
    },
  };
}
