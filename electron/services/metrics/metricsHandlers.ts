// The metrics:* and alerts:* channels (shared/metricsContract.ts) over the metrics and alert services. The router has
// already validated the input against the contract.
import type { Handlers } from '../../../shared/contract.ts';
import type { Alert } from '../../../shared/metricsContract.ts';
import type { AlertRow } from '../../store/metricsRepo.ts';
import type { Session } from '../session/session.ts';
import type { Alerts } from './alerts.ts';
import type { Metrics } from './metrics.ts';

type MetricsChannel = 'metrics:series' | 'alerts:list' | 'alerts:acknowledge';

const iso = (ms: number) => new Date(ms).toISOString();

export function toAlertView(a: AlertRow): Alert {
  return {
    id: a.id,
    kind: a.kind as Alert['kind'],
    severity: a.severity,
    subject: a.subject,
    message: a.message,
    details: a.details,
    sourceSeq: a.sourceSeq,
    raisedAt: iso(a.raisedAt),
    lastSeenAt: iso(a.lastSeenAt),
    occurrences: a.occurrences,
    acknowledgedAt: a.acknowledgedAt === null ? null : iso(a.acknowledgedAt),
    acknowledgedBy: a.acknowledgedBy,
  };
}

export function createMetricsHandlers(deps: { metrics: Metrics; alerts: Alerts; session: Session }): Pick<Handlers, MetricsChannel> {
  return {
    'metrics:series': async ({ range }) => {
      deps.session.require();
      return deps.metrics.view(range);
    },
    'alerts:list': async ({ unacknowledgedOnly, limit }) => {
      // Records appended just before (a failed unlock, a rotation) are handled first.
      await deps.alerts.idle();
      const { alerts, open } = deps.alerts.list({ ...(unacknowledgedOnly === undefined ? {} : { unacknowledgedOnly }), ...(limit === undefined ? {} : { limit }) });
      return { alerts: alerts.map(toAlertView), open };
    },
    'alerts:acknowledge': async ({ id }) => toAlertView(deps.alerts.acknowledge(id)),
  };
}
