// How metrics are kept: every observation lands in its minute; at a flush each minute's aggregate is added to the
// stored minute, hour and day buckets (UTC) alike, so the coarser resolutions are exact sums of the finer ones (counts
// and totals added, histograms merged). Each resolution is kept a little longer than the range it serves, then pruned.
import type { BucketRow, Resolution } from '../../store/metricsRepo.ts';
import { type Histogram, mergeInto } from './histogram.ts';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export const RESOLUTION_MS: Readonly<Record<Resolution, number>> = { minute: MINUTE_MS, hour: HOUR_MS, day: DAY_MS };

/** How long buckets of each resolution are kept (a little more than the range they serve). */
export const RETENTION_MS: Readonly<Record<Resolution, number>> = { minute: 2 * HOUR_MS, hour: 2 * DAY_MS, day: 8 * DAY_MS };

export type MetricRange = 'hour' | 'day' | 'week';

/** Which resolution serves a range, and how many points it has (the last one is the bucket now running). */
export const RANGES: Readonly<Record<MetricRange, { resolution: Resolution; points: number }>> = {
  hour: { resolution: 'minute', points: 60 },
  day: { resolution: 'hour', points: 24 },
  week: { resolution: 'day', points: 7 },
};

export function bucketStart(ms: number, resolution: Resolution): number {
  const size = RESOLUTION_MS[resolution];
  return ms - (((ms % size) + size) % size);
}

/** The bucket starts a range shows at `now`, oldest first; the last is the bucket holding `now`. */
export function rangeStarts(range: MetricRange, now: number): number[] {
  const { resolution, points } = RANGES[range];
  const size = RESOLUTION_MS[resolution];
  const last = bucketStart(now, resolution);
  return Array.from({ length: points }, (_, i) => last - (points - 1 - i) * size);
}

/** One minute's aggregate of one series and label, before it is stored. */
export interface MinuteAggregate {
  series: string;
  label: string;
  minuteStart: number;
  count: number;
  total: number;
  histogram: Histogram | null;
}

/** Adds `add` to `stored` (either may be missing): counts and totals summed, histograms merged. */
export function mergeBucket(stored: BucketRow | null, add: Omit<BucketRow, 'histogram'> & { histogram: Histogram | null }): BucketRow {
  if (!stored) return { ...add, histogram: add.histogram ? mergeInto({}, add.histogram) : null };
  const histogram = stored.histogram || add.histogram ? mergeInto(mergeInto({}, stored.histogram ?? {}), add.histogram ?? {}) : null;
  return { ...stored, count: stored.count + add.count, total: stored.total + add.total, histogram };
}

/**
 * The buckets to store for a set of minute aggregates: for each resolution, the aggregates falling into the same
 * bucket are summed (the caller then merges each with the stored one).
 */
export function rollUp(aggregates: readonly MinuteAggregate[]): BucketRow[] {
  const out = new Map<string, BucketRow>();
  for (const resolution of ['minute', 'hour', 'day'] as const) {
    for (const a of aggregates) {
      const start = bucketStart(a.minuteStart, resolution);
      const k = `${resolution}\u0000${a.series}\u0000${a.label}\u0000${start}`;
      out.set(k, mergeBucket(out.get(k) ?? null, { series: a.series, label: a.label, resolution, bucketStart: start, count: a.count, total: a.total, histogram: a.histogram }));
    }
  }
  return [...out.values()];
}
