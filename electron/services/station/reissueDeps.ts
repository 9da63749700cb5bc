// Re-issue over the link (docs/fleet-ca.md, "Re-issue at the station"): a robot flagged as needing a certificate of
// the current CA after a replacement (reason ca_replaced) gets one in its distribution session. The offer carries the
// current CA's certificate endorsed by the retired CA (its key signs caEndorsementInput: the robot trusts the retired
// CA, so it can trust its successor); the current CA issues for the robot's registered identity key; the commit puts the
// certificate in the registry and audits station.reissue in ONE transaction (the flag settles with the certificate). A
// robot flagged because its CA was compromised is not offered a re-issue: nothing that CA signs can be trusted, so it
// is re-provisioned. A failure is audited; a certificate issued in a failed exchange is revoked (the CA audits it).
import { X509Certificate } from 'node:crypto';
import { isConsoleError } from '../../../shared/errors.ts';
import type { DistributionDeps, ReissueOffer } from '../../station/distributeSession.ts';
import type { CaTransitionsRepo } from '../../store/caTransitionsRepo.ts';
import type { FleetCaRepo } from '../../store/fleetCaRepo.ts';
import type { AuditedChangeDeps } from '../audit/auditLog.ts';
import { createCaEndorsements, type CaEndorsements } from '../ca/caEndorsement.ts';
import type { IssuedCertificate } from '../ca/fleetCa.ts';
import type { FleetCaService } from '../ca/fleetCaService.ts';
import type { FleetRegistry } from '../fleet/fleetRegistry.ts';
import type { Session } from '../session/session.ts';
import type { Logger } from '../../logger.ts';

export interface ReissueDepsInput extends AuditedChangeDeps {
  ca: FleetCaService;
  caRepo: Pick<FleetCaRepo, 'getCa' | 'currentCaId' | 'listCas'>;
  transitions: Pick<CaTransitionsRepo, 'openRenewalsOf' | 'transition'>;
  fleet: Pick<FleetRegistry, 'attachCertificate'>;
  session: Pick<Session, 'actor'>;
  logger?: Logger;
  /** The retired CAs' endorsements, shared with the bundle files (one signature per pair of CAs); made here when absent. */
  endorsements?: CaEndorsements;
  /** Days of validity of a re-issued certificate (default 365, as at provisioning). */
  validityDays?: number;
  /**
   * The station's set of robots whose session holds an uncommitted certificate (stationDeps.ts): a re-issue marks its
   * robot from before the CA issues until the certificate is recorded or the failure handled, so the sweep of abandoned
   * certificates at unlock never revokes a re-issued certificate waiting for the robot's RENEWED.
   */
  inFlight?: Set<string>;
}

export type ReissueDeps = Required<Pick<DistributionDeps, 'reissueOffer' | 'reissueCertificate' | 'commitReissue' | 'failReissue'>> & {
  /** Whether a session would re-issue this robot (the field link's due check): no provider call. */
  due(deviceId: string): boolean;
};

/** The reason a revoked re-issued certificate carries: the exchange did not complete. */
const FAILED_REISSUE_REASON = 'cessationOfOperation';

export function createReissueDeps(input: ReissueDepsInput): ReissueDeps {
  const { ca, caRepo, transitions, session, audit } = input;
  // One endorsement per (retired CA, current CA): the retired key signs once, not per robot.
  const endorsements = input.endorsements ?? createCaEndorsements({ ca, caRepo, transitions });
  // Certificates issued in exchanges still running, by serial (what the registry records: the CA's own dates and PEM).
  const issuedBySerial = new Map<string, IssuedCertificate>();
  // The robots this module marked in flight (one a provisioning session marked already is left to that session).
  const marked = new Set<string>();
  const hold = (deviceId: string) => {
    if (!input.inFlight || input.inFlight.has(deviceId)) return;
    input.inFlight.add(deviceId);
    marked.add(deviceId);
  };
  const release = (deviceId: string) => {
    if (marked.delete(deviceId)) input.inFlight?.delete(deviceId);
  };
  const append = (deviceId: string, outcome: 'success' | 'failure', details: Record<string, string | number | boolean | null>) =>
    audit.append({ actor: session.actor(), action: 'station.reissue', targetType: 'robot', targetId: deviceId, outcome, details });

  /** The current CA and the retired one the robot was flagged for (the newest such flag); null: no re-issue. */
  const offerCas = (deviceId: string) => {
    const currentId = caRepo.currentCaId();
    const current = currentId === null ? null : caRepo.getCa(currentId);
    if (!current) return null;
    const at = new Date(input.clock.now()).toISOString();
    // A robot flagged for a compromised CA is re-provisioned: nothing that CA signs (an endorsement) can be trusted.
    const flags = transitions.openRenewalsOf(deviceId, at).filter((f) => f.reason === 'ca_replaced' && transitions.transition(f.caId)?.state === 'retired');
    const flag = flags[flags.length - 1];
    const retired = flag ? caRepo.getCa(flag.caId) : null;
    return retired ? { current, retired } : null;
  };

  return {
    due: (deviceId) => offerCas(deviceId) !== null,
    async reissueOffer(deviceId) {
      const cas = offerCas(deviceId);
      if (!cas) return null;
      const offer = await endorsements.endorse(cas.retired, cas.current);
      // Sent in RENEW: the robot may trust the current CA from now on even if the exchange fails after it checked it.
      endorsements.recordSent(deviceId, offer, 'renew');
      return offer satisfies ReissueOffer;
    },
    async reissueCertificate(deviceId, csrDer) {
      // Marked before the CA writes the certificate row: from then on it is unattached until commitReissue records it.
      hold(deviceId);
      const issued = await (await ca.require()).issueDeviceCertificate(csrDer, { deviceId, validityDays: input.validityDays ?? 365, actor: session.actor() });
      issuedBySerial.set(issued.serial, issued);
      return { serial: issued.serial, certDer: issued.der };
    },
    commitReissue({ port, deviceId, offer, issued }) {
      const row = issuedBySerial.get(issued.serial);
      if (!row || !row.der.equals(issued.certDer)) throw new Error('the certificate to record is not the one issued in this session');
      const subject = new X509Certificate(row.der).subject.replace(/\n/g, ', ');
      input.transaction(() => {
        input.fleet.attachCertificate(deviceId, { serial: row.serial, subject, notBefore: row.notBefore, notAfter: row.notAfter, pem: row.pem });
        append(deviceId, 'success', { port, serial: issued.serial, caId: offer.toCaId, previousCaId: offer.fromCaId });
      });
      issuedBySerial.delete(issued.serial);
      release(deviceId);
    },
    async failReissue(f) {
      if (f.serial !== null) issuedBySerial.delete(f.serial);
      try {
        append(f.deviceId, 'failure', { port: f.port, code: f.code, reason: f.reason, message: f.message.slice(0, 200), serial: f.serial });
        // The certificate of an exchange that did not complete is not the robot's: revoked (audited by the CA).
        if (f.serial !== null) (await ca.require()).revoke(f.serial, FAILED_REISSUE_REASON, { actor: session.actor() });
      } catch (e) {
        input.logger?.error('recording a failed re-issue failed', { deviceId: f.deviceId, serial: f.serial, code: isConsoleError(e) ? e.code : 'internal' });
      } finally {
        // Revoked, or left valid and unattached (store locked): from now on the sweep at unlock may take it.
        release(f.deviceId);
      }
    },
  };
}
