// The seam the provisioning station uses: recordProvisioned registers an unknown robot, moves it to provisioned and
// records its key versions in one transaction; a failed provisioning leaves no robot behind, only its failure record.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsole, type FleetConsole } from '../../electron/app.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { CTX, FAST_KDF, removeTempDirs, tempDir } from '../unit/store-testkit.ts';

describe('fleet registry seam for provisioning', () => {
  const dir = tempDir('ecps-fleet-seam-');
  let c: FleetConsole;
  beforeAll(async () => {
    c = await createConsole({ dataDir: dir, kdf: FAST_KDF, logger: createMemoryLogger() });
    await c.handlers['session:init']({ operator: 'Station 3', passphrase: 'fleet passphrase 0123' }, CTX);
  });
  afterAll(() => {
    c.close();
    removeTempDirs();
  });

  it('a failed provisioning leaves neither the robot nor its key holding; a good one records both', async () => {
    const key = await c.handlers['keys:create']({ type: 'device_identity', label: 'robot identity' }, CTX);
    const afterUnlock = c.audit.query({ offset: 0, limit: 1 }).total!;
    const robot = { name: 'Fresh unit', model: 'UV-7', site: 'Factory', firmware: '0.9', tags: [] };
    expect(() => c.fleet.recordProvisioned('fresh-001', [{ keyId: key.id, version: 7 }], robot)).toThrow(/no version 7/);
    expect((await c.handlers['fleet:list']({ query: 'fresh', sort: 'deviceId', dir: 'asc', offset: 0, limit: 10 }, CTX)).total).toBe(0);
    const last = c.audit.query({ offset: 0, limit: 1 }).records[0]!;
    expect(last).toMatchObject({ action: 'robot.provision', outcome: 'failure', targetId: 'fresh-001' });
    expect(c.audit.query({ offset: 0, limit: 1 }).total).toBe(afterUnlock + 1);

    c.fleet.recordProvisioned('fresh-001', [{ keyId: key.id, version: 1 }], robot);
    const detail = await c.handlers['fleet:get']({ deviceId: 'fresh-001' }, CTX);
    expect(detail).toMatchObject({ status: 'provisioned', keys: [expect.objectContaining({ keyId: key.id, version: 1, source: 'provisioning' })] });
    expect(c.fleet.holdersOf(key.id, 1)).toEqual(['fresh-001']);
  });
});
