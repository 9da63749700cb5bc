// Multi-provider envelopes (electron/providers/multiEnvelope.ts) called directly, against the rules of docs/providers.md
// "Multi-provider envelopes": recipients wrap one data key with AAD "ecps/envelope/v1/provider-dek|store|provider|key",
// versions reported / known / 0, all-or-nothing unless requireAll is false, the fallback only when every failure is
// unreachable, the first recipient generating the key, decryption in breaker order, and failover at key creation.
// The providers are scripted here but wrap with real AES-256-GCM; the envelope is opened with raw node:crypto from
// docs/ciphertext-format.md, and the data-key cache is the real one over a manual clock. Nothing runs at collection.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import { parseEnvelope } from '../../electron/crypto/envelope.ts';
import { createDataKeyCache } from '../../electron/providers/cache/dataKeyCache.ts';
import { createKeyWithFailover, decryptFromRecipients, encryptForRecipients, providerWrapContext } from '../../electron/providers/multiEnvelope.ts';
import { type KmsProvider, ProviderError, type ProviderErrorKind } from '../../electron/providers/types.ts';
import { isConsoleError } from '../../shared/errors.ts';

const STORE = '6f1c2a3b-4d5e-4f60-8172-93a4b5c6d7e8';
const AAD = Buffer.from('robot-7/telemetry');
const DATA = Buffer.from('the message');
const hkdf = (ikm: Buffer, info: string) => Buffer.from(crypto.hkdfSync('sha256', ikm, Buffer.alloc(0), Buffer.from(info, 'utf8'), 32));
const zeroed = (b: Buffer) => b.length > 0 && b.every((x) => x === 0);

interface Script {
  version?: number | null;
  fail?: ProviderErrorKind;
  providerCode?: string;
  breaker?: string;
  aes?: boolean;
  /** What decrypt returns instead of the unwrapped key (e.g. a short key). */
  decryptAs?: Buffer;
  materialId?: string | null;
  generated?: Buffer;
}

/** A provider whose key is one AES-256 key per keyRef, wrapping nonce | ciphertext | tag with the AAD it is given. */
function provider(id: string, script: Script = {}) {
  const keys = new Map<string, Buffer>();
  const keyOf = (ref: string) => keys.get(ref) ?? (keys.set(ref, crypto.randomBytes(32)), keys.get(ref)!);
  const calls = { encrypt: [] as Array<{ keyRef: string; plaintext: Buffer; aad: Buffer }>, decrypt: [] as string[], generate: 0, createKey: 0 };
  const failure = () => new ProviderError(script.fail!, `${id} says ${script.fail}`, { providerId: id, providerCode: script.providerCode ?? `${script.fail}Code` });
  const wrap = (ref: string, plaintext: Buffer, aad: Buffer) => {
    const nonce = crypto.randomBytes(12);
    const c = crypto.createCipheriv('aes-256-gcm', keyOf(ref), nonce);
    c.setAAD(aad);
    return Buffer.concat([nonce, c.update(plaintext), c.final(), c.getAuthTag()]);
  };
  const unwrap = (ref: string, w: Buffer, aad: Buffer) => {
    const d = crypto.createDecipheriv('aes-256-gcm', keyOf(ref), w.subarray(0, 12));
    d.setAAD(aad);
    d.setAuthTag(w.subarray(w.length - 16));
    return Buffer.concat([d.update(w.subarray(12, w.length - 16)), d.final()]);
  };
  const p = {
    id,
    kind: 'vault',
    capabilities: { specs: { encrypt: script.aes === false ? [] : ['AES_256'] } },
    ...(script.breaker ? { breakerState: () => script.breaker } : {}),
    async encrypt(keyRef: string, plaintext: Buffer, aad?: Buffer) {
      calls.encrypt.push({ keyRef, plaintext, aad: aad! });
      if (script.fail) throw failure();
      return { ciphertext: wrap(keyRef, plaintext, aad!), version: script.version === undefined ? 5 : script.version };
    },
    async decrypt(keyRef: string, ciphertext: Buffer, aad?: Buffer) {
      calls.decrypt.push(keyRef);
      if (script.fail) throw failure();
      const plaintext = script.decryptAs ?? unwrap(keyRef, ciphertext, aad!);
      return { plaintext, version: 5, materialId: script.materialId };
    },
    async generateDataKey(keyRef: string, aad?: Buffer) {
      calls.generate++;
      if (script.fail) throw failure();
      const plaintext = script.generated ?? crypto.randomBytes(32);
      return { plaintext, wrapped: wrap(keyRef, plaintext, aad!), version: script.version === undefined ? 9 : script.version, materialId: script.materialId };
    },
    async createKey(input: { name: string }) {
      calls.createKey++;
      if (script.fail) throw failure();
      return { keyRef: `${id}/${input.name}` };
    },
  };
  return { p: p as unknown as KmsProvider, calls, unwrap };
}

/** Opens the body by docs/ciphertext-format.md with the data key. */
function openBody(ct: Buffer, dataKey: Buffer, aad = AAD): Buffer {
  const env = parseEnvelope(ct);
  expect(env.aadTag.equals(crypto.createHmac('sha256', hkdf(dataKey, 'ecps/envelope/v1/aad')).update(aad).digest())).toBe(true);
  const d = crypto.createDecipheriv('aes-256-gcm', hkdf(dataKey, 'ecps/envelope/v1/body'), env.bodyNonce);
  d.setAAD(env.header);
  d.setAuthTag(env.bodyTag);
  return Buffer.concat([d.update(env.body), d.final()]);
}

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string; details: unknown }> {
  try {
    await p;
  } catch (e) {
    if (isConsoleError(e)) return { code: e.code, message: e.message, details: e.details };
    throw e;
  }
  throw new Error('expected a refusal');
}

const deps = { storeId: STORE };

describe('encryptForRecipients', () => {
  it('wraps one data key under each recipient with the provider-dek AAD; versions: reported, else known, else 0', async () => {
    const a = provider('aws-primary', { version: null });
    const b = provider('vault-backup', { version: 12 });
    const c = provider('gcp', { version: null });
    const r = await encryptForRecipients(deps, [{ provider: a.p, keyRef: 'alias/a', knownVersion: 3 }, { provider: b.p, keyRef: 'transit/b' }, { provider: c.p, keyRef: 'k/c' }], DATA, AAD);
    expect(a.calls.encrypt[0]!.aad.toString()).toBe(`ecps/envelope/v1/provider-dek|${STORE}|aws-primary|alias/a`);
    expect(b.calls.encrypt[0]!.aad.toString()).toBe(`ecps/envelope/v1/provider-dek|${STORE}|vault-backup|transit/b`);
    expect(providerWrapContext(STORE, 'p', 'k').toString()).toBe(`ecps/envelope/v1/provider-dek|${STORE}|p|k`);
    expect(r).toMatchObject({
      recipients: [
        { providerId: 'aws-primary', keyRef: 'alias/a', keyVersion: 3 },
        { providerId: 'vault-backup', keyRef: 'transit/b', keyVersion: 12 },
        { providerId: 'gcp', keyRef: 'k/c', keyVersion: 0 },
      ],
      skipped: [],
      degraded: false,
      dataKeyFromCache: false,
      materialId: null,
    });
    const env = parseEnvelope(r.ciphertext);
    expect(env.storeId).toBe(STORE);
    expect(env.entries.map((e) => [e.provider, e.keyRef, e.keyVersion])).toEqual([['aws-primary', 'alias/a', 3], ['vault-backup', 'transit/b', 12], ['gcp', 'k/c', 0]]);
    const dk = a.unwrap('alias/a', env.entries[0]!.wrapped, providerWrapContext(STORE, 'aws-primary', 'alias/a'));
    expect(b.unwrap('transit/b', env.entries[1]!.wrapped, providerWrapContext(STORE, 'vault-backup', 'transit/b')).equals(dk)).toBe(true);
    expect(openBody(r.ciphertext, dk).equals(DATA)).toBe(true);
    // the data key the providers were handed is zeroed once the envelope is written
    expect(zeroed(a.calls.encrypt[0]!.plaintext)).toBe(true);
  });

  it('takes 1 to 8 recipients, each once, each able to wrap AES-256 keys; refuses the rest with invalid_input / unsupported_operation', async () => {
    const many = Array.from({ length: 9 }, (_, i) => ({ provider: provider(`p${i}`).p, keyRef: 'k' }));
    expect(await refusal(encryptForRecipients(deps, [], DATA, AAD))).toEqual({ code: 'invalid_input', message: 'An envelope needs 1 to 8 recipients.', details: { field: 'recipients' } });
    expect((await refusal(encryptForRecipients(deps, many, DATA, AAD))).code).toBe('invalid_input');
    expect((await encryptForRecipients(deps, many.slice(0, 8), DATA, AAD)).recipients).toHaveLength(8);
    const a = provider('a');
    expect(await refusal(encryptForRecipients(deps, [{ provider: a.p, keyRef: 'k' }, { provider: a.p, keyRef: 'k' }], DATA, AAD))).toEqual({
      code: 'invalid_input',
      message: 'Recipient a/k is listed twice.',
      details: { field: 'recipients' },
    });
    expect((await encryptForRecipients(deps, [{ provider: a.p, keyRef: 'k' }, { provider: a.p, keyRef: 'k2' }], DATA, AAD)).recipients).toHaveLength(2);
    // Two different recipients whose provider id and key ref join to the same text with a NUL between them
    // ('a\0b' + 'c' and 'a' + 'b\0c'): not the same recipient, both wrap the key.
    const nulId = provider('a\u0000b');
    const plainA = provider('a');
    const joined = await encryptForRecipients(deps, [{ provider: nulId.p, keyRef: 'c' }, { provider: plainA.p, keyRef: 'b\u0000c' }], DATA, AAD);
    expect(joined.recipients.map((r) => [r.providerId, r.keyRef])).toEqual([['a\u0000b', 'c'], ['a', 'b\u0000c']]);
    expect(nulId.calls.encrypt.map((c) => c.keyRef).concat(plainA.calls.encrypt.map((c) => c.keyRef))).toEqual(['c', 'b\u0000c']);
    // The same pair twice with a NUL in it is still the same recipient.
    expect(await refusal(encryptForRecipients(deps, [{ provider: nulId.p, keyRef: 'c\u0000d' }, { provider: nulId.p, keyRef: 'c\u0000d' }], DATA, AAD))).toMatchObject({
      code: 'invalid_input',
      message: 'Recipient a\u0000b/c\u0000d is listed twice.',
    });
    expect(await refusal(encryptForRecipients(deps, [{ provider: a.p, keyRef: 'k' }, { provider: provider('hsm', { aes: false }).p, keyRef: 'k' }], DATA, AAD))).toEqual({
      code: 'unsupported_operation',
      message: 'Provider hsm cannot wrap data keys.',
      details: { field: 'recipients' },
    });
  });

  it('by default every recipient must wrap the key; requireAll: false writes with those that worked and lists the skipped', async () => {
    const a = provider('a');
    const down = provider('down', { fail: 'Unavailable' });
    const list = [{ provider: a.p, keyRef: 'k' }, { provider: down.p, keyRef: 'kd' }];
    const refused = await refusal(encryptForRecipients(deps, list, DATA, AAD));
    expect(refused.code).toBe('provider_unavailable');
    expect(refused.message).toBe('The data key could not be wrapped under every required provider, so nothing was written. down: down says Unavailable');
    const r = await encryptForRecipients(deps, list, DATA, AAD, { requireAll: false });
    expect(r.recipients).toEqual([{ providerId: 'a', keyRef: 'k', keyVersion: 5 }]);
    expect(r.skipped).toEqual([{ providerId: 'down', keyRef: 'kd', kind: 'Unavailable', providerCode: 'UnavailableCode', message: 'down says Unavailable' }]);
    expect(r.degraded).toBe(false);
    expect(parseEnvelope(r.ciphertext).entries.map((e) => e.provider)).toEqual(['a']);
    // nobody wrapped it: refused even with requireAll false
    expect((await refusal(encryptForRecipients(deps, [{ provider: down.p, keyRef: 'kd' }], DATA, AAD, { requireAll: false }))).code).toBe('provider_unavailable');
  });

  it('uses the fallback only when every failure is Unavailable or Throttled; then degraded, with the working recipients and the fallback', async () => {
    const a = provider('a');
    const fb = provider('local');
    const fallback = { provider: fb.p, keyRef: 'fallback-key' };
    for (const kind of ['Unavailable', 'Throttled'] as const) {
      const down = provider('down', { fail: kind });
      const r = await encryptForRecipients(deps, [{ provider: a.p, keyRef: 'k' }, { provider: down.p, keyRef: 'kd' }], DATA, AAD, { fallback });
      expect(r.degraded, kind).toBe(true);
      expect(r.recipients.map((x) => x.providerId), kind).toEqual(['a', 'local']);
      expect(r.skipped.map((x) => x.kind), kind).toEqual([kind]);
    }
    // every recipient down: the fallback alone
    const only = await encryptForRecipients(deps, [{ provider: provider('down', { fail: 'Unavailable' }).p, keyRef: 'kd' }], DATA, AAD, { fallback });
    expect(only.recipients.map((x) => x.providerId)).toEqual(['local']);
    // a definite refusal among the failures: no fallback, nothing written
    const before = fb.calls.encrypt.length;
    const mixed = [{ provider: provider('down', { fail: 'Unavailable' }).p, keyRef: 'kd' }, { provider: provider('denied', { fail: 'AccessDenied' }).p, keyRef: 'kx' }];
    expect((await refusal(encryptForRecipients(deps, mixed, DATA, AAD, { fallback }))).code).toBe('provider_unavailable');
    expect((await refusal(encryptForRecipients(deps, [{ provider: provider('denied', { fail: 'AccessDenied' }).p, keyRef: 'kx' }], DATA, AAD, { fallback }))).code).toBe('provider_access_denied');
    expect(fb.calls.encrypt.length).toBe(before);
    // no failure: the fallback is not asked
    expect((await encryptForRecipients(deps, [{ provider: a.p, keyRef: 'k' }], DATA, AAD, { fallback })).degraded).toBe(false);
    expect(fb.calls.encrypt.length).toBe(before);
    // the fallback failing too: refused, naming both
    const broken = { provider: provider('local', { fail: 'Unavailable' }).p, keyRef: 'fallback-key' };
    const both = await refusal(encryptForRecipients(deps, [{ provider: provider('down', { fail: 'Unavailable' }).p, keyRef: 'kd' }], DATA, AAD, { fallback: broken }));
    expect(both.details).toEqual({ operation: 'encrypt', providers: 'down:UnavailableCode,local:UnavailableCode' });
    // with requireAll false the fallback still applies when something is unreachable
    expect((await encryptForRecipients(deps, [{ provider: a.p, keyRef: 'k' }, { provider: provider('down', { fail: 'Throttled' }).p, keyRef: 'kd' }], DATA, AAD, { requireAll: false, fallback })).degraded).toBe(true);
  });

  it('generate: the first recipient makes the data key (its version and material id), the others wrap it; a bad key length is a failure', async () => {
    const g = provider('aws', { materialId: 'mat-1', version: null });
    const b = provider('vault');
    const r = await encryptForRecipients(deps, [{ provider: g.p, keyRef: 'alias/x', generate: true, knownVersion: 4 }, { provider: b.p, keyRef: 'k' }], DATA, AAD);
    expect(g.calls.generate).toBe(1);
    expect(g.calls.encrypt).toHaveLength(0);
    expect(r.materialId).toBe('mat-1');
    expect(r.recipients).toEqual([{ providerId: 'aws', keyRef: 'alias/x', keyVersion: 4 }, { providerId: 'vault', keyRef: 'k', keyVersion: 5 }]);
    const env = parseEnvelope(r.ciphertext);
    const dk = g.unwrap('alias/x', env.entries[0]!.wrapped, providerWrapContext(STORE, 'aws', 'alias/x'));
    expect(b.unwrap('k', env.entries[1]!.wrapped, providerWrapContext(STORE, 'vault', 'k')).equals(dk)).toBe(true);
    expect(openBody(r.ciphertext, dk).equals(DATA)).toBe(true);
    // a generating provider that names no material, and its reported version
    expect((await encryptForRecipients(deps, [{ provider: provider('v', { version: 2 }).p, keyRef: 'k', generate: true }], DATA, AAD))).toMatchObject({ materialId: null, recipients: [{ keyVersion: 2 }] });
    // generate on a provider that reports no version and no known version: 0
    expect((await encryptForRecipients(deps, [{ provider: provider('v', { version: null }).p, keyRef: 'k', generate: true }], DATA, AAD)).recipients[0]!.keyVersion).toBe(0);
    // a 16-byte data key is refused (and zeroed); the others still wrap a random key when requireAll is false
    const short = Buffer.alloc(16, 7);
    const bad = provider('aws', { generated: short });
    const partial = await encryptForRecipients(deps, [{ provider: bad.p, keyRef: 'alias/x', generate: true }, { provider: b.p, keyRef: 'k' }], DATA, AAD, { requireAll: false });
    expect(zeroed(short)).toBe(true);
    expect(partial.skipped).toEqual([{ providerId: 'aws', keyRef: 'alias/x', kind: 'integrity_failure', providerCode: null, message: 'Provider aws returned a data key of 16 bytes, not 32.' }]);
    expect(partial.recipients.map((x) => x.providerId)).toEqual(['vault']);
    expect(partial.materialId).toBeNull();
    // the generating provider unreachable: the fallback wraps the random key
    const down = await encryptForRecipients(deps, [{ provider: provider('aws', { fail: 'Unavailable' }).p, keyRef: 'a', generate: true }], DATA, AAD, { fallback: { provider: provider('local').p, keyRef: 'fb' } });
    expect(down).toMatchObject({ degraded: true, recipients: [{ providerId: 'local' }], skipped: [{ providerId: 'aws', kind: 'Unavailable' }] });
  });

  it('with the data-key cache on: a complete set is reused for the next message (from cache, nothing asked), a partial one never', async () => {
    const clock = manualClock();
    const cache = createDataKeyCache({ clock, enabled: true, ttlSeconds: 300, maxEntries: 10 });
    const a = provider('a');
    const b = provider('b');
    const d = { storeId: STORE, cache };
    const list = [{ provider: a.p, keyRef: 'k' }, { provider: b.p, keyRef: 'k' }];
    const first = await encryptForRecipients(d, list, DATA, AAD);
    const second = await encryptForRecipients(d, list, Buffer.from('next'), AAD);
    expect(first.dataKeyFromCache).toBe(false);
    expect(second).toMatchObject({ dataKeyFromCache: true, degraded: false, skipped: [], materialId: null, recipients: [{ providerId: 'a', keyVersion: 5 }, { providerId: 'b', keyVersion: 5 }] });
    expect(a.calls.encrypt).toHaveLength(1);
    const dk = a.unwrap('k', parseEnvelope(second.ciphertext).entries[0]!.wrapped, providerWrapContext(STORE, 'a', 'k'));
    expect(openBody(second.ciphertext, dk).toString()).toBe('next');
    // the other order is another set
    await encryptForRecipients(d, [list[1]!, list[0]!], DATA, AAD);
    expect(a.calls.encrypt).toHaveLength(2);
    // a partial set (one skipped) is not cached
    const down = provider('down', { fail: 'Unavailable' });
    const partialList = [{ provider: a.p, keyRef: 'k3' }, { provider: down.p, keyRef: 'kd' }];
    await encryptForRecipients(d, partialList, DATA, AAD, { requireAll: false });
    await encryptForRecipients(d, partialList, DATA, AAD, { requireAll: false });
    expect(a.calls.encrypt.filter((c) => c.keyRef === 'k3')).toHaveLength(2);
  });
});

describe('decryptFromRecipients', () => {
  async function sealed(list: Array<{ p: KmsProvider; ref: string }>) {
    const r = await encryptForRecipients(deps, list.map((x) => ({ provider: x.p, keyRef: x.ref })), DATA, AAD, { requireAll: false });
    return r.ciphertext;
  }
  const lookupOf = (...ps: KmsProvider[]) => (id: string) => ps.find((p) => p.id === id);

  it('opens with the first recipient in header order, naming it; its data key is zeroed afterwards', async () => {
    const a = provider('a', { materialId: 'm-a' });
    const b = provider('b');
    const ct = await sealed([{ p: a.p, ref: 'ka' }, { p: b.p, ref: 'kb' }]);
    let handed: Buffer | null = null;
    const spy = { ...a.p, id: 'a', decrypt: async (ref: string, w: Buffer, aad?: Buffer) => {
      const out = await a.p.decrypt(ref, w, aad);
      handed = out.plaintext;
      return out;
    } } as KmsProvider;
    const r = await decryptFromRecipients(deps, lookupOf(spy, b.p), ct, AAD);
    expect(r).toMatchObject({ providerId: 'a', keyRef: 'ka', keyVersion: 5, dataKeyFromCache: false, materialId: 'm-a', failures: [] });
    expect(r.plaintext.equals(DATA)).toBe(true);
    expect(b.calls.decrypt).toHaveLength(0);
    expect(zeroed(handed!)).toBe(true);
  });

  it('refuses another store\'s ciphertext as foreign, naming that store', async () => {
    const a = provider('a');
    const ct = await sealed([{ p: a.p, ref: 'ka' }]);
    expect(await refusal(decryptFromRecipients({ storeId: crypto.randomUUID() }, lookupOf(a.p), ct, AAD))).toEqual({
      code: 'ciphertext_foreign',
      message: 'This ciphertext was made by another key store.',
      details: { storeId: STORE },
    });
  });

  it('tries closed circuits first, then half-open, then open, then providers not configured; header order among equals', async () => {
    const open = provider('open', { breaker: 'open' });
    const half = provider('half', { breaker: 'half_open' });
    const closed = provider('closed', { breaker: 'closed' });
    const plain = provider('plain');
    const gone = provider('gone');
    const ct = await sealed([{ p: gone.p, ref: 'k' }, { p: open.p, ref: 'k' }, { p: half.p, ref: 'k' }, { p: plain.p, ref: 'k' }, { p: closed.p, ref: 'k' }]);
    const order: string[] = [];
    const failing = (x: ReturnType<typeof provider>) => ({ ...x.p, id: x.p.id, decrypt: async () => {
      order.push(x.p.id);
      throw new ProviderError('Unavailable', `${x.p.id} down`, { providerId: x.p.id });
    } }) as unknown as KmsProvider;
    const err = await refusal(decryptFromRecipients(deps, lookupOf(failing(open), failing(half), failing(closed), failing(plain)), ct, AAD));
    expect(order).toEqual(['plain', 'closed', 'half', 'open']);
    expect(err.code).toBe('provider_unavailable');
    expect(err.message).toBe('None of the providers that wrapped this data key could unwrap it. plain: plain down; closed: closed down; half: half down; open: open down; gone: Provider gone is not configured in this console.');
    // only providers this console does not have: provider_unavailable (the data may be readable where they are)
    expect(await refusal(decryptFromRecipients(deps, () => undefined, await sealed([{ p: gone.p, ref: 'k' }]), AAD))).toEqual({
      code: 'provider_unavailable',
      message: 'None of the providers that wrapped this data key could unwrap it. gone: Provider gone is not configured in this console.',
      details: { operation: 'decrypt', providers: 'gone:NotConfigured' },
    });
    // the first that answers wins, after the failures before it
    const r = await decryptFromRecipients(deps, lookupOf(failing(plain), closed.p, half.p), ct, AAD);
    expect(r.providerId).toBe('closed');
    expect(r.failures.map((f) => f.providerId)).toEqual(['plain']);
    expect(r.materialId).toBeNull();
    expect(half.calls.decrypt).toHaveLength(0);
    // an open circuit before a half-open one in the header still comes after it
    const r2 = await decryptFromRecipients(deps, lookupOf(open.p, half.p), ct, AAD);
    expect(r2.providerId).toBe('half');
  });

  it('a provider answering with a data key of the wrong length is a tampered recipient; the next one is tried', async () => {
    const a = provider('a');
    const b = provider('b');
    const ct = await sealed([{ p: a.p, ref: 'k' }, { p: b.p, ref: 'k' }]);
    const short = Buffer.alloc(31, 1);
    const liar = { ...provider('a', { decryptAs: short }).p, id: 'a' } as KmsProvider;
    const r = await decryptFromRecipients(deps, lookupOf(liar, b.p), ct, AAD);
    expect(r.providerId).toBe('b');
    expect(r.failures).toEqual([{ providerId: 'a', keyRef: 'k', kind: 'ciphertext_tampered', providerCode: null, message: 'The ciphertext failed authentication: it was modified after encryption.' }]);
    expect(zeroed(short)).toBe(true);
    const alone = await sealed([{ p: a.p, ref: 'k' }]);
    expect((await refusal(decryptFromRecipients(deps, lookupOf(liar), alone, AAD))).code).toBe('ciphertext_tampered');
  });

  it('a wrong associated data is aad_mismatch; a modified AAD tag in the header is ciphertext_tampered (the body no longer authenticates)', async () => {
    const a = provider('a');
    const ct = await sealed([{ p: a.p, ref: 'k' }]);
    expect((await refusal(decryptFromRecipients(deps, lookupOf(a.p), ct, Buffer.from('other')))).code).toBe('aad_mismatch');
    const env = parseEnvelope(ct);
    const bad = Buffer.from(ct);
    bad[env.header.length - 1]! ^= 1; // last byte of the AAD tag
    expect((await refusal(decryptFromRecipients(deps, lookupOf(a.p), bad, AAD))).code).toBe('ciphertext_tampered');
    const body = Buffer.from(ct);
    body[body.length - 1]! ^= 1;
    expect((await refusal(decryptFromRecipients(deps, lookupOf(a.p), body, AAD))).code).toBe('ciphertext_tampered');
  });

  it('with the cache on: the first decryption puts the data key (and material id), the next is served from the cache without asking', async () => {
    const cache = createDataKeyCache({ clock: manualClock(), enabled: true, ttlSeconds: 300, maxEntries: 10 });
    const a = provider('a', { materialId: 'm-1' });
    const ct = await sealed([{ p: a.p, ref: 'k' }]);
    const first = await decryptFromRecipients({ storeId: STORE, cache }, lookupOf(a.p), ct, AAD);
    const second = await decryptFromRecipients({ storeId: STORE, cache }, lookupOf(a.p), ct, AAD);
    expect(first).toMatchObject({ dataKeyFromCache: false, materialId: 'm-1' });
    expect(second).toMatchObject({ dataKeyFromCache: true, materialId: 'm-1', providerId: 'a', failures: [] });
    expect(second.plaintext.equals(DATA)).toBe(true);
    expect(a.calls.decrypt).toHaveLength(1);
    // a disabled cache keeps nothing
    const off = createDataKeyCache({ clock: manualClock(), enabled: false, ttlSeconds: 300, maxEntries: 10 });
    await decryptFromRecipients({ storeId: STORE, cache: off }, lookupOf(a.p), ct, AAD);
    expect((await decryptFromRecipients({ storeId: STORE, cache: off }, lookupOf(a.p), ct, AAD)).dataKeyFromCache).toBe(false);
  });
});

describe('createKeyWithFailover', () => {
  const input = { name: 'robots', algorithm: 'AES_256' } as never;

  it('creates on the primary when it answers', async () => {
    const p = provider('aws');
    const b = provider('vault');
    expect(await createKeyWithFailover(p.p, b.p, input)).toEqual({ key: { keyRef: 'aws/robots' }, providerId: 'aws', failedOver: false, primaryFailure: null, primaryOutcomeUnknown: false });
    expect(b.calls.createKey).toBe(0);
  });

  it('fails over when the primary is Unavailable or Throttled; a timeout leaves the primary\'s outcome unknown', async () => {
    const b = provider('vault');
    const r = await createKeyWithFailover(provider('aws', { fail: 'Unavailable', providerCode: 'Timeout' }).p, b.p, input);
    expect(r).toEqual({
      key: { keyRef: 'vault/robots' },
      providerId: 'vault',
      failedOver: true,
      primaryFailure: { providerId: 'aws', keyRef: 'robots', kind: 'Unavailable', providerCode: 'Timeout', message: 'aws says Unavailable' },
      primaryOutcomeUnknown: true,
    });
    const t = await createKeyWithFailover(provider('aws', { fail: 'Throttled' }).p, b.p, input);
    expect(t).toMatchObject({ providerId: 'vault', failedOver: true, primaryOutcomeUnknown: false });
  });

  it('a definite refusal, or no backup, is the primary\'s own error; a backup that fails too gives one error naming both', async () => {
    const denied = provider('aws', { fail: 'InvalidInput' });
    const b = provider('vault');
    await expect(createKeyWithFailover(denied.p, b.p, input)).rejects.toMatchObject({ kind: 'InvalidInput', providerId: 'aws' });
    expect(b.calls.createKey).toBe(0);
    await expect(createKeyWithFailover(provider('aws', { fail: 'Unavailable' }).p, null, input)).rejects.toMatchObject({ kind: 'Unavailable' });
    const both = await refusal(createKeyWithFailover(provider('aws', { fail: 'Unavailable' }).p, provider('vault', { fail: 'AccessDenied' }).p, input));
    expect(both).toEqual({
      code: 'provider_unavailable',
      message: 'Neither the primary nor the backup provider could create the key. aws: aws says Unavailable; vault: vault says AccessDenied',
      details: { operation: 'createKey', providers: 'aws:UnavailableCode,vault:AccessDeniedCode' },
    });
  });
});
