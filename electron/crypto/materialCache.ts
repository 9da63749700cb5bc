// Unwrapped key-version material kept while the store is unlocked, so a small message does not pay an unwrap each time.
// An entry is keyed by key id, version and algorithm AND remembers the exact wrapped bytes it came from: a hit is only
// what unwrapping those same bytes would give (a changed row misses). Bounded (least recently used goes first), and
// every buffer that leaves the cache (evicted, replaced, forgotten, cleared) is zeroed. Material is lent, never handed
// out: the borrower uses it synchronously and neither keeps nor zeroes it; a buffer dropped while lent is zeroed when
// the loan ends.

export const DEFAULT_MATERIAL_CACHE_ENTRIES = 256;

export interface MaterialCacheStats {
  size: number;
  maxEntries: number;
  hits: number;
  misses: number;
  evictions: number;
  /** The cached versions as "keyId#version" (ids only, never material), least recently used first. */
  versions: string[];
}

export interface MaterialCache {
  /**
   * Lends the material of (keyId, version, algorithm) unwrapped from `wrapped` to `use`: from the cache, or `unwrap()`
   * on a miss (then cached; the cache owns the buffer). `use` gets null when unwrap() failed (nothing is cached then).
   */
  lend<T>(keyId: string, version: number, algorithm: string, wrapped: Buffer, unwrap: () => Buffer | null, use: (material: Buffer | null) => T): T;
  /** Zeroes and drops every cached version of the key (state change, rotation, destruction). */
  forget(keyId: string): void;
  /** Zeroes and drops everything (lock, close). */
  clear(): void;
  stats(): MaterialCacheStats;
}

interface Entry {
  keyId: string;
  version: number;
  material: Buffer;
  wrapped: Buffer;
  /** Loans in progress: a dropped entry is zeroed when the last one ends. */
  lent: number;
  dropped: boolean;
}

export function createMaterialCache(maxEntries = DEFAULT_MATERIAL_CACHE_ENTRIES): MaterialCache {
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
  // Map order is insertion order: re-inserting on every hit keeps the least recently used first.
  const map = new Map<string, Entry>();
  let hits = 0;
  let misses = 0;
  let evictions = 0;

  const zero = (e: Entry) => {
    e.material.fill(0);
    e.wrapped.fill(0);
  };
  const drop = (id: string, e: Entry) => {
    map.delete(id);
    e.dropped = true;
    if (e.lent === 0) zero(e);
  };

  const loan = <T>(e: Entry, use: (material: Buffer) => T): T => {
    e.lent++;
    try {
      return use(e.material);
    } finally {
      e.lent--;
      if (e.lent === 0 && e.dropped) zero(e);
    }
  };

  return {
    lend(keyId, version, algorithm, wrapped, unwrap, use) {
      const id = `${keyId}|${version}|${algorithm}`;
      const found = map.get(id);
      if (found && found.wrapped.equals(wrapped)) {
        hits++;
        map.delete(id);
        map.set(id, found);
        return loan(found, use);
      }
      misses++;
      if (found) drop(id, found);
      const material = unwrap();
      if (!material) return use(null);
      while (map.size >= maxEntries) {
        const [oldestId, oldest] = map.entries().next().value as [string, Entry];
        drop(oldestId, oldest);
        evictions++;
      }
      const entry: Entry = { keyId, version, material, wrapped: Buffer.from(wrapped), lent: 0, dropped: false };
      map.set(id, entry);
      return loan(entry, use);
    },
    forget(keyId) {
      for (const [id, e] of [...map]) if (e.keyId === keyId) drop(id, e);
    },
    clear() {
      for (const [id, e] of [...map]) drop(id, e);
    },
    stats: () => ({ size: map.size, maxEntries, hits, misses, evictions, versions: [...map.values()].map((e) => `${e.keyId}#${e.version}`) }),
  };
}
