// The emergency:* channels (shared/emergencyContract.ts) over the lockdown order service. The router has already
// validated the input against the contract; the service checks the order again (the CLI reaches it directly).
import type { Handlers } from '../../../shared/contract.ts';
import type { LockdownOrderView } from '../../../shared/emergencyContract.ts';
import type { LockdownOrderRow } from '../../store/lockdownRepo.ts';
import type { LockdownService } from './lockdownService.ts';

type EmergencyChannel = 'emergency:lockdownOrder' | 'emergency:lockdownList';

const viewOf = (r: LockdownOrderRow): LockdownOrderView => ({
  orderId: r.orderId, kind: r.kind, sequence: r.sequence, issuedAt: r.issuedAt, expiresAt: r.expiresAt,
  scope: JSON.parse(r.scope) as LockdownOrderView['scope'],
  actions: r.actions === '' ? [] : (r.actions.split(',') as LockdownOrderView['actions']),
  keyId: r.keyId, keyVersion: r.keyVersion, reason: r.reason, issuedBy: r.issuedBy, state: r.state,
});

/** The file name an officer saves: kind, sequence and order id, so two orders never share a name. */
export const orderFileName = (o: { kind: string; sequence: number; orderId: string }) => `ecps-${o.kind}-${o.sequence}-${o.orderId.slice(0, 8)}.json`;

export function createEmergencyHandlers(lockdown: LockdownService): Pick<Handlers, EmergencyChannel> {
  return {
    'emergency:lockdownOrder': async (input) => {
      const issued = await lockdown.issue(input);
      return { fileName: orderFileName(issued.order), content: issued.file.toString('base64'), order: viewOf(issued.row) };
    },
    'emergency:lockdownList': async ({ limit }) => ({ orders: lockdown.list(limit ?? 100).map(viewOf) }),
  };
}
