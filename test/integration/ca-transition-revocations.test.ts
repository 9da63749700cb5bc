// Revocations during a CA transition (issues 14/15; docs/fleet-ca.md, "Revocations during a transition"): after a
// replacement a robot may hold a still-valid certificate of the retired CA beside the new CA's. certs:revoke, revoking
// the robot (fleet:setStatus to revoked) and the emergency playbook (revoke_certificates) revoke every one of them,
// each in its own CA's CRL, signed by that CA's key (checked with openssl against each CA certificate), and audited
// per CA. One operator (an admin alone): ca:replace runs without a second approver (docs/two-person-control.md).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { openssl, robotCsr, writeFile } from './fleetca-kit.ts';
import { contractCaller } from './support/consoleCalls.ts';
import { CTX, open, PASSPHRASE, removeTempDirs, tempDir } from '../unit/store-testkit.ts';

type How = 'robot' | 'emergency' | 'certs' | 'none';
/**
 * The table: which CAs issued each robot a certificate, how it is revoked, and which of its serials each CA's CRL must
 * list afterwards. uv-t4 is the control: nothing of it may be listed.
 */
const TABLE: Array<{ deviceId: string; old: boolean; fresh: boolean; how: How; inOldCrl: boolean; inNewCrl: boolean }> = [
  { deviceId: 'uv-t1', old: true, fresh: true, how: 'robot', inOldCrl: true, inNewCrl: true },
  { deviceId: 'uv-t2', old: true, fresh: true, how: 'emergency', inOldCrl: true, inNewCrl: true },
  { deviceId: 'uv-t3', old: true, fresh: false, how: 'certs', inOldCrl: true, inNewCrl: false },
  { deviceId: 'uv-t4', old: true, fresh: true, how: 'none', inOldCrl: false, inNewCrl: false },
];

const clock = manualClock(Date.now() - 3600_000);
const dir = tempDir('ecps-ca-trans-revoke-');
const work = tempDir('ecps-ca-trans-revoke-work-');
let c: FleetConsole;
const call = contractCaller(() => c);
const records = (action: string) => c.audit.query({ action, limit: 1000 }).records;
const serials: Record<string, { old?: string; fresh?: string }> = {};
const oldCa = { id: '', pem: '' };
let newCa = { id: '', pem: '' };

async function certify(deviceId: string): Promise<string> {
  const ca = await c.ca.require();
  const issued = await ca.issueDeviceCertificate(robotCsr(work, `/CN=${deviceId}`, 'ec', `${deviceId}-${ca.id.slice(0, 8)}`), { deviceId });
  c.fleet.attachCertificate(deviceId, { serial: issued.serial, subject: `CN=${deviceId}`, notBefore: issued.notBefore, notAfter: issued.notAfter, pem: issued.pem });
  return issued.serial;
}

/** The CRL's text as openssl prints it, after checking it is signed by `caPem`'s key. */
function crlText(name: string, crlPem: string, caPem: string): string {
  const out = openssl(work, ['crl', '-in', writeFile(work, `${name}.crl.pem`, crlPem), '-noout', '-text', '-CAfile', writeFile(work, `${name}-ca.pem`, caPem)]).out;
  expect(out, `${name}: signed by its CA`).toMatch(/verify OK/);
  return out;
}
const listed = (text: string, serial: string) => text.includes(`Serial Number: ${serial.toUpperCase()}`);

beforeAll(async () => {
  c = await open(dir, { clock, rotation: { scheduler: false } });
  await c.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
  oldCa.pem = (await call('ca:init', { providerId: 'local', algorithm: 'EC_P256', commonName: 'Old Fleet CA' })).certificatePem ?? '';
  oldCa.id = (await call('ca:history', {})).cas[0]!.id;
  for (const row of TABLE) {
    await call('fleet:create', { deviceId: row.deviceId, name: row.deviceId, model: 'UV-7', site: 'Plant 1' });
    await call('fleet:setStatus', { deviceId: row.deviceId, status: 'provisioned', reason: 'test fleet' });
    serials[row.deviceId] = { old: await certify(row.deviceId) };
  }
  clock.advance(1000);
  const replaced = await call('ca:replace', { algorithm: 'EC_P256', commonName: 'New Fleet CA', reason: 'planned replacement' });
  newCa = { id: replaced.current.id, pem: replaced.current.certificatePem };
  clock.advance(1000);
  for (const row of TABLE) if (row.fresh) serials[row.deviceId]!.fresh = await certify(row.deviceId);
  clock.advance(1000);
});

afterAll(() => {
  c.close();
  removeTempDirs();
});

describe('revocations during a CA transition reach every CA that issued the robot a certificate', () => {
  it('revoking a robot revokes its certificates of both CAs, each CRL signed by its own CA', async () => {
    const row = TABLE.find((r) => r.how === 'robot')!;
    const plan = await call('fleet:revocationPlan', { deviceId: row.deviceId });
    expect(plan.certificates.map((x) => [x.serial, x.caId]).sort()).toEqual([[serials[row.deviceId]!.old, oldCa.id], [serials[row.deviceId]!.fresh, newCa.id]].sort());
    const out = await call('fleet:setStatus', { deviceId: row.deviceId, status: 'revoked', reason: 'stolen', certificateReason: 'keyCompromise' });
    expect([...out.revocation!.revokedSerials].sort()).toEqual([serials[row.deviceId]!.old, serials[row.deviceId]!.fresh].sort());
    const crls = out.revocation!.crls!;
    // The current CA's CRL first.
    expect(crls.map((x) => x.caId)).toEqual([newCa.id, oldCa.id]);
    expect(listed(crlText('robot-new', crls[0]!.pem, newCa.pem), serials[row.deviceId]!.fresh!)).toBe(true);
    expect(listed(crlText('robot-old', crls[1]!.pem, oldCa.pem), serials[row.deviceId]!.old!)).toBe(true);
    expect(out.revocation!.crl?.pem).toBe(crls[0]!.pem);
    const published = records('ca.crl.publish').filter((r) => r.details.trigger === 'robot_revocation');
    expect(published.map((r) => r.details.caId).sort()).toEqual([newCa.id, oldCa.id].sort());
  });

  it('the emergency playbook revokes the robot\'s certificates of both CAs and signs both CRLs', async () => {
    const row = TABLE.find((r) => r.how === 'emergency')!;
    const out = await call('emergency:execute', { scope: { kind: 'robot', deviceId: row.deviceId }, actions: ['revoke_certificates'], reason: 'robot stolen', certificateReason: 'keyCompromise' });
    expect(out.run?.steps.map((s) => [s.action, s.state])).toEqual([['revoke_certificates', 'done']]);
    const published = records('ca.crl.publish').filter((r) => r.details.trigger === 'emergency');
    expect(published.map((r) => r.details.caId).sort()).toEqual([newCa.id, oldCa.id].sort());
  });

  it('certs:revoke revokes a retired CA\'s certificate in that CA', async () => {
    const row = TABLE.find((r) => r.how === 'certs')!;
    expect(await call('certs:revoke', { serial: serials[row.deviceId]!.old!, reason: 'superseded' })).toEqual({ revoked: true });
    const old = (await call('certs:list', { caId: oldCa.id })).certificates.find((x) => x.serial === serials[row.deviceId]!.old);
    expect(old).toMatchObject({ status: 'revoked', revocationReason: 'superseded' });
  });

  it('each CA\'s next CRL lists exactly the table\'s serials of it; the registry copies and the audit agree', async () => {
    const oldText = crlText('old-after', (await call('ca:crl', { caId: oldCa.id })).pem, oldCa.pem);
    const newText = crlText('new-after', (await call('ca:crl', {})).pem, newCa.pem);
    for (const row of TABLE) {
      const s = serials[row.deviceId]!;
      expect(listed(oldText, s.old!), `${row.deviceId} old serial in the old CA's CRL`).toBe(row.inOldCrl);
      if (s.fresh) expect(listed(newText, s.fresh), `${row.deviceId} new serial in the new CA's CRL`).toBe(row.inNewCrl);
      // A serial is never on the other CA's CRL.
      expect(listed(newText, s.old!)).toBe(false);
      if (s.fresh) expect(listed(oldText, s.fresh)).toBe(false);
      const copies = (await call('fleet:get', { deviceId: row.deviceId })).certificates;
      expect(copies.find((x) => x.serial === s.old)?.status, `${row.deviceId} old copy`).toBe(row.inOldCrl ? 'revoked' : 'active');
      if (s.fresh) expect(copies.find((x) => x.serial === s.fresh)?.status, `${row.deviceId} new copy`).toBe(row.inNewCrl ? 'revoked' : 'active');
    }
    // Each revocation is audited by the CA that issued the certificate: one ca.revoke record (certs:revoke, a robot's
    // revocation) or a serial of a ca.revoke.batch record (the emergency run; docs/audit-log.md, "Batch records").
    const revokedBy = new Map(records('ca.revoke').filter((r) => r.outcome === 'success').map((r) => [r.details.serial, r.details.caId]));
    for (const r of records('ca.revoke.batch')) for (const serial of String(r.details.serialList).split(' ')) revokedBy.set(serial, r.details.caId);
    for (const row of TABLE) {
      const s = serials[row.deviceId]!;
      expect(revokedBy.get(s.old)).toBe(row.inOldCrl ? oldCa.id : undefined);
      if (s.fresh) expect(revokedBy.get(s.fresh)).toBe(row.inNewCrl ? newCa.id : undefined);
    }
  });
});
