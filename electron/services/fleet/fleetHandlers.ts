// The fleet:* channel handlers: inputs arrive parsed by the router; the registry does the work and the auditing. A
// status change to `revoked` is the robot revocation (certificates and CRL with it: ca/robotRevocation.ts).
import type { Handlers } from '../../../shared/contract.ts';
import type { RobotRevocation } from '../ca/robotRevocation.ts';
import type { FleetRegistry } from './fleetRegistry.ts';

type FleetChannels = Pick<
  Handlers,
  | 'fleet:list'
  | 'fleet:get'
  | 'fleet:create'
  | 'fleet:update'
  | 'fleet:setStatus'
  | 'fleet:revocationPlan'
  | 'fleet:sites'
  | 'fleet:models'
  | 'fleet:importCsv'
  | 'fleet:exportCsv'
  | 'fleet:dashboard'
>;

export function createFleetHandlers(registry: FleetRegistry, revocation: RobotRevocation, dashboard: () => ReturnType<FleetChannels['fleet:dashboard']>): FleetChannels {
  return {
    'fleet:list': async (input) => registry.list(input),
    'fleet:get': async ({ deviceId }) => registry.get(deviceId),
    'fleet:create': async (input) => registry.create(input),
    'fleet:update': async ({ deviceId, ...changes }) => registry.update(deviceId, changes),
    'fleet:setStatus': async ({ deviceId, status, reason, certificateReason }) =>
      status === 'revoked' ? revocation.revoke(deviceId, reason, certificateReason) : registry.setStatus(deviceId, status, reason),
    'fleet:revocationPlan': async ({ deviceId }) => revocation.plan(deviceId),
    'fleet:sites': async () => ({ sites: registry.sites() }),
    'fleet:models': async () => ({ models: registry.models() }),
    'fleet:importCsv': async ({ csv, check }) => registry.importCsv(csv, check),
    'fleet:exportCsv': async () => registry.exportCsv(),
    'fleet:dashboard': () => dashboard(),
  };
}
