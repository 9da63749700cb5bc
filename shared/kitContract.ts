// The kit:* channels (issue 15's offline incident response, docs/incident-kit.md), spread into `contract` in
// contract.ts. kit:export makes an incident kit for the signed-in responder (their passphrase seals it) and returns its
// files for removable media; kit:import verifies a kit brought back and reconciles its offline actions. The sealed
// payload crosses as base64; it is encrypted, and the passphrase never comes back.
import { z } from 'zod';
import { channel } from './channel.ts';
import { LOCKDOWN_ACTION_NAMES, OrderScopeSchema } from './emergencyContract.ts';

const Name = z.string().trim().min(1).max(64).regex(/^[\p{L}\p{N} ._:/=,-]+$/u, 'must be 1-64 letters, digits, space . _ : / = , -');
const Text = z.string().trim().min(1).max(500);
/** The sealed payload as base64: 64 MiB of registry is far beyond a fleet's copy (a robot row is ~300 bytes). */
const MAX_PAYLOAD_B64 = 90_000_000;

export const KitOrderInput = z
  .object({
    name: Name,
    scope: OrderScopeSchema,
    actions: z.array(z.enum(LOCKDOWN_ACTION_NAMES)).min(1).max(LOCKDOWN_ACTION_NAMES.length).optional(),
    /** How many times the responder may use it offline (1-100). */
    maxUses: z.number().int().min(1).max(100),
    /** How long the order stays valid (1 minute to 90 days). */
    validForSeconds: z.number().int().min(60).max(90 * 24 * 3600),
  })
  .strict();
export type KitOrderInput = z.infer<typeof KitOrderInput>;

export const KitExportInput = z
  .object({
    /** The signed-in operator's own passphrase: it seals the kit (checked against their key slot). */
    passphrase: z.string().min(1).max(1024),
    orders: z.array(KitOrderInput).min(1).max(20),
    reason: Text,
    /** What robots show their operators (default: the reason). */
    message: Text.optional(),
  })
  .strict();

const KitFiles = z
  .object({
    manifest: z.string().min(1).max(1_000_000),
    /** kit.sealed, base64. */
    payload: z.string().min(1).max(MAX_PAYLOAD_B64),
    audit: z.string().max(50_000_000),
    head: z.string().min(1).max(10_000),
  })
  .strict();
export type KitFiles = z.infer<typeof KitFiles>;

const Finding = z.object({ kitSeq: z.number().int().nonnegative(), deviceId: z.string().nullable(), kind: z.string(), message: z.string() });
export type KitFinding = z.infer<typeof Finding>;

export const KitImportReport = z.object({
  kitId: z.string(),
  responder: z.string(),
  records: z.number().int().nonnegative(),
  ordersUsed: z.array(z.object({ orderId: z.string(), name: z.string(), uses: z.number().int(), maxUses: z.number().int() })),
  quarantined: z.array(z.string()),
  conflicts: z.array(Finding),
  gaps: z.array(Finding),
});
export type KitImportReport = z.infer<typeof KitImportReport>;

export const kitChannels = {
  /** Makes an incident kit: registry copy, CRL, pre-authorised lockdown orders, the responder's slot; audited. */
  'kit:export': channel(
    KitExportInput,
    z.object({
      kitId: z.string(),
      responder: z.string(),
      expiresAt: z.string(),
      robots: z.number().int().nonnegative(),
      orders: z.array(z.object({ name: z.string(), orderId: z.string(), sequence: z.number().int(), expiresAt: z.string(), maxUses: z.number().int() })),
      files: KitFiles,
    }),
  ),
  /** Verifies a kit brought back (manifest, sealed data, chain) and merges its offline actions, once. */
  'kit:import': channel(KitFiles, KitImportReport),
};
