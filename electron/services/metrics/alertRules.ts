// Which audit records raise an alert, and with which severity. The specification's thresholds: a key rotation failure is
// CRITICAL, a loss of connectivity to a KMS is HIGH, unauthorised key access is CRITICAL. The console adds two of its
// own at MEDIUM: a key version near its usage limit (the usage meter's 80 % warning) and a rotation overdue (an hour
// or more late). Each alert has a dedupe key: while an alert for the same condition is unacknowledged, a repeat is
// counted on it instead of raising another.
import type { AuditRecord } from '../../../shared/contract.ts';
import type { Severity } from '../../store/metricsRepo.ts';

export type AlertKind = 'rotation_failure' | 'provider_connectivity' | 'unauthorized_access' | 'usage_limit_near' | 'rotation_overdue' | 'emergency_break_glass';

export const ALERT_SEVERITY: Readonly<Record<AlertKind, Severity>> = {
  rotation_failure: 'CRITICAL',
  provider_connectivity: 'HIGH',
  unauthorized_access: 'CRITICAL',
  usage_limit_near: 'MEDIUM',
  rotation_overdue: 'MEDIUM',
  // One officer acted on a whole site / model / fleet without a second one's approval (docs/emergency-response.md).
  emergency_break_glass: 'CRITICAL',
};

export interface AlertDraft {
  kind: AlertKind;
  dedupeKey: string;
  subject: string | null;
  message: string;
  details: Record<string, string | number | boolean | null>;
  /** Raise at most once ever for this dedupe key (also after it was acknowledged). */
  once?: boolean;
}

/**
 * Error codes of an operation refused for lack of rights: the operator's role (`forbidden`, recorded as
 * access.denied), the provider's permissions, a foreign sender; and, for key operations only (key.*), the key's state
 * (a suspended or compromised key used anyway). Assigning a disabled key to a robot is an officer's mistake, not an
 * access attempt, and raises nothing.
 */
export const DENIED_CODES: ReadonlySet<string> = new Set(['forbidden', 'provider_access_denied', 'forbidden_sender']);
const KEY_STATE_DENIED = 'key_disabled';
/** A failed unlock that is a guess at the passphrase (not a missing store or a busy database). */
export const FAILED_UNLOCK_CODES: ReadonlySet<string> = new Set(['wrong_passphrase', 'too_many_attempts']);

const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);

/** The alert an audit record raises, if any. */
export function alertForRecord(r: AuditRecord): AlertDraft | null {
  if (r.action.startsWith('alert.')) return null;
  const d = r.details ?? {};
  const code = str(d.code);
  const base = { sourceSeq: r.seq, action: r.action, actor: r.actor, ...(code ? { code } : {}) };
  if (r.outcome === 'failure') {
    // A call refused before it reached the key (its input, no one signed in, the CLI: `refusedBy`) rotated nothing.
    if (r.action === 'rotation.run' || (r.action === 'key.rotate' && d.batchId === undefined && d.refusedBy === undefined)) {
      // The scheduler's run records both; one alert per key while unacknowledged.
      return { kind: 'rotation_failure', dedupeKey: `rotation_failure:${r.targetId ?? 'unknown'}`, subject: r.targetId, message: `Rotation of key ${r.targetId ?? '?'} failed${code ? ` (${code})` : ''}.`, details: base };
    }
    if (r.action === 'rotation.batch_finish') {
      return { kind: 'rotation_failure', dedupeKey: `rotation_failure:batch:${r.targetId ?? 'unknown'}`, subject: r.targetId, message: `Batch rotation job ${r.targetId ?? '?'} finished with ${str(d.failed) ?? 'some'} failed key(s).`, details: { ...base, failed: d.failed ?? null } };
    }
    if (r.action === 'provider.circuit') {
      const provider = str(d.provider) ?? r.targetId ?? 'unknown';
      return { kind: 'provider_connectivity', dedupeKey: `provider_connectivity:${provider}`, subject: provider, message: `Provider ${provider} is unreachable: its circuit opened after repeated failures.`, details: { ...base, provider } };
    }
    if (r.action === 'session.unlock' && code && FAILED_UNLOCK_CODES.has(code)) {
      return { kind: 'unauthorized_access', dedupeKey: 'unauthorized_access:unlock', subject: 'store', message: `A failed unlock of the key store as ${r.actor} (${code}).`, details: base };
    }
    if (code && (DENIED_CODES.has(code) || (code === KEY_STATE_DENIED && r.action.startsWith('key.')))) {
      return { kind: 'unauthorized_access', dedupeKey: `unauthorized_access:${r.action}:${r.targetId ?? ''}`, subject: r.targetId, message: `${r.action} by ${r.actor} was denied (${code})${r.targetId ? ` on ${r.targetId}` : ''}.`, details: base };
    }
    return null;
  }
  if (r.action === 'key.usage_warning') {
    const version = str(d.version) ?? '?';
    return {
      kind: 'usage_limit_near',
      dedupeKey: `usage_limit_near:${r.targetId ?? ''}:${version}`,
      subject: r.targetId,
      message: `Key ${r.targetId ?? '?'} version ${version} reached ${str(d.percent) ?? '80'} % of its usage limit; rotate it.`,
      details: { ...base, version: d.version ?? null, count: d.count ?? null, limit: d.limit ?? null },
      once: true,
    };
  }
  return null;
}

/** The alert for a rotation that is overdue (raised once per key version). */
export function overdueAlert(keyId: string, fromVersion: number, dueAt: string, lateMs: number): AlertDraft {
  return {
    kind: 'rotation_overdue',
    dedupeKey: `rotation_overdue:${keyId}:${fromVersion}`,
    subject: keyId,
    message: `Rotation of key ${keyId} from version ${fromVersion} is overdue by ${Math.floor(lateMs / 60_000)} minutes (due ${dueAt}).`,
    details: { fromVersion, dueAt, lateMs },
    once: true,
  };
}

/** The alert for a provider whose health check failed after it was healthy. */
export function healthAlert(provider: string, detail: string | null): AlertDraft {
  return {
    kind: 'provider_connectivity',
    dedupeKey: `provider_connectivity:${provider}`,
    subject: provider,
    message: `Provider ${provider} failed its health check${detail ? `: ${detail.slice(0, 300)}` : ''}.`,
    details: { provider, source: 'health_check' },
  };
}

/** A break-glass emergency run: one alert per run, CRITICAL, until a second officer reviews it. */
export function breakGlassAlert(runId: string, actor: string, scope: string, reason: string): AlertDraft {
  return {
    kind: 'emergency_break_glass',
    dedupeKey: `emergency_break_glass:${runId}`,
    subject: runId,
    message: `Break-glass emergency run by ${actor} on ${scope}: ${reason}. A second security officer must review it.`,
    details: { runId, actor, scope, reason },
    once: true,
  };
}
