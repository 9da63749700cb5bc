// The keys:* channel handlers: decode base64 inputs, call the one key lifecycle and crypto service, encode outputs.
// Inputs arrive parsed. Every key, wherever it lives, goes through the same services.
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

const fromB64 = (s: string | undefined) => (s === undefined ? Buffer.alloc(0) : Buffer.from(s, 'base64'));

/** Encodes then zeroes a secret buffer. */
const toB64AndZero = (b: Buffer) => {
  const s = b.toString('base64');
  b.fill(0);
  return s;
};

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
      const data = fromB64(plaintext);
      try {
        const r = await crypto.encrypt(keyId, data, fromB64(aad));
        return { ciphertext: r.ciphertext.toString('base64'), keyId: r.keyId, version: r.version };
      } finally {
        data.fill(0);
      }
    },
    'keys:decrypt': async ({ ciphertext, aad }) => {
      const r = await crypto.decrypt(fromB64(ciphertext), fromB64(aad));
      return { plaintext: toB64AndZero(r.plaintext), keyId: r.keyId, version: r.version };
    },
    'keys:sign': async ({ keyId, data }) => {
      const r = await crypto.sign(keyId, fromB64(data));
      return { signature: r.signature.toString('base64'), keyId: r.keyId, version: r.version, algorithm: r.algorithm };
    },
    'keys:verify': async ({ keyId, data, signature, version }) => ({ valid: await crypto.verify(keyId, fromB64(data), fromB64(signature), version) }),
    'keys:publicKey': ({ keyId, version }) => lifecycle.publicKey(keyId, version),
    'keys:verifyIntegrity': ({ keyId }) => lifecycle.verifyIntegrity(keyId),
  };
}
