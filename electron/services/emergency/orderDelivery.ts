// Delivery of lockdown orders and the CRL to robots (issue 15, docs/lockdown-orders.md "Delivery"): what a robot must
// still hear (the issued, unexpired orders whose scope covers it, above the newest one it holds, and the newest CRL
// it has not taken of the current CA and of each retired or compromised CA that issued it a certificate or was endorsed
// to it), the emergency public key it must trust (given at provisioning and in key bundles), and the record
// of each answer a robot gives over the serial link (lockdown_deliveries + a `lockdown.deliver` audit record, in one
// transaction). Items put in a key bundle are recorded as `included`: the console cannot see a file's installation.
// A bundle carries the same CRLs as the link: the current CA's, and the other CAs' in a v4 bundle.
import { createPublicKey } from 'node:crypto';
import type { Clock } from '../../clock.ts';
import type { OrderAnswer, OrderItemForLink, RefusedOrderAnswer } from '../../station/distributeSession.ts';
import { MAX_ORDER_ITEMS } from '../../station/protocol.ts';
import type { FleetRepo } from '../../store/fleetRepo.ts';
import type { KeysRepo } from '../../store/keysRepo.ts';
import { FINAL_CRL_RESULTS, FINAL_ORDER_RESULTS, FINAL_RETIRED_CRL_RESULTS, type OrderDeliveryRepo } from '../../store/orderDeliveryRepo.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import { scopeIncludes, type OrderScope } from './lockdownOrder.ts';

export interface OrderDeliveryDeps {
  repo: OrderDeliveryRepo;
  fleetRepo: Pick<FleetRepo, 'get'>;
  keys: Pick<KeysRepo, 'list'>;
  publicKey(keyId: string): Promise<{ pem: string }>;
  currentCaId(): string | null;
  audit: AuditLog;
  actor(): string;
  clock: Clock;
  transaction<T>(fn: () => T): T;
}

/** What a key bundle carries for the robot besides its keys. */
/**
 * What a key bundle carries for the robot besides its keys: the same CRLs as the link (pendingCrls), split into the
 * current CA's (`crl`: v2/v3 hold it alone) and the other CAs' (`otherCrls`, oldest CA first: they make the bundle v4).
 */
export interface BundleEmergencyItems { emergencyKeyDer: Buffer | null; orders: OrderItemForLink[]; crl: OrderItemForLink | null; otherCrls: OrderItemForLink[] }

export interface OrderDelivery {
  /** The active emergency key's SubjectPublicKeyInfo (DER); null when there is none, or several (ambiguous). */
  emergencyPublicKey(): Promise<Buffer | null>;
  /**
   * Pending orders (oldest first, at most MAX_ORDER_ITEMS less the CRLs' count, and less 1) then the CRLs (the current
   * CA's, then those of the other CAs that issued the robot a certificate, oldest CA first), for an ORDER frame each.
   */
  itemsFor(deviceId: string): OrderItemForLink[];
  /** The orders, the CRLs the link would send (the current CA's, then the other CAs') and the emergency key, for a key bundle. */
  forBundle(deviceId: string): Promise<BundleEmergencyItems>;
  /** A robot's answer over the serial link: recorded and audited in one transaction. */
  recordAnswer(answer: OrderAnswer): void;
  /** An ORDER_ACK the console refused (forged, replayed, another item's): audited only; the item stays pending. */
  refuseAnswer(refused: RefusedOrderAnswer): void;
  /** Items signed into a key bundle (result `included`), inside the bundle's own transaction. */
  recordIncluded(deviceId: string, items: readonly OrderItemForLink[], bundleSequence: number): void;
}

/** How many device ids of a robot-list scope are named in words before "and N more". */
const NAMED_ROBOTS = 3;

/** An order's scope in words for the Station screen ("site Plant 1", "robots uv-a, uv-b and 4 more"), at most 200 characters. */
export function orderScopeInWords(scope: OrderScope): string {
  let words: string;
  if ('fleet' in scope) words = 'the whole fleet';
  else if ('deviceIds' in scope) {
    const ids = scope.deviceIds;
    const more = ids.length - NAMED_ROBOTS;
    words = `robot${ids.length === 1 ? '' : 's'} ${ids.slice(0, NAMED_ROBOTS).join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
  } else if ('site' in scope) words = `site ${scope.site}`;
  else if ('model' in scope) words = `model ${scope.model}`;
  else if ('firmware' in scope) words = `firmware ${scope.firmware}`;
  else words = `tag ${scope.tag}`;
  return words.length > 200 ? `${words.slice(0, 199)}…` : words;
}

/** The CA a CRL item or answer belongs to (null for an order), and the same as an audit detail. */
const caIdOf = (i: { kind: string; caId?: string }): string | null => (i.kind === 'crl' ? (i.caId ?? null) : null);
const caDetail = (i: { kind: string; caId?: string }): { caId?: string } => {
  const caId = caIdOf(i);
  return caId === null ? {} : { caId };
};

export function createOrderDelivery(deps: OrderDeliveryDeps): OrderDelivery {
  const nowIso = () => new Date(deps.clock.now()).toISOString();

  function pendingOrders(deviceId: string, room: number): OrderItemForLink[] {
    const robot = deps.fleetRepo.get(deviceId);
    if (!robot) return [];
    const held = deps.repo.answeredOrders(deviceId, ['accepted', 'replayed']);
    const final = new Set(deps.repo.answeredOrders(deviceId, FINAL_ORDER_RESULTS));
    const facts = { deviceId, site: robot.site, model: robot.model, firmware: robot.firmware, tags: robot.tags };
    return deps.repo
      .liveOrders(nowIso(), Math.max(0, ...held))
      .filter((o) => !final.has(o.sequence) && scopeIncludes(JSON.parse(o.scope) as OrderScope, facts) === true)
      .slice(-room)
      .map((o) => ({ kind: 'order', content: o.content, ref: o.sequence, about: { orderKind: o.kind, scope: orderScopeInWords(JSON.parse(o.scope) as OrderScope) } }));
  }

  /** CA `caId`'s newest CRL unless this robot gave a final answer to it. */
  function pendingCrlOf(deviceId: string, caId: string, final: readonly string[]): OrderItemForLink | null {
    const crl = deps.repo.latestCrl(caId);
    if (!crl || deps.repo.answeredCrls(deviceId, caId, final).includes(crl.crlNumber)) return null;
    return { kind: 'crl', content: crl.der, ref: crl.crlNumber, caId, about: { ca: caId === deps.currentCaId() ? 'current' : 'other' } };
  }

  function pendingCurrentCrl(deviceId: string): OrderItemForLink | null {
    const caId = deps.currentCaId();
    return caId === null ? null : pendingCrlOf(deviceId, caId, FINAL_CRL_RESULTS);
  }

  /** The current CA's CRL, then the newest CRL of each other CA that issued the robot a certificate. */
  function pendingCrls(deviceId: string): OrderItemForLink[] {
    const current = pendingCurrentCrl(deviceId);
    const others = deps.repo.otherCrlCasOf(deviceId, deps.currentCaId()).map((caId) => pendingCrlOf(deviceId, caId, FINAL_RETIRED_CRL_RESULTS));
    return [current, ...others].filter((c) => c !== null).slice(0, MAX_ORDER_ITEMS - 1);
  }

  const audit = (deviceId: string, outcome: 'success' | 'failure', details: Record<string, string | number | boolean | null>) =>
    deps.audit.append({ actor: deps.actor(), action: 'lockdown.deliver', targetType: 'robot', targetId: deviceId, outcome, details });

  return {
    async emergencyPublicKey() {
      const active = deps.keys.list({ type: 'emergency', state: 'active' });
      if (active.length !== 1) return null;
      const { pem } = await deps.publicKey(active[0]!.id);
      return createPublicKey(pem).export({ format: 'der', type: 'spki' });
    },
    itemsFor(deviceId) {
      const crls = pendingCrls(deviceId);
      return [...pendingOrders(deviceId, MAX_ORDER_ITEMS - Math.max(1, crls.length)), ...crls];
    },
    async forBundle(deviceId) {
      const currentCaId = deps.currentCaId();
      const crls = pendingCrls(deviceId);
      return {
        emergencyKeyDer: await this.emergencyPublicKey(), orders: pendingOrders(deviceId, MAX_ORDER_ITEMS - 1),
        crl: crls.find((c) => c.caId === currentCaId) ?? null, otherCrls: crls.filter((c) => c.caId !== currentCaId),
      };
    },
    recordAnswer(a) {
      deps.transaction(() => {
        deps.repo.record({ deviceId: a.deviceId, item: a.kind, ref: a.ref, channel: 'serial', result: a.result, deliveredAt: nowIso(), caId: caIdOf(a) });
        audit(a.deviceId, a.result === 'accepted' ? 'success' : 'failure', { item: a.kind, ref: a.ref, ...caDetail(a), channel: 'serial', result: a.result, port: a.port, message: a.message.slice(0, 200) });
      });
    },
    refuseAnswer(r) {
      audit(r.deviceId, 'failure', { item: r.kind, ref: r.ref, ...caDetail(r), channel: 'serial', result: 'ack_refused', code: r.code, port: r.port, message: r.message.slice(0, 200) });
    },
    recordIncluded(deviceId, items, bundleSequence) {
      for (const i of items) {
        deps.repo.record({ deviceId, item: i.kind, ref: i.ref, channel: 'bundle', result: 'included', deliveredAt: nowIso(), caId: caIdOf(i) });
        audit(deviceId, 'success', { item: i.kind, ref: i.ref, ...caDetail(i), channel: 'bundle', result: 'included', bundleSequence });
      }
    },
  };
}
