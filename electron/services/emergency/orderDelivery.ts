// Delivery of lockdown orders and the CRL to robots (issue 15, docs/lockdown-orders.md "Delivery"): what a robot must
// still hear (the issued, unexpired orders whose scope covers it, above the newest one it holds, and the newest CRL
// it has not taken), the emergency public key it must trust (given at provisioning and in key bundles), and the record
// of each answer a robot gives over the serial link (lockdown_deliveries + a `lockdown.deliver` audit record, in one
// transaction). Items put in a key bundle are recorded as `included`: the console cannot see a file's installation.
import { createPublicKey } from 'node:crypto';
import type { Clock } from '../../clock.ts';
import type { OrderAnswer, OrderItemForLink, RefusedOrderAnswer } from '../../station/distributeSession.ts';
import { MAX_ORDER_ITEMS } from '../../station/protocol.ts';
import type { FleetRepo } from '../../store/fleetRepo.ts';
import type { KeysRepo } from '../../store/keysRepo.ts';
import { FINAL_CRL_RESULTS, FINAL_ORDER_RESULTS, type OrderDeliveryRepo } from '../../store/orderDeliveryRepo.ts';
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
export interface BundleEmergencyItems { emergencyKeyDer: Buffer | null; orders: OrderItemForLink[]; crl: OrderItemForLink | null }

export interface OrderDelivery {
  /** The active emergency key's SubjectPublicKeyInfo (DER); null when there is none, or several (ambiguous). */
  emergencyPublicKey(): Promise<Buffer | null>;
  /** Pending orders (oldest first, at most MAX_ORDER_ITEMS - 1) then the CRL, for an ORDER frame each. */
  itemsFor(deviceId: string): OrderItemForLink[];
  /** The same plus the emergency key, for a key bundle. */
  forBundle(deviceId: string): Promise<BundleEmergencyItems>;
  /** A robot's answer over the serial link: recorded and audited in one transaction. */
  recordAnswer(answer: OrderAnswer): void;
  /** An ORDER_ACK the console refused (forged, replayed, another item's): audited only; the item stays pending. */
  refuseAnswer(refused: RefusedOrderAnswer): void;
  /** Items signed into a key bundle (result `included`), inside the bundle's own transaction. */
  recordIncluded(deviceId: string, items: readonly OrderItemForLink[], bundleSequence: number): void;
}

export function createOrderDelivery(deps: OrderDeliveryDeps): OrderDelivery {
  const nowIso = () => new Date(deps.clock.now()).toISOString();

  function pendingOrders(deviceId: string): OrderItemForLink[] {
    const robot = deps.fleetRepo.get(deviceId);
    if (!robot) return [];
    const held = deps.repo.answered(deviceId, 'order', ['accepted', 'replayed']);
    const final = new Set(deps.repo.answered(deviceId, 'order', FINAL_ORDER_RESULTS));
    const facts = { deviceId, site: robot.site, model: robot.model, firmware: robot.firmware, tags: robot.tags };
    return deps.repo
      .liveOrders(nowIso(), Math.max(0, ...held))
      .filter((o) => !final.has(o.sequence) && scopeIncludes(JSON.parse(o.scope) as OrderScope, facts) === true)
      .slice(-(MAX_ORDER_ITEMS - 1))
      .map((o) => ({ kind: 'order', content: o.content, ref: o.sequence }));
  }

  function pendingCrl(deviceId: string): OrderItemForLink | null {
    const caId = deps.currentCaId();
    const crl = caId === null ? null : deps.repo.latestCrl(caId);
    if (!crl || deps.repo.answered(deviceId, 'crl', FINAL_CRL_RESULTS).includes(crl.crlNumber)) return null;
    return { kind: 'crl', content: crl.der, ref: crl.crlNumber };
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
      const crl = pendingCrl(deviceId);
      return [...pendingOrders(deviceId), ...(crl ? [crl] : [])];
    },
    async forBundle(deviceId) {
      return { emergencyKeyDer: await this.emergencyPublicKey(), orders: pendingOrders(deviceId), crl: pendingCrl(deviceId) };
    },
    recordAnswer(a) {
      deps.transaction(() => {
        deps.repo.record({ deviceId: a.deviceId, item: a.kind, ref: a.ref, channel: 'serial', result: a.result, deliveredAt: nowIso() });
        audit(a.deviceId, a.result === 'accepted' ? 'success' : 'failure', { item: a.kind, ref: a.ref, channel: 'serial', result: a.result, port: a.port, message: a.message.slice(0, 200) });
      });
    },
    refuseAnswer(r) {
      audit(r.deviceId, 'failure', { item: r.kind, ref: r.ref, channel: 'serial', result: 'ack_refused', code: r.code, port: r.port, message: r.message.slice(0, 200) });
    },
    recordIncluded(deviceId, items, bundleSequence) {
      for (const i of items) {
        deps.repo.record({ deviceId, item: i.kind, ref: i.ref, channel: 'bundle', result: 'included', deliveredAt: nowIso() });
        audit(deviceId, 'success', { item: i.kind, ref: i.ref, channel: 'bundle', result: 'included', bundleSequence });
      }
    },
  };
}
