// Fleet CA behaviour beyond openssl's view: inventory and expiry on the manual clock, revocation rules, re-opening a
// stored CA, input refusals with reasons, a provider that signs with the wrong key, and what the audit records.
import crypto from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { KmsProvider } from '../../electron/providers/types.ts';
import { createFleetCa, openFleetCa, type FleetCa } from '../../electron/services/ca/fleetCa.ts';
import { isConsoleError } from '../../shared/errors.ts';
import { CA_SUBJECT, caFixture, newCa, openssl, robotCsr, workDir, type CaFixture } from '../integration/fleetca-kit.ts';
import { removeTempDirs } from './store-testkit.ts';

const DAY = 86_400_000;
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
afterAll(() => removeTempDirs());

function setup(): { f: CaFixture; dir: string } {
  const f = caFixture();
  const dir = workDir();
  cleanups.push(() => {
    f.store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { f, dir };
}

async function failure(fn: () => unknown): Promise<{ code: string; reason: unknown }> {
  try {
    await fn();
  } catch (e) {
    if (isConsoleError(e)) return { code: e.code, reason: e.details?.reason };
    throw e;
  }
  throw new Error('expected a ConsoleError');
}

async function issue(ca: FleetCa, dir: string, deviceId: string, validityDays: number) {
  return ca.issueDeviceCertificate(robotCsr(dir, `/CN=${deviceId}`, 'ec', deviceId), { deviceId, validityDays });
}

describe('fleet CA inventory', () => {
  it('lists certificates with expiry and finds those expiring within N days as the manual clock moves', async () => {
    const { f, dir } = setup();
    const ca = await newCa(f, f.store.provider);
    const short = await issue(ca, dir, 'r-short', 10);
    const mid = await issue(ca, dir, 'r-mid', 30);
    const long = await issue(ca, dir, 'r-long', 90);
    expect(ca.expiringWithin(14).map((c) => c.deviceId)).toEqual(['r-short']);
    expect(ca.expiringWithin(31).map((c) => c.deviceId)).toEqual(['r-short', 'r-mid']);
    expect(ca.list().map((c) => [c.deviceId, c.status, c.daysToExpiry])).toEqual([
      ['r-short', 'valid', 10],
      ['r-mid', 'valid', 30],
      ['r-long', 'valid', 90],
    ]);

    f.clock.advance(20 * DAY);
    expect(ca.expiringWithin(14).map((c) => c.serial)).toEqual([mid.serial]); // r-short has expired: no longer "expiring"
    const bySerial = new Map(ca.list().map((c) => [c.serial, c]));
    expect(bySerial.get(short.serial)?.status).toBe('expired');
    expect(bySerial.get(short.serial)?.daysToExpiry).toBe(-10);
    expect(bySerial.get(mid.serial)?.daysToExpiry).toBe(10);

    ca.revoke(long.serial, 'superseded');
    expect(ca.expiringWithin(100).map((c) => c.serial)).toEqual([mid.serial]);
    expect(ca.list().find((c) => c.serial === long.serial)).toMatchObject({ status: 'revoked', revocationReason: 'superseded' });
    expect(await failure(() => ca.expiringWithin(0))).toEqual({ code: 'invalid_input', reason: 'days_invalid' });
  });
});

describe('fleet CA revocation', () => {
  it('revokes once, accepts colon-separated upper-case serials, refuses unknown serials and reasons', async () => {
    const { f, dir } = setup();
    const ca = await newCa(f, f.store.provider);
    const cert = await issue(ca, dir, 'r-1', 30);
    const colons = (cert.serial.match(/../g) ?? []).join(':').toUpperCase();
    expect(ca.revoke(colons, 'cessationOfOperation')).toBe(true);
    expect(ca.revoke(cert.serial, 'keyCompromise')).toBe(false); // already revoked: the first reason stays
    expect(ca.list()[0]?.revocationReason).toBe('cessationOfOperation');
    expect(await failure(() => ca.revoke('7'.repeat(32), 'keyCompromise'))).toMatchObject({ code: 'not_found' });
    expect(await failure(() => ca.revoke('zz', 'keyCompromise'))).toEqual({ code: 'invalid_input', reason: 'serial_invalid' });
    expect(await failure(() => ca.revoke(cert.serial, 'certificateHold' as never))).toEqual({ code: 'invalid_input', reason: 'revocation_reason_invalid' });
    const records = f.audit.query({ action: 'ca.revoke', offset: 0, limit: 10 }).records.reverse();
    expect(records.map((r) => [r.outcome, r.targetId, r.details.reason ?? r.details.code])).toEqual([
      ['success', 'r-1', 'cessationOfOperation'],
      ['success', 'r-1', 'keyCompromise'],
      ['failure', null, 'not_found'],
      ['failure', null, 'invalid_input'],
      ['failure', null, 'invalid_input'],
    ]);
    expect(records[1]?.details.alreadyRevoked).toBe(true);
    const crl = await ca.publishCrl();
    expect(crl.revoked).toBe(1);
    expect(new crypto.X509Certificate(cert.der).checkIssued(new crypto.X509Certificate(ca.caCertificateDer()))).toBe(true);
  });
});

describe('fleet CA creation and re-opening', () => {
  it('re-opens a stored CA and keeps issuing under the same certificate; refuses another provider or a swapped key', async () => {
    const { f, dir } = setup();
    const ca = await newCa(f, f.store.provider, 'RSA_2048');
    await issue(ca, dir, 'r-a', 30);
    const again = await openFleetCa({ provider: f.store.provider, repo: f.repo, clock: f.clock, audit: f.audit, caId: ca.id });
    expect(again.caCertificatePem()).toBe(ca.caCertificatePem());
    const b = await issue(again, dir, 'r-b', 30);
    expect(new crypto.X509Certificate(b.der).verify(new crypto.X509Certificate(ca.caCertificateDer()).publicKey)).toBe(true);
    expect(again.list().map((c) => c.deviceId).sort()).toEqual(['r-a', 'r-b']);
    expect((await again.publishCrl()).crlNumber).toBe(1);

    const other: KmsProvider = { ...f.store.provider, id: 'local-2' };
    expect(await failure(() => openFleetCa({ provider: other, repo: f.repo, clock: f.clock, audit: f.audit, caId: ca.id }))).toEqual({ code: 'invalid_input', reason: 'provider_mismatch' });
    expect(await failure(() => openFleetCa({ provider: f.store.provider, repo: f.repo, clock: f.clock, audit: f.audit, caId: 'nope' }))).toMatchObject({ code: 'not_found' });
    const swapped = await f.store.provider.createKey({ name: 'swapped', spec: 'RSA_2048', usage: 'sign' });
    f.store.store.db.prepare('UPDATE fleet_ca SET key_ref = ? WHERE id = ?').run(swapped.keyRef, ca.id);
    expect(await failure(() => openFleetCa({ provider: f.store.provider, repo: f.repo, clock: f.clock, audit: f.audit, caId: ca.id }))).toMatchObject({ code: 'integrity_failure' });
  });

  it('refuses a non-signing key and a subject without CN, and audits the failure', async () => {
    const { f } = setup();
    const aes = await f.store.provider.createKey({ name: 'aes', spec: 'AES_256', usage: 'encrypt' });
    const deps = { provider: f.store.provider, clock: f.clock, audit: f.audit, repo: f.repo };
    const bad = await failure(() => createFleetCa({ ...deps, keyRef: aes.keyRef, subject: CA_SUBJECT }));
    expect(['invalid_input', 'unsupported_operation']).toContain(bad.code);
    const ec = await f.store.provider.createKey({ name: 'ec', spec: 'EC_P256', usage: 'sign' });
    expect(await failure(() => createFleetCa({ ...deps, keyRef: ec.keyRef, subject: 'O=ECPS-UV Fleet' }))).toEqual({ code: 'invalid_input', reason: 'subject_invalid' });
    expect(await failure(() => createFleetCa({ ...deps, keyRef: ec.keyRef, subject: CA_SUBJECT, validityDays: 0 }))).toEqual({ code: 'invalid_input', reason: 'validityDays_invalid' });
    const created = f.audit.query({ action: 'ca.create', offset: 0, limit: 10 }).records;
    expect(created.map((r) => r.outcome)).toEqual(['failure']);
    expect(created[0]?.details.code).toBe(bad.code);
  });

  it('refuses (integrity_failure) a certificate that a provider signed with another key', async () => {
    const { f, dir } = setup();
    const ca = await newCa(f, f.store.provider);
    const other = await f.store.provider.createKey({ name: 'other', spec: 'EC_P256', usage: 'sign' });
    const wrongSigner: KmsProvider = { ...f.store.provider, sign: (_ref, message) => f.store.provider.sign(other.keyRef, message) };
    const reopened = await openFleetCa({ provider: wrongSigner, repo: f.repo, clock: f.clock, audit: f.audit, caId: ca.id });
    expect(await failure(() => issue(reopened, dir, 'r-x', 30))).toMatchObject({ code: 'integrity_failure' });
    expect(ca.list()).toEqual([]);
  });
});

describe('fleet CA request checks', () => {
  it('refuses bad device ids, validity, malformed requests and weak or unsupported robot keys, with reasons', async () => {
    const { f, dir } = setup();
    const ca = await newCa(f, f.store.provider);
    const csr = robotCsr(dir, '/CN=r-1', 'ec');
    for (const deviceId of ['', 'has space', '../x', 'x'.repeat(65), 'a,CN=b']) {
      expect(await failure(() => ca.issueDeviceCertificate(csr, { deviceId }))).toEqual({ code: 'invalid_input', reason: 'device_id_invalid' });
    }
    expect(await failure(() => ca.issueDeviceCertificate(csr, { deviceId: 'r-1', validityDays: 0 }))).toEqual({ code: 'invalid_input', reason: 'validityDays_invalid' });
    f.clock.advance(3640 * DAY);
    expect(await failure(() => ca.issueDeviceCertificate(csr, { deviceId: 'r-1', validityDays: 365 }))).toEqual({ code: 'invalid_input', reason: 'validity_beyond_ca' });
    f.clock.advance(-3640 * DAY);
    expect(await failure(() => ca.issueDeviceCertificate(Buffer.from('not a csr'), { deviceId: 'r-1' }))).toEqual({ code: 'invalid_input', reason: 'csr_malformed' });
    expect(await failure(() => ca.issueDeviceCertificate(Buffer.alloc(0), { deviceId: 'r-1' }))).toEqual({ code: 'invalid_input', reason: 'csr_size' });

    const weak = openssl(dir, ['req', '-new', '-newkey', 'rsa:1024', '-nodes', '-keyout', 'weak.key', '-subj', '/CN=r-1', '-outform', 'DER', '-out', 'weak.csr']);
    expect(weak.status).toBe(0);
    expect(await failure(() => ca.issueDeviceCertificate(readFileSync(`${dir}/weak.csr`), { deviceId: 'r-1' }))).toEqual({ code: 'invalid_input', reason: 'csr_key_unsupported' });
    expect(openssl(dir, ['req', '-new', '-newkey', 'ed25519', '-nodes', '-keyout', 'ed.key', '-subj', '/CN=r-1', '-outform', 'DER', '-out', 'ed.csr']).status).toBe(0);
    expect(await failure(() => ca.issueDeviceCertificate(readFileSync(`${dir}/ed.csr`), { deviceId: 'r-1' }))).toEqual({ code: 'invalid_input', reason: 'csr_key_unsupported' });
    // Two CNs: the request must name exactly this device.
    const two = robotCsr(dir, '/CN=r-1/CN=r-2', 'ec', 'two');
    expect(await failure(() => ca.issueDeviceCertificate(two, { deviceId: 'r-1' }))).toEqual({ code: 'invalid_input', reason: 'csr_subject_mismatch' });

    // PEM text works as well as DER; an RSA-PSS-signed request is accepted too.
    const pem = openssl(dir, ['req', '-in', 'robot.csr', '-inform', 'DER', '-outform', 'PEM']).out;
    expect((await ca.issueDeviceCertificate(pem, { deviceId: 'r-1' })).deviceId).toBe('r-1');
    const pss = openssl(dir, ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'pss.key', '-subj', '/CN=r-pss', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32', '-sha256', '-outform', 'DER', '-out', 'pss.csr']);
    expect(pss.status).toBe(0);
    expect((await ca.issueDeviceCertificate(readFileSync(`${dir}/pss.csr`), { deviceId: 'r-pss' })).deviceId).toBe('r-pss');
  });

  it('audits issuance with public facts only, in a chain that verifies', async () => {
    const { f, dir } = setup();
    const ca = await newCa(f, f.store.provider);
    const cert = await issue(ca, dir, 'r-audit', 30);
    ca.revoke(cert.serial, 'keyCompromise');
    await ca.publishCrl();
    const all = f.audit.query({ offset: 0, limit: 50 }).records.filter((r) => r.action.startsWith('ca.'));
    expect(all.map((r) => r.action).reverse()).toEqual(['ca.create', 'ca.issue', 'ca.revoke', 'ca.crl.publish']);
    const issued = all.find((r) => r.action === 'ca.issue');
    expect(issued).toMatchObject({ actor: 'officer-1', targetType: 'robot', targetId: 'r-audit', outcome: 'success' });
    expect(issued?.details).toMatchObject({ caId: ca.id, serial: cert.serial, keyType: 'ec', notAfter: cert.notAfter });
    const text = JSON.stringify(all);
    expect(text).not.toContain('BEGIN');
    expect(text).not.toContain(cert.der.toString('base64').slice(0, 40));
    expect(f.audit.verify().ok).toBe(true);
  });
});
