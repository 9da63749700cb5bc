// Seeding for the emergency benchmarks: robots of one site, each with one certificate of the store's fleet CA (the
// CA's row and the registry's copy) and optionally a key holding, written through the repositories in one transaction
// while no console holds the store. The certificate body is never parsed on the revocation path (CRLs list serials).
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { createFleetCaRepo } from '../../electron/store/fleetCaRepo.ts';
import { createFleetRepo } from '../../electron/store/fleetRepo.ts';

export const benchDeviceId = (i: number) => `bench-${String(i).padStart(6, '0')}`;

/**
 * Serials 0..count as the fleet CA makes them (fleetCaProfiles.ts randomSerial: 16 bytes, 126 random bits, first byte
 * 0x40..0x7f, lower-case hex), drawn from a fixed seed (`seed`: one per bench, so each bench seeds the same ones at
 * every run and on both sides of an A/B). Sequential serials (the benches' until 2026-12-06) put each IN list's rows on
 * a few neighbouring pages; a real CA's are spread over the table, which is what the revocation's UPDATEs pay for.
 */
export function caLikeSerials(count: number, seed: string): (i: number) => string {
  const serials = Array.from({ length: count + 1 }, (_, i) => {
    const b = createHash('sha256').update(`${seed} ${i}`).digest().subarray(0, 16);
    b[0] = (b[0]! & 0x3f) | 0x40;
    return b.toString('hex');
  });
  return (i) => serials[i]!;
}

/**
 * For seedSiteWithCertificates' `issuedAtOf`: certificate i of `count` issued one second after the one before, the
 * last a minute before `now` (the CA stamps each as it signs, one at a time).
 */
export const issuedOneASecond = (count: number, now = Date.now()) => (i: number) => now - (count - i) * 1000 - 60_000;

/**
 * BENCH_CERT_BODY_BYTES=N: each certificate's body N bytes (the DER; the registry's PEM its base64 in PEM lines), as a
 * real certificate's size weighs on the store's pages (a P-256 device certificate's DER is ~500-700 bytes). Unset: the
 * 5-byte placeholder the benchmarks' history was measured with.
 */
const BODY_BYTES = Number(process.env.BENCH_CERT_BODY_BYTES ?? 0);
const bodyOf = (i: number): { der: Buffer; pem: string } => {
  if (!(BODY_BYTES > 0)) return { der: Buffer.from('bench'), pem: 'bench' };
  const der = Buffer.alloc(BODY_BYTES, i % 251);
  der.writeUInt32BE(i, 0);
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return { der, pem: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n` };
};

/**
 * `issuedAtOf(i)`: the i-th certificate's issue time (ms since the epoch; its notBefore the whole second, its issued_at
 * the instant, its notAfter a year on), as a CA issuing one at a time stamps them. Unset: every certificate now.
 */
export function seedSiteWithCertificates(
  storePath: string,
  robots: number,
  serialOf: (i: number) => string,
  keyOf?: (i: number) => string,
  issuedAtOf?: (i: number) => number,
): void {
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
        const body = bodyOf(i);
        const issued = issuedAtOf?.(i);
        const certAt = issued === undefined ? at : new Date(issued).toISOString();
        const notBefore = issued === undefined ? at : new Date(Math.floor(issued / 1000) * 1000).toISOString();
        const certNotAfter = issued === undefined ? notAfter : new Date(Math.floor(issued / 1000) * 1000 + 365 * 86_400_000).toISOString();
        ca.insertCert({ caId, serial, deviceId, subject: `CN=${deviceId}`, notBefore, notAfter: certNotAfter, certDer: body.der, issuedAt: certAt, revokedAt: null, revocationReason: null });
        fleet.insertCertificate({ serial, deviceId, subject: `CN=${deviceId}`, notBefore, notAfter: certNotAfter, status: 'active', pem: body.pem });
      }
    })();
  } finally {
    db.close();
  }
}
