// The keys:* channel handlers: decode base64 inputs, call the key services, encode outputs. Inputs arrive parsed.
import type { Handlers } from '../../shared/contract.ts';
import type { KeyCrypto } from './keysCrypto.ts';
import type { KeyLifecycle } from './keys.ts';

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

export function createKeyHandlers(lifecycle: KeyLifecycle, ops: KeyCrypto): KeyChannels {
  return {
    'keys:list': async (input) => ({ keys: lifecycle.list(input) }),
    'keys:get': async ({ keyId }) => lifecycle.get(keyId),
    'keys:create': async (input) => lifecycle.create(input),
    'keys:rotate': async ({ keyId }) => lifecycle.rotate(keyId),
    'keys:setState': async ({ keyId, state, reason }) => lifecycle.setState(keyId, state, reason),
    'keys:encrypt': async ({ keyId, plaintext, aad }) => {
      const data = fromB64(plaintext);
      try {
        const r = ops.encrypt(keyId, data, fromB64(aad));
        return { ciphertext: r.ciphertext.toString('base64'), keyId: r.keyId, version: r.version };
      } finally {
        data.fill(0);
      }
    },
    'keys:decrypt': async ({ ciphertext, aad }) => {
      const r = ops.decrypt(fromB64(ciphertext), fromB64(aad));
      return { plaintext: toB64AndZero(r.plaintext), keyId: r.keyId, version: r.version };
    },
    'keys:sign': async ({ keyId, data }) => {
      const r = ops.sign(keyId, fromB64(data));
      return { signature: r.signature.toString('base64'), keyId: r.keyId, version: r.version, algorithm: r.algorithm };
    },
    'keys:verify': async ({ keyId, data, signature, version }) => ({
      valid: ops.verify(keyId, fromB64(data), fromB64(signature), version),
    }),
    'keys:publicKey': async ({ keyId, version }) => lifecycle.publicKey(keyId, version),
    'keys:verifyIntegrity': async ({ keyId }) => lifecycle.verifyIntegrity(keyId),
  };
}
