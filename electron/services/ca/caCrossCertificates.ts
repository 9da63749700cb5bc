// The retired fleet CAs' cross-certificates for the current CA (docs/fleet-ca.md, "Cross-certificates"; issue 15). When
// the CA is replaced, the retired CA signs a certificate for the new one (the new CA's subject, key and CA extensions,
// issuer the retired CA: fleetCaProfiles.ts crossTbs), kept with the CA history (migration 43, caCrossRepo.ts). The
// field link sends the ones for its server certificate's CA after that certificate (docs/field-link.md), so a robot
// that still trusts only its factory CA builds server -> new CA (cross-certified) -> retired CA and reaches the re-issue
// that teaches it the new CA. Only a retired CA (replaced, not compromised) with a certificate still valid vouches: a
// compromised CA's cross-certificate is never sent (its robots are re-provisioned). A retired CA that has none for the
// current CA yet (replaced twice, or before migration 43) signs one when the chain is first asked for; a CA whose key
// cannot sign is skipped (audited ca.cross_certify failure, logged) and asked again next time.
import { X509Certificate } from 'node:crypto';
import type { Clock } from '../../clock.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import { failureAuditDetails, providerFailure } from '../providers/providerErrors.ts';
import { toPem } from '../../crypto/x509Plain.ts';
import type { Logger } from '../../logger.ts';
import type { CaCrossCertificateRow, CaCrossRepo } from '../../store/caCrossRepo.ts';
import type { CaTransitionsRepo } from '../../store/caTransitionsRepo.ts';
import type { FleetCaRepo } from '../../store/fleetCaRepo.ts';
import type { FleetCa } from './fleetCa.ts';
import type { FleetCaService } from './fleetCaService.ts';

export interface CaCrossCertificates {
  /** The stored cross-certificate of `issuer` for `subjectCaId`, or a new one signed by `issuer` (not stored: see save). */
  sign(issuer: Pick<FleetCa, 'id' | 'issueCrossCertificate'>, subjectCaId: string, subjectCaCertDer: Buffer, actor?: string): Promise<CaCrossCertificateRow>;
  /** Stores one (inside the caller's transaction where there is one); an existing one for the pair stays. */
  save(row: CaCrossCertificateRow): void;
  /**
   * The PEMs a TLS server whose certificate `caId` issued sends after it: the cross-certificates for `caId` by every
   * retired (not compromised) CA whose own certificate and cross-certificate are valid at the console's clock, oldest
   * CA first. Missing ones are signed and stored.
   */
  chainFor(caId: string, actor?: string): Promise<string[]>;
}

export function createCaCrossCertificates(deps: {
  ca: Pick<FleetCaService, 'open'>;
  caRepo: Pick<FleetCaRepo, 'getCa' | 'listCas'>;
  transitions: Pick<CaTransitionsRepo, 'transition'>;
  repo: CaCrossRepo;
  /** For a retired CA that cannot even be opened (its key unreadable): issueCrossCertificate audits the rest. */
  audit: Pick<AuditLog, 'append'>;
  clock: Clock;
  logger: Logger;
}): CaCrossCertificates {
  const iso = () => new Date(deps.clock.now()).toISOString();
  const signing = new Map<string, Promise<CaCrossCertificateRow>>();

  async function sign(issuer: Pick<FleetCa, 'id' | 'issueCrossCertificate'>, subjectCaId: string, subjectCaCertDer: Buffer, actor?: string): Promise<CaCrossCertificateRow> {
    const stored = deps.repo.get(issuer.id, subjectCaId);
    if (stored) return stored;
    const out = await issuer.issueCrossCertificate(subjectCaCertDer, { subjectCaId, ...(actor === undefined ? {} : { actor }) });
    return { issuerCaId: issuer.id, subjectCaId, serial: out.serial, certDer: out.der, notAfter: out.notAfter, createdAt: iso() };
  }

  /**
   * The retired CA, opened to sign. A key its provider refuses to read (disabled, gone, unreachable) fails here, before
   * issueCrossCertificate: audited ca.cross_certify failure like a failed signing (docs/fleet-ca.md).
   */
  async function openIssuer(issuerId: string, subjectCaId: string, actor?: string): Promise<Pick<FleetCa, 'id' | 'issueCrossCertificate'>> {
    try {
      return await deps.ca.open(issuerId);
    } catch (e) {
      const err = providerFailure(e);
      deps.audit.append({
        actor: actor ?? 'system', action: 'ca.cross_certify', targetType: null, targetId: issuerId, outcome: 'failure',
        details: { caId: issuerId, subjectCaId, code: err.code, ...failureAuditDetails(err) },
      });
      throw err;
    }
  }

  /** One signing per pair at a time (a renewal and a start asking at once get the same certificate). */
  function ensure(issuerId: string, subjectCaId: string, subjectCaCertDer: Buffer, actor?: string): Promise<CaCrossCertificateRow> {
    // A stored one needs no provider (the retired CA is not opened).
    const stored = deps.repo.get(issuerId, subjectCaId);
    if (stored) return Promise.resolve(stored);
    const key = `${issuerId}>${subjectCaId}`;
    let pending = signing.get(key);
    if (!pending) {
      pending = (async () => {
        const row = await sign(await openIssuer(issuerId, subjectCaId, actor), subjectCaId, subjectCaCertDer, actor);
        deps.repo.save(row);
        return deps.repo.get(issuerId, subjectCaId) ?? row;
      })().finally(() => signing.delete(key));
      signing.set(key, pending);
    }
    return pending;
  }

  return {
    sign,
    save: (row) => void deps.repo.save(row),
    async chainFor(caId, actor) {
      const subject = deps.caRepo.getCa(caId);
      if (!subject) return [];
      const now = deps.clock.now();
      const pems: string[] = [];
      // Oldest CA first (listCas is newest first): a robot's factory CA's cross-certificate comes before later ones.
      for (const issuer of deps.caRepo.listCas().reverse()) {
        if (issuer.id === caId || deps.transitions.transition(issuer.id)?.state !== 'retired') continue;
        if (Date.parse(new X509Certificate(issuer.certDer).validTo) <= now) continue;
        let row: CaCrossCertificateRow;
        try {
          row = await ensure(issuer.id, caId, subject.certDer, actor);
        } catch (e) {
          deps.logger.warn('a retired fleet CA could not sign a cross-certificate; robots trusting only it cannot reach the field link', {
            caId: issuer.id, subjectCaId: caId, error: e instanceof Error ? e.message : String(e),
          });
          continue;
        }
        // Compromised while signing: never sent.
        if (deps.transitions.transition(issuer.id)?.state !== 'retired') continue;
        if (Date.parse(row.notAfter) > now) pems.push(toPem(row.certDer, 'CERTIFICATE'));
      }
      return pems;
    },
  };
}
