// The alert inbox. Alerts are raised from audit records (alertRules.ts: the audit log already records every rotation,
// provider circuit change, unlock and refusal), from failed provider health checks and from the overdue rotations a
// periodic check finds. Each raise is stored and written to the audit log (`alert.raise`) in one transaction; a repeat
// of an unacknowledged alert's condition is counted on it (`occurrences`). Acknowledging needs an unlocked console and
// is audited (`alert.acknowledge`, the operator as actor). Records are handled after the append that carries them
// (a microtask later), so an alert never writes inside another operation's transaction.
import crypto from 'node:crypto';
import type { AuditRecord } from '../../../shared/contract.ts';
import { ConsoleError } from '../../../shared/errors.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import type { AlertRow, MetricsRepo, Severity } from '../../store/metricsRepo.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import type { Session } from '../session/session.ts';
import { ALERT_SEVERITY, type AlertDraft, alertForRecord } from './alertRules.ts';

export interface AlertsDeps {
  repo: MetricsRepo;
  audit: AuditLog;
  session: Session;
  clock: Clock;
  logger: Logger;
  transaction<T>(fn: () => T): T;
  onChanged(id: string | null): void;
}

export interface Alerts {
  /** Raises (or counts again) an alert; returns the alert, or null when a once-only alert was raised before. */
  raise(draft: AlertDraft, sourceSeq?: number | null): AlertRow | null;
  /** Resolves once every audit record seen so far has been handled. */
  idle(): Promise<void>;
  list(opts: { unacknowledgedOnly?: boolean; limit?: number }): { alerts: AlertRow[]; open: Record<Severity, number> };
  acknowledge(id: string): AlertRow;
  open(): Record<Severity, number>;
  /** Stops listening to the audit log. */
  close(): void;
}

export function createAlerts(deps: AlertsDeps): Alerts {
  const { repo, audit, clock } = deps;
  const queue: AuditRecord[] = [];
  let draining: Promise<void> | null = null;

  const raise = (draft: AlertDraft, sourceSeq: number | null = null): AlertRow | null => {
    const now = clock.now();
    const result = deps.transaction((): AlertRow | null => {
      const existing = repo.openAlert(draft.dedupeKey);
      if (existing) {
        repo.seenAgain(existing.id, now);
        return { ...existing, occurrences: existing.occurrences + 1, lastSeenAt: now };
      }
      if (draft.once && repo.anyAlert(draft.dedupeKey)) return null;
      const row: AlertRow = {
        id: crypto.randomUUID(),
        kind: draft.kind,
        severity: ALERT_SEVERITY[draft.kind],
        dedupeKey: draft.dedupeKey,
        subject: draft.subject,
        message: draft.message,
        details: draft.details,
        sourceSeq,
        raisedAt: now,
        lastSeenAt: now,
        occurrences: 1,
        acknowledgedAt: null,
        acknowledgedBy: null,
      };
      repo.insertAlert(row);
      audit.append({
        actor: 'system',
        action: 'alert.raise',
        targetType: null,
        targetId: row.id,
        outcome: 'success',
        details: { kind: row.kind, severity: row.severity, subject: row.subject, sourceSeq, message: row.message },
      });
      return row;
    });
    if (result) deps.onChanged(result.id);
    return result;
  };

  const drain = async () => {
    // A microtask later: the append that notified us (and its transaction) has finished.
    await Promise.resolve();
    while (queue.length > 0) {
      const r = queue.shift()!;
      const draft = alertForRecord(r);
      if (!draft) continue;
      try {
        raise(draft, r.seq);
      } catch (e) {
        deps.logger.error('raising an alert failed', { kind: draft.kind, error: e instanceof Error ? e.name : String(e) });
      }
    }
    draining = null;
  };

  const unsubscribe = audit.onAppend((r) => {
    if (r.action.startsWith('alert.') || r.outcome === 'success' && r.action !== 'key.usage_warning') return;
    queue.push(r);
    draining ??= drain();
  });

  return {
    raise,
    idle: () => draining ?? Promise.resolve(),
    list({ unacknowledgedOnly = false, limit = 200 }) {
      deps.session.require();
      return { alerts: repo.listAlerts({ unacknowledgedOnly, limit }), open: repo.countOpen() };
    },
    acknowledge(id) {
      deps.session.require();
      const actor = deps.session.actor();
      const now = clock.now();
      const row = deps.transaction(() => {
        const a = repo.getAlert(id);
        if (!a) throw new ConsoleError('not_found', `No alert with id ${id}.`);
        if (a.acknowledgedAt !== null) {
          throw new ConsoleError('illegal_transition', `Alert ${id} was already acknowledged by ${a.acknowledgedBy ?? 'someone'}.`, { acknowledgedBy: a.acknowledgedBy });
        }
        repo.acknowledge(id, now, actor);
        audit.append({ actor, action: 'alert.acknowledge', targetType: null, targetId: id, outcome: 'success', details: { kind: a.kind, severity: a.severity, occurrences: a.occurrences } });
        return { ...a, acknowledgedAt: now, acknowledgedBy: actor };
      });
      deps.onChanged(id);
      return row;
    },
    open: () => repo.countOpen(),
    close: unsubscribe,
  };
}
