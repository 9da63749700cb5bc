// Replacing and revoking the fleet CA (issue 14; docs/fleet-ca.md, "Replacing and revoking the CA"). Both are guarded
// actions (two-person control, ca.replace and ca.revoke): by the time they run here the approvals were given.
// - replace: the old CA signs a last CRL of its own (it stays published: ca:crl {caId}), a new CA key is made in the
//   provider and the new self-signed CA certificate signs every certificate from then on; the old CA is retired (its
//   certificates still verify until the robots get new ones) and every robot holding a valid certificate of it is
//   flagged as needing a certificate from the new CA (settled when it gets one: caTransitionsRepo.ts); the old CA
//   cross-certifies the new one (caCrossCertificates.ts; a failure there is audited and does not undo the replacement).
// - revoke: a compromised CA (current or retired): every certificate it issued that is not revoked yet is revoked
//   (reason cACompromise), with the registry's copies, in one transaction; a final CRL signed by the CA lists them all;
//   the CA is marked compromised and its robots flagged. The CRL is signed first (provider.sign is asynchronous, the
//   store's transaction is not); nothing changes when it cannot be signed. Every step is audited (ca.replace,
//   ca.compromise, and the CA's own ca.create, ca.crl.publish, and one ca.revoke.batch record per 1,000 certificates
//   revoked, trigger ca_revoke: docs/audit-log.md, "Batch records").
import type { CaHistoryEntry, CertificateRenewal } from '../../../shared/caContract.ts';
import type { Handlers } from '../../../shared/contract.ts';
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import type { Clock } from '../../clock.ts';
import { toPem, wholeSeconds } from '../../crypto/x509Plain.ts';
import type { CaTransitionsRepo } from '../../store/caTransitionsRepo.ts';
import type { FleetCaRepo, FleetCaRow } from '../../store/fleetCaRepo.ts';
import type { AuditDetails, AuditLog } from '../audit/auditLog.ts';
import type { Session } from '../session/session.ts';
import type { CaCrossCertificates } from './caCrossCertificates.ts';
import type { FleetCa, PreparedCrl } from './fleetCa.ts';
import { crlFileName, type FleetCaService, type NewCaInput } from './fleetCaService.ts';

/** A compromised CA's final CRL is valid for a year (the longest a CRL may be): no later one will be signed by that key. */
export const FINAL_CRL_HOURS = 8760;

export interface CaTransitionDeps {
  ca: FleetCaService;
  repo: FleetCaRepo;
  transitions: CaTransitionsRepo;
  session: Pick<Session, 'require' | 'actor'>;
  audit: Pick<AuditLog, 'append'>;
  clock: Clock;
  transaction<T>(fn: () => T): T;
  /** The retired CA's cross-certificate for its successor, signed at the replacement and kept (docs/fleet-ca.md). */
  cross?: Pick<CaCrossCertificates, 'sign' | 'save'>;
  /** Told after a replacement or revocation is committed (the field link renews its certificate or its chain); never throws. */
  changed?(): Promise<void>;
}

export interface PublishedCaCrl {
  caId: string;
  pem: string;
  crlNumber: number;
  fileName: string;
  revoked: number;
}

export interface CaTransition {
  replace(input: Partial<Pick<NewCaInput, 'providerId'>> & Omit<NewCaInput, 'providerId'> & { reason: string }): Promise<{
    previous: CaHistoryEntry;
    current: CaHistoryEntry;
    flagged: string[];
    previousCrl: PublishedCaCrl;
  }>;
  /** `runId`: the emergency run revoking it (revoke_ca), named in its records; not part of the ca:revoke channel. */
  revoke(input: { caId?: string; reason: string; runId?: string }): Promise<{ ca: CaHistoryEntry; revokedSerials: string[]; flagged: string[]; finalCrl: PublishedCaCrl }>;
  history(): { cas: CaHistoryEntry[]; renewals: CertificateRenewal[] };
  /** What revoking a CA (the current one without caId) would touch: its certificates not revoked yet, the robots holding a valid one; null: no such CA. */
  impact(caId?: string): { ca: CaHistoryEntry; certificates: number; robots: number } | null;
}

export function createCaTransition(deps: CaTransitionDeps): CaTransition {
  const { repo, transitions, clock } = deps;
  const iso = () => new Date(clock.now()).toISOString();

  const entry = (row: FleetCaRow, currentId: string | null): CaHistoryEntry => {
    const t = transitions.transition(row.id);
    const at = iso();
    // Counted in SQL: listing a CA's 10,000 certificates (with their DER) was a fifth of an emergency run's preview.
    const { total, revoked, expired } = repo.countStates(row.id, at);
    return {
      id: row.id,
      providerId: row.provider,
      keyRef: row.keyRef,
      subject: row.subject,
      certificatePem: toPem(row.certDer, 'CERTIFICATE'),
      notAfter: row.notAfter,
      createdAt: row.createdAt,
      // A CA without a transition that is not the newest one can only be left by a replacement whose last step failed.
      state: t?.state ?? (row.id === currentId ? 'current' : 'retired'),
      changedAt: t?.changedAt ?? null,
      changedBy: t?.changedBy ?? null,
      reason: t?.reason ?? null,
      successorId: t?.successorId ?? null,
      certificates: { total, valid: total - revoked - expired, revoked, expired },
    };
  };
  const entryOf = (id: string): CaHistoryEntry => {
    const row = repo.getCa(id);
    if (!row) throw new ConsoleError('not_found', 'No fleet CA with this id.');
    return entry(row, repo.currentCaId());
  };
  const published = (ca: FleetCa, crl: PreparedCrl): PublishedCaCrl => ({ caId: ca.id, pem: crl.pem, crlNumber: crl.crlNumber, revoked: crl.revoked, fileName: crlFileName(ca.id, crl.crlNumber) });

  /** Runs `fn`, auditing a failure as `action` (a success is audited by `fn` inside its transaction). */
  async function audited<T>(action: string, targetId: () => string | null, details: AuditDetails, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const code = isConsoleError(e) ? e.code : 'internal';
      deps.audit.append({ actor: deps.session.actor(), action, targetType: null, targetId: targetId(), outcome: 'failure', details: { ...details, code } });
      throw isConsoleError(e) ? e : new ConsoleError('internal', `${action} failed unexpectedly; nothing changed.`);
    }
  }

  return {
    async replace(input) {
      deps.session.require();
      const actor = deps.session.actor();
      let oldId: string | null = null;
      return audited('ca.replace', () => oldId, { reason: input.reason }, async () => {
        const old = await deps.ca.require();
        oldId = old.id;
        // The old CA's CRL is signed before anything changes: a CA whose key can no longer sign is revoked, not replaced.
        const crl = await old.prepareCrl({ pending: [], actor });
        const next = await deps.ca.createCa({ providerId: input.providerId ?? old.providerId, algorithm: input.algorithm, commonName: input.commonName });
        // The retired CA vouches for its successor (a cross-certificate: the field link sends it, so robots trusting
        // only the old CA reach their re-issue). A failure here does not undo the replacement (the new CA exists and
        // the old CA's CRL is signed): it is audited (ca.cross_certify failure) and signed again when the field link
        // asks for it (caCrossCertificates.ts chainFor).
        const cross = deps.cross ? await deps.cross.sign(old, next.id, next.caCertificateDer(), actor).catch(() => null) : null;
        const flagged = deps.transaction(() => {
          const now = iso();
          transitions.record({ caId: old.id, state: 'retired', successorId: next.id, changedAt: now, changedBy: actor, reason: input.reason });
          if (cross) deps.cross?.save(cross);
          const holders = transitions.holders(old.id, now);
          for (const deviceId of holders) transitions.flag({ deviceId, caId: old.id, reason: 'ca_replaced', flaggedAt: now, flaggedBy: actor });
          crl.record({ trigger: 'ca_replace' });
          deps.audit.append({
            actor, action: 'ca.replace', targetType: null, targetId: old.id, outcome: 'success',
            details: { caId: next.id, provider: next.providerId, flagged: holders.length, crlNumber: crl.crlNumber, crossCertificate: cross?.serial ?? null, reason: input.reason },
          });
          return holders;
        });
        // The next certificate is issued by the new CA.
        deps.ca.forget();
        await deps.changed?.();
        return { previous: entryOf(old.id), current: entryOf(next.id), flagged, previousCrl: published(old, crl) };
      });
    },

    async revoke(input) {
      deps.session.require();
      const actor = deps.session.actor();
      const id = input.caId ?? repo.currentCaId();
      return audited('ca.compromise', () => id, { reason: input.reason }, async () => {
        if (id === null) throw new ConsoleError('not_initialized', 'There is no current fleet CA to revoke.');
        if (!repo.getCa(id)) throw new ConsoleError('not_found', 'No fleet CA with this id.');
        const before = transitions.transition(id);
        if (before?.state === 'compromised') throw new ConsoleError('illegal_transition', `Fleet CA ${id} was revoked already.`, { from: 'compromised', to: 'compromised' });
        const wasCurrent = id === repo.currentCaId();
        const ca = await deps.ca.open(id);
        const revokedAt = new Date(wholeSeconds(clock.now())).toISOString();
        const open = () => repo.listCerts(id).filter((c) => c.revokedAt === null).map((c) => c.serial);
        const serials = open();
        const crl = await ca.prepareCrl({ pending: { serials, reason: 'cACompromise', revokedAt }, validityHours: FINAL_CRL_HOURS, actor });
        const flagged = deps.transaction(() => {
          // A certificate issued while the CRL was being signed would be missing from it: refuse, nothing changes.
          if (open().join(' ') !== serials.join(' ')) {
            throw new ConsoleError('store_busy', 'The CA issued or revoked a certificate while its final CRL was being signed. Nothing changed; try again.');
          }
          // Every certificate and its registry copy in batches: one ca.revoke.batch record per REVOKE_BATCH_MAX serials.
          deps.ca.revokeBatchWithRegistryCopies(ca, serials, 'cACompromise', {
            actor, at: revokedAt, details: { trigger: 'ca_revoke', crlNumber: crl.crlNumber, ...(input.runId === undefined ? {} : { runId: input.runId }) },
          });
          crl.record({ trigger: 'ca_compromise' });
          const now = iso();
          transitions.record({ caId: id, state: 'compromised', successorId: before?.successorId ?? null, changedAt: now, changedBy: actor, reason: input.reason });
          // The robots whose certificate this revocation closed: a certificate revoked earlier in the same second has
          // the same revocation time, so the time alone cannot tell them apart; the serials revoked here can.
          const revokedHere = new Set(serials);
          const closedHere = new Set(repo.listCerts(id).filter((c) => revokedHere.has(c.serial)).map((c) => c.deviceId));
          const holders = transitions.holders(id, now, revokedAt).filter((deviceId) => closedHere.has(deviceId));
          for (const deviceId of holders) transitions.flag({ deviceId, caId: id, reason: 'ca_compromised', flaggedAt: now, flaggedBy: actor });
          deps.audit.append({
            actor, action: 'ca.compromise', targetType: null, targetId: id, outcome: 'success',
            details: { revoked: serials.length, flagged: holders.length, crlNumber: crl.crlNumber, wasCurrent, reason: input.reason },
          });
          return holders;
        });
        if (wasCurrent) deps.ca.forget();
        await deps.changed?.();
        return { ca: entryOf(id), revokedSerials: serials, flagged, finalCrl: published(ca, crl) };
      });
    },

    history() {
      deps.session.require();
      const currentId = repo.currentCaId();
      return { cas: repo.listCas().map((row) => entry(row, currentId)), renewals: transitions.openRenewals(iso()) };
    },

    impact(caId) {
      deps.session.require();
      const id = caId ?? repo.currentCaId();
      const row = id === null ? null : repo.getCa(id);
      if (!row) return null;
      const ca = entry(row, repo.currentCaId());
      // Not revoked (expired ones included), from the counts entry took: one scan of the CA's certificates fewer.
      return { ca, certificates: ca.certificates.total - ca.certificates.revoked, robots: transitions.countHolders(row.id, iso()) };
    },
  };
}

export function createCaTransitionHandlers(t: CaTransition): Pick<Handlers, 'ca:replace' | 'ca:revoke' | 'ca:history'> {
  return {
    'ca:replace': (input) => t.replace(input),
    'ca:revoke': ({ caId, reason }) => t.revoke({ caId, reason }),
    'ca:history': async () => t.history(),
  };
}
