// The unlocked store's keys: the master key and the sub-keys derived from it. Held only while the session is
// unlocked; destroy() zeroes every buffer. Wrapping binds store id, key id, version and algorithm as GCM AAD, so a
// wrapped value copied onto another row (or another store) does not unwrap.
import crypto from 'node:crypto';
import type { KeyAlgorithm } from '../../shared/domain.ts';
import type { KdfParams } from '../store/storeMetaRepo.ts';
import { deriveSubkey, open, seal } from './aead.ts';

export interface StoreKeyring {
  readonly storeId: string;
  wrapMaterial(keyId: string, version: number, algorithm: KeyAlgorithm, material: Buffer): Buffer;
  /** Null when the stored value was modified or belongs elsewhere. */
  unwrapMaterial(keyId: string, version: number, algorithm: KeyAlgorithm, wrapped: Buffer): Buffer | null;
  wrapAuditKey(pkcs8: Buffer): Buffer;
  unwrapAuditKey(wrapped: Buffer): Buffer | null;
  /** Authenticates the stored audit public key under the master key. */
  macAuditPublicKey(spki: Buffer): Buffer;
  /** Wraps the master key under a passphrase-derived key (change passphrase). */
  sealMaster(kek: Buffer, kdf: KdfParams): Buffer;
  destroy(): void;
}

export function masterAad(storeId: string, kdf: KdfParams): Buffer {
  return Buffer.from(`ecps/master/v1|${storeId}|N=${kdf.N},r=${kdf.r},p=${kdf.p}`, 'utf8');
}

const materialAad = (storeId: string, keyId: string, version: number, algorithm: KeyAlgorithm) =>
  Buffer.from(`ecps/key-material/v1|${storeId}|${keyId}|${version}|${algorithm}`, 'utf8');

export function createStoreKeyring(master: Buffer, storeId: string): StoreKeyring {
  const masterCopy = Buffer.from(master);
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
    sealMaster(kek, kdf) {
      live();
      return seal(kek, masterCopy, masterAad(storeId, kdf));
    },
    destroy() {
      destroyed = true;
      for (const b of [masterCopy, materialKey, auditWrapKey, auditMacKey]) b.fill(0);
    },
  };
}
