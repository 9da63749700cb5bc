// DDL of migration 2 (providers issue): the local KMS provider's keys and versions, and the saved provider
// configurations. Kept beside the migration list; never edit it once shipped, add a migration instead.
export const PROVIDER_SCHEMA_SQL = `
CREATE TABLE local_kms_keys (
  key_ref VARCHAR(36) PRIMARY KEY,
  name VARCHAR(64) NOT NULL UNIQUE,
  spec VARCHAR(16) NOT NULL,
  usage VARCHAR(16) NOT NULL,
  state VARCHAR(24) NOT NULL,
  current_version INTEGER NOT NULL,
  description VARCHAR(500),
  created_at VARCHAR(40) NOT NULL,
  deletion_date VARCHAR(40)
);
CREATE INDEX local_kms_keys_order ON local_kms_keys (created_at, key_ref);
CREATE TABLE local_kms_key_versions (
  key_ref VARCHAR(36) NOT NULL REFERENCES local_kms_keys (key_ref),
  version INTEGER NOT NULL,
  created_at VARCHAR(40) NOT NULL,
  check_value VARCHAR(128) NOT NULL,
  public_spki BLOB,
  wrapped_material BLOB,
  PRIMARY KEY (key_ref, version)
);
CREATE TABLE provider_configs (
  id VARCHAR(64) PRIMARY KEY,
  kind VARCHAR(32) NOT NULL,
  settings TEXT NOT NULL,
  secrets_wrapped BLOB,
  secret_names TEXT NOT NULL,
  created_at VARCHAR(40) NOT NULL,
  updated_at VARCHAR(40) NOT NULL
);
`;

import type { Db } from './database.ts';

export type LocalKmsState = 'enabled' | 'disabled' | 'pending_deletion' | 'destroyed';

export interface LocalKmsKeyRow {
  keyRef: string;
  name: string;
  spec: 'AES_256' | 'RSA_2048' | 'EC_P256';
  usage: 'encrypt' | 'sign';
  state: LocalKmsState;
  currentVersion: number;
  description: string | null;
  createdAt: string;
  deletionDate: string | null;
}

export interface LocalKmsVersionRow {
  keyRef: string;
  version: number;
  createdAt: string;
  checkValue: string;
  publicSpki: Buffer | null;
  wrappedMaterial: Buffer | null;
}

/** Repository of the local KMS provider's keys; wrapped material is opaque bytes here. */
export interface LocalKmsRepo {
  insertKey(row: LocalKmsKeyRow): void;
  insertVersion(row: LocalKmsVersionRow): void;
  get(keyRef: string): LocalKmsKeyRow | null;
  getByName(name: string): LocalKmsKeyRow | null;
  /** Keys ordered by (createdAt, keyRef), strictly after the given position. */
  listAfter(after: { createdAt: string; keyRef: string } | null, limit: number): LocalKmsKeyRow[];
  getVersion(keyRef: string, version: number): LocalKmsVersionRow | null;
  setState(keyRef: string, state: LocalKmsState, deletionDate: string | null): void;
  setCurrentVersion(keyRef: string, version: number): void;
  /** Overwrites with zeros, then removes, the wrapped material of every version; metadata stays. */
  eraseMaterial(keyRef: string): void;
  transaction<T>(fn: () => T): T;
}

interface RawLocalKey {
  key_ref: string;
  name: string;
  spec: LocalKmsKeyRow['spec'];
  usage: LocalKmsKeyRow['usage'];
  state: LocalKmsState;
  current_version: number;
  description: string | null;
  created_at: string;
  deletion_date: string | null;
}

interface RawLocalVersion {
  key_ref: string;
  version: number;
  created_at: string;
  check_value: string;
  public_spki: Buffer | null;
  wrapped_material: Buffer | null;
}

const toLocalKey = (r: RawLocalKey): LocalKmsKeyRow => ({
  keyRef: r.key_ref,
  name: r.name,
  spec: r.spec,
  usage: r.usage,
  state: r.state,
  currentVersion: r.current_version,
  description: r.description,
  createdAt: r.created_at,
  deletionDate: r.deletion_date,
});

export function createLocalKmsRepo(db: Db): LocalKmsRepo {
  const insertKey = db.prepare(
    `INSERT INTO local_kms_keys (key_ref, name, spec, usage, state, current_version, description, created_at, deletion_date)
     VALUES (@keyRef, @name, @spec, @usage, @state, @currentVersion, @description, @createdAt, @deletionDate)`,
  );
  const insertVersion = db.prepare(
    `INSERT INTO local_kms_key_versions (key_ref, version, created_at, check_value, public_spki, wrapped_material)
     VALUES (@keyRef, @version, @createdAt, @checkValue, @publicSpki, @wrappedMaterial)`,
  );
  const get = db.prepare('SELECT * FROM local_kms_keys WHERE key_ref = ?');
  const getByName = db.prepare('SELECT * FROM local_kms_keys WHERE name = ?');
  const first = db.prepare('SELECT * FROM local_kms_keys ORDER BY created_at, key_ref LIMIT ?');
  const after = db.prepare(
    'SELECT * FROM local_kms_keys WHERE created_at > ? OR (created_at = ? AND key_ref > ?) ORDER BY created_at, key_ref LIMIT ?',
  );
  const getVersion = db.prepare('SELECT * FROM local_kms_key_versions WHERE key_ref = ? AND version = ?');
  const setState = db.prepare('UPDATE local_kms_keys SET state = ?, deletion_date = ? WHERE key_ref = ?');
  const setCurrent = db.prepare('UPDATE local_kms_keys SET current_version = ? WHERE key_ref = ?');
  const sizes = db.prepare('SELECT version, length(wrapped_material) AS n FROM local_kms_key_versions WHERE key_ref = ? AND wrapped_material IS NOT NULL');
  const overwrite = db.prepare('UPDATE local_kms_key_versions SET wrapped_material = ? WHERE key_ref = ? AND version = ?');
  const drop = db.prepare('UPDATE local_kms_key_versions SET wrapped_material = NULL WHERE key_ref = ?');

  return {
    insertKey: (row) => void insertKey.run(row),
    insertVersion: (row) => void insertVersion.run(row),
    get(keyRef) {
      const r = get.get(keyRef) as RawLocalKey | undefined;
      return r ? toLocalKey(r) : null;
    },
    getByName(name) {
      const r = getByName.get(name) as RawLocalKey | undefined;
      return r ? toLocalKey(r) : null;
    },
    listAfter(pos, limit) {
      const rows = (pos ? after.all(pos.createdAt, pos.createdAt, pos.keyRef, limit) : first.all(limit)) as RawLocalKey[];
      return rows.map(toLocalKey);
    },
    getVersion(keyRef, version) {
      const r = getVersion.get(keyRef, version) as RawLocalVersion | undefined;
      return r
        ? { keyRef: r.key_ref, version: r.version, createdAt: r.created_at, checkValue: r.check_value, publicSpki: r.public_spki, wrappedMaterial: r.wrapped_material }
        : null;
    },
    setState: (keyRef, state, deletionDate) => void setState.run(state, deletionDate, keyRef),
    setCurrentVersion: (keyRef, version) => void setCurrent.run(version, keyRef),
    eraseMaterial(keyRef) {
      // Overwrite in place first (secure_delete zeroes freed pages too), then drop the value.
      for (const { version, n } of sizes.all(keyRef) as Array<{ version: number; n: number }>) overwrite.run(Buffer.alloc(n), keyRef, version);
      drop.run(keyRef);
    },
    transaction: (fn) => db.transaction(fn).immediate(),
  };
}

export interface ProviderConfigRow {
  id: string;
  kind: string;
  /** Non-secret settings, JSON. */
  settings: string;
  /** Secret settings, JSON sealed under the store's master key; null when the configuration has none. */
  secretsWrapped: Buffer | null;
  /** Names of the secret settings that are set (for the redacted view without unlocking). */
  secretNames: string[];
  createdAt: string;
  updatedAt: string;
}

export interface ProviderConfigRepo {
  upsert(row: ProviderConfigRow): void;
  get(id: string): ProviderConfigRow | null;
  list(): ProviderConfigRow[];
  remove(id: string): boolean;
}

interface RawConfig {
  id: string;
  kind: string;
  settings: string;
  secrets_wrapped: Buffer | null;
  secret_names: string;
  created_at: string;
  updated_at: string;
}

const toConfig = (r: RawConfig): ProviderConfigRow => ({
  id: r.id,
  kind: r.kind,
  settings: r.settings,
  secretsWrapped: r.secrets_wrapped,
  secretNames: JSON.parse(r.secret_names) as string[],
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export function createProviderConfigRepo(db: Db): ProviderConfigRepo {
  const upsert = db.prepare(
    `INSERT INTO provider_configs (id, kind, settings, secrets_wrapped, secret_names, created_at, updated_at)
     VALUES (@id, @kind, @settings, @secretsWrapped, @secretNames, @createdAt, @updatedAt)
     ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, settings = excluded.settings, secrets_wrapped = excluded.secrets_wrapped,
       secret_names = excluded.secret_names, updated_at = excluded.updated_at`,
  );
  const get = db.prepare('SELECT * FROM provider_configs WHERE id = ?');
  const list = db.prepare('SELECT * FROM provider_configs ORDER BY id');
  const sizeOf = db.prepare('SELECT length(secrets_wrapped) AS n FROM provider_configs WHERE id = ? AND secrets_wrapped IS NOT NULL');
  const blank = db.prepare('UPDATE provider_configs SET secrets_wrapped = ? WHERE id = ?');
  const remove = db.prepare('DELETE FROM provider_configs WHERE id = ?');
  return {
    upsert: (row) => void upsert.run({ ...row, secretNames: JSON.stringify(row.secretNames) }),
    get(id) {
      const r = get.get(id) as RawConfig | undefined;
      return r ? toConfig(r) : null;
    },
    list: () => (list.all() as RawConfig[]).map(toConfig),
    remove(id) {
      const size = sizeOf.get(id) as { n: number } | undefined;
      if (size) blank.run(Buffer.alloc(size.n), id);
      return remove.run(id).changes > 0;
    },
  };
}
