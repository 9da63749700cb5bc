// Emergency revocation in batches (issue 15, docs/emergency-response.md "Revoking many certificates"): an emergency run
// over the fleet revokes every certificate in one transaction with ONE ca.revoke.batch audit record per 1,000 serials,
// naming each serial, its robot, the reason and the CRL number; the CRL openssl reads back lists exactly them; the
// compliance report counts each certificate once. A failure in the middle of the second batch (a SQLite trigger that
// aborts the update of one serial) leaves nothing half done: no certificate revoked in the CA or the registry, no batch
// record, no CRL recorded; the retry path then finishes it all. Robots and certificates are seeded through the
// repositories while no console holds the store (test/bench/fleetSeed.ts), with a real local fleet CA.
import { afterAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import type { PackedItems } from '../../electron/services/emergency/emergencyResponse.ts';
import { benchDeviceId } from '../bench/fleetSeed.ts';
import { CTX, removeTempDirs, withRawDb } from '../unit/store-testkit.ts';
import { auditOf, crlSerials, fleetFailingAt, fleetWithCertificates, range, reopen, reportFigure, serialOf } from './batch-revocation-kit.ts';

afterAll(() => removeTempDirs());

type Executed = Awaited<ReturnType<FleetConsole['handlers']['emergency:execute']>>;
type Retried = Awaited<ReturnType<FleetConsole['handlers']['emergency:retry']>>;

/**
 * A run over `n` robots in which the database aborts one update (the trigger `test_abort`, `when`): `failed` checks
 * the run; `between` the store with no console open, before the trigger is dropped; `retried` the retry of the run.
 */
async function failThenRetry(n: number, when: string, run: (c: FleetConsole) => Promise<Executed>, checks: {
  failed(c: FleetConsole, out: Executed): Promise<void>;
  between(dir: string): void;
  retried(c: FleetConsole, out: Retried, runId: string): void;
}): Promise<string> {
  const dir = await fleetFailingAt(n, when);
  let c = await reopen(dir);
  let runId: string;
  try {
    const out = await run(c);
    runId = out.run!.runId;
    await checks.failed(c, out);
  } finally {
    c.close();
  }
  checks.between(dir);
  withRawDb(dir, (db) => db.exec('DROP TRIGGER test_abort'));
  c = await reopen(dir);
  try {
    checks.retried(c, await c.handlers['emergency:retry']({ runId }, CTX), runId);
  } finally {
    c.close();
  }
  return dir;
}

const revokeFleet = (c: FleetConsole) =>
  c.handlers['emergency:execute'](
    { scope: { kind: 'fleet' }, actions: ['revoke_certificates'], reason: 'CA drill', certificateReason: 'cessationOfOperation', breakGlass: { reason: 'no second officer in a test' } },
    CTX,
  );

describe('an emergency run revokes its certificates in batches', () => {
  // [certificates, the batch records' sizes in order (1,000 serials a record at most)]
  const TABLE: Array<[number, number[]]> = [
    [1, [1]],
    [1000, [1000]],
    [2001, [1000, 1000, 1]],
  ];

  it.each(TABLE)('%i certificates: one record per batch (%j), each serial on the CRL and in exactly one record', async (n, sizes) => {
    const { c, dir } = await fleetWithCertificates(n);
    let runId = '';
    try {
      const out = await revokeFleet(c);
      runId = out.run!.runId;
      const step = out.run!.steps[0]!;
      expect([step.action, step.state, step.detail.crlRevoked]).toEqual(['revoke_certificates', 'done', n]);
      const expected = range(n).map(serialOf);
      // The CRL read back by openssl lists exactly the revoked serials.
      expect(crlSerials(String(step.detail.crlPem))).toEqual(expected.map((s) => s.toUpperCase()).sort());
      // Each certificate is its own item, with its robot; emergency:run, read from the store, shows the run as execute
      // answered it, the CRL's PEM included.
      expect(step.detail.items).toEqual(Object.fromEntries(range(n).map((i) => [serialOf(i), { state: 'done', deviceId: benchDeviceId(i) }])));
      expect(await c.handlers['emergency:run']({ runId }, CTX)).toEqual(out.run);

      const batches = auditOf(c, 'ca.revoke.batch');
      expect(batches.map((r) => r.details.count)).toEqual(sizes);
      const listed = batches.flatMap((r) => String(r.details.serialList).split(' '));
      expect(listed).toEqual(expected);
      // Each serial's robot, in the same order.
      expect(batches.flatMap((r) => String(r.details.deviceList).split(' '))).toEqual(range(n).map(benchDeviceId));
      for (const [i, r] of batches.entries()) {
        expect(r).toMatchObject({
          outcome: 'success',
          details: {
            reason: 'cessationOfOperation', crlNumber: step.detail.crlNumber, runId: out.run!.runId, trigger: 'emergency', batch: i + 1, batches: sizes.length,
            registryCopies: sizes[i], alreadyRevoked: 0,
          },
        });
      }
      // No per-certificate records on this path; the CRL recorded once, after the batches.
      expect([auditOf(c, 'ca.revoke').length, auditOf(c, 'robot.certificate.revoke').length]).toEqual([0, 0]);
      const crlRecords = auditOf(c, 'ca.crl.publish');
      expect(crlRecords.map((r) => [r.details.crlNumber, r.details.revoked])).toEqual([[step.detail.crlNumber, n]]);
      expect(crlRecords[0]!.seq).toBeGreaterThan(batches.at(-1)!.seq);
      // The registry's copies are revoked too: nothing active is left in scope.
      expect((await c.handlers['emergency:preview']({ scope: { kind: 'fleet' } }, CTX)).certificates.total).toBe(0);
      // The compliance report counts each certificate once.
      expect(await reportFigure(c, 'Certificate revocations')).toBe(String(n));
      expect(c.audit.verify().ok).toBe(true);
    } finally {
      c.close();
    }
    // The step is stored once, with its outcome: every item, and the CRL named by its CA and number (recorded in
    // fleet_crls), not a second copy of it.
    withRawDb(dir, (db) => {
      const stored = JSON.parse(db.prepare('SELECT detail FROM emergency_run_actions WHERE run_id = ?').pluck().get(runId) as string) as Record<string, unknown> & { packedItems: PackedItems };
      // Packed: the serials in order, each one's robot, one letter per state ('d' done), nothing kept whole.
      expect(stored.items).toBeUndefined();
      expect(stored.packedItems).toEqual({ keys: range(n).map(serialOf), deviceIds: range(n).map(benchDeviceId), states: 'd'.repeat(n), other: {} });
      expect(stored.crlPem).toBeUndefined();
      expect(db.prepare('SELECT COUNT(*) FROM fleet_crls WHERE ca_id = ? AND crl_number = ?').pluck().get(stored.crlCaId, stored.crlNumber)).toBe(1);
    });
  });

  it('a failure in the middle of a batch changes nothing; the retry revokes and audits them all', async () => {
    const n = 1500;
    // Certificate 1,200 (in the second batch) cannot be revoked: the database aborts its update.
    await failThenRetry(n, `BEFORE UPDATE OF revoked_at ON fleet_certificates WHEN NEW.serial = '${serialOf(1200)}'`, revokeFleet, {
      async failed(c, out) {
        const step = out.run!.steps[0]!;
        expect([step.state, out.run!.state]).toEqual(['failed', 'failed']);
        // Nothing half done: no revocation in the CA or the registry, no batch record, no CRL recorded.
        expect(auditOf(c, 'ca.revoke.batch')).toEqual([]);
        expect(auditOf(c, 'ca.crl.publish').filter((r) => r.outcome === 'success')).toEqual([]);
        expect((await c.handlers['emergency:preview']({ scope: { kind: 'fleet' } }, CTX)).certificates.total).toBe(n);
        expect(auditOf(c, 'emergency.action').map((r) => [r.details.step, r.outcome, r.details.failed])).toEqual([['revoke_certificates', 'failure', n]]);
      },
      between: (dir) => withRawDb(dir, (db) => {
        // The list of certificates the action worked through is kept with its failure: the retry finishes it.
        const stored = JSON.parse(db.prepare('SELECT detail FROM emergency_run_actions').pluck().get() as string) as { packedItems: PackedItems };
        // Every item failed ('f'), each kept whole in `other` with its robot and the failure's code.
        expect(stored.packedItems.keys).toEqual(range(n).map(serialOf));
        expect(stored.packedItems.states).toBe('f'.repeat(n));
        expect(Object.keys(stored.packedItems.other).sort()).toEqual(range(n).map(serialOf));
        expect(stored.packedItems.other[serialOf(1)]).toMatchObject({ state: 'failed', deviceId: benchDeviceId(1) });
        expect(db.prepare('SELECT COUNT(*) FROM fleet_certificates WHERE revoked_at IS NOT NULL').pluck().get()).toBe(0);
        expect(db.prepare("SELECT COUNT(*) FROM robot_certificates WHERE status = 'revoked'").pluck().get()).toBe(0);
      }),
      retried(c, retried, runId) {
        const step = retried.run!.steps[0]!;
        expect([step.state, retried.run!.state, step.detail.crlRevoked]).toEqual(['done', 'done', n]);
        expect(crlSerials(String(step.detail.crlPem))).toEqual(range(n).map((i) => serialOf(i).toUpperCase()).sort());
        const batches = auditOf(c, 'ca.revoke.batch');
        expect(batches.map((r) => r.details.count)).toEqual([1000, 500]);
        expect(batches.flatMap((r) => String(r.details.serialList).split(' '))).toEqual(range(n).map(serialOf));
        expect(batches.every((r) => r.details.runId === runId && r.details.crlNumber === step.detail.crlNumber)).toBe(true);
      },
    });
  });
});

describe('an emergency run quarantines its robots in batches', () => {
  const quarantineFleet = (c: FleetConsole) =>
    c.handlers['emergency:execute']({ scope: { kind: 'fleet' }, actions: ['quarantine'], reason: 'site breach', breakGlass: { reason: 'no second officer in a test' } }, CTX);
  const quarantined = (dir: string) => withRawDb(dir, (db) => db.prepare("SELECT device_id FROM robots WHERE status = 'quarantined' ORDER BY device_id").pluck().all());

  // [robots, the batch records' sizes in order (1,000 robots a record at most)]
  const TABLE: Array<[number, number[]]> = [
    [3, [3]],
    [1001, [1000, 1]],
  ];
  it.each(TABLE)('%i robots: one robot.status.batch record per batch (%j) naming exactly them', async (n, sizes) => {
    const { dir, c } = await fleetWithCertificates(n);
    try {
      const out = await quarantineFleet(c);
      expect([out.run!.steps[0]!.state, out.run!.state]).toEqual(['done', 'done']);
      const batches = auditOf(c, 'robot.status.batch');
      expect(batches.map((r) => r.details.count)).toEqual(sizes);
      expect(batches.flatMap((r) => String(r.details.deviceList).split(' '))).toEqual(range(n).map(benchDeviceId));
      expect(batches.flatMap((r) => String(r.details.fromList).split(' '))).toEqual(range(n).map(() => 'deployed'));
      for (const r of batches) expect(r.details).toMatchObject({ to: 'quarantined', runId: out.run!.runId, reason: expect.stringContaining('site breach') });
      expect(auditOf(c, 'robot.status')).toEqual([]);
      expect(await reportFigure(c, 'Robots revoked or quarantined')).toBe(String(n));
    } finally {
      c.close();
    }
    expect(quarantined(dir)).toEqual(range(n).map(benchDeviceId));
  });

  it('a batch that fails changes none of its robots; the others are done; the retry finishes it', async () => {
    const n = 1500;
    // Robot 1,200 (second batch) cannot be updated.
    const dir = await failThenRetry(n, `BEFORE UPDATE OF status ON robots WHEN NEW.device_id = '${benchDeviceId(1200)}'`, quarantineFleet, {
      async failed(c, out) {
        expect(out.run!.state).toBe('failed');
        expect(out.run!.steps[0]!.errorMessage).toContain('500 of 1500 failed');
        expect(auditOf(c, 'robot.status.batch').map((r) => r.details.count)).toEqual([1000]);
      },
      // The first batch whole, nothing of the second.
      between: (d) => expect(quarantined(d)).toEqual(range(1000).map(benchDeviceId)),
      retried(c, retried) {
        expect(retried.run!.state).toBe('done');
        const batches = auditOf(c, 'robot.status.batch');
        expect(batches.map((r) => r.details.count)).toEqual([1000, 500]);
        expect(String(batches[1]!.details.deviceList).split(' ')).toEqual(range(500).map((i) => benchDeviceId(1000 + i)));
      },
    });
    expect(quarantined(dir)).toEqual(range(n).map(benchDeviceId));
  });
});
