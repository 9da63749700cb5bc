// The fleet:*KeyAssignment* channel handlers: inputs arrive parsed by the router; the key assignment service does the
// work, the checks and the auditing (keyAssignments.ts).
import type { Handlers } from '../../../shared/contract.ts';
import type { KeyAssignments } from './keyAssignments.ts';

type KeyAssignmentChannels = Pick<Handlers, 'fleet:keyAssignments' | 'fleet:siteKeyAssignments' | 'fleet:assignKey' | 'fleet:clearKeyAssignment' | 'fleet:keyUsage'>;

export function createKeyAssignmentHandlers(service: KeyAssignments): KeyAssignmentChannels {
  return {
    'fleet:keyAssignments': async ({ deviceId }) => service.robotView(deviceId),
    'fleet:siteKeyAssignments': async ({ site }) => service.siteView(site),
    'fleet:assignKey': async ({ scope, scopeId, keyType, keyId }) => service.assign(scope, scopeId, keyType, keyId),
    'fleet:clearKeyAssignment': async ({ scope, scopeId, keyType }) => service.clear(scope, scopeId, keyType),
    'fleet:keyUsage': async ({ keyId, version, offset }) => service.keyUsage(keyId, version, offset),
  };
}
