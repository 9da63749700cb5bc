// Replacing and revoking the fleet CA (issue 14; docs/fleet-ca.md, "Replacing and revoking the CA"), on a real store
// with the CA keys in the local provider: both are guarded (a second security officer approves; the requester cannot
// approve their own request), a replacement's new certificates chain to the new CA while the old CA's still verify
// during the transition, and a revocation revokes every certificate of the CA, which its final CRL lists (openssl).
// The expectations come from the rules written here, not from the service.
import crypto from 'node:crypto';
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelName, Envelope } from '../../shared/contract.ts';
import type { FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { createRouter } from '../../electron/ipc/router.ts';
import { openssl, robotCsr, writeFile } from './fleetca-kit.ts';
import { contractCaller, failure, addOperators } from './support/consoleCalls.ts';
import { CTX, open, PASSPHRASE, removeTempDirs, tempDir } from '../unit/store-testkit.ts';

const pass = (name: string) => `${name} has a long passphrase`;
/** Two security officers: one asks, the other approves. */
const TEAM = [
  { name: 'Otto', role: 'security_officer' },
  { name: 'Olga', role: 'security_officer' },
] as const;
/** Robots with a certificate of the first CA; uv-c3 has none (it must not be flagged). */
const CERTIFIED = ['uv-c1', 'uv-c2'];

// An hour behind real time, moved by seconds: openssl checks validity against the wall clock, and a notBefore ahead
// of it would be "not yet valid".
const clock = manualClock(Date.now() - 3600_000);
const dir = tempDir('ecps-ca-transition-');
const work = tempDir('ecps-ca-transition-work-');
let c: FleetConsole;
const call = contractCaller(() => c);
let route: (channel: ChannelName, input: unknown) => Promise<Envelope<unknown>>;
const records = (action: string) => c.audit.query({ action, limit: 1000 }).records;

async function signIn(name: string): Promise<void> {
  if ((await c.handlers['session:status']({}, CTX)).state === 'unlocked') await c.handlers['session:lock']({}, CTX);
  await c.handlers['session:unlock']({ operator: name, passphrase: name === 'alice' ? PASSPHRASE : pass(name) }, CTX);
}

/** Issues a certificate to the robot from the current CA (an openssl-made CSR) and records it in the registry; its file name. */
async function certify(deviceId: string): Promise<{ serial: string; file: string }> {
  const ca = await c.ca.require();
  const issued = await ca.issueDeviceCertificate(robotCsr(work, `/CN=${deviceId}`, 'ec', `${deviceId}-${ca.id.slice(0, 8)}`), { deviceId });
  c.fleet.attachCertificate(deviceId, { serial: issued.serial, subject: `CN=${deviceId}`, notBefore: issued.notBefore, notAfter: issued.notAfter, pem: issued.pem });
  return { serial: issued.serial, file: writeFile(work, `${deviceId}-${issued.serial}.pem`, issued.pem) };
}

/** Asks as `requester`, approves as `approver`, executes as the requester; returns the channel's result. */
async function approvedRun(channel: ChannelName, input: unknown, requester: string, approver: string): Promise<unknown> {
  await signIn(requester);
  const before = await call('ca:history', {});
  const env = await route(channel, input);
  // A request changes nothing.
  expect(await call('ca:history', {})).toEqual(before);
  expect(env, `${channel} should need approval`).toMatchObject({ ok: false, error: { code: 'approval_required' } });
  const requestId = (!env.ok ? env.error.details?.requestId : undefined) as string;
  // The requester cannot approve their own request.
  expect(await failure(call('approvals:approve', { requestId }))).toMatchObject({ code: 'illegal_transition' });
  await signIn(approver);
  await call('approvals:approve', { requestId });
  await signIn(requester);
  return (await call('approvals:execute', { requestId })).result;
}

/** fleet:list with the renewal filter: the device ids on one page, and the total. */
const flaggedIn = async (renewal: 'any' | 'ca_replaced' | 'ca_compromised', more: { status?: 'manufactured' | 'deployed'; limit?: number } = {}) => {
  const page = await call('fleet:list', { query: '', renewal, sort: 'deviceId', dir: 'asc', offset: 0, limit: more.limit ?? 50, ...(more.status ? { status: more.status } : {}) });
  return { ids: page.robots.map((r) => r.deviceId), total: page.total };
};

const verify = (caFiles: string[], cert: string, crl?: string) => {
  const bundle = writeFile(work, `trust-${crypto.randomUUID()}.pem`, caFiles.map((f) => readFileSync(path.join(work, f), 'utf8')).join(''));
  return openssl(work, ['verify', ...(crl ? ['-crl_check', '-CRLfile', crl] : []), '-CAfile', bundle, cert]);
};

let firstCaPem = '';
let firstCaId = '';
const firstCerts: Record<string, { serial: string; file: string }> = {};

beforeAll(async () => {
  c = await open(dir, { clock, rotation: { scheduler: false } });
  await c.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
  await addOperators(c, { name: 'alice', passphrase: PASSPHRASE }, TEAM.map((op) => ({ name: op.name, role: op.role, passphrase: pass(op.name) })));
  const router = createRouter({ handlers: c.handlers, access: c.access });
  route = (channel, input) => router.route({ channel, input, ctx: CTX, trustedSender: true });
  firstCaPem = (await call('ca:init', { providerId: 'local', algorithm: 'EC_P256', commonName: 'First Fleet CA' })).certificatePem ?? '';
  firstCaId = (await call('ca:history', {})).cas[0]?.id ?? '';
  for (const deviceId of [...CERTIFIED, 'uv-c3']) await call('fleet:create', { deviceId, name: deviceId, model: 'UV-7', site: 'Plant 1' });
  for (const deviceId of CERTIFIED) firstCerts[deviceId] = await certify(deviceId);
});

afterAll(() => {
  c.close();
  removeTempDirs();
});

describe('replacing the fleet CA', () => {
  let replaced: { previous: { id: string; state: string; successorId: string | null }; current: { id: string; state: string; certificatePem: string }; flagged: string[]; previousCrl: { pem: string; caId: string } };

  it('needs a second officer: the request changes nothing until approved, then the new CA signs and the old one is retired', async () => {
    await signIn('Otto');
    const input = { algorithm: 'EC_P256', commonName: 'Second Fleet CA', reason: 'scheduled CA replacement' };
    const before = await call('ca:history', {});
    expect(before.cas.map((x) => x.state)).toEqual(['current']);
    clock.advance(1000);
    replaced = (await approvedRun('ca:replace', input, 'Otto', 'Olga')) as typeof replaced;
    expect(replaced.previous).toMatchObject({ id: firstCaId, state: 'retired', successorId: replaced.current.id });
    expect(replaced.current.state).toBe('current');
    expect(replaced.current.id).not.toBe(firstCaId);
    expect((await call('ca:status', {})).certificatePem).toBe(replaced.current.certificatePem);
    // Every robot holding a valid certificate of the old CA, and only those.
    expect([...replaced.flagged].sort()).toEqual(CERTIFIED);
    expect(records('ca.replace')).toEqual([expect.objectContaining({ actor: 'Otto', outcome: 'success', targetId: firstCaId })]);
    const executed = records('approval.execute').filter((r) => r.outcome === 'success' && r.details.channel === 'ca:replace');
    expect(executed.map((r) => [r.actor, r.details.action, r.details.approvals])).toEqual([['Otto', 'ca.replace', 'Olga']]);
  });

  it('new certificates chain to the new CA, not the old; the old CA\'s certificates still verify during the transition', async () => {
    const oldCa = writeFile(work, 'first-ca.pem', firstCaPem);
    const newCa = writeFile(work, 'second-ca.pem', replaced.current.certificatePem);
    clock.advance(1000);
    const fresh = await certify('uv-c1');
    expect(verify([newCa], fresh.file).status).toBe(0);
    expect(verify([oldCa], fresh.file).status).not.toBe(0);
    // A transition trust store holds both CA certificates: robots not re-issued yet keep working.
    for (const deviceId of CERTIFIED) expect(verify([oldCa, newCa], firstCerts[deviceId]!.file).out).toContain(': OK');
    // The old CA's CRL stays published: signed by the old CA, read by openssl, and available again by id.
    const crl = writeFile(work, 'first-ca.crl.pem', replaced.previousCrl.pem);
    expect(openssl(work, ['crl', '-in', crl, '-noout', '-CAfile', oldCa]).out).toMatch(/verify OK/);
    const again = await call('ca:crl', { caId: firstCaId });
    expect(openssl(work, ['crl', '-in', writeFile(work, 'first-ca-again.crl.pem', again.pem), '-noout', '-CAfile', oldCa]).out).toMatch(/verify OK/);
  });

  it('a flagged robot stops needing a new certificate once the new CA issued it one', async () => {
    const history = await call('ca:history', {});
    expect(history.renewals.map((r) => [r.deviceId, r.caId, r.reason])).toEqual([['uv-c2', firstCaId, 'ca_replaced']]);
    expect(history.cas.map((x) => [x.id, x.state])).toEqual([[replaced.current.id, 'current'], [firstCaId, 'retired']]);
    // The Fleet screen's filter finds it (uv-c1 settled, uv-c3 never flagged), by reason, with the other filters.
    expect(await flaggedIn('any')).toEqual({ ids: ['uv-c2'], total: 1 });
    expect(await flaggedIn('ca_replaced')).toEqual({ ids: ['uv-c2'], total: 1 });
    expect(await flaggedIn('ca_compromised')).toEqual({ ids: [], total: 0 });
    expect(await flaggedIn('any', { status: 'manufactured' })).toEqual({ ids: ['uv-c2'], total: 1 });
    expect(await flaggedIn('any', { status: 'deployed' })).toEqual({ ids: [], total: 0 });
    // Validated by the contract: an unknown renewal filter is refused, naming the field.
    const refused = await route('fleet:list', { query: '', renewal: 'soon', sort: 'deviceId', dir: 'asc', offset: 0, limit: 10 });
    expect(refused).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(JSON.stringify(refused)).toContain('renewal');
  });

  it('only a certificate issued at or after the flag settles it, in ca:history and in the Fleet filter alike', async () => {
    // uv-c1's certificate of the new CA settled its flag. Moved after that certificate's issue, the flag is open again
    // (an older certificate does not answer a newer flag); moved back, it is settled again. Both rules read the data.
    const issuedAt = (await call('certs:list', {})).certificates.filter((x) => x.deviceId === 'uv-c1').map((x) => x.issuedAt);
    expect(issuedAt).toHaveLength(1);
    const setFlaggedAt = async (at: string): Promise<string> => {
      c.close();
      const db = new Database(c.storePath);
      try {
        const was = db.prepare("SELECT flagged_at FROM robot_certificate_renewals WHERE device_id = 'uv-c1'").pluck().get() as string;
        db.prepare("UPDATE robot_certificate_renewals SET flagged_at = ? WHERE device_id = 'uv-c1'").run(at);
        return was;
      } finally {
        db.close();
        c = await open(dir, { clock, rotation: { scheduler: false } });
        const router = createRouter({ handlers: c.handlers, access: c.access });
        route = (channel, input) => router.route({ channel, input, ctx: CTX, trustedSender: true });
        await signIn('Otto');
      }
    };
    const open1 = (await call('ca:history', {})).renewals.map((r) => r.deviceId);
    expect(open1).toEqual(['uv-c2']);
    const original = await setFlaggedAt(new Date(Date.parse(issuedAt[0]!) + 1).toISOString());
    expect((await call('ca:history', {})).renewals.map((r) => r.deviceId).sort()).toEqual(['uv-c1', 'uv-c2']);
    expect(await flaggedIn('any')).toEqual({ ids: ['uv-c1', 'uv-c2'], total: 2 });
    // At the very instant of issue it counts as answered (issued at or after the flag).
    await setFlaggedAt(issuedAt[0]!);
    expect((await call('ca:history', {})).renewals.map((r) => r.deviceId)).toEqual(['uv-c2']);
    expect(await flaggedIn('any')).toEqual({ ids: ['uv-c2'], total: 1 });
    await setFlaggedAt(original);
    expect(await flaggedIn('any')).toEqual({ ids: ['uv-c2'], total: 1 });
  });
});

describe('revoking a compromised fleet CA', () => {
  it('needs a second officer; every certificate of the CA is revoked, the final CRL lists them all, robots flagged, audited', async () => {
    const current = (await call('ca:history', {})).cas[0]!;
    const caFile = writeFile(work, 'compromised-ca.pem', current.certificatePem);
    clock.advance(1000);
    const second = { 'uv-c1': await certify('uv-c1'), 'uv-c2': await certify('uv-c2') };
    const issued = (await call('certs:list', {})).certificates.map((x) => x.serial).sort();
    expect(issued).toHaveLength(3); // uv-c1 twice (after the replacement, then here), uv-c2 once
    clock.advance(1000);
    const result = (await approvedRun('ca:revoke', { reason: 'CA key leaked' }, 'Otto', 'Olga')) as { revokedSerials: string[]; flagged: string[]; finalCrl: { pem: string }; ca: { state: string } };
    expect(result.ca.state).toBe('compromised');
    expect([...result.revokedSerials].sort()).toEqual(issued);
    expect([...result.flagged].sort()).toEqual(CERTIFIED);
    // The console's view: every certificate of that CA is revoked, for a CA compromise.
    const listed = (await call('certs:list', { caId: current.id })).certificates;
    expect(listed.map((x) => [x.status, x.revocationReason])).toEqual(issued.map(() => ['revoked', 'cACompromise']));
    // openssl: the final CRL is signed by the CA, lists every serial, and refuses each certificate.
    const crl = writeFile(work, 'final.crl.pem', result.finalCrl.pem);
    const text = openssl(work, ['crl', '-in', crl, '-noout', '-text', '-CAfile', caFile]).out;
    expect(text).toMatch(/verify OK/);
    for (const serial of issued) expect(text).toContain(`Serial Number: ${serial.toUpperCase()}`);
    expect(text).toContain('CA Compromise');
    for (const cert of Object.values(second)) expect(verify([caFile], cert.file, crl).out).toContain('certificate revoked');
    // The registry's copies are revoked too.
    for (const deviceId of CERTIFIED) {
      const robot = await call('fleet:get', { deviceId });
      for (const copy of robot.certificates.filter((x) => issued.includes(x.serial))) expect(copy.status).toBe('revoked');
    }
    expect(records('ca.compromise')).toEqual([expect.objectContaining({ actor: 'Otto', outcome: 'success', targetId: current.id, details: expect.objectContaining({ revoked: 3, reason: 'CA key leaked' }) })]);
    // No current CA: nothing is issued until a new one is made; the renewals name the compromise.
    expect((await call('ca:status', {})).initialized).toBe(false);
    const renewals = (await call('ca:history', {})).renewals.filter((r) => r.caId === current.id);
    expect(renewals.map((r) => [r.deviceId, r.reason]).sort()).toEqual(CERTIFIED.map((d) => [d, 'ca_compromised']));
    // The filter by reason: both flagged for the compromise; their earlier ca_replaced flags reopen too, since the
    // certificates that settled them were revoked with the CA. A page of one still counts both.
    expect(await flaggedIn('ca_compromised')).toEqual({ ids: CERTIFIED, total: 2 });
    expect(await flaggedIn('ca_replaced')).toEqual({ ids: CERTIFIED, total: 2 });
    expect(await flaggedIn('any', { limit: 1 })).toEqual({ ids: ['uv-c1'], total: 2 });
  });

  it('a compromised CA cannot be revoked twice, and a new CA can be made afterwards', async () => {
    const compromised = (await call('ca:history', {})).cas.find((x) => x.state === 'compromised')!;
    // Still a request; approved, its execution is refused: the CA was revoked already.
    expect(await failure(approvedRun('ca:revoke', { caId: compromised.id, reason: 'again' }, 'Otto', 'Olga'))).toMatchObject({ code: 'illegal_transition' });
    await signIn('Otto');
    expect((await call('ca:init', { providerId: 'local', algorithm: 'EC_P256', commonName: 'Third Fleet CA' })).initialized).toBe(true);
  });
});
