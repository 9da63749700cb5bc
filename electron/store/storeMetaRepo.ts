// Repository for the one-row store metadata (KDF, wrapped master key, audit key) and the persisted unlock throttle.
import type { Db } from './database.ts';

export interface KdfParams {
  N: number;
  r: number;
  p: number;
}

export interface StoreMetaRow {
  storeId: string;
  createdAt: string;
  kdf: KdfParams;
  kdfSalt: Buffer;
  wrappedMaster: Buffer;
  keychainBound: boolean;
  auditPublicSpki: Buffer;
  auditPublicMac: Buffer;
  auditPrivateWrapped: Buffer;
}

export interface ThrottleRow {
  failedAttempts: number;
  lastFailureMs: number | null;
}

interface RawMeta {
  store_id: string;
  created_at: string;
  kdf_params: string;
  kdf_salt: Buffer;
  wrapped_master: Buffer;
  keychain_bound: number;
  audit_public_spki: Buffer;
  audit_public_mac: Buffer;
  audit_private_wrapped: Buffer;
}

export interface StoreMetaRepo {
  get(): StoreMetaRow | null;
  insert(row: StoreMetaRow): void;
  /** Replaces the passphrase wrapping of the master key (change passphrase); key material is not touched. */
  updateMasterWrapping(kdf: KdfParams, salt: Buffer, wrappedMaster: Buffer, keychainBound: boolean): void;
  /**
   * Once the single wrapping of an existing store has become an operator's slot: overwrites it (and its salt) with
   * zeros, then leaves them empty, so the old shared passphrase opens nothing any more.
   */
  clearMasterWrapping(): void;
  getThrottle(): ThrottleRow;
  setThrottle(row: ThrottleRow): void;
}

export function createStoreMetaRepo(db: Db): StoreMetaRepo {
  const select = db.prepare('SELECT * FROM store_meta WHERE id = 1');
  const insert = db.prepare(
    `INSERT INTO store_meta (id, store_id, created_at, kdf_params, kdf_salt, wrapped_master, keychain_bound,
       audit_public_spki, audit_public_mac, audit_private_wrapped)
     VALUES (1, @storeId, @createdAt, @kdf, @kdfSalt, @wrappedMaster, @keychainBound, @auditPublicSpki, @auditPublicMac, @auditPrivateWrapped)`,
  );
  const updateWrap = db.prepare(
    'UPDATE store_meta SET kdf_params = ?, kdf_salt = ?, wrapped_master = ?, keychain_bound = ? WHERE id = 1',
  );
  const clearWrap = db.prepare('UPDATE store_meta SET kdf_salt = ?, wrapped_master = ?, keychain_bound = 0 WHERE id = 1');
  const selectThrottle = db.prepare('SELECT failed_attempts, last_failure_ms FROM unlock_throttle WHERE id = 1');
  const upsertThrottle = db.prepare(
    `INSERT INTO unlock_throttle (id, failed_attempts, last_failure_ms) VALUES (1, ?, ?)
     ON CONFLICT (id) DO UPDATE SET failed_attempts = excluded.failed_attempts, last_failure_ms = excluded.last_failure_ms`,
  );

  return {
    get() {
      const r = select.get() as RawMeta | undefined;
      if (!r) return null;
      return {
        storeId: r.store_id,
        createdAt: r.created_at,
        kdf: JSON.parse(r.kdf_params) as KdfParams,
        kdfSalt: r.kdf_salt,
        wrappedMaster: r.wrapped_master,
        keychainBound: r.keychain_bound === 1,
        auditPublicSpki: r.audit_public_spki,
        auditPublicMac: r.audit_public_mac,
        auditPrivateWrapped: r.audit_private_wrapped,
      };
    },
    insert(row) {
      insert.run({
        storeId: row.storeId,
        createdAt: row.createdAt,
        kdf: JSON.stringify(row.kdf),
        kdfSalt: row.kdfSalt,
        wrappedMaster: row.wrappedMaster,
        keychainBound: row.keychainBound ? 1 : 0,
        auditPublicSpki: row.auditPublicSpki,
        auditPublicMac: row.auditPublicMac,
        auditPrivateWrapped: row.auditPrivateWrapped,
      });
    },
    updateMasterWrapping(kdf, salt, wrappedMaster, keychainBound) {
      updateWrap.run(JSON.stringify(kdf), salt, wrappedMaster, keychainBound ? 1 : 0);
    },
    clearMasterWrapping() {
      const row = select.get() as RawMeta | undefined;
      if (!row) return;
      clearWrap.run(Buffer.alloc(row.kdf_salt.length), Buffer.alloc(row.wrapped_master.length));
      clearWrap.run(Buffer.alloc(0), Buffer.alloc(0));
    },
    getThrottle() {
      const r = selectThrottle.get() as { failed_attempts: number; last_failure_ms: number | null } | undefined;
      return r ? { failedAttempts: r.failed_attempts, lastFailureMs: r.last_failure_ms } : { failedAttempts: 0, lastFailureMs: null };
    },
    setThrottle(row) {
      upsertThrottle.run(row.failedAttempts, row.lastFailureMs);
    },
  };
}
