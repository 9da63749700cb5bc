// The emergency:* channels of the IPC contract (spread into `contract` in contract.ts): lockdown orders signed with
// the fleet's emergency key (docs/lockdown-orders.md). The order file crosses IPC as base64 text: it carries no
// secret (a signed instruction), and it is what the officer saves to removable media.
import { z } from 'zod';
import { channel } from './channel.ts';
import { DEVICE_ID_PATTERN, FLEET_NAME_PATTERN, ROBOT_TAG_PATTERN } from './domain.ts';
import { KeyIdSchema } from './ids.ts';

export const LOCKDOWN_ACTION_NAMES = ['stop_operating', 'safe_mode', 'refuse_revoked_peers', 'wipe_keys'] as const;

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

export const emergencyChannels = {
  /** Signs a lockdown (or lift) order with the active emergency key; returns the order file. */
  'emergency:lockdownOrder': channel(
    z
      .object({
        kind: z.enum(['lockdown', 'lift']),
        scope: OrderScopeSchema,
        actions: z.array(z.enum(LOCKDOWN_ACTION_NAMES)).max(LOCKDOWN_ACTION_NAMES.length),
        wipeKeys: z.array(KeyIdSchema).max(1000).optional(),
        mode: z.enum(['strict', 'best_effort']).optional(),
        reason: Text,
        message: Text,
        validForSeconds: z.number().int().min(60).max(90 * 24 * 3600),
        keyId: KeyIdSchema.optional(),
      })
      .strict(),
    z.object({
      fileName: z.string(),
      /** The order file (docs/lockdown-orders.md), base64. */
      content: z.string(),
      order: LockdownOrderView,
    }),
  ),
  'emergency:lockdownList': channel(z.object({ limit: z.number().int().min(1).max(1000).optional() }).strict(), z.object({ orders: z.array(LockdownOrderView) })),
} as const;
