// Key slots (issue 14, docs/operators.md), as LUKS has them: each operator's slot is the master key sealed with
// AES-256-GCM under scrypt(their passphrase, their own salt), the same KDF the store always used. The AAD binds the
// store id, the operator's name and the scrypt parameters, so a slot copied onto another operator's row does not open.
// Inside Electron the sealed slot is encrypted again with the OS keychain when it is available (keychain_bound).
import crypto from 'node:crypto';
import { ConsoleError } from '../../../shared/errors.ts';
import { open, seal } from '../../crypto/aead.ts';
import { deriveKek, SALT_BYTES } from '../../crypto/kdf.ts';
import type { OperatorSlot } from '../../store/operatorsRepo.ts';
import type { KdfParams } from '../../store/storeMetaRepo.ts';

/** OS keychain binding (Electron's safeStorage); absent outside Electron. */
export interface Keychain {
  isAvailable(): boolean;
  encrypt(data: Buffer): Buffer;
  decrypt(data: Buffer): Buffer;
}

export function slotAad(storeId: string, operator: string, kdf: KdfParams): Buffer {
  return Buffer.from(`ecps/master-slot/v1|${storeId}|${operator.normalize('NFC')}|N=${kdf.N},r=${kdf.r},p=${kdf.p}`, 'utf8');
}

export interface SlotCrypto {
  /** Seals the master key (given directly, or through the unlocked keyring) for the operator under their passphrase. */
  make(options: { storeId: string; operator: string; passphrase: string; kdf: KdfParams; seal: (kek: Buffer, aad: Buffer) => Buffer }): Promise<OperatorSlot>;
  /** A slot from a master key already sealed under the key of (salt, kdf) (the legacy wrapping's, when it becomes a slot). */
  slotOf(salt: Buffer, kdf: KdfParams, sealed: Buffer): OperatorSlot;
  /** Derives the operator's key and opens their slot: the master key, or null when the passphrase is wrong. */
  open(slot: OperatorSlot, storeId: string, operator: string, passphrase: string): Promise<Buffer | null>;
  /** The blob as stored, without the keychain layer (throws when the keychain is needed and missing or refuses). */
  unprotect(blob: Buffer, bound: boolean): Buffer;
}

export function createSlotCrypto(keychain: Keychain | undefined, isClosing: () => boolean): SlotCrypto {
  const usable = () => keychain !== undefined && keychain.isAvailable();
  const protect = (sealed: Buffer): { blob: Buffer; bound: boolean } => (usable() ? { blob: keychain!.encrypt(sealed), bound: true } : { blob: sealed, bound: false });
  const closing = () => {
    if (isClosing()) throw new ConsoleError('locked', 'The console is closing.');
  };
  const unprotect = (blob: Buffer, bound: boolean): Buffer => {
    if (!bound) return blob;
    if (!usable()) {
      throw new ConsoleError('provider_unavailable', 'This key store is bound to the OS keychain of the computer that created it, and that keychain is not available here.');
    }
    try {
      return keychain!.decrypt(blob);
    } catch {
      throw new ConsoleError('integrity_failure', 'The OS keychain could not decrypt the stored master key.');
    }
  };
  const slotOf = (salt: Buffer, kdf: KdfParams, sealed: Buffer): OperatorSlot => {
    const { blob, bound } = protect(sealed);
    return { kdf, salt, wrappedMaster: blob, keychainBound: bound };
  };
  return {
    async make({ storeId, operator, passphrase, kdf, seal: sealMaster }) {
      const salt = crypto.randomBytes(SALT_BYTES);
      const kek = await deriveKek(passphrase, salt, kdf);
      try {
        closing();
        return slotOf(salt, kdf, sealMaster(kek, slotAad(storeId, operator, kdf)));
      } finally {
        kek.fill(0);
      }
    },
    slotOf,
    async open(slot, storeId, operator, passphrase) {
      const sealed = unprotect(slot.wrappedMaster, slot.keychainBound);
      const kek = await deriveKek(passphrase, slot.salt, slot.kdf);
      try {
        closing();
        return open(kek, sealed, slotAad(storeId, operator, slot.kdf));
      } finally {
        kek.fill(0);
      }
    },
    unprotect,
  };
}

/** Seals a master key held in a buffer (first run, the legacy store's migration). */
export const sealRaw = (master: Buffer) => (kek: Buffer, aad: Buffer) => seal(kek, master, aad);
