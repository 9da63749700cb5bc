// Writes format-1 envelopes (layout: docs/ciphertext-format.md) from a data key the caller already holds and entries
// it already wrapped, which lets provider wrapping be asynchronous and lets one data key serve several messages.
// crypto/envelope.ts's parseEnvelope / openEnvelopeBody read the result; the tests prove the two agree byte for byte.
import crypto from 'node:crypto';
import { ConsoleError } from '../../shared/errors.ts';
import { deriveSubkey, KEY_BYTES, NONCE_BYTES } from '../crypto/aead.ts';
import { aadTagFor, envelopeHeader, type EnvelopeEntry, type ParsedEnvelope } from '../crypto/envelope.ts';

const MAX_ENTRIES = 8;

/** Encrypts one message under `dataKey` (not consumed) for entries that already carry their wrapped copies. */
export function writeEnvelope(storeId: string, dataKey: Buffer, entries: readonly EnvelopeEntry[], plaintext: Buffer, aad: Buffer): Buffer {
  if (dataKey.length !== KEY_BYTES) throw new ConsoleError('internal', 'A data key is 32 bytes.');
  if (entries.length < 1 || entries.length > MAX_ENTRIES) throw new ConsoleError('internal', 'An envelope needs 1 to 8 recipients.');
  const bodyKey = deriveSubkey(dataKey, 'ecps/envelope/v1/body');
  try {
    const bodyNonce = crypto.randomBytes(NONCE_BYTES);
    const head = envelopeHeader(storeId, entries, bodyNonce, aadTagFor(dataKey, aad));
    const cipher = crypto.createCipheriv('aes-256-gcm', bodyKey, bodyNonce);
    cipher.setAAD(head);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([head, body, cipher.getAuthTag()]);
  } finally {
    bodyKey.fill(0);
  }
}

/** True when the body and the whole header authenticate under dataKey (decrypted bytes are discarded). */
export function bodyAuthentic(env: ParsedEnvelope, dataKey: Buffer): boolean {
  const bodyKey = deriveSubkey(dataKey, 'ecps/envelope/v1/body');
  try {
    const d = crypto.createDecipheriv('aes-256-gcm', bodyKey, env.bodyNonce, { authTagLength: 16 });
    d.setAAD(env.header);
    d.setAuthTag(env.bodyTag);
    d.update(env.body).fill(0);
    d.final();
    return true;
  } catch {
    return false;
  } finally {
    bodyKey.fill(0);
  }
}
