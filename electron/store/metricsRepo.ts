// Repository for metrics and alerts (issue 13, migration 14). Metrics are stored as buckets per series, label and
// resolution (minute, hour, day): a count, a total and, for latencies, a sparse histogram (JSON: bucket index -> count),
// so coarser buckets are exact merges of finer ones and percentiles can be read from any resolution. Alerts are one row
// each, with how often the same condition was seen while unacknowledged, and who acknowledged them. Times are epoch
// milliseconds (BIGINT). Portable SQL only (PostgreSQL runs it): no SQLite-only types or functions.
import type { Db } from './database.ts';

/** DDL of migration 14. */
export const METRICS_SCHEMA_SQL = `
CREATE TABLE metric_buckets (
  series VARCHAR(48) NOT NULL,
  label VARCHAR(64) NOT NULL,
  resolution VARCHAR(6) NOT NULL CHECK (resolution IN ('minute', 'hour', 'day')),
  bucket_start BIGINT NOT NULL,
  sample_count BIGINT NOT NULL,
  total DOUBLE PRECISION NOT NULL,
  histogram VARCHAR(4000),
  PRIMARY KEY (series, label, resolution, bucket_start)
);
CREATE INDEX metric_buckets_age ON metric_buckets (resolution, bucket_start);
CREATE TABLE alerts (
  id VARCHAR(36) PRIMARY KEY,
  kind VARCHAR(32) NOT NULL,
  severity VARCHAR(8) NOT NULL CHECK (severity IN ('CRITICAL', 'HIGH', 'MEDIUM', 'LOW')),
  dedupe_key VARCHAR(300) NOT NULL,
  subject VARCHAR(200),
  message VARCHAR(1000) NOT NULL,
  details VARCHAR(4000) NOT NULL,
  source_seq BIGINT,
  raised_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  occurrences INTEGER NOT NULL,
  acknowledged_at BIGINT,
  acknowledged_by VARCHAR(128)
);
CREATE INDEX alerts_raised ON alerts (raised_at);
CREATE INDEX alerts_dedupe ON alerts (dedupe_key, acknowledged_at);
`;

export type Resolution = 'minute' | 'hour' | 'day';
export type Severity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW';

export interface BucketRow {
  series: string;
  label: string;
  resolution: Resolution;
  bucketStart: number;
  count: number;
  total: number;
  /** Sparse histogram: bucket index -> count (null for series without one). */
  histogram: Record<number, number> | null;
}

export interface AlertRow {
  id: string;
  kind: string;
  severity: Severity;
  dedupeKey: string;
  subject: string | null;
  message: string;
  details: Record<string, string | number | boolean | null>;
  sourceSeq: number | null;
  raisedAt: number;
  lastSeenAt: number;
  occurrences: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
}

interface RawBucket {
  series: string;
  label: string;
  resolution: Resolution;
  bucket_start: number;
  sample_count: number;
  total: number;
  histogram: string | null;
}

interface RawAlert {
  id: string;
  kind: string;
  severity: Severity;
  dedupe_key: string;
  subject: string | null;
  message: string;
  details: string;
  source_seq: number | null;
  raised_at: number;
  last_seen_at: number;
  occurrences: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
}

const toBucket = (r: RawBucket): BucketRow => ({
  series: r.series,
  label: r.label,
  resolution: r.resolution,
  bucketStart: Number(r.bucket_start),
  count: Number(r.sample_count),
  total: Number(r.total),
  histogram: r.histogram === null ? null : (JSON.parse(r.histogram) as Record<number, number>),
});

const toAlert = (r: RawAlert): AlertRow => ({
  id: r.id,
  kind: r.kind,
  severity: r.severity,
  dedupeKey: r.dedupe_key,
  subject: r.subject,
  message: r.message,
  details: JSON.parse(r.details) as AlertRow['details'],
  sourceSeq: r.source_seq === null ? null : Number(r.source_seq),
  raisedAt: Number(r.raised_at),
  lastSeenAt: Number(r.last_seen_at),
  occurrences: Number(r.occurrences),
  acknowledgedAt: r.acknowledged_at === null ? null : Number(r.acknowledged_at),
  acknowledgedBy: r.acknowledged_by,
});

export interface MetricsRepo {
  getBucket(series: string, label: string, resolution: Resolution, bucketStart: number): BucketRow | null;
  /** Inserts or replaces one bucket (the caller merged it with what was stored). */
  putBucket(row: BucketRow): void;
  /** Buckets of one resolution with bucket_start in [from, to). */
  bucketsBetween(resolution: Resolution, from: number, to: number): BucketRow[];
  /** Removes buckets of a resolution that start before `before`; returns how many. */
  pruneBefore(resolution: Resolution, before: number): number;

  insertAlert(row: AlertRow): void;
  /** The open (unacknowledged) alert for a condition, if any. */
  openAlert(dedupeKey: string): AlertRow | null;
  /** Whether any alert (open or acknowledged) was ever raised for a condition. */
  anyAlert(dedupeKey: string): boolean;
  /** Another occurrence of an open alert's condition. */
  seenAgain(id: string, at: number): void;
  getAlert(id: string): AlertRow | null;
  acknowledge(id: string, at: number, by: string): boolean;
  listAlerts(opts: { unacknowledgedOnly: boolean; limit: number }): AlertRow[];
  countOpen(): Record<Severity, number>;
}

export function createMetricsRepo(db: Db): MetricsRepo {
  const getBucket = db.prepare('SELECT * FROM metric_buckets WHERE series = ? AND label = ? AND resolution = ? AND bucket_start = ?');
  const insertBucket = db.prepare(
    'INSERT INTO metric_buckets (series, label, resolution, bucket_start, sample_count, total, histogram) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const updateBucket = db.prepare(
    'UPDATE metric_buckets SET sample_count = ?, total = ?, histogram = ? WHERE series = ? AND label = ? AND resolution = ? AND bucket_start = ?',
  );
  const between = db.prepare('SELECT * FROM metric_buckets WHERE resolution = ? AND bucket_start >= ? AND bucket_start < ? ORDER BY bucket_start, series, label');
  const prune = db.prepare('DELETE FROM metric_buckets WHERE resolution = ? AND bucket_start < ?');

  const insertAlert = db.prepare(
    `INSERT INTO alerts (id, kind, severity, dedupe_key, subject, message, details, source_seq, raised_at, last_seen_at, occurrences, acknowledged_at, acknowledged_by)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const openAlert = db.prepare('SELECT * FROM alerts WHERE dedupe_key = ? AND acknowledged_at IS NULL ORDER BY raised_at DESC');
  const anyAlert = db.prepare('SELECT id FROM alerts WHERE dedupe_key = ?');
  const seenAgain = db.prepare('UPDATE alerts SET occurrences = occurrences + 1, last_seen_at = ? WHERE id = ?');
  const getAlert = db.prepare('SELECT * FROM alerts WHERE id = ?');
  const ack = db.prepare('UPDATE alerts SET acknowledged_at = ?, acknowledged_by = ? WHERE id = ? AND acknowledged_at IS NULL');
  const listAll = db.prepare('SELECT * FROM alerts ORDER BY raised_at DESC, id LIMIT ?');
  const listOpen = db.prepare('SELECT * FROM alerts WHERE acknowledged_at IS NULL ORDER BY raised_at DESC, id LIMIT ?');
  const countOpen = db.prepare('SELECT severity, count(*) AS n FROM alerts WHERE acknowledged_at IS NULL GROUP BY severity');

  return {
    getBucket(series, label, resolution, bucketStart) {
      const r = getBucket.get(series, label, resolution, bucketStart) as RawBucket | undefined;
      return r ? toBucket(r) : null;
    },
    putBucket(b) {
      const hist = b.histogram === null ? null : JSON.stringify(b.histogram);
      const changed = updateBucket.run(b.count, b.total, hist, b.series, b.label, b.resolution, b.bucketStart).changes;
      if (changed === 0) insertBucket.run(b.series, b.label, b.resolution, b.bucketStart, b.count, b.total, hist);
    },
    bucketsBetween(resolution, from, to) {
      return (between.all(resolution, from, to) as RawBucket[]).map(toBucket);
    },
    pruneBefore(resolution, before) {
      return prune.run(resolution, before).changes;
    },
    insertAlert(a) {
      insertAlert.run(a.id, a.kind, a.severity, a.dedupeKey, a.subject, a.message, JSON.stringify(a.details), a.sourceSeq, a.raisedAt, a.lastSeenAt, a.occurrences, a.acknowledgedAt, a.acknowledgedBy);
    },
    openAlert(key) {
      const r = openAlert.get(key) as RawAlert | undefined;
      return r ? toAlert(r) : null;
    },
    anyAlert(key) {
      return anyAlert.get(key) !== undefined;
    },
    seenAgain(id, at) {
      seenAgain.run(at, id);
    },
    getAlert(id) {
      const r = getAlert.get(id) as RawAlert | undefined;
      return r ? toAlert(r) : null;
    },
    acknowledge(id, at, by) {
      return ack.run(at, by, id).changes === 1;
    },
    listAlerts({ unacknowledgedOnly, limit }) {
      return ((unacknowledgedOnly ? listOpen : listAll).all(limit) as RawAlert[]).map(toAlert);
    },
    countOpen() {
      const counts: Record<Severity, number> = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0 };
      for (const r of countOpen.all() as Array<{ severity: Severity; n: number }>) counts[r.severity] = Number(r.n);
      return counts;
    },
  };
}
