// A retired fleet CA's endorsement of the current CA's certificate (docs/fleet-ca.md, "Replacing and revoking the CA"):
// the retired key signs caEndorsementInput(current CA certificate) through its provider, so that a robot still holding
// a certificate of the retired CA (its factory CA, or one it learnt) can check the new CA with a CA it already trusts.
// Carried by RENEW over the serial link and the field link (electron/services/station/reissueDeps.ts) and by a key
// bundle file built for such a robot (bundleService.ts, v3 bundles: docs/key-bundles.md). Only a retired CA (replaced,
// not compromised) endorses: nothing a compromised CA signs can be trusted, so its robots are re-provisioned. Each
// endorsement sent to a robot is recorded (recordSent): the robot may trust that CA without a certificate from it.
import { X509Certificate } from 'node:crypto';
import { ConsoleError } from '../../../shared/errors.ts';
import { signerKeyId } from '../../station/bundle.ts';
import { caEndorsementInput } from '../../station/protocol.ts';
import type { CaEndorsedRepo, EndorsementVia } from '../../store/caEndorsedRepo.ts';
import type { CaTransitionsRepo } from '../../store/caTransitionsRepo.ts';
import type { FleetCaRepo, FleetCaRow } from '../../store/fleetCaRepo.ts';
import type { FleetCaService } from './fleetCaService.ts';

/** The current CA's certificate endorsed by a retired CA (`endorserKeyId`: the retired CA's signerKeyId). */
export interface CaEndorsement { fromCaId: string; toCaId: string; caCertDer: Buffer; endorserKeyId: string; endorsement: Buffer }

export interface CaEndorsements {
  /** The endorsement of `current`'s certificate by `retired` (signed once per pair and kept: one provider call). */
  endorse(retired: FleetCaRow, current: FleetCaRow): Promise<CaEndorsement>;
  /**
   * What a robot holding `certificate` needs to trust the current CA: null when the current CA issued it; the
   * endorsement by its issuer when that CA is retired; illegal_transition when its issuer is compromised (re-provision
   * it); integrity_failure when no CA of the store issued it; not_initialized without a current CA.
   */
  forCertificate(deviceId: string, certificate: X509Certificate): Promise<CaEndorsement | null>;
  /**
   * Records that `e` was sent to the robot (RENEW, or a bundle issued), so that the endorsed CA's CRL reaches it once
   * that CA is retired or compromised (robot_ca_endorsements, migration 38). Called inside the caller's transaction
   * where there is one; nothing when the console was wired without the repository.
   */
  recordSent(deviceId: string, e: CaEndorsement, via: EndorsementVia): void;
}

export function createCaEndorsements(deps: {
  ca: Pick<FleetCaService, 'signWithCaKeyOf'>;
  caRepo: Pick<FleetCaRepo, 'getCa' | 'currentCaId' | 'listCas'>;
  transitions: Pick<CaTransitionsRepo, 'transition'>;
  /** Where sent endorsements are recorded, with the time of the console's clock. */
  endorsed?: { repo: Pick<CaEndorsedRepo, 'record'>; now(): number };
}): CaEndorsements {
  const signed = new Map<string, Promise<Buffer>>();

  async function endorse(retired: FleetCaRow, current: FleetCaRow): Promise<CaEndorsement> {
    const key = `${retired.id}>${current.id}`;
    let pending = signed.get(key);
    if (!pending) {
      pending = deps.ca.signWithCaKeyOf(retired.id, caEndorsementInput(current.certDer));
      signed.set(key, pending);
      pending.catch(() => signed.delete(key));
    }
    const endorsement = await pending;
    return { fromCaId: retired.id, toCaId: current.id, caCertDer: current.certDer, endorserKeyId: signerKeyId(new X509Certificate(retired.certDer).publicKey), endorsement };
  }

  return {
    endorse,
    recordSent(deviceId, e, via) {
      deps.endorsed?.repo.record({ deviceId, caId: e.toCaId, endorsedBy: e.fromCaId, via, firstSentAt: new Date(deps.endorsed.now()).toISOString() });
    },
    async forCertificate(deviceId, certificate) {
      const currentId = deps.caRepo.currentCaId();
      const current = currentId === null ? null : deps.caRepo.getCa(currentId);
      if (!current) throw new ConsoleError('not_initialized', 'There is no current fleet CA.');
      const issuedBy = (row: FleetCaRow) => {
        const ca = new X509Certificate(row.certDer);
        return certificate.checkIssued(ca) && certificate.verify(ca.publicKey);
      };
      if (issuedBy(current)) return null;
      const issuer = deps.caRepo.listCas().find((row) => row.id !== current.id && issuedBy(row));
      if (!issuer) throw new ConsoleError('integrity_failure', `The certificate of ${deviceId} was not issued by the current fleet CA nor by a retired one.`, { deviceId });
      const state = deps.transitions.transition(issuer.id)?.state;
      if (state !== 'retired') {
        throw new ConsoleError('illegal_transition', `The certificate of ${deviceId} was issued by fleet CA ${issuer.id}, which is ${state ?? 'not retired'}: nothing it signs can be trusted; re-provision the robot.`, { deviceId, caId: issuer.id });
      }
      return endorse(issuer, current);
    },
  };
}
