// Migration 42 (issue 15): the registry copies' expiry index holds active copies only, so revoking a copy drops its
// entry instead of moving it. A store made before it, holding active and revoked copies, answers the same after it
// (each copy's status, the expiring copies and their count, an emergency scope's active copies); a revocation and a
// new copy after it are answered as before; the old index over every copy is gone.
import { afterAll, describe, expect, it } from 'vitest';
import { openStoreDatabase } from '../../electron/store/database.ts';
import { createEmergencyRepo } from '../../electron/store/emergencyRepo.ts';
import { createFleetRepo } from '../../electron/store/fleetRepo.ts';
import { removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { rollBackMigrations } from './support/legacyStore.ts';

afterAll(() => removeTempDirs());

const iso = (day: number) => new Date(Date.UTC(2026, 0, 1 + day)).toISOString();

// The copies in the store before migration 42: [serial, robot, not after (day), status].
const COPIES: Array<[string, string, number, 'active' | 'revoked']> = [
  ['0c01', 'r1', 40, 'active'],
  ['0c02', 'r1', 20, 'revoked'],
  ['0c03', 'r2', 30, 'active'],
  ['0c04', 'r2', 10, 'revoked'],
  ['0c05', 'r3', 50, 'active'],
  ['0c06', 'r3', 60, 'revoked'],
];

describe('migration 42 keeps only active registry copies in the expiry index', () => {
  it('active and revoked copies read the same after it; a revocation and a new copy after it are answered as before', () => {
    const dir = tempDir();
    let store = openStoreDatabase(dir, () => iso(0));
    const fleet0 = createFleetRepo(store.db);
    fleet0.ensureSite('s', iso(0));
    fleet0.ensureModel('m', iso(0));
    for (const deviceId of ['r1', 'r2', 'r3']) fleet0.insert({ deviceId, name: deviceId, model: 'm', site: 's', firmware: '1', tags: [], status: 'deployed', statusReason: null, lastSeen: null, createdAt: iso(0), updatedAt: iso(0) });
    rollBackMigrations(store.db, 42);
    // Written while the index over every copy, (status, not_after), is the store's.
    for (const [serial, deviceId, notAfter, status] of COPIES) {
      fleet0.insertCertificate({ serial, deviceId, subject: `CN=${deviceId}`, notBefore: iso(0), notAfter: iso(notAfter), status, pem: `pem-${serial}` });
    }
    store.close();

    store = openStoreDatabase(dir, () => iso(1));
    try {
      const fleet = createFleetRepo(store.db);
      const emergency = createEmergencyRepo(store.db);
      const copy = (serial: string, status?: 'active' | 'revoked') => {
        const [, deviceId, notAfter, was] = COPIES.find((c) => c[0] === serial)!;
        return { serial, deviceId, subject: `CN=${deviceId}`, notBefore: iso(0), notAfter: iso(notAfter), status: status ?? was, pem: `pem-${serial}` };
      };
      for (const [serial] of COPIES) expect(fleet.getCertificate(serial)).toEqual(copy(serial));
      // Active copies expiring before day 45, soonest first: 0c03 (day 30), 0c01 (day 40); the revoked 0c04 and 0c02 are not.
      expect(fleet.expiringCertificates(iso(45), 10)).toEqual({ total: 2, rows: [copy('0c03'), copy('0c01')] });
      expect(fleet.expiringCertificates(iso(45), 1)).toEqual({ total: 2, rows: [copy('0c03')] });
      expect(fleet.expiringCertificates(iso(70), 10)).toEqual({ total: 3, rows: [copy('0c03'), copy('0c01'), copy('0c05')] });
      expect(emergency.certificatesOf({ kind: 'fleet' })).toEqual([
        { serial: '0c01', deviceId: 'r1' },
        { serial: '0c03', deviceId: 'r2' },
        { serial: '0c05', deviceId: 'r3' },
      ]);
      expect(emergency.facts({ kind: 'site', site: 's' }, 10).certificates).toBe(3);

      // A revocation after it: the copy leaves the expiring list and the scope's active copies; a revoked one stays as it was.
      expect([...fleet.revokeActiveCertificates(['0c03', '0c04'])]).toEqual(['0c03']);
      expect(fleet.getCertificate('0c03')).toEqual(copy('0c03', 'revoked'));
      expect(fleet.expiringCertificates(iso(45), 10)).toEqual({ total: 1, rows: [copy('0c01')] });
      expect(emergency.certificatesOf({ kind: 'robots', deviceIds: ['r2', 'r3'] })).toEqual([{ serial: '0c05', deviceId: 'r3' }]);
      // A copy written after it is listed by its expiry.
      fleet.insertCertificate({ serial: '0c07', deviceId: 'r2', subject: 'CN=r2', notBefore: iso(1), notAfter: iso(35), status: 'active', pem: 'pem-0c07' });
      expect(fleet.expiringCertificates(iso(45), 10).rows.map((r) => r.serial)).toEqual(['0c07', '0c01']);
      expect(emergency.facts({ kind: 'fleet' }, 10).certificates).toBe(3);

      // The index holds active copies only; the one over every copy is gone.
      const indexes = store.db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'robot_certificates' AND sql IS NOT NULL ORDER BY name").all() as Array<{ name: string; sql: string }>;
      expect(indexes.map((i) => i.name)).toEqual(['robot_certificates_active_expiry', 'robot_certificates_device']);
      expect(indexes[0]!.sql).toMatch(/\(not_after\) WHERE status = 'active'$/);
    } finally {
      store.close();
    }
  });
});
