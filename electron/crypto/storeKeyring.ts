// The unlocked store's keys: the master key and the sub-keys derived from it, and the key-version material unwrapped
// under them (materialCache.ts). Held only while the session is unlocked; destroy() zeroes every buffer, the cached
// material included. Wrapping binds store id, key id, version and algorithm as GCM AAD, so a wrapped value copied onto
// another row (or another store) does not unwrap.
import crypto from 'node:crypto';
import type { KeyAlgorithm } from '../../shared/domain.ts';
import type { KdfParams } from '../store/storeMetaRepo.ts';
import { deriveSubkey, open, seal } from './aead.ts';
import { createMaterialCache, type MaterialCacheStats } from './materialCache.ts';

export interface StoreKeyring {
  readonly storeId: string;
  wrapMaterial(keyId: string, version: number, algorithm: KeyAlgorithm, material: Buffer): Buffer;
  /** Null when the stored value was modified or belongs elsewhere. Uncached: the caller owns (and zeroes) the result. */
  unwrapMaterial(keyId: string, version: number, algorithm: KeyAlgorithm, wrapped: Buffer): Buffer | null;
  /**
   * Lends the unwrapped material to `use` (null when the stored value was modified or belongs elsewhere), from the
   * material cache while unlocked. `use` runs synchronously and neither keeps nor zeroes the buffer.
   */
  withMaterial<T>(keyId: string, version: number, algorithm: KeyAlgorithm, wrapped: Buffer, use: (material: Buffer | null) => T): T;
  /** Zeroes the key's cached material (its state changed, it rotated, a version was destroyed). */
  forgetMaterial(keyId: string): void;
  /** What the material cache holds (ids and counts only). */
  materialCacheStats(): MaterialCacheStats;
  wrapAuditKey(pkcs8: Buffer): Buffer;
  unwrapAuditKey(wrapped: Buffer): Buffer | null;
  /** Authenticates the stored audit public key under the master key. */
  macAuditPublicKey(spki: Buffer): Buffer;
  /** Wraps the master key under a passphrase-derived key (change passphrase). */
  /** The master key sealed under kek; the AAD is the store's single wrapping's unless given (an operator's key slot). */
  sealMaster(kek: Buffer, kdf: KdfParams, aad?: Buffer): Buffer;
  /** A copy of the master key, for splitting it into recovery shares; the caller zeroes it. */
  exportMaster(): Buffer;
  destroy(): void;
}

export function masterAad(storeId: string, kdf: KdfParams): Buffer {
  return Buffer.from(`ecps/master/v1|${storeId}|N=${kdf.N},r=${kdf.r},p=${kdf.p}`, 'utf8');
}

const materialAad = (storeId: string, keyId: string, version: number, algorithm: KeyAlgorithm) =>
  Buffer.from(`ecps/key-material/v1|${storeId}|${keyId}|${version}|${algorithm}`, 'utf8');

export interface StoreKeyringOptions {
  /** Bound of the material cache (key versions); default DEFAULT_MATERIAL_CACHE_ENTRIES. */
  materialCacheEntries?: number;
}

export function createStoreKeyring(master: Buffer, storeId: string, options: StoreKeyringOptions = {}): StoreKeyring {
  const masterCopy = Buffer.from(master);
  const cache = createMaterialCache(options.materialCacheEntries);
  const materialKey = deriveSubkey(masterCopy, 'ecps/store/v1/key-material');
  const auditWrapKey = deriveSubkey(masterCopy, 'ecps/store/v1/audit-private');
  const auditMacKey = deriveSubkey(masterCopy, 'ecps/store/v1/audit-public');
  const auditAad = Buffer.from(`ecps/audit-key/v1|${storeId}`, 'utf8');
  let destroyed = false;
  const live = () => {
    if (destroyed) throw new Error('store keyring used after lock');
  };
  return {
    storeId,
    wrapMaterial(keyId, version, algorithm, material) {
      live();
      return seal(materialKey, material, materialAad(storeId, keyId, version, algorithm));
    },
    unwrapMaterial(keyId, version, algorithm, wrapped) {
      live();
      return open(materialKey, wrapped, materialAad(storeId, keyId, version, algorithm));
    },
    withMaterial(keyId, version, algorithm, wrapped, use) {
      live();
      return cache.lend(keyId, version, algorithm, wrapped, () => open(materialKey, wrapped, materialAad(storeId, keyId, version, algorithm)), use);
    },
    forgetMaterial(keyId) {
      cache.forget(keyId);
    },
    materialCacheStats: () => cache.stats(),
    wrapAuditKey(pkcs8) {
      live();
      return seal(auditWrapKey, pkcs8, auditAad);
    },
    unwrapAuditKey(wrapped) {
      live();
      return open(auditWrapKey, wrapped, auditAad);
    },
    macAuditPublicKey(spki) {
      live();
      return crypto.createHmac('sha256', auditMacKey).update(auditAad).update(spki).digest();
    },
    sealMaster(kek, kdf, aad) {
      live();
      return seal(kek, masterCopy, aad ?? masterAad(storeId, kdf));
    },
    exportMaster() {
      live();
      return Buffer.from(masterCopy);
    },
    destroy() {
      destroyed = true;
      cache.clear();
      for (const b of [masterCopy, materialKey, auditWrapKey, auditMacKey]) b.fill(0);
    },
  };
}
