// Incident kits on the online console (issue 15, docs/incident-kit.md): export for a responder who will work offline,
// and import with reconciliation when the kit comes back. The kit's own format is kitFormat.ts; the offline console
// is offlineKit.ts. Export signs its lockdown orders through the lockdown service (the emergency key, audited as
// usual) and the manifest with the audit key; import verifies everything before anything is merged, and merges in
// one transaction: the kit's row moves to imported there, so a kit is imported once.
import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { canRobotTransition } from '../../../shared/domain.ts';
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import type { KitFinding, KitImportReport, KitOrderInput } from '../../../shared/kitContract.ts';
import { OPERATOR_ROLES, roleHas, type OperatorRole } from '../../../shared/operatorsContract.ts';
import type { Clock } from '../../clock.ts';
import type { CertificateRow, FleetRepo, RobotRow } from '../../store/fleetRepo.ts';
import type { IncidentKitRepo } from '../../store/incidentKitRepo.ts';
import type { KdfParams } from '../../store/storeMetaRepo.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import { keyFingerprint } from '../audit/canonical.ts';
import { scopeIncludes, type OrderScope } from '../emergency/lockdownOrder.ts';
import type { LockdownService } from '../emergency/lockdownService.ts';
import type { FleetRegistry } from '../fleet/fleetRegistry.ts';
import { readKitDir, writeKitDir } from './kitFiles.ts';
import {
  encodeManifest, headFileOf, manifestSigningInput, kitError, kitGenesis, kitPublicKeyOf, readManifest, sealKit, usesByOrder, verifyKitChain,
  type KitOrder, type KitPayload, type ManifestBody,
} from './kitFormat.ts';

export interface KitServiceDeps {
  repo: IncidentKitRepo;
  fleetRepo: FleetRepo;
  fleet: Pick<FleetRegistry, 'setStatus'>;
  lockdown: Pick<LockdownService, 'issue'>;
  publicKey(keyId: string): Promise<{ pem: string }>;
  /** The current CRL, or null when there is no fleet CA. */
  crl(): Promise<{ pem: string; crlNumber: number } | null>;
  /**
   * The console's fleet CAs (current, retired, compromised) by id: their subject and state, for a distrust order's
   * record in the kit and the import's report.
   */
  fleetCas(): Array<{ caId: string; subject: string; state: string }>;
  /** Whether the passphrase opens this operator's own key slot. */
  checkPassphrase(operator: string, passphrase: string): Promise<boolean>;
  audit: AuditLog;
  session: { require(): void; actor(): string };
  clock: Clock;
  kdf: KdfParams;
  transaction<T>(fn: () => T): T;
}

export interface KitExportInput {
  /** The new or empty folder to write the kit into. */
  dir: string;
  passphrase: string;
  orders: KitOrderInput[];
  reason: string;
  message?: string | undefined;
}

export interface KitExport {
  kitId: string;
  responder: string;
  expiresAt: string;
  robots: number;
  orders: ManifestBody['orders'];
  dir: string;
}

export interface KitService {
  exportKit(input: KitExportInput): Promise<KitExport>;
  importKit(dir: string): Promise<KitImportReport>;
}

/** Operator changes that can take `security` away from a kit's responder (or give it back), by the main audit. */
const RESPONDER_CHANGES = ['operator.remove', 'operator.set_role', 'operator.add'] as const;

/**
 * The times at which the responder's holding of `security` changed after the export, in audit order: removed (lost),
 * a role change (lost or regained by the new role) or added again under the same name (by the role given). The kit
 * itself cannot know of them; import uses them to flag what the kit records after a loss (`responder_revoked`).
 */
export function responderChanges(audit: Pick<AuditLog, 'query'>, kitId: string, responder: string, exportedAt: string): Array<{ ts: string; holds: boolean; action: string }> {
  // After the export's own record (a change in the same millisecond but before it is not after the export).
  const exportRecord = audit.query({ action: 'kit.export', targetId: kitId, from: exportedAt, limit: 10 }).records.find((r) => r.outcome === 'success');
  const after = (r: { seq: number; ts: string }) => (exportRecord === undefined ? r.ts > exportedAt : r.seq > exportRecord.seq);
  const changes: Array<{ seq: number; ts: string; holds: boolean; action: string }> = [];
  for (const action of RESPONDER_CHANGES) {
    let before: number | undefined;
    for (;;) {
      const page = audit.query({ action, targetId: responder, from: exportedAt, limit: 200, ...(before === undefined ? {} : { before }) });
      for (const r of page.records) {
        if (r.outcome !== 'success' || r.targetId !== responder || !after(r)) continue;
        const role = String(action === 'operator.set_role' ? r.details.to : r.details.role);
        const holds = action !== 'operator.remove' && (OPERATOR_ROLES as readonly string[]).includes(role) && roleHas(role as OperatorRole, 'security');
        changes.push({ seq: r.seq, ts: r.ts, holds, action });
      }
      if (!page.more || page.records.length === 0) break;
      before = page.records.at(-1)!.seq;
    }
  }
  return changes.sort((a, b) => a.seq - b.seq).map(({ ts, holds, action }) => ({ ts, holds, action }));
}

/**
 * What import says of a fleet CA a distrust order told robots to stop trusting offline: the robots that took the order
 * no longer trust it (final on them), and the console does not revoke it by itself (that needs approval online).
 */
export function distrustNotice(kitSeq: number, orderId: string, name: string, caId: string, ca: { subject: string; state: string } | null): KitImportReport['distrustedCas'][number] {
  const named = `fleet CA ${ca?.subject ?? '(no longer known to this console)'} (${caId})`;
  const todo = ca === null
    ? 'nothing to revoke here'
    : ca.state === 'compromised'
      ? 'it is revoked already; re-provision the robots on the current CA'
      : ca.state === 'current'
        ? `replace it online (ca:replace, \`ca replace\`: a new CA issues from then on, its robots are flagged for a new certificate), then revoke it (ca:revoke, \`ca revoke --ca-id ${caId}\`), each with its approval; a CA whose key can no longer sign is revoked first and a new one made with ca:init`
        : `revoke it online (ca:revoke, \`ca revoke --ca-id ${caId}\`), with its approval`;
  return {
    kitSeq, orderId, name, caId, subject: ca?.subject ?? null, state: ca?.state ?? null,
    message: `order ${name} told robots offline to stop trusting ${named}: robots that took it no longer trust that CA; ${todo}. The import did not revoke it.`,
  };
}

export function createKitService(deps: KitServiceDeps): KitService {
  const iso = () => new Date(deps.clock.now()).toISOString();

  function refuseImport(actor: string, kitId: string | null, e: unknown): never {
    const kind = isConsoleError(e) ? String(e.details?.kitError ?? e.code) : 'internal';
    deps.audit.append({ actor, action: 'kit.import', targetType: 'store', targetId: kitId, outcome: 'failure', details: { kitError: kind } });
    throw isConsoleError(e) ? e : new ConsoleError('internal', 'Importing the incident kit failed unexpectedly.');
  }

  return {
    async exportKit(input) {
      deps.session.require();
      const responder = deps.session.actor();
      const names = new Set(input.orders.map((o) => o.name));
      if (names.size !== input.orders.length) throw new ConsoleError('invalid_input', 'Two orders share a name; each order\'s name must be unique in the kit.', { field: 'orders' });
      const kitId = randomUUID();
      if (!(await deps.checkPassphrase(responder, input.passphrase))) {
        deps.audit.append({ actor: responder, action: 'kit.export', targetType: 'store', targetId: kitId, outcome: 'failure', details: { code: 'wrong_passphrase' } });
        throw new ConsoleError('wrong_passphrase', 'The passphrase is not yours: a kit is sealed with its responder\'s own passphrase.');
      }
      // The CAs of the distrust orders next (the lockdown service checks them too, but per order: an unknown CA in the
      // second order would leave the first one signed for a kit never written).
      const cas = new Map(deps.fleetCas().map((ca) => [ca.caId, ca]));
      for (const o of input.orders) {
        for (const caId of o.distrustCaIds ?? []) {
          if (!cas.has(caId)) throw new ConsoleError('not_found', `Order "${o.name}": no fleet CA ${caId} (ca:history lists this console's CAs).`, { field: 'orders' });
        }
      }
      // The CRL first: a failure here burns no order sequence.
      const crl = await deps.crl();
      const orders: KitOrder[] = [];
      let emergencyPublicKeyPem: string | null = null;
      for (const o of input.orders) {
        const issued = await deps.lockdown.issue({
          kind: 'lockdown', scope: o.scope, actions: o.actions ?? ['stop_operating'], reason: `incident kit ${kitId}: ${input.reason}`, message: input.message ?? input.reason, validForSeconds: o.validForSeconds,
          ...(o.distrustCaIds ? { distrustCaIds: o.distrustCaIds } : {}),
        });
        emergencyPublicKeyPem ??= (await deps.publicKey(issued.keyId)).pem;
        orders.push({
          name: o.name, orderId: issued.order.orderId, sequence: issued.order.sequence, expiresAt: issued.order.expiresAt, maxUses: o.maxUses, scope: issued.order.scope, actions: issued.order.actions,
          file: issued.file.toString('base64'),
          // The key ids in the signed order are in the order the CA ids were given (lockdownService.ts).
          ...(o.distrustCaIds && issued.order.distrustCas.length > 0
            ? { distrustCas: o.distrustCaIds.map((caId, i) => ({ caId, keyId: issued.order.distrustCas[i]!, subject: cas.get(caId)!.subject, state: cas.get(caId)!.state })) }
            : {}),
        });
      }
      const robots: RobotRow[] = [...deps.fleetRepo.iterateAll()];
      const certificates: CertificateRow[] = robots.flatMap((r) => deps.fleetRepo.certificatesOf(r.deviceId));
      const kitKey = generateKeyPairSync('ed25519');
      const payload: KitPayload = {
        v: 1, robots, certificates, crl, emergencyPublicKeyPem, orders,
        kitAuditPrivateKey: kitKey.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
      };
      const { sealed, slot } = await sealKit(kitId, responder, input.passphrase, deps.kdf, payload);
      const expiresAt = orders.map((o) => o.expiresAt).sort().at(-1)!;
      const body: ManifestBody = {
        v: 1, kitId, exportedAt: iso(), exportedBy: responder, responder, expiresAt, robots: robots.length,
        payloadSha256: createHash('sha256').update(sealed).digest('hex'), slot,
        kitAuditKey: kitKey.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
        orders: orders.map(({ name, orderId, sequence, expiresAt: e, maxUses }) => ({ name, orderId, sequence, expiresAt: e, maxUses })),
      };
      const bodyBytes = Buffer.from(JSON.stringify(body), 'utf8');
      const { signature, publicKeySpki } = deps.audit.signDocument(manifestSigningInput(bodyBytes));
      await writeKitDir(input.dir, { manifest: encodeManifest(bodyBytes, signature, publicKeySpki), payload: sealed, audit: '', head: headFileOf(kitId, kitKey.privateKey, 0, kitGenesis(kitId)) });
      deps.transaction(() => {
        deps.repo.insert({ kitId, responder, exportedBy: responder, exportedAt: body.exportedAt, expiresAt, orders: orders.length, robots: robots.length });
        deps.audit.append({
          actor: responder, action: 'kit.export', targetType: 'store', targetId: kitId, outcome: 'success',
          details: { responder, robots: robots.length, certificates: certificates.length, crlNumber: crl?.crlNumber ?? null, orders: orders.map((o) => `${o.name}=${o.orderId}x${o.maxUses}`).join(' '), expiresAt, reason: input.reason,
            ...(orders.some((o) => o.distrustCas) ? { distrustCaIds: orders.flatMap((o) => (o.distrustCas ?? []).map((ca) => `${o.orderId}:${ca.caId}`)).join(' ') } : {}) },
        });
      });
      return {
        kitId, responder, expiresAt, robots: robots.length, orders: body.orders, dir: input.dir,
      };
    },

    async importKit(dir) {
      deps.session.require();
      const actor = deps.session.actor();
      let kitId: string | null = null;
      try {
        const files = await readKitDir(dir);
        const manifest = readManifest(files.manifest);
        const body = manifest.body;
        kitId = body.kitId;
        if (keyFingerprint(manifest.auditKeySpki) !== deps.audit.keyFingerprint()) throw kitError('integrity_failure', 'foreign_kit', 'This incident kit was not signed by this console\'s audit key.');
        if (createHash('sha256').update(files.payload).digest('hex') !== body.payloadSha256) throw kitError('integrity_failure', 'payload_tampered', 'The incident kit\'s sealed data (registry copy, orders) does not match its signed manifest.');
        const chain = verifyKitChain(body.kitId, kitPublicKeyOf(body), files.audit, files.head);
        const row = deps.repo.get(body.kitId);
        if (row === null) throw kitError('not_found', 'unknown_kit', `This console has no record of exporting incident kit ${body.kitId}.`);
        if (row.state === 'imported') throw kitError('illegal_transition', 'already_imported', `Incident kit ${body.kitId} was imported at ${row.importedAt} by ${row.importedBy}; a kit is imported once.`);

        const conflicts: KitFinding[] = [];
        const gaps: KitFinding[] = [];
        const quarantined: string[] = [];
        const orderOf = new Map(body.orders.map((o) => [o.orderId, o]));
        const uses = usesByOrder(chain.records);
        for (const [orderId, n] of uses) {
          const o = orderOf.get(orderId);
          if (!o || n > o.maxUses) conflicts.push({ kitSeq: 0, deviceId: null, kind: 'order_overused', message: `order ${orderId} used ${n} time(s), ${o ? `its maximum is ${o.maxUses}` : 'and the kit never held it'}` });
        }
        // The responder's role as the main audit tells it: what the kit records after they were removed or lost
        // `security` is flagged (it happened, so it is merged, in order, like the rest).
        const changes = responderChanges(deps.audit, body.kitId, body.responder, body.exportedAt);
        const heldAt = (ts: string) => {
          let held: { holds: boolean; action: string; ts: string } = { holds: true, action: '', ts: '' };
          for (const ch of changes) if (Date.parse(ch.ts) <= Date.parse(ts)) held = ch;
          return held;
        };
        // The CAs each distrust order names, as the console recorded them at export (its own kit.export record, not the
        // kit's word): a use of such an order is reported with a notice to revoke and replace the CA online.
        const exportRecord = deps.audit.query({ action: 'kit.export', targetId: body.kitId, from: body.exportedAt, limit: 10 }).records.find((r) => r.outcome === 'success');
        const distrustOf = new Map<string, string[]>();
        for (const pair of String(exportRecord?.details.distrustCaIds ?? '').split(' ').filter((x) => x !== '')) {
          const [orderId, caId] = pair.split(':') as [string, string];
          distrustOf.set(orderId, [...(distrustOf.get(orderId) ?? []), caId]);
        }
        const casNow = new Map(deps.fleetCas().map((ca) => [ca.caId, ca]));
        const distrustedCas: KitImportReport['distrustedCas'] = [];
        let revoked = 0;
        deps.transaction(() => {
          if (!deps.repo.markImported(body.kitId, iso(), actor, chain.records.length)) throw kitError('illegal_transition', 'already_imported', `Incident kit ${body.kitId} was imported already.`);
          for (const r of chain.records) {
            // Every record lands under kit.offline. with the responder as actor, whatever a rewritten chain names: a
            // record such as "operator.set_role" or another operator's name must not pass for a console record.
            const offline = { kitId: body.kitId, kitSeq: r.seq, kitTs: r.ts, kitHash: r.hash, ...(r.actor === body.responder ? {} : { kitActor: r.actor }) };
            deps.audit.append({
              actor: body.responder, action: `kit.offline.${r.action.replace(/^kit\./, '')}`, targetType: r.targetType === 'robot' ? 'robot' : 'store', targetId: r.targetId, outcome: r.outcome,
              details: { ...r.details, ...offline },
            });
            const held = heldAt(r.ts);
            if (!held.holds) {
              revoked += 1;
              const change = held.action === 'operator.remove' ? 'was removed' : 'lost the security permission';
              conflicts.push({ kitSeq: r.seq, deviceId: r.targetType === 'robot' ? r.targetId : null, kind: 'responder_revoked', message: `${r.action} (${r.outcome}) at ${r.ts}: the responder ${body.responder} ${change} at ${held.ts}` });
            }
            if (r.action === 'kit.order.use' && r.outcome === 'success') {
              const o = orderOf.get(String(r.details.orderId));
              if (o && Date.parse(r.ts) > Date.parse(o.expiresAt)) conflicts.push({ kitSeq: r.seq, deviceId: null, kind: 'used_after_expiry', message: `order ${o.name} used at ${r.ts}, after it expired at ${o.expiresAt}` });
              for (const caId of distrustOf.get(String(r.details.orderId)) ?? []) distrustedCas.push(distrustNotice(r.seq, String(r.details.orderId), o?.name ?? '?', caId, casNow.get(caId) ?? null));
            }
            if (r.action !== 'kit.robot.quarantine' || r.outcome !== 'success' || r.targetId === null) continue;
            const deviceId = r.targetId;
            const now = deps.fleetRepo.get(deviceId);
            if (now === null) {
              conflicts.push({ kitSeq: r.seq, deviceId, kind: 'robot_removed', message: `robot ${deviceId} is no longer in the registry; nothing applied` });
              continue;
            }
            if (now.updatedAt !== r.details.updatedAtExport)
              conflicts.push({ kitSeq: r.seq, deviceId, kind: 'changed_since_export', message: `robot ${deviceId} changed after the export (was ${String(r.details.statusAtExport)}, now ${now.status}, updated ${now.updatedAt})` });
            if (now.status === 'quarantined') continue;
            if (!canRobotTransition(now.status, 'quarantined')) {
              conflicts.push({ kitSeq: r.seq, deviceId, kind: 'not_applied', message: `robot ${deviceId} is ${now.status} now; it cannot become quarantined` });
              continue;
            }
            deps.fleet.setStatus(deviceId, 'quarantined', `incident kit ${body.kitId}: ${String(r.details.reason ?? '')}`);
            quarantined.push(deviceId);
          }
          // Robots registered after the export were not in the kit's copy: an order used offline reached them only if
          // its signed scope covers them on delivery; the registry here was not changed for them.
          for (const orderId of uses.keys()) {
            const used = chain.records.find((r) => r.action === 'kit.order.use' && r.outcome === 'success' && r.details.orderId === orderId)!;
            const scope = JSON.parse(String(used.details.scope)) as OrderScope;
            for (const robot of deps.fleetRepo.iterateAll()) {
              if (robot.createdAt <= body.exportedAt) continue;
              if (scopeIncludes(scope, { deviceId: robot.deviceId, site: robot.site, model: robot.model, firmware: robot.firmware, tags: robot.tags }) === false) continue;
              gaps.push({ kitSeq: used.seq, deviceId: robot.deviceId, kind: 'registered_after_export', message: `robot ${robot.deviceId} was registered after the export; the offline response did not quarantine it` });
            }
          }
          deps.audit.append({
            actor, action: 'kit.import', targetType: 'store', targetId: body.kitId, outcome: 'success',
            details: { responder: body.responder, records: chain.records.length, quarantined: quarantined.length, conflicts: conflicts.length, responderRevoked: revoked, gaps: gaps.length, kitHead: chain.head.hash,
              ...(distrustedCas.length > 0 ? { distrustedCas: [...new Set(distrustedCas.map((d) => d.caId))].join(',') } : {}) },
          });
        });
        return {
          kitId: body.kitId, responder: body.responder, records: chain.records.length,
          ordersUsed: [...uses].map(([orderId, n]) => ({ orderId, name: orderOf.get(orderId)?.name ?? '?', uses: n, maxUses: orderOf.get(orderId)?.maxUses ?? 0 })),
          quarantined, conflicts, gaps, distrustedCas,
        };
      } catch (e) {
        refuseImport(actor, kitId, e);
      }
    },
  };
}

