// Stores for the revocation rule tests (robot-revocation-rules, ca-transition-rules): a real console over a real store
// with a local fleet CA, a manual clock at a time with milliseconds, and robots and certificates seeded through the
// repositories while no console holds the store; the CRL read from its DER (RFC 5280 5.1) and the audit read back.
// A seeded certificate of the CA needs a registry row (active or revoked): one without any is an abandoned provisioning
// session's, which the station's sweep revokes at unlock.
import Database from 'better-sqlite3';
import 'reflect-metadata';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { afterAll, afterEach } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { createFleetCaRepo } from '../../electron/store/fleetCaRepo.ts';
import { createFleetRepo } from '../../electron/store/fleetRepo.ts';
import { isConsoleError } from '../../shared/errors.ts';
import { CTX, dbFile, open, openUnlocked, PASSPHRASE, removeTempDirs, tempDir } from './store-testkit.ts';

export const DAY = 86_400_000;
// A clock time with milliseconds: the revocation time is its whole second (docs/fleet-ca.md: whole seconds).
export const T0 = Date.parse('2026-12-06T08:30:15.789Z');
export const T0_SECOND = '2026-12-06T08:30:15.000Z';
/** RFC 5280 5.3.1 CRLReason codes of the reasons used here. */
export const REASON_CODE = { keyCompromise: 1, cACompromise: 2, superseded: 4, privilegeWithdrawn: 9 } as const;

/** 16-byte serials, lower-case hex, as the CA makes them. */
export const serial = (n: number) => `5a${String(n).padStart(30, '0')}`;
/** The local provider's id (docs/providers.md, `local-kms`): the CA's key is there. */
export const LOCAL = 'local-kms';
export const iso = (ms: number) => new Date(ms).toISOString();

/** A seeded certificate: in the CA (valid, revoked or absent) and in the registry (active, revoked or absent). */
export interface Seed { deviceId: string; serial: string; days: number; ca: 'valid' | 'revoked' | 'none'; registry: 'active' | 'revoked' | 'none'; caId?: string }

const consoles: FleetConsole[] = [];
afterEach(() => {
  for (const c of consoles.splice(0)) c.close();
});
afterAll(() => removeTempDirs());

export type MemoryLogger = ReturnType<typeof createMemoryLogger>;
export interface Rig { c: FleetConsole; dir: string; clock: ReturnType<typeof manualClock>; logger: MemoryLogger; caId: string }

export async function reopen(rig: Omit<Rig, 'c' | 'caId'>): Promise<FleetConsole> {
  const c = await open(rig.dir, { clock: rig.clock, logger: rig.logger, rotation: { scheduler: false } });
  consoles.push(c);
  await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
  return c;
}

/** Seeds robots and certificates while no console holds the store (the current CA's unless a seed names one). */
export function seed(dir: string, robots: Array<[string, string]>, certs: Seed[]): void {
  const db = new Database(dbFile(dir));
  try {
    const fleet = createFleetRepo(db);
    const ca = createFleetCaRepo(db);
    const at = iso(T0 - 30 * DAY);
    db.transaction(() => {
      fleet.ensureSite('Plant 1', at);
      fleet.ensureModel('UV-7', at);
      for (const [deviceId, status] of robots) {
        fleet.insert({ deviceId, name: deviceId, site: 'Plant 1', model: 'UV-7', firmware: '1.0.0', tags: [], status: status as 'provisioned', statusReason: null, lastSeen: null, createdAt: at, updatedAt: at });
      }
      for (const s of certs) {
        const notAfter = iso(T0 + s.days * DAY);
        if (s.ca !== 'none') {
          ca.insertCert({
            caId: s.caId ?? ca.currentCaId()!, serial: s.serial, deviceId: s.deviceId, subject: `CN=${s.deviceId}`, notBefore: at, notAfter, certDer: Buffer.from('seeded'), issuedAt: at,
            revokedAt: s.ca === 'revoked' ? at : null, revocationReason: s.ca === 'revoked' ? 'superseded' : null,
          });
        }
        if (s.registry !== 'none') fleet.insertCertificate({ serial: s.serial, deviceId: s.deviceId, subject: `CN=${s.deviceId}`, notBefore: at, notAfter, status: s.registry, pem: 'seeded' });
      }
    })();
  } finally {
    db.close();
  }
}

/** A store with a local fleet CA, the robots (device id, status) and the certificates seeded; unlocked at T0. */
export async function rig(robots: Array<[string, string]>, certs: Seed[]): Promise<Rig> {
  const dir = tempDir('ecps-revocation-rules-');
  const clock = manualClock(T0 - 60 * DAY);
  const logger = createMemoryLogger();
  const first = await openUnlocked(dir, { clock, logger, rotation: { scheduler: false } });
  await first.handlers['ca:init']({ providerId: 'local', algorithm: 'EC_P256', commonName: 'Revocation Rules CA' }, CTX);
  first.close();
  seed(dir, robots, certs);
  clock.set(T0);
  const c = await reopen({ dir, clock, logger });
  const caId = (await c.handlers['ca:history']({}, CTX)).cas[0]!.id;
  return { c, dir, clock, logger, caId };
}

/** The CRL's number, update times and entries (serial, revocation date, reason code), read from its DER (RFC 5280 5.1). */
export function crlEntries(pem: string): { number: number; thisUpdate: string; nextUpdate: string; entries: Array<[string, string, number | null]> } {
  const tbs = AsnConvert.parse(Buffer.from(pem.replace(/-----[A-Z0-9 ]+-----|\s/g, ''), 'base64'), asn1X509.CertificateList).tbsCertList;
  const numberExt = tbs.crlExtensions?.find((e) => e.extnID === asn1X509.id_ce_cRLNumber);
  return {
    number: Number(AsnConvert.parse(numberExt!.extnValue.buffer, asn1X509.CRLNumber).value),
    thisUpdate: tbs.thisUpdate.getTime().toISOString(),
    nextUpdate: tbs.nextUpdate?.getTime().toISOString() ?? '',
    entries: (tbs.revokedCertificates ?? []).map((r) => {
      const reasonExt = r.crlEntryExtensions?.find((e) => e.extnID === asn1X509.id_ce_cRLReasons);
      return [Buffer.from(r.userCertificate).toString('hex'), r.revocationDate.getTime().toISOString(), reasonExt ? Buffer.from(reasonExt.extnValue.buffer).at(-1)! : null];
    }),
  };
}

export const records = (c: FleetConsole, action: string) => c.audit.query({ action, offset: 0, limit: 100 }).records.reverse();

export async function failure(p: Promise<unknown>): Promise<{ code: string; message: string; details: Record<string, unknown> | undefined }> {
  try {
    await p;
  } catch (e) {
    if (isConsoleError(e)) return { code: e.code, message: e.message, details: e.details };
    throw e;
  }
  throw new Error('expected a ConsoleError');
}
