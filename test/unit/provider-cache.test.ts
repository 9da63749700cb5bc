// The data-key cache: TTL on a manual clock, the size bound (least recently used first), copies out, and every buffer
// that leaves the cache zeroed.
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import { createDataKeyCache, type WrappedRef } from '../../electron/providers/cache/dataKeyCache.ts';
import { isConsoleError } from '../../shared/errors.ts';

const ref = (i: number, providerId = 'aws-primary'): WrappedRef => ({
  providerId,
  keyRef: 'key-1',
  wrapped: Buffer.from(`wrapped-${i}`),
  aad: Buffer.from('ctx'),
});
const key = (i: number) => Buffer.alloc(32, i + 1);
const zero = (b: Buffer) => b.every((x) => x === 0);

describe('data-key cache', () => {
  it('returns copies: zeroing what get() returned leaves the cached key intact', () => {
    const cache = createDataKeyCache({ clock: manualClock(), enabled: true, ttlSeconds: 60, maxEntries: 10 });
    cache.put(ref(1), key(1));
    const a = cache.get(ref(1))!;
    expect(a.equals(key(1))).toBe(true);
    a.fill(0);
    expect(cache.get(ref(1))!.equals(key(1))).toBe(true);
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 0, size: 1 });
  });

  it('keys entries by provider, key, context and wrapped bytes', () => {
    const cache = createDataKeyCache({ clock: manualClock(), enabled: true, ttlSeconds: 60, maxEntries: 10 });
    cache.put(ref(1), key(1));
    expect(cache.get(ref(1, 'vault-backup'))).toBeNull();
    expect(cache.get({ ...ref(1), aad: Buffer.from('other') })).toBeNull();
    expect(cache.get({ ...ref(1), keyRef: 'key-2' })).toBeNull();
    expect(cache.get(ref(2))).toBeNull();
  });

  it('expires entries after the TTL and zeroes the expired buffer', () => {
    const clock = manualClock();
    const cache = createDataKeyCache({ clock, enabled: true, ttlSeconds: 10, maxEntries: 10 });
    const owned = key(1);
    cache.put(ref(1), owned);
    clock.advance(9_999);
    expect(cache.get(ref(1))).not.toBeNull();
    clock.advance(1);
    expect(cache.get(ref(1))).toBeNull();
    expect(zero(owned)).toBe(true);
    expect(cache.stats()).toMatchObject({ size: 0, expirations: 1 });
  });

  it('sweep() drops and zeroes only expired entries', () => {
    const clock = manualClock();
    const cache = createDataKeyCache({ clock, enabled: true, ttlSeconds: 10, maxEntries: 10 });
    const old = key(1);
    cache.put(ref(1), old);
    clock.advance(6_000);
    const young = key(2);
    cache.put(ref(2), young);
    clock.advance(5_000);
    expect(cache.sweep()).toBe(1);
    expect(zero(old)).toBe(true);
    expect(zero(young)).toBe(false);
  });

  it('holds at most max_cache_size entries, evicting the least recently used and zeroing it', () => {
    const cache = createDataKeyCache({ clock: manualClock(), enabled: true, ttlSeconds: 3600, maxEntries: 3 });
    const owned = [0, 1, 2, 3].map(key);
    for (let i = 0; i < 3; i++) cache.put(ref(i), owned[i]!);
    cache.get(ref(0)); // 0 is now the most recently used; 1 is the oldest
    cache.put(ref(3), owned[3]!);
    expect(cache.stats()).toMatchObject({ size: 3, evictions: 1 });
    expect(zero(owned[1]!)).toBe(true);
    expect(cache.get(ref(1))).toBeNull();
    for (const i of [0, 2, 3]) expect(cache.get(ref(i))!.equals(key(i))).toBe(true);
  });

  it('zeroes a replaced entry and everything on clear() (store lock)', () => {
    const cache = createDataKeyCache({ clock: manualClock(), enabled: true, ttlSeconds: 3600, maxEntries: 10 });
    const first = key(1);
    cache.put(ref(1), first);
    const second = key(2);
    cache.put(ref(1), second);
    expect(zero(first)).toBe(true);
    const enc = key(5);
    cache.putEncryptionKey('set', { dataKey: enc, entries: [{ provider: 'p', keyRef: 'k', keyVersion: 1, wrapped: Buffer.from('w') }] });
    cache.clear();
    expect(zero(second)).toBe(true);
    expect(zero(enc)).toBe(true);
    expect(cache.stats().size).toBe(0);
  });

  it('a disabled cache stores nothing and zeroes what it is handed', () => {
    const cache = createDataKeyCache({ clock: manualClock(), enabled: false, ttlSeconds: 3600, maxEntries: 10 });
    const owned = key(1);
    cache.put(ref(1), owned);
    expect(zero(owned)).toBe(true);
    expect(cache.get(ref(1))).toBeNull();
    expect(cache.takeEncryptionKey('set')).toBeNull();
  });

  it('reuses an encryption data key for a bounded number of messages, then drops and zeroes it', () => {
    const cache = createDataKeyCache({ clock: manualClock(), enabled: true, ttlSeconds: 3600, maxEntries: 10, maxMessagesPerKey: 3 });
    const owned = key(7);
    cache.putEncryptionKey('set', { dataKey: owned, entries: [{ provider: 'p', keyRef: 'k', keyVersion: 1, wrapped: Buffer.from('w') }] });
    const a = cache.takeEncryptionKey('set')!;
    expect(a.dataKey.equals(key(7))).toBe(true);
    expect(cache.takeEncryptionKey('set')).not.toBeNull();
    expect(cache.takeEncryptionKey('set')).toBeNull();
    expect(zero(owned)).toBe(true);
  });

  it('rejects bad settings naming the specification field', () => {
    for (const [opts, field] of [
      [{ ttlSeconds: 0, maxEntries: 10 }, 'cache_ttl_seconds'],
      [{ ttlSeconds: 1.5, maxEntries: 10 }, 'cache_ttl_seconds'],
      [{ ttlSeconds: 10, maxEntries: 0 }, 'max_cache_size'],
    ] as const) {
      let err: unknown;
      try {
        createDataKeyCache({ clock: manualClock(), enabled: true, ...opts });
      } catch (e) {
        err = e;
      }
      expect(isConsoleError(err) && err.code === 'invalid_input' && err.message.includes(field)).toBe(true);
    }
  });
});
