// The rotation:batch* channels of the IPC contract (spread into `contract` in contract.ts): batch rotation jobs
// (docs/rotation.md "Batch jobs"): start one over a list of keys, a key type or a site; cancel it; list and read jobs
// with their per-key results. Progress arrives as rotation:batchProgress events. Nothing here carries key material.
import { z } from 'zod';
import { channel } from './channel.ts';
import { FLEET_NAME_PATTERN, KEY_TYPES } from './domain.ts';
import { KeyIdSchema, uuidOf } from './ids.ts';

const KeyId = KeyIdSchema;
const BatchId = uuidOf('batch job id');
const IsoTime = z.string().datetime({ offset: true });
const count = z.number().int().nonnegative();

/** Exactly one of: a list of keys, every active key of a type, every key assigned to a site (or to its robots). */
export const BatchSelectionSchema = z.union([
  z.object({ keyIds: z.array(KeyId).min(1).max(100_000) }).strict(),
  z.object({ type: z.enum(KEY_TYPES) }).strict(),
  z.object({ site: z.string().regex(FLEET_NAME_PATTERN, 'must be a site name (1-64 letters, digits, space . _ / -)') }).strict(),
]);

export const BATCH_ITEM_STATES = ['pending', 'rotating', 'done', 'failed', 'superseded', 'cancelled'] as const;

export const BatchProgressSchema = z.object({
  batchId: BatchId,
  state: z.enum(['running', 'done', 'cancelled']),
  total: count,
  done: count,
  failed: count,
  superseded: count,
  cancelled: count,
  /** Not finished yet (waiting, rotating or waiting for a retry). */
  pending: count,
});

export const BatchItemResultSchema = z.object({
  seq: z.number().int().positive(),
  keyId: KeyId,
  fromVersion: z.number().int().positive(),
  state: z.enum(BATCH_ITEM_STATES),
  attempts: count,
  toVersion: z.number().int().positive().nullable(),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  /** Finished by the check after a restart: its rotation had committed before the console stopped. */
  recovered: z.boolean(),
});

export const BatchViewSchema = BatchProgressSchema.extend({
  selection: z.object({ kind: z.enum(['keys', 'type', 'site']), value: z.string().nullable() }),
  concurrency: z.number().int().positive(),
  maxAttempts: z.number().int().positive(),
  createdAt: IsoTime,
  createdBy: z.string(),
  finishedAt: IsoTime.nullable(),
  cancelledBy: z.string().nullable(),
  items: z.array(BatchItemResultSchema).optional(),
});

/** A page of a job's items (rotation:batchItems); electron/services/rotation/batchJobs.ts makes and reads cursors. */
export const BATCH_ITEMS_PAGE_MAX = 500;

export const BatchItemsPageSchema = z.object({
  batchId: BatchId,
  state: z.enum(BATCH_ITEM_STATES).nullable(),
  /** Items of the job in that state now (every item without a state). */
  matching: count,
  items: z.array(BatchItemResultSchema),
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: z.string().nullable(),
});

export const rotationBatchChannels = {
  /** Stores the job and starts it; returns at once (state running). */
  'rotation:batchStart': channel(
    z
      .object({
        selection: BatchSelectionSchema,
        concurrency: z.number().int().min(1).max(64).optional(),
        maxAttempts: z.number().int().min(1).max(10).optional(),
      })
      .strict(),
    BatchViewSchema,
  ),
  /** Pending keys are cancelled; rotations already asked for finish. Resolves once the job has stopped. */
  'rotation:batchCancel': channel(z.object({ batchId: BatchId }).strict(), BatchViewSchema),
  'rotation:batchList': channel(z.object({ limit: z.number().int().min(1).max(1000).optional() }).strict(), z.object({ jobs: z.array(BatchViewSchema) })),
  /** `items: true` adds every item of the job (the CLI's batch start and resume); the screen and `batch status ID` page them with rotation:batchItems. */
  'rotation:batchGet': channel(z.object({ batchId: BatchId, items: z.boolean().optional() }).strict(), BatchViewSchema),
  /**
   * A job's items in order, a page at a time (keyset on the item's seq): `limit` 1 to 500 (default 100), `cursor` the
   * previous page's nextCursor (made for the same job and filter), `state` only the items in that state (failed ...).
   */
  'rotation:batchItems': channel(
    z
      .object({
        batchId: BatchId,
        cursor: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, 'must be a page cursor (nextCursor of the previous page)').optional(),
        limit: z.number().int().min(1).max(BATCH_ITEMS_PAGE_MAX).optional(),
        state: z.enum(BATCH_ITEM_STATES).optional(),
      })
      .strict(),
    BatchItemsPageSchema,
  ),
} as const;

export const rotationBatchEvents = {
  'rotation:batchProgress': BatchProgressSchema,
} as const;
