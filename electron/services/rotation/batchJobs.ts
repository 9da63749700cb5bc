// Batch rotation jobs (issue 13, docs/rotation.md "Batch jobs"): rotate a list of keys, every active key of a type, or
// every key assigned to a site (at the site or to one of its robots), at most `concurrency` at a time, retrying only
// errors the console marks retryable, cancellable, with progress events and one result per key.
//
// Crash safety (a SIGKILL at any point loses no version and never makes two for one key in one job):
// - the job and its items are stored before anything runs; each item names the version it rotates away from
//   (fromVersion, the key's current version when the job was made): the item makes at most fromVersion + 1;
// - before the rotation is asked of the key service the item is marked `rotating` (the intent, durably committed);
// - the rotation itself refuses unless the key is still at fromVersion (expectVersion), and its new version and the
//   item marked done commit in one transaction;
// - after a restart an item left `rotating` is done when the key is past fromVersion (that rotation committed), else
//   tried again with adoptProviderVersion: a provider that already made the version (the process died between the
//   provider's answer and the commit) has that version recorded instead of being rotated a second time.
import crypto from 'node:crypto';
import { KEY_TYPES, type KeyType } from '../../../shared/domain.ts';
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import { UUID_PATTERN } from '../../../shared/ids.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import { nodeTimers } from '../../providers/resilience/resilienceOptions.ts';
import type { KeysRepo } from '../../store/keysRepo.ts';
import type { BatchCounts, BatchItemRow, BatchItemState, BatchRow, BatchState, RotationBatchRepo } from '../../store/rotationBatchRepo.ts';
import type { AuditDetails, AuditLog } from '../audit/auditLog.ts';
import type { GroupCommit } from '../audit/groupCommit.ts';
import type { RotateOptions } from '../keys/keys.ts';
import type { Session } from '../session/session.ts';

export const BATCH_DEFAULT_CONCURRENCY = 4;
export const BATCH_MAX_CONCURRENCY = 64;
export const BATCH_DEFAULT_MAX_ATTEMPTS = 5;
export const BATCH_MAX_ATTEMPTS = 10;
export const BATCH_MAX_KEYS = 100_000;
export const BATCH_RETRY_BASE_MS = 1_000;
export const BATCH_RETRY_MAX_MS = 60_000;
/** A page of a job's items (rotation:batchItems): 100 unless asked, at most 500. */
export const BATCH_ITEMS_DEFAULT_LIMIT = 100;
export const BATCH_ITEMS_MAX_LIMIT = 500;
/** Key ids and batch job ids are both UUIDs (lower-case hex). */

export type BatchSelection = { keyIds: string[] } | { type: KeyType } | { site: string };

export interface StartBatchInput {
  selection: BatchSelection;
  /** Rotations at once (1 to 64, default 4). */
  concurrency?: number;
  /** Attempts per key for retryable errors (1 to 10, default 5). */
  maxAttempts?: number;
}

export interface BatchProgress {
  batchId: string;
  state: BatchState;
  total: number;
  done: number;
  failed: number;
  superseded: number;
  cancelled: number;
  pending: number;
}

export interface BatchItemResult {
  seq: number;
  keyId: string;
  fromVersion: number;
  state: BatchItemState;
  attempts: number;
  toVersion: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  recovered: boolean;
}

export interface BatchView extends BatchProgress {
  selection: { kind: BatchRow['selectionKind']; value: string | null };
  concurrency: number;
  maxAttempts: number;
  createdAt: string;
  createdBy: string;
  finishedAt: string | null;
  cancelledBy: string | null;
  items?: BatchItemResult[];
}

export interface BatchItemsQuery {
  batchId: string;
  /** From the previous page's nextCursor; none for the first page. */
  cursor?: string;
  /** Items per page (1 to 500, default 100). */
  limit?: number;
  /** Only the items in this state (for example failed); every item when absent. */
  state?: BatchItemState;
}

export interface BatchItemsPage {
  batchId: string;
  state: BatchItemState | null;
  /** Items of the job in that state now (every item without a state). */
  matching: number;
  /** In the job's order (seq). */
  items: BatchItemResult[];
  /** The cursor of the next page; null on the last one. */
  nextCursor: string | null;
}

export type BatchRotate = (keyId: string, options: RotateOptions) => Promise<{ currentVersion: number }>;

export interface BatchDeps {
  repo: RotationBatchRepo;
  keys: KeysRepo;
  /** The key service's rotate (audited as key.rotate). */
  rotate: BatchRotate;
  session: Session;
  audit: AuditLog;
  commits: GroupCommit;
  clock: Clock;
  logger: Logger;
  transaction<T>(fn: () => T): T;
  /** Waits before a retry (default: a timer); tests move their clock instead. */
  sleep?: (ms: number) => Promise<void>;
  retryBaseMs?: number;
  retryMaxMs?: number;
  onProgress?(p: BatchProgress): void;
}

export interface RotationBatches {
  /** Validates, stores the job and its items, and starts it; returns at once (progress arrives as events). */
  start(input: StartBatchInput): BatchView;
  /** Resolves when the job's run in this process ends (at once when none runs here). */
  wait(batchId: string): Promise<BatchView>;
  /** Pending items are cancelled; items already rotating finish. */
  cancel(batchId: string): Promise<BatchView>;
  get(batchId: string, withItems?: boolean): BatchView;
  /** One page of a job's items in order, optionally only those in one state (keyset paging by seq). */
  items(query: BatchItemsQuery): BatchItemsPage;
  list(limit?: number): BatchView[];
  /** Starts every stored job left running (a crash, a lock) that no run of this process carries; returns their ids. */
  resumeInterrupted(): string[];
  /** Runs in flight in this process. */
  active(): string[];
}

/** Whether trying again may succeed: what the error itself says (a provider's retryable flag), or a busy store. */
export function isRetryable(e: ConsoleError): boolean {
  if (e.code === 'store_busy') return true;
  return e.details?.retryable === true;
}

export function batchRetryDelayMs(attempt: number, baseMs = BATCH_RETRY_BASE_MS, maxMs = BATCH_RETRY_MAX_MS): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempt - 1), maxMs);
}

const invalid = (message: string, field: string) => new ConsoleError('invalid_input', message, { field });

function intIn(v: unknown, min: number, max: number, fallback: number, field: string): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw invalid(`${field} must be a whole number from ${min} to ${max}.`, field);
  return v;
}

const ITEM_STATES: readonly BatchItemState[] = ['pending', 'rotating', 'done', 'failed', 'superseded', 'cancelled'];
const CURSOR_TEXT = /^[A-Za-z0-9_-]{1,200}$/;
const CURSOR_BODY = /^([0-9a-f-]{36}):([a-z]+):([1-9][0-9]{0,8})$/;

/**
 * A page cursor names the job, the state filter and the last item's seq (base64url, opaque to callers), so a cursor
 * is refused with another job or another filter rather than silently paging something else.
 */
export function encodeBatchCursor(batchId: string, state: BatchItemState | null, seq: number): string {
  return Buffer.from(`${batchId}:${state ?? 'all'}:${seq}`, 'utf8').toString('base64url');
}

function decodeBatchCursor(cursor: unknown, batchId: string, state: BatchItemState | null): number {
  const bad = (why: string) => invalid(`cursor ${why}; start again from the first page.`, 'cursor');
  if (typeof cursor !== 'string' || !CURSOR_TEXT.test(cursor)) throw bad('is not a page cursor of this console');
  const m = CURSOR_BODY.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw bad('is not a page cursor of this console');
  if (m[1] !== batchId) throw bad('belongs to another batch job');
  if (m[2] !== (state ?? 'all')) throw bad('was made for another filter');
  return Number(m[3]);
}

interface Runner {
  cancelled: boolean;
  stopped: boolean;
  counts: BatchCounts;
  done: Promise<void>;
  /** Wakes workers waiting for a retry (cancel). */
  wake: Set<() => void>;
}

export function createRotationBatches(deps: BatchDeps): RotationBatches {
  const { repo, clock } = deps;
  const runners = new Map<string, Runner>();
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const retryBase = deps.retryBaseMs ?? BATCH_RETRY_BASE_MS;
  const retryMax = deps.retryMaxMs ?? BATCH_RETRY_MAX_MS;
  const sleep =
    deps.sleep ??
    ((ms: number) =>
      new Promise<void>((resolve) => {
        nodeTimers.setTimeout(resolve, ms);
      }));

  const auditBatch = (action: string, batchId: string | null, outcome: 'success' | 'failure', details: AuditDetails) =>
    deps.audit.append({ actor: deps.session.actor(), action, targetType: null, targetId: batchId, outcome, details });

  const progressOf = (b: BatchRow, c: BatchCounts): BatchProgress => ({
    batchId: b.id,
    state: b.state,
    total: b.total,
    done: c.done,
    failed: c.failed,
    superseded: c.superseded,
    cancelled: c.cancelled,
    pending: c.pending + c.rotating,
  });

  const itemView = (i: BatchItemRow): BatchItemResult => ({
    seq: i.seq,
    keyId: i.keyId,
    fromVersion: i.fromVersion,
    state: i.state,
    attempts: i.attempts,
    toVersion: i.toVersion,
    errorCode: i.errorCode,
    errorMessage: i.errorMessage,
    recovered: i.recovered,
  });

  const view = (b: BatchRow, withItems = false): BatchView => ({
    ...progressOf(b, runners.get(b.id)?.counts ?? repo.counts(b.id)),
    selection: { kind: b.selectionKind, value: b.selectionValue },
    concurrency: b.concurrency,
    maxAttempts: b.maxAttempts,
    createdAt: iso(b.createdAt)!,
    createdBy: b.createdBy,
    finishedAt: iso(b.finishedAt),
    cancelledBy: b.cancelledBy,
    ...(withItems ? { items: repo.items(b.id).map(itemView) } : {}),
  });

  const load = (batchId: unknown): BatchRow => {
    if (typeof batchId !== 'string' || !UUID_PATTERN.test(batchId)) throw invalid('batchId must be a batch job id (UUID).', 'batchId');
    const b = repo.getBatch(batchId);
    if (!b) throw new ConsoleError('not_found', `No batch rotation job ${batchId}.`);
    return b;
  };

  /** The keys a selection names (validated), each with its current version. */
  const select = (selection: unknown): { kind: BatchRow['selectionKind']; value: string | null; keys: Array<{ keyId: string; fromVersion: number }> } => {
    if (typeof selection !== 'object' || selection === null || Array.isArray(selection)) throw invalid('selection must name keyIds, a type or a site.', 'selection');
    const s = selection as Record<string, unknown>;
    const given = ['keyIds', 'type', 'site'].filter((k) => s[k] !== undefined);
    const extra = Object.keys(s).filter((k) => !['keyIds', 'type', 'site'].includes(k));
    if (extra.length > 0) throw invalid(`selection has an unknown field ${extra[0]}.`, `selection.${extra[0]}`);
    if (given.length !== 1) throw invalid('selection must name exactly one of keyIds, type or site.', 'selection');
    let kind: BatchRow['selectionKind'];
    let value: string | null = null;
    let keys: Array<{ id: string; currentVersion: number; state: string }>;
    if (s.keyIds !== undefined) {
      kind = 'keys';
      const ids = s.keyIds;
      if (!Array.isArray(ids) || ids.length === 0 || ids.length > BATCH_MAX_KEYS) throw invalid(`keyIds must list 1 to ${BATCH_MAX_KEYS} key ids.`, 'selection.keyIds');
      const seen = new Set<string>();
      keys = ids.map((id: unknown, i) => {
        const field = `selection.keyIds[${i}]`;
        if (typeof id !== 'string' || !UUID_PATTERN.test(id)) throw invalid(`keyIds[${i}] is not a key id.`, field);
        if (seen.has(id)) throw invalid(`Key ${id} is listed twice.`, field);
        seen.add(id);
        const k = deps.keys.get(id);
        if (!k) throw invalid(`No key with id ${id}.`, field);
        if (k.state !== 'active') throw invalid(`Key ${id} is ${k.state}; only active keys rotate.`, field);
        return { id: k.id, currentVersion: k.currentVersion, state: k.state };
      });
    } else if (s.type !== undefined) {
      kind = 'type';
      if (typeof s.type !== 'string' || !(KEY_TYPES as readonly string[]).includes(s.type)) throw invalid(`type must be one of ${KEY_TYPES.join(', ')}.`, 'selection.type');
      value = s.type;
      keys = repo.keysOfType(s.type);
    } else {
      kind = 'site';
      if (typeof s.site !== 'string' || s.site.length === 0 || s.site.length > 64) throw invalid('site must be a site name (1 to 64 characters).', 'selection.site');
      if (!repo.siteExists(s.site)) throw invalid(`No site named ${s.site}.`, 'selection.site');
      value = s.site;
      keys = repo.keysOfSite(s.site).filter((k) => k.state === 'active');
    }
    if (keys.length === 0) throw invalid('The selection names no active key.', 'selection');
    if (keys.length > BATCH_MAX_KEYS) throw invalid(`The selection names ${keys.length} keys; at most ${BATCH_MAX_KEYS} per job.`, 'selection');
    return { kind, value, keys: keys.map((k) => ({ keyId: k.id, fromVersion: k.currentVersion })) };
  };

  const emit = (batchId: string) => {
    const r = runners.get(batchId);
    const b = repo.getBatch(batchId);
    if (b && r) deps.onProgress?.(progressOf(b, r.counts));
  };

  const move = (r: Runner, from: BatchItemState, to: BatchItemState) => {
    r.counts[from]--;
    r.counts[to]++;
  };

  /** One item to its end (done, failed, superseded, cancelled), or back to pending when the console locks. */
  const runItem = async (batch: BatchRow, r: Runner, first: BatchItemRow): Promise<void> => {
    let item = first;
    for (;;) {
      if (r.cancelled || r.stopped) return;
      if (item.nextAttemptAt !== null && item.nextAttemptAt > clock.now()) {
        await Promise.race([sleep(item.nextAttemptAt - clock.now()), new Promise<void>((res) => r.wake.add(res))]);
        if (r.cancelled || r.stopped) return;
      }
      const key = deps.keys.get(item.keyId);
      const now = clock.now();
      if (!key) {
        deps.transaction(() => repo.markFailed(batch.id, item.seq, now, 'not_found', `Key ${item.keyId} no longer exists.`));
        move(r, item.state, 'failed');
        return;
      }
      if (key.currentVersion > item.fromVersion) {
        // Intent recorded before (attempts > 0): our rotation committed before a crash. Else someone else rotated.
        if (item.attempts > 0) {
          deps.transaction(() => repo.markDone(batch.id, item.seq, now, item.fromVersion + 1, true));
          move(r, item.state, 'done');
        } else {
          deps.transaction(() => repo.markSuperseded(batch.id, item.seq, now, key.currentVersion));
          move(r, item.state, 'superseded');
        }
        return;
      }
      // The intent, durable before the provider is asked (shares a commit with other workers' intents).
      const ticket = deps.commits.begin();
      try {
        await ticket.commit(() => repo.markRotating(batch.id, item.seq, now));
      } finally {
        ticket.end();
      }
      if (item.state === 'pending') move(r, 'pending', 'rotating');
      const attempts = item.attempts + 1;
      const adopt = item.attempts > 0;
      try {
        await deps.rotate(item.keyId, {
          expectVersion: item.fromVersion,
          adoptProviderVersion: adopt,
          auditDetails: { batchId: batch.id, batchItem: item.seq, attempt: attempts },
          alsoCommit: (version) => repo.markDone(batch.id, item.seq, clock.now(), version, false),
        });
        move(r, 'rotating', 'done');
        return;
      } catch (e) {
        const err = isConsoleError(e) ? e : new ConsoleError('internal', 'The rotation failed unexpectedly.');
        const at = clock.now();
        if (err.code === 'illegal_transition' && typeof err.details?.currentVersion === 'number' && err.details.currentVersion > item.fromVersion) {
          // Rotated by someone else between our check and the rotation: this job makes nothing for it.
          deps.transaction(() => repo.markSuperseded(batch.id, item.seq, at, err.details!.currentVersion as number));
          move(r, 'rotating', 'superseded');
          return;
        }
        if (err.code === 'locked') {
          // The console locked: the item waits for the next unlock (resumeInterrupted), not counted against it.
          deps.transaction(() => repo.markRetry(batch.id, item.seq, err.code, err.message, null));
          move(r, 'rotating', 'pending');
          r.stopped = true;
          return;
        }
        if (isRetryable(err) && attempts < batch.maxAttempts) {
          const next = at + batchRetryDelayMs(attempts, retryBase, retryMax);
          deps.transaction(() => repo.markRetry(batch.id, item.seq, err.code, err.message, next));
          move(r, 'rotating', 'pending');
          item = { ...item, state: 'pending', attempts, nextAttemptAt: next };
          continue;
        }
        deps.transaction(() => repo.markFailed(batch.id, item.seq, at, err.code, err.message));
        move(r, 'rotating', 'failed');
        deps.logger.warn('batch rotation item failed', { batchId: batch.id, keyId: item.keyId, code: err.code });
        return;
      } finally {
        emit(batch.id);
      }
    }
  };

  const finish = (batch: BatchRow, r: Runner) => {
    if (r.stopped && !r.cancelled) return; // locked: resumed at the next unlock
    const counts = repo.counts(batch.id);
    if (counts.pending + counts.rotating > 0 && !r.cancelled) return;
    const state: BatchState = r.cancelled ? 'cancelled' : 'done';
    const at = clock.now();
    deps.transaction(() => {
      if (r.cancelled) repo.cancelPending(batch.id, at);
      const fresh = repo.getBatch(batch.id)!;
      repo.finishBatch(batch.id, state, at, fresh.cancelledBy);
      const c = repo.counts(batch.id);
      auditBatch('rotation.batch_finish', batch.id, c.failed > 0 ? 'failure' : 'success', {
        state,
        total: c.total,
        done: c.done,
        failed: c.failed,
        superseded: c.superseded,
        cancelled: c.cancelled,
        ...(c.failed > 0 ? { severity: 'critical' } : {}),
      });
    });
  };

  const launch = (batch: BatchRow): Runner => {
    const r: Runner = { cancelled: false, stopped: false, counts: repo.counts(batch.id), done: Promise.resolve(), wake: new Set() };
    runners.set(batch.id, r);
    const open = repo.openItems(batch.id);
    let next = 0;
    const worker = async () => {
      while (next < open.length && !r.cancelled && !r.stopped) {
        const item = open[next++]!;
        try {
          await runItem(batch, r, item);
        } catch (e) {
          // A store failure while recording: the run stops; the job resumes at the next unlock or start.
          deps.logger.error('batch rotation run stopped', { batchId: batch.id, error: isConsoleError(e) ? e.code : e instanceof Error ? e.name : 'unknown' });
          r.stopped = true;
        }
      }
    };
    r.done = Promise.all(Array.from({ length: Math.min(batch.concurrency, open.length) }, worker))
      .then(() => {
        try {
          finish(batch, r);
        } catch (e) {
          deps.logger.error('finishing a batch rotation job failed', { batchId: batch.id, error: isConsoleError(e) ? e.code : 'internal' });
        }
      })
      .finally(() => {
        runners.delete(batch.id);
        const b = repo.getBatch(batch.id);
        if (b) deps.onProgress?.(progressOf(b, repo.counts(batch.id)));
      });
    return r;
  };

  const batches: RotationBatches = {
    start(input) {
      deps.session.require();
      try {
        if (typeof input !== 'object' || input === null) throw invalid('A batch job needs a selection.', 'selection');
        const concurrency = intIn(input.concurrency, 1, BATCH_MAX_CONCURRENCY, BATCH_DEFAULT_CONCURRENCY, 'concurrency');
        const maxAttempts = intIn(input.maxAttempts, 1, BATCH_MAX_ATTEMPTS, BATCH_DEFAULT_MAX_ATTEMPTS, 'maxAttempts');
        const sel = select(input.selection);
        const row: BatchRow = {
          id: crypto.randomUUID(),
          selectionKind: sel.kind,
          selectionValue: sel.value,
          concurrency,
          maxAttempts,
          state: 'running',
          total: sel.keys.length,
          createdAt: clock.now(),
          createdBy: deps.session.actor(),
          finishedAt: null,
          cancelledBy: null,
        };
        deps.transaction(() => {
          repo.insertBatch(row, sel.keys);
          auditBatch('rotation.batch_start', row.id, 'success', { selection: sel.kind, value: sel.value, total: row.total, concurrency, maxAttempts });
        });
        launch(row);
        return view(row);
      } catch (e) {
        if (isConsoleError(e) && e.code === 'invalid_input') {
          const field = typeof e.details?.field === 'string' ? e.details.field : null;
          deps.transaction(() => auditBatch('rotation.batch_start', null, 'failure', { code: e.code, field }));
        }
        throw e;
      }
    },
    async wait(batchId) {
      const b = load(batchId);
      await runners.get(b.id)?.done;
      return view(repo.getBatch(b.id)!);
    },
    async cancel(batchId) {
      deps.session.require();
      const b = load(batchId);
      if (b.state !== 'running') throw new ConsoleError('illegal_transition', `Batch job ${b.id} is already ${b.state}.`);
      const actor = deps.session.actor();
      const at = clock.now();
      deps.transaction(() => {
        repo.setCancelledBy(b.id, actor);
        auditBatch('rotation.batch_cancel', b.id, 'success', {});
      });
      const r = runners.get(b.id);
      if (r) {
        r.cancelled = true;
        for (const wake of r.wake) wake();
        await r.done;
      } else {
        // No run here (interrupted): settle the items an earlier run left rotating, cancel the rest.
        deps.transaction(() => {
          for (const item of repo.openItems(b.id)) {
            const key = deps.keys.get(item.keyId);
            if (item.state === 'rotating' && key && key.currentVersion > item.fromVersion) repo.markDone(b.id, item.seq, at, item.fromVersion + 1, true);
            else repo.markCancelled(b.id, item.seq, at);
          }
        });
        finish(b, { cancelled: true, stopped: false, counts: repo.counts(b.id), done: Promise.resolve(), wake: new Set() });
      }
      return view(repo.getBatch(b.id)!);
    },
    get(batchId, withItems = false) {
      deps.session.require();
      return view(load(batchId), withItems);
    },
    items(query) {
      deps.session.require();
      const b = load(query?.batchId);
      const state = query.state ?? null;
      if (state !== null && !ITEM_STATES.includes(state)) throw invalid(`state must be one of ${ITEM_STATES.join(', ')}.`, 'state');
      const limit = intIn(query.limit, 1, BATCH_ITEMS_MAX_LIMIT, BATCH_ITEMS_DEFAULT_LIMIT, 'limit');
      const after = query.cursor === undefined ? 0 : decodeBatchCursor(query.cursor, b.id, state);
      // One more than asked tells whether a next page exists without counting.
      const rows = repo.itemsPage(b.id, after, limit + 1, state);
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        batchId: b.id,
        state,
        matching: repo.countItems(b.id, state),
        items: page.map(itemView),
        nextCursor: rows.length > limit && last ? encodeBatchCursor(b.id, state, last.seq) : null,
      };
    },
    list(limit = 50) {
      deps.session.require();
      const n = intIn(limit, 1, 1000, 50, 'limit');
      return repo.listBatches(n).map((b) => view(b));
    },
    resumeInterrupted() {
      if (deps.session.status().state !== 'unlocked') return [];
      const resumed: string[] = [];
      for (const b of repo.listRunning()) {
        if (runners.has(b.id)) continue;
        launch(b);
        resumed.push(b.id);
      }
      return resumed;
    },
    active: () => [...runners.keys()],
  };
  return batches;
}
