// Revoking a robot (fleet:setStatus to revoked) audits its certificates' revocation as the emergency run does when it
// revokes more than one at once (docs/audit-log.md, "Batch records"): one ca.revoke.batch record naming every serial,
// the robot of each and the CRL number, counting the registry copies; a robot's only certificate keeps one clear
// ca.revoke record (and its registry copy's robot.certificate.revoke). Every revoked serial is named by exactly one
// record, and the CRL openssl reads back lists them all. Robots and certificates seeded through the repositories while
// no console holds the store (batch-revocation-kit.ts), with a real local fleet CA.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { createFleetCaRepo } from '../../electron/store/fleetCaRepo.ts';
import { createFleetRepo } from '../../electron/store/fleetRepo.ts';
import { benchDeviceId } from '../bench/fleetSeed.ts';
import { CTX, dbFile, removeTempDirs } from '../unit/store-testkit.ts';
import { auditOf, crlSerials, fleetWithCertificates, reopen, serialOf } from './batch-revocation-kit.ts';

afterAll(() => removeTempDirs());

/** The extra certificates a robot gets besides fleetWithCertificates' one (serialOf(robot)). */
const extraSerial = (robot: number, k: number) => `4e${String(robot).padStart(4, '0')}${String(k).padStart(26, '0')}`;

// [robot, extra certificates, the records its revocation writes]
const TABLE: Array<[number, number, 'ca.revoke' | 'ca.revoke.batch']> = [
  [1, 0, 'ca.revoke'],
  [2, 1, 'ca.revoke.batch'],
  [3, 4, 'ca.revoke.batch'],
];

describe('revoking a robot with several certificates writes one batch record', () => {
  let c: FleetConsole;
  let caId: string;

  beforeAll(async () => {
    const made = await fleetWithCertificates(TABLE.length);
    made.c.close();
    const db = new Database(dbFile(made.dir));
    try {
      const ca = createFleetCaRepo(db);
      const fleet = createFleetRepo(db);
      caId = ca.currentCaId()!;
      const at = new Date().toISOString();
      const notAfter = new Date(Date.now() + 30 * 86_400_000).toISOString();
      for (const [robot, extra] of TABLE) {
        for (let k = 1; k <= extra; k++) {
          const serial = extraSerial(robot, k);
          const deviceId = benchDeviceId(robot);
          ca.insertCert({ caId, serial, deviceId, subject: `CN=${deviceId}`, notBefore: at, notAfter, certDer: Buffer.from('test'), issuedAt: at, revokedAt: null, revocationReason: null });
          fleet.insertCertificate({ serial, deviceId, subject: `CN=${deviceId}`, notBefore: at, notAfter, status: 'active', pem: 'test' });
        }
      }
    } finally {
      db.close();
    }
    c = await reopen(made.dir);
  });
  afterAll(() => c?.close());

  it.each(TABLE)('robot %i with %i more certificate(s): %s, every serial named once, all on the CRL', async (robot, extra, kind) => {
    const deviceId = benchDeviceId(robot);
    const serials = [serialOf(robot), ...Array.from({ length: extra }, (_, k) => extraSerial(robot, k + 1))].sort();
    const before = { single: auditOf(c, 'ca.revoke').length, batch: auditOf(c, 'ca.revoke.batch').length, copy: auditOf(c, 'robot.certificate.revoke').length };
    const out = await c.handlers['fleet:setStatus']({ deviceId, status: 'revoked', reason: 'stolen', certificateReason: 'keyCompromise' }, CTX);
    expect([...out.revocation!.revokedSerials].sort()).toEqual(serials);
    const crl = out.revocation!.crl!;
    expect(crlSerials(crl.pem)).toEqual(expect.arrayContaining(serials.map((s) => s.toUpperCase())));

    const single = auditOf(c, 'ca.revoke').slice(before.single);
    const batch = auditOf(c, 'ca.revoke.batch').slice(before.batch);
    const copies = auditOf(c, 'robot.certificate.revoke').slice(before.copy);
    if (kind === 'ca.revoke') {
      expect(batch).toEqual([]);
      expect(single.map((r) => [r.outcome, r.targetId, r.details.serial, r.details.reason])).toEqual([['success', deviceId, serials[0], 'keyCompromise']]);
      expect(copies.map((r) => r.details.serial)).toEqual(serials);
    } else {
      expect([single, copies]).toEqual([[], []]);
      expect(batch).toHaveLength(1);
      expect(batch[0]).toMatchObject({
        outcome: 'success', targetId: caId,
        details: { trigger: 'robot_revocation', deviceId, caId, reason: 'keyCompromise', crlNumber: crl.crlNumber, count: serials.length, registryCopies: serials.length, alreadyRevoked: 0, batch: 1, batches: 1 },
      });
      expect(String(batch[0]!.details.serialList).split(' ').sort()).toEqual(serials);
      expect(String(batch[0]!.details.deviceList).split(' ')).toEqual(serials.map(() => deviceId));
    }
    // Nothing of the robot is left valid, in the CA or the registry.
    expect((await c.handlers['fleet:revocationPlan']({ deviceId }, CTX)).certificates).toEqual([]);
    expect(c.audit.verify().ok).toBe(true);
  });
});
