// A CRL is public by nature (RFC 5280: relying parties fetch it), but signing a fresh one is a CA key operation. So
// ca:crl (signs, the security officer's) and ca:publishedCrl (the newest CRL already published, every reader's) are
// two channels (docs/fleet-ca.md, "CRL"). Here, on a real store with the local CA key: a viewer gets the CRL the
// officer published, byte for byte, and nothing is signed by asking (no ca.crl.publish record, the same CRL number
// after a revocation until the officer signs again); openssl reads the serials it lists; the typed refusals (no CA,
// no CRL yet, an unknown CA) and the viewer's refusal of ca:crl.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { openssl, robotCsr } from './fleetca-kit.ts';
import { addOperators, contractCaller, failure } from './support/consoleCalls.ts';
import { CTX, open, PASSPHRASE, removeTempDirs, tempDir } from '../unit/store-testkit.ts';

const pass = (name: string) => `${name} has a long passphrase`;
const dir = tempDir('ecps-published-crl-');
let c: FleetConsole;
const call = contractCaller(() => c);

async function signIn(name: string): Promise<void> {
  if ((await c.handlers['session:status']({}, CTX)).state === 'unlocked') await c.handlers['session:lock']({}, CTX);
  await c.handlers['session:unlock']({ operator: name, passphrase: name === 'alice' ? PASSPHRASE : pass(name) }, CTX);
}
const publishRecords = () => c.audit.query({ action: 'ca.crl.publish', limit: 100 }).records.length;
/** The serials openssl reads from a PEM CRL, lower case, as the registry stores them. */
function serialsByOpenssl(pem: string): string[] {
  writeFileSync(join(dir, 'read.crl'), pem);
  const r = openssl(dir, ['crl', '-in', 'read.crl', '-noout', '-text']);
  expect(r.status).toBe(0);
  return [...r.out.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((m) => m[1]!.toLowerCase().replace(/^0+/, ''));
}

beforeAll(async () => {
  c = await open(join(dir, 'store'), { rotation: { scheduler: false } });
  await c.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
  await addOperators(c, { name: 'alice', passphrase: PASSPHRASE }, [
    { name: 'Vera', role: 'viewer', passphrase: pass('Vera') },
    { name: 'Otto', role: 'security_officer', passphrase: pass('Otto') },
  ]);
});

afterAll(() => {
  c.close();
  removeTempDirs();
});

describe('ca:publishedCrl: the last published CRL, for every reader', () => {
  let caId = '';
  let serial = '';

  it('before any CA: not_initialized; a CA with no CRL yet: not_found (no_crl_published)', async () => {
    await signIn('Vera');
    expect((await failure(call('ca:publishedCrl', {}))).code).toBe('not_initialized');
    await signIn('Otto');
    caId = (await call('ca:history', {})).cas[0]?.id ?? '';
    expect(caId).toBe('');
    await call('ca:init', { providerId: 'local', algorithm: 'EC_P256', commonName: 'Published CRL CA' });
    caId = (await call('ca:history', {})).cas[0]!.id;
    // A robot carrying a certificate (one no robot carries is revoked at the next lock, as an unfinished provisioning).
    await signIn('alice');
    await call('fleet:create', { deviceId: 'uv-p1', name: 'uv-p1', model: 'UV-7', site: 'Plant 1' });
    const issued = await (await c.ca.require()).issueDeviceCertificate(robotCsr(dir, '/CN=uv-p1', 'ec', 'uv-p1'), { deviceId: 'uv-p1' });
    c.fleet.attachCertificate('uv-p1', { serial: issued.serial, subject: 'CN=uv-p1', notBefore: issued.notBefore, notAfter: issued.notAfter, pem: issued.pem });
    serial = issued.serial;
    await signIn('Vera');
    const none = await failure(call('ca:publishedCrl', {}));
    expect([none.code, none.details.reason]).toEqual(['not_found', 'no_crl_published']);
    // An unknown CA is not "no CRL yet": the message names the CA as unknown.
    const unknown = await failure(call('ca:publishedCrl', { caId: '6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f' }));
    expect([unknown.code, unknown.details.reason, unknown.message]).toEqual(['not_found', undefined, 'No fleet CA with this id.']);
  });

  it('a viewer may not sign one (ca:crl is forbidden) but gets the one the officer signed, byte for byte; asking signs nothing', async () => {
    await signIn('Vera');
    expect((await failure(call('ca:crl', {}))).code).toBe('forbidden');
    await signIn('Otto');
    const signed = await call('ca:crl', {});
    await signIn('Vera');
    const before = publishRecords();
    const got = await call('ca:publishedCrl', {});
    expect(got).toMatchObject({ pem: signed.pem, crlNumber: signed.crlNumber, fileName: signed.fileName, revoked: 0 });
    expect(Date.parse(got.thisUpdate)).not.toBeNaN();
    // By id (as the Certificates screen asks for a picked CA): the same CRL, named with the CA's id.
    const byId = await call('ca:publishedCrl', { caId });
    expect([byId.pem, byId.crlNumber, byId.fileName]).toEqual([signed.pem, signed.crlNumber, `ecps-fleet-ca-${caId.slice(0, 8)}-${signed.crlNumber}.crl.pem`]);
    expect(publishRecords()).toBe(before);
  });

  it('a revocation shows in the published CRL only once the officer signs the next one', async () => {
    await signIn('Otto');
    const first = await call('ca:crl', {});
    await call('certs:revoke', { serial, reason: 'keyCompromise' });
    await signIn('Vera');
    const stale = await call('ca:publishedCrl', {});
    expect([stale.crlNumber, stale.revoked, serialsByOpenssl(stale.pem)]).toEqual([first.crlNumber, 0, []]);
    await signIn('Otto');
    const next = await call('ca:crl', {});
    await signIn('Vera');
    const fresh = await call('ca:publishedCrl', {});
    expect([fresh.crlNumber, fresh.pem]).toEqual([next.crlNumber, next.pem]);
    expect(serialsByOpenssl(fresh.pem)).toEqual([serial.replace(/^0+/, '')]);
    expect(fresh.revoked).toBe(1);
  });
});
