// The keys:* channel handlers: decode base64 inputs, call the key services, encode outputs. Inputs arrive parsed.
// Keys held in the local store go to the synchronous key services; KMS-backed keys (and envelopes without a local
// store entry) go to the provider-backed services.
import type { Handlers } from '../../../shared/contract.ts';
import { LOCAL_PROVIDER_ID } from '../../../shared/domain.ts';
import { ConsoleError } from '../../../shared/errors.ts';
import { parseEnvelope } from '../../crypto/envelope.ts';
import type { KeyCrypto } from './keysCrypto.ts';
import type { KmsKeyLifecycle } from './keysKms.ts';
import type { KmsKeyCrypto } from './keysKmsCrypto.ts';
import type { KeyLifecycle } from './keys.ts';
import type { KeyPlacer } from './keyPlacement.ts';

export interface KmsKeyServices {
  lifecycle: KmsKeyLifecycle;
  crypto: KmsKeyCrypto;
  /** True when the key's current version lives in a provider (unknown keys: false, the local path reports them). */
  isKmsBacked(keyId: string): boolean;
  /** Where keys:create puts a key that names no provider (the storage provider when use_kms_for_storage is true). */
  placement: KeyPlacer;
}

/** True when the ciphertext has a recipient in this store's own key table (else its recipients are provider keys). */
function hasLocalEntry(ciphertext: Buffer): boolean {
  try {
    return parseEnvelope(ciphertext).entries.some((e) => e.provider === LOCAL_PROVIDER_ID);
  } catch {
    return true; // the local path reports (and audits) the malformed ciphertext
  }
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

export function createKeyHandlers(lifecycle: KeyLifecycle, ops: KeyCrypto, kms: KmsKeyServices): KeyChannels {
  return {
    'keys:list': async (input) => ({ keys: lifecycle.list(input) }),
    'keys:get': async ({ keyId }) => lifecycle.get(keyId),
    'keys:create': async ({ provider, backupProvider, ...input }) => {
      const placed = provider === undefined ? kms.placement.place() : { provider, refusedEnvironment: null };
      const target = placed.provider;
      if (target === LOCAL_PROVIDER_ID) {
        if (backupProvider !== undefined) {
          throw new ConsoleError('invalid_input', 'A key held in the local store takes no backup provider; use keys:backup to back it up.', { field: 'backupProvider' });
        }
        const created = lifecycle.create(input);
        if (placed.refusedEnvironment) kms.placement.recordLocalFallback(created.id, placed.refusedEnvironment);
        return created;
      }
      return kms.lifecycle.create({ ...input, provider: target, ...(backupProvider === undefined ? {} : { backupProvider }) });
    },
    'keys:rotate': async ({ keyId }) => (kms.isKmsBacked(keyId) ? kms.lifecycle.rotate(keyId) : lifecycle.rotate(keyId)),
    'keys:setState': async ({ keyId, state, reason }) =>
      kms.isKmsBacked(keyId) ? kms.lifecycle.setState(keyId, state, reason) : lifecycle.setState(keyId, state, reason),
    'keys:encrypt': async ({ keyId, plaintext, aad }) => {
      const data = fromB64(plaintext);
      try {
        const r = kms.isKmsBacked(keyId) ? await kms.crypto.encrypt(keyId, data, fromB64(aad)) : ops.encrypt(keyId, data, fromB64(aad));
        return { ciphertext: r.ciphertext.toString('base64'), keyId: r.keyId, version: r.version };
      } finally {
        data.fill(0);
      }
    },
    'keys:decrypt': async ({ ciphertext, aad }) => {
      const buf = fromB64(ciphertext);
      const r = hasLocalEntry(buf) ? ops.decrypt(buf, fromB64(aad)) : await kms.crypto.decrypt(buf, fromB64(aad));
      return { plaintext: toB64AndZero(r.plaintext), keyId: r.keyId, version: r.version };
    },
    'keys:sign': async ({ keyId, data }) => {
      const r = kms.isKmsBacked(keyId) ? await kms.lifecycle.sign(keyId, fromB64(data)) : ops.sign(keyId, fromB64(data));
      return { signature: r.signature.toString('base64'), keyId: r.keyId, version: r.version, algorithm: r.algorithm };
    },
    'keys:verify': async ({ keyId, data, signature, version }) => ({
      valid: kms.isKmsBacked(keyId)
        ? await kms.lifecycle.verify(keyId, fromB64(data), fromB64(signature), version)
        : ops.verify(keyId, fromB64(data), fromB64(signature), version),
    }),
    'keys:publicKey': async ({ keyId, version }) => (kms.isKmsBacked(keyId) ? kms.lifecycle.publicKey(keyId, version) : lifecycle.publicKey(keyId, version)),
    'keys:verifyIntegrity': async ({ keyId }) => (kms.isKmsBacked(keyId) ? kms.lifecycle.verifyIntegrity(keyId) : lifecycle.verifyIntegrity(keyId)),
  };
}
