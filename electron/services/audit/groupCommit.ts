// Group commit of audited operations (docs/audit-log.md, "Group commit"). Each operation still commits its store
// changes and its audit record atomically (its `work`, run in a savepoint of its own), but the operations that finish
// together share ONE write transaction, so one durable commit (one fsync of the WAL) covers them all. A result is
// handed back only after the transaction holding its record has committed. The chain stays strictly ordered: the
// records are appended inside the transaction, one member after the other, each reading the head the previous left.
//
// When a group commits: at once (next turn of the event loop) when no other operation is in flight; otherwise when
// the last one in flight queues its work, or windowMs after the first queued work, whichever comes first. So a lone
// caller never waits, and a straggler (an operation waiting on a provider) holds the others for at most windowMs.
//
// A member that fails does not take the others down: its savepoint rolls back alone. If the database rolled the whole
// transaction back (SQLite does for some errors), the group is run again without that member; if the COMMIT itself
// fails with several members (a constraint checked only at commit), they are committed one by one, each in its own
// transaction, so only the guilty one fails. Nothing here is SQL: `transaction` is the store's (savepoints nest).
import type { Timers } from '../../providers/resilience/resilienceOptions.ts';

export const DEFAULT_GROUP_WINDOW_MS = 4;
export const DEFAULT_GROUP_MAX = 256;

export interface GroupCommitOptions {
  /** Runs fn in one write transaction, durable once it returns; called inside one, a savepoint that alone rolls back when fn throws. */
  transaction<T>(fn: () => T): T;
  /** True while a transaction is open on the connection. */
  inTransaction(): boolean;
  /** Longest wait for operations still in flight before the queued ones commit (default DEFAULT_GROUP_WINDOW_MS). */
  windowMs?: number;
  /** Most members in one transaction (default DEFAULT_GROUP_MAX). */
  maxBatch?: number;
  /** The window's timer (default Node's setTimeout, ref'd: a queued result is awaited). */
  timers?: Pick<Timers, 'setTimeout'>;
}

/** One audited operation. */
export interface GroupTicket {
  /**
   * Queues `work` (the operation's store changes and audit record; synchronous) for the next shared transaction.
   * Resolves with its result once that transaction has committed; rejects with its error, nothing of it kept.
   */
  commit<T>(work: () => T): Promise<T>;
  /** The operation is over (idempotent); a group no longer waits for it. */
  end(): void;
}

export interface GroupCommit {
  /** An operation starts: until it queues its work or ends, a group about to commit may wait for it (up to windowMs). */
  begin(): GroupTicket;
  /** Commits what is queued, now (before a lock or close). */
  flush(): void;
  /**
   * Transactions that committed and the members they carried, and the wall time spent inside group transactions
   * (the members' work, the COMMIT and its fsync; committed or not) in ms (tests, benchmarks).
   */
  stats(): { groups: number; members: number; transactionMs: number };
}

interface Member {
  work: () => unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

const nodeTimeout: Pick<Timers, 'setTimeout'> = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

export function createGroupCommit(options: GroupCommitOptions): GroupCommit {
  const windowMs = options.windowMs ?? DEFAULT_GROUP_WINDOW_MS;
  const maxBatch = options.maxBatch ?? DEFAULT_GROUP_MAX;
  if (!Number.isFinite(windowMs) || windowMs < 0 || windowMs > 1000) throw new RangeError('windowMs must be from 0 to 1000');
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError('maxBatch must be a positive integer');
  const timers = options.timers ?? nodeTimeout;
  const queue: Member[] = [];
  let inFlight = 0;
  let cancelWindow: (() => void) | null = null;
  let immediate: NodeJS.Immediate | null = null;
  let groups = 0;
  let members = 0;
  let transactionNs = 0n;

  const schedule = () => {
    if (queue.length === 0) return;
    if (inFlight === 0 || queue.length >= maxBatch) {
      // The next turn, not now: work queued by the same turn's other callbacks joins this group.
      immediate ??= setImmediate(flush);
      return;
    }
    cancelWindow ??= timers.setTimeout(flush, windowMs);
  };

  /** Runs the members in one transaction; returns their outcomes, or throws what the transaction itself threw. */
  const attempt = (group: Member[]): { outcomes: Outcome[]; lost: number } => {
    const outcomes: Outcome[] = [];
    let lost = -1;
    const started = process.hrtime.bigint();
    try {
      options.transaction(() => {
        for (const [i, m] of group.entries()) {
          try {
            outcomes.push({ ok: true, value: options.transaction(m.work) });
          } catch (error) {
            outcomes.push({ ok: false, error });
            if (!options.inTransaction()) {
              lost = i;
              throw error;
            }
          }
        }
      });
    } catch (error) {
      if (lost < 0) throw error;
    } finally {
      transactionNs += process.hrtime.bigint() - started;
    }
    return { outcomes, lost };
  };

  const settle = (group: Member[], outcomes: Outcome[]) => {
    groups++;
    members += group.length;
    for (const [i, m] of group.entries()) {
      const o = outcomes[i]!;
      if (o.ok) m.resolve(o.value);
      else m.reject(o.error);
    }
  };

  const runGroup = (first: Member[]) => {
    let group = first;
    while (group.length > 0) {
      let result: { outcomes: Outcome[]; lost: number };
      try {
        result = attempt(group);
      } catch (error) {
        // The transaction failed as a whole (BEGIN or COMMIT): nothing of it was kept.
        if (group.length === 1) group[0]!.reject(error);
        else for (const m of group) runGroup([m]);
        return;
      }
      if (result.lost < 0) {
        settle(group, result.outcomes);
        return;
      }
      // The database rolled the whole transaction back on this member's failure: again, without it.
      const failed = group[result.lost]!;
      failed.reject((result.outcomes[result.lost] as { error: unknown }).error);
      group = group.filter((m) => m !== failed);
    }
  };

  function flush(): void {
    if (immediate) clearImmediate(immediate);
    immediate = null;
    cancelWindow?.();
    cancelWindow = null;
    // Never inside a caller's transaction: its commit, not ours, would make the records durable.
    if (options.inTransaction()) {
      immediate = setImmediate(flush);
      return;
    }
    while (queue.length > 0) runGroup(queue.splice(0, maxBatch));
  }

  return {
    begin() {
      inFlight++;
      let counted = true;
      const leave = () => {
        if (!counted) return;
        counted = false;
        inFlight--;
      };
      return {
        commit<T>(work: () => T): Promise<T> {
          return new Promise<T>((resolve, reject) => {
            queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
            leave();
            schedule();
          });
        },
        end() {
          leave();
          schedule();
        },
      };
    },
    flush,
    stats: () => ({ groups, members, transactionMs: Number(transactionNs) / 1e6 }),
  };
}
