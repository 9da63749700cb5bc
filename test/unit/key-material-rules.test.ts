// Key generation, check values, signatures, the integrity check (keyMaterial.ts), the material cache's loans and
// counters (materialCache.ts) and the passphrase KDF (kdf.ts), called directly. Expectations are written out from
// docs/key-store.md (check values, signature schemes, the 256-version bound, scrypt(passphrase NFC, 16-byte salt),
// N=2^17 r=8 p=1) with raw node:crypto; nothing expected is taken from electron/crypto/. Everything runs inside a
// test: code run while the file is collected would make Stryker's mutants static.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isConsoleError } from '../../shared/errors.ts';
import { DEFAULT_KDF, deriveKek, dropPrederivedKek, offerPrederivedKek, passphraseBytes, SALT_BYTES, validateKdfParams } from '../../electron/crypto/kdf.ts';
import {
  aesCheckValue,
  checkKeyIntegrity,
  generateKeyMaterial,
  publicKeyFingerprint,
  signWith,
  SIGNATURE_ALGORITHMS,
  spkiToPem,
  verifyWith,
} from '../../electron/crypto/keyMaterial.ts';
import { createMaterialCache, DEFAULT_MATERIAL_CACHE_ENTRIES } from '../../electron/crypto/materialCache.ts';

const zeroed = (b: Buffer) => b.length > 0 && b.every((x) => x === 0);
const hmacKcv = (key: Buffer) => crypto.createHmac('sha256', key).update(Buffer.alloc(32)).digest().subarray(0, 8).toString('hex');
const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

function errorOf(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    if (isConsoleError(e)) return { code: e.code, message: e.message };
    return { code: `not a ConsoleError: ${String(e)}`, message: '' };
  }
  return { code: 'no error', message: '' };
}

describe('keyMaterial: generation and check values (docs/key-store.md)', () => {
  it('AES_256: 32 random bytes, no public key, check value = first 8 bytes of HMAC-SHA256(key, 32 zero bytes)', () => {
    const a = generateKeyMaterial('AES_256');
    const b = generateKeyMaterial('AES_256');
    expect(a.material.length).toBe(32);
    expect(a.material.equals(b.material)).toBe(false);
    expect(a.publicSpki).toBeNull();
    expect(a.checkValue).toBe(hmacKcv(a.material));
    expect(aesCheckValue(Buffer.alloc(32, 0x42))).toBe(hmacKcv(Buffer.alloc(32, 0x42)));
    expect(aesCheckValue(Buffer.alloc(32, 0x42))).toHaveLength(16);
  });

  it('RSA_2048: a 2048-bit key with exponent 65537 as PKCS#8 DER, its SPKI, check value = SHA-256 of the SPKI', () => {
    const k = generateKeyMaterial('RSA_2048');
    const priv = crypto.createPrivateKey({ key: k.material, format: 'der', type: 'pkcs8' });
    expect(priv.asymmetricKeyType).toBe('rsa');
    expect(priv.asymmetricKeyDetails).toMatchObject({ modulusLength: 2048, publicExponent: 65537n });
    expect(crypto.createPublicKey(priv).export({ format: 'der', type: 'spki' }).equals(k.publicSpki!)).toBe(true);
    expect(k.checkValue).toBe(sha256(k.publicSpki!));
    expect(publicKeyFingerprint(k.publicSpki!)).toBe(sha256(k.publicSpki!));
  });

  it('EC_P256: a P-256 key as PKCS#8 DER, its SPKI, check value = SHA-256 of the SPKI', () => {
    const k = generateKeyMaterial('EC_P256');
    const priv = crypto.createPrivateKey({ key: k.material, format: 'der', type: 'pkcs8' });
    expect(priv.asymmetricKeyType).toBe('ec');
    expect(priv.asymmetricKeyDetails).toMatchObject({ namedCurve: 'prime256v1' });
    expect(crypto.createPublicKey(priv).export({ format: 'der', type: 'spki' }).equals(k.publicSpki!)).toBe(true);
    expect(k.checkValue).toBe(sha256(k.publicSpki!));
  });

  it('names the signature schemes of docs/key-store.md', () => {
    expect(SIGNATURE_ALGORITHMS).toEqual({ RSA_2048: 'RSASSA-PSS-SHA256', EC_P256: 'ECDSA-P256-SHA256-DER' });
  });
});

describe('keyMaterial: signatures', () => {
  it('RSA_2048 signs RSASSA-PSS with SHA-256 and a 32-byte salt, checked by raw node:crypto; a PKCS#1 v1.5 or salt-20 signature does not verify', () => {
    const k = generateKeyMaterial('RSA_2048');
    const data = Buffer.from('lockdown order body');
    const sig = signWith('RSA_2048', k.material, data);
    expect(sig.length).toBe(256);
    const pub = crypto.createPublicKey({ key: k.publicSpki!, format: 'der', type: 'spki' });
    expect(crypto.verify('sha256', data, { key: pub, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig)).toBe(true);
    expect(crypto.verify('sha256', data, { key: pub, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 20 }, sig)).toBe(false);
    expect(verifyWith('RSA_2048', k.publicSpki!, data, sig)).toBe(true);
    const priv = crypto.createPrivateKey({ key: k.material, format: 'der', type: 'pkcs8' });
    const pkcs1 = crypto.sign('sha256', data, priv);
    expect(verifyWith('RSA_2048', k.publicSpki!, data, pkcs1)).toBe(false);
    const salt20 = crypto.sign('sha256', data, { key: priv, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 20 });
    expect(verifyWith('RSA_2048', k.publicSpki!, data, salt20)).toBe(false);
    expect(verifyWith('RSA_2048', k.publicSpki!, Buffer.from('another body'), sig)).toBe(false);
  });

  it('EC_P256 signs ECDSA over SHA-256, DER-encoded, checked by raw node:crypto; a raw (r||s) signature or garbage is not valid', () => {
    const k = generateKeyMaterial('EC_P256');
    const data = Buffer.from('payload');
    const sig = signWith('EC_P256', k.material, data);
    expect(sig[0]).toBe(0x30); // a DER SEQUENCE
    const pub = crypto.createPublicKey({ key: k.publicSpki!, format: 'der', type: 'spki' });
    expect(crypto.verify('sha256', data, { key: pub, dsaEncoding: 'der' }, sig)).toBe(true);
    expect(verifyWith('EC_P256', k.publicSpki!, data, sig)).toBe(true);
    const priv = crypto.createPrivateKey({ key: k.material, format: 'der', type: 'pkcs8' });
    const p1363 = crypto.sign('sha256', data, { key: priv, dsaEncoding: 'ieee-p1363' });
    expect(verifyWith('EC_P256', k.publicSpki!, data, p1363)).toBe(false);
    expect(verifyWith('EC_P256', k.publicSpki!, data, Buffer.from([0x30, 0x02, 0x01]))).toBe(false);
    expect(verifyWith('EC_P256', k.publicSpki!, Buffer.from('other'), sig)).toBe(false);
  });

  it('spkiToPem gives the PEM SPKI text of the public key', () => {
    const k = generateKeyMaterial('EC_P256');
    const pem = spkiToPem(k.publicSpki!);
    expect(pem.startsWith('-----BEGIN PUBLIC KEY-----\n')).toBe(true);
    expect(crypto.createPublicKey(pem).export({ format: 'der', type: 'spki' }).equals(k.publicSpki!)).toBe(true);
  });
});

describe('keyMaterial: the integrity check gives each documented reason', () => {
  it('AES_256: sound; wrong length; a check value that differs, is shorter, or is not hex', () => {
    const key = crypto.randomBytes(32);
    const kcv = hmacKcv(key);
    expect(checkKeyIntegrity('AES_256', key, null, kcv)).toBeNull();
    expect(checkKeyIntegrity('AES_256', key.subarray(0, 31), null, kcv)).toBe('key material has the wrong length');
    expect(checkKeyIntegrity('AES_256', Buffer.concat([key, Buffer.alloc(1)]), null, kcv)).toBe('key material has the wrong length');
    const other = (kcv[0] === '0' ? '1' : '0') + kcv.slice(1);
    expect(checkKeyIntegrity('AES_256', key, null, other)).toBe('key check value does not match');
    expect(checkKeyIntegrity('AES_256', key, null, kcv.slice(0, 14))).toBe('key check value does not match');
    expect(checkKeyIntegrity('AES_256', key, null, `${kcv}00`)).toBe('key check value does not match');
    expect(checkKeyIntegrity('AES_256', key, null, '')).toBe('key check value does not match');
  });

  it('EC / RSA: sound; public key missing; fingerprint differs; private key unparsable; private key of another pair', () => {
    for (const alg of ['EC_P256', 'RSA_2048'] as const) {
      const a = generateKeyMaterial(alg);
      const b = generateKeyMaterial(alg);
      expect(checkKeyIntegrity(alg, a.material, a.publicSpki, a.checkValue), alg).toBeNull();
      expect(checkKeyIntegrity(alg, a.material, null, a.checkValue), alg).toBe('public key is missing');
      expect(checkKeyIntegrity(alg, a.material, a.publicSpki, b.checkValue), alg).toBe('public key fingerprint does not match the recorded check value');
      expect(checkKeyIntegrity(alg, Buffer.from('not a key'), a.publicSpki, a.checkValue), alg).toBe('private key cannot be parsed');
      expect(checkKeyIntegrity(alg, b.material, a.publicSpki, a.checkValue), alg).toBe('private key does not match the public key');
    }
  });
});

describe('materialCache: loans, counters and zeroing', () => {
  const KEY = '00000000-0000-4000-8000-000000000001';

  it('is bounded at 256 versions by default (docs/key-store.md), dropping the least recently used first', () => {
    expect(DEFAULT_MATERIAL_CACHE_ENTRIES).toBe(256);
    const cache = createMaterialCache();
    const held: Buffer[] = [];
    for (let v = 1; v <= 257; v++) held.push(cache.lend(KEY, v, 'AES_256', Buffer.from([v & 0xff, v >> 8]), () => Buffer.alloc(32, 1), (m) => m!));
    expect(cache.stats()).toMatchObject({ size: 256, maxEntries: 256, misses: 257, hits: 0, evictions: 1 });
    expect(zeroed(held[0]!)).toBe(true);
    expect(zeroed(held[1]!)).toBe(false);
    expect(cache.stats().versions[0]).toBe(`${KEY}#2`);
  });

  it('with a bound of 1 each new version replaces the one before; hits, misses and evictions are counted exactly', () => {
    const cache = createMaterialCache(1);
    const w1 = Buffer.from('w1');
    const w2 = Buffer.from('w2');
    const m1 = cache.lend(KEY, 1, 'AES_256', w1, () => Buffer.alloc(32, 1), (m) => m!);
    expect(cache.lend(KEY, 1, 'AES_256', w1, () => Buffer.alloc(32, 9), (m) => m!.equals(Buffer.alloc(32, 1)))).toBe(true);
    const m2 = cache.lend(KEY, 2, 'AES_256', w2, () => Buffer.alloc(32, 2), (m) => m!);
    expect(zeroed(m1)).toBe(true);
    expect(zeroed(m2)).toBe(false);
    expect(cache.stats()).toEqual({ size: 1, maxEntries: 1, hits: 1, misses: 2, evictions: 1, versions: [`${KEY}#2`] });
    // a failed unwrap is a miss that caches nothing and evicts nothing
    expect(cache.lend(KEY, 3, 'AES_256', Buffer.from('w3'), () => null, (m) => m)).toBeNull();
    expect(cache.stats()).toEqual({ size: 1, maxEntries: 1, hits: 1, misses: 3, evictions: 1, versions: [`${KEY}#2`] });
    expect(zeroed(m2)).toBe(false);
  });

  it('a changed wrapped value whose unwrap fails still drops (and zeroes) the entry it no longer matches', () => {
    const cache = createMaterialCache(4);
    const m = cache.lend(KEY, 1, 'AES_256', Buffer.from('old'), () => Buffer.alloc(32, 5), (x) => x!);
    expect(cache.lend(KEY, 1, 'AES_256', Buffer.from('new'), () => null, (x) => x)).toBeNull();
    expect(zeroed(m)).toBe(true);
    expect(cache.stats()).toMatchObject({ size: 0, hits: 0, misses: 2, evictions: 0 });
  });

  it('keeps its own copy of the wrapped bytes: the caller may reuse its buffer, and clearing never zeroes it', () => {
    const cache = createMaterialCache(4);
    const wrapped = Buffer.from('stored wrapped value');
    let unwraps = 0;
    const unwrap = () => {
      unwraps++;
      return Buffer.alloc(32, 3);
    };
    cache.lend(KEY, 1, 'AES_256', wrapped, unwrap, () => null);
    const callerBuffer = Buffer.from(wrapped);
    wrapped.fill(0x58); // the caller reuses its buffer for another row's value
    cache.lend(KEY, 1, 'AES_256', Buffer.from('stored wrapped value'), unwrap, () => null);
    expect(unwraps).toBe(1); // still a hit: the cache compared against its own copy
    const mine = Buffer.from('stored wrapped value');
    cache.lend(KEY, 2, 'AES_256', mine, unwrap, () => null);
    cache.clear();
    expect(mine.equals(callerBuffer)).toBe(true);
  });

  it('nested loans: a buffer dropped inside the inner loan is zeroed only when the outer loan ends', () => {
    const cache = createMaterialCache(4);
    const w = Buffer.from('w');
    const material = Buffer.alloc(32, 7);
    const seen: boolean[] = [];
    let held: Buffer | null = null;
    cache.lend(KEY, 1, 'AES_256', w, () => material, (outer) => {
      held = outer;
      cache.lend(KEY, 1, 'AES_256', w, () => null, (inner) => {
        cache.forget(KEY);
        seen.push(inner!.equals(Buffer.alloc(32, 7)));
      });
      seen.push(outer!.equals(Buffer.alloc(32, 7)));
    });
    expect(seen).toEqual([true, true]);
    expect(zeroed(held!)).toBe(true);
  });

  it('a loan whose use throws still ends: a later forget zeroes the buffer at once', () => {
    const cache = createMaterialCache(4);
    let held: Buffer | null = null;
    expect(() =>
      cache.lend(KEY, 1, 'AES_256', Buffer.from('w'), () => Buffer.alloc(32, 7), (m) => {
        held = m;
        throw new Error('the borrower failed');
      }),
    ).toThrow('the borrower failed');
    expect(zeroed(held!)).toBe(false);
    cache.forget(KEY);
    expect(zeroed(held!)).toBe(true);
  });

  it('a lent buffer that is not dropped is not zeroed when the loan ends', () => {
    const cache = createMaterialCache(4);
    const m = cache.lend(KEY, 1, 'AES_256', Buffer.from('w'), () => Buffer.alloc(32, 7), (x) => x!);
    expect(m.equals(Buffer.alloc(32, 7))).toBe(true);
  });

  it('refuses a bound below 1 or not an integer, with its message; takes 1', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => createMaterialCache(bad), String(bad)).toThrow(new RangeError('maxEntries must be a positive integer'));
    expect(createMaterialCache(1).stats().maxEntries).toBe(1);
  });
});

describe('kdf: scrypt parameters and the passphrase key (docs/key-store.md)', () => {
  it('the defaults are N=2^17, r=8, p=1 with a 16-byte salt', () => {
    expect(DEFAULT_KDF).toEqual({ N: 131072, r: 8, p: 1 });
    expect(SALT_BYTES).toBe(16);
  });

  it('takes N a power of two from 2 to 2^22, r 1..32, p 1..16, and refuses the rest with invalid_input and its message', () => {
    const nMsg = 'kdf.N must be a power of two between 2 and 2^22.';
    const rMsg = 'kdf.r must be an integer from 1 to 32.';
    const pMsg = 'kdf.p must be an integer from 1 to 16.';
    const ok: Array<[number, number, number]> = [[2, 1, 1], [4, 8, 1], [2 ** 22, 8, 1], [1024, 32, 1], [1024, 8, 16]];
    for (const [N, r, p] of ok) expect(validateKdfParams({ N, r, p }), `${N}/${r}/${p}`).toEqual({ N, r, p });
    const bad: Array<[number, number, number, string]> = [
      [1, 8, 1, nMsg], [0, 8, 1, nMsg], [3, 8, 1, nMsg], [6, 8, 1, nMsg], [1000, 8, 1, nMsg], [2 ** 23, 8, 1, nMsg], [2.5, 8, 1, nMsg], [-2, 8, 1, nMsg],
      [1024, 0, 1, rMsg], [1024, 33, 1, rMsg], [1024, 1.5, 1, rMsg],
      [1024, 8, 0, pMsg], [1024, 8, 17, pMsg], [1024, 8, 1.5, pMsg],
    ];
    for (const [N, r, p, message] of bad) expect(errorOf(() => validateKdfParams({ N, r, p })), `${N}/${r}/${p}`).toEqual({ code: 'invalid_input', message });
    // only the three parameters come back
    expect(validateKdfParams({ N: 1024, r: 8, p: 1, extra: 1 } as never)).toEqual({ N: 1024, r: 8, p: 1 });
  });

  it('derives scrypt(NFC UTF-8 passphrase, salt, 32 bytes): an NFD passphrase gives the same key', async () => {
    const salt = crypto.randomBytes(16);
    const kdf = { N: 1024, r: 8, p: 2 };
    const nfc = 'Grüße, Zoë';
    const nfd = nfc.normalize('NFD');
    expect(nfd).not.toBe(nfc);
    const want = crypto.scryptSync(Buffer.from(nfc, 'utf8'), salt, 32, kdf);
    expect((await deriveKek(nfd, salt, kdf)).equals(want)).toBe(true);
    expect((await deriveKek(nfc, salt, kdf)).equals(want)).toBe(true);
    expect(passphraseBytes(nfd).equals(Buffer.from(nfc, 'utf8'))).toBe(true);
  });

  it('gives scrypt the memory N=2^15, r=8 needs (more than node:crypto allows by default)', async () => {
    const salt = crypto.randomBytes(16);
    const kdf = { N: 2 ** 15, r: 8, p: 1 };
    expect(() => crypto.scryptSync('x', salt, 32, kdf)).toThrow(); // the default limit is 32 MiB
    const want = crypto.scryptSync('x', salt, 32, { ...kdf, maxmem: 64 * 1024 * 1024 });
    expect((await deriveKek('x', salt, kdf)).equals(want)).toBe(true);
  });

  it('derives with the production default N=2^17, r=8, p=1 (a 128 MiB work area: the bound must grow with r)', async () => {
    // (what the key is, is checked at smaller costs above; one derivation here, a second would double the slowest test)
    const key = await deriveKek('operator passphrase', crypto.randomBytes(16), { N: 2 ** 17, r: 8, p: 1 });
    expect(key.length).toBe(32);
  });

  it('refuses bad parameters with a rejected promise, not a throw at the call: a caller\'s .catch() sees it', async () => {
    // The parameters and messages of the table above (docs/key-store.md), one per rule.
    const bad: Array<[{ N: number; r: number; p: number }, string]> = [
      [{ N: 1000, r: 8, p: 1 }, 'kdf.N must be a power of two between 2 and 2^22.'],
      [{ N: 1024, r: 33, p: 1 }, 'kdf.r must be an integer from 1 to 32.'],
      [{ N: 1024, r: 8, p: 0 }, 'kdf.p must be an integer from 1 to 16.'],
    ];
    for (const [kdf, message] of bad) {
      let result: Promise<Buffer> | undefined;
      expect(() => {
        result = deriveKek('x', crypto.randomBytes(16), kdf);
      }, `${JSON.stringify(kdf)}: no throw at the call`).not.toThrow();
      expect(result).toBeInstanceOf(Promise);
      const caught = await result!.then(
        () => null,
        (e: unknown) => e,
      );
      expect(isConsoleError(caught), `${JSON.stringify(kdf)}: a ConsoleError`).toBe(true);
      expect({ code: (caught as { code: string }).code, message: (caught as Error).message }).toEqual({ code: 'invalid_input', message });
      // The .catch() a caller chains gets it too.
      expect(await deriveKek('x', crypto.randomBytes(16), kdf).catch((e: { code: string }) => e.code)).toBe('invalid_input');
    }
  });
});

describe('kdf: a key derived ahead is taken once, only for the same passphrase, salt and parameters', () => {
  const kdf = { N: 1024, r: 8, p: 1 };
  const AHEAD = Buffer.alloc(32, 0xa5); // no scrypt output: tells the offered key from a derived one

  it('the same inputs (the passphrase in another normal form too) take the offered key, once', async () => {
    const salt = crypto.randomBytes(16);
    const offered = Buffer.from(AHEAD);
    offerPrederivedKek('Zoë', salt, kdf, offered);
    const got = await deriveKek('Zoë'.normalize('NFD'), salt, { ...kdf });
    expect(got).toBe(offered);
    expect(got.equals(AHEAD)).toBe(true);
    // one-shot: the next derivation computes
    const again = await deriveKek('Zoë', salt, kdf);
    expect(again.equals(crypto.scryptSync(Buffer.from('Zoë'.normalize('NFC')), salt, 32, kdf))).toBe(true);
  });

  it('any difference (passphrase, its length, salt, N, r, p) derives afresh and zeroes the offered key', async () => {
    const salt = crypto.randomBytes(16);
    const others: Array<[string, string, Buffer, { N: number; r: number; p: number }]> = [
      ['passphrase', 'passphrasf', salt, kdf],
      ['longer passphrase', 'passphrase!', salt, kdf],
      ['shorter passphrase', 'passphras', salt, kdf],
      ['salt', 'passphrase', crypto.randomBytes(16), kdf],
      ['N', 'passphrase', salt, { ...kdf, N: 2048 }],
      ['r', 'passphrase', salt, { ...kdf, r: 4 }],
      ['p', 'passphrase', salt, { ...kdf, p: 2 }],
    ];
    for (const [what, pass, s, k] of others) {
      const offered = Buffer.from(AHEAD);
      offerPrederivedKek('passphrase', salt, kdf, offered);
      const got = await deriveKek(pass, s, k);
      expect(got.equals(crypto.scryptSync(Buffer.from(pass), s, 32, k)), what).toBe(true);
      expect(zeroed(offered), what).toBe(true);
    }
  });

  it('an offered key that is not 32 bytes is never taken', async () => {
    const salt = crypto.randomBytes(16);
    const offered = Buffer.alloc(16, 0xa5);
    offerPrederivedKek('passphrase', salt, kdf, offered);
    const got = await deriveKek('passphrase', salt, kdf);
    expect(got.equals(crypto.scryptSync('passphrase', salt, 32, kdf))).toBe(true);
    expect(zeroed(offered)).toBe(true);
  });

  it('a second offer zeroes the first; dropPrederivedKek zeroes what no derivation took, and leaves nothing behind', async () => {
    const salt = crypto.randomBytes(16);
    const first = Buffer.from(AHEAD);
    const second = Buffer.from(AHEAD);
    offerPrederivedKek('passphrase', salt, kdf, first);
    offerPrederivedKek('passphrase', salt, kdf, second);
    expect(zeroed(first)).toBe(true);
    expect(zeroed(second)).toBe(false);
    dropPrederivedKek();
    expect(zeroed(second)).toBe(true);
    dropPrederivedKek(); // nothing held: no effect
    const got = await deriveKek('passphrase', salt, kdf);
    expect(got.equals(crypto.scryptSync('passphrase', salt, 32, kdf))).toBe(true);
  });

  it('keeps its own copy of the salt: a caller that reuses its salt buffer does not change what is matched', async () => {
    const salt = crypto.randomBytes(16);
    const saltCopy = Buffer.from(salt);
    const offered = Buffer.from(AHEAD);
    offerPrederivedKek('passphrase', salt, kdf, offered);
    salt.fill(0);
    expect(await deriveKek('passphrase', saltCopy, kdf)).toBe(offered);
    // and the parameters likewise
    const params = { ...kdf };
    const offered2 = Buffer.from(AHEAD);
    offerPrederivedKek('passphrase', saltCopy, params, offered2);
    params.N = 2048;
    expect(await deriveKek('passphrase', saltCopy, kdf)).toBe(offered2);
  });
});
