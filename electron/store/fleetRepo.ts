// Repository for the fleet registry: robots, sites, models, which key versions each robot holds, its certificates.
// Search, filter, sort and paging are SQL over indexed columns, so the fleet table costs a page, not the fleet.
import type { RenewalFilter, RobotSortField } from '../../shared/fleetContract.ts';
import type { RobotStatus } from '../../shared/domain.ts';
import type { Db } from './database.ts';
import { inListStatement } from './inList.ts';

export const FLEET_SCHEMA_SQL = `
CREATE TABLE fleet_sites (name VARCHAR(64) PRIMARY KEY, created_at VARCHAR(40) NOT NULL);
CREATE TABLE fleet_models (name VARCHAR(64) PRIMARY KEY, created_at VARCHAR(40) NOT NULL);
CREATE TABLE robots (
  device_id VARCHAR(64) PRIMARY KEY,
  name VARCHAR(128) NOT NULL,
  model VARCHAR(64) NOT NULL REFERENCES fleet_models (name),
  site VARCHAR(64) NOT NULL REFERENCES fleet_sites (name),
  firmware VARCHAR(64) NOT NULL,
  tags VARCHAR(1100) NOT NULL,
  status VARCHAR(16) NOT NULL,
  status_reason VARCHAR(500),
  last_seen VARCHAR(40),
  created_at VARCHAR(40) NOT NULL,
  updated_at VARCHAR(40) NOT NULL
);
CREATE INDEX robots_name ON robots (name);
CREATE INDEX robots_status ON robots (status, device_id);
CREATE INDEX robots_site ON robots (site, device_id);
CREATE INDEX robots_status_site ON robots (status, site, device_id);
CREATE INDEX robots_model ON robots (model, device_id);
CREATE INDEX robots_firmware ON robots (firmware);
CREATE INDEX robots_last_seen ON robots (last_seen);
CREATE TABLE robot_keys (
  device_id VARCHAR(64) NOT NULL REFERENCES robots (device_id),
  key_id VARCHAR(64) NOT NULL,
  key_version INTEGER NOT NULL,
  source VARCHAR(16) NOT NULL,
  recorded_at VARCHAR(40) NOT NULL,
  PRIMARY KEY (device_id, key_id)
);
CREATE INDEX robot_keys_key ON robot_keys (key_id, key_version);
CREATE TABLE robot_certificates (
  serial VARCHAR(64) PRIMARY KEY,
  device_id VARCHAR(64) NOT NULL REFERENCES robots (device_id),
  subject VARCHAR(256) NOT NULL,
  not_before VARCHAR(40) NOT NULL,
  not_after VARCHAR(40) NOT NULL,
  status VARCHAR(8) NOT NULL,
  pem TEXT NOT NULL
);
CREATE INDEX robot_certificates_device ON robot_certificates (device_id);
CREATE INDEX robot_certificates_expiry ON robot_certificates (status, not_after);
`;

// Since migration 41 a copy's PEM is in robot_certificate_pems (migrations.ts CERTIFICATE_BODIES_SQL): a revocation
// rewrites the copy's row (status) without its certificate. Every query that answers a CertificateRow joins it back.
const COPY_SELECT = 'SELECT c.*, p.pem FROM robot_certificates c JOIN robot_certificate_pems p ON p.serial = c.serial';

export interface RobotRow {
  deviceId: string;
  name: string;
  model: string;
  site: string;
  firmware: string;
  tags: string[];
  status: RobotStatus;
  statusReason: string | null;
  lastSeen: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface RobotKeyRow {
  deviceId: string;
  keyId: string;
  version: number;
  source: 'provisioning' | 'distribution';
  recordedAt: string;
}

export interface CertificateRow {
  serial: string;
  deviceId: string;
  subject: string;
  notBefore: string;
  notAfter: string;
  status: 'active' | 'revoked';
  pem: string;
}

export interface RobotFilter {
  query: string;
  status?: RobotStatus | undefined;
  site?: string | undefined;
  model?: string | undefined;
  /** Only robots with an open renewal flag (of this reason, or any), open at `at` (caTransitionsRepo's rule). */
  renewal?: RenewalFilter | undefined;
  /** The time a renewal flag's settling certificate must still be valid at (ISO); needed with `renewal`. */
  at?: string | undefined;
  sort: RobotSortField;
  dir: 'asc' | 'desc';
  offset: number;
  limit: number;
}

export interface FleetRepo {
  insert(row: RobotRow): void;
  get(deviceId: string): RobotRow | null;
  /** Writes every field but device id and creation time. */
  update(row: RobotRow): void;
  list(filter: RobotFilter): { total: number; robots: RobotRow[] };
  /** Every robot in device-id order, one at a time (export). */
  iterateAll(): IterableIterator<RobotRow>;
  ensureSite(name: string, at: string): void;
  ensureModel(name: string, at: string): void;
  sites(): Array<{ name: string; count: number }>;
  models(): Array<{ name: string; count: number }>;
  countByStatus(): Array<{ status: string; count: number }>;
  countBySiteAndStatus(): Array<{ site: string; status: string; count: number }>;
  upsertKeyVersion(row: RobotKeyRow): void;
  /** Forgets every key version the robot held (re-provisioning replaces its whole key store). */
  clearKeyVersions(deviceId: string): void;
  keysOf(deviceId: string): RobotKeyRow[];
  /** Robots that hold the key at the given version (or, without a version, at any version). */
  holders(keyId: string, version?: number): string[];
  countHolders(keyId: string): number;
  /** How many robots hold each (key, version) across the fleet, by key id then version (the dashboard's key versions). */
  countByKeyVersion(): Array<{ keyId: string; version: number; robots: number }>;
  /** How many robots hold each version 1..upTo of the key (versions nobody holds are absent), oldest version first. */
  holderCounts(keyId: string, upTo: number): Array<{ version: number; robots: number }>;
  /** One page of the key's holders with their robot rows, oldest version first, then device id. */
  holderPage(keyId: string, version: number | undefined, limit: number, offset: number): Array<{ robot: RobotRow; holding: RobotKeyRow }>;
  insertCertificate(row: CertificateRow): void;
  setCertificateStatus(serial: string, status: 'active' | 'revoked'): boolean;
  /** Marks the active copies among these serials revoked (500 a statement); answers the serials it changed. */
  revokeActiveCertificates(serials: readonly string[]): Set<string>;
  /** The registry's copy of a certificate, by its serial exactly as stored, or null. */
  getCertificate(serial: string): CertificateRow | null;
  certificatesOf(deviceId: string): CertificateRow[];
  /** Active certificates whose notAfter falls before `until`, soonest first. */
  expiringCertificates(until: string, limit: number): { total: number; rows: CertificateRow[] };
}

interface RawRobot {
  device_id: string;
  name: string;
  model: string;
  site: string;
  firmware: string;
  tags: string;
  status: RobotStatus;
  status_reason: string | null;
  last_seen: string | null;
  created_at: string;
  updated_at: string;
}

interface RawRobotKey {
  device_id: string;
  key_id: string;
  key_version: number;
  source: RobotKeyRow['source'];
  recorded_at: string;
}

/** Sort fields -> columns; a fixed map, so no caller text ever reaches ORDER BY. */
const SORT_COLUMNS: Readonly<Record<RobotSortField, string>> = {
  deviceId: 'device_id',
  name: 'name',
  model: 'model',
  site: 'site',
  firmware: 'firmware',
  status: 'status',
  lastSeen: 'last_seen',
};

const toRow = (r: RawRobot): RobotRow => ({
  deviceId: r.device_id,
  name: r.name,
  model: r.model,
  site: r.site,
  firmware: r.firmware,
  tags: r.tags === '' ? [] : r.tags.split(';'),
  status: r.status,
  statusReason: r.status_reason,
  lastSeen: r.last_seen,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toCert = (r: Record<string, string>): CertificateRow => ({
  serial: r.serial!,
  deviceId: r.device_id!,
  subject: r.subject!,
  notBefore: r.not_before!,
  notAfter: r.not_after!,
  status: r.status as 'active' | 'revoked',
  pem: r.pem!,
});

/** LIKE pattern for a search text, with the LIKE wildcards in it taken literally. */
const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function createFleetRepo(db: Db): FleetRepo {
  const insertRobot = db.prepare(
    `INSERT INTO robots (device_id, name, model, site, firmware, tags, status, status_reason, last_seen, created_at, updated_at)
     VALUES (@deviceId, @name, @model, @site, @firmware, @tags, @status, @statusReason, @lastSeen, @createdAt, @updatedAt)`,
  );
  const updateRobot = db.prepare(
    `UPDATE robots SET name = @name, model = @model, site = @site, firmware = @firmware, tags = @tags, status = @status,
     status_reason = @statusReason, last_seen = @lastSeen, updated_at = @updatedAt WHERE device_id = @deviceId`,
  );
  const getRobot = db.prepare('SELECT * FROM robots WHERE device_id = ?');
  const ensureSite = db.prepare('INSERT INTO fleet_sites (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING');
  const ensureModel = db.prepare('INSERT INTO fleet_models (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING');
  // The page is cut from the (key_id, key_version, device_id) index alone (migration 8), so rows skipped by the
  // offset are never read; only the page's rows are joined to their holding and robot rows.
  const holderPage = (filter: string) =>
    db.prepare(
      `SELECT r.*, k.key_id AS k_key_id, k.key_version AS k_key_version, k.source AS k_source, k.recorded_at AS k_recorded_at
       FROM (SELECT device_id, key_version FROM robot_keys WHERE ${filter} ORDER BY key_version, device_id LIMIT ? OFFSET ?) p
       JOIN robot_keys k ON k.device_id = p.device_id AND k.key_id = ?
       JOIN robots r ON r.device_id = p.device_id
       ORDER BY p.key_version, p.device_id`,
    );
  const holderPageAll = holderPage('key_id = ?');
  const holderPageOfVersion = holderPage('key_id = ? AND key_version = ?');
  // One counted index range per version: measured faster than a GROUP BY over the key's whole range.
  const holdersOfVersion = db.prepare('SELECT COUNT(*) AS n FROM robot_keys WHERE key_id = ? AND key_version = ?').pluck();
  const upsertKey = db.prepare(
    `INSERT INTO robot_keys (device_id, key_id, key_version, source, recorded_at) VALUES (@deviceId, @keyId, @version, @source, @recordedAt)
     ON CONFLICT (device_id, key_id) DO UPDATE SET key_version = excluded.key_version, source = excluded.source, recorded_at = excluded.recorded_at`,
  );
  // Prepared once: an emergency run revokes thousands of certificates in one transaction.
  const getCert = db.prepare(`${COPY_SELECT} WHERE c.serial = ?`);
  const setCertStatus = db.prepare('UPDATE robot_certificates SET status = ? WHERE serial = ?');
  // RETURNING: SQLite 3.35+ and PostgreSQL alike.
  // `status <> 'revoked'` (the same rows: a copy is active or revoked), not `status = 'active'`: SQLite's planner took the
  // (status, not_after) index for an equality and read every active copy for each chunk of serials (quadratic over a
  // 10,000-certificate emergency run); an inequality leaves it the primary key.
  const revokeActive = inListStatement(db, (marks) => `UPDATE robot_certificates SET status = 'revoked' WHERE serial IN (${marks}) AND status <> 'revoked' RETURNING serial`);
  const insertCertRow = db.prepare(
    `INSERT INTO robot_certificates (serial, device_id, subject, not_before, not_after, status)
     VALUES (@serial, @deviceId, @subject, @notBefore, @notAfter, @status)`,
  );
  const insertCertPem = db.prepare('INSERT INTO robot_certificate_pems (serial, pem) VALUES (@serial, @pem)');
  const insertCert = db.transaction((row: CertificateRow) => {
    insertCertRow.run(row);
    insertCertPem.run(row);
  });
  const params = (row: RobotRow) => ({ ...row, tags: row.tags.join(';') });
  // robot_tags (migration 17) indexes each tag of a robot, so a tag scope is an index range (emergencyRepo.ts).
  const clearTags = db.prepare('DELETE FROM robot_tags WHERE device_id = ?');
  const addTag = db.prepare('INSERT INTO robot_tags (tag, device_id) VALUES (?, ?) ON CONFLICT (tag, device_id) DO NOTHING');
  const writeTags = (row: RobotRow, replace: boolean) => {
    if (replace) clearTags.run(row.deviceId);
    for (const tag of row.tags) if (tag !== '') addTag.run(tag, row.deviceId);
  };

  return {
    insert(row) {
      insertRobot.run(params(row));
      writeTags(row, false);
    },
    get(deviceId) {
      const r = getRobot.get(deviceId) as RawRobot | undefined;
      return r ? toRow(r) : null;
    },
    update(row) {
      updateRobot.run(params(row));
      writeTags(row, true);
    },
    list(f) {
      const where: string[] = [];
      const args: Record<string, string | number> = {};
      if (f.query !== '') {
        where.push("(device_id LIKE @q ESCAPE '\\' OR name LIKE @q ESCAPE '\\' OR firmware LIKE @q ESCAPE '\\' OR tags LIKE @q ESCAPE '\\')");
        args.q = likePattern(f.query);
      }
      for (const column of ['status', 'site', 'model'] as const) {
        const value = f[column];
        if (value) {
          where.push(`${column} = @${column}`);
          args[column] = value;
        }
      }
      if (f.renewal) {
        // The same rule as caTransitionsRepo.openRenewals: flagged, not revoked, and no valid certificate issued since the
        // flag by a CA without a transition. Both lookups go by device id (renewals' primary key, fleet_certificates_device).
        where.push(`status <> 'revoked' AND EXISTS (
          SELECT 1 FROM robot_certificate_renewals n WHERE n.device_id = robots.device_id ${f.renewal === 'any' ? '' : 'AND n.reason = @renewal'}
            AND NOT EXISTS (
              SELECT 1 FROM fleet_certificates c WHERE c.device_id = n.device_id AND c.revoked_at IS NULL AND c.not_after > @at
                AND c.issued_at >= n.flagged_at AND NOT EXISTS (SELECT 1 FROM fleet_ca_transitions t WHERE t.ca_id = c.ca_id)))`);
        if (f.renewal !== 'any') args.renewal = f.renewal;
        args.at = f.at ?? new Date().toISOString();
      }
      const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
      const dir = f.dir === 'desc' ? 'DESC' : 'ASC';
      const total = (db.prepare(`SELECT COUNT(*) AS n FROM robots ${clause}`).get(args) as { n: number }).n;
      const rows = db
        .prepare(`SELECT * FROM robots ${clause} ORDER BY ${SORT_COLUMNS[f.sort]} ${dir}, device_id ${dir} LIMIT @limit OFFSET @offset`)
        .all({ ...args, limit: f.limit, offset: f.offset }) as RawRobot[];
      return { total, robots: rows.map(toRow) };
    },
    *iterateAll() {
      for (const r of db.prepare('SELECT * FROM robots ORDER BY device_id').iterate() as IterableIterator<RawRobot>) yield toRow(r);
    },
    ensureSite: (name, at) => void ensureSite.run(name, at),
    ensureModel: (name, at) => void ensureModel.run(name, at),
    sites: () =>
      db.prepare('SELECT s.name AS name, COUNT(r.device_id) AS count FROM fleet_sites s LEFT JOIN robots r ON r.site = s.name GROUP BY s.name ORDER BY s.name').all() as Array<{ name: string; count: number }>,
    models: () =>
      db.prepare('SELECT m.name AS name, COUNT(r.device_id) AS count FROM fleet_models m LEFT JOIN robots r ON r.model = m.name GROUP BY m.name ORDER BY m.name').all() as Array<{ name: string; count: number }>,
    countByStatus: () => db.prepare('SELECT status, COUNT(*) AS count FROM robots GROUP BY status').all() as Array<{ status: string; count: number }>,
    countBySiteAndStatus: () =>
      db.prepare('SELECT site, status, COUNT(*) AS count FROM robots GROUP BY site, status ORDER BY site').all() as Array<{ site: string; status: string; count: number }>,
    upsertKeyVersion: (row) => void upsertKey.run(row),
    clearKeyVersions: (deviceId) => void db.prepare('DELETE FROM robot_keys WHERE device_id = ?').run(deviceId),
    keysOf: (deviceId) =>
      (db.prepare('SELECT * FROM robot_keys WHERE device_id = ? ORDER BY key_id').all(deviceId) as RawRobotKey[]).map((r) => ({
        deviceId: r.device_id,
        keyId: r.key_id,
        version: r.key_version,
        source: r.source,
        recordedAt: r.recorded_at,
      })),
    holders: (keyId, version) =>
      (version === undefined
        ? (db.prepare('SELECT device_id FROM robot_keys WHERE key_id = ? ORDER BY device_id').all(keyId) as Array<{ device_id: string }>)
        : (db.prepare('SELECT device_id FROM robot_keys WHERE key_id = ? AND key_version = ? ORDER BY device_id').all(keyId, version) as Array<{ device_id: string }>)
      ).map((r) => r.device_id),
    holderCounts(keyId, upTo) {
      const out: Array<{ version: number; robots: number }> = [];
      for (let version = 1; version <= upTo; version++) {
        const robots = holdersOfVersion.get(keyId, version) as number;
        if (robots > 0) out.push({ version, robots });
      }
      return out;
    },
    holderPage(keyId, version, limit, offset) {
      const rows = (
        version === undefined ? holderPageAll.all(keyId, limit, offset, keyId) : holderPageOfVersion.all(keyId, version, limit, offset, keyId)
      ) as Array<RawRobot & { k_key_id: string; k_key_version: number; k_source: RobotKeyRow['source']; k_recorded_at: string }>;
      return rows.map((r) => ({
        robot: toRow(r),
        holding: { deviceId: r.device_id, keyId: r.k_key_id, version: r.k_key_version, source: r.k_source, recordedAt: r.k_recorded_at },
      }));
    },
    countHolders: (keyId) => (db.prepare('SELECT COUNT(*) AS n FROM robot_keys WHERE key_id = ?').get(keyId) as { n: number }).n,
    countByKeyVersion: () =>
      db.prepare('SELECT key_id AS keyId, key_version AS version, COUNT(*) AS robots FROM robot_keys GROUP BY key_id, key_version ORDER BY key_id, key_version').all() as Array<{
        keyId: string;
        version: number;
        robots: number;
      }>,
    insertCertificate: (row) => insertCert(row),
    getCertificate(serial) {
      const r = getCert.get(serial) as Record<string, string> | undefined;
      return r ? toCert(r) : null;
    },
    setCertificateStatus: (serial, status) => setCertStatus.run(status, serial).changes === 1,
    revokeActiveCertificates(serials) {
      const changed = new Set<string>();
      revokeActive<{ serial: string }>(serials, (chunk) => chunk, (r) => changed.add(r.serial));
      return changed;
    },
    certificatesOf: (deviceId) =>
      (db.prepare(`${COPY_SELECT} WHERE c.device_id = ? ORDER BY c.not_before DESC`).all(deviceId) as Array<Record<string, string>>).map(toCert),
    expiringCertificates(until, limit) {
      const total = (db.prepare("SELECT COUNT(*) AS n FROM robot_certificates WHERE status = 'active' AND not_after < ?").get(until) as { n: number }).n;
      const rows = db.prepare(`${COPY_SELECT} WHERE c.status = 'active' AND c.not_after < ? ORDER BY c.not_after LIMIT ?`).all(until, limit) as Array<Record<string, string>>;
      return { total, rows: rows.map(toCert) };
    },
  };
}
