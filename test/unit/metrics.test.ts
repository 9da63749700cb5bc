// Metrics (docs/metrics-and-alerts.md): percentiles read from the fixed-bound latency histograms, and downsampling of
// observations into minute, hour and day buckets over a real SQLite store, with the clock moved by hand. Expected
// values are written in the tables here: exact nearest-rank percentiles of the samples (the histogram may report up
// to 20 % above, never below), and the per-bucket counts of the observations listed.
import { afterAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import { silentLogger } from '../../electron/logger.ts';
import { bucketIndex, bucketBound, type Histogram, mergeInto, observe, percentile } from '../../electron/services/metrics/histogram.ts';
import { createMetrics } from '../../electron/services/metrics/metrics.ts';
import { openStoreDatabase } from '../../electron/store/database.ts';
import { createMetricsRepo } from '../../electron/store/metricsRepo.ts';
import { removeTempDirs, tempDir } from './store-testkit.ts';

afterAll(() => removeTempDirs());

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** samples (ms) -> exact nearest-rank p50, p95, p99 (rank ceil(q * n) of the sorted samples), worked out by hand. */
const PERCENTILES: Array<{ name: string; samples: number[]; p50: number; p95: number; p99: number }> = [
  { name: '1..100 ms', samples: range(1, 100), p50: 50, p95: 95, p99: 99 },
  { name: '99 x 5 ms and one 1 s outlier', samples: [...Array<number>(99).fill(5), 1000], p50: 5, p95: 5, p99: 5 },
  { name: '98 x 5 ms and two 1 s outliers', samples: [...Array<number>(98).fill(5), 1000, 1000], p50: 5, p95: 5, p99: 1000 },
  { name: 'five samples', samples: [4, 1, 1000, 3, 2], p50: 3, p95: 1000, p99: 1000 },
  { name: 'one sample of 0.5 ms', samples: [0.5], p50: 0.5, p95: 0.5, p99: 0.5 },
  { name: '1000 samples 0.1..100 ms', samples: range(1, 1000).map((i) => i / 10), p50: 50, p95: 95, p99: 99 },
];

const histogramOf = (samples: number[]) => {
  const h: Histogram = {};
  for (const s of samples) observe(h, s);
  return h;
};

describe('latency percentiles', () => {
  it.each(PERCENTILES)('$name: never below the exact value, at most 20 % above', ({ samples, p50, p95, p99 }) => {
    const h = histogramOf(samples);
    for (const [q, exact] of [[0.5, p50], [0.95, p95], [0.99, p99]] as const) {
      const got = percentile(h, q)!;
      expect(got, `q=${q}`).toBeGreaterThanOrEqual(exact);
      expect(got, `q=${q}`).toBeLessThanOrEqual(exact * 1.2 + 1e-9);
    }
  });

  it('an empty histogram has no percentile', () => {
    expect(percentile({}, 0.5)).toBeNull();
  });

  it('a sample lands in the bucket whose bound is the first not below it (bounds grow by 1.2 from 0.01 ms)', () => {
    for (const v of [0.01, 0.0121, 1, 5, 99, 1000, 59_999]) {
      const i = bucketIndex(v);
      expect(bucketBound(i)).toBeGreaterThanOrEqual(v);
      if (i > 0) expect(bucketBound(i - 1)).toBeLessThan(v);
    }
    expect(bucketBound(1) / bucketBound(0)).toBeCloseTo(1.2, 12);
  });

  it('merged histograms give the percentiles of all their samples together', () => {
    const a = histogramOf(range(1, 50));
    const b = histogramOf(range(51, 100));
    const merged = mergeInto(mergeInto({}, a), b);
    const all = histogramOf(range(1, 100));
    for (const q of [0.5, 0.95, 0.99]) expect(percentile(merged, q)).toBe(percentile(all, q));
  });
});

const T0 = Date.parse('2026-03-02T10:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** Key operations at these times (ms after T0) -> what each range shows. */
const OPERATIONS: Array<[at: number, count: number]> = [
  [10_000, 3], // 10:00:10
  [50_000, 2], // 10:00:50, same minute
  [59 * MIN + 59_000, 4], // 10:59:59
  [HOUR, 1], // 11:00:00
  [HOUR + 30 * MIN, 6], // 11:30
  [14 * HOUR + 30_000, 7], // 00:00:30 the next day
];

function metricsOver(clock: ReturnType<typeof manualClock>) {
  const store = openStoreDatabase(tempDir('ecps-metrics-'), () => new Date(clock.now()).toISOString());
  const transaction = <T>(fn: () => T): T => store.db.transaction(fn)() as T;
  const repo = createMetricsRepo(store.db);
  return { store, repo, metrics: createMetrics({ repo, clock, logger: silentLogger, transaction }) };
}

describe('downsampling into minute, hour and day buckets', () => {
  it('each range shows the operations in its buckets (minute for the hour, hourly for the day, daily for the week)', () => {
    const clock = manualClock(T0);
    const { store, metrics } = metricsOver(clock);
    for (const [at, count] of OPERATIONS) {
      clock.set(T0 + at);
      for (let i = 0; i < count; i++) metrics.keyOperation('key.encrypt', 'local', 1, true);
      // Flushed at some points, not at others: what is stored and what is still in memory add up alike.
      if (count % 2 === 0) metrics.flush();
    }
    clock.set(T0 + 14 * HOUR + MIN); // 00:01 on 3 March
    const samplesAt = (points: Array<{ t: string; samples: number }>) => Object.fromEntries(points.filter((p) => p.samples > 0).map((p) => [p.t, p.samples]));

    const hour = metrics.view('hour');
    expect(hour.resolutionSeconds).toBe(60);
    expect(hour.operationsPerSecond).toHaveLength(60);
    expect(samplesAt(hour.operationsPerSecond)).toEqual({ '2026-03-03T00:00:00.000Z': 7 });
    // A full minute's rate is its count over 60 s.
    expect(hour.operationsPerSecond.find((p) => p.t === '2026-03-03T00:00:00.000Z')!.value).toBeCloseTo(7 / 60, 10);

    const day = metrics.view('day');
    expect(day.resolutionSeconds).toBe(3600);
    expect(day.operationsPerSecond).toHaveLength(24);
    expect(samplesAt(day.operationsPerSecond)).toEqual({ '2026-03-02T10:00:00.000Z': 9, '2026-03-02T11:00:00.000Z': 7, '2026-03-03T00:00:00.000Z': 7 });

    const week = metrics.view('week');
    expect(week.resolutionSeconds).toBe(86_400);
    expect(week.operationsPerSecond).toHaveLength(7);
    expect(samplesAt(week.operationsPerSecond)).toEqual({ '2026-03-02T00:00:00.000Z': 16, '2026-03-03T00:00:00.000Z': 7 });
    store.close();
  });

  it('minute buckets are kept 2 hours, hourly ones 2 days, daily ones 8 days', () => {
    const clock = manualClock(T0);
    const { store, repo, metrics } = metricsOver(clock);
    metrics.providerObservation('aws-primary', true);
    metrics.flush();
    const kept = () => ({
      minute: repo.bucketsBetween('minute', 0, Number.MAX_SAFE_INTEGER).length,
      hour: repo.bucketsBetween('hour', 0, Number.MAX_SAFE_INTEGER).length,
      day: repo.bucketsBetween('day', 0, Number.MAX_SAFE_INTEGER).length,
    });
    // [time after T0, buckets of each resolution still stored after a flush then]
    const TABLE: Array<[number, { minute: number; hour: number; day: number }]> = [
      [2 * HOUR - MIN, { minute: 1, hour: 1, day: 1 }],
      [2 * HOUR + MIN, { minute: 0, hour: 1, day: 1 }],
      [2 * DAY - MIN, { minute: 0, hour: 1, day: 1 }],
      [2 * DAY + HOUR, { minute: 0, hour: 0, day: 1 }],
      [8 * DAY + HOUR, { minute: 0, hour: 0, day: 1 }],
      [9 * DAY, { minute: 0, hour: 0, day: 0 }],
    ];
    for (const [at, expected] of TABLE) {
      clock.set(T0 + at);
      metrics.flush();
      expect(kept(), `at +${at / HOUR} h`).toEqual(expected);
    }
    store.close();
  });

  it('latency percentiles, rotation success rate and availability roll up exactly', () => {
    const clock = manualClock(T0);
    const { store, metrics } = metricsOver(clock);
    // Two minutes of encryptions on aws-primary: 1..50 ms in the first, 51..100 ms in the second.
    for (const ms of range(1, 50)) metrics.keyOperation('key.encrypt', 'aws-primary', ms, true);
    clock.set(T0 + MIN);
    for (const ms of range(51, 100)) metrics.keyOperation('key.encrypt', 'aws-primary', ms, true);
    // Rotations: 3 of 4 succeed; availability: 9 of 10 calls answered.
    for (const ok of [true, true, false, true]) metrics.keyOperation('key.rotate', 'aws-primary', 5, ok);
    for (let i = 0; i < 10; i++) metrics.providerObservation('aws-primary', i !== 3);
    clock.set(T0 + 2 * MIN);
    const day = metrics.view('day');
    const at10 = <P extends { t: string }>(points: P[]) => points.find((p) => p.t === '2026-03-02T10:00:00.000Z');
    const lat = at10(day.encryptionLatency.find((s) => s.provider === 'aws-primary')!.points)!;
    expect(lat.samples).toBe(100);
    const whole = histogramOf(range(1, 100));
    expect([lat.p50, lat.p95, lat.p99]).toEqual([percentile(whole, 0.5), percentile(whole, 0.95), percentile(whole, 0.99)]);
    expect(at10(day.rotationSuccessRate)).toMatchObject({ value: 75, samples: 4 });
    expect(at10(day.availability.find((s) => s.provider === 'aws-primary')!.points)).toMatchObject({ value: 90, samples: 10 });
    // Where nothing ran, there is no rate (not 0 %, not 100 %).
    expect(day.rotationSuccessRate.find((p) => p.t === '2026-03-02T09:00:00.000Z')).toMatchObject({ value: null, samples: 0 });
    // The hour's minute points hold the two halves.
    const hour = metrics.view('hour');
    const minutes = hour.encryptionLatency[0]!.points.filter((p) => p.samples > 0).map((p) => [p.t, p.samples]);
    expect(minutes).toEqual([['2026-03-02T10:00:00.000Z', 50], ['2026-03-02T10:01:00.000Z', 50]]);
    store.close();
  });
});
