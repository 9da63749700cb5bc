// Schema migrations, applied in order inside one transaction each. Never edit a shipped migration; add a new one.
// SQL here stays portable (no SQLite-only column types or functions) so a server database can replace SQLite later.
import type Database from 'better-sqlite3';
import { AUDIT_QUERY_INDEXES_SQL, AUDIT_SCHEMA_SQL } from './auditRepo.ts';
import { FLEET_CA_SCHEMA_SQL } from './fleetCaRepo.ts';
import { FLEET_SCHEMA_SQL } from './fleetRepo.ts';
import { KEY_PROVIDER_SCHEMA_SQL } from './keyBackupsRepo.ts';
import { KEY_UNREACHED_SQL } from './keysRepo.ts';
import { LOCKDOWN_SCHEMA_SQL } from './lockdownRepo.ts';
import { backfillRobotTags, EMERGENCY_SCHEMA_SQL } from './emergencyRepo.ts';
import { PROVIDER_SCHEMA_SQL } from './providerRepo.ts';
import { ROTATION_BATCH_SCHEMA_SQL } from './rotationBatchRepo.ts';
import { REINSTATEMENT_SCHEMA_SQL, ROLLOUT_SCHEMA_SQL } from './rolloutRepo.ts';
import { ROTATION_SCHEMA_SQL } from './rotationRepo.ts';
import { KEY_VERSION_USAGE_SQL } from './usageRepo.ts';
import { METRICS_SCHEMA_SQL } from './metricsRepo.ts';
import { OPERATOR_FACTORS_SCHEMA_SQL, OPERATORS_SCHEMA_SQL, RECOVERY_CODES_SCHEMA_SQL } from './operatorsRepo.ts';
import { APPROVAL_KEYS_REVOKED_SQL, APPROVALS_SCHEMA_SQL } from './approvalsRepo.ts';
import { RECOVERY_SCHEMA_SQL } from './recoveryRepo.ts';
import { INCIDENT_KIT_SCHEMA_SQL } from './incidentKitRepo.ts';
import { CRL_DELIVERY_CA_SQL, ORDER_DELIVERY_SCHEMA_SQL } from './orderDeliveryRepo.ts';
import { backfillCaEndorsements, ROBOT_CA_ENDORSEMENTS_SQL } from './caEndorsedRepo.ts';
import { FIELD_CONTACTS_SCHEMA_SQL } from './fieldContactRepo.ts';
import { CA_TRANSITIONS_SCHEMA_SQL } from './caTransitionsRepo.ts';
import { KEY_VERSION_MATERIALS_SQL } from './keyMaterialsRepo.ts';
import { CA_CROSS_CERTIFICATES_SQL } from './caCrossRepo.ts';

export interface Migration {
  version: number;
  description: string;
  up(db: Database.Database): void;
}

const STORE_SQL = `
CREATE TABLE store_meta (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  store_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  kdf_params TEXT NOT NULL,
  kdf_salt BLOB NOT NULL,
  wrapped_master BLOB NOT NULL,
  keychain_bound INTEGER NOT NULL,
  audit_public_spki BLOB NOT NULL,
  audit_public_mac BLOB NOT NULL,
  audit_private_wrapped BLOB NOT NULL
);
CREATE TABLE unlock_throttle (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  failed_attempts INTEGER NOT NULL,
  last_failure_ms BIGINT
);
CREATE TABLE keys (
  id VARCHAR(36) PRIMARY KEY,
  label VARCHAR(128) NOT NULL,
  key_type VARCHAR(32) NOT NULL,
  algorithm VARCHAR(16) NOT NULL,
  state VARCHAR(16) NOT NULL,
  state_reason VARCHAR(500),
  provider VARCHAR(32) NOT NULL,
  current_version INTEGER NOT NULL,
  created_at VARCHAR(40) NOT NULL,
  updated_at VARCHAR(40) NOT NULL,
  rotation_seconds INTEGER,
  next_rotation_at VARCHAR(40)
);
CREATE INDEX keys_type_state ON keys (key_type, state);
CREATE TABLE key_versions (
  key_id VARCHAR(36) NOT NULL REFERENCES keys (id),
  version INTEGER NOT NULL,
  created_at VARCHAR(40) NOT NULL,
  check_value VARCHAR(128) NOT NULL,
  public_spki BLOB,
  wrapped_material BLOB,
  destroyed INTEGER NOT NULL,
  PRIMARY KEY (key_id, version)
);
`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'store metadata, unlock throttle, keys and key versions, audit log',
    up(db) {
      db.exec(STORE_SQL);
      db.exec(AUDIT_SCHEMA_SQL);
    },
  },
  {
    version: 2,
    description: 'local KMS provider keys and versions, provider configurations (secrets wrapped under the master key)',
    up(db) {
      db.exec(PROVIDER_SCHEMA_SQL);
    },
  },
  {
    version: 3,
    description: 'keys on providers (provider key references, backup and fallback recipients, per-version location), key backups',
    up(db) {
      db.exec(KEY_PROVIDER_SCHEMA_SQL);
    },
  },
  {
    version: 4,
    description: 'fleet registry: robots, sites, models, key versions held by each robot, robot certificates',
    up(db) {
      db.exec(FLEET_SCHEMA_SQL);
    },
  },
  {
    version: 5,
    description: 'fleet certificate authority: CA record (provider key reference, CA certificate, CRL number), issued certificates and revocations',
    up(db) {
      db.exec(FLEET_CA_SCHEMA_SQL);
    },
  },
  {
    version: 6,
    description: 'key bundles per robot (sequence, delivery, state); earlier bundles carried over from the audit log',
    up(db) {
      db.exec(KEY_BUNDLES_SQL);
      // Bundles issued before this table existed: their sequence numbers live in the bundle.issue audit records.
      const rows = db
        .prepare("SELECT ts, target_id AS deviceId, details FROM audit_records WHERE action = 'bundle.issue' AND outcome = 'success' AND target_id IS NOT NULL ORDER BY seq")
        .all() as Array<{ ts: string; deviceId: string; details: string }>;
      const known = db.prepare('SELECT 1 FROM robots WHERE device_id = ?');
      const insert = db.prepare(
        "INSERT OR IGNORE INTO key_bundles (device_id, sequence, bundle_id, issued_at, delivery, state, key_versions, error_code) VALUES (?, ?, NULL, ?, 'file', 'issued', ?, NULL)",
      );
      for (const r of rows) {
        let d: { sequence?: unknown; keys?: unknown };
        try {
          d = JSON.parse(r.details) as { sequence?: unknown; keys?: unknown };
        } catch {
          continue;
        }
        if (!Number.isSafeInteger(d.sequence) || (d.sequence as number) < 1 || !known.get(r.deviceId)) continue;
        insert.run(r.deviceId, d.sequence, r.ts, typeof d.keys === 'string' ? d.keys : '');
      }
    },
  },
  {
    version: 7,
    description: 'key assignments: which communication / storage key a site or a single robot receives',
    up(db) {
      db.exec(KEY_ASSIGNMENTS_SQL);
    },
  },
  {
    version: 8,
    description: "robot key holdings indexed by key, version and robot, so a key's holders page in order without a sort",
    up(db) {
      db.exec('DROP INDEX robot_keys_key; CREATE INDEX robot_keys_key_version_device ON robot_keys (key_id, key_version, device_id);');
    },
  },
  {
    version: 9,
    description: 'locations (provider, backup, fallback, store) a key state change did not reach, kept until a retry reaches them',
    up(db) {
      db.exec(KEY_UNREACHED_SQL);
    },
  },
  {
    version: 10,
    description: 'audit records indexed by (filter, ts, seq) for each filter of the Audit screen and for actor + action, so every page is one index range',
    up(db) {
      db.exec(AUDIT_QUERY_INDEXES_SQL);
    },
  },
  {
    version: 11,
    description: 'rotation: policies per key type and per key, scheduler jobs (one per key version), the scheduler pause flag, usage counters per key version',
    up(db) {
      db.exec(ROTATION_SCHEMA_SQL);
      db.exec(KEY_VERSION_USAGE_SQL);
    },
  },
  {
    version: 12,
    description: 'rotation batch jobs: one row per job (selection, concurrency, retry budget, state) and one per key in it (intent and result)',
    up(db) {
      db.exec(ROTATION_BATCH_SCHEMA_SQL);
    },
  },
  {
    version: 13,
    description: 'rollouts of new key versions to robots in waves (one row per rollout, one per robot in it), rollout policies, retired key versions, robots flagged "needs a visit"',
    up(db) {
      db.exec(ROLLOUT_SCHEMA_SQL);
    },
  },
  {
    version: 14,
    description: 'metrics buckets per series, label and resolution (minute, hour, day; histograms for latencies) and alerts with their acknowledgement',
    up(db) {
      db.exec(METRICS_SCHEMA_SQL);
    },
  },
  {
    version: 15,
    description:
      "operators (issue 14): one key slot, role and unlock throttle per operator; an existing store's single wrapped master key becomes the slot of the operator who next unlocks it (session.ts), so no row is changed here",
    up(db) {
      db.exec(OPERATORS_SCHEMA_SQL);
    },
  },
  {
    version: 16,
    description: 'lockdown orders: one row per order signed with the emergency key (one sequence for lockdowns and lifts)',
    up(db) {
      db.exec(LOCKDOWN_SCHEMA_SQL);
    },
  },
  {
    version: 17,
    description: "emergency response: robots' tags indexed one row per tag (filled from robots.tags), playbook runs and their actions' progress",
    up(db) {
      db.exec(EMERGENCY_SCHEMA_SQL);
      backfillRobotTags(db);
    },
  },
  {
    version: 18,
    description: "operators' second factor (issue 14): TOTP secrets sealed under the master key with the last accepted time step, and console settings (the idle lock's time)",
    up(db) {
      db.exec(OPERATOR_FACTORS_SCHEMA_SQL);
    },
  },
  {
    version: 19,
    description: 'two-person control (issue 14): approval policies per action, requests binding a channel and the hash of its input, one approval per operator, operators\' approval public keys',
    up(db) {
      db.exec(APPROVALS_SCHEMA_SQL);
    },
  },
  {
    version: 20,
    description: 'recovery share sets (issue 14): custodians, k, n and a hash commitment per share of the master key; never the shares',
    up(db) {
      db.exec(RECOVERY_SCHEMA_SQL);
    },
  },
  {
    version: 21,
    description: 'incident kits (issue 15): one row per kit exported for offline response, so each is imported once',
    up(db) {
      db.exec(INCIDENT_KIT_SCHEMA_SQL);
    },
  },
  {
    version: 22,
    description: 'replacing and revoking the fleet CA (issue 14): a retired or compromised CA, robots flagged as needing a certificate from the current CA',
    up(db) {
      db.exec(CA_TRANSITIONS_SCHEMA_SQL);
    },
  },
  {
    version: 23,
    description: 'delivery of lockdown orders and the CRL to robots (issue 15): order files, robots\' answers, published CRLs',
    up(db) {
      db.exec(ORDER_DELIVERY_SCHEMA_SQL);
    },
  },
  {
    version: 26,
    description: 'the field link (issues 13 and 15): when each robot was last seen over the network link, from where, and how its last poll ended',
    up(db) {
      db.exec(FIELD_CONTACTS_SCHEMA_SQL);
    },
  },
  {
    version: 29,
    description: 'reinstating a retired key version (issue 13): a retired version no longer decrypts; an officer may reinstate it for a while',
    up(db) {
      db.exec(REINSTATEMENT_SCHEMA_SQL);
    },
  },
  {
    version: 33,
    description: 'recovery codes for a lost authenticator or token (issue 14): single-use codes per operator, stored as slow hashes',
    up(db) {
      db.exec(RECOVERY_CODES_SCHEMA_SQL);
    },
  },
  {
    version: 37,
    description: 'the CRLs of retired and compromised CAs delivered to robots (issue 15): each CRL answer names its CA',
    up(db) {
      db.exec(CRL_DELIVERY_CA_SQL);
    },
  },
  {
    version: 38,
    description: 'the CAs endorsed to each robot (issue 15): a robot that learnt a CA by endorsement hears its CRL once it is retired or compromised',
    up(db) {
      db.exec(ROBOT_CA_ENDORSEMENTS_SQL);
      backfillCaEndorsements(db);
    },
  },
  {
    version: 39,
    description: 'the provider key material each key version names (issue 13): AWS KMS versions are mapped by KeyMaterialId, not by position',
    up(db) {
      db.exec(KEY_VERSION_MATERIALS_SQL);
    },
  },
  {
    version: 40,
    description: 'revoked approval keys (issue 14): a key an admin removed or its operator replaced never approves again, even enrolled anew',
    up(db) {
      db.exec(APPROVAL_KEYS_REVOKED_SQL);
    },
  },
  {
    version: 41,
    description: 'certificate bodies (the CA\'s DER, the registry\'s PEM) in side tables, so a revocation rewrites only small rows (issue 15)',
    up(db) {
      db.exec(CERTIFICATE_BODIES_SQL);
      // Every body moves with its row's key; then the columns go (SQLite 3.35+ and PostgreSQL: ALTER TABLE DROP COLUMN).
      db.exec('INSERT INTO fleet_certificate_ders (ca_id, serial, cert_der) SELECT ca_id, serial, cert_der FROM fleet_certificates');
      db.exec('INSERT INTO robot_certificate_pems (serial, pem) SELECT serial, pem FROM robot_certificates');
      db.exec('ALTER TABLE fleet_certificates DROP COLUMN cert_der');
      db.exec('ALTER TABLE robot_certificates DROP COLUMN pem');
    },
  },
  {
    version: 42,
    description: 'the registry copies\' expiry index holds active copies only (issue 15): a revocation drops a copy\'s entry instead of moving it',
    up(db) {
      db.exec(ACTIVE_COPY_EXPIRY_SQL);
    },
  },
  {
    version: 43,
    description: 'the retired fleet CAs\' cross-certificates for later CAs (issue 15): the field link sends them so robots trusting only a retired CA reach it',
    up(db) {
      db.exec(CA_CROSS_CERTIFICATES_SQL);
    },
  },
];

/**
 * The registry copies' expiry index, active copies only (a partial index: SQLite 3.8+ and PostgreSQL alike). Its one
 * reader asks for active copies by expiry (fleetRepo.ts expiringCertificates); an index over every copy keyed by
 * (status, not_after) moved each revoked copy's entry from the 'active' range to the 'revoked' one, rewriting index
 * pages at both ends (10,000 revoked in an emergency run: ~110 of the transaction's ~1,040 WAL pages,
 * docs/benchmarks.md). Now the revoked copy's entry is deleted and nothing is inserted. What each copy's status is
 * does not change.
 */
export const ACTIVE_COPY_EXPIRY_SQL = `
DROP INDEX robot_certificates_expiry;
CREATE INDEX robot_certificates_active_expiry ON robot_certificates (not_after) WHERE status = 'active';
`;

/**
 * The certificates' bodies, one row per certificate, written once at issue and never changed: a revocation rewrites the
 * rows of fleet_certificates and robot_certificates (revoked_at, status), and with the bodies in those rows each changed
 * row rewrote a page of ~5 certificates (10,000 revoked: ~6 MB of WAL written, checkpointed and fsynced).
 */
export const CERTIFICATE_BODIES_SQL = `
CREATE TABLE fleet_certificate_ders (
  ca_id VARCHAR(36) NOT NULL,
  serial VARCHAR(40) NOT NULL,
  cert_der BLOB NOT NULL,
  PRIMARY KEY (ca_id, serial),
  FOREIGN KEY (ca_id, serial) REFERENCES fleet_certificates (ca_id, serial)
);
CREATE TABLE robot_certificate_pems (
  serial VARCHAR(64) PRIMARY KEY REFERENCES robot_certificates (serial),
  pem TEXT NOT NULL
);
`;

/** One row per bundle issued to a robot; (device_id, sequence) is unique, so a sequence number is never reused. */
export const KEY_BUNDLES_SQL = `
CREATE TABLE key_bundles (
  device_id VARCHAR(64) NOT NULL REFERENCES robots (device_id),
  sequence INTEGER NOT NULL,
  bundle_id VARCHAR(32),
  issued_at VARCHAR(40) NOT NULL,
  delivery VARCHAR(8) NOT NULL CHECK (delivery IN ('file', 'serial')),
  state VARCHAR(10) NOT NULL CHECK (state IN ('issuing', 'issued', 'installed', 'failed')),
  key_versions VARCHAR(2000) NOT NULL,
  error_code VARCHAR(64),
  PRIMARY KEY (device_id, sequence)
);
CREATE INDEX key_bundles_issued ON key_bundles (issued_at);
`;

/** Robot-level rows override site-level rows; without either, the newest active key of the type is delivered. */
const KEY_ASSIGNMENTS_SQL = `
CREATE TABLE key_assignments (
  scope VARCHAR(8) NOT NULL CHECK (scope IN ('robot', 'site')),
  scope_id VARCHAR(64) NOT NULL,
  key_type VARCHAR(16) NOT NULL CHECK (key_type IN ('communication', 'storage')),
  key_id VARCHAR(36) NOT NULL REFERENCES keys (id),
  assigned_at VARCHAR(40) NOT NULL,
  assigned_by VARCHAR(128) NOT NULL,
  PRIMARY KEY (scope, scope_id, key_type)
);
CREATE INDEX key_assignments_key ON key_assignments (key_id);
`;

export const LATEST_SCHEMA_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);
