// The keys:* channel handlers: call the one key lifecycle and crypto service with the parsed inputs. Binary fields
// arrive and leave as bytes (Uint8Array), viewed as Buffers without a copy. Every key, wherever it lives, goes through the same services.
import type { Handlers } from '../../../shared/contract.ts';
import type { KeyCrypto } from './keysCrypto.ts';
import type { KeyLifecycle } from './keys.ts';
import type { KeyPlacer } from './keyPlacement.ts';

export interface KeyHandlerDeps {
  lifecycle: KeyLifecycle;
  crypto: KeyCrypto;
  /** Where keys:create puts a key that names no provider (the storage provider when use_kms_for_storage is true). */
  placement: KeyPlacer;
}

type KeyChannels = Pick<
  Handlers,
  | 'keys:list'
  | 'keys:get'
  | 'keys:create'
  | 'keys:rotate'
  | 'keys:setState'
  | 'keys:encrypt'
  | 'keys:decrypt'
  | 'keys:sign'
  | 'keys:verify'
  | 'keys:publicKey'
  | 'keys:verifyIntegrity'
>;

/** The caller's bytes as a Buffer over the same memory (no copy); absent optional bytes are empty. */
const buf = (b: Uint8Array | undefined) => (b === undefined ? Buffer.alloc(0) : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

export function createKeyHandlers({ lifecycle, crypto, placement }: KeyHandlerDeps): KeyChannels {
  return {
    'keys:list': async (input) => ({ keys: lifecycle.list(input) }),
    'keys:get': async ({ keyId }) => lifecycle.get(keyId),
    'keys:create': async ({ provider, backupProvider, ...input }) => {
      // A key that names no provider goes where placement says; a refused environment provider is never silently local.
      const placed = provider === undefined ? placement.place() : { provider, refusedEnvironment: null };
      const created = await lifecycle.create({ ...input, provider: placed.provider, ...(backupProvider === undefined ? {} : { backupProvider }) });
      if (placed.refusedEnvironment) placement.recordLocalFallback(created.id, placed.refusedEnvironment);
      return created;
    },
    'keys:rotate': ({ keyId }) => lifecycle.rotate(keyId),
    'keys:setState': ({ keyId, state, reason }) => lifecycle.setState(keyId, state, reason),
    'keys:encrypt': async ({ keyId, plaintext, aad }) => {
      const r = await crypto.encrypt(keyId, buf(plaintext), buf(aad));
      return { ciphertext: r.ciphertext, keyId: r.keyId, version: r.version };
    },
    'keys:decrypt': async ({ ciphertext, aad }) => {
      const r = await crypto.decrypt(buf(ciphertext), buf(aad));
      return { plaintext: r.plaintext, keyId: r.keyId, version: r.version };
    },
    'keys:sign': async ({ keyId, data }) => {
      const r = await crypto.sign(keyId, buf(data));
      return { signature: r.signature, keyId: r.keyId, version: r.version, algorithm: r.algorithm };
    },
    'keys:verify': async ({ keyId, data, signature, version }) => ({ valid: await crypto.verify(keyId, buf(data), buf(signature), version) }),
    'keys:publicKey': ({ keyId, version }) => lifecycle.publicKey(keyId, version),
    'keys:verifyIntegrity': ({ keyId }) => lifecycle.verifyIntegrity(keyId),
  };
}
