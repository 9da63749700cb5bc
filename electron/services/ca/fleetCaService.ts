// The console's fleet CA: created once per store (ca:init: the signing key is created in the chosen provider, then
// the self-signed CA certificate), re-opened lazily after each unlock (openFleetCa checks the provider key against the
// stored certificate), and forgotten at lock. Serves ca:* and certs:*; every operation is audited (by fleetCa.ts or
// here). The CA row is the store's only fleet_ca row: its id is the persisted CA id. A certificate is revoked in the
// CA and in the fleet registry's copy in one transaction: neither can stay valid while the other says revoked.
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import type { CaStatus } from '../../../shared/stationContract.ts';
import type { Clock } from '../../clock.ts';
import { toPem } from '../../crypto/x509Plain.ts';
import type { Logger } from '../../logger.ts';
import type { FleetCaRepo } from '../../store/fleetCaRepo.ts';
import type { FleetRepo } from '../../store/fleetRepo.ts';
import type { KmsProvider } from '../../providers/types.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import type { BatchRevocationOptions, FleetCa, FleetCertificateInfo, PreparedCrl, RevocationReason } from './fleetCa.ts';
import { certificateInfo, normaliseSerial } from './fleetCaInventory.ts';
import type { FleetRegistry } from '../fleet/fleetRegistry.ts';
import type { ProviderRegistry } from '../providers/providerRegistry.ts';
import type { Session } from '../session/session.ts';

export const CA_ORGANIZATION = 'ECPS-UV Fleet';

/**
 * fleetCa.ts with its ASN.1 libraries (@peculiar/x509, @peculiar/asn1-*, reflect-metadata: about 4 MB of heap) is
 * loaded when a CA is first created or opened, not at start-up: every major GC of the main process marks what is
 * loaded, and a console that signs no certificate never needs them (test/unit/startup-libraries-lazy.test.ts).
 */
const fleetCaModule = () => import('./fleetCa.ts');

/** The current CA's CRL file name, or another CA's (named by the start of its id, so that two CAs' CRLs never clash). */
export const crlFileName = (caId: string | null, crlNumber: number): string =>
  caId === null ? `ecps-fleet-ca-${crlNumber}.crl.pem` : `ecps-fleet-ca-${caId.slice(0, 8)}-${crlNumber}.crl.pem`;

/** Where a revocation got to (for the failure record when the transaction rolled back). */
interface RevocationStep {
  at: 'ca' | 'registry';
  deviceId: string | null;
}
/** The provider id the UI shows for the built-in local provider. */
const LOCAL_IDS = new Set(['local']);

export interface FleetCaServiceDeps {
  repo: FleetCaRepo;
  registry: ProviderRegistry;
  localKms: KmsProvider;
  fleet: FleetRegistry;
  /** The registry's copies of robots' certificates, kept in step with revocations. */
  fleetRepo: FleetRepo;
  session: Session;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  transaction<T>(fn: () => T): T;
}

export interface NewCaInput {
  providerId: string;
  algorithm: 'EC_P256' | 'RSA_2048';
  commonName: string;
}

/** One CA's share of a revocation across CAs: the CA, its CRL already listing `serials`, to record in the transaction. */
export interface CaRevocations {
  ca: FleetCa;
  crl: PreparedCrl;
  serials: readonly string[];
}

export interface FleetCaService {
  status(): CaStatus;
  init(input: NewCaInput): Promise<CaStatus>;
  /** The opened CA (not_initialized when none was created). */
  require(): Promise<FleetCa>;
  list(expiringWithinDays?: number, caId?: string): Promise<FleetCertificateInfo[]>;
  revoke(serial: string, reason: RevocationReason): Promise<{ revoked: boolean }>;
  /** A CRL of the current CA, or of another of the store's CAs by id (a retired or compromised CA's CRL stays published). */
  crl(caId?: string): Promise<{ pem: string; crlNumber: number; fileName: string; revoked: number }>;
  /**
   * The newest CRL already published (kept in fleet_crls by ca:crl, revocations, emergency runs), of the current CA or
   * of another by id: nothing is signed and the provider is not called, so every reader may fetch it (RFC 5280: a CRL
   * is public). not_found (`no_crl_published`) when the CA has none yet.
   */
  publishedCrl(caId?: string): Promise<{ pem: string; crlNumber: number; fileName: string; revoked: number; thisUpdate: string }>;
  /** A new CA key in the provider and its self-signed certificate, whatever CA exists (ca:replace; ca:init checks first). */
  createCa(input: NewCaInput): Promise<FleetCa>;
  /** Opens any CA of the store by id (not_found otherwise). */
  open(caId: string): Promise<FleetCa>;
  /** Signs with the CA key through its provider (provider.sign: the key never leaves a KMS / HSM). */
  signWithCaKey(data: Buffer): Promise<Buffer>;
  /** The same with the key of any CA of the store by id (a retired CA endorsing its successor's certificate). */
  signWithCaKeyOf(caId: string, data: Buffer): Promise<Buffer>;
  /**
   * Valid certificates of the current CA that no robot carries: issued in a provisioning session that never committed
   * (the robot never confirmed, the console was locked or stopped mid-session). Synchronous, so a caller can take the
   * list before any other work runs. Empty when no CA was created.
   */
  unattachedCertificates(): Array<{ caId: string; serial: string; deviceId: string; issuedAt: string }>;
  /** Whether a certificate unattachedCertificates listed is still unattached, not revoked and valid (asked again before revoking it). */
  stillUnattached(caId: string, serial: string): boolean;
  /**
   * The robot's certificates that are neither revoked nor expired, of every CA of the store: the current one and, during
   * a transition, a retired one (a compromised CA has none left). Oldest first; no provider needed.
   */
  validCertificatesOf(deviceId: string): Array<{ caId: string; serial: string; notAfter: string }>;
  /**
   * Signs, for each CA that issued one of `pending`, a CRL that already lists them (prepareCrl), the current CA's first:
   * every revocation lands in its own CA's CRL, signed by that CA's key (a retired CA still signs its own). With
   * `withCurrent`, the current CA (if any) signs one even with nothing of its own pending. Nothing is recorded: the
   * caller revokes and records each CRL in its transaction. A CA that cannot sign fails the whole call. `pending` is
   * either one object per certificate or, for many (an emergency run's 10,000), each CA's serials as one list.
   */
  prepareRevocations(pending: ReadonlyArray<{ caId: string; serial: string }> | ReadonlyMap<string, readonly string[]>, options: { reason: RevocationReason; revokedAt: string; actor: string; withCurrent?: boolean }): Promise<CaRevocations[]>;
  /** validCertificatesOf for many robots at once (an emergency run's scope), every CA: the CA, serial and robot of each. */
  validCertificatesOfDevices(deviceIds: readonly string[]): Array<{ caId: string; serial: string; deviceId: string }>;
  /**
   * Revokes in the CA (audited by it) and the registry's active copy, when it holds one (audited by the registry).
   * Synchronous: run it in a transaction, so that a failure of either rolls both back.
   */
  revokeWithRegistryCopy(ca: FleetCa, serial: string, reason: RevocationReason, options: { actor: string; at?: string }): boolean;
  /**
   * Revokes many of `ca`'s certificates and the registry's active copies of them: ca.revokeBatch, one ca.revoke.batch
   * record per REVOKE_BATCH_MAX serials counting the copies (no per-certificate record). Synchronous and with no
   * transaction of its own: the caller runs it in the transaction that records the CRL listing them.
   */
  revokeBatchWithRegistryCopies(ca: FleetCa, serials: readonly string[], reason: RevocationReason, options: Omit<BatchRevocationOptions, 'registryCopies'>): { revoked: number; records: number };
  /** Called at lock: the opened CA (and its provider handle) is dropped. */
  forget(): void;
}

export function createFleetCaService(deps: FleetCaServiceDeps): FleetCaService {
  let opened: FleetCa | null = null;

  const caId = (): string | null => deps.repo.currentCaId();
  const providerFor = (id: string): KmsProvider => {
    if (LOCAL_IDS.has(id) || id === deps.localKms.id) return deps.localKms;
    return deps.registry.require(id).provider;
  };

  const status = (): CaStatus => {
    deps.session.require();
    const id = caId();
    const row = id === null ? null : deps.repo.getCa(id);
    if (!row) return { initialized: false, providerId: null, keyRef: null, subject: null, certificatePem: null, notAfter: null };
    const b64 = row.certDer.toString('base64').replace(/.{1,64}/g, '$&\n');
    return { initialized: true, providerId: row.provider, keyRef: row.keyRef, subject: row.subject, certificatePem: `-----BEGIN CERTIFICATE-----\n${b64}-----END CERTIFICATE-----\n`, notAfter: row.notAfter };
  };

  const require = async (): Promise<FleetCa> => {
    deps.session.require();
    if (opened) return opened;
    const id = caId();
    const row = id === null ? null : deps.repo.getCa(id);
    if (!row) throw new ConsoleError('not_initialized', 'No fleet CA yet: create it first (Certificates, "Create fleet CA").');
    opened = await (await fleetCaModule()).openFleetCa({ caId: row.id, provider: providerFor(row.provider), clock: deps.clock, audit: deps.audit, repo: deps.repo, actor: deps.session.actor() });
    return opened;
  };

  /** A new CA key in the provider and its self-signed certificate (audited ca.create); it becomes current unless retired. */
  async function createCa({ providerId, algorithm, commonName }: NewCaInput): Promise<FleetCa> {
    deps.session.require();
    const actor = deps.session.actor();
    let provider: KmsProvider;
    let keyRef: string;
    try {
      provider = providerFor(providerId);
      const name = `ecps-fleet-ca-${deps.clock.now().toString(36)}`;
      keyRef = (await provider.createKey({ name, spec: algorithm, usage: 'sign', description: 'ECPS-UV fleet CA signing key' })).keyRef;
    } catch (e) {
      const code = isConsoleError(e) ? e.code : 'provider_unavailable';
      deps.audit.append({ actor, action: 'ca.create', targetType: null, targetId: null, outcome: 'failure', details: { code, provider: providerId, step: 'create_key' } });
      throw isConsoleError(e) ? e : new ConsoleError('provider_unavailable', `The provider could not create the CA key: ${(e as Error)?.message ?? String(e)}`);
    }
    // createFleetCa audits ca.create itself (success or failure, with the provider and key reference).
    return (await fleetCaModule()).createFleetCa({ provider, keyRef, subject: `CN=${commonName}, O=${CA_ORGANIZATION}`, clock: deps.clock, audit: deps.audit, repo: deps.repo, actor });
  }

  /** Any CA of the store, current or not (the current one is the cached one). */
  async function open(id: string): Promise<FleetCa> {
    if (id === caId()) return require();
    deps.session.require();
    const row = deps.repo.getCa(id);
    if (!row) throw new ConsoleError('not_found', 'No fleet CA with this id.');
    return (await fleetCaModule()).openFleetCa({ caId: row.id, provider: providerFor(row.provider), clock: deps.clock, audit: deps.audit, repo: deps.repo, actor: deps.session.actor() });
  }

  return {
    status,
    require,
    async init({ providerId, algorithm, commonName }) {
      deps.session.require();
      const actor = deps.session.actor();
      if (caId() !== null) {
        deps.audit.append({ actor, action: 'ca.create', targetType: null, targetId: null, outcome: 'failure', details: { code: 'already_initialized', provider: providerId } });
        throw new ConsoleError('already_initialized', 'This store already has a fleet CA.');
      }
      opened = await createCa({ providerId, algorithm, commonName });
      return status();
    },
    createCa,
    open,
    async list(expiringWithinDays, id) {
      if (id !== undefined && id !== caId()) {
        // Another CA's inventory is read from the store: its key need not be reachable to list what it issued.
        deps.session.require();
        if (!deps.repo.getCa(id)) throw new ConsoleError('not_found', 'No fleet CA with this id.');
        const now = deps.clock.now();
        const all = deps.repo.listCerts(id).map((r) => certificateInfo(r, now));
        return expiringWithinDays === undefined ? all : all.filter((c) => c.status === 'valid' && Date.parse(c.notAfter) <= now + expiringWithinDays * 86_400_000);
      }
      const ca = await require();
      return expiringWithinDays === undefined ? ca.list() : ca.expiringWithin(expiringWithinDays);
    },
    async revoke(serial, reason) {
      // The CA that issued it: the current one, or a retired one whose certificate is still valid during a transition.
      const owner = ownerOf(serial);
      const ca = owner === null || owner === caId() ? await require() : await open(owner);
      const actor = deps.session.actor();
      const step: RevocationStep = { at: 'ca', deviceId: null };
      try {
        return deps.transaction(() => ({ revoked: revokeWithRegistryCopy(ca, serial, reason, { actor }, step) }));
      } catch (e) {
        // Both writes were rolled back, and with them the records made inside the transaction: audit the failure now.
        const err = isConsoleError(e) ? e : new ConsoleError('internal', 'Revocation failed unexpectedly.');
        const shown = typeof serial === 'string' ? serial.slice(0, 64) : null;
        const deviceId = step.deviceId;
        deps.audit.append({ actor, action: 'ca.revoke', targetType: 'robot', targetId: deviceId, outcome: 'failure', details: { caId: ca.id, serial: shown, reason, code: err.code, step: step.at } });
        if (step.at === 'ca') throw err;
        deps.logger.error('revoking the fleet registry copy of a certificate failed; the revocation was rolled back', { serial: shown, deviceId, code: err.code });
        throw new ConsoleError(err.code, `Certificate ${shown} was not revoked: the fleet registry's copy could not be updated (${err.message}). Nothing changed; try again.`, { serial: shown, step: 'registry' });
      }
    },
    async crl(id) {
      const ca = id === undefined ? await require() : await open(id);
      const crl = await ca.publishCrl({ actor: deps.session.actor() });
      return { pem: crl.pem, crlNumber: crl.crlNumber, revoked: crl.revoked, fileName: crlFileName(id === undefined ? null : ca.id, crl.crlNumber) };
    },
    async publishedCrl(id) {
      deps.session.require();
      const target = id ?? caId();
      if (target === null) throw new ConsoleError('not_initialized', 'No fleet CA yet: create it first (Certificates, "Create fleet CA").');
      if (id !== undefined && !deps.repo.getCa(id)) throw new ConsoleError('not_found', 'No fleet CA with this id.');
      const latest = deps.repo.latestCrl?.(target) ?? null;
      if (latest === null) {
        throw new ConsoleError('not_found', 'This CA has published no CRL yet: a security officer publishes one (Download CRL on the Certificates screen, or `ca crl`).', { reason: 'no_crl_published' });
      }
      const pem = toPem(latest.der, 'X509 CRL');
      const { crlSerials } = await import('../incidentKit/crlSerials.ts');
      return { pem, crlNumber: latest.crlNumber, revoked: crlSerials(pem).length, thisUpdate: latest.thisUpdate, fileName: crlFileName(id === undefined ? null : target, latest.crlNumber) };
    },
    async signWithCaKey(data) {
      const ca = await require();
      return (await providerFor(ca.providerId).sign(ca.keyRef, data)).signature;
    },
    async signWithCaKeyOf(id, data) {
      const ca = await open(id);
      return (await providerFor(ca.providerId).sign(ca.keyRef, data)).signature;
    },
    unattachedCertificates() {
      deps.session.require();
      const id = caId();
      if (id === null) return [];
      return deps.repo.listUnattached(id, new Date(deps.clock.now()).toISOString()).map((c) => ({ caId: c.caId, serial: c.serial, deviceId: c.deviceId, issuedAt: c.issuedAt }));
    },
    stillUnattached(caId, serial) {
      deps.session.require();
      return deps.repo.isUnattached(caId, serial, new Date(deps.clock.now()).toISOString());
    },
    validCertificatesOf(deviceId) {
      deps.session.require();
      return deps.repo.listValidOfDevice(null, deviceId, new Date(deps.clock.now()).toISOString()).map((c) => ({ caId: c.caId, serial: c.serial, notAfter: c.notAfter }));
    },
    async prepareRevocations(pending, { reason, revokedAt, actor, withCurrent = false }) {
      const current = caId();
      const byCa = new Map<string, readonly string[]>();
      if (withCurrent && current !== null) byCa.set(current, []);
      if (pending instanceof Map) {
        for (const [id, serials] of pending as ReadonlyMap<string, readonly string[]>) byCa.set(id, serials);
      } else {
        const lists = new Map<string, string[]>();
        for (const p of pending as ReadonlyArray<{ caId: string; serial: string }>) {
          const list = lists.get(p.caId);
          if (list) list.push(p.serial);
          else lists.set(p.caId, [p.serial]);
        }
        for (const [id, serials] of lists) byCa.set(id, serials);
      }
      const order = [...byCa.keys()].sort((a, b) => Number(b === current) - Number(a === current));
      const out: CaRevocations[] = [];
      for (const id of order) {
        // The opened current CA without an extra turn: the pending serials are checked as soon as possible.
        const ca = opened?.id === id ? opened : await open(id);
        const serials = byCa.get(id) ?? [];
        const crl = await ca.prepareCrl({ pending: { serials, reason, revokedAt }, actor });
        out.push({ ca, crl, serials });
      }
      return out;
    },
    validCertificatesOfDevices(deviceIds) {
      deps.session.require();
      return deps.repo.listValidOfDevices(null, deviceIds, new Date(deps.clock.now()).toISOString());
    },
    revokeWithRegistryCopy: (ca, serial, reason, options) => revokeWithRegistryCopy(ca, serial, reason, options, { at: 'ca', deviceId: null }),
    revokeBatchWithRegistryCopies(ca, serials, reason, options) {
      if (serials.length === 0) return { revoked: 0, records: 0 };
      const registryCopies = deps.fleet.revokeCertificateCopies(serials);
      return ca.revokeBatch(serials, reason, { ...options, registryCopies });
    },
    forget() {
      opened = null;
    },
  };

  /** The CA holding a not-revoked certificate with this serial (the current CA's first); null when none does. */
  function ownerOf(serial: string): string | null {
    let hex: string;
    try {
      hex = normaliseSerial(serial);
    } catch {
      return null; // refused and audited by the current CA's revoke
    }
    const open = deps.repo.findBySerial(hex).filter((r) => r.revokedAt === null);
    return (open.find((r) => r.caId === caId()) ?? open[0])?.caId ?? null;
  }

  function revokeWithRegistryCopy(ca: FleetCa, serial: string, reason: RevocationReason, options: { actor: string; at?: string }, step: RevocationStep): boolean {
    const revoked = ca.revoke(serial, reason, options);
    // Past the CA's revocation the serial is well formed and the CA's own.
    const hex = normaliseSerial(serial);
    step.deviceId = deps.repo.getCert(ca.id, hex)?.deviceId ?? null;
    step.at = 'registry';
    // The registry holds the CA's serial form. Also when the CA had it revoked already: a copy left active is revoked.
    const copy = deps.fleetRepo.getCertificate(hex);
    if (copy?.status === 'active') deps.fleet.revokeCertificate(copy.serial, reason);
    return revoked;
  }
}
