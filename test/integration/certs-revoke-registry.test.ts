// certs:revoke revokes a certificate in the fleet CA and the registry's copy in one transaction, so a revoked
// certificate cannot stay active in the registry. Before, a failing registry lookup was swallowed: the CA said revoked
// and the registry kept the copy active (and the dashboard later showed it as expiring soon). Now a failure of the
// registry step rolls both back and is typed, logged (serial, device id and code only) and audited; and a copy that an
// earlier console left active behind a CA revocation is revoked on the next certs:revoke. Real console, fleet CA on the
// local provider, robots provisioned by the simulator; the fault is a SQLite trigger put into the store file while no
// console holds it (what a damaged or foreign schema does to the registry's UPDATE).
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventPayload } from '../../shared/contract.ts';
import type { FleetConsole } from '../../electron/app.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { contractCaller, failure } from './support/consoleCalls.ts';
import { createStationConsole, initStationFleet, OPERATOR, PASS, provisionWithSimulator, robotBench } from './support/stationRig.ts';

describe('certs:revoke: a revoked certificate cannot stay active in the fleet registry', () => {
  const dir = tempDir('ecps-certs-revoke-console-');
  const work = tempDir('ecps-certs-revoke-work-');
  const progress: Array<EventPayload<'station:progress'>> = [];
  let logger = createMemoryLogger();
  let c: FleetConsole;
  let caFile = '';

  const call = contractCaller(() => c);
  const bench = robotBench(() => caFile);
  const serialOf = async (deviceId: string) => (await call('certs:list', {})).certificates.find((x) => x.deviceId === deviceId)?.serial ?? '';
  const stateOf = async (deviceId: string) => [
    (await call('certs:list', {})).certificates.find((x) => x.deviceId === deviceId)?.status,
    (await call('fleet:get', { deviceId })).certificates.map((x) => x.status),
  ];

  /** Closes the console, changes its store file with `sql` (nothing else holds it then), and opens and unlocks it again. */
  const reopenAfter = async (sql: string, ...params: string[]) => {
    c.close();
    const db = new Database(c.storePath);
    try {
      db.prepare(sql).run(...params);
    } finally {
      db.close();
    }
    logger = createMemoryLogger();
    c = await createStationConsole({ dataDir: dir, logger, station: { stepTimeoutMs: 20_000, pollIntervalMs: 200 }, progress });
    await call('session:unlock', { operator: OPERATOR, passphrase: PASS });
  };

  beforeAll(async () => {
    c = await createStationConsole({ dataDir: dir, logger, station: { stepTimeoutMs: 20_000, pollIntervalMs: 200 }, progress });
    ({ caFile } = await initStationFleet(call, { ca: { commonName: 'Registry Revoke CA', work }, robots: { 'uv-cr1': 'Registry fault', 'uv-cr2': 'Left active' } }));
    for (const deviceId of ['uv-cr1', 'uv-cr2']) {
      const { result } = await provisionWithSimulator(c, bench, progress, deviceId);
      expect(result.ok, JSON.stringify(result)).toBe(true);
    }
  });
  afterAll(() => {
    bench.release();
    c.close();
    removeTempDirs();
  });

  it('a registry that cannot be updated: the revocation fails typed, logged and audited, and neither copy changes', async () => {
    const serial = await serialOf('uv-cr1');
    await reopenAfter(`CREATE TRIGGER registry_fault BEFORE UPDATE OF status ON robot_certificates BEGIN SELECT RAISE(ABORT, 'injected registry fault'); END`);

    const err = await failure(call('certs:revoke', { serial, reason: 'keyCompromise' }));
    expect(err.code).toBe('internal');
    expect(err.message).toMatch(new RegExp(`^Certificate ${serial} was not revoked: the fleet registry's copy could not be updated .*Nothing changed; try again\\.$`));
    expect(err.details).toEqual({ serial, step: 'registry' });
    // Neither says revoked: the CA's revocation was rolled back with the registry's.
    expect(await stateOf('uv-cr1')).toEqual(['valid', ['active']]);
    const revokes = c.audit.query({ action: 'ca.revoke', targetId: 'uv-cr1', offset: 0, limit: 10 }).records;
    expect(revokes).toEqual([
      expect.objectContaining({ outcome: 'failure', details: expect.objectContaining({ serial, reason: 'keyCompromise', code: 'internal', step: 'registry' }) }),
    ]);
    const ours = logger.entries.filter((e) => e.message.startsWith('revoking the fleet registry copy of a certificate failed'));
    expect(ours).toEqual([{ level: 'error', message: expect.any(String), fields: { serial, deviceId: 'uv-cr1', code: 'internal' } }]);

    // Once the store is sound again, the same revocation goes through, in both.
    await reopenAfter('DROP TRIGGER registry_fault');
    expect(await call('certs:revoke', { serial, reason: 'keyCompromise' })).toEqual({ revoked: true });
    expect(await stateOf('uv-cr1')).toEqual(['revoked', ['revoked']]);
  });

  it('a copy left active behind a CA revocation (an earlier console swallowed the error) is revoked by the next certs:revoke', async () => {
    const serial = await serialOf('uv-cr2');
    await reopenAfter("UPDATE fleet_certificates SET revoked_at = ?, revocation_reason = 'keyCompromise' WHERE serial = ?", new Date().toISOString(), serial);
    expect(await stateOf('uv-cr2')).toEqual(['revoked', ['active']]);
    expect(await call('certs:revoke', { serial, reason: 'keyCompromise' })).toEqual({ revoked: false });
    expect(await stateOf('uv-cr2')).toEqual(['revoked', ['revoked']]);
    expect(c.audit.query({ action: 'robot.certificate.revoke', offset: 0, limit: 10 }).records[0]).toMatchObject({ outcome: 'success', details: { serial } });
  });
});
