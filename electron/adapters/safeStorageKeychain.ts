// Electron's safeStorage (OS keychain: Keychain, DPAPI, libsecret/kwallet) as the console's Keychain port.
import { safeStorage } from 'electron';
import type { Keychain } from '../services/session/session.ts';

export function safeStorageKeychain(): Keychain {
  return {
    // On Linux without a secret service, safeStorage falls back to a hard-coded key ("basic_text"): not a keychain.
    isAvailable: () => safeStorage.isEncryptionAvailable() && (process.platform !== 'linux' || safeStorage.getSelectedStorageBackend() !== 'basic_text'),
    encrypt: (data) => safeStorage.encryptString(data.toString('base64')),
    decrypt: (data) => Buffer.from(safeStorage.decryptString(data), 'base64'),
  };
}
