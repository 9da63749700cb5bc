// The rollout:* channels of the IPC contract (spread into `contract` in contract.ts): rollouts of new key versions to
// robots in waves (docs/rotation.md "Rollout to robots"): list and read rollouts with their per-site progress, halt and
// resume one, the rollout policy (canary, failure threshold, grace), per-site holdings of the current, previous and
// older versions, retiring a previous version (refused while robots hold it unless forced with a reason), and the
// robots a forced retirement left needing a visit. Ids, versions and counts only: never key material.
import { z } from 'zod';
import { channel } from './channel.ts';
import { UUID_PATTERN as UUID } from './ids.ts';
import { DEVICE_ID_PATTERN, FLEET_NAME_PATTERN } from './domain.ts';

const KeyId = z.string().regex(UUID, 'must be a key id (UUID)');
const RolloutId = z.string().regex(UUID, 'must be a rollout id (UUID)');
const DeviceId = z.string().regex(DEVICE_ID_PATTERN, 'must be a device id (3-64 letters, digits, . _ -; starting with a letter or digit)');
const Site = z.string().regex(FLEET_NAME_PATTERN, 'must be a site name (1-64 letters, digits, space . _ / -)');
const IsoTime = z.string().datetime({ offset: true });
const count = z.number().int().nonnegative();
const Version = z.number().int().positive();
const Reason = z.string().trim().min(1, 'must say why').max(500);

export const ROLLOUT_STATES = ['running', 'halted', 'done', 'superseded'] as const;
export const ROLLOUT_ROBOT_STATES = ['pending', 'installed', 'failed'] as const;

/** How a key's new versions reach robots and how long previous versions stay valid. */
export const RolloutPolicySchema = z
  .object({
    /** Robots always in the canary wave (when they hold the key). */
    canaryRobots: z.array(DeviceId).max(100),
    /** Per site, this share of its robots (rounded up) joins the canary, chosen by a fixed hash order. */
    canaryPercent: z.number().min(0).max(100),
    /** The sites whose robots the percentage applies to (none = every site). */
    canarySites: z.array(Site).max(100),
    /** The rollout halts when failed robots / robots of the opened waves goes above this. */
    maxFailureRatio: z.number().min(0).max(1),
    /** How many previous versions stay valid... */
    graceVersions: z.number().int().min(0).max(100),
    /** ...and for how long after the next version replaced them. */
    graceSeconds: z.number().int().min(0).max(10 * 365 * 86_400),
  })
  .strict();
export type RolloutPolicy = z.output<typeof RolloutPolicySchema>;

/** Defaults: 10 % of each site as canary, halt above 10 % failures, one previous version valid for 7 days. */
export const DEFAULT_ROLLOUT_POLICY: RolloutPolicy = {
  canaryRobots: [],
  canaryPercent: 10,
  canarySites: [],
  maxFailureRatio: 0.1,
  graceVersions: 1,
  graceSeconds: 7 * 86_400,
};

const WaveProgress = z.object({
  wave: z.number().int().positive(),
  site: z.string(),
  robots: count,
  installed: count,
  failed: count,
  pending: count,
});

export const RolloutViewSchema = z.object({
  rolloutId: RolloutId,
  keyId: KeyId,
  fromVersion: Version,
  toVersion: Version,
  state: z.enum(ROLLOUT_STATES),
  /** Robots of waves up to this one may receive the new version (1 = canary). */
  openWave: z.number().int().positive(),
  waves: z.number().int().positive(),
  robots: count,
  installed: count,
  failed: count,
  pending: count,
  /** Per wave and site. */
  progress: z.array(WaveProgress),
  policy: RolloutPolicySchema,
  createdAt: IsoTime,
  createdBy: z.string(),
  updatedAt: IsoTime,
  haltReason: z.string().nullable(),
  haltedBy: z.string().nullable(),
  finishedAt: IsoTime.nullable(),
  members: z
    .array(
      z.object({
        deviceId: z.string(),
        site: z.string(),
        wave: z.number().int().positive(),
        state: z.enum(ROLLOUT_ROBOT_STATES),
        attempts: count,
        errorCode: z.string().nullable(),
      }),
    )
    .optional(),
});
export type RolloutView = z.output<typeof RolloutViewSchema>;

export const SiteHoldingSchema = z.object({
  site: z.string(),
  keyId: KeyId,
  currentVersion: Version,
  /** Robots holding the current version, the one before, and any older one. */
  current: count,
  previous: count,
  older: count,
});

export const VersionStatusSchema = z.object({
  version: Version,
  state: z.enum(['current', 'in_grace', 'grace_ended', 'retired']),
  holders: count,
  /** When the next version replaced it (null for the current version). */
  supersededAt: IsoTime.nullable(),
  retiredAt: IsoTime.nullable(),
  retiredBy: z.string().nullable(),
  forced: z.boolean(),
  reason: z.string().nullable(),
  /** While an officer's reinstatement holds (the version decrypts again and no pass retires it), when it ends. */
  reinstatedUntil: IsoTime.nullable(),
});

export const VisitSchema = z.object({
  deviceId: z.string(),
  site: z.string(),
  keyId: KeyId,
  /** The retired version the robot was left holding. */
  version: Version,
  reason: z.string(),
  flaggedAt: IsoTime,
  flaggedBy: z.string(),
});


export const rolloutChannels = {
  'rollout:list': channel(
    z.object({ keyId: KeyId.optional(), state: z.enum(ROLLOUT_STATES).optional(), limit: z.number().int().min(1).max(1000).optional() }).strict(),
    z.object({ rollouts: z.array(RolloutViewSchema) }),
  ),
  'rollout:get': channel(z.object({ rolloutId: RolloutId, robots: z.boolean().optional() }).strict(), RolloutViewSchema),
  /** An officer stops a running rollout: robots not yet installed keep their version. */
  'rollout:halt': channel(z.object({ rolloutId: RolloutId, reason: Reason }).strict(), RolloutViewSchema),
  /** An officer resumes a halted rollout: its failed robots are due again, the gate re-evaluated. */
  'rollout:resume': channel(z.object({ rolloutId: RolloutId, reason: Reason.optional() }).strict(), RolloutViewSchema),
  'rollout:getPolicy': channel(
    z.object({ keyId: KeyId.optional() }).strict(),
    z.object({ policy: RolloutPolicySchema, source: z.enum(['key', 'default', 'builtin']) }),
  ),
  /** Sets the default policy (no keyId) or a key's own. */
  'rollout:setPolicy': channel(
    z.object({ keyId: KeyId.optional(), policy: RolloutPolicySchema }).strict(),
    z.object({ policy: RolloutPolicySchema, source: z.enum(['key', 'default', 'builtin']) }),
  ),
  /** Removes the default policy (back to the built-in one) or a key's own (back to the default). */
  'rollout:clearPolicy': channel(
    z.object({ keyId: KeyId.optional() }).strict(),
    z.object({ policy: RolloutPolicySchema, source: z.enum(['key', 'default', 'builtin']) }),
  ),
  'rollout:holdings': channel(z.object({ keyId: KeyId.optional() }).strict(), z.object({ sites: z.array(SiteHoldingSchema) })),
  'rollout:versions': channel(z.object({ keyId: KeyId }).strict(), z.object({ keyId: KeyId, currentVersion: Version, versions: z.array(VersionStatusSchema) })),
  /**
   * Retires a previous version: refused (illegal_transition, details.reason 'held_by_robots') while robots hold it,
   * unless `force` with a `reason`; those robots are then flagged "needs a visit".
   */
  'rollout:retire': channel(
    z
      .object({ keyId: KeyId, version: Version, force: z.boolean().optional(), reason: Reason.optional() })
      .strict()
      .refine((v) => v.force !== true || v.reason !== undefined, { message: 'a forced retirement needs a reason', path: ['reason'] }),
    z.object({ version: VersionStatusSchema, flagged: z.array(z.string()) }),
  ),
  /**
   * Undoes a retirement: the version decrypts again (to re-encrypt what it protected under the current version) and no
   * scheduler pass retires it for `days` (1-90). Refused when the version is not retired or was destroyed.
   */
  'rollout:reinstate': channel(
    z.object({ keyId: KeyId, version: Version, reason: Reason, days: z.number().int().min(1).max(90) }).strict(),
    z.object({ version: VersionStatusSchema, until: IsoTime }),
  ),
  'rollout:needsVisit': channel(z.object({ site: Site.optional() }).strict(), z.object({ robots: z.array(VisitSchema) })),
} as const;
