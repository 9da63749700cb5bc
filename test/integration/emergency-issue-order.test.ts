// An emergency run revokes its certificates in the order the CA issued them (docs/emergency-response.md "Revoking many
// certificates"): a real CA's serials are random, so rows inserted in issue order lie out of serial order, and the run
// takes them in issue order (500 to an UPDATE, 1,000 to a ca.revoke.batch record) so each statement's rows lie on few
// pages. Here 1,200 certificates are issued one second apart with serials that are a permutation of their issue order
// (serial i*389 mod 1201, written below); two were revoked one by one before the run. The run must revoke exactly the
// 1,198 others, in the CA and in the registry, name them in its batch records in issue order, and the CRL openssl reads
// back must list all 1,200. The last 200 have their registry copy revoked but the CA's row valid: the run lists them
// from the CA's rows, after the active copies, in issue order too.
import { afterAll, describe, expect, it } from 'vitest';
import { benchDeviceId, seedSiteWithCertificates } from '../bench/fleetSeed.ts';
import { CTX, dbFile, openUnlocked, removeTempDirs, tempDir, withRawDb } from '../unit/store-testkit.ts';
import { auditOf, crlSerials, range, reopen } from './batch-revocation-kit.ts';

afterAll(() => removeTempDirs());

const N = 1200;
/** The i-th issued certificate's serial: i*389 mod 1201 (1201 is prime, so 1..1200 map to 1..1200, scrambled). */
const serialOf = (i: number) => `5b${String((i * 389) % 1201).padStart(30, '0')}`;
/** Issued one second apart, the first N+60 seconds ago. */
const T0 = Date.now() - (N + 60) * 1000;
const issuedAtOf = (i: number) => T0 + i * 1000;
/** Revoked one by one (keyCompromise) before the run. */
const EARLIER = [5, 700];
/** Certificates from this one on have their registry copy revoked, their CA row valid. */
const UNCOPIED = 1001;

describe('an emergency run over certificates inserted out of serial order', () => {
  it('revokes exactly the valid ones, in issue order, in the CA and the registry; the CRL lists them all', async () => {
    // The table is what the test relies on: not in serial order, and a permutation (no serial twice).
    const serials = range(N).map(serialOf);
    expect(new Set(serials).size).toBe(N);
    expect(serials.slice(0, 4)).toEqual([
      '5b000000000000000000000000000389',
      '5b000000000000000000000000000778',
      '5b000000000000000000000000001167',
      '5b000000000000000000000000000355',
    ]);

    const dir = tempDir('ecps-issue-order-');
    let c = await openUnlocked(dir);
    await c.handlers['ca:init']({ providerId: 'local', algorithm: 'EC_P256', commonName: 'Issue Order CA' }, CTX);
    c.close();
    seedSiteWithCertificates(dbFile(dir), N, serialOf, undefined, issuedAtOf);
    const uncopied = range(N).filter((i) => i >= UNCOPIED).map(serialOf);
    withRawDb(dir, (db) => {
      const revokeCopy = db.prepare("UPDATE robot_certificates SET status = 'revoked' WHERE serial = ?");
      for (const s of uncopied) expect(revokeCopy.run(s).changes).toBe(1);
    });
    c = await reopen(dir);
    try {
      for (const i of EARLIER) await c.handlers['certs:revoke']({ serial: serialOf(i), reason: 'keyCompromise' }, CTX);
      const out = await c.handlers['emergency:execute'](
        { scope: { kind: 'fleet' }, actions: ['revoke_certificates'], reason: 'issue order drill', certificateReason: 'cessationOfOperation', breakGlass: { reason: 'no second officer in a test' } },
        CTX,
      );
      const step = out.run!.steps[0]!;
      expect([step.action, step.state]).toEqual(['revoke_certificates', 'done']);
      const inRun = range(N).filter((i) => !EARLIER.includes(i));
      // The batch records name the run's serials (and their robots) in issue order, those with an active registry copy
      // first (998 of them), then those listed from the CA's rows: 1,000 then 198.
      const batches = auditOf(c, 'ca.revoke.batch');
      expect(batches.map((r) => r.details.count)).toEqual([1000, 198]);
      expect(batches.flatMap((r) => String(r.details.serialList).split(' '))).toEqual(inRun.map(serialOf));
      expect(batches.flatMap((r) => String(r.details.deviceList).split(' '))).toEqual(inRun.map(benchDeviceId));
      expect(batches.map((r) => r.details.registryCopies)).toEqual([998, 0]);
      // The CRL read back by openssl lists all 1,200: the run's and the two revoked before.
      expect(crlSerials(String(step.detail.crlPem))).toEqual(serials.map((s) => s.toUpperCase()).sort());
      expect((await c.handlers['emergency:preview']({ scope: { kind: 'fleet' } }, CTX)).certificates.total).toBe(0);
    } finally {
      c.close();
    }
    // In the store: every CA row revoked, with the reason of the path that revoked it; every registry copy revoked.
    withRawDb(dir, (db) => {
      const rows = db.prepare('SELECT serial, revocation_reason FROM fleet_certificates WHERE revoked_at IS NOT NULL ORDER BY serial').raw(true).all() as Array<[string, string]>;
      const reasonOf = (i: number) => (EARLIER.includes(i) ? 'keyCompromise' : 'cessationOfOperation');
      expect(rows).toEqual(range(N).map((i) => [serialOf(i), reasonOf(i)]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1)));
      expect(db.prepare("SELECT COUNT(*) FROM fleet_certificates WHERE revoked_at IS NULL").pluck().get()).toBe(0);
      expect(db.prepare("SELECT serial FROM robot_certificates WHERE status = 'revoked' ORDER BY serial").pluck().all()).toEqual([...serials].sort());
      expect(db.prepare("SELECT COUNT(*) FROM robot_certificates WHERE status <> 'revoked'").pluck().get()).toBe(0);
    });
  });
});
