// Migration 41 (issue 15): the certificates' bodies (the CA's DER, the registry copy's PEM) move out of
// fleet_certificates and robot_certificates into side tables, so a revocation rewrites only small rows. A store made
// before it, holding revoked and valid certificates, reads the same after it through every repository query that
// answers a certificate; a revocation after it changes the state and keeps the body; a new certificate keeps its body.
import { afterAll, describe, expect, it } from 'vitest';
import { openStoreDatabase } from '../../electron/store/database.ts';
import { createFleetCaRepo } from '../../electron/store/fleetCaRepo.ts';
import { createFleetRepo } from '../../electron/store/fleetRepo.ts';
import { removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { rollBackMigrations } from './support/legacyStore.ts';

afterAll(() => removeTempDirs());

const iso = (day: number) => new Date(Date.UTC(2026, 0, 1 + day)).toISOString();

// The store before migration 41: [serial, robot, DER text, PEM, not after (day), revoked (day) and why, or null].
const CERTS: Array<[string, string, string, string, number, [number, string] | null]> = [
  ['0a01', 'r1', 'der-one', 'pem-one', 400, null],
  ['0a02', 'r1', 'der-two', 'pem-two', 300, [5, 'keyCompromise']],
  ['0a03', 'r2', 'der-three', 'pem-three', 200, null],
  ['0a04', 'r2', 'der-four', 'pem-four', 100, [7, 'superseded']],
];

describe('migration 41 moves the certificates\' bodies out of the rows a revocation changes', () => {
  it('revoked and valid certificates read the same after it; a revocation and an issue after it keep their bodies', () => {
    const dir = tempDir();
    let store = openStoreDatabase(dir, () => iso(0));
    const ca0 = createFleetCaRepo(store.db);
    const fleet0 = createFleetRepo(store.db);
    ca0.insertCa({ id: 'ca-a', provider: 'local', keyRef: 'k', subject: 'CN=ca-a', certDer: Buffer.from('ca'), notAfter: iso(3650), crlNumber: 0, createdAt: iso(0) });
    fleet0.ensureSite('s', iso(0));
    fleet0.ensureModel('m', iso(0));
    for (const deviceId of ['r1', 'r2']) fleet0.insert({ deviceId, name: deviceId, model: 'm', site: 's', firmware: '1', tags: [], status: 'deployed', statusReason: null, lastSeen: null, createdAt: iso(0), updatedAt: iso(0) });
    rollBackMigrations(store.db, 41);
    // The rows as the store before migration 41 wrote them: each body in its certificate's row.
    const oldCa = store.db.prepare(
      'INSERT INTO fleet_certificates (ca_id, serial, device_id, subject, not_before, not_after, cert_der, issued_at, revoked_at, revocation_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const oldCopy = store.db.prepare('INSERT INTO robot_certificates (serial, device_id, subject, not_before, not_after, status, pem) VALUES (?, ?, ?, ?, ?, ?, ?)');
    CERTS.forEach(([serial, device, der, pem, notAfter, revoked], i) => {
      oldCa.run('ca-a', serial, device, `CN=${device}`, iso(i), iso(notAfter), Buffer.from(der), iso(i), revoked ? iso(revoked[0]) : null, revoked ? revoked[1] : null);
      oldCopy.run(serial, device, `CN=${device}`, iso(i), iso(notAfter), revoked ? 'revoked' : 'active', pem);
    });
    store.close();

    store = openStoreDatabase(dir, () => iso(10));
    try {
      const ca = createFleetCaRepo(store.db);
      const fleet = createFleetRepo(store.db);
      const caView = (serials: string[]) =>
        serials.map((s) => {
          const [serial, device, der, , notAfter, revoked] = CERTS.find((c) => c[0] === s)!;
          const i = CERTS.findIndex((c) => c[0] === s);
          return { caId: 'ca-a', serial, deviceId: device, subject: `CN=${device}`, notBefore: iso(i), notAfter: iso(notAfter), certDer: Buffer.from(der), issuedAt: iso(i), revokedAt: revoked ? iso(revoked[0]) : null, revocationReason: revoked ? revoked[1] : null };
        });
      const copyView = (serials: string[]) =>
        serials.map((s) => {
          const [serial, device, , pem, notAfter, revoked] = CERTS.find((c) => c[0] === s)!;
          const i = CERTS.findIndex((c) => c[0] === s);
          return { serial, deviceId: device, subject: `CN=${device}`, notBefore: iso(i), notAfter: iso(notAfter), status: revoked ? 'revoked' : 'active', pem };
        });
      expect(ca.getCert('ca-a', '0a02')).toEqual(caView(['0a02'])[0]);
      expect(ca.listCerts('ca-a')).toEqual(caView(['0a04', '0a03', '0a02', '0a01']));
      expect(ca.listRevoked('ca-a')).toEqual(caView(['0a02', '0a04']));
      expect(ca.listRevokedEntries('ca-a')).toEqual([
        { serial: '0a02', revokedAt: iso(5), reason: 'keyCompromise' },
        { serial: '0a04', revokedAt: iso(7), reason: 'superseded' },
      ]);
      expect(ca.listExpiringBefore('ca-a', iso(250))).toEqual(caView(['0a04', '0a03']));
      expect(ca.listValidOfDevice('ca-a', 'r1', iso(10))).toEqual(caView(['0a01']));
      expect(ca.findBySerial('0a04')).toEqual(caView(['0a04']));
      expect(ca.countStates('ca-a', iso(10))).toEqual({ total: 4, revoked: 2, expired: 0 });
      expect(fleet.getCertificate('0a03')).toEqual(copyView(['0a03'])[0]);
      expect(fleet.certificatesOf('r2')).toEqual(copyView(['0a04', '0a03']));
      expect(fleet.expiringCertificates(iso(250), 10)).toEqual({ total: 1, rows: copyView(['0a03']) });

      // A revocation after the migration: the state changes, the bodies stay.
      expect([...ca.markRevokedMany('ca-a', ['0a01', '0a02'], iso(10), 'keyCompromise')]).toEqual([['0a01', 'r1']]);
      expect([...fleet.revokeActiveCertificates(['0a01', '0a02'])]).toEqual(['0a01']);
      expect(ca.getCert('ca-a', '0a01')).toEqual({ ...caView(['0a01'])[0], revokedAt: iso(10), revocationReason: 'keyCompromise' });
      expect(fleet.getCertificate('0a01')).toEqual({ ...copyView(['0a01'])[0], status: 'revoked' });

      // A certificate issued after it: written with its body, read back whole.
      const row = { caId: 'ca-a', serial: '0b01', deviceId: 'r2', subject: 'CN=r2', notBefore: iso(10), notAfter: iso(500), certDer: Buffer.from('der-new'), issuedAt: iso(10), revokedAt: null, revocationReason: null };
      ca.insertCert(row);
      fleet.insertCertificate({ serial: '0b01', deviceId: 'r2', subject: 'CN=r2', notBefore: iso(10), notAfter: iso(500), status: 'active', pem: 'pem-new' });
      expect(ca.getCert('ca-a', '0b01')).toEqual(row);
      expect(fleet.getCertificate('0b01')?.pem).toBe('pem-new');
      // The rows a revocation rewrites hold no body any more.
      const columns = (table: string) => (store.db.prepare(`SELECT * FROM ${table} LIMIT 1`).columns() as Array<{ name: string }>).map((c) => c.name);
      expect(columns('fleet_certificates')).not.toContain('cert_der');
      expect(columns('robot_certificates')).not.toContain('pem');
    } finally {
      store.close();
    }
  });
});
