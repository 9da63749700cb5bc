// The rotation:* channels of the IPC contract (issue 13; spread into `contract` in contract.ts): the scheduler's status,
// the due and overdue rotations with "run now", the policies per key type and per key, pause and resume, the job
// history, usage per key version against its limit, and the rotations of the next 30 days. Policy values are checked
// by the main process (electron/services/rotation/policy.ts), which names the field in `details.field` and says what
// is wrong in words; the schemas here bound only the shape.
import { z } from 'zod';
import { KEY_TYPES } from './domain.ts';
import { KeyIdSchema } from './ids.ts';

const IsoTime = z.string().datetime({ offset: true });
const KeyTypeSchema = z.enum(KEY_TYPES);
const Empty = z.object({}).strict();
const Count = z.number().int().nonnegative();

/** The longest forecast the timeline may ask for. */
export const MAX_FORECAST_DAYS = 90;
/** A due rotation counts as overdue once it is this late (the scheduler passes every minute; a window may hold it). */
export const OVERDUE_AFTER_MS = 60 * 60 * 1000;

const RotationWindowInput = z.object({ cron: z.string().max(200), durationMinutes: z.number() }).strict();
/** A policy as an officer writes it; missing jitter, usage limit and time zone take their defaults. */
export const RotationPolicyInput = z
  .object({
    mode: z.enum(['scheduled', 'manual']),
    /** Who rotates: the console's scheduler (default) or the key's provider on its own schedule (a key's policy only). */
    driver: z.enum(['console', 'provider']).optional(),
    periodSeconds: z.number().nullable().optional(),
    jitterSeconds: z.number().optional(),
    usageLimit: z.number().optional(),
    timeZone: z.string().max(64).optional(),
    maintenanceWindow: RotationWindowInput.nullable().optional(),
    blackoutWindows: z.array(RotationWindowInput).max(64).optional(),
  })
  .strict();

const RotationWindow = z.object({ cron: z.string(), durationMinutes: z.number().int().positive() });
export const RotationPolicySchema = z.object({
  mode: z.enum(['scheduled', 'manual']),
  driver: z.enum(['console', 'provider']),
  periodSeconds: z.number().int().positive().nullable(),
  jitterSeconds: z.number().int().nonnegative(),
  usageLimit: z.number().int().positive(),
  timeZone: z.string(),
  maintenanceWindow: RotationWindow.nullable(),
  blackoutWindows: z.array(RotationWindow),
});
export type RotationPolicyView = z.infer<typeof RotationPolicySchema>;

const JobReasonSchema = z.enum(['schedule', 'usage_limit']);
const WaitReasonSchema = z.enum(['locked', 'paused', 'maintenance', 'blackout']);

export const RotationStatus = z.object({
  /** The console's clock (the screen measures lateness and the timeline from it, not from the window's clock). */
  now: IsoTime,
  paused: z.boolean(),
  /** Passes run periodically in this process (false for the CLI's one-shot commands and tests). */
  periodic: z.boolean(),
  running: Count,
  /** Rotations whose due time has come (not yet run). */
  dueNow: Count,
  /** ... of which late by OVERDUE_AFTER_MS or more, and the latest one's lateness. */
  overdue: Count,
  maxLateMs: Count,
  /** Due rotations that wait (paused, or held by a window). */
  waiting: Count,
  deferredByWindow: Count,
  nextDueAt: IsoTime.nullable(),
  /** What the last unlock found waiting (due while the console was locked or closed); null when nothing waited. */
  waitedWhileLocked: z.object({ count: z.number().int().positive(), unlockedAt: IsoTime }).nullable(),
});
export type RotationStatus = z.infer<typeof RotationStatus>;

export const DueRotation = z.object({
  keyId: KeyIdSchema,
  label: z.string(),
  keyType: KeyTypeSchema,
  fromVersion: z.number().int().positive(),
  reason: JobReasonSchema,
  dueAt: IsoTime,
  lateMs: Count,
  overdue: z.boolean(),
  state: z.enum(['pending', 'running', 'failed']),
  attempts: Count,
  waitingFor: WaitReasonSchema.nullable(),
});
export type DueRotation = z.infer<typeof DueRotation>;

export const RotationJob = z.object({
  keyId: z.string(),
  label: z.string().nullable(),
  keyType: KeyTypeSchema.nullable(),
  fromVersion: z.number().int().positive(),
  toVersion: z.number().int().positive().nullable(),
  reason: JobReasonSchema,
  state: z.enum(['pending', 'running', 'done', 'failed', 'superseded']),
  dueAt: IsoTime,
  startedAt: IsoTime.nullable(),
  finishedAt: IsoTime.nullable(),
  lateMs: Count.nullable(),
  attempts: Count,
  errorCode: z.string().nullable(),
  nextAttemptAt: IsoTime.nullable(),
});
export type RotationJob = z.infer<typeof RotationJob>;

export const VersionUsageView = z.object({
  keyId: KeyIdSchema,
  label: z.string(),
  keyType: KeyTypeSchema,
  version: z.number().int().positive(),
  current: z.boolean(),
  count: Count,
  limit: z.number().int().positive(),
  warnAt: z.number().int().positive(),
  warned: z.boolean(),
  limitReached: z.boolean(),
});
export type VersionUsageView = z.infer<typeof VersionUsageView>;

export const ForecastRotation = z.object({
  keyId: KeyIdSchema,
  label: z.string(),
  keyType: KeyTypeSchema,
  /** Sites the key is assigned to (a site assignment, or the site of a robot it is assigned to). */
  sites: z.array(z.string()),
  fromVersion: z.number().int().positive(),
  reason: JobReasonSchema,
  dueAt: IsoTime,
  startsAt: IsoTime.nullable(),
  heldBy: z.enum(['maintenance', 'blackout']).nullable(),
  overdue: z.boolean(),
  projected: z.boolean(),
});
export type ForecastRotation = z.infer<typeof ForecastRotation>;

const PolicyView = z.object({ policy: RotationPolicySchema, source: z.enum(['default', 'type', 'key']) });

export const rotationChannels = {
  'rotation:status': { input: Empty, output: RotationStatus },
  /** Rotations due now (overdue ones first, the latest first), with why each waits. */
  'rotation:due': { input: Empty, output: z.object({ now: IsoTime, items: z.array(DueRotation) }) },
  /** Runs a key's planned or due rotation now (audited as key.rotate and rotation.run by officer). */
  'rotation:runNow': {
    input: z.object({ keyId: KeyIdSchema }).strict(),
    output: z.object({ keyId: KeyIdSchema, fromVersion: z.number().int().positive(), toVersion: z.number().int().positive(), lateMs: Count, reason: JobReasonSchema }),
  },
  /** The policy of every key type, every key's own policy (override), and with keyId the policy that applies to it. */
  'rotation:policies': {
    input: z.object({ keyId: KeyIdSchema.optional() }).strict(),
    output: z.object({
      types: z.array(PolicyView.extend({ type: KeyTypeSchema })),
      overrides: z.array(z.object({ keyId: z.string(), label: z.string().nullable(), keyType: KeyTypeSchema.nullable(), policy: RotationPolicySchema, updatedAt: z.string(), updatedBy: z.string() })),
      key: PolicyView.extend({ keyId: KeyIdSchema }).nullable(),
    }),
  },
  'rotation:setTypePolicy': {
    input: z.object({ type: KeyTypeSchema, policy: RotationPolicyInput }).strict(),
    output: PolicyView.extend({ type: KeyTypeSchema }),
  },
  /** Sets a key's own policy (an override of its type's). */
  'rotation:setKeyPolicy': {
    input: z.object({ keyId: KeyIdSchema, policy: RotationPolicyInput }).strict(),
    output: PolicyView.extend({ keyId: KeyIdSchema }),
  },
  /** Removes a key's own policy: its type's applies again. */
  'rotation:clearKeyPolicy': {
    input: z.object({ keyId: KeyIdSchema }).strict(),
    output: PolicyView.extend({ keyId: KeyIdSchema }),
  },
  'rotation:pause': { input: Empty, output: RotationStatus },
  'rotation:resume': { input: Empty, output: RotationStatus },
  /** The scheduler's persisted jobs, most recent first. */
  'rotation:jobs': {
    input: z.object({ keyId: KeyIdSchema.optional(), limit: z.number().int().positive().max(1000).optional() }).strict(),
    output: z.object({ jobs: z.array(RotationJob) }),
  },
  /** Usage per key version: every version of one key, or the current version of every active key. */
  'rotation:usage': {
    input: z.object({ keyId: KeyIdSchema.optional() }).strict(),
    output: z.object({ versions: z.array(VersionUsageView) }),
  },
  /** The rotations due in the next `days` (default 30), projected from policies, windows and jitter. */
  'rotation:upcoming': {
    input: z.object({ days: z.number().int().positive().max(MAX_FORECAST_DAYS).optional() }).strict(),
    output: z.object({ now: IsoTime, until: IsoTime, items: z.array(ForecastRotation), truncated: z.boolean() }),
  },
  /**
   * The provider's own rotation schedule of a key, as the provider reports it now (docs/rotation.md, "Provider-side
   * rotation"); invalid_input (field driver) for a key whose provider cannot rotate it by itself.
   */
  'rotation:providerSchedule': {
    input: z.object({ keyId: KeyIdSchema }).strict(),
    output: z.object({ keyId: KeyIdSchema, provider: z.string(), enabled: z.boolean(), periodSeconds: z.number().int().positive().nullable(), nextRotationAt: IsoTime.nullable() }),
  },
  /** The drift check on demand (one key, or every active provider key): versions the console did not make, adopted and audited once. */
  'rotation:checkDrift': {
    input: z.object({ keyId: KeyIdSchema.optional() }).strict(),
    output: z.object({
      checked: z.number().int().nonnegative(),
      drift: z.array(
        z.object({
          keyId: KeyIdSchema,
          provider: z.string(),
          providerVersion: z.number().int().positive(),
          providerVersionId: z.string(),
          /** AWS says whether its own schedule or an on-demand rotation made it; other providers: null. */
          origin: z.enum(['automatic', 'on_demand']).nullable(),
          providerCreatedAt: z.string().nullable(),
          adoptedAs: z.number().int().positive(),
          expected: z.boolean(),
        }),
      ),
      errors: z.array(z.object({ keyId: KeyIdSchema, code: z.string(), message: z.string() })),
    }),
  },
} as const;
