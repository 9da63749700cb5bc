// The 'local' provider's envelope recipient: the data key is wrapped with AES-256-GCM under an AES-256 key version
// held (wrapped) in the store.
import { open, seal } from './aead.ts';
import type { Recipient } from './envelope.ts';

export const LOCAL_PROVIDER = 'local';

/** `material` must stay alive until encryptEnvelope returns; the caller zeroes it afterwards. */
export function localRecipient(keyId: string, version: number, material: Buffer): Recipient {
  return {
    provider: LOCAL_PROVIDER,
    keyRef: keyId,
    keyVersion: version,
    wrap: (dataKey, context) => seal(material, dataKey, context),
  };
}

/** Unwraps a data key for a local entry; null when the entry or header was modified. */
export function unwrapLocalDataKey(material: Buffer, wrapped: Buffer, context: Buffer): Buffer | null {
  return open(material, wrapped, context);
}
