// The few-recovery-codes reminder's dismissal (docs/operators.md "Recovery codes"): kept in the store per operator, at
// the count of unused codes they had when they dismissed it, so it stays dismissed across sign-ins and restarts until
// that count changes (a code used, a new set, a reset: the repository forgets the dismissal then). Each operator's own.
import type { Handlers } from '../../../shared/contract.ts';
import type { Clock } from '../../clock.ts';
import type { OperatorsRepo } from '../../store/operatorsRepo.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import type { Session } from '../session/session.ts';

export interface ReminderDeps {
  repo: Pick<OperatorsRepo, 'recoveryCodes' | 'recoveryReminderDismissedAt' | 'setRecoveryReminderDismissedAt'>;
  session: Pick<Session, 'require'>;
  audit: Pick<AuditLog, 'append'>;
  clock: Clock;
  transaction<T>(fn: () => T): T;
}

type ReminderHandlers = Pick<Handlers, 'operators:recoveryReminder' | 'operators:dismissRecoveryReminder'>;

export function createReminderHandlers(deps: ReminderDeps): ReminderHandlers {
  const { repo, session } = deps;
  return {
    'operators:recoveryReminder': async () => ({ dismissedAt: repo.recoveryReminderDismissedAt(session.require().operator) }),
    'operators:dismissRecoveryReminder': async () => {
      const operator = session.require().operator;
      const count = repo.recoveryCodes(operator).length;
      deps.transaction(() => {
        repo.setRecoveryReminderDismissedAt(operator, count, new Date(deps.clock.now()).toISOString());
        deps.audit.append({ actor: operator, action: 'operator.recoveryCode.reminder_dismissed', targetType: 'operator', targetId: operator, outcome: 'success', details: { remaining: count } });
      });
      return { dismissedAt: count };
    },
  };
}
