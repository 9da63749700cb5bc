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
  /** An operator's own secret (their TOTP secret) sealed under a sub-key of the master key, bound to the operator. */
  sealOperatorSecret(operator: string, secret: Buffer): Buffer;
  /** Null when the sealed value was modified or belongs to another operator or store. */
  openOperatorSecret(operator: string, sealed: Buffer): Buffer | null;
  /** The master key sealed under kek; the AAD is the store's single wrapping's unless given (an operator's key slot). */
  sealMaster(kek: Buffer, kdf: KdfParams, aad?: Buffer): Buffer;
  /** An approval request's input, sealed under a sub-key of the master key (docs/two-person-control.md). */
  sealApprovalInput(input: Buffer, aad: Buffer): Buffer;
  /** Null when the stored value was modified or belongs to another request. */
  openApprovalInput(sealed: Buffer, aad: Buffer): Buffer | null;
  /** HMAC-SHA-256 of a secret field of a guarded input, so its hash binds the secret without exposing it to guessing. */
  macApprovalSecret(value: Buffer): Buffer;
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
  const operatorSecretKey = deriveSubkey(masterCopy, 'ecps/store/v1/operator-secret');
  const operatorAad = (operator: string) => Buffer.from(`ecps/operator-secret/v1|${storeId}|${operator.normalize('NFC')}`, 'utf8');
  const auditAad = Buffer.from(`ecps/audit-key/v1|${storeId}`, 'utf8');
  const approvalInputKey = deriveSubkey(masterCopy, 'ecps/store/v1/approval-input');
  const approvalMacKey = deriveSubkey(masterCopy, 'ecps/store/v1/approval-secret-mac');
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
    sealOperatorSecret(operator, secret) {
      live();
      return seal(operatorSecretKey, secret, operatorAad(operator));
    },
    openOperatorSecret(operator, sealed) {
      live();
      return open(operatorSecretKey, sealed, operatorAad(operator));
    },
    sealMaster(kek, kdf, aad) {
      live();
      return seal(kek, masterCopy, aad ?? masterAad(storeId, kdf));
    },
    sealApprovalInput(input, aad) {
      live();
      return seal(approvalInputKey, input, aad);
    },
    openApprovalInput(sealed, aad) {
      live();
      return open(approvalInputKey, sealed, aad);
    },
    macApprovalSecret(value) {
      live();
      return crypto.createHmac('sha256', approvalMacKey).update(value).digest();
    },
    exportMaster() {
      live();
      return Buffer.from(masterCopy);
    },
    destroy() {
      destroyed = true;
      cache.clear();
      for (const b of [masterCopy, materialKey, auditWrapKey, auditMacKey, approvalInputKey, approvalMacKey, operatorSecretKey]) b.fill(0);
    },
  };
}
