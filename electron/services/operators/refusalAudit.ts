// The audit of refusals anyone can cause without signing in, without a valid input or without the role (a schema
// refusal, a call refused `locked`, a key operation's own locked failure, a denied access), coalesced so a buggy or hostile window that sends many bad calls cannot flood the audit trail
// (docs/audit-log.md, "Refused inputs and locked calls"). The first refusal of a kind is written at once; the same
// refusals within the next window (same action, target, operator and details but the field) are only counted, and
// the count is written as one record when the window ends (or at flush: lock, close), naming the record that opened it.
// So a flood of N refusals of one kind costs at most two records per window, never N, and none goes unrecorded.
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import type { Timers } from '../../providers/resilience/resilienceOptions.ts';
import type { AuditDetails, AuditEntry, AuditLog } from '../audit/auditLog.ts';

/** The default window: one record per kind of refusal per minute, plus one with the count of the others. */
export const DEFAULT_REFUSAL_WINDOW_MS = 60_000;
/** Kinds of refusal tracked at once (open windows); beyond it every open window is closed (its count written) first. */
export const MAX_REFUSAL_WINDOWS = 1024;

/** A refusal's record: its details carry no input value (codes, the field's path, the role, the transport). */
export type RefusalEntry = AuditEntry & { details: AuditDetails };

export interface RefusalAudit {
  /** Writes the refusal's record, or counts it when the same kind was written less than a window ago. */
  record(entry: RefusalEntry): void;
  /** Writes the count of every open window that counted refusals and closes them all (lock, close). */
  flush(): void;
  /** Flushes and stops the timer; later refusals are not recorded (the database is closing). */
  close(): void;
}

export interface RefusalAuditDeps {
  audit: Pick<AuditLog, 'append'>;
  clock: Clock;
  /** Default: Node's, unref'd (the summary is owed to no one who waits; close() writes what is left). */
  timers?: Pick<Timers, 'setTimeout'>;
  windowMs?: number;
  logger?: Pick<Logger, 'error'>;
}

interface Window {
  entry: RefusalEntry;
  /** Where the window ends (ms). */
  until: number;
  /** The record that opened it. */
  openedSeq: number;
  openedAt: number;
  /** Refusals counted since, not written one by one. */
  repeated: number;
  lastAt: number;
}

const unrefTimers: Pick<Timers, 'setTimeout'> = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};

/**
 * What makes two refusals the same kind: everything in the record but the field (which varies within a flood), so a
 * window's count record can repeat its first record's details truthfully (e.g. an access.denied's `needs`).
 */
function kindOf(e: RefusalEntry): string {
  const { field: _field, ...details } = e.details;
  const sorted = Object.keys(details).sort().map((k) => [k, details[k] ?? null]);
  return JSON.stringify([e.action, e.targetType ?? null, e.targetId ?? null, e.actor, sorted]);
}

export function createRefusalAudit(deps: RefusalAuditDeps): RefusalAudit {
  const windowMs = deps.windowMs ?? DEFAULT_REFUSAL_WINDOW_MS;
  const timers = deps.timers ?? unrefTimers;
  const windows = new Map<string, Window>();
  let cancel: (() => void) | null = null;
  let timerAt = Infinity;
  let closed = false;

  /** The record of the refusals a window counted (none when it counted none). */
  const summarize = (w: Window): void => {
    if (w.repeated === 0) return;
    const { field: _field, ...details } = w.entry.details;
    deps.audit.append({
      ...w.entry,
      details: {
        ...details,
        repeated: w.repeated,
        sinceSeq: w.openedSeq,
        from: new Date(w.openedAt).toISOString(),
        to: new Date(w.lastAt).toISOString(),
      },
    });
  };

  /** Closes the windows that ended (or all), writing their counts. A failure is logged, not thrown (a timer). */
  const closeWindows = (all: boolean): void => {
    const now = deps.clock.now();
    for (const [kind, w] of windows) {
      if (!all && w.until > now) continue;
      windows.delete(kind);
      summarize(w);
    }
  };

  const arm = (): void => {
    let next = Infinity;
    for (const w of windows.values()) if (w.repeated > 0 && w.until < next) next = w.until;
    if (next === Infinity || next >= timerAt) return;
    cancel?.();
    timerAt = next;
    cancel = timers.setTimeout(() => {
      cancel = null;
      timerAt = Infinity;
      try {
        closeWindows(false);
      } catch (e) {
        deps.logger?.error('auditing the count of repeated refusals failed', { error: e instanceof Error ? e.name : 'unknown' });
      }
      arm();
    }, Math.max(1, next - deps.clock.now()));
  };

  return {
    record(entry) {
      if (closed) return;
      const kind = kindOf(entry);
      const now = deps.clock.now();
      const open = windows.get(kind);
      if (open && now < open.until) {
        open.repeated++;
        open.lastAt = now;
        arm();
        return;
      }
      if (open) {
        windows.delete(kind);
        summarize(open);
      }
      // Windows that ended are no longer tracked (their counts are due: written now); only if MAX_REFUSAL_WINDOWS are
      // still open is every one closed first.
      if (windows.size >= MAX_REFUSAL_WINDOWS) closeWindows(false);
      if (windows.size >= MAX_REFUSAL_WINDOWS) closeWindows(true);
      const written = deps.audit.append(entry);
      windows.set(kind, { entry, until: now + windowMs, openedSeq: written.seq, openedAt: now, repeated: 0, lastAt: now });
    },
    flush() {
      closeWindows(true);
    },
    close() {
      if (closed) return;
      closed = true;
      cancel?.();
      cancel = null;
      timerAt = Infinity;
      // The console is closing: what cannot be written is logged, never thrown into the rest of the close.
      try {
        closeWindows(true);
      } catch (e) {
        deps.logger?.error('auditing the count of repeated refusals failed', { error: e instanceof Error ? e.name : 'unknown' });
      }
    },
  };
}
