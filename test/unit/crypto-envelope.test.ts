// The ciphertext format end to end through the key service's Buffer API: round trips, every flipped byte,
// truncation at every header boundary, wrong associated data, foreign stores and unknown format versions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { ENVELOPE_VERSION, parseEnvelope } from '../../electron/crypto/envelope.ts';
import { codeOf, CTX, openUnlocked, removeTempDirs } from './store-testkit.ts';

let c: FleetConsole;
let other: FleetConsole;
let keyId: string;

beforeAll(async () => {
  c = await openUnlocked();
  other = await openUnlocked();
  keyId = (await c.handlers['keys:create']({ type: 'storage', label: 'envelope tests' }, CTX)).id;
});
afterAll(() => {
  c.close();
  other.close();
  removeTempDirs();
});

/** Byte offsets of every header field of a one-entry envelope, derived from the parsed lengths. */
function layout(ct: Buffer) {
  const env = parseEnvelope(ct);
  const e = env.entries[0]!;
  const p = Buffer.byteLength(e.provider);
  const r = Buffer.byteLength(e.keyRef);
  const o = { magic: 0, version: 4, storeId: 5, count: 21, providerLen: 22, provider: 23 } as Record<string, number>;
  o.refLen = o.provider! + p;
  o.ref = o.refLen! + 1;
  o.keyVersion = o.ref! + r;
  o.wrappedLen = o.keyVersion! + 4;
  o.wrapped = o.wrappedLen! + 2;
  o.nonce = o.wrapped! + e.wrapped.length;
  o.aadTag = o.nonce! + 12;
  o.body = o.aadTag! + 32;
  o.tag = ct.length - 16;
  expect(o.body).toBe(env.header.length);
  return o;
}

describe('envelope round trip', () => {
  for (const size of [0, 1, 4095, 4096, 1024 * 1024]) {
    it(`decrypts what it encrypted at ${size} bytes, with and without associated data`, async () => {
      const plaintext = Buffer.alloc(size, 0x61);
      for (let i = 0; i < size; i += 997) plaintext[i] = i & 0xff;
      for (const aad of [Buffer.alloc(0), Buffer.from('robot-7/telemetry')]) {
        const { ciphertext, version } = await c.keys.encrypt(keyId, plaintext, aad);
        expect(version).toBe(1);
        expect(ciphertext.includes(Buffer.from('robot-7'))).toBe(false);
        const out = await c.keys.decrypt(ciphertext, aad);
        expect(out.keyId).toBe(keyId);
        expect(out.plaintext.equals(plaintext)).toBe(true);
      }
    });
  }

  it('uses a fresh data key and nonce per message', async () => {
    const a = (await c.keys.encrypt(keyId, Buffer.from('same'), Buffer.alloc(0))).ciphertext;
    const b = (await c.keys.encrypt(keyId, Buffer.from('same'), Buffer.alloc(0))).ciphertext;
    const la = layout(a);
    expect(a.subarray(la.wrapped!, la.body!).equals(b.subarray(la.wrapped!, la.body!))).toBe(false);
  });

  it('writes the documented header: magic, version 1, store id, one local entry', async () => {
    const ct = (await c.keys.encrypt(keyId, Buffer.from('x'), Buffer.alloc(0))).ciphertext;
    expect(ct.subarray(0, 4).toString('ascii')).toBe('ECPS');
    expect(ct[4]).toBe(ENVELOPE_VERSION);
    const env = parseEnvelope(ct);
    expect(env.entries).toHaveLength(1);
    expect(env.entries[0]).toMatchObject({ provider: 'local', keyRef: keyId, keyVersion: 1 });
    expect(env.entries[0]!.wrapped.length).toBe(12 + 32 + 16);
    expect(ct.length).toBe(env.header.length + 1 + 16);
  });
});

describe('damaged ciphertext is refused with a typed error, never with plaintext', () => {
  const aad = Buffer.from('order-42');
  const plaintext = Buffer.from('move robot 7 to dock 3, then power down');

  it('rejects every single flipped byte in header and body with the code of the field it hit', async () => {
    const ct = (await c.keys.encrypt(keyId, plaintext, aad)).ciphertext;
    const o = layout(ct);
    const expected = (i: number): string[] => {
      if (i < o.count!) return ['ciphertext_foreign']; // magic, version, store id
      if (i === o.count || i === o.providerLen || i === o.refLen || (i >= o.wrappedLen! && i < o.wrapped!)) {
        return ['ciphertext_malformed', 'ciphertext_tampered']; // lengths: structure breaks or fields shift
      }
      return ['ciphertext_tampered'];
    };
    const seen = new Map<string, number>();
    for (let i = 0; i < ct.length; i++) {
      const bad = Buffer.from(ct);
      bad[i] = bad[i]! ^ 0xff;
      const code = await codeOf(() => c.keys.decrypt(bad, aad));
      expect(expected(i), `byte ${i}`).toContain(code);
      seen.set(code, (seen.get(code) ?? 0) + 1);
    }
    expect(seen.get('ciphertext_tampered')).toBeGreaterThan(ct.length / 2);
    expect(seen.get('ciphertext_foreign')).toBe(21);
  });

  it('rejects truncation at every header field boundary as malformed', async () => {
    const ct = (await c.keys.encrypt(keyId, plaintext, aad)).ciphertext;
    const o = layout(ct);
    const cuts = new Set<number>([0, 1, 2, 3, ...Object.values(o).filter((v) => v <= o.body!), o.body! + 15]);
    for (const cut of cuts) {
      expect(await codeOf(() => c.keys.decrypt(ct.subarray(0, cut), aad)), `cut at ${cut}`).toBe('ciphertext_malformed');
    }
  });

  it('rejects a body cut short (tag or data missing) as tampered or malformed', async () => {
    const ct = (await c.keys.encrypt(keyId, plaintext, aad)).ciphertext;
    for (const drop of [1, 16, 17, ct.length - layout(ct).body!]) {
      expect(['ciphertext_tampered', 'ciphertext_malformed']).toContain(await codeOf(() => c.keys.decrypt(ct.subarray(0, ct.length - drop), aad)));
    }
    expect(await codeOf(() => c.keys.decrypt(Buffer.concat([ct, Buffer.from([0])]), aad))).toBe('ciphertext_tampered');
  });

  it('tells a wrong or missing associated data apart from tampering', async () => {
    const ct = (await c.keys.encrypt(keyId, plaintext, aad)).ciphertext;
    expect(await codeOf(() => c.keys.decrypt(ct, Buffer.from('order-43')))).toBe('aad_mismatch');
    expect(await codeOf(() => c.keys.decrypt(ct, Buffer.alloc(0)))).toBe('aad_mismatch');
    const noAad = (await c.keys.encrypt(keyId, plaintext, Buffer.alloc(0))).ciphertext;
    expect(await codeOf(() => c.keys.decrypt(noAad, aad))).toBe('aad_mismatch');
  });

  it('calls ciphertext of another store foreign, even for a key id that exists there', async () => {
    const ct = (await c.keys.encrypt(keyId, plaintext, aad)).ciphertext;
    expect(await codeOf(() => other.keys.decrypt(ct, aad))).toBe('ciphertext_foreign');
  });

  it('refuses an unknown format version and text that is not this format as foreign', async () => {
    const ct = Buffer.from((await c.keys.encrypt(keyId, plaintext, aad)).ciphertext);
    ct[4] = 2;
    expect(await codeOf(() => c.keys.decrypt(ct, aad))).toBe('ciphertext_foreign');
    expect(await codeOf(() => c.keys.decrypt(Buffer.from('-----BEGIN PGP MESSAGE-----'), aad))).toBe('ciphertext_foreign');
    expect(await codeOf(() => c.keys.decrypt(Buffer.alloc(0), aad))).toBe('ciphertext_malformed');
  });

  it('rejects a header whose data key entry was replaced by one from another message', async () => {
    const a = (await c.keys.encrypt(keyId, plaintext, aad)).ciphertext;
    const b = (await c.keys.encrypt(keyId, plaintext, aad)).ciphertext;
    const o = layout(a);
    const spliced = Buffer.concat([a.subarray(0, o.wrapped!), b.subarray(o.wrapped!, o.nonce!), a.subarray(o.nonce!)]);
    expect(await codeOf(() => c.keys.decrypt(spliced, aad))).toBe('ciphertext_tampered');
  });
});
