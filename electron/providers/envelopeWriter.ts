// Writes format-1 envelopes (layout: README "Ciphertext format") from a data key the caller already holds and entries
// it already wrapped, which lets provider wrapping be asynchronous and lets one data key serve several messages.
// crypto/envelope.ts's parseEnvelope / openEnvelopeBody read the result; the tests prove the two agree byte for byte.
import crypto from 'node:crypto';
import { ConsoleError } from '../../shared/errors.ts';
import { deriveSubkey, KEY_BYTES, NONCE_BYTES } from '../crypto/aead.ts';
import { ENVELOPE_MAGIC, ENVELOPE_VERSION, type EnvelopeEntry, type ParsedEnvelope } from '../crypto/envelope.ts';

const MAX_ENTRIES = 8;
const MAX_WRAPPED_BYTES = 1024;

function storeIdBytes(storeId: string): Buffer {
  const hex = storeId.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new ConsoleError('internal', 'The store id is not a UUID.');
  return Buffer.from(hex, 'hex');
}

function header(storeId: Buffer, entries: readonly EnvelopeEntry[], bodyNonce: Buffer, aadTag: Buffer): Buffer {
  const parts: Buffer[] = [ENVELOPE_MAGIC, Buffer.from([ENVELOPE_VERSION]), storeId, Buffer.from([entries.length])];
  for (const e of entries) {
    const provider = Buffer.from(e.provider, 'utf8');
    const ref = Buffer.from(e.keyRef, 'utf8');
    if (provider.length < 1 || provider.length > 255 || ref.length < 1 || ref.length > 255) {
      throw new ConsoleError('internal', 'Envelope provider id or key reference has an invalid length.');
    }
    if (e.wrapped.length < 1 || e.wrapped.length > MAX_WRAPPED_BYTES) {
      throw new ConsoleError('internal', `Provider ${e.provider} returned a wrapped data key of ${e.wrapped.length} bytes (1..${MAX_WRAPPED_BYTES} fit the format).`);
    }
    const numbers = Buffer.alloc(6);
    numbers.writeUInt32BE(e.keyVersion, 0);
    numbers.writeUInt16BE(e.wrapped.length, 4);
    parts.push(Buffer.from([provider.length]), provider, Buffer.from([ref.length]), ref, numbers, e.wrapped);
  }
  parts.push(bodyNonce, aadTag);
  return Buffer.concat(parts);
}

/** Encrypts one message under `dataKey` (not consumed) for entries that already carry their wrapped copies. */
export function writeEnvelope(storeId: string, dataKey: Buffer, entries: readonly EnvelopeEntry[], plaintext: Buffer, aad: Buffer): Buffer {
  if (dataKey.length !== KEY_BYTES) throw new ConsoleError('internal', 'A data key is 32 bytes.');
  if (entries.length < 1 || entries.length > MAX_ENTRIES) throw new ConsoleError('internal', 'An envelope needs 1 to 8 recipients.');
  const aadKey = deriveSubkey(dataKey, 'ecps/envelope/v1/aad');
  const bodyKey = deriveSubkey(dataKey, 'ecps/envelope/v1/body');
  try {
    const aadTag = crypto.createHmac('sha256', aadKey).update(aad).digest();
    const bodyNonce = crypto.randomBytes(NONCE_BYTES);
    const head = header(storeIdBytes(storeId), entries, bodyNonce, aadTag);
    const cipher = crypto.createCipheriv('aes-256-gcm', bodyKey, bodyNonce);
    cipher.setAAD(head);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([head, body, cipher.getAuthTag()]);
  } finally {
    aadKey.fill(0);
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
