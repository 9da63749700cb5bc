// The fleet certificate authority. Its signing key lives in a KmsProvider (local, KMS or HSM) and every signature is
// made by provider.sign(): the CA private key is never in this process when a KMS or HSM holds it. The CA issues
// device certificates from robots' PKCS#10 requests (proof of possession checked), keeps an inventory with expiry,
// revokes, and publishes signed X.509 CRLs. Every issuance, revocation and CRL is audited (public facts only).
import crypto from 'node:crypto';
import 'reflect-metadata';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { Name } from '@peculiar/x509';
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import type { Clock } from '../../clock.ts';
import { verifyCsr } from '../../crypto/x509Csr.ts';
import { signCertificate, signCrl, toPem, x509SignerFor, type X509Signer } from '../../crypto/x509Sign.ts';
import type { KmsProvider } from '../../providers/types.ts';
import type { FleetCaRepo, FleetCaRow, FleetCertRow } from '../../store/fleetCaRepo.ts';
import type { AuditDetails, AuditEntry, AuditLog } from '../audit/auditLog.ts';
import { caTbs, crlTbsDer, crossTbs, deviceSubject, type CrlEntryGroup, deviceTbs, randomSerial, REVOCATION_REASONS, serverTbs, wholeSeconds, type RevocationReason } from './fleetCaProfiles.ts';
import { failureAuditDetails, providerFailure } from '../providers/providerErrors.ts';
import { certificateInfo, checkDeviceId, checkPositiveInt, DEVICE_ID_PATTERN, normaliseSerial, type FleetCertificateInfo } from './fleetCaInventory.ts';

export type { FleetCertificateInfo } from './fleetCaInventory.ts';
export type { RevocationReason } from './fleetCaProfiles.ts';

const DAY_MS = 86_400_000;

export interface FleetCaDeps {
  provider: KmsProvider;
  clock: Clock;
  audit: AuditLog;
  repo: FleetCaRepo;
  /** Who acts, for the audit (default 'system'). */
  actor?: string;
}

export interface CreateFleetCaInput extends FleetCaDeps {
  /** A signing key (EC P-256 or RSA-2048) in `provider`. */
  keyRef: string;
  /** Distinguished name text, e.g. "CN=ECPS-UV Fleet CA, O=ECPS-UV Fleet". */
  subject: string;
  /** CA certificate validity (default 3650 days). */
  validityDays?: number;
}

export interface IssuedCertificate {
  serial: string;
  deviceId: string;
  der: Buffer;
  pem: string;
  notBefore: string;
  notAfter: string;
}

export interface PublishedCrl {
  crlNumber: number;
  thisUpdate: string;
  nextUpdate: string;
  revoked: number;
  der: Buffer;
  pem: string;
}

export interface FleetCa {
  readonly id: string;
  readonly providerId: string;
  readonly keyRef: string;
  caCertificateDer(): Buffer;
  /** For stations (`ca_cert_path` of provision_robot_with_kms). */
  caCertificatePem(): string;
  /** Checks the CSR's self-signature and that its subject CN is exactly `deviceId`, then issues (invalid_input otherwise). */
  issueDeviceCertificate(csr: Buffer | Uint8Array | string, options: { deviceId: string; validityDays?: number; actor?: string }): Promise<IssuedCertificate>;
  /** The inventory, soonest expiry first. */
  list(): FleetCertificateInfo[];
  /** Valid (not revoked, not yet expired) certificates whose notAfter is within `days` from now, earliest first. */
  expiringWithin(days: number): FleetCertificateInfo[];
  certificatePem(serial: string): string;
  /** Returns false when the certificate was already revoked. `at` (ISO time, whole seconds) defaults to now. */
  revoke(serial: string, reason: RevocationReason, options?: { actor?: string; at?: string }): boolean;
  /**
   * Revokes many certificates with one reason and time, writing ONE `ca.revoke.batch` audit record per
   * REVOKE_BATCH_MAX serials instead of one `ca.revoke` each (docs/audit-log.md, "Batch records"): the record names
   * every serial revoked (`serialList`), the robot of each (`deviceList`, same order), the reason and the caller's
   * `details` (the CRL number, the run). Synchronous and with no transaction of its own: the caller
   * runs it in the transaction that records the CRL, so a failure anywhere leaves no batch half revoked or unaudited.
   */
  revokeBatch(serials: readonly string[], reason: RevocationReason, options: BatchRevocationOptions): { revoked: number; records: number };
  /** A CRL signed by the CA key, valid for `validityHours` (default 168). */
  publishCrl(options?: { validityHours?: number; actor?: string }): Promise<PublishedCrl>;
  /**
   * Signs a CRL that lists the revoked certificates and, already, `pending` revocations the store does not hold yet.
   * Nothing is audited as published until `record()`, which the caller runs in the transaction that stores the pending
   * revocations (with revoke(serial, reason, {at: revokedAt})); a failed signing is audited at once.
   */
  prepareCrl(options: { pending: PendingRevocation[] | PendingSerials; validityHours?: number; actor?: string }): Promise<PreparedCrl>;
  /**
   * The field link's TLS server certificate (docs/field-link.md) for a key the listener made: serverAuth, the hosts as
   * subjectAltName. Not in the device inventory (no robot holds it); audited `ca.issue` with `profile: field_server`.
   */
  issueServerCertificate(spkiDer: Buffer, options: { hosts: readonly string[]; validityDays: number; actor?: string }): Promise<{ serial: string; der: Buffer; pem: string; notAfter: string }>;
  /**
   * A cross-certificate of this CA for another (later) CA (docs/fleet-ca.md, "Cross-certificates"): that CA's subject,
   * key and CA extensions, this CA as issuer, valid from now until the earlier of both CAs' expiry. Not in the device
   * inventory; audited `ca.cross_certify` (target this CA, details the certified CA, serial, expiry).
   */
  issueCrossCertificate(subjectCaCertDer: Buffer, options: { subjectCaId: string; actor?: string }): Promise<{ serial: string; der: Buffer; notAfter: string }>;
}

/** At most this many serials per ca.revoke.batch record (its lists stay under the audit's 65,536-character list limit). */
export const REVOKE_BATCH_MAX = 1000;

export interface BatchRevocationOptions {
  /** ISO time in whole seconds (the CRL's revocation date). */
  at: string;
  actor?: string;
  /** Added to every batch record (e.g. crlNumber, runId, trigger). */
  details?: AuditDetails;
  /** The serials whose registry copy the caller revoked in the same transaction (counted per batch as registryCopies). */
  registryCopies?: ReadonlySet<string>;
  /**
   * Told after each batch is written with the serials it covered (normalised), inside the caller's transaction: not
   * committed yet (an emergency run pushes it as progress; a rollback later makes them failed again).
   */
  onBatch?(serials: readonly string[]): void;
}

export interface PendingRevocation {
  serial: string;
  reason: RevocationReason;
  /** ISO time in whole seconds: the revocation date written to the CRL and, later, to the store. */
  revokedAt: string;
}

/**
 * Pending revocations sharing one reason and time, the serials one list (an emergency run's or a CA revocation's
 * thousands): checked and written to the CRL from the list, without an object per serial.
 */
export interface PendingSerials {
  serials: readonly string[];
  reason: RevocationReason;
  /** ISO time in whole seconds. */
  revokedAt: string;
}

export interface PreparedCrl extends PublishedCrl {
  /** Audits the CRL as published (ca.crl.publish success, with `details` added). */
  record(details?: AuditDetails): void;
}


/** Checks a freshly signed certificate against the CA public key: a provider that signed with another key is caught here. */
function checkSignedBy(der: Buffer, signer: X509Signer): void {
  const ok = new crypto.X509Certificate(der).verify(crypto.createPublicKey({ key: signer.spki, format: 'der', type: 'spki' }));
  if (!ok) throw new ConsoleError('integrity_failure', 'The provider signature does not verify under the CA public key.');
}

async function signed<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw providerFailure(e);
  }
}

export async function createFleetCa(input: CreateFleetCaInput): Promise<FleetCa> {
  const actor = input.actor ?? 'system';
  const validityDays = checkPositiveInt(input.validityDays ?? 3650, 'validityDays', 36_500);
  let subject: Name;
  try {
    subject = new Name(input.subject);
  } catch {
    throw new ConsoleError('invalid_input', 'The CA subject is not a distinguished name.', { reason: 'subject_invalid' });
  }
  if (subject.getField('CN').length === 0) throw new ConsoleError('invalid_input', 'The CA subject needs a CN.', { reason: 'subject_invalid' });
  const id = crypto.randomUUID();
  const audit = (outcome: AuditEntry['outcome'], details: AuditDetails) =>
    input.audit.append({ actor, action: 'ca.create', targetType: 'key', targetId: input.keyRef, outcome, details: { caId: id, provider: input.provider.id, ...details } });
  try {
    const signer = await signed(() => x509SignerFor(input.provider, input.keyRef));
    const now = input.clock.now();
    const notBefore = wholeSeconds(now);
    const notAfter = wholeSeconds(now + validityDays * DAY_MS);
    const der = await signed(() => signCertificate(signer, caTbs({ signer, subject, serial: randomSerial(), notBefore, notAfter })));
    checkSignedBy(der, signer);
    const row: FleetCaRow = {
      id,
      provider: input.provider.id,
      keyRef: input.keyRef,
      subject: subject.toString(),
      certDer: der,
      notAfter: notAfter.toISOString(),
      crlNumber: 0,
      createdAt: new Date(now).toISOString(),
    };
    input.repo.insertCa(row);
    audit('success', { subject: row.subject, keyType: signer.keyType, notAfter: row.notAfter });
    return fleetCa(input, row, signer);
  } catch (e) {
    const err = isConsoleError(e) ? e : providerFailure(e);
    audit('failure', { code: err.code, ...failureAuditDetails(err) });
    throw err;
  }
}

/** Re-opens a stored CA; refuses (integrity_failure) when the provider key is not the one the CA certificate names. */
export async function openFleetCa(deps: FleetCaDeps & { caId: string }): Promise<FleetCa> {
  const row = deps.repo.getCa(deps.caId);
  if (!row) throw new ConsoleError('not_found', 'No fleet CA with this id.');
  if (row.provider !== deps.provider.id) throw new ConsoleError('invalid_input', `The fleet CA key is in provider ${row.provider}.`, { reason: 'provider_mismatch' });
  const signer = await signed(() => x509SignerFor(deps.provider, row.keyRef));
  // Parsed once for both the key check and the CA's issuer name (each parse was ~8 ms of an emergency run's first use).
  const tbs = AsnConvert.parse(row.certDer, asn1X509.Certificate).tbsCertificate;
  if (!signer.spki.equals(Buffer.from(AsnConvert.serialize(tbs.subjectPublicKeyInfo)))) throw new ConsoleError('integrity_failure', 'The provider key does not match the stored CA certificate.');
  return fleetCa(deps, row, signer, tbs.subject);
}

function fleetCa(deps: FleetCaDeps, ca: FleetCaRow, signer: X509Signer, subject?: asn1X509.Name): FleetCa {
  const { repo, clock } = deps;
  const issuer = subject ?? AsnConvert.parse(ca.certDer, asn1X509.Certificate).tbsCertificate.subject;
  const caNotAfter = Date.parse(ca.notAfter);
  const actorOf = (o?: { actor?: string }) => o?.actor ?? deps.actor ?? 'system';
  const rowOf = (serial: string): FleetCertRow => {
    const row = repo.getCert(ca.id, normaliseSerial(serial));
    if (!row) throw new ConsoleError('not_found', 'No certificate with this serial was issued by this CA.');
    return row;
  };

  async function issue(csr: Buffer | Uint8Array | string, options: { deviceId: string; validityDays?: number; actor?: string }): Promise<IssuedCertificate> {
    const actor = actorOf(options);
    const deviceId = String(options.deviceId);
    const audit = (outcome: AuditEntry['outcome'], details: AuditDetails) =>
      deps.audit.append({ actor, action: 'ca.issue', targetType: 'robot', targetId: DEVICE_ID_PATTERN.test(deviceId) ? deviceId : null, outcome, details: { caId: ca.id, ...details } });
    try {
      checkDeviceId(deviceId);
      const validityDays = checkPositiveInt(options.validityDays ?? 365, 'validityDays', 3650);
      const req = verifyCsr(csr);
      if (req.commonNames.length !== 1 || req.commonNames[0] !== deviceId) {
        throw new ConsoleError('invalid_input', `The certificate request names "${req.subject}", not device ${deviceId}.`, { reason: 'csr_subject_mismatch' });
      }
      const now = clock.now();
      const notBefore = wholeSeconds(now);
      const notAfter = wholeSeconds(now + validityDays * DAY_MS);
      if (notAfter.getTime() > caNotAfter) throw new ConsoleError('invalid_input', 'The certificate would outlive the CA certificate.', { reason: 'validity_beyond_ca' });
      const serial = randomSerial();
      const der = await signed(() => signCertificate(signer, deviceTbs({ signer, issuer, deviceId, deviceSpki: req.spki, serial, notBefore, notAfter })));
      checkSignedBy(der, signer);
      const row: FleetCertRow = {
        caId: ca.id,
        serial: serial.toString('hex'),
        deviceId,
        subject: deviceSubject(deviceId).toString(),
        notBefore: notBefore.toISOString(),
        notAfter: notAfter.toISOString(),
        certDer: der,
        issuedAt: new Date(now).toISOString(),
        revokedAt: null,
        revocationReason: null,
      };
      repo.insertCert(row);
      audit('success', { serial: row.serial, keyType: req.keyType, notAfter: row.notAfter });
      return { serial: row.serial, deviceId, der, pem: toPem(der, 'CERTIFICATE'), notBefore: row.notBefore, notAfter: row.notAfter };
    } catch (e) {
      const err = isConsoleError(e) ? e : providerFailure(e);
      const reason = err.details?.reason;
      audit('failure', { code: err.code, ...(typeof reason === 'string' ? { reason } : {}), ...failureAuditDetails(err) });
      throw err;
    }
  }

  return {
    id: ca.id,
    providerId: ca.provider,
    keyRef: ca.keyRef,
    caCertificateDer: () => Buffer.from(ca.certDer),
    caCertificatePem: () => toPem(ca.certDer, 'CERTIFICATE'),
    issueDeviceCertificate: issue,
    list: () => repo.listCerts(ca.id).map((r) => certificateInfo(r, clock.now())),
    expiringWithin(days) {
      const now = clock.now();
      const before = new Date(now + checkPositiveInt(days, 'days', 36_500) * DAY_MS).toISOString();
      return repo
        .listExpiringBefore(ca.id, before)
        .map((r) => certificateInfo(r, now))
        .filter((c) => c.status === 'valid');
    },
    certificatePem: (serial) => toPem(rowOf(serial).certDer, 'CERTIFICATE'),
    revoke(serial, reason, options) {
      const actor = actorOf(options);
      const revokedAt = options?.at ?? new Date(wholeSeconds(clock.now())).toISOString();
      const audit = (outcome: AuditEntry['outcome'], targetId: string | null, details: AuditDetails) =>
        deps.audit.append({ actor, action: 'ca.revoke', targetType: 'robot', targetId, outcome, details: { caId: ca.id, ...details } });
      let row: FleetCertRow | null = null;
      try {
        if (!Object.hasOwn(REVOCATION_REASONS, reason)) throw new ConsoleError('invalid_input', 'Unknown revocation reason.', { reason: 'revocation_reason_invalid' });
        row = rowOf(serial);
        const changed = repo.markRevoked(ca.id, row.serial, revokedAt, reason);
        audit('success', row.deviceId, { serial: row.serial, reason, alreadyRevoked: !changed });
        return changed;
      } catch (e) {
        const err = isConsoleError(e) ? e : new ConsoleError('internal', 'Revocation failed unexpectedly.');
        audit('failure', row?.deviceId ?? null, { serial: typeof serial === 'string' ? serial.slice(0, 64) : null, code: err.code });
        throw err;
      }
    },
    revokeBatch(serials, reason, options) {
      if (!Object.hasOwn(REVOCATION_REASONS, reason)) throw new ConsoleError('invalid_input', 'Unknown revocation reason.', { reason: 'revocation_reason_invalid' });
      const actor = actorOf(options);
      const batches = Math.ceil(serials.length / REVOKE_BATCH_MAX);
      let revoked = 0;
      for (let b = 0; b < batches; b++) {
        const revokedHere: string[] = [];
        const devices: string[] = [];
        let already = 0;
        let copies = 0;
        const chunk = serials.slice(b * REVOKE_BATCH_MAX, (b + 1) * REVOKE_BATCH_MAX).map(normaliseSerial);
        const changed = repo.markRevokedMany(ca.id, chunk, options.at, reason);
        for (const hex of chunk) {
          const deviceId = changed.get(hex);
          if (deviceId === undefined) {
            rowOf(hex); // not_found for a serial the CA never issued
            already++;
            continue;
          }
          revokedHere.push(hex);
          devices.push(deviceId);
          if (options.registryCopies?.has(hex)) copies++;
        }
        revoked += revokedHere.length;
        deps.audit.append({
          actor, action: 'ca.revoke.batch', targetType: null, targetId: ca.id, outcome: 'success',
          details: {
            ...options.details, caId: ca.id, reason, revokedAt: options.at, batch: b + 1, batches, count: revokedHere.length, alreadyRevoked: already,
            registryCopies: copies, serialList: revokedHere.join(' '), deviceList: devices.join(' '),
          },
        });
        options.onBatch?.(chunk);
      }
      return { revoked, records: batches };
    },
    async publishCrl(options) {
      const crl = await prepareCrl({ ...options, pending: [] });
      crl.record();
      return crl;
    },
    prepareCrl,
    async issueServerCertificate(spkiDer, options) {
      const actor = actorOf(options);
      const audit = (outcome: AuditEntry['outcome'], details: AuditDetails) =>
        deps.audit.append({ actor, action: 'ca.issue', targetType: null, targetId: null, outcome, details: { caId: ca.id, profile: 'field_server', hosts: options.hosts.join(','), ...details } });
      try {
        const validityDays = checkPositiveInt(options.validityDays, 'validityDays', 397);
        if (options.hosts.length === 0) throw new ConsoleError('invalid_input', 'A server certificate names at least one host.', { reason: 'hosts_missing' });
        const now = clock.now();
        const notBefore = wholeSeconds(now);
        const notAfter = wholeSeconds(Math.min(now + validityDays * DAY_MS, caNotAfter));
        const serial = randomSerial();
        const der = await signed(() => signCertificate(signer, serverTbs({ signer, issuer, hosts: options.hosts, deviceSpki: spkiDer, serial, notBefore, notAfter })));
        checkSignedBy(der, signer);
        audit('success', { serial: serial.toString('hex'), notAfter: notAfter.toISOString() });
        return { serial: serial.toString('hex'), der, pem: toPem(der, 'CERTIFICATE'), notAfter: notAfter.toISOString() };
      } catch (e) {
        const err = isConsoleError(e) ? e : providerFailure(e);
        audit('failure', { code: err.code, ...failureAuditDetails(err) });
        throw err;
      }
    },
    async issueCrossCertificate(subjectCaCertDer, options) {
      const actor = actorOf(options);
      const audit = (outcome: AuditEntry['outcome'], details: AuditDetails) =>
        deps.audit.append({ actor, action: 'ca.cross_certify', targetType: null, targetId: ca.id, outcome, details: { caId: ca.id, subjectCaId: options.subjectCaId, ...details } });
      try {
        const now = clock.now();
        const subjectNotAfter = Date.parse(new crypto.X509Certificate(subjectCaCertDer).validTo);
        // Within the issuing CA's validity (RFC 5280 6.1.3: a path is valid only while every certificate in it is).
        const notAfter = wholeSeconds(Math.min(subjectNotAfter, caNotAfter));
        const notBefore = wholeSeconds(now);
        if (notAfter.getTime() <= notBefore.getTime()) throw new ConsoleError('illegal_transition', `Fleet CA ${ca.id} or the CA it would certify has expired.`, { reason: 'ca_expired' });
        const serial = randomSerial();
        const der = await signed(() => signCertificate(signer, crossTbs({ signer, issuer, subjectCaCertDer, serial, notBefore, notAfter })));
        checkSignedBy(der, signer);
        audit('success', { serial: serial.toString('hex'), notAfter: notAfter.toISOString() });
        return { serial: serial.toString('hex'), der, notAfter: notAfter.toISOString() };
      } catch (e) {
        const err = isConsoleError(e) ? e : providerFailure(e);
        audit('failure', { code: err.code, ...failureAuditDetails(err) });
        throw err;
      }
    },
  };

  async function prepareCrl(options: { pending: PendingRevocation[] | PendingSerials; validityHours?: number; actor?: string }): Promise<PreparedCrl> {
    const actor = actorOf(options);
    const audit = (outcome: AuditEntry['outcome'], details: AuditDetails) =>
      deps.audit.append({ actor, action: 'ca.crl.publish', targetType: 'key', targetId: ca.keyRef, outcome, details: { caId: ca.id, ...details } });
    try {
      const hours = checkPositiveInt(options.validityHours ?? 168, 'validityHours', 8760);
      const now = clock.now();
      const thisUpdate = wholeSeconds(now);
      const nextUpdate = wholeSeconds(now + hours * 3_600_000);
      const stored = repo.listRevokedEntries(ca.id);
      // A pending serial the store holds revoked already (or listed twice) would be on the CRL twice: refused. Checked
      // against the revoked list read just above, not with a query per serial (10,000 lookups were a tenth of an
      // emergency run, docs/benchmarks.md). Whether the CA issued each serial is checked where it is revoked, in the
      // transaction that records this CRL (revoke and revokeBatch answer not_found and roll it back): every caller
      // lists its serials from the CA's own certificates.
      const listed = new Set(stored.map((r) => r.serial));
      const refuseListed = (serial: string) => {
        if (listed.has(serial)) throw new ConsoleError('invalid_input', `Certificate ${serial} is already revoked.`, { reason: 'already_revoked' });
        listed.add(serial);
      };
      const checkReason = (reason: RevocationReason) => {
        if (!Object.hasOwn(REVOCATION_REASONS, reason)) throw new ConsoleError('invalid_input', 'Unknown revocation reason.', { reason: 'revocation_reason_invalid' });
      };
      // One Date per distinct revocation time (an emergency run revokes thousands at one time).
      const dates = new Map<string, Date>();
      const dateOf = (iso: string) => {
        let d = dates.get(iso);
        if (d === undefined) dates.set(iso, (d = new Date(iso)));
        return d;
      };
      const entries = stored.map((r) => ({ serial: Buffer.from(r.serial, 'hex'), revokedAt: dateOf(r.revokedAt), reason: (r.reason ?? 'unspecified') as RevocationReason }));
      const groups: CrlEntryGroup[] = [];
      let pendingCount = 0;
      if (Array.isArray(options.pending)) {
        for (const p of options.pending as PendingRevocation[]) {
          const serial = normaliseSerial(p.serial);
          refuseListed(serial);
          checkReason(p.reason);
          entries.push({ serial: Buffer.from(serial, 'hex'), revokedAt: dateOf(p.revokedAt), reason: p.reason });
        }
        pendingCount = options.pending.length;
      } else {
        // One list: the reason checked once, each serial normalised and checked against the revoked list, no entry object.
        const batch = options.pending as PendingSerials;
        checkReason(batch.reason);
        const serials = batch.serials.map(normaliseSerial);
        for (const serial of serials) refuseListed(serial);
        groups.push({ serials, revokedAt: dateOf(batch.revokedAt), reason: batch.reason });
        pendingCount = serials.length;
      }
      const revoked = stored.length + pendingCount;
      const crlNumber = repo.nextCrlNumber(ca.id);
      const der = await signed(() => signCrl(signer, crlTbsDer({ signer, issuer, crlNumber, thisUpdate, nextUpdate, entries, groups })));
      const published = { crlNumber, thisUpdate: thisUpdate.toISOString(), nextUpdate: nextUpdate.toISOString(), revoked, der, pem: toPem(der, 'X509 CRL') };
      return {
        ...published,
        record: (details = {}) => {
          // Kept for the robots (docs/lockdown-orders.md, "Delivery"): stations and key bundles carry the newest CRL.
          repo.saveCrl?.(ca.id, crlNumber, published.thisUpdate, der);
          audit('success', { crlNumber, revoked, nextUpdate: published.nextUpdate, ...details });
        },
      };
    } catch (e) {
      const err = isConsoleError(e) ? e : providerFailure(e);
      audit('failure', { code: err.code, ...failureAuditDetails(err) });
      throw err;
    }
  }
}
