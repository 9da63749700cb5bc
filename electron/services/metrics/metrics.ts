// The console's indicators (the specification's "Metrics and Alerting"): key operations per second, the key rotation
// success rate (`key_rotation_success_rate`), availability per provider (`kms_availability`) and encryption latency
// p50 / p95 / p99 per provider. Observations come from where the work happens (the key service's audited-operation
// wrapper, the provider resilience layer's calls and health checks) and cost a map lookup and a few additions: they
// are aggregated per minute in memory and written to the store by flush() (a timer, every 10 s by default), rolled up
// into minute, hour and day buckets (downsampling.ts). Reading a range flushes first, so it includes what just happened.
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import type { BucketRow, MetricsRepo } from '../../store/metricsRepo.ts';
import { bucketStart, type MetricRange, type MinuteAggregate, MINUTE_MS, mergeBucket, RANGES, rangeStarts, RESOLUTION_MS, RETENTION_MS, rollUp } from './downsampling.ts';
import { type Histogram, mergeInto, observe, percentile } from './histogram.ts';

/** Stored series names. */
export const SERIES = {
  operations: 'key_operations',
  rotations: 'key_rotations',
  availability: 'provider_availability',
  latency: 'encryption_latency',
} as const;

export const DEFAULT_FLUSH_MS = 10_000;

export interface SeriesPoint {
  t: string;
  value: number | null;
  /** Observations behind the value (operations, rotation attempts, provider calls and health checks). */
  samples: number;
}

export interface LatencyPoint {
  t: string;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  samples: number;
}

export interface MetricsView {
  range: MetricRange;
  resolutionSeconds: number;
  from: string;
  to: string;
  operationsPerSecond: SeriesPoint[];
  /** Percent of rotation attempts that succeeded (null where none ran). */
  rotationSuccessRate: SeriesPoint[];
  /** Percent of provider calls and health checks that succeeded, per provider (null where none ran). */
  availability: Array<{ provider: string; points: SeriesPoint[] }>;
  /** Milliseconds, per provider ('local' for keys held in this store). */
  encryptionLatency: Array<{ provider: string; points: LatencyPoint[] }>;
}

/** Totals over a window, for the Prometheus endpoint. */
export interface MetricsSnapshot {
  operationsPerSecond: number;
  operationsTotal: Record<string, number>;
  rotationSuccessRate: number | null;
  availability: Record<string, number>;
  latency: Record<string, { p50: number | null; p95: number | null; p99: number | null }>;
}

export interface MetricsDeps {
  repo: MetricsRepo;
  clock: Clock;
  logger: Logger;
  transaction<T>(fn: () => T): T;
  flushMs?: number;
  timers?: { setInterval(fn: () => void, ms: number): () => void };
}

export interface Metrics {
  /** A key operation finished (every audited key operation; encryptions also give their latency). */
  keyOperation(action: string, provider: string, ms: number, ok: boolean): void;
  /** A provider call or health check finished (ok: answered; not ok: failed, timed out, or refused by an open circuit). */
  providerObservation(provider: string, ok: boolean): void;
  /** Writes what was aggregated in memory to the store and prunes expired buckets. */
  flush(): void;
  view(range: MetricRange): MetricsView;
  /** The last `windowMs` (default one hour; operations per second over the last full minute). */
  snapshot(windowMs?: number): MetricsSnapshot;
  start(): void;
  stop(): void;
}

const iso = (ms: number) => new Date(ms).toISOString();
const pct = (ok: number, n: number) => (n === 0 ? null : (ok / n) * 100);

export function createMetrics(deps: MetricsDeps): Metrics {
  const { repo, clock } = deps;
  const pending = new Map<string, MinuteAggregate>();
  const operationsTotal = new Map<string, number>();
  let stopTimer: (() => void) | null = null;

  // The aggregate each series and label is adding to (its minute's entry of `pending`), so the per-operation path finds
  // it with two map lookups and no key string; forgotten whenever `pending` is emptied or rebuilt (flush).
  const latest = new Map<string, Map<string, MinuteAggregate>>();

  const add = (series: string, label: string, count: number, total: number, latencyMs?: number) => {
    const minuteStart = bucketStart(clock.now(), 'minute');
    let bySeries = latest.get(series);
    if (!bySeries) latest.set(series, (bySeries = new Map()));
    let a = bySeries.get(label);
    if (a === undefined || a.minuteStart !== minuteStart) {
      const k = `${series}\u0000${label}\u0000${minuteStart}`;
      a = pending.get(k);
      if (!a) {
        a = { series, label, minuteStart, count: 0, total: 0, histogram: latencyMs === undefined ? null : {} };
        pending.set(k, a);
      }
      bySeries.set(label, a);
    }
    a.count += count;
    a.total += total;
    if (latencyMs !== undefined && a.histogram) observe(a.histogram, latencyMs);
  };

  const prune = (now: number) => {
    for (const r of ['minute', 'hour', 'day'] as const) repo.pruneBefore(r, bucketStart(now - RETENTION_MS[r], r));
  };

  const flush = () => {
    if (pending.size === 0) {
      prune(clock.now());
      return;
    }
    const aggregates = [...pending.values()];
    pending.clear();
    latest.clear();
    const now = clock.now();
    try {
      deps.transaction(() => {
        for (const b of rollUp(aggregates)) repo.putBucket(mergeBucket(repo.getBucket(b.series, b.label, b.resolution, b.bucketStart), b));
        prune(now);
      });
    } catch (e) {
      // Metrics must never break the console: keep the aggregates for the next flush.
      for (const a of aggregates) {
        const k = `${a.series}\u0000${a.label}\u0000${a.minuteStart}`;
        const again = pending.get(k);
        pending.set(k, again ? { ...a, count: a.count + again.count, total: a.total + again.total, histogram: a.histogram ? mergeInto(a.histogram, again.histogram ?? {}) : null } : a);
      }
      latest.clear();
      deps.logger.warn('storing metrics failed', { error: e instanceof Error ? e.name : String(e) });
    }
  };

  const grouped = (rows: BucketRow[], series: string) => {
    const byLabel = new Map<string, Map<number, BucketRow>>();
    for (const r of rows) {
      if (r.series !== series) continue;
      let m = byLabel.get(r.label);
      if (!m) byLabel.set(r.label, (m = new Map()));
      m.set(r.bucketStart, r);
    }
    return byLabel;
  };

  const view = (range: MetricRange): MetricsView => {
    flush();
    const now = clock.now();
    const { resolution } = RANGES[range];
    const size = RESOLUTION_MS[resolution];
    const starts = rangeStarts(range, now);
    const rows = repo.bucketsBetween(resolution, starts[0]!, starts[starts.length - 1]! + size);
    // The running bucket's rate is over the time it has run so far (at least a second).
    const seconds = (start: number) => Math.max(1, Math.min(size, now - start + 1)) / 1000;
    const ops = grouped(rows, SERIES.operations).get('') ?? new Map<number, BucketRow>();
    const rot = grouped(rows, SERIES.rotations).get('') ?? new Map<number, BucketRow>();
    const ratio = (m: Map<number, BucketRow>) => starts.map((t) => ({ t: iso(t), value: pct(m.get(t)?.total ?? 0, m.get(t)?.count ?? 0), samples: m.get(t)?.count ?? 0 }));
    const sortedLabels = <V>(m: Map<string, V>) => [...m.entries()].sort((a, b) => a[0].localeCompare(b[0]));
    return {
      range,
      resolutionSeconds: size / 1000,
      from: iso(starts[0]!),
      to: iso(starts[starts.length - 1]! + size),
      operationsPerSecond: starts.map((t) => ({ t: iso(t), value: (ops.get(t)?.count ?? 0) / seconds(t), samples: ops.get(t)?.count ?? 0 })),
      rotationSuccessRate: ratio(rot),
      availability: sortedLabels(grouped(rows, SERIES.availability)).map(([provider, m]) => ({ provider, points: ratio(m) })),
      encryptionLatency: sortedLabels(grouped(rows, SERIES.latency)).map(([provider, m]) => ({
        provider,
        points: starts.map((t) => {
          const h = m.get(t)?.histogram ?? {};
          return { t: iso(t), p50: percentile(h, 0.5), p95: percentile(h, 0.95), p99: percentile(h, 0.99), samples: m.get(t)?.count ?? 0 };
        }),
      })),
    };
  };

  const snapshot = (windowMs = RESOLUTION_MS.hour): MetricsSnapshot => {
    flush();
    const now = clock.now();
    const rows = repo.bucketsBetween('minute', bucketStart(now - windowMs, 'minute') + MINUTE_MS, now + 1);
    const lastFull = bucketStart(now, 'minute') - MINUTE_MS;
    const sums = new Map<string, { count: number; total: number; histogram: Histogram }>();
    let opsLastMinute = 0;
    for (const r of rows) {
      if (r.series === SERIES.operations && r.bucketStart === lastFull) opsLastMinute += r.count;
      const k = `${r.series}\u0000${r.label}`;
      const s = sums.get(k) ?? { count: 0, total: 0, histogram: {} };
      s.count += r.count;
      s.total += r.total;
      if (r.histogram) mergeInto(s.histogram, r.histogram);
      sums.set(k, s);
    }
    const availability: Record<string, number> = {};
    const latency: MetricsSnapshot['latency'] = {};
    let rotationSuccessRate: number | null = null;
    for (const [k, s] of sums) {
      const [series, label] = k.split('\u0000') as [string, string];
      if (series === SERIES.availability) availability[label] = pct(s.total, s.count) ?? 100;
      if (series === SERIES.latency) latency[label] = { p50: percentile(s.histogram, 0.5), p95: percentile(s.histogram, 0.95), p99: percentile(s.histogram, 0.99) };
      if (series === SERIES.rotations) rotationSuccessRate = pct(s.total, s.count);
    }
    return { operationsPerSecond: opsLastMinute / 60, operationsTotal: Object.fromEntries(operationsTotal), rotationSuccessRate, availability, latency };
  };

  return {
    keyOperation(action, provider, ms, ok) {
      add(SERIES.operations, '', 1, ok ? 1 : 0);
      operationsTotal.set(action, (operationsTotal.get(action) ?? 0) + 1);
      if (action === 'key.encrypt' && ok) add(SERIES.latency, provider, 1, ms, ms);
      else if (action === 'key.rotate') add(SERIES.rotations, '', 1, ok ? 1 : 0);
    },
    providerObservation(provider, ok) {
      add(SERIES.availability, provider, 1, ok ? 1 : 0);
    },
    flush,
    view,
    snapshot,
    start() {
      if (stopTimer) return;
      const every = deps.flushMs ?? DEFAULT_FLUSH_MS;
      if (deps.timers) {
        stopTimer = deps.timers.setInterval(flush, every);
        return;
      }
      const t = setInterval(flush, every);
      t.unref();
      stopTimer = () => clearInterval(t);
    },
    stop() {
      stopTimer?.();
      stopTimer = null;
      flush();
    },
  };
}
