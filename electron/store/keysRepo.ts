// Repository for keys and their versions. Wrapped material is opaque bytes here; this file knows no crypto.
import type { KeyAlgorithm, KeyState, KeyType, ProviderId } from '../../shared/domain.ts';
import type { Db } from './database.ts';

/** Provider id of the internal local KMS provider that holds the offline fallback keys (keys.fallback_key_ref). */
export const FALLBACK_PROVIDER_ID = 'local-kms';

export interface KeyRow {
  id: string;
  label: string;
  type: KeyType;
  algorithm: KeyAlgorithm;
  state: KeyState;
  stateReason: string | null;
  provider: ProviderId;
  currentVersion: number;
  createdAt: string;
  updatedAt: string;
  rotationSeconds: number | null;
  nextRotationAt: string | null;
  /** The provider's reference of the key whose versions live there (null for keys held in the local store). */
  providerKeyRef: string | null;
  /** A second provider that also wraps every data key, and its key reference. */
  backupProvider: ProviderId | null;
  backupKeyRef: string | null;
  /** The local provider key that wraps data keys in degraded (offline_mode) encryption, created on first need. */
  fallbackKeyRef: string | null;
}

export interface KeyVersionRow {
  keyId: string;
  version: number;
  createdAt: string;
  checkValue: string;
  publicSpki: Buffer | null;
  wrappedMaterial: Buffer | null;
  destroyed: boolean;
  /** Where this version lives: null = its material is in this store; else the provider id. */
  provider?: ProviderId | null;
  /** The provider's own version number for it (AWS: 1 + rotations; Vault: key version). */
  providerVersion?: number | null;
}

/** A place holding a copy of a key: its provider, its backup provider, its offline fallback, or this store. */
export type KeyLocationRole = 'primary' | 'backup' | 'fallback' | 'store';
export type KeyLocationAction = 'enable' | 'disable' | 'scheduleDestruction';

/** A location a state change could not reach: what it still needs, and why the last attempt failed. */
export interface UnreachedLocationRow {
  keyId: string;
  role: KeyLocationRole;
  provider: ProviderId;
  keyRef: string;
  action: KeyLocationAction;
  /** The console state the action belongs to. */
  forState: KeyState;
  code: string;
  message: string;
  attemptedAt: string;
}

/** DDL of migration 9: the locations a key's last state change did not reach (retried by setting that state again). */
export const KEY_UNREACHED_SQL = `
CREATE TABLE key_unreached_locations (
  key_id VARCHAR(36) NOT NULL REFERENCES keys (id),
  role VARCHAR(16) NOT NULL,
  provider VARCHAR(32) NOT NULL,
  key_ref VARCHAR(2048) NOT NULL,
  action VARCHAR(24) NOT NULL,
  for_state VARCHAR(16) NOT NULL,
  code VARCHAR(64) NOT NULL,
  message VARCHAR(500) NOT NULL,
  attempted_at VARCHAR(40) NOT NULL,
  PRIMARY KEY (key_id, role)
);
`;

export interface KeyFilter {
  type?: KeyType;
  state?: KeyState;
}

export interface KeysRepo {
  insertKey(row: KeyRow): void;
  insertVersion(row: KeyVersionRow): void;
  get(id: string): KeyRow | null;
  list(filter: KeyFilter): KeyRow[];
  getVersion(id: string, version: number): KeyVersionRow | null;
  listVersions(id: string): KeyVersionRow[];
  updateState(id: string, state: KeyState, reason: string | null, updatedAt: string, nextRotationAt: string | null): void;
  setCurrentVersion(id: string, version: number, updatedAt: string, nextRotationAt: string | null): void;
  /** The next rotation shown for the key (the rotation scheduler keeps it at its due time). */
  setNextRotation(id: string, nextRotationAt: string | null): void;
  /** Overwrites then removes the wrapped material of every version of the key; metadata stays. */
  destroyMaterial(id: string): void;
  /** The key whose primary, backup or fallback reference at `provider` is `keyRef`. */
  findByProviderRef(provider: ProviderId, keyRef: string): KeyRow | null;
  /** Moves the key's new versions to a provider (migration) and records where it lives. */
  setProvider(id: string, provider: ProviderId, providerKeyRef: string, updatedAt: string): void;
  setFallbackKeyRef(id: string, keyRef: string): void;
  /** How many keys (not destroyed) name the provider as primary or backup. */
  countUsingProvider(provider: ProviderId): number;
  /** The locations the key's last state change did not reach (role order). */
  listUnreached(id: string): UnreachedLocationRow[];
  /** Replaces the key's unreached locations with `rows` (empty: everything was reached). */
  replaceUnreached(id: string, rows: UnreachedLocationRow[]): void;
}

interface RawKey {
  id: string;
  label: string;
  key_type: KeyType;
  algorithm: KeyAlgorithm;
  state: KeyState;
  state_reason: string | null;
  provider: ProviderId;
  current_version: number;
  created_at: string;
  updated_at: string;
  rotation_seconds: number | null;
  next_rotation_at: string | null;
  provider_key_ref: string | null;
  backup_provider: string | null;
  backup_key_ref: string | null;
  fallback_key_ref: string | null;
}

interface RawVersion {
  key_id: string;
  version: number;
  created_at: string;
  check_value: string;
  public_spki: Buffer | null;
  wrapped_material: Buffer | null;
  destroyed: number;
  provider: string | null;
  provider_version: number | null;
}

const toKey = (r: RawKey): KeyRow => ({
  id: r.id,
  label: r.label,
  type: r.key_type,
  algorithm: r.algorithm,
  state: r.state,
  stateReason: r.state_reason,
  provider: r.provider,
  currentVersion: r.current_version,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  rotationSeconds: r.rotation_seconds,
  nextRotationAt: r.next_rotation_at,
  providerKeyRef: r.provider_key_ref,
  backupProvider: r.backup_provider,
  backupKeyRef: r.backup_key_ref,
  fallbackKeyRef: r.fallback_key_ref,
});

const toVersion = (r: RawVersion): KeyVersionRow => ({
  keyId: r.key_id,
  version: r.version,
  createdAt: r.created_at,
  checkValue: r.check_value,
  publicSpki: r.public_spki,
  wrappedMaterial: r.wrapped_material,
  destroyed: r.destroyed === 1,
  provider: r.provider,
  providerVersion: r.provider_version,
});

export function createKeysRepo(db: Db): KeysRepo {
  const insertKey = db.prepare(
    `INSERT INTO keys (id, label, key_type, algorithm, state, state_reason, provider, current_version, created_at, updated_at,
       rotation_seconds, next_rotation_at, provider_key_ref, backup_provider, backup_key_ref, fallback_key_ref)
     VALUES (@id, @label, @type, @algorithm, @state, @stateReason, @provider, @currentVersion, @createdAt, @updatedAt,
       @rotationSeconds, @nextRotationAt, @providerKeyRef, @backupProvider, @backupKeyRef, @fallbackKeyRef)`,
  );
  const insertVersion = db.prepare(
    `INSERT INTO key_versions (key_id, version, created_at, check_value, public_spki, wrapped_material, destroyed, provider, provider_version)
     VALUES (@keyId, @version, @createdAt, @checkValue, @publicSpki, @wrappedMaterial, @destroyed, @provider, @providerVersion)`,
  );
  const getKey = db.prepare('SELECT * FROM keys WHERE id = ?');
  const listAll = db.prepare('SELECT * FROM keys ORDER BY created_at, id');
  const getVersion = db.prepare('SELECT * FROM key_versions WHERE key_id = ? AND version = ?');
  const listVersions = db.prepare('SELECT * FROM key_versions WHERE key_id = ? ORDER BY version');
  const updateState = db.prepare('UPDATE keys SET state = ?, state_reason = ?, updated_at = ?, next_rotation_at = ? WHERE id = ?');
  const setCurrent = db.prepare('UPDATE keys SET current_version = ?, updated_at = ?, next_rotation_at = ? WHERE id = ?');
  const setNext = db.prepare('UPDATE keys SET next_rotation_at = ? WHERE id = ?');
  const materialSizes = db.prepare('SELECT version, length(wrapped_material) AS n FROM key_versions WHERE key_id = ? AND wrapped_material IS NOT NULL');
  const overwrite = db.prepare('UPDATE key_versions SET wrapped_material = ? WHERE key_id = ? AND version = ?');
  const removeMaterial = db.prepare('UPDATE key_versions SET wrapped_material = NULL, destroyed = 1 WHERE key_id = ?');
  const byRef = db.prepare(
    `SELECT * FROM keys WHERE (provider = @p AND provider_key_ref = @r) OR (backup_provider = @p AND backup_key_ref = @r)
       OR (@p = @fallback AND fallback_key_ref = @r) ORDER BY created_at LIMIT 1`,
  );
  const setProvider = db.prepare('UPDATE keys SET provider = ?, provider_key_ref = ?, updated_at = ? WHERE id = ?');
  const setFallback = db.prepare('UPDATE keys SET fallback_key_ref = ? WHERE id = ?');
  const countUsing = db.prepare(`SELECT count(*) AS n FROM keys WHERE state <> 'destroyed' AND (provider = ? OR backup_provider = ?)`);
  const listUnreached = db.prepare(
    `SELECT key_id AS keyId, role, provider, key_ref AS keyRef, action, for_state AS forState, code, message, attempted_at AS attemptedAt
       FROM key_unreached_locations WHERE key_id = ?`,
  );
  const clearUnreached = db.prepare('DELETE FROM key_unreached_locations WHERE key_id = ?');
  const insertUnreached = db.prepare(
    `INSERT INTO key_unreached_locations (key_id, role, provider, key_ref, action, for_state, code, message, attempted_at)
     VALUES (@keyId, @role, @provider, @keyRef, @action, @forState, @code, @message, @attemptedAt)`,
  );
  const ROLE_ORDER: readonly KeyLocationRole[] = ['primary', 'backup', 'fallback', 'store'];

  return {
    insertKey(row) {
      insertKey.run(row);
    },
    insertVersion(row) {
      insertVersion.run({ ...row, destroyed: row.destroyed ? 1 : 0, provider: row.provider ?? null, providerVersion: row.providerVersion ?? null });
    },
    get(id) {
      const r = getKey.get(id) as RawKey | undefined;
      return r ? toKey(r) : null;
    },
    list(filter) {
      return (listAll.all() as RawKey[])
        .map(toKey)
        .filter((k) => (filter.type === undefined || k.type === filter.type) && (filter.state === undefined || k.state === filter.state));
    },
    getVersion(id, version) {
      const r = getVersion.get(id, version) as RawVersion | undefined;
      return r ? toVersion(r) : null;
    },
    listVersions(id) {
      return (listVersions.all(id) as RawVersion[]).map(toVersion);
    },
    updateState(id, state, reason, updatedAt, nextRotationAt) {
      updateState.run(state, reason, updatedAt, nextRotationAt, id);
    },
    setCurrentVersion(id, version, updatedAt, nextRotationAt) {
      setCurrent.run(version, updatedAt, nextRotationAt, id);
    },
    setNextRotation(id, nextRotationAt) {
      setNext.run(nextRotationAt, id);
    },
    destroyMaterial(id) {
      // Overwrite in place first (with secure_delete the freed pages are zeroed as well), then drop the value.
      for (const { version, n } of materialSizes.all(id) as Array<{ version: number; n: number }>) {
        overwrite.run(Buffer.alloc(n), id, version);
      }
      removeMaterial.run(id);
    },
    findByProviderRef(provider, keyRef) {
      const r = byRef.get({ p: provider, r: keyRef, fallback: FALLBACK_PROVIDER_ID }) as RawKey | undefined;
      return r ? toKey(r) : null;
    },
    setProvider(id, provider, providerKeyRef, updatedAt) {
      setProvider.run(provider, providerKeyRef, updatedAt, id);
    },
    setFallbackKeyRef(id, keyRef) {
      setFallback.run(keyRef, id);
    },
    countUsingProvider(provider) {
      return (countUsing.get(provider, provider) as { n: number }).n;
    },
    listUnreached(id) {
      return (listUnreached.all(id) as UnreachedLocationRow[]).sort((a, b) => ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role));
    },
    replaceUnreached(id, rows) {
      clearUnreached.run(id);
      for (const r of rows) insertUnreached.run({ ...r, keyId: id, message: r.message.slice(0, 500) });
    },
  };
}
