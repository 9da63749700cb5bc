// The kit:* channels (issue 15's offline incident response, docs/incident-kit.md), spread into `contract` in
// contract.ts. kit:export writes an incident kit for the signed-in responder (their passphrase seals it) into a folder
// (removable media) on the console's computer; kit:import reads a kit folder brought back and reconciles its offline
// actions. Folders, not contents, cross the channel (like backup:create): a kit is larger than the IPC payload limit.
import { z } from 'zod';
import { channel } from './channel.ts';
import { DistrustCaIdsSchema, LOCKDOWN_ACTION_NAMES, OrderScopeSchema } from './emergencyContract.ts';

const Name = z.string().trim().min(1).max(64).regex(/^[\p{L}\p{N} ._:/=,-]+$/u, 'must be 1-64 letters, digits, space . _ : / = , -');
const Text = z.string().trim().min(1).max(500);
/** An absolute folder path on the console's computer. */
const LocalPath = z.string().min(1).max(4096).regex(/^\//, 'must be an absolute path');

export const KitOrderInput = z
  .object({
    name: Name,
    scope: OrderScopeSchema,
    actions: z.array(z.enum(LOCKDOWN_ACTION_NAMES)).min(1).max(LOCKDOWN_ACTION_NAMES.length).optional(),
    /** With the distrust_ca action: the fleet CAs robots stop trusting (a compromised CA contained offline). */
    distrustCaIds: DistrustCaIdsSchema.optional(),
    /** How many times the responder may use it offline (1-100). */
    maxUses: z.number().int().min(1).max(100),
    /** How long the order stays valid (1 minute to 90 days). */
    validForSeconds: z.number().int().min(60).max(90 * 24 * 3600),
  })
  .strict();
export type KitOrderInput = z.infer<typeof KitOrderInput>;

export const KitExportInput = z
  .object({
    /** The new or empty folder the kit is written into. */
    dir: LocalPath,
    /** The signed-in operator's own passphrase: it seals the kit (checked against their key slot). */
    passphrase: z.string().min(1).max(1024),
    orders: z.array(KitOrderInput).min(1).max(20),
    reason: Text,
    /** What robots show their operators (default: the reason). */
    message: Text.optional(),
  })
  .strict();


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
  /**
   * Fleet CAs a used distrust order told robots to stop trusting (one entry per CA and successful use): the console's
   * CA id, its subject and state now (null when the console no longer knows it). Import does not revoke them: the
   * officer revokes (ca:revoke) and replaces (ca:replace) the CA online, with their approvals.
   */
  distrustedCas: z.array(z.object({
    kitSeq: z.number().int().nonnegative(), orderId: z.string(), name: z.string(), caId: z.string(), subject: z.string().nullable(), state: z.string().nullable(), message: z.string(),
  })),
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
      dir: z.string(),
    }),
  ),
  /** Verifies a kit brought back (manifest, sealed data, chain) and merges its offline actions, once. */
  'kit:import': channel(z.object({ dir: LocalPath }).strict(), KitImportReport),
};
