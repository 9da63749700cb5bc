// Using keys: envelope encryption / decryption with AES keys, signing / verification with RSA and EC keys.
// Every call is audited (without plaintext, data or key material); results are Buffers for the caller to encode.
import { ConsoleError } from '../../../shared/errors.ts';
import { encryptEnvelope, openEnvelopeBody, parseEnvelope, tampered } from '../../crypto/envelope.ts';
import { SIGNATURE_ALGORITHMS, signWith, verifyWith } from '../../crypto/keyMaterial.ts';
import { LOCAL_PROVIDER, localRecipient, unwrapLocalDataKey } from '../../crypto/localRecipient.ts';
import {
  type KeyServiceDeps,
  loadKey,
  loadVersion,
  requireProcess,
  requireProtect,
  runAudited,
  unwrapVersion,
} from './keysShared.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface KeyCrypto {
  encrypt(keyId: string, plaintext: Buffer, aad: Buffer): { ciphertext: Buffer; keyId: string; version: number };
  decrypt(ciphertext: Buffer, aad: Buffer): { plaintext: Buffer; keyId: string; version: number };
  sign(keyId: string, data: Buffer): { signature: Buffer; keyId: string; version: number; algorithm: string };
  verify(keyId: string, data: Buffer, signature: Buffer, version?: number): boolean;
}

export function createKeyCrypto(deps: KeyServiceDeps): KeyCrypto {
  const { repo } = deps;

  return {
    encrypt(keyId, plaintext, aad) {
      return runAudited(deps, 'key.encrypt', keyId, (s) => {
        const key = loadKey(repo, keyId);
        if (key.algorithm !== 'AES_256') throw new ConsoleError('unsupported_operation', `Key ${keyId} is a signing key; encrypt with an AES key.`);
        requireProtect(key);
        const v = loadVersion(repo, key, key.currentVersion);
        const material = unwrapVersion(s, key, v);
        try {
          const ciphertext = encryptEnvelope(s.storeId, [localRecipient(key.id, v.version, material)], plaintext, aad);
          return { value: { ciphertext, keyId, version: v.version }, details: { version: v.version, bytes: plaintext.length } };
        } finally {
          material.fill(0);
        }
      });
    },

    decrypt(ciphertext, aad) {
      return runAudited(deps, 'key.decrypt', null, (s, note) => {
        const env = parseEnvelope(ciphertext);
        if (env.storeId !== s.storeId) {
          throw new ConsoleError('ciphertext_foreign', 'This ciphertext was made by another key store.', { storeId: env.storeId });
        }
        // The store id is ours, so an entry naming no key of this store means the header was modified.
        const entry = env.entries.find((e) => e.provider === LOCAL_PROVIDER && UUID.test(e.keyRef) && repo.get(e.keyRef) !== null);
        if (!entry) throw tampered();
        const key = loadKey(repo, entry.keyRef);
        note({ keyId: key.id, version: entry.keyVersion });
        if (key.algorithm !== 'AES_256') throw tampered();
        requireProcess(key);
        const v = repo.getVersion(key.id, entry.keyVersion);
        if (!v) throw tampered();
        if (v.destroyed) throw new ConsoleError('key_destroyed', `Version ${v.version} of key ${key.id} was destroyed.`);
        const material = unwrapVersion(s, key, v);
        const dataKey = unwrapLocalDataKey(material, entry.wrapped, env.wrapContext);
        material.fill(0);
        if (!dataKey) throw tampered();
        try {
          const plaintext = openEnvelopeBody(env, dataKey, aad);
          return { value: { plaintext, keyId: key.id, version: v.version }, details: { bytes: plaintext.length } };
        } finally {
          dataKey.fill(0);
        }
      });
    },

    sign(keyId, data) {
      return runAudited(deps, 'key.sign', keyId, (s) => {
        const key = loadKey(repo, keyId);
        if (key.algorithm === 'AES_256') throw new ConsoleError('unsupported_operation', `Key ${keyId} is an AES key; sign with an RSA or EC key.`);
        requireProtect(key);
        const v = loadVersion(repo, key, key.currentVersion);
        const material = unwrapVersion(s, key, v);
        try {
          const signature = signWith(key.algorithm, material, data);
          const algorithm = SIGNATURE_ALGORITHMS[key.algorithm];
          return { value: { signature, keyId, version: v.version, algorithm }, details: { version: v.version, bytes: data.length, algorithm } };
        } finally {
          material.fill(0);
        }
      });
    },

    verify(keyId, data, signature, version) {
      return runAudited(deps, 'key.verify', keyId, () => {
        const key = loadKey(repo, keyId);
        if (key.algorithm === 'AES_256') throw new ConsoleError('unsupported_operation', `Key ${keyId} is an AES key; it makes no signatures.`);
        requireProcess(key);
        const v = loadVersion(repo, key, version ?? key.currentVersion);
        const valid = verifyWith(key.algorithm, v.publicSpki!, data, signature);
        return { value: valid, details: { version: v.version, valid } };
      });
    },
  };
}
