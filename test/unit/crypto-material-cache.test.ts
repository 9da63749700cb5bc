// The key-material cache of the unlocked keyring: a hit is exactly what unwrapping the same stored bytes gives, the
// size bound drops the least recently used first, and every buffer that leaves the cache (evicted, replaced, forgotten,
// cleared, destroyed with the keyring) is zeroed; a buffer on loan is zeroed when the loan ends, not under its user.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { open, seal } from '../../electron/crypto/aead.ts';
import { createMaterialCache } from '../../electron/crypto/materialCache.ts';
import { createStoreKeyring } from '../../electron/crypto/storeKeyring.ts';

const zero = (b: Buffer) => b.length > 0 && b.every((x) => x === 0);
const KEY_A = '00000000-0000-4000-8000-00000000000a';
const KEY_B = '00000000-0000-4000-8000-00000000000b';

/** A stored value and an unwrap that counts its calls: what the keyring does, with a fixed wrapping key. */
function stored(material: Buffer) {
  const kek = crypto.randomBytes(32);
  const wrapped = seal(kek, material, Buffer.from('test'));
  const calls = { n: 0 };
  const unwrap = () => {
    calls.n++;
    return open(kek, wrapped, Buffer.from('test'));
  };
  return { wrapped, unwrap, calls };
}

/** Borrows the cached buffer itself (the test keeps the reference the cache lends out). */
function borrow(cache: ReturnType<typeof createMaterialCache>, keyId: string, version: number, s: ReturnType<typeof stored>): Buffer {
  return cache.lend(keyId, version, 'AES_256', s.wrapped, s.unwrap, (m) => m!);
}

describe('key-material cache', () => {
  it('unwraps once per version; later loans are the same material without an unwrap', () => {
    const cache = createMaterialCache(4);
    const material = crypto.randomBytes(32);
    const s = stored(material);
    for (let i = 0; i < 5; i++) expect(cache.lend(KEY_A, 1, 'AES_256', s.wrapped, s.unwrap, (m) => m!.equals(material))).toBe(true);
    expect(s.calls.n).toBe(1);
    expect(cache.stats()).toMatchObject({ size: 1, hits: 4, misses: 1, versions: [`${KEY_A}#1`] });
  });

  it('misses when the stored bytes differ from the cached entry, and zeroes the entry it replaces', () => {
    const cache = createMaterialCache(4);
    const first = stored(crypto.randomBytes(32));
    const held = borrow(cache, KEY_A, 1, first);
    const secondMaterial = crypto.randomBytes(32);
    const second = stored(secondMaterial);
    expect(cache.lend(KEY_A, 1, 'AES_256', second.wrapped, second.unwrap, (m) => m!.equals(secondMaterial))).toBe(true);
    expect(second.calls.n).toBe(1);
    expect(zero(held)).toBe(true);
    // Another version or algorithm of the same stored bytes is another entry.
    cache.lend(KEY_A, 2, 'AES_256', second.wrapped, second.unwrap, () => null);
    cache.lend(KEY_A, 1, 'EC_P256', second.wrapped, second.unwrap, () => null);
    expect(second.calls.n).toBe(3);
  });

  it('caches nothing when the stored value does not unwrap, and tells the borrower (null)', () => {
    const cache = createMaterialCache(4);
    const s = stored(crypto.randomBytes(32));
    const bad = Buffer.from(s.wrapped);
    bad[bad.length - 1]! ^= 1;
    expect(cache.lend(KEY_A, 1, 'AES_256', bad, () => null, (m) => m)).toBeNull();
    expect(cache.stats().size).toBe(0);
  });

  it('holds at most maxEntries versions, dropping the least recently used first, zeroed', () => {
    const cache = createMaterialCache(2);
    const a = stored(crypto.randomBytes(32));
    const b = stored(crypto.randomBytes(32));
    const c = stored(crypto.randomBytes(32));
    const heldA = borrow(cache, KEY_A, 1, a);
    const heldB = borrow(cache, KEY_B, 1, b);
    borrow(cache, KEY_A, 1, a); // A is now the most recently used
    const heldC = borrow(cache, KEY_A, 2, c);
    expect(zero(heldB)).toBe(true);
    expect(zero(heldA) || zero(heldC)).toBe(false);
    expect(cache.stats()).toMatchObject({ size: 2, evictions: 1, versions: [`${KEY_A}#1`, `${KEY_A}#2`] });
  });

  it('forget(key) zeroes every cached version of that key and nothing else; clear() zeroes all', () => {
    const cache = createMaterialCache(8);
    const a1 = borrow(cache, KEY_A, 1, stored(crypto.randomBytes(32)));
    const a2 = borrow(cache, KEY_A, 2, stored(crypto.randomBytes(32)));
    const b1 = borrow(cache, KEY_B, 1, stored(crypto.randomBytes(32)));
    cache.forget(KEY_A);
    expect([zero(a1), zero(a2), zero(b1)]).toEqual([true, true, false]);
    expect(cache.stats().versions).toEqual([`${KEY_B}#1`]);
    cache.clear();
    expect(zero(b1)).toBe(true);
    expect(cache.stats().size).toBe(0);
  });

  it('a buffer dropped while on loan stays intact for its borrower and is zeroed when the loan ends', () => {
    const cache = createMaterialCache(8);
    const material = crypto.randomBytes(32);
    const s = stored(material);
    let held: Buffer | null = null;
    const seenDuringLoan = cache.lend(KEY_A, 1, 'AES_256', s.wrapped, s.unwrap, (m) => {
      held = m;
      cache.forget(KEY_A);
      return m!.equals(material);
    });
    expect(seenDuringLoan).toBe(true);
    expect(zero(held!)).toBe(true);
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => createMaterialCache(0)).toThrow(RangeError);
    expect(() => createMaterialCache(1.5)).toThrow(RangeError);
  });
});

describe('the keyring owns the cache', () => {
  const storeId = crypto.randomUUID();

  it('lends exactly what unwrapMaterial gives, and destroy() (lock, close) zeroes the cached buffers', () => {
    const ring = createStoreKeyring(crypto.randomBytes(32), storeId);
    const material = crypto.randomBytes(32);
    const wrapped = ring.wrapMaterial(KEY_A, 1, 'AES_256', material);
    const held = ring.withMaterial(KEY_A, 1, 'AES_256', wrapped, (m) => m!);
    expect(held.equals(material)).toBe(true);
    // The AAD binding still holds: another version of the same bytes does not unwrap.
    expect(ring.withMaterial(KEY_A, 2, 'AES_256', wrapped, (m) => m)).toBeNull();
    ring.destroy();
    expect(zero(held)).toBe(true);
    expect(() => ring.withMaterial(KEY_A, 1, 'AES_256', wrapped, (m) => m)).toThrow(/after lock/);
  });

  it('forgetMaterial zeroes the key\'s cached versions', () => {
    const ring = createStoreKeyring(crypto.randomBytes(32), storeId, { materialCacheEntries: 4 });
    const wrapped = ring.wrapMaterial(KEY_A, 1, 'AES_256', crypto.randomBytes(32));
    const held = ring.withMaterial(KEY_A, 1, 'AES_256', wrapped, (m) => m!);
    ring.forgetMaterial(KEY_A);
    expect(zero(held)).toBe(true);
    expect(ring.materialCacheStats()).toMatchObject({ size: 0, maxEntries: 4 });
    ring.destroy();
  });
});
