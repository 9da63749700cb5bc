// Revoking a compromised fleet CA in batches (issues 14/15; docs/fleet-ca.md, "Replacing and revoking the CA";
// docs/audit-log.md, "Batch records"): ca:revoke (guarded: alice asks, a second officer approves) and the emergency
// playbook's revoke_ca (break-glass) revoke every still-valid certificate of the CA in one transaction with its final
// CRL, writing ONE ca.revoke.batch record per 1,000 serials (trigger ca_revoke, the run id for the playbook) and no
// per-certificate ca.revoke or robot.certificate.revoke record. Checked against the table: the final CRL as openssl
// reads it lists exactly the CA's certificates; the records name exactly them, each with its robot; the registry
// copies are revoked; the CA is compromised and its robots flagged; the compliance report and the audit viewer's text
// count each certificate once. A failure in the middle of the second batch (a SQLite trigger) leaves nothing revoked.
import { afterAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { createRouter } from '../../electron/ipc/router.ts';
import { detailsText, LIST_SHOWN } from '../../renderer/src/audit/detailsText.ts';
import { benchDeviceId } from '../bench/fleetSeed.ts';
import { CTX, PASSPHRASE, removeTempDirs, withRawDb } from '../unit/store-testkit.ts';
import { auditOf, crlSerials, fleetFailingAt, fleetWithCertificates, range, reopen, reportFigure, serialOf } from './batch-revocation-kit.ts';

afterAll(() => removeTempDirs());

const BOB = { name: 'Bob', passphrase: 'Bob has a long passphrase too' };

async function signIn(c: FleetConsole, operator: string, passphrase: string): Promise<void> {
  await c.handlers['session:lock']({}, CTX);
  await c.handlers['session:unlock']({ operator, passphrase }, CTX);
}

type How = 'ca:revoke' | 'revoke_ca';
interface Revoked {
  crlPem: string;
  crlNumber: number;
  runId: string | undefined;
}

/**
 * Revokes the current CA as `how` says: ca:revoke through the router (its guard asks for a second officer: Bob
 * approves alice's request, alice executes it), or an emergency run with revoke_ca (break-glass). Rejects when it failed.
 */
async function revokeCa(c: FleetConsole, how: How): Promise<Revoked> {
  if (how === 'revoke_ca') {
    const out = await c.handlers['emergency:execute'](
      { scope: { kind: 'fleet' }, actions: ['revoke_ca'], reason: 'CA key leaked', breakGlass: { reason: 'no second officer in a test' } },
      CTX,
    );
    const step = out.run!.steps[0]!;
    if (step.state !== 'done') throw Object.assign(new Error('revoke_ca failed'), { run: out.run });
    return { crlPem: String(step.detail.crlPem), crlNumber: Number(step.detail.crlNumber), runId: out.run!.runId };
  }
  await c.handlers['operators:add']({ name: BOB.name, role: 'security_officer', passphrase: BOB.passphrase }, CTX);
  const router = createRouter({ handlers: c.handlers, access: c.access });
  const asked = await router.route({ channel: 'ca:revoke', input: { reason: 'CA key leaked' }, ctx: CTX, trustedSender: true });
  expect(asked).toMatchObject({ ok: false, error: { code: 'approval_required' } });
  const requestId = String(!asked.ok ? asked.error.details?.requestId : '');
  await signIn(c, BOB.name, BOB.passphrase);
  await c.handlers['approvals:approve']({ requestId }, CTX);
  await signIn(c, 'alice', PASSPHRASE);
  const result = (await c.handlers['approvals:execute']({ requestId }, CTX)).result as { finalCrl: { pem: string; crlNumber: number } };
  return { crlPem: result.finalCrl.pem, crlNumber: result.finalCrl.crlNumber, runId: undefined };
}

const caOf = async (c: FleetConsole) => (await c.handlers['ca:history']({}, CTX)).cas[0]!;

// [certificates of the CA, the batch records' sizes in order (1,000 serials a record at most)]
const TABLE: Array<[number, number[]]> = [
  [1, [1]],
  [1000, [1000]],
  [1001, [1000, 1]],
];

describe.each<How>(['ca:revoke', 'revoke_ca'])('revoking the fleet CA through %s', (how) => {
  it.each(TABLE)('%i certificates: revoked in one transaction with one ca.revoke.batch record per batch (%j)', async (n, sizes) => {
    const { dir, c } = await fleetWithCertificates(n);
    const expected = range(n).map(serialOf);
    try {
      const caId = (await caOf(c)).id;
      const out = await revokeCa(c, how);
      // The final CRL as openssl reads it: exactly the CA's certificates.
      expect(crlSerials(out.crlPem)).toEqual(expected.map((s) => s.toUpperCase()).sort());

      const batches = auditOf(c, 'ca.revoke.batch');
      expect(batches.map((r) => r.details.count)).toEqual(sizes);
      // Each serial in exactly one record, with its own robot beside it.
      const named = batches.flatMap((r) => {
        const devices = String(r.details.deviceList).split(' ');
        return String(r.details.serialList).split(' ').map((serial, i) => [serial, devices[i]]);
      });
      expect(named.sort()).toEqual(range(n).map((i) => [serialOf(i), benchDeviceId(i)]).sort());
      for (const [i, r] of batches.entries()) {
        expect(r).toMatchObject({
          outcome: 'success', targetId: caId,
          details: { trigger: 'ca_revoke', caId, reason: 'cACompromise', crlNumber: out.crlNumber, batch: i + 1, batches: sizes.length, registryCopies: sizes[i], alreadyRevoked: 0 },
        });
        expect(r.details.runId).toBe(out.runId);
        // The audit viewer's cell names the batch's count once it shortens the list.
        const text = detailsText(r.details);
        if (sizes[i]! > LIST_SHOWN) expect(text).toContain(`(${sizes[i]} in all)`);
        else expect(text).toContain(`serialList=${String(r.details.serialList)}`);
      }
      // No per-certificate records; the CRL recorded once, after the batches.
      expect([auditOf(c, 'ca.revoke').length, auditOf(c, 'robot.certificate.revoke').length]).toEqual([0, 0]);
      const crlRecords = auditOf(c, 'ca.crl.publish').filter((r) => r.details.crlNumber === out.crlNumber);
      expect(crlRecords.map((r) => [r.outcome, r.details.revoked, r.details.trigger])).toEqual([['success', n, 'ca_compromise']]);
      expect(crlRecords[0]!.seq).toBeGreaterThan(batches.at(-1)!.seq);
      expect(auditOf(c, 'ca.compromise')).toMatchObject([{ outcome: 'success', targetId: caId, details: { revoked: n, flagged: n } }]);
      // The CA is compromised, every robot flagged for a new certificate.
      expect((await caOf(c)).state).toBe('compromised');
      const renewals = (await c.handlers['ca:history']({}, CTX)).renewals;
      expect(renewals.filter((r) => r.caId === caId && r.reason === 'ca_compromised')).toHaveLength(n);
      // The compliance report counts each certificate once.
      expect(await reportFigure(c, 'Certificate revocations')).toBe(String(n));
      expect(c.audit.verify().ok).toBe(true);
    } finally {
      c.close();
    }
    withRawDb(dir, (db) => {
      expect(db.prepare("SELECT COUNT(*) FROM fleet_certificates WHERE revoked_at IS NOT NULL AND revocation_reason = 'cACompromise'").pluck().get()).toBe(n);
      expect(db.prepare("SELECT COUNT(*) FROM robot_certificates WHERE status = 'revoked'").pluck().get()).toBe(n);
    });
  });

  it('a failure in the middle of the second batch leaves nothing revoked, the CA current', async () => {
    const n = 1500;
    const dir = await fleetFailingAt(n, `BEFORE UPDATE OF revoked_at ON fleet_certificates WHEN NEW.serial = '${serialOf(1200)}'`);
    const c = await reopen(dir);
    try {
      const caId = (await caOf(c)).id;
      await expect(revokeCa(c, how)).rejects.toThrow();
      expect(auditOf(c, 'ca.revoke.batch')).toEqual([]);
      expect(auditOf(c, 'ca.crl.publish').filter((r) => r.outcome === 'success')).toEqual([]);
      expect(auditOf(c, 'ca.compromise')).toMatchObject([{ outcome: 'failure', targetId: caId }]);
      expect((await caOf(c)).state).toBe('current');
      expect((await c.handlers['ca:history']({}, CTX)).renewals).toEqual([]);
    } finally {
      c.close();
    }
    withRawDb(dir, (db) => {
      expect(db.prepare('SELECT COUNT(*) FROM fleet_certificates WHERE revoked_at IS NOT NULL').pluck().get()).toBe(0);
      expect(db.prepare("SELECT COUNT(*) FROM robot_certificates WHERE status = 'revoked'").pluck().get()).toBe(0);
      expect(db.prepare('SELECT COUNT(*) FROM fleet_ca_transitions').pluck().get()).toBe(0);
    });
  });
});
