// The metrics:* and alerts:* channels of the IPC contract (spread into `contract` in contract.ts): the specification's
// indicators charted over the last hour, day or week (docs/metrics-and-alerts.md), and the alert inbox with
// acknowledge. Nothing here carries key material.
import { z } from 'zod';
import { channel } from './channel.ts';
import { uuidOf } from './ids.ts';

const IsoTime = z.string().datetime({ offset: true });
const count = z.number().int().nonnegative();
const AlertId = uuidOf('alert id');

export const METRIC_RANGES = ['hour', 'day', 'week'] as const;
export const ALERT_SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const;
export const ALERT_KINDS = ['rotation_failure', 'provider_connectivity', 'unauthorized_access', 'usage_limit_near', 'rotation_overdue', 'emergency_break_glass'] as const;

const SeriesPoint = z.object({ t: IsoTime, value: z.number().nonnegative().nullable(), samples: count });
const LatencyPoint = z.object({ t: IsoTime, p50: z.number().nonnegative().nullable(), p95: z.number().nonnegative().nullable(), p99: z.number().nonnegative().nullable(), samples: count });

export const MetricsViewSchema = z.object({
  range: z.enum(METRIC_RANGES),
  /** 60 (hour: minute points), 3600 (day: hourly points), 86400 (week: daily points). */
  resolutionSeconds: z.number().int().positive(),
  from: IsoTime,
  to: IsoTime,
  operationsPerSecond: z.array(SeriesPoint),
  /** Percent (0-100) of rotation attempts that succeeded; null where none ran. */
  rotationSuccessRate: z.array(SeriesPoint),
  /** Percent of provider calls and health checks that succeeded, per provider. */
  availability: z.array(z.object({ provider: z.string(), points: z.array(SeriesPoint) })),
  /** Encryption latency in milliseconds, per provider ('local' for keys held in this store). */
  encryptionLatency: z.array(z.object({ provider: z.string(), points: z.array(LatencyPoint) })),
});
export type MetricsView = z.infer<typeof MetricsViewSchema>;

const Details = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));
const OpenCounts = z.object({ CRITICAL: count, HIGH: count, MEDIUM: count, LOW: count });

export const AlertSchema = z.object({
  id: AlertId,
  kind: z.enum(ALERT_KINDS),
  severity: z.enum(ALERT_SEVERITIES),
  subject: z.string().nullable(),
  message: z.string(),
  details: Details,
  /** The audit record that raised it (null for a failed health check or an overdue rotation). */
  sourceSeq: z.number().int().positive().nullable(),
  raisedAt: IsoTime,
  lastSeenAt: IsoTime,
  /** How often its condition was seen while it was unacknowledged. */
  occurrences: z.number().int().positive(),
  acknowledgedAt: IsoTime.nullable(),
  acknowledgedBy: z.string().nullable(),
});
export type Alert = z.infer<typeof AlertSchema>;


export const metricsChannels = {
  /** The indicators over the last hour (minute points), day (hourly) or week (daily). */
  'metrics:series': channel(z.object({ range: z.enum(METRIC_RANGES) }).strict(), MetricsViewSchema),
  /** The inbox, newest first; `open` counts the unacknowledged alerts per severity (the shell's badge). */
  'alerts:list': channel(
    z.object({ unacknowledgedOnly: z.boolean().optional(), limit: z.number().int().min(1).max(1000).optional() }).strict(),
    z.object({ alerts: z.array(AlertSchema), open: OpenCounts }),
  ),
  /** Acknowledged by the unlocked operator (audited); acknowledging twice is illegal_transition. */
  'alerts:acknowledge': channel(z.object({ id: AlertId }).strict(), AlertSchema),
} as const;

export const metricsEvents = {
  /** An alert was raised, counted again or acknowledged. */
  'alerts:changed': z.object({ id: AlertId.nullable() }),
} as const;
