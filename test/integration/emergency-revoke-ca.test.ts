// The emergency playbook's revoke_ca action (issue 15, "contain a compromised fleet CA from one screen";
// docs/emergency-response.md, "Revoking the fleet CA"), on a real console with a real fleet CA in the local provider
// and robots and certificates seeded here: the preview's CA figures; a run with revoke_ca is wide whatever its scope
// (refused without approval, an approval request under the stricter of emergency.wide and ca.revoke); a dry run changes
// nothing; break-glass revokes every certificate of the CA (certs:list, and the final CRL as openssl reads it), marks
// the CA compromised (ca:history), flags its robots, and audits each step (the certificates in one ca.revoke.batch
// record naming the run, none per certificate); a second run finds no CA to revoke.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { openssl, robotCsr } from './fleetca-kit.ts';
import { type Harness, initialized, PASS } from './providers-kit.ts';

let h: Harness;
const work = tempDir('ecps-revoke-ca-work-');
/** Serial (lower case, no colons) by robot. */
const serials: Record<string, string> = {};
let caId = '';

/** The fleet: [device id, site]. Every robot gets one certificate; uv-104's is revoked before the emergency. */
const ROBOTS: Array<[string, string]> = [
  ['uv-101', 'Plant A'],
  ['uv-102', 'Plant A'],
  ['uv-103', 'Plant B'],
  ['uv-104', 'Plant B'],
];
/** What revoke_ca touches: the CA's certificates not revoked yet (uv-101..103) and the robots holding one. */
const OPEN_CERTS = 3;
const HOLDERS = 3;

const norm = (s: string) => s.replace(/:/g, '').toLowerCase();

beforeAll(async () => {
  h = await initialized();
  await h.call('ca:init', { providerId: 'local', algorithm: 'EC_P256', commonName: 'Revoke Test CA' });
  caId = (await h.call('ca:history', {})).cas[0]!.id;
  const c = h.console;
  for (const [deviceId, site] of ROBOTS) c.fleet.create({ deviceId, name: `Robot ${deviceId}`, site, model: 'UV-7', firmware: '2.1.0', tags: [], status: 'deployed' });
  const ca = await c.ca.require();
  for (const [deviceId] of ROBOTS) {
    const cert = await ca.issueDeviceCertificate(robotCsr(work, `/CN=${deviceId}`, 'ec', deviceId), { deviceId });
    c.fleet.attachCertificate(deviceId, { serial: cert.serial, notBefore: cert.notBefore, notAfter: cert.notAfter, pem: cert.pem });
    serials[deviceId] = norm(cert.serial);
  }
  await h.call('certs:revoke', { serial: serials['uv-104']!, reason: 'superseded' });
}, 60_000);

afterAll(() => {
  h?.console.close();
  removeTempDirs();
});

const certStates = async () => Object.fromEntries((await h.call('certs:list', { caId })).certificates.map((c) => [c.deviceId, [c.status, c.revocationReason]]));
const caState = async () => (await h.call('ca:history', {})).cas.find((c) => c.id === caId)!.state;
const SITE_RUN = { scope: { kind: 'site' as const, site: 'Plant A' }, actions: ['revoke_ca' as const], reason: 'CA key leaked' };
const BEFORE = { 'uv-101': ['valid', null], 'uv-102': ['valid', null], 'uv-103': ['valid', null], 'uv-104': ['revoked', 'superseded'] };

describe('revoke_ca in the playbook', () => {
  it('the preview names the CA and counts its open certificates and their robots, whatever the scope', async () => {
    for (const scope of [{ kind: 'robot' as const, deviceId: 'uv-101' }, { kind: 'site' as const, site: 'Plant A' }]) {
      const p = await h.call('emergency:preview', { scope });
      expect(p.ca).toEqual({ caId, subject: expect.stringContaining('Revoke Test CA'), providerId: 'local-kms', state: 'current', certificates: OPEN_CERTS, robots: HOLDERS });
    }
    expect((await h.call('emergency:preview', { scope: { kind: 'fleet' }, caId })).ca?.caId).toBe(caId);
    expect((await h.fail(h.call('emergency:preview', { scope: { kind: 'fleet' }, caId: '0b6f3c2e-4a1d-4c8e-9f00-1234567890ab' }))).code).toBe('not_found');
  });

  it('is wide whatever the scope: refused without approval or break-glass, nothing changes', async () => {
    for (const scope of [{ kind: 'robot' as const, deviceId: 'uv-101' }, SITE_RUN.scope]) {
      const refused = await h.fail(h.call('emergency:execute', { ...SITE_RUN, scope }));
      expect(refused.code).toBe('approval_required');
      expect(refused.message).toMatch(/Revoking the fleet CA needs two-person approval/);
    }
    // The same robot-level run without revoke_ca needs one officer.
    expect((await h.call('emergency:execute', { scope: { kind: 'robot', deviceId: 'uv-104' }, actions: ['quarantine'], reason: 'drill' })).run?.state).toBe('done');
    expect(await certStates()).toEqual(BEFORE);
    expect(await caState()).toBe('current');
    expect(h.auditOf('ca.compromise')).toEqual([]);
  });

  it('a dry run changes nothing and audits the counts', async () => {
    const out = await h.call('emergency:execute', { ...SITE_RUN, dryRun: true });
    expect([out.dryRun, out.run, out.preview.ca?.certificates]).toEqual([true, null, OPEN_CERTS]);
    expect(h.auditOf('emergency.execute')[0]).toMatchObject({ outcome: 'success', details: { dryRun: true, actions: 'revoke_ca', caId, caCertificates: OPEN_CERTS, caRobots: HOLDERS } });
    expect(await certStates()).toEqual(BEFORE);
    expect(await caState()).toBe('current');
  });

  it('with a second officer it becomes an approval request under the stricter of emergency.wide and ca.revoke', async () => {
    await h.call('operators:add', { name: 'Bob', role: 'security_officer', passphrase: `${PASS} bob` });
    const asked = await h.fail(h.call('emergency:execute', { ...SITE_RUN, scope: { kind: 'robot', deviceId: 'uv-101' } }));
    expect([asked.code, asked.details?.action, asked.details?.required]).toEqual(['approval_required', 'emergency.wide', 1]);
    const policy = (await h.call('approvals:policies', {})).policies.find((p) => p.action === 'ca.revoke')!;
    await h.call('approvals:setPolicy', { policy: { action: 'ca.revoke', approvals: 2, roles: policy.roles, operators: policy.operators, ttlSeconds: policy.ttlSeconds } });
    expect((await h.fail(h.call('emergency:execute', SITE_RUN))).details?.required).toBe(2);
    // Without revoke_ca the same site run follows emergency.wide alone.
    expect((await h.fail(h.call('emergency:execute', { ...SITE_RUN, actions: ['quarantine'] }))).details?.required).toBe(1);
    expect(await caState()).toBe('current');
  });

  it('break-glass revokes every certificate of the CA, signs its final CRL, marks it compromised and flags its robots', async () => {
    const out = await h.call('emergency:execute', { ...SITE_RUN, breakGlass: { reason: 'CA key on a paste site' } });
    const run = out.run!;
    expect([run.state, run.review, run.actions]).toEqual(['done', 'needs_review', ['revoke_ca']]);
    const step = run.steps[0]!;
    expect([step.action, step.state, step.attempts]).toEqual(['revoke_ca', 'done', 1]);
    expect(step.detail.items).toEqual({ [caId]: { state: 'done', revoked: OPEN_CERTS, flagged: HOLDERS } });
    expect(await certStates()).toEqual({
      'uv-101': ['revoked', 'cACompromise'], 'uv-102': ['revoked', 'cACompromise'], 'uv-103': ['revoked', 'cACompromise'], 'uv-104': ['revoked', 'superseded'],
    });
    expect(await caState()).toBe('compromised');
    const history = await h.call('ca:history', {});
    expect(history.renewals.filter((r) => r.caId === caId).map((r) => [r.deviceId, r.reason])).toEqual([['uv-101', 'ca_compromised'], ['uv-102', 'ca_compromised'], ['uv-103', 'ca_compromised']]);

    // The final CRL as openssl reads it: every certificate of the CA, uv-104's with its earlier reason.
    const crlFile = path.join(work, 'final.crl.pem');
    writeFileSync(crlFile, String(step.detail.crlPem));
    const text = openssl(work, ['crl', '-inform', 'PEM', '-in', crlFile, '-noout', '-text']);
    expect(text.status).toBe(0);
    const listed = [...text.out.matchAll(/Serial Number: ([0-9A-Fa-f]+)/g)].map((m) => m[1]!.toLowerCase().replace(/^0+/, ''));
    expect(listed.sort()).toEqual(Object.values(serials).map((s) => s.replace(/^0+/, '')).sort());
    expect(text.out.match(/CA Compromise/g)?.length).toBe(OPEN_CERTS);
    expect(text.out).toMatch(/Revoke Test CA/);

    // Audited: the run, the action (with the CA and the CRL number), and the CA service's own ca.compromise.
    expect(h.auditOf('emergency.execute').find((r) => r.targetId === run.runId)).toMatchObject({ outcome: 'success', details: { breakGlass: 'CA key on a paste site', caId } });
    expect(h.auditOf('emergency.action')[0]).toMatchObject({ targetId: run.runId, outcome: 'success', details: { step: 'revoke_ca', caId, crlNumber: step.detail.crlNumber, done: 1, failed: 0 } });
    expect(h.auditOf('ca.compromise')).toMatchObject([{ outcome: 'success', targetId: caId, details: { revoked: OPEN_CERTS, flagged: HOLDERS } }]);
    // The certificates in one ca.revoke.batch record naming the run (docs/audit-log.md, "Batch records"); the only
    // per-certificate records are uv-104's, from its certs:revoke before the emergency.
    const [batch, ...more] = h.auditOf('ca.revoke.batch');
    expect(more).toEqual([]);
    expect(batch).toMatchObject({ outcome: 'success', targetId: caId, details: { trigger: 'ca_revoke', runId: run.runId, crlNumber: step.detail.crlNumber, count: OPEN_CERTS, registryCopies: OPEN_CERTS } });
    expect(String(batch!.details.serialList).split(' ').sort()).toEqual(['uv-101', 'uv-102', 'uv-103'].map((d) => serials[d]!).sort());
    expect(h.auditOf('ca.revoke').map((r) => r.targetId)).toEqual(['uv-104']);
    expect(h.auditOf('robot.certificate.revoke').map((r) => r.details.serial)).toEqual([serials['uv-104']]);
    expect((await h.call('alerts:list', {})).alerts.filter((a) => a.kind === 'emergency_break_glass').map((a) => a.subject)).toEqual([run.runId]);
  });

  it('afterwards there is no CA to revoke: a second run is refused and changes nothing', async () => {
    expect((await h.call('emergency:preview', { scope: SITE_RUN.scope })).ca).toBeNull();
    const refused = await h.fail(h.call('emergency:execute', { ...SITE_RUN, breakGlass: { reason: 'again' } }));
    expect(refused.code).toBe('not_initialized');
    // The compromised CA named by id: revoked already.
    expect((await h.fail(h.call('emergency:execute', { ...SITE_RUN, caId, breakGlass: { reason: 'again' } }))).code).toBe('illegal_transition');
    expect(h.auditOf('ca.compromise')).toHaveLength(1);
  });
});
