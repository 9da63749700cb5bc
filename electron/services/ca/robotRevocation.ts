// Revoking a robot (fleet:setStatus to `revoked`) is one operation: every valid certificate of the robot is revoked
// with an RFC 5280 reason, each CA that issued one (the current CA and, during a transition, a retired one) signs a
// CRL that lists its own, and the robot's status, the CA's revocations, the
// registry's certificate copies and the audit records (robot.status, ca.crl.publish, and the revocations': one
// ca.revoke and one robot.certificate.revoke for a robot's only certificate; for several, one ca.revoke.batch per CA
// naming its serials and counting the registry copies, as an emergency run writes them) commit in ONE store transaction. The CRL is signed first, because provider.sign is asynchronous and
// the store's transaction is not. A CA that cannot sign (its key disabled, its provider unreachable) fails the whole
// operation with the provider's typed error and nothing changes: "revoked" in the console always means "on a CRL the
// fleet CA signed". Meanwhile the officer can quarantine the robot, which needs no CA.
import { canRobotTransition, type CertRevocationReason } from '../../../shared/domain.ts';
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import type { RevocationPlan, RobotStatusChange } from '../../../shared/fleetContract.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import type { FleetRepo } from '../../store/fleetRepo.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import type { FleetRegistry } from '../fleet/fleetRegistry.ts';
import type { Session } from '../session/session.ts';
import { wholeSeconds } from '../../crypto/x509Plain.ts';
import type { CaRevocations, FleetCaService } from './fleetCaService.ts';

export interface RobotRevocationDeps {
  ca: FleetCaService;
  fleet: FleetRegistry;
  fleetRepo: FleetRepo;
  session: Session;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  transaction<T>(fn: () => T): T;
}

export interface RobotRevocation {
  /** What revoking the robot would revoke with it (the status dialog shows it before the officer confirms). */
  plan(deviceId: string): RevocationPlan;
  revoke(deviceId: string, reason: string, certificateReason?: CertRevocationReason): Promise<RobotStatusChange>;
}

/** The reason when none is given: the robot's right to act in the fleet is withdrawn (keyCompromise says more). */
export const DEFAULT_ROBOT_REVOCATION_REASON: CertRevocationReason = 'privilegeWithdrawn';
/** Signing again when the robot's certificates changed while the CRL was being signed (a session issued one). */
const ATTEMPTS = 3;

type Step = 'plan' | 'crl' | 'commit';

const planKey = (p: RevocationPlan) => p.certificates.map((c) => `${c.serial}:${c.caId ?? ''}:${c.inCa}:${c.inRegistry}`).join(' ');

export function createRobotRevocation(deps: RobotRevocationDeps): RobotRevocation {
  const plan = (deviceId: string): RevocationPlan => {
    deps.session.require();
    if (!deps.fleetRepo.get(deviceId)) throw new ConsoleError('not_found', `No robot with device id ${deviceId}.`);
    const byKey = new Map<string, RevocationPlan['certificates'][number]>();
    // Of every CA: a retired CA's certificate still valid during a transition is revoked with the robot too.
    for (const c of deps.ca.validCertificatesOf(deviceId)) byKey.set(c.serial.toLowerCase(), { serial: c.serial, notAfter: c.notAfter, caId: c.caId, inCa: true, inRegistry: false });
    // Every copy the registry still holds as active, expired ones too: none of them may stay active.
    for (const c of deps.fleetRepo.certificatesOf(deviceId)) {
      if (c.status !== 'active') continue;
      const known = byKey.get(c.serial.toLowerCase());
      if (known) known.inRegistry = true;
      else byKey.set(c.serial.toLowerCase(), { serial: c.serial, notAfter: c.notAfter, inCa: false, inRegistry: true });
    }
    const certificates = [...byKey.values()].sort((a, b) => a.notAfter.localeCompare(b.notAfter) || a.serial.localeCompare(b.serial));
    const caProviderId = deps.ca.status().providerId;
    return { deviceId, certificates, crlUpdate: certificates.some((c) => c.inCa), caProviderId };
  };

  /** Everything but the signing, synchronously: null when the plan changed since the CRL was signed. */
  const commit = (deviceId: string, reason: string, certificateReason: CertRevocationReason, signedFor: RevocationPlan, signed: CaRevocations[], revokedAt: string): RobotStatusChange | null =>
    deps.transaction(() => {
      const current = plan(deviceId);
      if (planKey(current) !== planKey(signedFor)) return null;
      const actor = deps.session.actor();
      const inCa = current.certificates.filter((c) => c.inCa && signed.some((s) => s.ca.id === c.caId));
      if (inCa.length === 1) {
        // One certificate: one clear ca.revoke record (and the registry copy's own).
        deps.ca.revokeWithRegistryCopy(signed.find((s) => s.ca.id === inCa[0]!.caId)!.ca, inCa[0]!.serial, certificateReason, { actor, at: revokedAt });
      } else {
        for (const s of signed) {
          const serials = inCa.filter((c) => c.caId === s.ca.id).map((c) => c.serial);
          deps.ca.revokeBatchWithRegistryCopies(s.ca, serials, certificateReason, { at: revokedAt, actor, details: { trigger: 'robot_revocation', deviceId, crlNumber: s.crl.crlNumber } });
        }
      }
      // Copies the registry holds of certificates no CA can revoke any more (expired, or of no CA of the store).
      for (const c of current.certificates) if (!inCa.includes(c)) deps.fleet.revokeCertificate(c.serial, certificateReason);
      for (const s of signed) s.crl.record({ trigger: 'robot_revocation', deviceId });
      const revokedSerials = current.certificates.map((c) => c.serial);
      // The current CA's CRL first (prepareRevocations' order); every CA's in `crls`.
      const crls = signed.map(({ ca, crl }) => ({ caId: ca.id, crlNumber: crl.crlNumber, thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate, revoked: crl.revoked, pem: crl.pem }));
      const crlNumbers = signed.map((s) => `${s.ca.id}:${s.crl.crlNumber}`).join(' ');
      const summary = deps.fleet.recordRevoked(deviceId, reason, { certificateReason, certificates: revokedSerials.join(' '), crlNumber: signed[0]?.crl.crlNumber ?? null, ...(signed.length > 1 ? { crls: crlNumbers } : {}) });
      const first = crls[0];
      const published = first ? { crlNumber: first.crlNumber, thisUpdate: first.thisUpdate, nextUpdate: first.nextUpdate, revoked: first.revoked, pem: first.pem } : null;
      return { ...summary, revocation: { certificateReason, revokedSerials, crl: published, crls } };
    });

  return {
    plan,
    async revoke(deviceId, reason, certificateReason = DEFAULT_ROBOT_REVOCATION_REASON) {
      // Where it got to, for the failure record.
      const at: { step: Step; planned: RevocationPlan | null } = { step: 'plan', planned: null };
      try {
        for (let attempt = 1; ; attempt++) {
          at.step = 'plan';
          const planned = (at.planned = plan(deviceId));
          // Refused before anything is signed (and again in the commit, should it change meanwhile).
          const robot = deps.fleetRepo.get(deviceId);
          if (robot && !canRobotTransition(robot.status, 'revoked')) {
            throw new ConsoleError('illegal_transition', `Robot ${deviceId} is ${robot.status}; it cannot become revoked.`, { from: robot.status, to: 'revoked' });
          }
          const revokedAt = new Date(wholeSeconds(deps.clock.now())).toISOString();
          const pending = planned.certificates.flatMap((c) => (c.inCa && c.caId ? [{ caId: c.caId, serial: c.serial }] : []));
          let signed: CaRevocations[] = [];
          if (pending.length > 0) {
            at.step = 'crl';
            try {
              signed = await deps.ca.prepareRevocations(pending, { reason: certificateReason, revokedAt, actor: deps.session.actor() });
            } catch (e) {
              // One of them was revoked since the plan was taken (certs:revoke meanwhile): plan again.
              if (isConsoleError(e) && e.details?.reason === 'already_revoked' && attempt < ATTEMPTS) continue;
              throw e;
            }
          }
          at.step = 'commit';
          const done = commit(deviceId, reason, certificateReason, planned, signed, revokedAt);
          if (done) return done;
          if (attempt === ATTEMPTS) throw new ConsoleError('store_busy', `Robot ${deviceId}'s certificates kept changing while the CRL was being signed. Nothing changed; try again.`);
        }
      } catch (e) {
        throw failed(deviceId, at.step, at.planned, certificateReason, e);
      }
    },
  };

  /** Audits and logs a revocation that did not happen (after any rollback) and says plainly that nothing changed. */
  function failed(deviceId: string, step: Step, planned: RevocationPlan | null, certificateReason: CertRevocationReason, e: unknown): ConsoleError {
    const err = isConsoleError(e) ? e : new ConsoleError('internal', 'The robot revocation failed unexpectedly.');
    const certificates = planned?.certificates.length ?? null;
    deps.audit.append({
      actor: deps.session.actor(), action: 'robot.status', targetType: 'robot', targetId: deviceId, outcome: 'failure',
      details: { to: 'revoked', step, code: err.code, certificateReason, certificates },
    });
    if (step === 'plan') return err;
    deps.logger.error('revoking a robot failed; nothing changed', { deviceId, step, code: err.code, certificates });
    const why = step === 'crl'
      ? `the fleet CA could not sign the CRL that lists its certificates (${err.message}). Quarantine the robot meanwhile, and revoke it once the CA key can sign again`
      : `recording it failed (${err.message})`;
    return new ConsoleError(err.code, `Robot ${deviceId} was not revoked and its certificates stay valid: ${why}. Nothing changed.`, { ...err.details, deviceId, step });
  }
}
