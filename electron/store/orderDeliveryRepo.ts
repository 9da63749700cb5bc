// Repository for the delivery of lockdown orders and the CRL to robots (issue 15, migration 23,
// docs/lockdown-orders.md "Delivery"): the signed file of each issued order (so a station or a key bundle can carry it
// later), every robot's answer to an order or a CRL (accepted or its refusal code, by channel), and the CRLs the fleet
// CA published (the newest goes to robots). Migration 37 names the CA of each CRL answer (ca_id): CRL numbers count per
// CA, and a robot may hear the CRLs of several CAs (the current one's and that of each CA that issued it a certificate or
// was endorsed to it: caEndorsedRepo.ts, migration 38).
import type { Db } from './database.ts';

/** DDL of migration 23. */
export const ORDER_DELIVERY_SCHEMA_SQL = `
CREATE TABLE lockdown_order_files (
  sequence INTEGER PRIMARY KEY REFERENCES lockdown_orders (sequence),
  content TEXT NOT NULL
);
CREATE TABLE lockdown_deliveries (
  device_id VARCHAR(64) NOT NULL REFERENCES robots (device_id),
  item VARCHAR(8) NOT NULL CHECK (item IN ('order', 'crl')),
  ref INTEGER NOT NULL,
  channel VARCHAR(8) NOT NULL CHECK (channel IN ('serial', 'bundle')),
  result VARCHAR(64) NOT NULL,
  delivered_at VARCHAR(40) NOT NULL
);
CREATE INDEX lockdown_deliveries_device ON lockdown_deliveries (device_id, item, ref);
CREATE TABLE fleet_crls (
  ca_id VARCHAR(36) NOT NULL REFERENCES fleet_ca (id),
  crl_number INTEGER NOT NULL,
  this_update VARCHAR(40) NOT NULL,
  der BLOB NOT NULL,
  PRIMARY KEY (ca_id, crl_number)
);
`;

/**
 * DDL of migration 37: the CA of a CRL answer (null for an order). Rows recorded before it name no CA: each is given
 * the CA whose CRL of that number was the newest published at the time of the answer.
 */
export const CRL_DELIVERY_CA_SQL = `
ALTER TABLE lockdown_deliveries ADD COLUMN ca_id VARCHAR(36);
UPDATE lockdown_deliveries SET ca_id = (
  SELECT c.ca_id FROM fleet_crls c WHERE c.crl_number = lockdown_deliveries.ref AND c.this_update <= lockdown_deliveries.delivered_at
  ORDER BY c.this_update DESC LIMIT 1
) WHERE item = 'crl';
`;

/** Answers after which an item is not sent again: the robot holds it (or a newer one), or it can never apply. */
export const FINAL_ORDER_RESULTS = ['accepted', 'replayed', 'out_of_scope', 'expired'] as const;
export const FINAL_CRL_RESULTS = ['accepted', 'crl_stale'] as const;
/**
 * Besides those, for the CRL of a CA that is no longer current: `crl_foreign` (the robot does not trust that CA, and
 * a retired or compromised CA is never endorsed to it later). The current CA's CRL stays pending after `crl_foreign`:
 * a robot flagged for a re-issue learns the current CA in it, then takes its CRL.
 */
export const FINAL_RETIRED_CRL_RESULTS = [...FINAL_CRL_RESULTS, 'crl_foreign'] as const;

export interface IssuedOrderFile { sequence: number; kind: 'lockdown' | 'lift'; expiresAt: string; scope: string; content: Buffer }
/** `caId`: the CA of a CRL (its `ref` is that CA's CRL number); null for an order. */
export interface DeliveryRow { deviceId: string; item: 'order' | 'crl'; ref: number; channel: 'serial' | 'bundle'; result: string; deliveredAt: string; caId: string | null }

export interface OrderDeliveryRepo {
  saveOrderFile(sequence: number, content: Buffer): void;
  /** Issued orders with their file, not expired at `now`, sequence above `after`, oldest first. */
  liveOrders(now: string, after: number): IssuedOrderFile[];
  record(row: DeliveryRow): void;
  /** The sequences of the orders this robot answered with one of `results`. */
  answeredOrders(deviceId: string, results: readonly string[]): number[];
  /** The numbers of CA `caId`'s CRLs this robot answered with one of `results`. */
  answeredCrls(deviceId: string, caId: string, results: readonly string[]): number[];
  /**
   * The CAs other than `exceptCaId` that issued this robot a certificate (revoked or not) or were endorsed to it
   * (robot_ca_endorsements), and published a CRL, oldest CA first.
   */
  otherCrlCasOf(deviceId: string, exceptCaId: string | null): string[];
  list(deviceId: string): DeliveryRow[];
  saveCrl(caId: string, crlNumber: number, thisUpdate: string, der: Buffer): void;
  latestCrl(caId: string): { crlNumber: number; thisUpdate: string; der: Buffer } | null;
  /** One recorded CRL's DER (an emergency run names its CRL by CA and number instead of keeping a copy). */
  crl(caId: string, crlNumber: number): Buffer | null;
}

const refsWith = (rows: unknown[], results: readonly string[]): number[] =>
  (rows as Array<{ ref: number; result: string }>).filter((r) => results.includes(r.result)).map((r) => r.ref);

export function createOrderDeliveryRepo(db: Db): OrderDeliveryRepo {
  const insertFile = db.prepare('INSERT INTO lockdown_order_files (sequence, content) VALUES (?, ?)');
  const live = db.prepare(
    `SELECT o.sequence, o.kind, o.expires_at, o.scope, f.content FROM lockdown_orders o JOIN lockdown_order_files f ON f.sequence = o.sequence
     WHERE o.state = 'issued' AND o.expires_at > ? AND o.sequence > ? ORDER BY o.sequence`,
  );
  const insert = db.prepare(
    'INSERT INTO lockdown_deliveries (device_id, item, ref, channel, result, delivered_at, ca_id) VALUES (@deviceId, @item, @ref, @channel, @result, @deliveredAt, @caId)',
  );
  const answeredOrdersStmt = db.prepare("SELECT DISTINCT ref, result FROM lockdown_deliveries WHERE device_id = ? AND item = 'order'");
  const answeredCrlsStmt = db.prepare("SELECT DISTINCT ref, result FROM lockdown_deliveries WHERE device_id = ? AND item = 'crl' AND ca_id = ?");
  // fleet_certificates_device finds the robot's certificates, the primary key of robot_ca_endorsements the CAs endorsed
  // to it (migration 38: trusted without a certificate); a CA without a stored CRL has nothing to deliver.
  const crlCas = db.prepare(
    `SELECT a.id FROM fleet_ca a WHERE (a.id IN (SELECT f.ca_id FROM fleet_certificates f WHERE f.device_id = ?)
       OR a.id IN (SELECT e.ca_id FROM robot_ca_endorsements e WHERE e.device_id = ?))
     AND EXISTS (SELECT 1 FROM fleet_crls c WHERE c.ca_id = a.id) ORDER BY a.created_at, a.id`,
  );
  const listStmt = db.prepare('SELECT * FROM lockdown_deliveries WHERE device_id = ? ORDER BY delivered_at, item, ca_id, ref');
  const insertCrl = db.prepare('INSERT INTO fleet_crls (ca_id, crl_number, this_update, der) VALUES (?, ?, ?, ?)');
  const latest = db.prepare('SELECT crl_number, this_update, der FROM fleet_crls WHERE ca_id = ? ORDER BY crl_number DESC LIMIT 1');
  const one = db.prepare('SELECT der FROM fleet_crls WHERE ca_id = ? AND crl_number = ?');
  return {
    saveOrderFile: (sequence, content) => void insertFile.run(sequence, content.toString('utf8')),
    liveOrders: (now, after) =>
      (live.all(now, after) as Array<{ sequence: number; kind: 'lockdown' | 'lift'; expires_at: string; scope: string; content: string }>).map((r) => ({
        sequence: r.sequence, kind: r.kind, expiresAt: r.expires_at, scope: r.scope, content: Buffer.from(r.content, 'utf8'),
      })),
    record: (row) => void insert.run(row),
    answeredOrders: (deviceId, results) => refsWith(answeredOrdersStmt.all(deviceId), results),
    answeredCrls: (deviceId, caId, results) => refsWith(answeredCrlsStmt.all(deviceId, caId), results),
    otherCrlCasOf: (deviceId, exceptCaId) => (crlCas.all(deviceId, deviceId) as Array<{ id: string }>).map((r) => r.id).filter((id) => id !== exceptCaId),
    list: (deviceId) =>
      (listStmt.all(deviceId) as Array<{ device_id: string; item: 'order' | 'crl'; ref: number; channel: 'serial' | 'bundle'; result: string; delivered_at: string; ca_id: string | null }>).map((r) => ({
        deviceId: r.device_id, item: r.item, ref: r.ref, channel: r.channel, result: r.result, deliveredAt: r.delivered_at, caId: r.ca_id,
      })),
    saveCrl: (caId, crlNumber, thisUpdate, der) => void insertCrl.run(caId, crlNumber, thisUpdate, der),
    latestCrl(caId) {
      const r = latest.get(caId) as { crl_number: number; this_update: string; der: Buffer } | undefined;
      return r ? { crlNumber: r.crl_number, thisUpdate: r.this_update, der: Buffer.from(r.der) } : null;
    },
    crl(caId, crlNumber) {
      const r = one.get(caId, crlNumber) as { der: Buffer } | undefined;
      return r ? Buffer.from(r.der) : null;
    },
  };
}
