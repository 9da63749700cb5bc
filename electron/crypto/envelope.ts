// The console's self-describing, versioned ciphertext format (format version 1; byte layout in docs/ciphertext-format.md).
// A fresh data key per message encrypts the body with AES-256-GCM; the data key is wrapped once per recipient entry
// (provider id + key reference + key version). The header carries an HMAC of the associated data keyed from the data key,
// so a wrong AAD is told apart from tampering: the header is authenticated as GCM AAD of each wrapped data key
// (with the wrapped bytes left out) and, whole, as GCM AAD of the body.
import crypto from 'node:crypto';
import { ConsoleError } from '../../shared/errors.ts';
import { deriveSubkey, KEY_BYTES, NONCE_BYTES, TAG_BYTES } from './aead.ts';
import { releaseBytes } from './releaseBytes.ts';

export const ENVELOPE_MAGIC = Buffer.from('ECPS', 'ascii');
export const ENVELOPE_VERSION = 1;
const AAD_TAG_BYTES = 32;
const STORE_ID_BYTES = 16;
const MAX_ENTRIES = 8;
const MAX_WRAPPED_BYTES = 1024;
/**
 * Plaintext encrypted per cipher.update call: small enough to stay in cache while copied into the output. Each
 * update's output is a temporary, released once copied (releaseBytes.ts), so the next slice reuses its memory.
 */
const BODY_SLICE_BYTES = 64 * 1024;

export interface RecipientRef {
  /** Provider id, e.g. 'local'. */
  provider: string;
  /** Provider's key reference; for 'local', the key id (UUID). */
  keyRef: string;
  keyVersion: number;
}

export interface Recipient extends RecipientRef {
  /** Wraps the data key; `context` is authenticated data the unwrap must present again. */
  wrap(dataKey: Buffer, context: Buffer): Buffer;
}

export interface EnvelopeEntry extends RecipientRef {
  wrapped: Buffer;
}

export interface ParsedEnvelope {
  version: number;
  storeId: string;
  entries: EnvelopeEntry[];
  bodyNonce: Buffer;
  aadTag: Buffer;
  /** Header bytes with the wrapped data keys left out: the AAD of every wrapped data key. */
  wrapContext: Buffer;
  /** The complete header: the AAD of the body. */
  header: Buffer;
  body: Buffer;
  bodyTag: Buffer;
}

function storeIdBytes(storeId: string): Buffer {
  const hex = storeId.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new ConsoleError('internal', 'The store id is not a UUID.');
  return Buffer.from(hex, 'hex');
}

function storeIdText(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Serialises the header; with `withWrapped` false the wrapped bytes (and their lengths) are omitted. */
function serializeHeader(storeId: Buffer, entries: readonly EnvelopeEntry[], bodyNonce: Buffer, aadTag: Buffer, withWrapped: boolean): Buffer {
  const parts: Buffer[] = [ENVELOPE_MAGIC, Buffer.from([ENVELOPE_VERSION]), storeId, Buffer.from([entries.length])];
  for (const e of entries) {
    const provider = Buffer.from(e.provider, 'utf8');
    const ref = Buffer.from(e.keyRef, 'utf8');
    if (provider.length < 1 || provider.length > 255 || ref.length < 1 || ref.length > 255) {
      throw new ConsoleError('internal', 'Envelope provider id or key reference has an invalid length.');
    }
    const version = Buffer.alloc(4);
    version.writeUInt32BE(e.keyVersion);
    parts.push(Buffer.from([provider.length]), provider, Buffer.from([ref.length]), ref, version);
    if (withWrapped) {
      if (e.wrapped.length < 1 || e.wrapped.length > MAX_WRAPPED_BYTES) {
        throw new ConsoleError('internal', `Provider ${e.provider} returned a wrapped data key of ${e.wrapped.length} bytes (1..${MAX_WRAPPED_BYTES} fit the format).`);
      }
      const len = Buffer.alloc(2);
      len.writeUInt16BE(e.wrapped.length);
      parts.push(len, e.wrapped);
    }
  }
  parts.push(bodyNonce, aadTag);
  return Buffer.concat(parts);
}

/** The complete header for entries that already carry their wrapped data keys (providers/envelopeWriter.ts). */
export function envelopeHeader(storeId: string, entries: readonly EnvelopeEntry[], bodyNonce: Buffer, aadTag: Buffer): Buffer {
  return serializeHeader(storeIdBytes(storeId), entries, bodyNonce, aadTag, true);
}

/** HMAC-SHA256 of the caller's AAD under a subkey of the data key: lets a wrong AAD be told from tampering. */
export function aadTagFor(dataKey: Buffer, aad: Buffer): Buffer {
  const aadKey = deriveSubkey(dataKey, 'ecps/envelope/v1/aad');
  const tag = crypto.createHmac('sha256', aadKey).update(aad).digest();
  aadKey.fill(0);
  return tag;
}

/** Encrypts plaintext for the given recipients (at least one). */
export function encryptEnvelope(storeId: string, recipients: readonly Recipient[], plaintext: Buffer, aad: Buffer): Buffer {
  if (recipients.length < 1 || recipients.length > MAX_ENTRIES) throw new ConsoleError('internal', 'An envelope needs 1 to 8 recipients.');
  const sid = storeIdBytes(storeId);
  const dataKey = crypto.randomBytes(KEY_BYTES);
  const bodyKey = deriveSubkey(dataKey, 'ecps/envelope/v1/body');
  try {
    const bodyNonce = crypto.randomBytes(NONCE_BYTES);
    const aadTag = aadTagFor(dataKey, aad);
    const refs = recipients.map((r) => ({ provider: r.provider, keyRef: r.keyRef, keyVersion: r.keyVersion, wrapped: Buffer.alloc(0) }));
    const context = serializeHeader(sid, refs, bodyNonce, aadTag, false);
    const entries = recipients.map((r, i) => ({ ...refs[i]!, wrapped: r.wrap(dataKey, context) }));
    const header = serializeHeader(sid, entries, bodyNonce, aadTag, true);
    const cipher = crypto.createCipheriv('aes-256-gcm', bodyKey, bodyNonce);
    cipher.setAAD(header);
    // The body is encrypted a slice at a time straight into the one output buffer: no second copy of a whole
    // message. node:crypto has no update into a given buffer, so each slice's output is handed back at once after
    // its copy instead of waiting for a full garbage collection (which such dropped memory also counts towards
    // starting); measured in docs/benchmarks.md ("Envelope through the IPC handlers", 2026-12-06).
    const out = Buffer.allocUnsafe(header.length + plaintext.length + TAG_BYTES);
    let pos = header.copy(out, 0);
    for (let at = 0; at < plaintext.length; at += BODY_SLICE_BYTES) {
      const slice = cipher.update(plaintext.subarray(at, at + BODY_SLICE_BYTES));
      pos += slice.copy(out, pos);
      releaseBytes(slice);
    }
    pos += cipher.final().copy(out, pos);
    pos += cipher.getAuthTag().copy(out, pos);
    // GCM is a stream mode (output length = input length): every byte of `out` is written, none left uninitialised.
    if (pos !== out.length) throw new ConsoleError('internal', 'The envelope body did not fill its buffer.');
    return out;
  } finally {
    dataKey.fill(0);
    bodyKey.fill(0);
  }
}

const malformed = (what: string) => new ConsoleError('ciphertext_malformed', `The ciphertext is incomplete or damaged (${what}).`);

/** Parses the structure only; authenticates nothing. */
export function parseEnvelope(buf: Buffer): ParsedEnvelope {
  let pos = 0;
  const take = (n: number, what: string): Buffer => {
    if (pos + n > buf.length) throw malformed(`ends inside the ${what}`);
    const out = buf.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  if (buf.length < ENVELOPE_MAGIC.length) {
    throw ENVELOPE_MAGIC.subarray(0, buf.length).equals(buf) ? malformed('ends inside the format marker') : foreign();
  }
  if (!take(ENVELOPE_MAGIC.length, 'format marker').equals(ENVELOPE_MAGIC)) throw foreign();
  const version = take(1, 'format version')[0]!;
  if (version !== ENVELOPE_VERSION) {
    throw new ConsoleError('ciphertext_foreign', `Ciphertext format version ${version} is not supported by this console (it reads version ${ENVELOPE_VERSION}).`, { formatVersion: version });
  }
  const storeId = storeIdText(take(STORE_ID_BYTES, 'store id'));
  const count = take(1, 'recipient count')[0]!;
  if (count < 1 || count > MAX_ENTRIES) throw malformed('recipient count out of range');
  const entries: EnvelopeEntry[] = [];
  for (let i = 0; i < count; i++) {
    const provider = take(take(1, 'provider length')[0]!, 'provider id').toString('utf8');
    const keyRef = take(take(1, 'key reference length')[0]!, 'key reference').toString('utf8');
    const keyVersion = take(4, 'key version').readUInt32BE(0);
    const wrappedLen = take(2, 'wrapped key length').readUInt16BE(0);
    if (wrappedLen > MAX_WRAPPED_BYTES) throw malformed('wrapped key length out of range');
    const wrapped = take(wrappedLen, 'wrapped data key');
    if (provider.length === 0 || keyRef.length === 0) throw malformed('empty provider id or key reference');
    entries.push({ provider, keyRef, keyVersion, wrapped });
  }
  const bodyNonce = take(NONCE_BYTES, 'body nonce');
  const aadTag = take(AAD_TAG_BYTES, 'associated-data tag');
  const header = buf.subarray(0, pos);
  if (buf.length - pos < TAG_BYTES) throw malformed('ends before the authentication tag');
  const body = buf.subarray(pos, buf.length - TAG_BYTES);
  const bodyTag = buf.subarray(buf.length - TAG_BYTES);
  const wrapContext = serializeHeader(storeIdBytes(storeId), entries, bodyNonce, aadTag, false);
  return { version, storeId, entries, bodyNonce, aadTag, wrapContext, header, body, bodyTag };
}

function foreign(): ConsoleError {
  return new ConsoleError('ciphertext_foreign', 'This is not ciphertext of the ECPS console format.');
}

export const tampered = () =>
  new ConsoleError('ciphertext_tampered', 'The ciphertext failed authentication: it was modified after encryption.');

/**
 * Finishes decryption once a recipient has unwrapped the data key: checks the associated data against the
 * authenticated header tag (aad_mismatch), then authenticates and decrypts the body (ciphertext_tampered).
 */
export function openEnvelopeBody(env: ParsedEnvelope, dataKey: Buffer, aad: Buffer): Buffer {
  const expected = aadTagFor(dataKey, aad);
  if (!crypto.timingSafeEqual(expected, env.aadTag)) {
    throw new ConsoleError('aad_mismatch', 'The associated data does not match the one bound at encryption.');
  }
  const bodyKey = deriveSubkey(dataKey, 'ecps/envelope/v1/body');
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', bodyKey, env.bodyNonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(env.header);
    decipher.setAuthTag(env.bodyTag);
    const out = decipher.update(env.body);
    try {
      decipher.final();
    } catch {
      out.fill(0);
      throw tampered();
    }
    return out;
  } finally {
    bodyKey.fill(0);
  }
}
