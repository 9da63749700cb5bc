// The rollout:* channels (shared/rolloutContract.ts) over the rollout service (rollout.ts). The router has already
// validated the input against the contract; the service checks state and existence (and the policy again).
import type { Handlers } from '../../../shared/contract.ts';
import type { Rollouts } from './rollout.ts';

type RolloutChannel =
  | 'rollout:list'
  | 'rollout:get'
  | 'rollout:halt'
  | 'rollout:resume'
  | 'rollout:getPolicy'
  | 'rollout:setPolicy'
  | 'rollout:clearPolicy'
  | 'rollout:holdings'
  | 'rollout:versions'
  | 'rollout:retire'
  | 'rollout:reinstate'
  | 'rollout:needsVisit';

export function createRolloutHandlers(rollouts: Rollouts): Pick<Handlers, RolloutChannel> {
  return {
    'rollout:list': async (input) => ({ rollouts: rollouts.list(input) }),
    'rollout:get': async ({ rolloutId, robots }) => rollouts.get(rolloutId, robots ?? false),
    'rollout:halt': async ({ rolloutId, reason }) => rollouts.halt(rolloutId, reason),
    'rollout:resume': async ({ rolloutId, reason }) => rollouts.resume(rolloutId, reason),
    'rollout:getPolicy': async ({ keyId }) => rollouts.policy(keyId),
    'rollout:setPolicy': async ({ keyId, policy }) => rollouts.setPolicy(keyId, policy),
    'rollout:clearPolicy': async ({ keyId }) => rollouts.setPolicy(keyId, null),
    'rollout:holdings': async ({ keyId }) => ({ sites: rollouts.holdings(keyId) }),
    'rollout:versions': async ({ keyId }) => rollouts.versions(keyId),
    'rollout:retire': async ({ keyId, version, force, reason }) => rollouts.retire(keyId, version, { force, reason }),
    'rollout:reinstate': async ({ keyId, version, reason, days }) => rollouts.reinstate(keyId, version, { reason, days }),
    'rollout:needsVisit': async ({ site }) => ({ robots: rollouts.needsVisit(site) }),
  };
}
