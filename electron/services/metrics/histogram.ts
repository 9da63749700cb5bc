// Latency histograms with fixed, geometric bucket bounds: bucket i holds samples in (BOUND(i-1), BOUND(i)], where
// BOUND(i) = MIN_MS * GROWTH^i. Fixed bounds make histograms mergeable by adding counts, so minute buckets roll up into
// hour and day buckets exactly, and a percentile read from any resolution is the same one the raw samples would give
// within the bucket's width. A percentile is the nearest rank's bucket upper bound: never below the exact nearest-rank
// value, at most GROWTH times it (20 % above), for samples between MIN_MS and MAX_MS.

export const MIN_MS = 0.01;
export const GROWTH = 1.2;
export const MAX_MS = 600_000;
/** Index of the last bucket (everything above MAX_MS lands there). */
export const LAST_INDEX = Math.ceil(Math.log(MAX_MS / MIN_MS) / Math.log(GROWTH));

export function bucketBound(index: number): number {
  return MIN_MS * GROWTH ** index;
}

/** Every bucket's upper bound, computed once (bucketBound(i) for i = 0..LAST_INDEX). */
const BOUNDS: readonly number[] = Array.from({ length: LAST_INDEX + 1 }, (_, i) => bucketBound(i));

/**
 * The bucket of a sample (ms): the smallest i with value <= bucketBound(i) (LAST_INDEX above MAX_MS). A binary search
 * of the precomputed bounds: no logarithm or power per sample on the encryption path (docs/benchmarks.md).
 */
export function bucketIndex(valueMs: number): number {
  if (!(valueMs > MIN_MS)) return 0;
  let lo = 0;
  let hi = LAST_INDEX;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (BOUNDS[mid]! >= valueMs) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Sparse histogram: bucket index -> count. */
export type Histogram = Record<number, number>;

export function observe(h: Histogram, valueMs: number): void {
  const i = bucketIndex(valueMs);
  h[i] = (h[i] ?? 0) + 1;
}

export function mergeInto(target: Histogram, source: Histogram): Histogram {
  for (const [k, v] of Object.entries(source)) target[Number(k)] = (target[Number(k)] ?? 0) + v;
  return target;
}

/**
 * The q-quantile (0 < q <= 1) by nearest rank: the upper bound of the bucket holding the ceil(q * n)-th smallest
 * sample; null for an empty histogram.
 */
export function percentile(h: Histogram, q: number): number | null {
  const entries = Object.entries(h)
    .map(([k, v]) => [Number(k), v] as const)
    .filter(([, v]) => v > 0)
    .sort((a, b) => a[0] - b[0]);
  const n = entries.reduce((s, [, v]) => s + v, 0);
  if (n === 0) return null;
  const rank = Math.max(1, Math.ceil(q * n));
  let seen = 0;
  for (const [i, v] of entries) {
    seen += v;
    if (seen >= rank) return bucketBound(i);
  }
  return bucketBound(entries[entries.length - 1]![0]);
}
