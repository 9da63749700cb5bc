// The kit:* channels (shared/kitContract.ts) over the incident kit service (docs/incident-kit.md).
import type { Handlers } from '../../../shared/contract.ts';
import type { KitService } from './kitService.ts';

export function createKitHandlers(kits: KitService): Pick<Handlers, 'kit:export' | 'kit:import'> {
  return {
    'kit:export': (input) => kits.exportKit(input),
    'kit:import': ({ dir }) => kits.importKit(dir),
  };
}
