// The fleet CA's issuance and CRL rules (electron/services/ca/fleetCa.ts) at their edges, with expectations from
// docs/fleet-ca.md written out here: validity limits and defaults (CA 3650 days, at most 36500; device 365, at most
// 3650 and never past the CA; CRL 168 hours, at most 8760; field server at most 397 days, cut at the CA's end), whole
// seconds from the injected clock, 16-byte positive serials, the subject, the CRL number's sequence, pending entries,
// batch revocation and what each audit record says. Real store, real local provider, real openssl CSRs.
import crypto from 'node:crypto';
import { rmSync } from 'node:fs';
import 'reflect-metadata';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createFleetCa, openFleetCa, REVOKE_BATCH_MAX, type FleetCa } from '../../electron/services/ca/fleetCa.ts';
import type { KmsProvider } from '../../electron/providers/types.ts';
import { createOrderDeliveryRepo } from '../../electron/store/orderDeliveryRepo.ts';
import { isConsoleError } from '../../shared/errors.ts';
import { CA_SUBJECT, caFixture, robotCsr, workDir, type CaFixture } from '../integration/fleetca-kit.ts';
import { removeTempDirs } from './store-testkit.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
// A clock time with milliseconds: every date the CA writes is cut to the whole second.
const T0 = Date.parse('2026-12-06T08:30:15.789Z');
const T0_ISO = '2026-12-06T08:30:15.000Z';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
afterAll(() => removeTempDirs());

function setup(): { f: CaFixture; dir: string } {
  const base = caFixture();
  // Wired as electron/app.ts does: the CRLs a CA publishes are kept for the robots.
  const delivery = createOrderDeliveryRepo(base.store.store.db);
  const f: CaFixture = { ...base, repo: { ...base.repo, saveCrl: delivery.saveCrl, latestCrl: delivery.latestCrl } };
  f.clock.set(T0);
  const dir = workDir();
  cleanups.push(() => {
    f.store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { f, dir };
}

async function ca(f: CaFixture, extra: { validityDays?: number; actor?: string } = {}): Promise<FleetCa> {
  const key = await f.store.provider.createKey({ name: `fleet-ca-${crypto.randomUUID()}`, spec: 'EC_P256', usage: 'sign' });
  return createFleetCa({ provider: f.store.provider, keyRef: key.keyRef, subject: CA_SUBJECT, clock: f.clock, audit: f.audit, repo: f.repo, ...extra });
}

async function failure(fn: () => unknown): Promise<{ code: string; reason: unknown; message: string }> {
  try {
    await fn();
  } catch (e) {
    if (isConsoleError(e)) return { code: e.code, reason: e.details?.reason, message: e.message };
    throw e;
  }
  throw new Error('expected a ConsoleError');
}

const iso = (ms: number) => new Date(ms).toISOString();
const records = (f: CaFixture, action: string) => f.audit.query({ action, offset: 0, limit: 100 }).records.reverse();

function validity(der: Buffer): { notBefore: string; notAfter: string } {
  const v = AsnConvert.parse(der, asn1X509.Certificate).tbsCertificate.validity;
  return { notBefore: v.notBefore.getTime().toISOString(), notAfter: v.notAfter.getTime().toISOString() };
}

interface CrlView { number: number; thisUpdate: string; nextUpdate: string; entries: Array<[string, string, number | null]> }
function crlView(der: Buffer): CrlView {
  const tbs = AsnConvert.parse(der, asn1X509.CertificateList).tbsCertList;
  const numberExt = tbs.crlExtensions?.find((e) => e.extnID === asn1X509.id_ce_cRLNumber);
  const number = Number(AsnConvert.parse(numberExt?.extnValue.buffer ?? new ArrayBuffer(0), asn1X509.CRLNumber).value);
  return {
    number,
    thisUpdate: tbs.thisUpdate.getTime().toISOString(),
    nextUpdate: tbs.nextUpdate?.getTime().toISOString() ?? '',
    entries: (tbs.revokedCertificates ?? []).map((r) => {
      const reasonExt = r.crlEntryExtensions?.find((e) => e.extnID === asn1X509.id_ce_cRLReasons);
      const code = reasonExt ? Buffer.from(reasonExt.extnValue.buffer).at(-1) ?? null : null;
      return [Buffer.from(r.userCertificate).toString('hex'), r.revocationDate.getTime().toISOString(), code];
    }),
  };
}

describe('fleet CA creation: validity and audit', () => {
  it('a CA certificate of 3650 days by default from the whole second of the clock; 36500 allowed, 36501 refused', async () => {
    const { f } = setup();
    const made = await ca(f);
    expect(validity(made.caCertificateDer())).toEqual({ notBefore: T0_ISO, notAfter: iso(Date.parse(T0_ISO) + 3650 * DAY) });
    const create = records(f, 'ca.create');
    expect(create).toHaveLength(1);
    expect(create[0]).toMatchObject({ actor: 'system', targetType: 'key', targetId: made.keyRef, outcome: 'success' });
    expect(create[0]?.details).toEqual({ caId: made.id, provider: f.store.provider.id, subject: 'CN=ECPS-UV Fleet CA, O=ECPS-UV Fleet', keyType: 'ec', notAfter: iso(Date.parse(T0_ISO) + 3650 * DAY) });
    expect(made.providerId).toBe(f.store.provider.id);

    const long = await ca(f, { validityDays: 36_500, actor: 'officer-2' });
    expect(validity(long.caCertificateDer()).notAfter).toBe(iso(Date.parse(T0_ISO) + 36_500 * DAY));
    expect(records(f, 'ca.create')[1]?.actor).toBe('officer-2');
    expect(await failure(() => ca(f, { validityDays: 36_501 }))).toEqual({ code: 'invalid_input', reason: 'validityDays_invalid', message: 'validityDays must be a whole number from 1 to 36500.' });
  });

  it('refuses a subject that is not a distinguished name, and one without CN, with their messages', async () => {
    const { f } = setup();
    const key = await f.store.provider.createKey({ name: 'k', spec: 'EC_P256', usage: 'sign' });
    const deps = { provider: f.store.provider, keyRef: key.keyRef, clock: f.clock, audit: f.audit, repo: f.repo };
    expect(await failure(() => createFleetCa({ ...deps, subject: 'O=ECPS-UV Fleet' }))).toEqual({ code: 'invalid_input', reason: 'subject_invalid', message: 'The CA subject needs a CN.' });
    expect(await failure(() => createFleetCa({ ...deps, subject: 'X=1, CN=ECPS-UV Fleet CA' }))).toEqual({ code: 'invalid_input', reason: 'subject_invalid', message: 'The CA subject is not a distinguished name.' });
  });
});

describe('fleet CA issuance: validity, serial, subject, audit', () => {
  it('365 days by default; 3650 reaches the CA end exactly and is issued; a second later it would outlive the CA', async () => {
    const { f, dir } = setup();
    const made = await ca(f, { actor: 'officer-1' });
    const csr = robotCsr(dir, '/CN=r-1', 'ec');
    const one = await made.issueDeviceCertificate(csr, { deviceId: 'r-1' });
    expect({ notBefore: one.notBefore, notAfter: one.notAfter }).toEqual({ notBefore: T0_ISO, notAfter: iso(Date.parse(T0_ISO) + 365 * DAY) });
    expect(validity(one.der)).toEqual({ notBefore: one.notBefore, notAfter: one.notAfter });
    // RFC 5280 4.1.2.2 / docs: a positive 16-byte serial; the stored one is its lower-case hex.
    const cert = new crypto.X509Certificate(one.der);
    expect(one.serial).toMatch(/^[4-7][0-9a-f]{31}$/);
    expect(cert.serialNumber.toLowerCase()).toBe(one.serial);
    expect(cert.subject).toBe('O=ECPS-UV Fleet\nCN=r-1');
    expect(one.pem).toBe(`-----BEGIN CERTIFICATE-----\n${(one.der.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----\n`);
    expect(made.certificatePem(one.serial)).toBe(one.pem);
    expect(made.list()[0]).toMatchObject({ serial: one.serial, deviceId: 'r-1', subject: 'O=ECPS-UV Fleet, CN=r-1', issuedAt: iso(T0), revokedAt: null, revocationReason: null });

    const full = await made.issueDeviceCertificate(csr, { deviceId: 'r-1', validityDays: 3650 });
    expect(full.notAfter).toBe(iso(Date.parse(T0_ISO) + 3650 * DAY));
    expect(await failure(() => made.issueDeviceCertificate(csr, { deviceId: 'r-1', validityDays: 3651 }))).toEqual({ code: 'invalid_input', reason: 'validityDays_invalid', message: 'validityDays must be a whole number from 1 to 3650.' });
    f.clock.advance(1000);
    expect(await failure(() => made.issueDeviceCertificate(csr, { deviceId: 'r-1', validityDays: 3650 }))).toEqual({ code: 'invalid_input', reason: 'validity_beyond_ca', message: 'The certificate would outlive the CA certificate.' });

    const issued = records(f, 'ca.issue');
    expect(issued.map((r) => [r.actor, r.targetType, r.targetId, r.outcome])).toEqual([
      ['officer-1', 'robot', 'r-1', 'success'], ['officer-1', 'robot', 'r-1', 'success'], ['officer-1', 'robot', 'r-1', 'failure'], ['officer-1', 'robot', 'r-1', 'failure'],
    ]);
    expect(issued[0]?.details).toEqual({ caId: made.id, serial: one.serial, keyType: 'ec', notAfter: one.notAfter });
    expect(issued[2]?.details).toMatchObject({ caId: made.id, code: 'invalid_input', reason: 'validityDays_invalid' });
    expect(issued[3]?.details).toMatchObject({ code: 'invalid_input', reason: 'validity_beyond_ca' });
  });

  it('the request must name exactly this device: another CN, two CNs, none; a bad device id is audited without a target', async () => {
    const { f, dir } = setup();
    const made = await ca(f);
    const mismatch = (subject: string) => ({ code: 'invalid_input', reason: 'csr_subject_mismatch', message: `The certificate request names "${subject}", not device r-1.` });
    expect(await failure(() => made.issueDeviceCertificate(robotCsr(dir, '/CN=r-2', 'ec', 'a'), { deviceId: 'r-1' }))).toEqual(mismatch('CN=r-2'));
    expect(await failure(() => made.issueDeviceCertificate(robotCsr(dir, '/CN=r-1/CN=r-1', 'ec', 'b'), { deviceId: 'r-1' }))).toEqual(mismatch('CN=r-1, CN=r-1'));
    expect(await failure(() => made.issueDeviceCertificate(robotCsr(dir, '/O=ECPS-UV Fleet', 'ec', 'c'), { deviceId: 'r-1' }))).toEqual(mismatch('O=ECPS-UV Fleet'));
    expect(await failure(() => made.issueDeviceCertificate(robotCsr(dir, '/CN=r-1', 'ec', 'd'), { deviceId: 'bad id', actor: 'officer-9' }))).toMatchObject({ reason: 'device_id_invalid' });
    const issued = records(f, 'ca.issue');
    expect(issued.map((r) => [r.actor, r.targetId, r.details.reason])).toEqual([
      ['system', 'r-1', 'csr_subject_mismatch'], ['system', 'r-1', 'csr_subject_mismatch'], ['system', 'r-1', 'csr_subject_mismatch'], ['officer-9', null, 'device_id_invalid'],
    ]);
    expect(made.list()).toEqual([]);
  });
});

describe('fleet CA revocation: the date, the audit', () => {
  it('revokes at the whole second of now by default, or at the given time; a failure names the serial (64 characters at most)', async () => {
    const { f, dir } = setup();
    const made = await ca(f, { actor: 'officer-1' });
    const csr = robotCsr(dir, '/CN=r-1', 'ec');
    const a = await made.issueDeviceCertificate(csr, { deviceId: 'r-1' });
    const b = await made.issueDeviceCertificate(csr, { deviceId: 'r-1' });
    expect(made.revoke(a.serial, 'keyCompromise')).toBe(true);
    expect(made.revoke(b.serial, 'superseded', { at: '2026-12-01T00:00:00.000Z', actor: 'officer-3' })).toBe(true);
    const bySerial = new Map(made.list().map((c) => [c.serial, c]));
    expect(bySerial.get(a.serial)?.revokedAt).toBe(T0_ISO);
    expect(bySerial.get(b.serial)?.revokedAt).toBe('2026-12-01T00:00:00.000Z');
    const long = 'ab'.repeat(40);
    expect(await failure(() => made.revoke(long, 'keyCompromise'))).toMatchObject({ code: 'invalid_input', reason: 'serial_invalid' });
    expect(await failure(() => made.revoke(a.serial, 'nope' as never))).toEqual({ code: 'invalid_input', reason: 'revocation_reason_invalid', message: 'Unknown revocation reason.' });
    const revokes = records(f, 'ca.revoke');
    expect(revokes.map((r) => [r.actor, r.targetId, r.outcome, r.details])).toEqual([
      ['officer-1', 'r-1', 'success', { caId: made.id, serial: a.serial, reason: 'keyCompromise', alreadyRevoked: false }],
      ['officer-3', 'r-1', 'success', { caId: made.id, serial: b.serial, reason: 'superseded', alreadyRevoked: false }],
      ['officer-1', null, 'failure', { caId: made.id, serial: long.slice(0, 64), code: 'invalid_input' }],
      ['officer-1', null, 'failure', { caId: made.id, serial: a.serial, code: 'invalid_input' }],
    ]);
    expect(await failure(() => made.certificatePem('ab'.repeat(16)))).toEqual({ code: 'not_found', reason: undefined, message: 'No certificate with this serial was issued by this CA.' });
  });

  it('revokeBatch: one record per batch naming the serials revoked, those already revoked counted, registry copies, onBatch', async () => {
    expect(REVOKE_BATCH_MAX).toBe(1000);
    const { f, dir } = setup();
    const made = await ca(f);
    const csr = robotCsr(dir, '/CN=r-1', 'ec');
    const csr2 = robotCsr(dir, '/CN=r-2', 'ec', 'r2');
    const a = await made.issueDeviceCertificate(csr, { deviceId: 'r-1' });
    const b = await made.issueDeviceCertificate(csr2, { deviceId: 'r-2' });
    const c = await made.issueDeviceCertificate(csr, { deviceId: 'r-1' });
    made.revoke(c.serial, 'superseded');
    const told: string[][] = [];
    const upper = (b.serial.match(/../g) ?? []).join(':').toUpperCase();
    const out = made.revokeBatch([a.serial, upper, c.serial], 'cACompromise', { at: '2026-12-06T09:00:00.000Z', actor: 'officer-4', details: { run: 'x', caId: 'overridden' }, registryCopies: new Set([b.serial]), onBatch: (s) => told.push([...s]) });
    expect(out).toEqual({ revoked: 2, records: 1 });
    expect(told).toEqual([[a.serial, b.serial, c.serial]]);
    const batch = records(f, 'ca.revoke.batch');
    expect(batch.map((r) => [r.actor, r.targetType, r.targetId, r.outcome])).toEqual([['officer-4', null, made.id, 'success']]);
    expect(batch[0]?.details).toEqual({
      run: 'x', caId: made.id, reason: 'cACompromise', revokedAt: '2026-12-06T09:00:00.000Z', batch: 1, batches: 1, count: 2, alreadyRevoked: 1,
      registryCopies: 1, serialList: `${a.serial} ${b.serial}`, deviceList: 'r-1 r-2',
    });
    expect(made.list().filter((x) => x.revocationReason === 'cACompromise').map((x) => x.revokedAt)).toEqual(['2026-12-06T09:00:00.000Z', '2026-12-06T09:00:00.000Z']);
    expect(made.revokeBatch([], 'keyCompromise', { at: T0_ISO })).toEqual({ revoked: 0, records: 0 });
    expect(await failure(() => made.revokeBatch([a.serial], 'nope' as never, { at: T0_ISO }))).toEqual({ code: 'invalid_input', reason: 'revocation_reason_invalid', message: 'Unknown revocation reason.' });
    expect(await failure(() => made.revokeBatch(['ab'.repeat(16)], 'keyCompromise', { at: T0_ISO }))).toMatchObject({ code: 'not_found' });
    expect(records(f, 'ca.revoke.batch')).toHaveLength(1);
  });
});

describe('fleet CA CRLs: number, dates, entries, pending revocations', () => {
  it('numbers 1, 2, 3; 168 hours by default, 8760 allowed, 8761 refused; entries with RFC 5280 reason codes', async () => {
    const { f, dir } = setup();
    const made = await ca(f, { actor: 'officer-1' });
    const csr = robotCsr(dir, '/CN=r-1', 'ec');
    const a = await made.issueDeviceCertificate(csr, { deviceId: 'r-1' });
    const b = await made.issueDeviceCertificate(csr, { deviceId: 'r-1' });
    made.revoke(a.serial, 'unspecified', { at: '2026-12-05T00:00:00.000Z' });
    made.revoke(b.serial, 'privilegeWithdrawn', { at: '2026-12-05T01:00:00.000Z' });

    const first = await made.publishCrl();
    expect(first).toMatchObject({ crlNumber: 1, thisUpdate: T0_ISO, nextUpdate: iso(Date.parse(T0_ISO) + 168 * HOUR), revoked: 2 });
    const view = crlView(first.der);
    expect(view).toMatchObject({ number: 1, thisUpdate: T0_ISO, nextUpdate: first.nextUpdate });
    // RFC 5280 5.3.1: no reason code for unspecified; privilegeWithdrawn is 9.
    expect(view.entries.sort()).toEqual([[a.serial, '2026-12-05T00:00:00.000Z', null], [b.serial, '2026-12-05T01:00:00.000Z', 9]].sort());
    expect(first.pem.startsWith('-----BEGIN X509 CRL-----\n')).toBe(true);
    expect(f.repo.latestCrl?.(made.id)).toMatchObject({ crlNumber: 1, thisUpdate: T0_ISO });

    const second = await made.publishCrl({ validityHours: 8760, actor: 'officer-5' });
    expect(second).toMatchObject({ crlNumber: 2, nextUpdate: iso(Date.parse(T0_ISO) + 8760 * HOUR) });
    expect(await failure(() => made.publishCrl({ validityHours: 8761 }))).toEqual({ code: 'invalid_input', reason: 'validityHours_invalid', message: 'validityHours must be a whole number from 1 to 8760.' });
    expect((await made.publishCrl({ validityHours: 1 })).crlNumber).toBe(3);
    const published = records(f, 'ca.crl.publish');
    expect(published.map((r) => [r.actor, r.targetType, r.targetId, r.outcome])).toEqual([
      ['officer-1', 'key', made.keyRef, 'success'], ['officer-5', 'key', made.keyRef, 'success'], ['officer-1', 'key', made.keyRef, 'failure'], ['officer-1', 'key', made.keyRef, 'success'],
    ]);
    expect(published[0]?.details).toEqual({ caId: made.id, crlNumber: 1, revoked: 2, nextUpdate: first.nextUpdate });
    expect(published[2]?.details).toMatchObject({ caId: made.id, code: 'invalid_input' });
  });

  it('prepareCrl lists pending revocations before they are stored; refuses one already revoked, twice, or with an unknown reason', async () => {
    const { f, dir } = setup();
    const made = await ca(f);
    const csr = robotCsr(dir, '/CN=r-1', 'ec');
    const a = await made.issueDeviceCertificate(csr, { deviceId: 'r-1' });
    const b = await made.issueDeviceCertificate(csr, { deviceId: 'r-1' });
    made.revoke(a.serial, 'keyCompromise', { at: '2026-12-05T00:00:00.000Z' });
    const at = '2026-12-06T08:00:00.000Z';
    const upperB = b.serial.toUpperCase();
    const prepared = await made.prepareCrl({ pending: [{ serial: upperB, reason: 'cACompromise', revokedAt: at }] });
    expect(prepared).toMatchObject({ crlNumber: 1, revoked: 2 });
    expect(crlView(prepared.der).entries).toEqual([[a.serial, '2026-12-05T00:00:00.000Z', 1], [b.serial, at, 2]]);
    expect(records(f, 'ca.crl.publish')).toEqual([]); // not recorded yet
    expect(f.repo.latestCrl?.(made.id) ?? null).toBeNull();
    prepared.record({ trigger: 'test' });
    expect(records(f, 'ca.crl.publish').map((r) => r.details)).toEqual([{ caId: made.id, crlNumber: 1, revoked: 2, nextUpdate: prepared.nextUpdate, trigger: 'test' }]);
    expect(f.repo.latestCrl?.(made.id)?.crlNumber).toBe(1);

    const already = (serial: string) => ({ code: 'invalid_input', reason: 'already_revoked', message: `Certificate ${serial} is already revoked.` });
    expect(await failure(() => made.prepareCrl({ pending: [{ serial: a.serial, reason: 'keyCompromise', revokedAt: at }] }))).toEqual(already(a.serial));
    expect(await failure(() => made.prepareCrl({ pending: [{ serial: b.serial, reason: 'keyCompromise', revokedAt: at }, { serial: upperB, reason: 'keyCompromise', revokedAt: at }] }))).toEqual(already(b.serial));
    expect(await failure(() => made.prepareCrl({ pending: [{ serial: b.serial, reason: 'nope' as never, revokedAt: at }] }))).toEqual({ code: 'invalid_input', reason: 'revocation_reason_invalid', message: 'Unknown revocation reason.' });
    expect(records(f, 'ca.crl.publish').map((r) => r.outcome)).toEqual(['success', 'failure', 'failure', 'failure']);
    // Two pending at one time share one date; each is listed.
    const c = await made.issueDeviceCertificate(csr, { deviceId: 'r-1' });
    const two = await made.prepareCrl({ pending: [{ serial: b.serial, reason: 'superseded', revokedAt: at }, { serial: c.serial, reason: 'superseded', revokedAt: at }] });
    expect(crlView(two.der).entries.map((e) => e.slice(1))).toEqual([['2026-12-05T00:00:00.000Z', 1], [at, 4], [at, 4]]);
  });

  it('prepareCrl with the pending serials as one list (one reason, one time): listed after the revoked ones, in order; the same refusals', async () => {
    const { f, dir } = setup();
    const made = await ca(f);
    const csr = robotCsr(dir, '/CN=r-1', 'ec');
    const [a, b, c] = [await made.issueDeviceCertificate(csr, { deviceId: 'r-1' }), await made.issueDeviceCertificate(csr, { deviceId: 'r-1' }), await made.issueDeviceCertificate(csr, { deviceId: 'r-1' })];
    made.revoke(a.serial, 'keyCompromise', { at: '2026-12-05T00:00:00.000Z' });
    const at = '2026-12-06T08:00:00.000Z';
    // Upper case and colons are the same serial (normalised), as in the list of objects.
    const colons = c.serial.toUpperCase().replace(/(..)(?!$)/g, '$1:');
    const prepared = await made.prepareCrl({ pending: { serials: [colons, b.serial], reason: 'superseded', revokedAt: at } });
    // RFC 5280 5.3.1 reasonCode: keyCompromise 1, superseded 4.
    expect(prepared).toMatchObject({ crlNumber: 1, revoked: 3 });
    expect(crlView(prepared.der).entries).toEqual([[a.serial, '2026-12-05T00:00:00.000Z', 1], [c.serial, at, 4], [b.serial, at, 4]]);
    prepared.record();
    expect(records(f, 'ca.crl.publish').map((r) => r.details)).toEqual([{ caId: made.id, crlNumber: 1, revoked: 3, nextUpdate: prepared.nextUpdate }]);
    // An empty list: the revoked ones alone.
    expect(crlView((await made.prepareCrl({ pending: { serials: [], reason: 'superseded', revokedAt: at } })).der).entries).toEqual([[a.serial, '2026-12-05T00:00:00.000Z', 1]]);

    const already = (serial: string) => ({ code: 'invalid_input', reason: 'already_revoked', message: `Certificate ${serial} is already revoked.` });
    expect(await failure(() => made.prepareCrl({ pending: { serials: [b.serial, a.serial], reason: 'keyCompromise', revokedAt: at } }))).toEqual(already(a.serial));
    expect(await failure(() => made.prepareCrl({ pending: { serials: [b.serial, b.serial.toUpperCase()], reason: 'keyCompromise', revokedAt: at } }))).toEqual(already(b.serial));
    expect(await failure(() => made.prepareCrl({ pending: { serials: [b.serial], reason: 'nope' as never, revokedAt: at } }))).toEqual({ code: 'invalid_input', reason: 'revocation_reason_invalid', message: 'Unknown revocation reason.' });
    expect(await failure(() => made.prepareCrl({ pending: { serials: ['xyz'], reason: 'keyCompromise', revokedAt: at } }))).toEqual({ code: 'invalid_input', reason: 'serial_invalid', message: 'The serial number must be hexadecimal.' });
    expect(records(f, 'ca.crl.publish').map((r) => r.outcome)).toEqual(['success', 'failure', 'failure', 'failure', 'failure']);
  });
});

describe('fleet CA field server certificate', () => {
  it('at most 397 days, cut at the CA end; at least one host; audited with its profile and hosts', async () => {
    const { f } = setup();
    const made = await ca(f, { validityDays: 300 });
    const spki = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' });
    const s = await made.issueServerCertificate(spki, { hosts: ['127.0.0.1', 'field.local'], validityDays: 397, actor: 'officer-6' });
    expect(s.notAfter).toBe(iso(Date.parse(T0_ISO) + 300 * DAY)); // the CA's end, not 397 days
    expect(validity(s.der)).toEqual({ notBefore: T0_ISO, notAfter: s.notAfter });
    expect(new crypto.X509Certificate(s.der).serialNumber.toLowerCase()).toBe(s.serial);
    const short = await made.issueServerCertificate(spki, { hosts: ['field.local'], validityDays: 30 });
    expect(short.notAfter).toBe(iso(Date.parse(T0_ISO) + 30 * DAY));
    expect(await failure(() => made.issueServerCertificate(spki, { hosts: ['field.local'], validityDays: 398 }))).toEqual({ code: 'invalid_input', reason: 'validityDays_invalid', message: 'validityDays must be a whole number from 1 to 397.' });
    expect(await failure(() => made.issueServerCertificate(spki, { hosts: [], validityDays: 30 }))).toEqual({ code: 'invalid_input', reason: 'hosts_missing', message: 'A server certificate names at least one host.' });
    const issued = records(f, 'ca.issue');
    expect(issued.map((r) => [r.actor, r.targetType, r.targetId, r.outcome])).toEqual([
      ['officer-6', null, null, 'success'], ['system', null, null, 'success'], ['system', null, null, 'failure'], ['system', null, null, 'failure'],
    ]);
    expect(issued[0]?.details).toEqual({ caId: made.id, profile: 'field_server', hosts: '127.0.0.1,field.local', serial: s.serial, notAfter: s.notAfter });
    expect(issued[3]?.details).toMatchObject({ profile: 'field_server', hosts: '', code: 'invalid_input' });
    expect(made.list()).toEqual([]); // not in the device inventory
  });
});

/** The fixture's provider, with its signing (or its public key) answered by another of its keys: a provider gone wrong. */
function swapped(provider: KmsProvider, otherKeyRef: string, what: 'sign' | 'getPublicKey'): KmsProvider {
  return new Proxy(provider, {
    get(target, prop) {
      if (prop === what) return (_keyRef: string, ...rest: unknown[]) => (target[what] as (k: string, ...r: unknown[]) => unknown).call(target, otherKeyRef, ...rest);
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

describe('a provider that signs or answers with another key (docs/fleet-ca.md: every signature checked against the CA key)', () => {
  const SIGNED_ELSEWHERE = { code: 'integrity_failure', reason: undefined, message: 'The provider signature does not verify under the CA public key.' };

  it('creating a CA: a certificate signed by another key is refused and audited, nothing stored', async () => {
    const { f } = setup();
    const key = await f.store.provider.createKey({ name: 'ca-key', spec: 'EC_P256', usage: 'sign' });
    const other = await f.store.provider.createKey({ name: 'other-key', spec: 'EC_P256', usage: 'sign' });
    const provider = swapped(f.store.provider, other.keyRef, 'sign');
    expect(await failure(() => createFleetCa({ provider, keyRef: key.keyRef, subject: CA_SUBJECT, clock: f.clock, audit: f.audit, repo: f.repo }))).toEqual(SIGNED_ELSEWHERE);
    expect(records(f, 'ca.create').map((r) => [r.outcome, r.details.code])).toEqual([['failure', 'integrity_failure']]);
    expect(f.repo.listCas()).toEqual([]);
  });

  it('opening a CA: unknown id, another provider, a provider key that is not the certificate\'s; then a server certificate signed elsewhere', async () => {
    const { f } = setup();
    const made = await ca(f);
    const deps = { clock: f.clock, audit: f.audit, repo: f.repo };
    expect(await failure(() => openFleetCa({ ...deps, provider: f.store.provider, caId: 'no-such-ca' }))).toEqual({ code: 'not_found', reason: undefined, message: 'No fleet CA with this id.' });
    const elsewhere = new Proxy(f.store.provider, { get: (t, p) => (p === 'id' ? 'another-provider' : (Reflect.get(t, p) as unknown)) });
    expect(await failure(() => openFleetCa({ ...deps, provider: elsewhere, caId: made.id }))).toEqual({ code: 'invalid_input', reason: 'provider_mismatch', message: `The fleet CA key is in provider ${f.store.provider.id}.` });
    const other = await f.store.provider.createKey({ name: 'other-key', spec: 'EC_P256', usage: 'sign' });
    expect(await failure(() => openFleetCa({ ...deps, provider: swapped(f.store.provider, other.keyRef, 'getPublicKey'), caId: made.id }))).toEqual({ code: 'integrity_failure', reason: undefined, message: 'The provider key does not match the stored CA certificate.' });
    const opened = await openFleetCa({ ...deps, provider: swapped(f.store.provider, other.keyRef, 'sign'), caId: made.id });
    const spki = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' });
    expect(await failure(() => opened.issueServerCertificate(spki, { hosts: ['field.local'], validityDays: 30 }))).toEqual(SIGNED_ELSEWHERE);
    expect(records(f, 'ca.issue').map((r) => [r.outcome, r.details.code])).toEqual([['failure', 'integrity_failure']]);
  });
});
