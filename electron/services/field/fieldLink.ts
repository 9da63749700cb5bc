// The field link (issues 13 and 15, docs/field-link.md): an opt-in mutual-TLS listener over which robots reachable only
// by network poll for what a station in distribute mode would give them. The console presents a server certificate
// the fleet CA issues when the listener starts (a key made in memory for this listener), followed by the retired CAs'
// cross-certificates for that CA (docs/fleet-ca.md "Cross-certificates": robots trusting only a retired CA reach the
// link; never a compromised CA's, refreshed after ca:replace and ca:revoke); a robot presents its fleet
// certificate. After the handshake the console checks that certificate itself (chain to the current CA or a retired,
// still valid one; not compromised; validity at the console's clock; not revoked at the CA nor in the registry; the
// robot registered and provisioned or deployed) and answers one status line:
//   {"v":1,"result":"refused","code":...,"message":...}   audited `field.refuse`, connection closed;
//   {"v":1,"result":"up_to_date","deviceId":...}          nothing due (no key version, order or CRL), closed;
//   {"v":1,"result":"session","deviceId":...}             then the distribute session of the serial link, frame for
//                                                         frame, over the TLS stream (electron/station/distributeSession.ts
//                                                         with the console's distribution deps): orders, the CRL, the
//                                                         robot's next v2 bundle and its INSTALLED proof, which feeds
//                                                         the rollout's wave gating exactly as at a station.
// Each poll of a registered robot is recorded in field_contacts (migration 26). Audit details carry ids, serials,
// addresses and codes only; the server key never leaves this process.
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import { ConsoleError } from '../../../shared/errors.ts';
import type { FieldStatus } from '../../../shared/fieldContract.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import { runDistributionSession, type DistributionDeps } from '../../station/distributeSession.ts';
import { FrameChannel, type ByteLink } from '../../station/transport.ts';
import type { FieldContactRepo } from '../../store/fieldContactRepo.ts';
import type { FleetRepo } from '../../store/fleetRepo.ts';
import type { AuditDetails, AuditLog } from '../audit/auditLog.ts';
import type { FleetCa } from '../ca/fleetCa.ts';
import { DISTRIBUTABLE_STATUSES } from '../station/bundleService.ts';
import type { Session } from '../session/session.ts';

/** A CA robots' certificates may chain to: the current one, or a retired one still valid (never a compromised one). */
export interface TrustedCa { caId: string; pem: string }

export interface FieldLinkDeps {
  session: Pick<Session, 'require' | 'actor'>;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  /** The opened current fleet CA (issues the server certificate). */
  ca(): Promise<Pick<FleetCa, 'issueServerCertificate'>>;
  /** The current CA and the retired ones whose certificate is still valid at the console's clock. */
  trustedCas(): TrustedCa[];
  /**
   * The cross-certificates (PEM) sent after a server certificate of CA `caId`: the retired, not compromised CAs' for it
   * (docs/fleet-ca.md, "Cross-certificates"), so a robot that trusts only such a CA reaches the link. None by default.
   */
  crossCertificates?(caId: string): Promise<string[]>;
  /** The CA's record of a certificate it issued (revocation), null when it never issued this serial. */
  caCertificate(caId: string, serial: string): { deviceId: string; revokedAt: string | null } | null;
  fleetRepo: Pick<FleetRepo, 'get' | 'certificatesOf'>;
  contacts: FieldContactRepo;
  /** Whether anything is due for the robot: a key version its rollout wave lets it have, a pending order, a new CRL. */
  due(deviceId: string): boolean;
  /** The distribute session's deps for this robot only (HELLO must name it). */
  distribution(deviceId: string): DistributionDeps;
  /** Per-step wait for the robot inside a session (ms). */
  stepTimeoutMs: number;
  /** The current fleet CA's id (null: none): a server certificate of another CA is renewed (the CA was replaced). */
  currentCaId(): string | null;
  /** How often a running link checks its server certificate (ms, default 1 hour; null: only when checkRenewal is called). */
  renewCheckMs?: number | null;
  /** Periodic timer (default Node's, unref'd: it never keeps a process alive). */
  setInterval?: (fn: () => void, ms: number) => () => void;
}

/** Why a server certificate is renewed: less than a third of its validity left, or issued by a CA no longer current. */
export type RenewalReason = 'expiring' | 'ca_replaced';

/**
 * Whether the listener's certificate is renewed at `now` (docs/field-link.md "Server certificate renewal"): once less
 * than a third of its validity remains (a 30-day certificate after 20 days), or when the CA that issued it is no
 * longer the current one.
 */
export function renewalReason(cert: { notBefore: number; notAfter: number; caId: string | null }, now: number, currentCaId: string | null): RenewalReason | null {
  if (currentCaId !== null && cert.caId !== currentCaId) return 'ca_replaced';
  const third = (cert.notAfter - cert.notBefore) / 3;
  return cert.notAfter - now < third ? 'expiring' : null;
}

export interface FieldLink {
  start(o: { host: string; port: number; certificateDays?: number | undefined }): Promise<FieldStatus>;
  stop(): Promise<FieldStatus>;
  status(): FieldStatus;
  /** Resolves when every session in progress has ended (tests, shutdown). */
  idle(): Promise<void>;
  /**
   * Renews the running listener's server certificate when renewalReason says so (audited field.renew; new handshakes
   * get the new certificate, sessions in progress keep theirs). Also run periodically while the link listens.
   */
  checkRenewal(): Promise<{ renewed: RenewalReason | null; serial: string | null }>;
}

/** The first line the console writes after the handshake (docs/field-link.md). */
export type FieldGreeting =
  | { v: 1; result: 'refused'; code: FieldRefusal; message: string }
  | { v: 1; result: 'up_to_date' | 'session'; deviceId: string };

export const FIELD_REFUSALS = [
  'no_certificate', 'untrusted_certificate', 'certificate_expired', 'unknown_certificate', 'certificate_revoked', 'unknown_robot', 'robot_not_eligible', 'busy', 'locked',
] as const;
export type FieldRefusal = (typeof FIELD_REFUSALS)[number];

class Refused extends Error {
  readonly code: FieldRefusal;
  readonly deviceId: string | null;
  readonly serial: string | null;
  constructor(code: FieldRefusal, message: string, deviceId: string | null = null, serial: string | null = null) {
    super(message);
    this.code = code;
    this.deviceId = deviceId;
    this.serial = serial;
  }
}

const DEFAULT_CERT_DAYS = 30;
const DEFAULT_RENEW_CHECK_MS = 3_600_000;
const MAX_CONTACTS = 200;

/** The frame channel's byte link over a TLS stream (the serial port's write / drain / events). */
export function tlsByteLink(s: TLSSocket): ByteLink {
  return {
    write: (data, cb) => s.write(data, cb),
    drain: (cb) => (s.writableNeedDrain ? void s.once('drain', () => cb()) : cb()),
    on: ((event: string, fn: (...a: unknown[]) => void) => s.on(event, fn)) as ByteLink['on'],
    removeAllListeners: (event?: string) => s.removeAllListeners(event),
  };
}

export function createFieldLink(deps: FieldLinkDeps): FieldLink {
  let server: tls.Server | null = null;
  let listening: {
    host: string; port: number; serial: string; notAfter: string; startedAt: string;
    notBeforeMs: number; caId: string | null; certificateDays: number;
    /** The TLS context's parts, kept to send another chain with the same certificate (refreshChain). */
    key: string; certPem: string; chain: string;
  } | null = null;
  let stopTimer: (() => void) | null = null;
  let renewing: Promise<{ renewed: RenewalReason | null; serial: string | null }> | null = null;
  const every = deps.setInterval ?? ((fn: () => void, ms: number) => {
    const t = setInterval(fn, ms);
    t.unref();
    return () => clearInterval(t);
  });

  /** A fresh key (in memory only) and its certificate from the current fleet CA, as a TLS context's key and cert. */
  async function issue(host: string, certificateDays: number) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const ca = await deps.ca();
    const caId = deps.currentCaId();
    const cert = await ca.issueServerCertificate(publicKey.export({ format: 'der', type: 'spki' }), {
      hosts: [host], validityDays: certificateDays, actor: deps.session.actor(),
    });
    const notBeforeMs = Date.parse(new X509Certificate(cert.pem).validFrom);
    const chain = await chainOf(caId);
    return { key: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, cert, caId, notBeforeMs, chain };
  }

  /** The cross-certificates sent after a server certificate of `caId` (one PEM text, in order). */
  async function chainOf(caId: string | null): Promise<string> {
    if (caId === null || !deps.crossCertificates) return '';
    return (await deps.crossCertificates(caId)).join('');
  }

  /** The TLS context's certificates: the server certificate, then the cross-certificates (RFC 8446 4.4.2: the sender's first). */
  const contextOf = (c: { key: string; certPem: string; chain: string }) => ({ key: c.key, cert: c.certPem + c.chain, ca: deps.trustedCas().map((t) => t.pem), minVersion: 'TLSv1.3' as const });

  async function renewNow(): Promise<{ renewed: RenewalReason | null; serial: string | null }> {
    const l = listening;
    const s = server;
    if (!l || !s) return { renewed: null, serial: null };
    const reason = renewalReason({ notBefore: l.notBeforeMs, notAfter: Date.parse(l.notAfter), caId: l.caId }, deps.clock.now(), deps.currentCaId());
    if (reason === null) {
      await refreshChain(s, l);
      return { renewed: null, serial: listening?.serial ?? null };
    }
    try {
      deps.session.require();
      const fresh = await issue(l.host, l.certificateDays);
      if (server !== s || listening !== l) return { renewed: null, serial: listening?.serial ?? null }; // stopped meanwhile
      s.setSecureContext(contextOf({ key: fresh.key, certPem: fresh.cert.pem, chain: fresh.chain }));
      listening = { ...l, serial: fresh.cert.serial, notAfter: fresh.cert.notAfter, notBeforeMs: fresh.notBeforeMs, caId: fresh.caId, key: fresh.key, certPem: fresh.cert.pem, chain: fresh.chain };
      audit('field.renew', 'success', null, { reason, previousSerial: l.serial, serial: fresh.cert.serial, notAfter: fresh.cert.notAfter, caId: fresh.caId });
      return { renewed: reason, serial: fresh.cert.serial };
    } catch (e) {
      const code = e instanceof ConsoleError ? e.code : 'internal';
      try {
        audit('field.renew', 'failure', null, { reason, serial: l.serial, notAfter: l.notAfter, code });
      } catch {
        // locked meanwhile: the link stops at lock anyway
      }
      deps.logger.warn('renewing the field link certificate failed; the current one stays', { code, notAfter: l.notAfter });
      return { renewed: null, serial: l.serial };
    }
  }
  /**
   * Same certificate, the cross-certificates asked again: a retired CA revoked as compromised is dropped from the chain
   * at once (ca:revoke, revoke_ca), one that had none gets its own (signed when asked). New handshakes only.
   */
  async function refreshChain(s: tls.Server, l: NonNullable<typeof listening>): Promise<void> {
    let chain: string;
    try {
      deps.session.require();
      chain = await chainOf(l.caId);
    } catch (e) {
      deps.logger.warn('the field link could not ask for its cross-certificates; the chain stays', { error: e instanceof Error ? e.message : String(e) });
      return;
    }
    if (chain === l.chain || server !== s || listening !== l) return;
    s.setSecureContext(contextOf({ key: l.key, certPem: l.certPem, chain }));
    listening = { ...l, chain };
    deps.logger.info('the field link sends other cross-certificates after its server certificate', { serial: l.serial, crossCertificates: chain.split('-----BEGIN').length - 1 });
  }

  const active = new Set<string>();
  const sessions = new Set<Promise<void>>();
  const sockets = new Set<TLSSocket>();
  const nowIso = () => new Date(deps.clock.now()).toISOString();

  const audit = (action: string, outcome: 'success' | 'failure', deviceId: string | null, details: AuditDetails) =>
    deps.audit.append({ actor: deps.session.actor(), action, targetType: deviceId ? 'robot' : null, targetId: deviceId, outcome, details });

  /** Who the peer certificate names, after every check of the module comment; throws Refused. */
  function identify(socket: TLSSocket): { deviceId: string; serial: string } {
    const peer = socket.getPeerX509Certificate();
    if (!peer) throw new Refused('no_certificate', 'the robot presented no certificate');
    const serial = peer.serialNumber.toLowerCase();
    const ca = deps.trustedCas().find((c) => {
      const caCert = new X509Certificate(c.pem);
      return peer.checkIssued(caCert) && peer.verify(caCert.publicKey);
    });
    if (!ca) throw new Refused('untrusted_certificate', 'the certificate was not issued by a fleet CA this console trusts', null, serial);
    const now = deps.clock.now();
    if (Date.parse(peer.validFrom) > now || Date.parse(peer.validTo) <= now) throw new Refused('certificate_expired', 'the certificate is not valid now', null, serial);
    const record = deps.caCertificate(ca.caId, serial);
    if (!record) throw new Refused('unknown_certificate', 'the fleet CA has no record of this certificate', null, serial);
    const deviceId = record.deviceId;
    if (record.revokedAt !== null) throw new Refused('certificate_revoked', 'the certificate is revoked', deviceId, serial);
    const robot = deps.fleetRepo.get(deviceId);
    if (!robot) throw new Refused('unknown_robot', `robot ${deviceId} is not in the fleet registry`, null, serial);
    const copy = deps.fleetRepo.certificatesOf(deviceId).find((c) => c.serial.toLowerCase().replace(/:/g, '') === serial);
    if (copy?.status === 'revoked') throw new Refused('certificate_revoked', 'the certificate is revoked in the fleet registry', deviceId, serial);
    if (!DISTRIBUTABLE_STATUSES.includes(robot.status)) throw new Refused('robot_not_eligible', `robot ${deviceId} is ${robot.status}`, deviceId, serial);
    return { deviceId, serial };
  }

  const greet = (socket: TLSSocket, g: FieldGreeting) => new Promise<void>((resolve) => socket.write(`${JSON.stringify(g)}\n`, () => resolve()));

  async function serve(socket: TLSSocket): Promise<void> {
    const address = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    let deviceId: string | null = null;
    let claimed = false;
    try {
      try {
        deps.session.require();
      } catch {
        throw new Refused('locked', 'the console is locked');
      }
      const who = identify(socket);
      deviceId = who.deviceId;
      if (active.has(who.deviceId)) throw new Refused('busy', `a session with ${who.deviceId} is already in progress`, who.deviceId, who.serial);
      active.add(who.deviceId);
      claimed = true;
      if (!deps.due(who.deviceId)) {
        deps.contacts.record({ deviceId: who.deviceId, at: nowIso(), address, result: 'up_to_date' });
        await greet(socket, { v: 1, result: 'up_to_date', deviceId: who.deviceId });
        socket.end();
        return;
      }
      deps.contacts.record({ deviceId: who.deviceId, at: nowIso(), address, result: 'session' });
      await greet(socket, { v: 1, result: 'session', deviceId: who.deviceId });
      const channel = new FrameChannel(tlsByteLink(socket));
      const out = await runDistributionSession(channel, deps.distribution(who.deviceId), {
        port: `field:${address}`, clock: deps.clock, logger: deps.logger, stepTimeoutMs: deps.stepTimeoutMs,
      });
      deps.contacts.setResult(who.deviceId, out.ok ? 'installed' : out.error.code);
      socket.end();
    } catch (e) {
      if (!(e instanceof Refused)) {
        deps.logger.error('a field link connection failed', { address, deviceId, error: e instanceof Error ? e.message : String(e) });
        socket.destroy();
        return;
      }
      if (e.deviceId !== null && e.code !== 'unknown_robot') deps.contacts.record({ deviceId: e.deviceId, at: nowIso(), address, result: e.code });
      try {
        audit('field.refuse', 'failure', e.deviceId, { address, code: e.code, serial: e.serial });
      } catch (auditError) {
        deps.logger.error('auditing a field link refusal failed', { address, code: e.code, error: auditError instanceof Error ? auditError.message : String(auditError) });
      }
      await greet(socket, { v: 1, result: 'refused', code: e.code, message: e.message }).catch(() => undefined);
      socket.end();
    } finally {
      if (claimed && deviceId !== null) active.delete(deviceId);
    }
  }

  const status = (): FieldStatus => {
    let contacts: FieldStatus['contacts'];
    try {
      deps.session.require();
      contacts = deps.contacts.list(MAX_CONTACTS);
    } catch {
      contacts = [];
    }
    return {
      running: listening !== null,
      host: listening?.host ?? null,
      port: listening?.port ?? null,
      certificate: listening ? { serial: listening.serial, notAfter: listening.notAfter } : null,
      startedAt: listening?.startedAt ?? null,
      contacts,
    };
  };

  const link: FieldLink = {
    status,
    async start({ host, port, certificateDays }) {
      deps.session.require();
      if (server) throw new ConsoleError('illegal_transition', `The field link is already listening on ${listening?.host}:${listening?.port}.`);
      const details = { host, port };
      try {
        const days = certificateDays ?? DEFAULT_CERT_DAYS;
        const first = await issue(host, days);
        const cert = first.cert;
        const s = tls.createServer({
          ...contextOf({ key: first.key, certPem: cert.pem, chain: first.chain }),
          requestCert: true,
          // The console checks the robot's certificate itself (at its own clock, against the CA's revocations) and
          // audits every refusal: a handshake refused by OpenSSL could not say who was refused and why.
          rejectUnauthorized: false,
          handshakeTimeout: deps.stepTimeoutMs,
        });
        s.maxConnections = 64;
        s.on('secureConnection', (socket: TLSSocket) => {
          sockets.add(socket);
          socket.on('error', () => undefined);
          socket.on('close', () => sockets.delete(socket));
          const p = serve(socket).finally(() => sessions.delete(p));
          sessions.add(p);
        });
        s.on('tlsClientError', (err) => deps.logger.warn('a field link handshake failed', { error: err.message }));
        await new Promise<void>((resolve, reject) => {
          s.once('error', reject);
          s.listen(port, host, () => {
            s.off('error', reject);
            resolve();
          });
        }).catch((err: unknown) => {
          throw new ConsoleError('invalid_input', `The field link cannot listen on ${host}:${port}: ${err instanceof Error ? err.message : String(err)}`, { field: 'port' });
        });
        s.on('error', (err) => deps.logger.error('the field link listener failed', { error: err.message }));
        server = s;
        listening = {
          host, port: (s.address() as AddressInfo).port, serial: cert.serial, notAfter: cert.notAfter, startedAt: nowIso(),
          notBeforeMs: first.notBeforeMs, caId: first.caId, certificateDays: days, key: first.key, certPem: cert.pem, chain: first.chain,
        };
        const checkMs = deps.renewCheckMs === undefined ? DEFAULT_RENEW_CHECK_MS : deps.renewCheckMs;
        if (checkMs !== null) stopTimer = every(() => void link.checkRenewal(), checkMs);
        audit('field.start', 'success', null, { host, port: listening.port, serial: cert.serial, notAfter: cert.notAfter });
        return status();
      } catch (e) {
        audit('field.start', 'failure', null, { ...details, code: e instanceof ConsoleError ? e.code : 'internal' });
        throw e;
      }
    },
    async stop() {
      const s = server;
      if (!s) return status();
      server = null;
      const was = listening;
      listening = null;
      stopTimer?.();
      stopTimer = null;
      // Audited before anything awaits: at lock and close the store is still open in this synchronous part.
      try {
        audit('field.stop', 'success', null, { host: was?.host ?? null, port: was?.port ?? null });
      } catch (e) {
        deps.logger.warn('auditing the field link stop failed', { error: e instanceof Error ? e.message : String(e) });
      }
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => s.close(() => resolve()));
      return status();
    },
    async idle() {
      while (sessions.size > 0) await Promise.allSettled([...sessions]);
    },
    checkRenewal() {
      // One renewal at a time: a timer tick during a slow CA signature waits for it instead of issuing twice.
      renewing ??= renewNow().finally(() => {
        renewing = null;
      });
      return renewing;
    },
  };
  return link;
}
