// Repository of the provider key material each console version of a key names (issue 13, docs/rotation.md "Drift"):
// AWS KMS does not number key versions, it names each material (KeyMaterialId). The console binds a version to the
// material it learnt for it (the first data key generated under the version, or the drift check's adoption), so the
// drift check and decryption map AWS's materials to the console's labels by id, not by position. A version is bound
// once; a material names at most one version of a key (neither is ever re-bound).
import type { Db } from './database.ts';

/** DDL of migration 39. */
export const KEY_VERSION_MATERIALS_SQL = `
CREATE TABLE key_version_materials (
  key_id VARCHAR(36) NOT NULL REFERENCES keys (id),
  version INTEGER NOT NULL,
  provider VARCHAR(64) NOT NULL,
  material_id VARCHAR(128) NOT NULL,
  learnt_from VARCHAR(16) NOT NULL CHECK (learnt_from IN ('data_key', 'drift')),
  learnt_at VARCHAR(40) NOT NULL,
  PRIMARY KEY (key_id, version),
  UNIQUE (key_id, material_id)
);
`;

export interface VersionMaterialRow {
  keyId: string;
  version: number;
  provider: string;
  materialId: string;
  learntFrom: 'data_key' | 'drift';
  learntAt: string;
}

export interface KeyMaterialsRepo {
  /** Binds a version to a material unless either is bound already; true when this call bound it. */
  bind(row: VersionMaterialRow): boolean;
  /** The key's bound versions, oldest first. */
  listForKey(keyId: string): VersionMaterialRow[];
  /** The version bound to a material of a key, or null. */
  versionOf(keyId: string, materialId: string): number | null;
  /** Whether the version is bound (to any material). */
  isBound(keyId: string, version: number): boolean;
}

const COLUMNS = 'key_id AS keyId, version, provider, material_id AS materialId, learnt_from AS learntFrom, learnt_at AS learntAt';

export function createKeyMaterialsRepo(db: Db): KeyMaterialsRepo {
  const insert = db.prepare(
    `INSERT INTO key_version_materials (key_id, version, provider, material_id, learnt_from, learnt_at)
     VALUES (@keyId, @version, @provider, @materialId, @learntFrom, @learntAt) ON CONFLICT DO NOTHING`,
  );
  const list = db.prepare(`SELECT ${COLUMNS} FROM key_version_materials WHERE key_id = ? ORDER BY version`);
  const byMaterial = db.prepare('SELECT version FROM key_version_materials WHERE key_id = ? AND material_id = ?');
  const byVersion = db.prepare('SELECT 1 AS bound FROM key_version_materials WHERE key_id = ? AND version = ?');
  return {
    bind(row) {
      return insert.run(row).changes === 1;
    },
    listForKey(keyId) {
      return (list.all(keyId) as VersionMaterialRow[]).map((r) => ({ ...r, version: Number(r.version) }));
    },
    versionOf(keyId, materialId) {
      const r = byMaterial.get(keyId, materialId) as { version: number } | undefined;
      return r ? Number(r.version) : null;
    },
    isBound(keyId, version) {
      return byVersion.get(keyId, version) !== undefined;
    },
  };
}
