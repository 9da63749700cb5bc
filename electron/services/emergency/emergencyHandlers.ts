// The emergency:* channels (shared/emergencyContract.ts) over the lockdown order service. The router has already
// validated the input against the contract; the service checks the order again (the CLI reaches it directly). An order
// issued on its own goes through the emergency response service, which resolves key and certificate scopes to robots
// and records a break-glass order as a run (its alert and review).
import type { Handlers } from '../../../shared/contract.ts';
import type { LockdownOrderView } from '../../../shared/emergencyContract.ts';
import type { LockdownOrderRow } from '../../store/lockdownRepo.ts';
import type { LockdownService } from './lockdownService.ts';

import type { EmergencyResponse } from './emergencyResponse.ts';

type EmergencyChannel =
  | 'emergency:lockdownOrder' | 'emergency:lockdownList' | 'emergency:preview' | 'emergency:execute' | 'emergency:runs' | 'emergency:run' | 'emergency:retry' | 'emergency:review';

const viewOf = (r: LockdownOrderRow): LockdownOrderView => ({
  orderId: r.orderId, kind: r.kind, sequence: r.sequence, issuedAt: r.issuedAt, expiresAt: r.expiresAt,
  scope: JSON.parse(r.scope) as LockdownOrderView['scope'],
  actions: r.actions === '' ? [] : (r.actions.split(',') as LockdownOrderView['actions']),
  keyId: r.keyId, keyVersion: r.keyVersion, reason: r.reason, issuedBy: r.issuedBy, state: r.state,
});


export function createEmergencyHandlers(lockdown: LockdownService, response: EmergencyResponse): Pick<Handlers, EmergencyChannel> {
  return {
    'emergency:preview': async ({ scope, sample, caId }) => response.preview(scope, sample, caId),
    'emergency:execute': (input, ctx) => response.execute(input, ctx.approvedRequestId),
    'emergency:runs': async ({ limit, needsReview }) => ({ runs: response.runs(limit ?? 50, needsReview) }),
    'emergency:run': async ({ runId }) => response.run(runId),
    'emergency:retry': ({ runId }) => response.retry(runId),
    'emergency:review': async ({ runId, note }) => response.review(runId, note),
    'emergency:lockdownOrder': async (input) => {
      const { fileName, content, row, runId } = await response.issueOrder(input);
      return { fileName, content, order: viewOf(row), runId };
    },
    'emergency:lockdownList': async ({ limit }) => ({ orders: lockdown.list(limit ?? 100).map(viewOf) }),
  };
}
