// DDL of migration 3 (keys on providers) and the repositories of its new tables: key backups wrapped under a
// provider key (keys:backup) and the console-side "disabled" flags of Vault transit keys (Vault cannot disable keys).
// Never edit this DDL once shipped; add a migration instead.
import type { Db } from './database.ts';

export const KEY_PROVIDER_SCHEMA_SQL = `
ALTER TABLE keys ADD COLUMN provider_key_ref VARCHAR(255);
ALTER TABLE keys ADD COLUMN backup_provider VARCHAR(32);
ALTER TABLE keys ADD COLUMN backup_key_ref VARCHAR(255);
ALTER TABLE keys ADD COLUMN fallback_key_ref VARCHAR(255);
ALTER TABLE key_versions ADD COLUMN provider VARCHAR(32);
ALTER TABLE key_versions ADD COLUMN provider_version INTEGER;
CREATE INDEX keys_provider_ref ON keys (provider, provider_key_ref);
CREATE TABLE key_backups (
  provider VARCHAR(32) NOT NULL,
  key_id VARCHAR(36) NOT NULL REFERENCES keys (id),
  version INTEGER NOT NULL,
  backup_key_ref VARCHAR(255) NOT NULL,
  wrapped BLOB NOT NULL,
  check_value VARCHAR(128) NOT NULL,
  created_at VARCHAR(40) NOT NULL,
  PRIMARY KEY (provider, key_id, version)
);
CREATE TABLE provider_disabled_keys (
  provider VARCHAR(32) NOT NULL,
  key_name VARCHAR(255) NOT NULL,
  PRIMARY KEY (provider, key_name)
);
`;

export interface KeyBackupRow {
  provider: string;
  keyId: string;
  version: number;
  backupKeyRef: string;
  /** The version's material wrapped by the provider (directly, or an envelope when it exceeds the provider's limit). */
  wrapped: Buffer;
  checkValue: string;
  createdAt: string;
}

export interface KeyBackupsRepo {
  upsert(row: KeyBackupRow): void;
  listByProvider(provider: string): KeyBackupRow[];
  countByProvider(provider: string): number;
}

interface RawBackup {
  provider: string;
  key_id: string;
  version: number;
  backup_key_ref: string;
  wrapped: Buffer;
  check_value: string;
  created_at: string;
}

export function createKeyBackupsRepo(db: Db): KeyBackupsRepo {
  const upsert = db.prepare(
    `INSERT INTO key_backups (provider, key_id, version, backup_key_ref, wrapped, check_value, created_at)
     VALUES (@provider, @keyId, @version, @backupKeyRef, @wrapped, @checkValue, @createdAt)
     ON CONFLICT (provider, key_id, version) DO UPDATE SET backup_key_ref = excluded.backup_key_ref, wrapped = excluded.wrapped,
       check_value = excluded.check_value, created_at = excluded.created_at`,
  );
  const list = db.prepare('SELECT * FROM key_backups WHERE provider = ? ORDER BY key_id, version');
  const count = db.prepare('SELECT count(*) AS n FROM key_backups WHERE provider = ?');
  return {
    upsert: (row) => void upsert.run(row),
    listByProvider: (provider) =>
      (list.all(provider) as RawBackup[]).map((r) => ({
        provider: r.provider,
        keyId: r.key_id,
        version: r.version,
        backupKeyRef: r.backup_key_ref,
        wrapped: r.wrapped,
        checkValue: r.check_value,
        createdAt: r.created_at,
      })),
    countByProvider: (provider) => (count.get(provider) as { n: number }).n,
  };
}

/** A persistent set of Vault key names the console treats as disabled, per provider instance. */
export function createDisabledKeySet(db: Db, provider: string) {
  const has = db.prepare('SELECT 1 AS x FROM provider_disabled_keys WHERE provider = ? AND key_name = ?');
  const add = db.prepare('INSERT INTO provider_disabled_keys (provider, key_name) VALUES (?, ?) ON CONFLICT (provider, key_name) DO NOTHING');
  const del = db.prepare('DELETE FROM provider_disabled_keys WHERE provider = ? AND key_name = ?');
  return {
    has: (name: string) => has.get(provider, name) !== undefined,
    add: (name: string) => add.run(provider, name),
    delete: (name: string) => del.run(provider, name),
  };
}
