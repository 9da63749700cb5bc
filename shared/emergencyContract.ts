// The emergency:* channels of the IPC contract (spread into `contract` in contract.ts): lockdown orders signed with
// the fleet's emergency key (docs/lockdown-orders.md). The order file crosses IPC as base64 text: it carries no
// secret (a signed instruction), and it is what the officer saves to removable media.
import { z } from 'zod';
import { channel } from './channel.ts';
import { CERT_REVOCATION_REASONS, DEVICE_ID_PATTERN, FLEET_NAME_PATTERN, ROBOT_TAG_PATTERN } from './domain.ts';
import { KeyIdSchema } from './ids.ts';

export const LOCKDOWN_ACTION_NAMES = ['stop_operating', 'safe_mode', 'refuse_revoked_peers', 'wipe_keys', 'distrust_ca'] as const;
/**
 * The fleet CAs (console CA ids, as ca:history lists them) a lockdown with the distrust_ca action names, and only
 * then: robots stop trusting them for good (docs/lockdown-orders.md, "Version 2"). At most 16.
 */
export const DistrustCaIdsSchema = z.array(z.string().uuid('must be a fleet CA id (a UUID, as ca:history lists it)')).min(1).max(16);

const FleetName = (what: string) => z.string().regex(FLEET_NAME_PATTERN, `must be a ${what} (1-64 letters, digits, space . _ / -)`);

export const OrderScopeSchema = z.union([
  z.object({ fleet: z.literal(true) }).strict(),
  z.object({ deviceIds: z.array(z.string().regex(DEVICE_ID_PATTERN, 'must be a device id')).min(1).max(100_000) }).strict(),
  z.object({ site: FleetName('site') }).strict(),
  z.object({ model: FleetName('model') }).strict(),
  z.object({ firmware: FleetName('firmware version') }).strict(),
  z.object({ tag: z.string().regex(ROBOT_TAG_PATTERN, 'must be a tag (no spaces, at most 32)') }).strict(),
]);

const Text = z.string().trim().min(1).max(500);
const SERIAL = z.string().regex(/^(?:[0-9A-Fa-f]{2}:?){1,20}$/, 'must be a hexadecimal certificate serial');

/**
 * What an order issued on its own may name: an order's scope, or the robots holding a key (version) or a certificate
 * serial, which the console resolves to the robots holding it when it signs (the order names them: `deviceIds`).
 */
export const OrderInputScopeSchema = z.union([
  ...OrderScopeSchema.options,
  z.object({ keyId: KeyIdSchema, version: z.number().int().positive().optional() }).strict(),
  z.object({ serial: SERIAL }).strict(),
]);
export type OrderInputScope = z.infer<typeof OrderInputScopeSchema>;

export const LockdownOrderView = z.object({
  orderId: z.string(),
  kind: z.enum(['lockdown', 'lift']),
  sequence: z.number().int().positive(),
  issuedAt: z.string(),
  expiresAt: z.string(),
  scope: OrderScopeSchema,
  actions: z.array(z.enum(LOCKDOWN_ACTION_NAMES)),
  keyId: KeyIdSchema,
  keyVersion: z.number().int().positive().nullable(),
  reason: z.string(),
  issuedBy: z.string(),
  state: z.enum(['signing', 'issued', 'failed']),
});
export type LockdownOrderView = z.infer<typeof LockdownOrderView>;

// ---- Emergency response (issue 15, docs/emergency-response.md): scopes, blast-radius preview, playbook runs ----

const DeviceId = z.string().regex(DEVICE_ID_PATTERN, 'must be a device id');
/** What a playbook acts on. Only `robot` and `robots` are robot-level; every other scope is wide (two-person approval), and so is any scope with a fleet-wide action (isWideRun). */
export const EmergencyScopeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('robot'), deviceId: DeviceId }).strict(),
  z.object({ kind: z.literal('robots'), deviceIds: z.array(DeviceId).min(1).max(100_000) }).strict(),
  z.object({ kind: z.literal('site'), site: FleetName('site') }).strict(),
  z.object({ kind: z.literal('model'), model: FleetName('model') }).strict(),
  z.object({ kind: z.literal('firmware'), firmware: FleetName('firmware version') }).strict(),
  z.object({ kind: z.literal('tag'), tag: z.string().regex(ROBOT_TAG_PATTERN, 'must be a tag (no spaces, at most 32)') }).strict(),
  z.object({ kind: z.literal('key'), keyId: KeyIdSchema, version: z.number().int().positive().optional() }).strict(),
  z.object({ kind: z.literal('serial'), serial: SERIAL }).strict(),
  z.object({ kind: z.literal('fleet') }).strict(),
]);
export type EmergencyScope = z.infer<typeof EmergencyScopeSchema>;
export const ROBOT_LEVEL_SCOPES: ReadonlySet<EmergencyScope['kind']> = new Set(['robot', 'robots']);

/** A scope in one short line (audit records, alerts, the Emergency screen). */
export function describeScope(scope: EmergencyScope): string {
  switch (scope.kind) {
    case 'robot': return `robot ${scope.deviceId}`;
    case 'robots': return `${scope.deviceIds.length} robots`;
    case 'site': return `site ${scope.site}`;
    case 'model': return `model ${scope.model}`;
    case 'firmware': return `firmware ${scope.firmware}`;
    case 'tag': return `tag ${scope.tag}`;
    case 'key': return `holders of key ${scope.keyId}${scope.version === undefined ? '' : `:${scope.version}`}`;
    case 'serial': return `certificate ${scope.serial}`;
    case 'fleet': return 'the whole fleet';
  }
}

/** The playbook's actions, always run in this order whatever order they are given in. */
export const EMERGENCY_ACTIONS = ['compromise_keys', 'revoke_certificates', 'revoke_ca', 'quarantine', 'rotate_shared', 'lockdown'] as const;
export type EmergencyAction = (typeof EMERGENCY_ACTIONS)[number];
/** Actions that reach beyond the scope's robots whatever the scope (revoke_ca: every certificate of the fleet CA). */
export const FLEET_WIDE_ACTIONS: ReadonlySet<EmergencyAction> = new Set(['revoke_ca']);

/** Whether a playbook needs two-person approval (or break-glass): a scope beyond a list of robots, or a fleet-wide action. */
export function isWideRun(scope: Pick<EmergencyScope, 'kind'>, actions: readonly EmergencyAction[]): boolean {
  return !ROBOT_LEVEL_SCOPES.has(scope.kind) || actions.some((a) => FLEET_WIDE_ACTIONS.has(a));
}

/** The playbook's scope an order's input scope names (the same robots): what decides whether it is wide. */
export function orderEmergencyScope(scope: OrderInputScope): EmergencyScope {
  if ('fleet' in scope) return { kind: 'fleet' };
  if ('deviceIds' in scope) return { kind: 'robots', deviceIds: scope.deviceIds };
  if ('keyId' in scope) return { kind: 'key', keyId: scope.keyId, ...(scope.version === undefined ? {} : { version: scope.version }) };
  if ('serial' in scope) return { kind: 'serial', serial: scope.serial };
  if ('site' in scope) return { kind: 'site', site: scope.site };
  if ('model' in scope) return { kind: 'model', model: scope.model };
  if ('firmware' in scope) return { kind: 'firmware', firmware: scope.firmware };
  return { kind: 'tag', tag: scope.tag };
}

/**
 * Whether an order issued on its own needs two-person approval (or break-glass): a lockdown whose scope would make a
 * playbook wide, or one that distrusts a fleet CA (whatever its scope: the distrust is final on every robot that takes
 * it). A lift restores, and never does.
 */
export const isWideOrder = (o: { kind: 'lockdown' | 'lift'; scope: OrderInputScope; actions?: readonly string[] }): boolean =>
  o.kind === 'lockdown' && ((o.actions ?? []).includes('distrust_ca') || isWideRun(orderEmergencyScope(o.scope), ['lockdown']));

/**
 * Whether a playbook needs two-person approval (or break-glass): isWideRun, or a lockdown order that distrusts a fleet
 * CA, whatever the scope, as for an order issued on its own (isWideOrder): the playbook is no way around that rule.
 */
export const isWidePlaybook = (i: { scope: Pick<EmergencyScope, 'kind'>; actions: readonly EmergencyAction[]; lockdown?: { actions: readonly string[] } }): boolean =>
  isWideRun(i.scope, i.actions) || (i.actions.includes('lockdown') && (i.lockdown?.actions ?? []).includes('distrust_ca'));

const LockdownSettings = z
  .object({
    actions: z.array(z.enum(LOCKDOWN_ACTION_NAMES)).min(1).max(LOCKDOWN_ACTION_NAMES.length),
    message: Text,
    validForSeconds: z.number().int().min(60).max(90 * 24 * 3600),
    mode: z.enum(['strict', 'best_effort']).optional(),
    wipeKeys: z.array(KeyIdSchema).max(1000).optional(),
    distrustCaIds: DistrustCaIdsSchema.optional(),
    /** The emergency key to sign with (default: the only active one). */
    keyId: KeyIdSchema.optional(),
  })
  .strict();

const Count = z.number().int().nonnegative();

export const EmergencyPreview = z.object({
  scope: EmergencyScopeSchema,
  /** one_officer: robot-level; two_person: wide (break-glass until two-person approval exists). */
  approval: z.enum(['one_officer', 'two_person']),
  robots: z.object({
    total: Count,
    byStatus: z.array(z.object({ status: z.string(), count: Count })),
    sample: z.array(z.object({ deviceId: z.string(), name: z.string(), site: z.string(), model: z.string(), firmware: z.string(), status: z.string() })),
  }),
  certificates: z.object({ total: Count, sample: z.array(z.object({ serial: z.string(), deviceId: z.string(), notAfter: z.string() })) }),
  keys: z.array(
    z.object({
      keyId: z.string(),
      label: z.string().nullable(),
      type: z.string().nullable(),
      state: z.string().nullable(),
      versions: z.array(z.object({ version: z.number().int(), robotsInScope: Count })),
      robotsInScope: Count,
      /** Robots outside the scope holding any version of the key. */
      robotsOutside: Count,
      /** compromise: held only inside the scope (or the key the scope names); rotate: shared with robots outside; none: nothing to do. */
      plan: z.enum(['compromise', 'rotate', 'none']),
      providers: z.array(z.string()),
    }),
  ),
  reach: z.object({
    /** Robots in scope connected at a provisioning station now. */
    now: z.array(z.string()),
    later: Count,
    how: z.array(z.string()),
  }),
  providers: z.array(z.object({ providerId: z.string(), purposes: z.array(z.string()), configured: z.boolean(), reachable: z.boolean() })),
  outside: z.object({ sharedKeys: Count, holdingsOutside: Count, summary: z.string() }),
  /**
   * What revoke_ca would revoke, whatever the scope: the fleet CA (the current one, or the caId asked for), its
   * certificates not revoked yet, and the robots holding a valid one (flagged for re-provisioning). null: no CA.
   */
  ca: z
    .object({ caId: z.string(), subject: z.string(), providerId: z.string(), state: z.enum(['current', 'retired', 'compromised']), certificates: Count, robots: Count })
    .nullable(),
});
export type EmergencyPreview = z.infer<typeof EmergencyPreview>;

export const EmergencyRunView = z.object({
  runId: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  actor: z.string(),
  scope: EmergencyScopeSchema,
  actions: z.array(z.enum(EMERGENCY_ACTIONS)),
  reason: z.string(),
  robots: Count,
  state: z.enum(['running', 'done', 'failed']),
  breakGlassReason: z.string().nullable(),
  review: z.enum(['not_needed', 'needs_review', 'reviewed']),
  reviewedBy: z.string().nullable(),
  reviewedAt: z.string().nullable(),
  reviewNote: z.string().nullable(),
  /** playbook: run from emergency:execute; order: a lockdown order issued on its own with break-glass (emergency:lockdownOrder), recorded as a run of the lockdown action alone. */
  origin: z.enum(['playbook', 'order']),
  steps: z.array(
    z.object({
      position: z.number().int(),
      action: z.enum(EMERGENCY_ACTIONS),
      state: z.enum(['pending', 'running', 'done', 'failed', 'skipped']),
      attempts: Count,
      detail: z.record(z.string(), z.unknown()),
      errorCode: z.string().nullable(),
      errorMessage: z.string().nullable(),
      updatedAt: z.string(),
    }),
  ),
});
export type EmergencyRunView = z.infer<typeof EmergencyRunView>;

export const ExecuteInput = z
  .object({
    scope: EmergencyScopeSchema,
    actions: z.array(z.enum(EMERGENCY_ACTIONS)).min(1).max(EMERGENCY_ACTIONS.length),
    reason: Text,
    /** The CA revoke_ca revokes (default: the current fleet CA). */
    caId: z.string().uuid().optional(),
    /** RFC 5280 reason for revoke_certificates (default keyCompromise). */
    certificateReason: z.enum(CERT_REVOCATION_REASONS).optional(),
    /** What the lockdown order tells robots (default: stop operating, for 7 days, the reason as message). */
    lockdown: LockdownSettings.optional(),
    /** Writes nothing but one audit record. */
    dryRun: z.boolean().optional(),
    /** One officer on a wide scope: takes effect at once, raises a CRITICAL alert, needs a second officer's review. */
    breakGlass: z.object({ reason: Text }).strict().optional(),
  })
  .strict();
export type ExecuteInput = z.infer<typeof ExecuteInput>;

const ExecuteOutput = z.object({
  dryRun: z.boolean(),
  preview: EmergencyPreview,
  run: EmergencyRunView.nullable(),
  /** The lockdown order file when the run issued one (base64, like emergency:lockdownOrder). */
  lockdownFile: z.object({ fileName: z.string(), content: z.string() }).nullable(),
});

/** A lockdown (or lift) order issued on its own (emergency:lockdownOrder). */
export const LockdownOrderInput = z
  .object({
    kind: z.enum(['lockdown', 'lift']),
    scope: OrderInputScopeSchema,
    actions: z.array(z.enum(LOCKDOWN_ACTION_NAMES)).max(LOCKDOWN_ACTION_NAMES.length),
    wipeKeys: z.array(KeyIdSchema).max(1000).optional(),
    distrustCaIds: DistrustCaIdsSchema.optional(),
    mode: z.enum(['strict', 'best_effort']).optional(),
    reason: Text,
    message: Text,
    validForSeconds: z.number().int().min(60).max(90 * 24 * 3600),
    keyId: KeyIdSchema.optional(),
    /**
     * One officer on a wide lockdown (isWideOrder): signed at once, recorded as a break-glass emergency run with the
     * lockdown action alone (a CRITICAL alert, a second officer's review with emergency:review), as the playbook's.
     */
    breakGlass: z.object({ reason: Text }).strict().optional(),
    /**
     * A key (version) or certificate serial scope: how many robots the officer was shown. The console resolves the
     * scope again when it signs; another count is refused (`illegal_transition`, field `scope`, details.robots the new
     * count) and nothing is signed. Refused with any other scope (they are not resolved to robots).
     */
    expectedRobots: z.number().int().nonnegative().max(1_000_000).optional(),
  })
  .strict();
export type LockdownOrderInput = z.infer<typeof LockdownOrderInput>;

const RunId = z.string().uuid();

const StepCounts = z.object({ total: Count, done: Count, failed: Count, skipped: Count, pending: Count });

/**
 * Pushed when a run changes (emergency:runChanged): `started` (stored, its first action running), `step` (an action
 * started, saved progress, or finished; after the last one `state` is the run's outcome), `retried` (a retry began:
 * the run is `running` again until it ends; `failed` if it stopped on an unexpected error), `reviewed`. Sent after
 * the change is committed; the window refreshes the run from it instead of polling. `progress`: a batch of a
 * fleet-wide action (quarantine, revoke_certificates: 1,000 items a batch) was done, `step.items` counting the items
 * so far; it is not stored (revoke_certificates' batches commit together at the action's end), so the window shows
 * the counts from the event instead of reading the run.
 */
export const EmergencyRunChanged = z.object({
  runId: RunId,
  change: z.enum(['started', 'step', 'progress', 'retried', 'reviewed']),
  state: z.enum(['running', 'done', 'failed']),
  review: z.enum(['not_needed', 'needs_review', 'reviewed']),
  step: z
    .object({ position: z.number().int(), action: z.enum(EMERGENCY_ACTIONS), state: z.enum(['pending', 'running', 'done', 'failed', 'skipped']), attempts: Count, items: StepCounts })
    .nullable(),
});
export type EmergencyRunChanged = z.infer<typeof EmergencyRunChanged>;

export const emergencyEvents = {
  'emergency:runChanged': EmergencyRunChanged,
} as const;

export const emergencyChannels = {
  /** What a playbook on this scope would touch: robots, certificates, keys, reach, providers, what keeps working outside. */
  'emergency:preview': channel(
    z.object({ scope: EmergencyScopeSchema, sample: z.number().int().min(1).max(500).optional(), caId: z.string().uuid().optional() }).strict(),
    EmergencyPreview,
  ),
  /** Runs the playbook's actions in order, each one's progress persisted (or, with dryRun, only audits the preview). */
  'emergency:execute': channel(ExecuteInput, ExecuteOutput),
  /** The newest runs first; each step's detail is its items counted by state ({total, done, failed, skipped, pending}). */
  'emergency:runs': channel(
    z.object({ limit: z.number().int().min(1).max(1000).optional(), needsReview: z.boolean().optional() }).strict(),
    z.object({ runs: z.array(EmergencyRunView) }),
  ),
  /** One run with every step's full detail (each item's outcome, the CRL, the lockdown order file). */
  'emergency:run': channel(z.object({ runId: RunId }).strict(), EmergencyRunView),
  /** Runs again the actions of a run that failed (only what failed within each). */
  'emergency:retry': channel(z.object({ runId: RunId }).strict(), ExecuteOutput.omit({ preview: true, dryRun: true })),
  /** A second security officer (never the one who ran it) records the review of a break-glass run. */
  'emergency:review': channel(z.object({ runId: RunId, note: Text }).strict(), EmergencyRunView),

  /** Signs a lockdown (or lift) order with the active emergency key; returns the order file. */
  'emergency:lockdownOrder': channel(
    LockdownOrderInput,
    z.object({
      fileName: z.string(),
      /** The order file (docs/lockdown-orders.md), base64. */
      content: z.string(),
      order: LockdownOrderView,
      /** The break-glass emergency run that recorded the order (it needs a second officer's review); null without break-glass. */
      runId: z.string().uuid().nullable(),
    }),
  ),
  'emergency:lockdownList': channel(z.object({ limit: z.number().int().min(1).max(1000).optional() }).strict(), z.object({ orders: z.array(LockdownOrderView) })),
} as const;
