import type { AuditAlarm } from '../../../shared/contract.ts';
import { formatTime } from '../format.ts';

/**
 * The audit alarm, above every screen while the main process reports it (session status, pushed on change). It has
 * no close button on purpose: it goes away only when the condition ends (an unlock whose audit key passes its check,
 * or a verification of the whole chain that passes).
 */
export function AuditAlarmBanner({ alarm }: { alarm: AuditAlarm }) {
  return (
    <section className="banner banner-danger audit-alarm" role="alert" aria-label="Audit alarm">
      <strong>Audit alarm: this console’s audit history cannot be trusted.</strong>
      {alarm.keyProblem && <p>{alarm.keyProblem}</p>}
      {alarm.chainProblem && (
        <p>
          The chain check of {formatTime(alarm.chainProblem.detectedAt)} broke at record {alarm.chainProblem.seq}:{' '}
          {alarm.chainProblem.reason}.
        </p>
      )}
      <p className="audit-alarm-next">
        Keep console.db as evidence, compare it with your latest audit export, and restore it from a backup you trust.
      </p>
    </section>
  );
}
