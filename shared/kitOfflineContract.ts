// The offline console's channels (issue 15's "the console runs offline on the kit", docs/incident-kit.md): what the
// window calls when the browser host runs on an incident kit (`serve --kit DIR`) instead of a store. They are a
// contract of their own, not spread into contract.ts: in kit mode only these are served (every channel of contract.ts
// is refused with `offline_kit`), and a console on a store serves none of them (`unknown_channel`).
// Refusals are ConsoleErrors whose details.kitError names the kit check (KIT_ERROR_KINDS); the ones a responder meets:
// an expired order, an order with no uses left, a wrong passphrase, a tampered kit (KIT_OFFLINE_REFUSALS).
import { z } from 'zod';
import { channel } from './channel.ts';
import { ROBOT_STATUSES } from './domain.ts';
import type { ErrorCode } from './errors.ts';
import { OrderScopeSchema } from './emergencyContract.ts';

/** Why a kit is refused: ConsoleError.details.kitError (electron/services/incidentKit/kitFormat.ts raises them). */
export const KIT_ERROR_KINDS = [
  'malformed', 'manifest_tampered', 'foreign_kit', 'payload_tampered', 'audit_tampered', 'wrong_responder', 'unknown_kit', 'already_imported',
  'order_expired', 'order_exhausted', 'unknown_order',
] as const;
export type KitErrorKind = (typeof KIT_ERROR_KINDS)[number];

/** The typed refusals of the offline console: error code and details.kitError (null: the code alone says it). */
export const KIT_OFFLINE_REFUSALS = {
  expiredOrder: { code: 'illegal_transition', kitError: 'order_expired' },
  noUsesLeft: { code: 'usage_limit_reached', kitError: 'order_exhausted' },
  wrongPassphrase: { code: 'wrong_passphrase', kitError: null },
  tamperedManifest: { code: 'integrity_failure', kitError: 'manifest_tampered' },
  tamperedPayload: { code: 'integrity_failure', kitError: 'payload_tampered' },
  tamperedAudit: { code: 'integrity_failure', kitError: 'audit_tampered' },
  notSignedIn: { code: 'locked', kitError: null },
  tooManyAttempts: { code: 'too_many_attempts', kitError: null },
  otherChannel: { code: 'offline_kit', kitError: null },
} as const satisfies Record<string, { code: ErrorCode; kitError: KitErrorKind | null }>;

const Operator = z.string().trim().min(1).max(64).regex(/^[\p{L}\p{N}._@ -]+$/u, 'letters, digits, space, . _ @ - only');
const Reason = z.string().trim().min(1, 'a reason is required').max(500).regex(/^[^\u0000-\u0008\u000b-\u001f\u007f]*$/, 'must not contain control characters');
const Empty = z.object({}).strict();
/** An order's name or id as the kit holds it. */
const OrderName = z.string().trim().min(1).max(128);

/** A fleet CA a kit's distrust order names, as it was at export. */
export const KitDistrustedCa = z.object({ caId: z.string(), keyId: z.string(), subject: z.string(), state: z.string() });
export type KitDistrustedCa = z.infer<typeof KitDistrustedCa>;

export const KitOrderView = z.object({
  name: z.string(),
  orderId: z.string(),
  sequence: z.number().int(),
  scope: OrderScopeSchema,
  expiresAt: z.string(),
  maxUses: z.number().int(),
  used: z.number().int().nonnegative(),
  remaining: z.number().int().nonnegative(),
  expired: z.boolean(),
  /** What robots do when they take it (lockdownOrder.ts actions). */
  actions: z.array(z.string()),
  /**
   * A distrust order (action distrust_ca): the fleet CAs robots stop trusting, as they were at export (the console's
   * CA id, the key id robots know it by, its subject and state then). Absent for other orders and kits exported before.
   */
  distrustCas: z.array(KitDistrustedCa).optional(),
});
export type KitOrderView = z.infer<typeof KitOrderView>;

const ErrorShape = z.object({ code: z.string(), message: z.string(), kitError: z.string().nullable() });

/** Why the console locks an opened kit by itself: the idle time passed, the page hidden that long, the OS suspending or its screen locking. */
export const KIT_LOCK_REASONS = ['idle', 'hidden', 'suspend', 'screen_lock'] as const;

/** What the sign-in page shows before the passphrase: the manifest (what a lost stick reveals anyway). */
export const KitModeStatus = z.object({
  kitMode: z.literal(true),
  offline: z.literal(true),
  providers: z.literal('none'),
  signedIn: z.boolean(),
  /** The kit's signed manifest, or null when it cannot be read or its signature fails (problem says why). */
  manifest: z
    .object({
      kitId: z.string(),
      responder: z.string(),
      exportedAt: z.string(),
      exportedBy: z.string(),
      expiresAt: z.string(),
      robots: z.number().int().nonnegative(),
      orders: z.array(z.object({ name: z.string(), orderId: z.string(), sequence: z.number().int(), expiresAt: z.string(), maxUses: z.number().int() })),
    })
    .nullable(),
  problem: ErrorShape.nullable(),
  /** Milliseconds until the kit accepts another passphrase (wrong ones are throttled per kit); 0: now. */
  retryAfterMs: z.number().int().nonnegative(),
  /** Why the console locked the kit since the last sign-in (null: it did not, or the responder signed out). */
  lockedBy: z.enum(KIT_LOCK_REASONS).nullable(),
});
export type KitModeStatus = z.infer<typeof KitModeStatus>;

export const KitOfflineInfo = z.object({
  offline: z.literal(true),
  providers: z.literal('none'),
  kitId: z.string(),
  responder: z.string(),
  exportedAt: z.string(),
  exportedBy: z.string(),
  robots: z.number().int().nonnegative(),
  certificates: z.number().int().nonnegative(),
  crlNumber: z.number().int().nullable(),
  auditRecords: z.number().int().nonnegative(),
  orders: z.array(KitOrderView),
});
export type KitOfflineInfo = z.infer<typeof KitOfflineInfo>;

export const KitRobot = z.object({
  deviceId: z.string(),
  name: z.string(),
  site: z.string(),
  model: z.string(),
  firmware: z.string(),
  tags: z.array(z.string()),
  status: z.enum(ROBOT_STATUSES),
  statusReason: z.string().nullable(),
  updatedAt: z.string(),
});
export type KitRobot = z.infer<typeof KitRobot>;

export const KitCertificates = z.object({
  certificates: z.array(z.object({ serial: z.string(), deviceId: z.string(), subject: z.string(), notBefore: z.string(), notAfter: z.string(), status: z.enum(['active', 'revoked']) })),
  /** The CRL published at export: its number and the serials it lists (null when the fleet had no CA). */
  crl: z.object({ crlNumber: z.number().int(), serials: z.array(z.string()) }).nullable(),
});
export type KitCertificates = z.infer<typeof KitCertificates>;

export const KitAuditRecordView = z.object({
  seq: z.number().int().positive(),
  ts: z.string(),
  actor: z.string(),
  action: z.string(),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  outcome: z.enum(['success', 'failure']),
  details: z.record(z.string(), z.unknown()),
  hash: z.string(),
});

export const KitAuditView = z.object({
  /** The chain as read from the kit folder now, checked from its genesis to its signed head. */
  verified: z.boolean(),
  problem: ErrorShape.nullable(),
  head: z.object({ seq: z.number().int().nonnegative(), hash: z.string() }).nullable(),
  records: z.array(KitAuditRecordView),
});
export type KitAuditView = z.infer<typeof KitAuditView>;

export const KitUseOrderInput = z
  .object({
    order: OrderName,
    reason: Reason,
    /** Where the signed order file goes (an absolute path, e.g. on the USB stick); default: `orders/` in the kit folder. */
    out: z.string().min(1).max(4096).regex(/^\//, 'must be an absolute path').optional(),
  })
  .strict();

export const KitUseOrderResult = z.object({
  order: KitOrderView,
  quarantined: z.array(z.string()),
  skipped: z.array(z.object({ deviceId: z.string(), status: z.enum(ROBOT_STATUSES) })),
  fileName: z.string(),
  /** The path the signed order file was written to. */
  writtenTo: z.string(),
  /** The signed order file itself (base64), for the window to offer as a download (the browser host is not the laptop's disk). */
  content: z.string(),
});
export type KitUseOrderResult = z.infer<typeof KitUseOrderResult>;

export const kitOfflineChannels = {
  /** Before and after sign-in: kit mode, the manifest, whether the responder is signed in. */
  'kitOffline:status': channel(Empty, KitModeStatus),
  /** Opens the kit with the responder's own passphrase (checks the manifest, sealed data and chain; audited kit.open). */
  'kitOffline:signIn': channel(z.object({ operator: Operator, passphrase: z.string().min(1).max(1024) }).strict(), KitOfflineInfo),
  /** Forgets the opened kit (the next call needs the passphrase again). */
  'kitOffline:signOut': channel(Empty, z.object({ signedIn: z.literal(false) })),
  'kitOffline:info': channel(Empty, KitOfflineInfo),
  /** The registry copy with the offline quarantines applied. */
  'kitOffline:robots': channel(Empty, z.object({ robots: z.array(KitRobot) })),
  'kitOffline:certificates': channel(Empty, KitCertificates),
  /** Uses a pre-authorised order: expiry and uses checked, robots quarantined in the kit, the order file written. */
  'kitOffline:useOrder': channel(KitUseOrderInput, KitUseOrderResult),
  /** The kit's own audit chain, verified again from the folder. */
  'kitOffline:audit': channel(Empty, KitAuditView),
  /** The page was hidden or shown again: hidden longer than the idle time locks the kit (not activity itself). */
  'kitOffline:visibility': channel(z.object({ hidden: z.boolean() }).strict(), z.object({ hidden: z.boolean() })),
};

export type KitOfflineContract = typeof kitOfflineChannels;
export type KitOfflineChannel = keyof KitOfflineContract;
export type KitOfflineInput<C extends KitOfflineChannel> = z.input<KitOfflineContract[C]['input']>;
export type KitOfflineOutput<C extends KitOfflineChannel> = z.output<KitOfflineContract[C]['output']>;
export const KIT_OFFLINE_CHANNELS = Object.keys(kitOfflineChannels) as KitOfflineChannel[];

export function isKitOfflineChannel(name: unknown): name is KitOfflineChannel {
  return typeof name === 'string' && Object.hasOwn(kitOfflineChannels, name);
}
