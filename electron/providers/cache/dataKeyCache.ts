// In-memory cache of unwrapped data keys (spec: enable_local_cache, cache_ttl_seconds, max_cache_size).
// Entries live at most ttl from when they were added, the least recently used goes first when full, and every buffer
// that leaves the cache (evicted, expired, replaced, cleared) is zeroed. Callers get copies, so zeroing a copy never
// hurts the cache, and the cache owns the buffers handed to it.
import crypto from 'node:crypto';
import { ConsoleError } from '../../../shared/errors.ts';
import type { Clock } from '../../clock.ts';
import type { EnvelopeEntry } from '../../crypto/envelope.ts';

export const DEFAULT_CACHE_TTL_SECONDS = 3600;
export const DEFAULT_MAX_CACHE_SIZE = 1000;
/** A cached encryption data key protects at most this many messages (random 96-bit GCM nonces stay far from collision). */
export const MAX_MESSAGES_PER_DATA_KEY = 2 ** 20;

export interface DataKeyCacheOptions {
  clock: Clock;
  enabled: boolean;
  ttlSeconds: number;
  maxEntries: number;
  /** Messages one cached encryption data key may protect (default MAX_MESSAGES_PER_DATA_KEY). */
  maxMessagesPerKey?: number;
}

/** Identifies one wrapped data key: who wrapped it, under which key, with which context. */
export interface WrappedRef {
  providerId: string;
  keyRef: string;
  wrapped: Buffer;
  aad: Buffer;
}

/** A data key ready for encryption: the key and its wrapped copies, one per recipient. */
export interface EncryptionKey {
  dataKey: Buffer;
  entries: EnvelopeEntry[];
}

export interface CacheStats {
  enabled: boolean;
  size: number;
  maxEntries: number;
  ttlSeconds: number;
  hits: number;
  misses: number;
  evictions: number;
  expirations: number;
}

export interface DataKeyCache {
  readonly enabled: boolean;
  /** A copy of the unwrapped data key, or null. */
  get(ref: WrappedRef): Buffer | null;
  /**
   * Takes ownership of `dataKey` (zeroes it when it leaves the cache). A disabled cache zeroes it at once. `materialId`:
   * the provider's id of the material that wrapped it (AWS KeyMaterialId), kept for materialOf.
   */
  put(ref: WrappedRef, dataKey: Buffer, materialId?: string | null): void;
  /** The material id put with a live entry (null when none or not cached); no hit or miss is counted. */
  materialOf(ref: WrappedRef): string | null;
  /** The current encryption data key for a recipient set (copy), counting one use; null when none is usable. */
  takeEncryptionKey(recipientSet: string): EncryptionKey | null;
  /** Takes ownership of `key.dataKey`. */
  putEncryptionKey(recipientSet: string, key: EncryptionKey): void;
  /** Drops expired entries (zeroed); returns how many. */
  sweep(): number;
  /** Zeroes and drops everything (store lock, console close). */
  clear(): void;
  stats(): CacheStats;
}

interface Entry {
  secret: Buffer;
  addedAt: number;
  uses: number;
  entries: EnvelopeEntry[] | null;
  material: string | null;
}

function lengthPrefixed(parts: Buffer[]): crypto.Hash {
  const h = crypto.createHash('sha256');
  for (const p of parts) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(p.length);
    h.update(len).update(p);
  }
  return h;
}

function wrappedId(ref: WrappedRef): string {
  const digest = lengthPrefixed([Buffer.from(ref.keyRef, 'utf8'), ref.aad, ref.wrapped]).digest('hex');
  return `unwrap|${ref.providerId}|${digest}`;
}

export function validateCacheOptions(o: DataKeyCacheOptions): void {
  const bad = (field: string, rule: string) => new ConsoleError('invalid_input', `Cache setting ${field} ${rule}.`, { field });
  if (!Number.isInteger(o.ttlSeconds) || o.ttlSeconds < 1 || o.ttlSeconds > 7 * 86_400) throw bad('cache_ttl_seconds', 'must be an integer from 1 to 604800');
  if (!Number.isInteger(o.maxEntries) || o.maxEntries < 1 || o.maxEntries > 1_000_000) throw bad('max_cache_size', 'must be an integer from 1 to 1000000');
  const m = o.maxMessagesPerKey;
  if (m !== undefined && (!Number.isInteger(m) || m < 1 || m > 2 ** 32)) throw bad('maxMessagesPerKey', 'must be an integer from 1 to 2^32');
}

export function createDataKeyCache(options: DataKeyCacheOptions): DataKeyCache {
  validateCacheOptions(options);
  const { clock, enabled, maxEntries } = options;
  const ttlMs = options.ttlSeconds * 1000;
  const maxUses = options.maxMessagesPerKey ?? MAX_MESSAGES_PER_DATA_KEY;
  const map = new Map<string, Entry>();
  let hits = 0;
  let misses = 0;
  let evictions = 0;
  let expirations = 0;

  const drop = (id: string, e: Entry) => {
    e.secret.fill(0);
    map.delete(id);
  };
  const expired = (e: Entry) => clock.now() - e.addedAt >= ttlMs;

  const sweep = () => {
    let n = 0;
    for (const [id, e] of map) {
      if (expired(e)) {
        drop(id, e);
        n++;
      }
    }
    expirations += n;
    return n;
  };

  const insert = (id: string, entry: Entry) => {
    const old = map.get(id);
    if (old) drop(id, old);
    if (map.size >= maxEntries) sweep();
    while (map.size >= maxEntries) {
      const oldest = map.entries().next().value as [string, Entry];
      drop(oldest[0], oldest[1]);
      evictions++;
    }
    map.set(id, entry);
  };

  /** The live entry (moved to most recently used), or null; expired entries are zeroed on the way. */
  const lookup = (id: string): Entry | null => {
    const e = map.get(id);
    if (!e) return null;
    if (expired(e)) {
      drop(id, e);
      expirations++;
      return null;
    }
    map.delete(id);
    map.set(id, e);
    return e;
  };

  return {
    enabled,
    get(ref) {
      if (!enabled) return null;
      const e = lookup(wrappedId(ref));
      if (!e) {
        misses++;
        return null;
      }
      hits++;
      return Buffer.from(e.secret);
    },
    put(ref, dataKey, materialId) {
      if (!enabled) {
        dataKey.fill(0);
        return;
      }
      insert(wrappedId(ref), { secret: dataKey, addedAt: clock.now(), uses: 0, entries: null, material: materialId ?? null });
    },
    materialOf(ref) {
      if (!enabled) return null;
      const e = map.get(wrappedId(ref));
      return e && !expired(e) ? e.material : null;
    },
    takeEncryptionKey(recipientSet) {
      if (!enabled) return null;
      const id = `encrypt|${recipientSet}`;
      const e = lookup(id);
      if (!e || !e.entries || e.uses >= maxUses) {
        if (e) drop(id, e);
        misses++;
        return null;
      }
      e.uses++;
      hits++;
      return { dataKey: Buffer.from(e.secret), entries: e.entries.map((x) => ({ ...x, wrapped: Buffer.from(x.wrapped) })) };
    },
    putEncryptionKey(recipientSet, key) {
      if (!enabled) {
        key.dataKey.fill(0);
        return;
      }
      insert(`encrypt|${recipientSet}`, { secret: key.dataKey, addedAt: clock.now(), uses: 1, entries: key.entries, material: null });
    },
    sweep,
    clear() {
      for (const [id, e] of map) drop(id, e);
    },
    stats: () => ({ enabled, size: map.size, maxEntries, ttlSeconds: options.ttlSeconds, hits, misses, evictions, expirations }),
  };
}
