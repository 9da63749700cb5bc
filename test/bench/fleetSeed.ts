// Seeding for the emergency benchmarks: robots of one site, each with one certificate of the store's fleet CA (the
// CA's row and the registry's copy) and optionally a key holding, written through the repositories in one transaction
// while no console holds the store. The certificate body is never parsed on the revocation path (CRLs list serials).
import Database from 'better-sqlite3';
import { createFleetCaRepo } from '../../electron/store/fleetCaRepo.ts';
import { createFleetRepo } from '../../electron/store/fleetRepo.ts';

export const benchDeviceId = (i: number) => `bench-${String(i).padStart(6, '0')}`;

export function seedSiteWithCertificates(storePath: string, robots: number, serialOf: (i: number) => string, keyOf?: (i: number) => string): void {
  const db = new Database(storePath);
  try {
    const fleet = createFleetRepo(db);
    const ca = createFleetCaRepo(db);
    const caId = ca.currentCaId();
    if (caId === null) throw new Error('seed: the store has no fleet CA');
    const at = new Date().toISOString();
    const notAfter = new Date(Date.now() + 365 * 86_400_000).toISOString();
    db.transaction(() => {
      fleet.ensureSite('Bench Site', at);
      fleet.ensureModel('UV-B', at);
      for (let i = 1; i <= robots; i++) {
        const deviceId = benchDeviceId(i);
        const serial = serialOf(i);
        fleet.insert({ deviceId, name: `Unit ${i}`, site: 'Bench Site', model: 'UV-B', firmware: '1.0.0', tags: [], status: 'deployed', statusReason: null, lastSeen: null, createdAt: at, updatedAt: at });
        if (keyOf) fleet.upsertKeyVersion({ deviceId, keyId: keyOf(i), version: 1, source: 'provisioning', recordedAt: at });
        ca.insertCert({ caId, serial, deviceId, subject: `CN=${deviceId}`, notBefore: at, notAfter, certDer: Buffer.from('bench'), issuedAt: at, revokedAt: null, revocationReason: null });
        fleet.insertCertificate({ serial, deviceId, subject: `CN=${deviceId}`, notBefore: at, notAfter, status: 'active', pem: 'bench' });
      }
    })();
  } finally {
    db.close();
  }
}
