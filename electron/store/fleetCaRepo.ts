// DDL and repository of the fleet certificate authority: the CA record (which provider key signs, its self-signed
// certificate, the last CRL number) and the certificates it issued, with revocation state. Only public data is stored
// here (certificates, serials, device ids); the CA private key stays in its provider.
// Never edit this DDL once shipped; add a migration instead. Since migration 41 a certificate's DER is in
// fleet_certificate_ders (migrations.ts CERTIFICATE_BODIES_SQL), not in fleet_certificates: the rows a revocation
// rewrites hold no certificate. Every query that answers a FleetCertRow joins it back (CERT_SELECT).
import type { Db } from './database.ts';
import { inListStatement } from './inList.ts';

export const FLEET_CA_SCHEMA_SQL = `
CREATE TABLE fleet_ca (
  id VARCHAR(36) PRIMARY KEY,
  provider VARCHAR(32) NOT NULL,
  key_ref VARCHAR(255) NOT NULL,
  subject VARCHAR(500) NOT NULL,
  cert_der BLOB NOT NULL,
  not_after VARCHAR(40) NOT NULL,
  crl_number INTEGER NOT NULL,
  created_at VARCHAR(40) NOT NULL
);
CREATE TABLE fleet_certificates (
  ca_id VARCHAR(36) NOT NULL REFERENCES fleet_ca (id),
  serial VARCHAR(40) NOT NULL,
  device_id VARCHAR(128) NOT NULL,
  subject VARCHAR(500) NOT NULL,
  not_before VARCHAR(40) NOT NULL,
  not_after VARCHAR(40) NOT NULL,
  cert_der BLOB NOT NULL,
  issued_at VARCHAR(40) NOT NULL,
  revoked_at VARCHAR(40),
  revocation_reason VARCHAR(32),
  PRIMARY KEY (ca_id, serial)
);
CREATE INDEX fleet_certificates_device ON fleet_certificates (device_id);
CREATE INDEX fleet_certificates_expiry ON fleet_certificates (ca_id, not_after);
`;

export interface FleetCaRow {
  id: string;
  provider: string;
  keyRef: string;
  subject: string;
  certDer: Buffer;
  notAfter: string;
  crlNumber: number;
  createdAt: string;
}

export interface FleetCertRow {
  caId: string;
  /** Lower-case hex, no separators. */
  serial: string;
  deviceId: string;
  subject: string;
  notBefore: string;
  notAfter: string;
  certDer: Buffer;
  issuedAt: string;
  revokedAt: string | null;
  revocationReason: string | null;
}

export interface FleetCaRepo {
  insertCa(row: FleetCaRow): void;
  getCa(id: string): FleetCaRow | null;
  /**
   * The id of the store's current fleet CA: the newest one neither retired by a replacement nor revoked as compromised
   * (fleet_ca_transitions); null before one was created and after the current one was revoked.
   */
  currentCaId(): string | null;
  /** Every CA the store has had, newest first. */
  listCas(): FleetCaRow[];
  /** Increments the CA's CRL number and returns the new value. */
  nextCrlNumber(caId: string): number;
  /** Keeps a published CRL (orderDeliveryRepo.ts, migration 23); absent in stores wired without it. */
  saveCrl?(caId: string, crlNumber: number, thisUpdate: string, der: Buffer): void;
  /** The newest CRL kept by saveCrl (orderDeliveryRepo.ts); absent in stores wired without it. */
  latestCrl?(caId: string): { crlNumber: number; thisUpdate: string; der: Buffer } | null;
  insertCert(row: FleetCertRow): void;
  getCert(caId: string, serial: string): FleetCertRow | null;
  /** Every certificate of the CA, soonest expiry first. */
  listCerts(caId: string): FleetCertRow[];
  /** Certificates whose notAfter is at or before `before` (ISO time), earliest first. */
  listExpiringBefore(caId: string, before: string): FleetCertRow[];
  listRevoked(caId: string): FleetCertRow[];
  /** What a CRL lists of each revoked certificate (serial, when, why), without the certificates: oldest revocation first. */
  listRevokedEntries(caId: string): Array<{ serial: string; revokedAt: string; reason: string | null }>;
  /** The CA's certificates counted: all, revoked, and not revoked but expired at `at` (ISO time). */
  countStates(caId: string, at: string): { total: number; revoked: number; expired: number };
  /** The device's certificates not revoked and still valid at `at` (ISO time), oldest first: of `caId`, or of every CA when null. */
  listValidOfDevice(caId: string | null, deviceId: string, at: string): FleetCertRow[];
  /** Every CA's certificate with this serial (lower-case hex): serials are random, so one at most in practice. */
  findBySerial(serial: string): FleetCertRow[];
  /** The serials, CAs and robots of the valid certificates held by any of these robots (of `caId`, or of every CA when null): 500 robots a query. */
  listValidOfDevices(caId: string | null, deviceIds: readonly string[], at: string): Array<{ caId: string; serial: string; deviceId: string }>;
  /**
   * Certificates not revoked and still valid at `at` that no robot in the registry carries (robot_certificates): issued
   * in a provisioning session that never committed. Oldest first.
   */
  listUnattached(caId: string, at: string): FleetCertRow[];
  /**
   * Whether this one certificate is still what listUnattached lists (not revoked, valid at `at`, carried by no robot):
   * the sweep of abandoned certificates asks again right before it revokes one it listed earlier.
   */
  isUnattached(caId: string, serial: string, at: string): boolean;
  /** Returns false when the certificate was already revoked (nothing changes then). */
  markRevoked(caId: string, serial: string, revokedAt: string, reason: string): boolean;
  /**
   * markRevoked for many serials (500 a statement): answers the robot of each certificate it revoked, by serial; a
   * serial missing from the answer was unknown or revoked already.
   */
  markRevokedMany(caId: string, serials: readonly string[], revokedAt: string, reason: string): Map<string, string>;
}

interface RawCa {
  id: string;
  provider: string;
  key_ref: string;
  subject: string;
  cert_der: Buffer;
  not_after: string;
  crl_number: number;
  created_at: string;
}

interface RawCert {
  ca_id: string;
  serial: string;
  device_id: string;
  subject: string;
  not_before: string;
  not_after: string;
  cert_der: Buffer;
  issued_at: string;
  revoked_at: string | null;
  revocation_reason: string | null;
}

const caRow = (r: RawCa): FleetCaRow => ({
  id: r.id,
  provider: r.provider,
  keyRef: r.key_ref,
  subject: r.subject,
  certDer: r.cert_der,
  notAfter: r.not_after,
  crlNumber: r.crl_number,
  createdAt: r.created_at,
});

const certRow = (r: RawCert): FleetCertRow => ({
  caId: r.ca_id,
  serial: r.serial,
  deviceId: r.device_id,
  subject: r.subject,
  notBefore: r.not_before,
  notAfter: r.not_after,
  certDer: r.cert_der,
  issuedAt: r.issued_at,
  revokedAt: r.revoked_at,
  revocationReason: r.revocation_reason,
});

/** A certificate's row with its DER (migration 41): `FROM fleet_certificates f` joined to its body. */
const CERT_SELECT = 'SELECT f.*, d.cert_der FROM fleet_certificates f JOIN fleet_certificate_ders d ON d.ca_id = f.ca_id AND d.serial = f.serial';

export function createFleetCaRepo(db: Db): FleetCaRepo {
  const insertCa = db.prepare(
    `INSERT INTO fleet_ca (id, provider, key_ref, subject, cert_der, not_after, crl_number, created_at)
     VALUES (@id, @provider, @keyRef, @subject, @certDer, @notAfter, @crlNumber, @createdAt)`,
  );
  const getCa = db.prepare('SELECT * FROM fleet_ca WHERE id = ?');
  // A retired or compromised CA (fleet_ca_transitions, migration 22) is never the current one.
  const currentCaId = db.prepare(
    'SELECT id FROM fleet_ca c WHERE NOT EXISTS (SELECT 1 FROM fleet_ca_transitions t WHERE t.ca_id = c.id) ORDER BY created_at DESC, id LIMIT 1',
  );
  const listCas = db.prepare('SELECT * FROM fleet_ca ORDER BY created_at DESC, id');
  const bumpCrl = db.prepare('UPDATE fleet_ca SET crl_number = crl_number + 1 WHERE id = ?');
  const crlNumber = db.prepare('SELECT crl_number FROM fleet_ca WHERE id = ?');
  const insertCertRow = db.prepare(
    `INSERT INTO fleet_certificates (ca_id, serial, device_id, subject, not_before, not_after, issued_at, revoked_at, revocation_reason)
     VALUES (@caId, @serial, @deviceId, @subject, @notBefore, @notAfter, @issuedAt, @revokedAt, @revocationReason)`,
  );
  const insertCertDer = db.prepare('INSERT INTO fleet_certificate_ders (ca_id, serial, cert_der) VALUES (@caId, @serial, @certDer)');
  const insertCert = db.transaction((row: FleetCertRow) => {
    insertCertRow.run(row);
    insertCertDer.run(row);
  });
  const getCert = db.prepare(`${CERT_SELECT} WHERE f.ca_id = ? AND f.serial = ?`);
  const listCerts = db.prepare(`${CERT_SELECT} WHERE f.ca_id = ? ORDER BY f.not_after, f.serial`);
  const expiring = db.prepare(`${CERT_SELECT} WHERE f.ca_id = ? AND f.not_after <= ? ORDER BY f.not_after, f.serial`);
  const revoked = db.prepare(`${CERT_SELECT} WHERE f.ca_id = ? AND f.revoked_at IS NOT NULL ORDER BY f.revoked_at, f.serial`);
  const revokedEntries = db.prepare('SELECT serial, revoked_at, revocation_reason FROM fleet_certificates WHERE ca_id = ? AND revoked_at IS NOT NULL ORDER BY revoked_at, serial');
  const countStates = db.prepare(
    `SELECT COUNT(*) AS total, COALESCE(SUM(CASE WHEN revoked_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS revoked,
     COALESCE(SUM(CASE WHEN revoked_at IS NULL AND not_after <= ? THEN 1 ELSE 0 END), 0) AS expired FROM fleet_certificates WHERE ca_id = ?`,
  );
  // By the device index alone: with ca_id in the WHERE clause SQLite's planner took the (ca_id, not_after) index and
  // read every valid certificate of the CA for each robot (an emergency run over 10,000 robots was quadratic). A robot
  // has a handful of certificates; the CA is checked on those rows.
  const validOfDevice = db.prepare(
    `${CERT_SELECT} WHERE f.device_id = ? AND f.revoked_at IS NULL AND f.not_after > ? ORDER BY f.issued_at, f.serial`,
  );
  const bySerial = db.prepare(`${CERT_SELECT} WHERE f.serial = ? ORDER BY f.issued_at DESC, f.ca_id`);
  // The same by the device index for many robots at once (without the certificates' DER): an emergency run over
  // 10,000 robots asked 20,000 times one robot at a time.
  const validOfDevices = inListStatement(db, (marks) => `SELECT ca_id, serial, device_id FROM fleet_certificates WHERE device_id IN (${marks}) AND revoked_at IS NULL AND not_after > ?`);
  const unattached = db.prepare(
    `${CERT_SELECT} WHERE f.ca_id = ? AND f.revoked_at IS NULL AND f.not_after > ?
     AND NOT EXISTS (SELECT 1 FROM robot_certificates r WHERE r.serial = f.serial) ORDER BY f.issued_at, f.serial`,
  );
  const unattachedOne = db.prepare(
    `SELECT 1 AS found FROM fleet_certificates f WHERE f.ca_id = ? AND f.serial = ? AND f.revoked_at IS NULL AND f.not_after > ?
     AND NOT EXISTS (SELECT 1 FROM robot_certificates r WHERE r.serial = f.serial)`,
  );
  const markRevoked = db.prepare(
    'UPDATE fleet_certificates SET revoked_at = ?, revocation_reason = ? WHERE ca_id = ? AND serial = ? AND revoked_at IS NULL',
  );
  // RETURNING: SQLite 3.35+ and PostgreSQL alike. One statement per chunk size, like validOfDevices.
  const markRevokedMany = inListStatement(db, 
    (marks) => `UPDATE fleet_certificates SET revoked_at = ?, revocation_reason = ? WHERE ca_id = ? AND serial IN (${marks}) AND revoked_at IS NULL RETURNING serial, device_id`,
  );
  const nextCrlNumber = db.transaction((caId: string): number => {
    if (bumpCrl.run(caId).changes !== 1) throw new Error('fleet CA not found');
    return (crlNumber.get(caId) as { crl_number: number }).crl_number;
  });
  return {
    insertCa: (row) => void insertCa.run(row),
    getCa(id) {
      const r = getCa.get(id) as RawCa | undefined;
      return r ? caRow(r) : null;
    },
    currentCaId: () => (currentCaId.get() as { id: string } | undefined)?.id ?? null,
    listCas: () => (listCas.all() as RawCa[]).map(caRow),
    nextCrlNumber: (caId) => nextCrlNumber(caId),
    insertCert: (row) => insertCert(row),
    getCert(caId, serial) {
      const r = getCert.get(caId, serial) as RawCert | undefined;
      return r ? certRow(r) : null;
    },
    listCerts: (caId) => (listCerts.all(caId) as RawCert[]).map(certRow),
    listExpiringBefore: (caId, before) => (expiring.all(caId, before) as RawCert[]).map(certRow),
    listRevoked: (caId) => (revoked.all(caId) as RawCert[]).map(certRow),
    listRevokedEntries: (caId) =>
      (revokedEntries.all(caId) as Array<{ serial: string; revoked_at: string; revocation_reason: string | null }>).map((r) => ({ serial: r.serial, revokedAt: r.revoked_at, reason: r.revocation_reason })),
    countStates: (caId, at) => countStates.get(at, caId) as { total: number; revoked: number; expired: number },
    listValidOfDevice: (caId, deviceId, at) => (validOfDevice.all(deviceId, at) as RawCert[]).filter((r) => caId === null || r.ca_id === caId).map(certRow),
    findBySerial: (serial) => (bySerial.all(serial) as RawCert[]).map(certRow),
    listValidOfDevices(caId, deviceIds, at) {
      const out: Array<{ caId: string; serial: string; deviceId: string }> = [];
      validOfDevices<{ ca_id: string; serial: string; device_id: string }>(deviceIds, (chunk) => [...chunk, at], (r) => {
        if (caId === null || r.ca_id === caId) out.push({ caId: r.ca_id, serial: r.serial, deviceId: r.device_id });
      });
      return out;
    },
    listUnattached: (caId, at) => (unattached.all(caId, at) as RawCert[]).map(certRow),
    isUnattached: (caId, serial, at) => unattachedOne.get(caId, serial, at) !== undefined,
    markRevoked: (caId, serial, revokedAt, reason) => markRevoked.run(revokedAt, reason, caId, serial).changes === 1,
    markRevokedMany(caId, serials, revokedAt, reason) {
      const out = new Map<string, string>();
      markRevokedMany<{ serial: string; device_id: string }>(serials, (chunk) => [revokedAt, reason, caId, ...chunk], (r) => out.set(r.serial, r.device_id));
      return out;
    },
  };
}
