// The Fleet screen's filters -> the fleet:list input (renderer/src/fleet/fleetListInput.ts): the renewal filter is sent
// only when picked, and what it sends is what the channel's schema accepts (shared/fleetContract.ts).
import { describe, expect, it } from 'vitest';
import { fleetChannels } from '../../shared/fleetContract.ts';
import { toFleetListFilter } from '../../renderer/src/fleet/fleetListInput.ts';
import { EMPTY_FLEET_FILTERS } from '../../renderer/src/fleet/fleetUiStore.ts';

describe('the renewal filter in the fleet:list input', () => {
  // picked -> sent (absent: no filter)
  const TABLE = [
    ['', undefined],
    ['any', 'any'],
    ['ca_replaced', 'ca_replaced'],
    ['ca_compromised', 'ca_compromised'],
  ] as const;
  for (const [picked, sent] of TABLE) {
    it(`"${picked}" -> ${sent ?? 'left out'}, accepted by the channel`, () => {
      const input = toFleetListFilter({ ...EMPTY_FLEET_FILTERS, renewal: picked }, 'deviceId', 'asc');
      expect('renewal' in input ? input.renewal : undefined).toBe(sent);
      expect(fleetChannels['fleet:list'].input.safeParse({ ...input, offset: 0, limit: 10 }).success).toBe(true);
    });
  }
  it('the channel refuses any other renewal value', () => {
    for (const bad of ['soon', 'CA_REPLACED', '', 1]) {
      expect(fleetChannels['fleet:list'].input.safeParse({ renewal: bad, offset: 0, limit: 10 }).success, String(bad)).toBe(false);
    }
  });
});
