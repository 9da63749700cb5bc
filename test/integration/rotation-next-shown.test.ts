// The next rotation a key shows (keys:get / keys:list `nextRotationAt`: the Keys screen, the dashboard's overdue keys)
// follows its effective rotation policy, the same due time the scheduler uses: a changed type or key policy moves it,
// a manual policy empties it, a rotation starts the period again. Before, it kept the key type's default period.
// Expectations are the policy arithmetic written below (period after the current version was made, no jitter).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsole, type FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { FAST_KDF, PASSPHRASE, removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { contractCaller } from './support/consoleCalls.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-05-04T08:00:00Z');
const at = (ms: number) => new Date(ms).toISOString();

describe('the next rotation shown for a key follows its rotation policy', () => {
  const dir = tempDir('ecps-rot-next-');
  const clock = manualClock(T0);
  let c: FleetConsole;
  const call = contractCaller(() => c);
  const shown = async (id: string) => (await call('keys:get', { keyId: id })).nextRotationAt;
  let emergency: string;
  let comm: string;

  beforeAll(async () => {
    c = await createConsole({ dataDir: dir, kdf: FAST_KDF, logger: createMemoryLogger(), clock, rotation: { scheduler: false } });
    await call('session:init', { operator: 'Officer Ada', passphrase: PASSPHRASE });
    await call('rotation:setTypePolicy', { type: 'communication', policy: { mode: 'scheduled', periodSeconds: 24 * 3600, jitterSeconds: 0 } });
    await call('rotation:setTypePolicy', { type: 'emergency', policy: { mode: 'scheduled', periodSeconds: 365 * 24 * 3600, jitterSeconds: 0 } });
    emergency = (await call('keys:create', { type: 'emergency', label: 'break glass' })).id;
    comm = (await call('keys:create', { type: 'communication', label: 'uplink' })).id;
  });
  afterAll(() => {
    c.close();
    removeTempDirs();
  });

  it('a key is created showing its type policy: the specification\'s 24 hours and 1 year', async () => {
    expect(await shown(comm)).toBe(at(T0 + DAY));
    expect(await shown(emergency)).toBe(at(T0 + 365 * DAY));
  });

  it('a changed type policy moves the keys of that type only', async () => {
    await call('rotation:setTypePolicy', { type: 'emergency', policy: { mode: 'scheduled', periodSeconds: 30 * 24 * 3600, jitterSeconds: 0 } });
    expect(await shown(emergency)).toBe(at(T0 + 30 * DAY));
    expect(await shown(comm)).toBe(at(T0 + DAY));
    // keys:list says the same as keys:get.
    const listed = (await call('keys:list', {})).keys.find((k) => k.id === emergency);
    expect(listed?.nextRotationAt).toBe(at(T0 + 30 * DAY));
  });

  it('a key policy overrides its type; manual empties it; clearing it goes back to the type policy', async () => {
    const steps: Array<[label: string, change: () => Promise<unknown>, expected: string | null]> = [
      ['every 2 hours', () => call('rotation:setKeyPolicy', { keyId: comm, policy: { mode: 'scheduled', periodSeconds: 7200, jitterSeconds: 0 } }), at(T0 + 2 * HOUR)],
      ['manual', () => call('rotation:setKeyPolicy', { keyId: comm, policy: { mode: 'manual' } }), null],
      ['back to the type', () => call('rotation:clearKeyPolicy', { keyId: comm }), at(T0 + DAY)],
    ];
    for (const [label, change, expected] of steps) {
      await change();
      expect({ label, shown: await shown(comm) }).toEqual({ label, shown: expected });
    }
  });

  it('a rotation starts the period again from the new version', async () => {
    await call('rotation:setKeyPolicy', { keyId: comm, policy: { mode: 'scheduled', periodSeconds: 7200, jitterSeconds: 0 } });
    clock.set(T0 + 5 * HOUR);
    await call('keys:rotate', { keyId: comm });
    expect(await shown(comm)).toBe(at(T0 + 5 * HOUR + 2 * HOUR));
  });
});
