// The version-1 envelope's rules (docs/ciphertext-format.md) called directly, without a console: the limits of every
// header field on writing and reading, each parse failure's code, the bytes every recipient is given to bind, the
// decryption order's aad_mismatch / ciphertext_tampered, and the AES-GCM sealing of aead.ts. Expected bytes are built
// here from the documented table with raw node:crypto; no expected value comes from electron/crypto/.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isConsoleError } from '../../shared/errors.ts';
import { deriveSubkey, open, seal } from '../../electron/crypto/aead.ts';
import {
  aadTagFor,
  encryptEnvelope,
  envelopeHeader,
  openEnvelopeBody,
  parseEnvelope,
  type EnvelopeEntry,
  type Recipient,
} from '../../electron/crypto/envelope.ts';
import { localRecipient, unwrapLocalDataKey } from '../../electron/crypto/localRecipient.ts';

const STORE_ID = '6f1c2a3b-4d5e-4f60-8172-93a4b5c6d7e8';
const STORE_HEX = '6f1c2a3b4d5e4f60817293a4b5c6d7e8';
const KEY_ID = '0b9e8d7c-6a5b-4c3d-9e2f-1a0b9c8d7e6f';
const hkdf = (ikm: Buffer, info: string, length = 32) => Buffer.from(crypto.hkdfSync('sha256', ikm, Buffer.alloc(0), Buffer.from(info, 'utf8'), length));

function codeOf(f: () => unknown): { code: string; message: string; details: unknown } {
  try {
    f();
  } catch (e) {
    if (isConsoleError(e)) return { code: e.code, message: e.message, details: e.details };
    return { code: `not a ConsoleError: ${String(e)}`, message: '', details: undefined };
  }
  return { code: 'no error', message: '', details: undefined };
}

/** A recipient that wraps to fixed bytes and records what it was given (the data key itself, not a copy). */
function fixed(provider: string, keyRef: string, keyVersion: number, wrapped: Buffer) {
  const seen: { dataKey: Buffer | null; context: Buffer | null } = { dataKey: null, context: null };
  const r: Recipient = {
    provider,
    keyRef,
    keyVersion,
    wrap: (dataKey, context) => {
      seen.dataKey = dataKey;
      seen.context = Buffer.from(context);
      return wrapped;
    },
  };
  return { r, seen };
}

/** One entry's bytes as the table lays them out; with `w` the W field and wrapped bytes, else without. */
function entryBytes(provider: string, keyRef: string, version: number, w: Buffer | null): Buffer {
  const v = Buffer.alloc(4);
  v.writeUInt32BE(version);
  const p = Buffer.from(provider, 'utf8');
  const k = Buffer.from(keyRef, 'utf8');
  const parts: Buffer[] = [Buffer.from([p.length]), p, Buffer.from([k.length]), k, v];
  if (w) {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(w.length);
    parts.push(len, w);
  }
  return Buffer.concat(parts);
}

const PREFIX = Buffer.concat([Buffer.from('ECPS', 'ascii'), Buffer.from([1]), Buffer.from(STORE_HEX, 'hex')]);

/** A whole envelope assembled by hand: prefix, count, entries (with wrapped bytes), nonce, AAD tag, body, tag. */
function handMade(o: { version?: number; count?: number; entries?: Buffer[]; tail?: Buffer } = {}): Buffer {
  const entries = o.entries ?? [entryBytes('local', KEY_ID, 1, Buffer.alloc(60, 7))];
  const head = Buffer.from(PREFIX);
  head[4] = o.version ?? 1;
  return Buffer.concat([head, Buffer.from([o.count ?? entries.length]), ...entries, o.tail ?? Buffer.alloc(12 + 32 + 16, 9)]);
}

describe('envelope: writing', () => {
  it('gives every recipient the header without W fields and wrapped bytes as the context, and writes the entries in order', () => {
    const a = fixed('local', KEY_ID, 3, Buffer.alloc(60, 0xa1));
    const b = fixed('vault', 'transit/keys/robots', 70_000, Buffer.alloc(300, 0xb2));
    const aad = Buffer.from('robot-7/telemetry');
    const plaintext = Buffer.from('the plaintext');
    const ct = encryptEnvelope(STORE_ID, [a.r, b.r], plaintext, aad);
    // The header read back from the table's offsets.
    const e1 = entryBytes('local', KEY_ID, 3, Buffer.alloc(60, 0xa1));
    const e2 = entryBytes('vault', 'transit/keys/robots', 70_000, Buffer.alloc(300, 0xb2));
    const headStart = Buffer.concat([PREFIX, Buffer.from([2]), e1, e2]);
    expect(ct.subarray(0, headStart.length).equals(headStart)).toBe(true);
    const nonce = ct.subarray(headStart.length, headStart.length + 12);
    const aadTag = ct.subarray(headStart.length + 12, headStart.length + 44);
    const context = Buffer.concat([PREFIX, Buffer.from([2]), entryBytes('local', KEY_ID, 3, null), entryBytes('vault', 'transit/keys/robots', 70_000, null), nonce, aadTag]);
    expect(a.seen.context!.equals(context)).toBe(true);
    expect(b.seen.context!.equals(context)).toBe(true);
    expect(ct.length).toBe(headStart.length + 44 + plaintext.length + 16);
    // Both recipients were given the same data key (what it opens: the next test).
    expect(b.seen.dataKey).toBe(a.seen.dataKey);
  });

  it('zeroes the data key once the envelope is written (a recipient holding a reference sees zeros)', () => {
    let copy: Buffer | null = null;
    let held: Buffer | null = null;
    const r: Recipient = {
      provider: 'local',
      keyRef: KEY_ID,
      keyVersion: 1,
      wrap: (dataKey) => {
        held = dataKey;
        copy = Buffer.from(dataKey);
        return Buffer.alloc(60, 1);
      },
    };
    const aad = Buffer.from('aad');
    const plaintext = crypto.randomBytes(100);
    const ct = encryptEnvelope(STORE_ID, [r], plaintext, aad);
    expect(copy!.length).toBe(32);
    expect(copy!.equals(Buffer.alloc(32))).toBe(false);
    expect(held!.equals(Buffer.alloc(32))).toBe(true);
    // The copy opens the body by the table: AAD tag = HMAC(HKDF(k, aad info), aad); body under HKDF(k, body info).
    const env = parseEnvelope(ct);
    expect(env.aadTag.equals(crypto.createHmac('sha256', hkdf(copy!, 'ecps/envelope/v1/aad')).update(aad).digest())).toBe(true);
    const d = crypto.createDecipheriv('aes-256-gcm', hkdf(copy!, 'ecps/envelope/v1/body'), env.bodyNonce);
    d.setAAD(env.header);
    d.setAuthTag(env.bodyTag);
    expect(Buffer.concat([d.update(env.body), d.final()]).equals(plaintext)).toBe(true);
  });

  it('takes 1 to 8 recipients, and refuses 0 or 9 with internal', () => {
    const one = () => fixed('local', KEY_ID, 1, Buffer.alloc(60, 1)).r;
    expect(codeOf(() => encryptEnvelope(STORE_ID, [], Buffer.alloc(1), Buffer.alloc(0)))).toMatchObject({ code: 'internal', message: 'An envelope needs 1 to 8 recipients.' });
    expect(codeOf(() => encryptEnvelope(STORE_ID, Array.from({ length: 9 }, one), Buffer.alloc(1), Buffer.alloc(0))).code).toBe('internal');
    const eight = encryptEnvelope(STORE_ID, Array.from({ length: 8 }, one), Buffer.alloc(1), Buffer.alloc(0));
    expect(eight[21]).toBe(8);
    expect(parseEnvelope(eight).entries).toHaveLength(8);
  });

  it('takes a store id as UUID text (lower-case hex, dashes optional) and refuses anything else with internal', () => {
    const r = () => [fixed('local', KEY_ID, 1, Buffer.alloc(60, 1)).r];
    const ok = encryptEnvelope(STORE_HEX, r(), Buffer.alloc(0), Buffer.alloc(0));
    expect(ok.subarray(5, 21).toString('hex')).toBe(STORE_HEX);
    for (const bad of ['', STORE_HEX.slice(1), `${STORE_HEX}0`, `0${STORE_HEX}`, `x${STORE_HEX}`, `${STORE_HEX}x`, STORE_HEX.toUpperCase(), STORE_HEX.replace('6f', 'g6')]) {
      expect(codeOf(() => encryptEnvelope(bad, r(), Buffer.alloc(0), Buffer.alloc(0))), bad).toMatchObject({ code: 'internal', message: 'The store id is not a UUID.' });
      expect(codeOf(() => envelopeHeader(bad, [], Buffer.alloc(12), Buffer.alloc(32))).code, bad).toBe('internal');
    }
  });

  it('takes provider ids and key references of 1 to 255 UTF-8 bytes, and refuses 0 or 256', () => {
    const w = Buffer.alloc(60, 1);
    for (const [provider, keyRef] of [['p'.repeat(255), 'k'], ['p', 'k'.repeat(255)], ['é'.repeat(127), 'k']] as const) {
      const ct = encryptEnvelope(STORE_ID, [fixed(provider, keyRef, 1, w).r], Buffer.alloc(0), Buffer.alloc(0));
      const e = parseEnvelope(ct).entries[0]!;
      expect({ provider: e.provider, keyRef: e.keyRef }).toEqual({ provider, keyRef });
    }
    for (const [provider, keyRef] of [['', 'k'], ['p', ''], ['p'.repeat(256), 'k'], ['p', 'k'.repeat(256)], ['é'.repeat(128), 'k']] as const) {
      expect(codeOf(() => encryptEnvelope(STORE_ID, [fixed(provider, keyRef, 1, w).r], Buffer.alloc(0), Buffer.alloc(0))), `${provider.length}/${keyRef.length}`).toMatchObject({
        code: 'internal',
        message: 'Envelope provider id or key reference has an invalid length.',
      });
    }
  });

  it('takes wrapped data keys of 1 to 1024 bytes, and refuses 0 or 1025 naming the provider and the size', () => {
    for (const n of [1, 1024]) {
      const ct = encryptEnvelope(STORE_ID, [fixed('kms', 'k', 1, Buffer.alloc(n, 5)).r], Buffer.alloc(0), Buffer.alloc(0));
      expect(parseEnvelope(ct).entries[0]!.wrapped.equals(Buffer.alloc(n, 5))).toBe(true);
    }
    for (const n of [0, 1025]) {
      expect(codeOf(() => encryptEnvelope(STORE_ID, [fixed('kms', 'k', 1, Buffer.alloc(n, 5)).r], Buffer.alloc(0), Buffer.alloc(0)))).toMatchObject({
        code: 'internal',
        message: `Provider kms returned a wrapped data key of ${n} bytes (1..1024 fit the format).`,
      });
    }
  });

  it('envelopeHeader writes the header of entries that carry their wrapped keys, as the table lays it out', () => {
    const entries: EnvelopeEntry[] = [
      { provider: 'local', keyRef: KEY_ID, keyVersion: 2, wrapped: Buffer.alloc(60, 3) },
      { provider: 'aws', keyRef: 'arn:aws:kms:k', keyVersion: 0xfffffffe, wrapped: Buffer.alloc(184, 4) },
    ];
    const nonce = Buffer.alloc(12, 0x11);
    const tag = Buffer.alloc(32, 0x22);
    const want = Buffer.concat([PREFIX, Buffer.from([2]), entryBytes('local', KEY_ID, 2, entries[0]!.wrapped), entryBytes('aws', 'arn:aws:kms:k', 0xfffffffe, entries[1]!.wrapped), nonce, tag]);
    expect(envelopeHeader(STORE_ID, entries, nonce, tag).equals(want)).toBe(true);
  });

  it('aadTagFor is HMAC-SHA256 of the associated data under HKDF(data key, "ecps/envelope/v1/aad"), and leaves the data key as it was', () => {
    const k = crypto.randomBytes(32);
    const before = Buffer.from(k);
    const aad = Buffer.from('robot-9');
    expect(aadTagFor(k, aad).equals(crypto.createHmac('sha256', hkdf(before, 'ecps/envelope/v1/aad')).update(aad).digest())).toBe(true);
    expect(k.equals(before)).toBe(true);
  });
});

describe('envelope: parsing', () => {
  it('reads a hand-made envelope: store id as UUID text, entries, nonce, tag, body, and the wrap context without W fields', () => {
    const e1 = entryBytes('local', KEY_ID, 7, Buffer.alloc(60, 0x31));
    const e2 = entryBytes('gcp', 'projects/p/keys/k', 65_536, Buffer.alloc(1024, 0x32));
    const nonce = Buffer.alloc(12, 0x41);
    const aadTag = Buffer.alloc(32, 0x42);
    const body = Buffer.from('body bytes');
    const tag = Buffer.alloc(16, 0x43);
    const ct = Buffer.concat([PREFIX, Buffer.from([2]), e1, e2, nonce, aadTag, body, tag]);
    const env = parseEnvelope(ct);
    expect(env.version).toBe(1);
    expect(env.storeId).toBe(STORE_ID);
    expect(env.entries.map((e) => ({ ...e, wrapped: e.wrapped.toString('hex') }))).toEqual([
      { provider: 'local', keyRef: KEY_ID, keyVersion: 7, wrapped: Buffer.alloc(60, 0x31).toString('hex') },
      { provider: 'gcp', keyRef: 'projects/p/keys/k', keyVersion: 65_536, wrapped: Buffer.alloc(1024, 0x32).toString('hex') },
    ]);
    expect(env.bodyNonce.equals(nonce)).toBe(true);
    expect(env.aadTag.equals(aadTag)).toBe(true);
    expect(env.body.equals(body)).toBe(true);
    expect(env.bodyTag.equals(tag)).toBe(true);
    expect(env.header.equals(Buffer.concat([PREFIX, Buffer.from([2]), e1, e2, nonce, aadTag]))).toBe(true);
    const ctx = Buffer.concat([PREFIX, Buffer.from([2]), entryBytes('local', KEY_ID, 7, null), entryBytes('gcp', 'projects/p/keys/k', 65_536, null), nonce, aadTag]);
    expect(env.wrapContext.equals(ctx)).toBe(true);
    // an empty body: the tag right after the header
    expect(parseEnvelope(Buffer.concat([PREFIX, Buffer.from([1]), e1, nonce, aadTag, tag])).body.length).toBe(0);
  });

  it('refuses each damaged or foreign input with the documented code', () => {
    const good = handMade();
    const entry = entryBytes('local', KEY_ID, 1, Buffer.alloc(60, 7));
    const wrappedLen = (n: number) => {
      const b = entryBytes('local', KEY_ID, 1, Buffer.alloc(1, 7));
      const w = Buffer.concat([b.subarray(0, b.length - 3), Buffer.from([n >> 8, n & 0xff]), Buffer.alloc(n, 7)]);
      return w;
    };
    const malformed = (what: string) => ({ code: 'ciphertext_malformed', message: `The ciphertext is incomplete or damaged (${what}).` });
    const foreign = { code: 'ciphertext_foreign', message: 'This is not ciphertext of the ECPS console format.' };
    const cases: Array<[string, Buffer, { code: string; message?: string }]> = [
      ['empty', Buffer.alloc(0), malformed('ends inside the format marker')],
      ['"EC"', Buffer.from('EC'), malformed('ends inside the format marker')],
      ['"ECP"', Buffer.from('ECP'), malformed('ends inside the format marker')],
      ['"XY"', Buffer.from('XY'), foreign],
      ['"ECX"', Buffer.from('ECX'), foreign],
      ['"ECPX" and more', Buffer.concat([Buffer.from('ECPX'), good.subarray(4)]), foreign],
      ['magic only', Buffer.from('ECPS'), malformed('ends inside the format version')],
      ['cut in the store id', good.subarray(0, 20), malformed('ends inside the store id')],
      ['cut before the count', good.subarray(0, 21), malformed('ends inside the recipient count')],
      ['count 0', handMade({ count: 0 }), malformed('recipient count out of range')],
      ['count 9', handMade({ count: 9, entries: Array.from({ length: 9 }, () => entry) }), malformed('recipient count out of range')],
      ['cut before the provider length', good.subarray(0, 22), malformed('ends inside the provider length')],
      ['cut in the provider id', good.subarray(0, 25), malformed('ends inside the provider id')],
      ['cut before the key reference length', good.subarray(0, 28), malformed('ends inside the key reference length')],
      ['cut in the key reference', good.subarray(0, 40), malformed('ends inside the key reference')],
      ['cut in the key version', good.subarray(0, 29 + 36 + 2), malformed('ends inside the key version')],
      ['cut in the wrapped key length', good.subarray(0, 29 + 36 + 4 + 1), malformed('ends inside the wrapped key length')],
      ['cut in the wrapped key', good.subarray(0, 29 + 36 + 4 + 2 + 59), malformed('ends inside the wrapped data key')],
      ['wrapped key length 1025', handMade({ entries: [wrappedLen(1025)] }), malformed('wrapped key length out of range')],
      ['empty provider id', handMade({ entries: [Buffer.concat([Buffer.from([0]), entry.subarray(6)])] }), malformed('empty provider id or key reference')],
      ['empty key reference', handMade({ entries: [Buffer.concat([entry.subarray(0, 6), Buffer.from([0]), entry.subarray(7 + 36)])] }), malformed('empty provider id or key reference')],
      ['cut in the body nonce', good.subarray(0, 22 + entry.length + 11), malformed('ends inside the body nonce')],
      ['cut in the AAD tag', good.subarray(0, 22 + entry.length + 12 + 31), malformed('ends inside the associated-data tag')],
      ['header only', good.subarray(0, 22 + entry.length + 44), malformed('ends before the authentication tag')],
      ['header and 15 bytes', good.subarray(0, 22 + entry.length + 44 + 15), malformed('ends before the authentication tag')],
    ];
    const wrong: string[] = [];
    for (const [name, bytes, want] of cases) {
      const got = codeOf(() => parseEnvelope(bytes));
      if (got.code !== want.code || (want.message !== undefined && got.message !== want.message)) wrong.push(`${name}: ${got.code} ${got.message}`);
    }
    expect(wrong).toEqual([]);
    // the largest wrapped key the format takes is read
    expect(parseEnvelope(handMade({ entries: [wrappedLen(1024)] })).entries[0]!.wrapped.length).toBe(1024);
    // exactly a tag after the header: an empty body
    expect(parseEnvelope(good.subarray(0, 22 + entry.length + 44 + 16)).body.length).toBe(0);
  });

  it('calls every other format version foreign, naming it in details.formatVersion', () => {
    for (const v of [0, 2, 255]) {
      expect(codeOf(() => parseEnvelope(handMade({ version: v })))).toEqual({
        code: 'ciphertext_foreign',
        message: `Ciphertext format version ${v} is not supported by this console (it reads version 1).`,
        details: { formatVersion: v },
      });
    }
  });
});

describe('envelope: opening the body (decryption steps 5 and 6)', () => {
  // Built inside each test, never at collection time: code run outside a test makes Stryker's mutants static.
  const material = crypto.randomBytes(32);
  const aad = Buffer.from('robot-7/telemetry');
  const plaintext = crypto.randomBytes(70_000);
  let ct: Buffer = Buffer.alloc(0);
  const encrypt = () => (ct = encryptEnvelope(STORE_ID, [localRecipient(KEY_ID, 4, material)], plaintext, aad));

  const dataKeyOf = (bytes: Buffer) => {
    const env = parseEnvelope(bytes);
    return { env, dataKey: unwrapLocalDataKey(material, env.entries[0]!.wrapped, env.wrapContext) };
  };

  it('gives the plaintext back with the same associated data', () => {
    encrypt();
    const { env, dataKey } = dataKeyOf(ct);
    expect(dataKey).not.toBeNull();
    expect(openEnvelopeBody(env, dataKey!, aad).equals(plaintext)).toBe(true);
  });

  it('a wrong associated data is aad_mismatch; a modified body, body tag or header byte after the unwrap is ciphertext_tampered', () => {
    encrypt();
    const { env, dataKey } = dataKeyOf(ct);
    expect(codeOf(() => openEnvelopeBody(env, dataKey!, Buffer.from('robot-8/telemetry')))).toMatchObject({
      code: 'aad_mismatch',
      message: 'The associated data does not match the one bound at encryption.',
    });
    const headerLength = env.header.length;
    for (const at of [headerLength, headerLength + 69_999, ct.length - 16, ct.length - 1]) {
      const bad = Buffer.from(ct);
      bad[at]! ^= 1;
      const d = dataKeyOf(bad);
      expect(codeOf(() => openEnvelopeBody(d.env, d.dataKey!, aad)), `byte ${at}`).toMatchObject({
        code: 'ciphertext_tampered',
        message: 'The ciphertext failed authentication: it was modified after encryption.',
      });
    }
    // a wrapped-key byte changed: the unwrap already refuses it (null), as docs/ciphertext-format.md step 4 says
    const bad = Buffer.from(ct);
    bad[22 + 1 + 5 + 1 + 36 + 4 + 2 + 20]! ^= 1;
    expect(dataKeyOf(bad).dataKey).toBeNull();
    // the body is authenticated with the whole header: a body opened under another envelope's header fails
    const other = encryptEnvelope(STORE_ID, [localRecipient(KEY_ID, 4, material)], plaintext, aad);
    const o = parseEnvelope(other);
    const swapped = { ...o, header: env.header };
    expect(codeOf(() => openEnvelopeBody(swapped, dataKeyOf(other).dataKey!, aad)).code).toBe('ciphertext_tampered');
  });
});

describe('aead: seal and open (nonce 12 | ciphertext | tag 16)', () => {
  const key = crypto.randomBytes(32);
  const aad = Buffer.from('context');

  it('seal is laid out as nonce, GCM ciphertext, tag, opened here with raw node:crypto; a fresh nonce each time', () => {
    for (const size of [0, 1, 32, 1000]) {
      const plaintext = crypto.randomBytes(size);
      const s = seal(key, plaintext, aad);
      expect(s.length).toBe(12 + size + 16);
      const d = crypto.createDecipheriv('aes-256-gcm', key, s.subarray(0, 12));
      d.setAAD(aad);
      d.setAuthTag(s.subarray(s.length - 16));
      expect(Buffer.concat([d.update(s.subarray(12, s.length - 16)), d.final()]).equals(plaintext)).toBe(true);
      expect(open(key, s, aad)!.equals(plaintext)).toBe(true);
    }
    expect(seal(key, Buffer.from('x'), aad).subarray(0, 12).equals(seal(key, Buffer.from('x'), aad).subarray(0, 12))).toBe(false);
  });

  it('open takes what raw node:crypto sealed, including an empty plaintext of exactly 28 bytes', () => {
    for (const size of [0, 5]) {
      const nonce = crypto.randomBytes(12);
      const c = crypto.createCipheriv('aes-256-gcm', key, nonce);
      c.setAAD(aad);
      const plaintext = crypto.randomBytes(size);
      const body = Buffer.concat([c.update(plaintext), c.final()]);
      const sealed = Buffer.concat([nonce, body, c.getAuthTag()]);
      expect(sealed.length).toBe(28 + size);
      expect(open(key, sealed, aad)!.equals(plaintext)).toBe(true);
    }
  });

  it('open gives null for a wrong key, a wrong AAD, any flipped byte, or fewer than 28 bytes', () => {
    const s = seal(key, Buffer.from('data key bytes'), aad);
    expect(open(crypto.randomBytes(32), s, aad)).toBeNull();
    expect(open(key, s, Buffer.from('other'))).toBeNull();
    for (let at = 0; at < s.length; at++) {
      const bad = Buffer.from(s);
      bad[at]! ^= 0x40;
      expect(open(key, bad, aad), `byte ${at}`).toBeNull();
    }
    for (const n of [0, 1, 12, 27]) expect(open(key, s.subarray(0, n), aad), `${n} bytes`).toBeNull();
  });

  it('deriveSubkey is HKDF-SHA256 with an empty salt and the info string, 32 bytes unless asked', () => {
    const ikm = crypto.randomBytes(32);
    expect(deriveSubkey(ikm, 'ecps/test').equals(hkdf(ikm, 'ecps/test'))).toBe(true);
    expect(deriveSubkey(ikm, 'ecps/test').length).toBe(32);
    expect(deriveSubkey(ikm, 'ecps/test', 16).equals(hkdf(ikm, 'ecps/test', 16))).toBe(true);
  });
});
