// The fleet:* channels of the IPC contract (spread into `contract` in contract.ts): the robot registry, its CSV
// import/export and the fleet dashboard. Search, filter, sort and paging happen in the main process (SQL).
import { z } from 'zod';
import { channel } from './channel.ts';
import { CERT_REVOCATION_REASONS, DEVICE_ID_PATTERN, FLEET_NAME_PATTERN, ROBOT_STATUSES, ROBOT_TAG_PATTERN } from './domain.ts';
import { KeyIdSchema } from './ids.ts';

const IsoTime = z.string().datetime({ offset: true });
const NoControl = /^[^\u0000-\u001f\u007f]*$/;
export const DeviceIdSchema = z.string().regex(DEVICE_ID_PATTERN, 'must be a device id (3-64 letters, digits, . _ -; starting with a letter or digit)');
export const RobotStatusSchema = z.enum(ROBOT_STATUSES);
const RobotName = z.string().trim().min(1, 'must not be empty').max(128).regex(NoControl, 'must not contain control characters');
const FleetName = z.string().trim().regex(FLEET_NAME_PATTERN, 'must be 1-64 letters, digits, space . _ / -');
const Firmware = z.string().trim().max(64).regex(NoControl, 'must not contain control characters');
const Tags = z.array(z.string().regex(ROBOT_TAG_PATTERN, 'tags are 1-32 letters, digits, . _ : / -')).max(32);
const Reason = z.string().trim().max(500).regex(/^[^\u0000-\u0008\u000b-\u001f\u007f]*$/, 'must not contain control characters');
const Empty = z.object({}).strict();
/** Largest CSV accepted by fleet:importCsv: the IPC payload limit (about 15,000 rows; larger fleets import in parts). */
export const MAX_FLEET_CSV_CHARS = 1024 * 1024;

/**
 * fleet:list's renewal filter: robots with an open flag "needs a certificate from the current CA" (any reason, or one
 * reason: the CA was replaced or compromised; docs/fleet-ca.md). The reasons are caContract's RENEWAL_REASONS.
 */
export const RENEWAL_FILTERS = ['any', 'ca_replaced', 'ca_compromised'] as const;
export type RenewalFilter = (typeof RENEWAL_FILTERS)[number];
export const ROBOT_SORT_FIELDS = ['deviceId', 'name', 'model', 'site', 'firmware', 'status', 'lastSeen'] as const;
export type RobotSortField = (typeof ROBOT_SORT_FIELDS)[number];

export const RobotSummary = z.object({
  deviceId: DeviceIdSchema,
  name: z.string(),
  model: z.string(),
  site: z.string(),
  firmware: z.string(),
  tags: z.array(z.string()),
  status: RobotStatusSchema,
  lastSeen: IsoTime.nullable(),
  createdAt: IsoTime,
  updatedAt: IsoTime,
});
export type RobotSummary = z.infer<typeof RobotSummary>;

export const RobotKeyHolding = z.object({
  keyId: z.string(),
  /** The key's label and type, or null when the key is not (or no longer) in this store. */
  label: z.string().nullable(),
  type: z.string().nullable(),
  /** The version the robot holds, and the key's newest version (the robot is behind when they differ). */
  version: z.number().int().positive(),
  currentVersion: z.number().int().positive().nullable(),
  recordedAt: IsoTime,
  source: z.enum(['provisioning', 'distribution']),
});
export type RobotKeyHolding = z.infer<typeof RobotKeyHolding>;

export const RobotCertificate = z.object({
  serial: z.string(),
  subject: z.string(),
  notBefore: IsoTime,
  notAfter: IsoTime,
  status: z.enum(['active', 'revoked']),
  pem: z.string(),
});
export type RobotCertificate = z.infer<typeof RobotCertificate>;

export const RobotDetail = RobotSummary.extend({
  statusReason: z.string().nullable(),
  keys: z.array(RobotKeyHolding),
  certificates: z.array(RobotCertificate),
});
export type RobotDetail = z.infer<typeof RobotDetail>;

/** What revoking a robot revokes with it: its valid certificates (in the fleet CA, in the registry, or both). */
export const RevocationPlan = z.object({
  deviceId: DeviceIdSchema,
  /** caId: the CA that issued it (the current one, or a retired one during a transition); absent for a registry copy alone. */
  certificates: z.array(z.object({ serial: z.string(), notAfter: IsoTime, caId: z.string().optional(), inCa: z.boolean(), inRegistry: z.boolean() })),
  /** True when a CRL signed by the fleet CA will list them (some are the CA's); false when there is nothing to list. */
  crlUpdate: z.boolean(),
  /** The provider holding the fleet CA key (null without a CA): it must be able to sign. */
  caProviderId: z.string().nullable(),
});
export type RevocationPlan = z.infer<typeof RevocationPlan>;

const PublishedRobotCrl = z.object({ crlNumber: z.number().int().positive(), thisUpdate: IsoTime, nextUpdate: IsoTime, revoked: z.number().int().nonnegative(), pem: z.string() });

/** A status change; when it was a revocation, what was revoked with the robot and the CRL published in the same operation. */
export const RobotStatusChange = RobotSummary.extend({
  revocation: z
    .object({
      certificateReason: z.enum(CERT_REVOCATION_REASONS),
      revokedSerials: z.array(z.string()),
      /** The current CA's CRL (or the only CA's that signed one). */
      crl: PublishedRobotCrl.nullable(),
      /** Every CRL signed by the revocation, one per CA that issued one of the certificates (current CA first). */
      crls: z.array(PublishedRobotCrl.extend({ caId: z.string() })).optional(),
    })
    .optional(),
});
export type RobotStatusChange = z.infer<typeof RobotStatusChange>;

const CountBy = z.array(z.object({ name: z.string(), count: z.number().int().nonnegative() }));

export const FleetDashboard = z.object({
  total: z.number().int().nonnegative(),
  byStatus: z.record(RobotStatusSchema, z.number().int().nonnegative()),
  bySite: z.array(z.object({ site: z.string(), total: z.number().int().nonnegative(), byStatus: z.record(z.string(), z.number().int().nonnegative()) })),
  expiringCertificates: z.array(z.object({ deviceId: z.string(), serial: z.string(), notAfter: IsoTime, daysLeft: z.number().int() })),
  expiringCertificatesTotal: z.number().int().nonnegative(),
  overdueKeys: z.array(z.object({ keyId: z.string(), label: z.string(), type: z.string(), nextRotationAt: IsoTime, robots: z.number().int().nonnegative() })),
  providers: z.array(z.object({ id: z.string(), kind: z.string(), ok: z.boolean().nullable(), circuit: z.string(), checkedAt: IsoTime.nullable(), detail: z.string().nullable() })),
  /**
   * Key versions held across the fleet: per key robots hold, how many robots hold its current version and how many an
   * older one ("behind"; a key no longer in the store counts as behind, its label, type and version null). The keys
   * with the most robots behind first, at most KEY_VERSIONS_LISTED; the totals count every key.
   */
  keyVersions: z.array(
    z.object({ keyId: z.string(), label: z.string().nullable(), type: z.string().nullable(), currentVersion: z.number().int().positive().nullable(), current: z.number().int().nonnegative(), behind: z.number().int().nonnegative() }),
  ),
  keyVersionsTotal: z.object({ keys: z.number().int().nonnegative(), current: z.number().int().nonnegative(), behind: z.number().int().nonnegative() }),
  generatedAt: IsoTime,
});
/** How many keys the dashboard's "key versions held" lists (the totals count them all). */
export const KEY_VERSIONS_LISTED = 20;
export type FleetDashboard = z.infer<typeof FleetDashboard>;

const RobotFields = {
  name: RobotName,
  model: FleetName,
  site: FleetName,
  firmware: Firmware.default(''),
  tags: Tags.default([]),
};


/** Key types a robot receives from the station and in bundles, and so the types a site or robot can be assigned. */
export const ASSIGNABLE_KEY_TYPES = ['communication', 'storage'] as const;
export type AssignableKeyType = (typeof ASSIGNABLE_KEY_TYPES)[number];
export const KEY_ASSIGNMENT_SCOPES = ['robot', 'site'] as const;
export type KeyAssignmentScope = (typeof KEY_ASSIGNMENT_SCOPES)[number];
/** Where a robot's effective key comes from: its own row, its site's row, the newest unassigned key, or nowhere. */
export const KEY_ASSIGNMENT_SOURCES = ['robot', 'site', 'newest', 'none'] as const;

const AssignableKeyTypeSchema = z.enum(ASSIGNABLE_KEY_TYPES);
const AssignmentScopeSchema = z.enum(KEY_ASSIGNMENT_SCOPES);
const AssignedKeyId = KeyIdSchema;

/** One stored assignment row, with the key as it is now and why it cannot be delivered (problem), if so. */
export const KeyAssignment = z.object({
  scope: AssignmentScopeSchema,
  scopeId: z.string(),
  keyType: AssignableKeyTypeSchema,
  keyId: z.string(),
  keyLabel: z.string().nullable(),
  keyState: z.string().nullable(),
  /** The key's current version: what the next provisioning or bundle delivers. */
  version: z.number().int().positive().nullable(),
  assignedAt: IsoTime,
  assignedBy: z.string(),
  problem: z.string().nullable(),
});
export type KeyAssignment = z.infer<typeof KeyAssignment>;

/** The key of one type the station and bundles would deliver to the robot now; error names why none can be. */
export const EffectiveKey = z.object({
  keyType: AssignableKeyTypeSchema,
  keyId: z.string().nullable(),
  keyLabel: z.string().nullable(),
  version: z.number().int().positive().nullable(),
  source: z.enum(KEY_ASSIGNMENT_SOURCES),
  error: z.string().nullable(),
  errorCode: z.string().nullable(),
});
export type EffectiveKey = z.infer<typeof EffectiveKey>;

export const RobotKeyAssignments = z.object({
  deviceId: DeviceIdSchema,
  site: z.string(),
  effective: z.array(EffectiveKey),
  robotAssignments: z.array(KeyAssignment),
  siteAssignments: z.array(KeyAssignment),
});
export type RobotKeyAssignments = z.infer<typeof RobotKeyAssignments>;

export const SiteKeyAssignments = z.object({ site: z.string(), robots: z.number().int().nonnegative(), assignments: z.array(KeyAssignment) });
export type SiteKeyAssignments = z.infer<typeof SiteKeyAssignments>;

/** Robots listed per page by fleet:keyUsage (the counts per version always cover the whole fleet). */
export const KEY_USAGE_PAGE = 200;

/** One robot that holds a version of the key, as recorded at provisioning or at its last distribution. */
export const KeyHolder = z.object({
  deviceId: z.string(),
  name: z.string(),
  site: z.string(),
  status: RobotStatusSchema,
  version: z.number().int().positive(),
  recordedAt: IsoTime,
  source: z.enum(['provisioning', 'distribution']),
});
export type KeyHolder = z.infer<typeof KeyHolder>;

/**
 * Which robots still depend on a key and where it is assigned: what an officer checks before retiring a version or
 * disabling the key. `versions` counts the holders of each version (only versions some robot holds, oldest first);
 * `holders` is one page of them (oldest version first, then device id), filtered to `version` when one is given.
 */
export const KeyUsage = z.object({
  keyId: z.string(),
  currentVersion: z.number().int().positive(),
  versions: z.array(z.object({ version: z.number().int().positive(), robots: z.number().int().nonnegative() })),
  /** Robots holding any version of the key. */
  robots: z.number().int().nonnegative(),
  /** Robots matching the request's version filter (all holders without one): what `holders` pages through. */
  matching: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative(),
  holders: z.array(KeyHolder),
  assignments: z.array(KeyAssignment),
});
export type KeyUsage = z.infer<typeof KeyUsage>;

const ScopeAssignments = z.object({ scope: AssignmentScopeSchema, scopeId: z.string(), assignments: z.array(KeyAssignment) });

const ScopeFields = { scope: AssignmentScopeSchema, scopeId: z.string().max(64), keyType: AssignableKeyTypeSchema };

/** A site as stored (no trimming here: the id names a row, it is not a name being typed in). */
const SiteName = z.string().regex(FLEET_NAME_PATTERN, 'must be a site name (1-64 letters, digits, space . _ / -)');

/** scopeId is a device id for scope robot and a site name for scope site. */
function scopeIdMatchesScope(v: { scope: KeyAssignmentScope; scopeId: string }, ctx: z.RefinementCtx): void {
  const r = (v.scope === 'robot' ? DeviceIdSchema : SiteName).safeParse(v.scopeId);
  if (!r.success) ctx.addIssue({ code: 'custom', path: ['scopeId'], message: `for scope ${v.scope}: ${r.error.issues[0]?.message ?? 'invalid'}` });
}

export const fleetChannels = {
  'fleet:list': channel(
    z
      .object({
        query: z.string().max(64).regex(NoControl, 'must not contain control characters').default(''),
        status: RobotStatusSchema.optional(),
        site: FleetName.optional(),
        model: FleetName.optional(),
        renewal: z.enum(RENEWAL_FILTERS).optional(),
        sort: z.enum(ROBOT_SORT_FIELDS).default('deviceId'),
        dir: z.enum(['asc', 'desc']).default('asc'),
        offset: z.number().int().nonnegative().max(100_000_000),
        limit: z.number().int().positive().max(500),
      })
      .strict(),
    z.object({ total: z.number().int().nonnegative(), robots: z.array(RobotSummary) }),
  ),
  'fleet:get': channel(z.object({ deviceId: DeviceIdSchema }).strict(), RobotDetail),
  'fleet:create': channel(
    z.object({ deviceId: DeviceIdSchema, ...RobotFields, status: RobotStatusSchema.default('manufactured') }).strict(),
    RobotSummary,
  ),
  'fleet:update': channel(
    z
      .object({
        deviceId: DeviceIdSchema,
        name: RobotName.optional(),
        model: FleetName.optional(),
        site: FleetName.optional(),
        firmware: Firmware.optional(),
        tags: Tags.optional(),
      })
      .strict(),
    RobotSummary,
  ),
  /**
   * To `revoked`: one operation that revokes every valid certificate of the robot (RFC 5280 `certificateReason`,
   * default privilegeWithdrawn), publishes a CRL listing them, and sets the status; all or nothing.
   */
  'fleet:setStatus': channel(
    z
      .object({ deviceId: DeviceIdSchema, status: RobotStatusSchema, reason: Reason, certificateReason: z.enum(CERT_REVOCATION_REASONS).optional() })
      .strict()
      .refine((v) => v.certificateReason === undefined || v.status === 'revoked', { path: ['certificateReason'], message: 'only when the robot is revoked' }),
    RobotStatusChange,
  ),
  /** What fleet:setStatus to `revoked` would revoke with the robot (what the officer confirms). */
  'fleet:revocationPlan': channel(z.object({ deviceId: DeviceIdSchema }).strict(), RevocationPlan),
  'fleet:sites': channel(Empty, z.object({ sites: CountBy })),
  'fleet:models': channel(Empty, z.object({ models: CountBy })),
  /**
   * `check: true` validates the whole file as the import would (rows, duplicates, robots already registered) and
   * imports nothing: the window confirms the count and sites it answers before the real import (issue 12).
   */
  'fleet:importCsv': channel(
    z.object({ csv: z.string().max(MAX_FLEET_CSV_CHARS), check: z.boolean().optional() }).strict(),
    z.object({ imported: z.number().int().nonnegative(), checked: z.object({ robots: z.number().int().nonnegative(), sites: CountBy }).optional() }),
  ),
  'fleet:exportCsv': channel(Empty, z.object({ fileName: z.string(), content: z.string(), robots: z.number().int().nonnegative() })),
  'fleet:dashboard': channel(Empty, FleetDashboard),
  'fleet:keyAssignments': channel(z.object({ deviceId: DeviceIdSchema }).strict(), RobotKeyAssignments),
  'fleet:siteKeyAssignments': channel(z.object({ site: FleetName }).strict(), SiteKeyAssignments),
  'fleet:assignKey': channel(z.object({ ...ScopeFields, keyId: AssignedKeyId }).strict().superRefine(scopeIdMatchesScope), ScopeAssignments),
  'fleet:clearKeyAssignment': channel(z.object(ScopeFields).strict().superRefine(scopeIdMatchesScope), ScopeAssignments),
  'fleet:keyUsage': channel(
    z.object({ keyId: AssignedKeyId, version: z.number().int().positive().max(1_000_000).optional(), offset: z.number().int().nonnegative().max(10_000_000).default(0) }).strict(),
    KeyUsage,
  ),
} as const;

export const fleetEvents = {
  'fleet:changed': z.object({ deviceId: DeviceIdSchema.nullable() }),
} as const;
