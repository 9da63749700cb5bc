// Replacing and revoking the fleet CA (electron/services/ca/caTransition.ts) against docs/fleet-ca.md ("Replacing and
// revoking the CA") and docs/emergency-response.md (what revoke_ca would touch), written out here: each CA's history
// entry and certificate counts, the robots flagged (those holding a valid certificate of the CA, once each, by device
// id), the last CRL of a replaced CA and the final CRL of a revoked one (every certificate not revoked yet, reason
// cACompromise = RFC 5280 5.3.1 code 2, at the whole second, valid for a year), the records written, the refusals and
// failures (audited, nothing changed). Real console and store, real local fleet CA, certificates seeded through the
// repositories (revocation-rules-kit.ts).
import { describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { ConsoleError } from '../../shared/errors.ts';
import { CTX, openUnlocked, tempDir, withRawDb } from './store-testkit.ts';
import { crlEntries, DAY, failure, iso, LOCAL, REASON_CODE, records, reopen, rig, serial, T0, T0_SECOND, type Seed } from './revocation-rules-kit.ts';

const HOUR = 3_600_000;
/** The CA's file name of a CRL (docs/fleet-ca.md: the CA's id's first 8 characters and the CRL number). */
const fileName = (caId: string, n: number) => `ecps-fleet-ca-${caId.slice(0, 8)}-${n}.crl.pem`;

// The fleet: [robot, its status, its certificates: [serial number, days to expiry, in the CA]] (every one with a
// registry copy: active unless revoked in the CA).
const FLEET: Array<[string, string, Array<[number, number, 'valid' | 'revoked']>]> = [
  ['uv-1', 'deployed', [[101, 90, 'valid']]],
  ['uv-2', 'deployed', [[102, -1, 'valid']]], // expired: not a holder, not flagged
  ['uv-3', 'deployed', [[103, 60, 'revoked']]], // revoked before: not a holder
  ['uv-5', 'provisioned', [[105, 120, 'valid'], [106, 150, 'valid']]], // two: flagged once
  ['uv-6', 'deployed', [[107, 200, 'valid']]], // revoked by certs:revoke in the same second as the CA (see below)
];
const seeds: Seed[] = FLEET.flatMap(([deviceId, , certs]) => certs.map(([n, days, ca]): Seed => ({ deviceId, serial: serial(n), days, ca, registry: ca === 'valid' ? 'active' : 'revoked' })));
const fleetRig = () => rig(FLEET.map(([d, s]) => [d, s]), seeds);

/** What emergency:preview says revoke_ca would touch (caTransition.impact). */
const impact = async (c: FleetConsole, caId?: string) => (await c.handlers['emergency:preview']({ scope: { kind: 'fleet' }, ...(caId ? { caId } : {}) }, CTX)).ca;

describe('the history and what a revocation would touch', () => {
  it('each CA\'s entry: its certificate, state and counts; the impact counts the not-revoked certificates (expired ones too) and the holders', async () => {
    const { c, caId } = await fleetRig();
    const status = await c.handlers['ca:status']({}, CTX);
    const history = await c.handlers['ca:history']({}, CTX);
    expect(history).toEqual({
      cas: [{
        id: caId, providerId: LOCAL, keyRef: status.keyRef, subject: 'CN=Revocation Rules CA, O=ECPS-UV Fleet', certificatePem: status.certificatePem, notAfter: status.notAfter,
        createdAt: iso(T0 - 60 * DAY), state: 'current', changedAt: null, changedBy: null, reason: null, successorId: null,
        certificates: { total: 6, valid: 4, revoked: 1, expired: 1 },
      }],
      renewals: [],
    });
    expect(await impact(c)).toEqual({ caId, subject: 'CN=Revocation Rules CA, O=ECPS-UV Fleet', providerId: LOCAL, state: 'current', certificates: 5, robots: 3 });
    expect(await impact(c, caId)).toMatchObject({ caId, certificates: 5, robots: 3 });
    expect((await failure(impact(c, '0b6f3c2e-4a1d-4c8e-9f00-1234567890ab'))).code).toBe('not_found');
  });

  it('a store without a CA: no impact; replacing is refused not_initialized, audited without a target', async () => {
    const c = await openUnlocked(tempDir('ecps-ca-none-'));
    try {
      expect(await impact(c)).toBeNull();
      expect(await failure(c.handlers['ca:replace']({ algorithm: 'EC_P256', commonName: 'X', reason: 'r' }, CTX))).toMatchObject({ code: 'not_initialized' });
      expect(await failure(c.handlers['ca:revoke']({ reason: 'r' }, CTX))).toEqual({ code: 'not_initialized', message: 'There is no current fleet CA to revoke.', details: undefined });
      expect(records(c, 'ca.replace').map((r) => [r.outcome, r.targetId, r.details])).toEqual([['failure', null, { reason: 'r', code: 'not_initialized' }]]);
      expect(records(c, 'ca.compromise').map((r) => [r.outcome, r.targetId, r.details])).toEqual([['failure', null, { reason: 'r', code: 'not_initialized' }]]);
    } finally {
      c.close();
    }
  });
});

describe('replacing the CA', () => {
  it('the old CA signs its last CRL, is retired with its successor, and each robot holding a valid certificate of it is flagged once', async () => {
    const { c, caId: oldId } = await fleetRig();
    const published = records(c, 'ca.crl.publish').length;
    const out = await c.handlers['ca:replace']({ algorithm: 'EC_P256', commonName: 'Second CA', reason: 'planned replacement' }, CTX);
    const newId = out.current.id;
    expect(newId).not.toBe(oldId);
    expect(out.flagged).toEqual(['uv-1', 'uv-5', 'uv-6']);
    expect(out.previous).toMatchObject({
      id: oldId, state: 'retired', changedAt: iso(T0), changedBy: 'alice', reason: 'planned replacement', successorId: newId,
      certificates: { total: 6, valid: 4, revoked: 1, expired: 1 },
    });
    expect(out.current).toMatchObject({
      id: newId, providerId: LOCAL, subject: 'CN=Second CA, O=ECPS-UV Fleet', state: 'current', changedAt: null, changedBy: null, reason: null, successorId: null,
      certificates: { total: 0, valid: 0, revoked: 0, expired: 0 },
    });
    // The old CA's last CRL lists what it had revoked (and nothing new).
    const crl = out.previousCrl;
    expect(crl).toEqual({ caId: oldId, pem: crl.pem, crlNumber: crl.crlNumber, revoked: 1, fileName: fileName(oldId, crl.crlNumber) });
    expect(crlEntries(crl.pem)).toMatchObject({ number: crl.crlNumber, entries: [[serial(103), iso(T0 - 30 * DAY - 789), REASON_CODE.superseded]] });
    const crlRecords = records(c, 'ca.crl.publish').slice(published);
    expect(crlRecords.map((r) => [r.outcome, r.details.caId, r.details.crlNumber, r.details.trigger])).toEqual([['success', oldId, crl.crlNumber, 'ca_replace']]);
    // The old CA cross-certified the new one (docs/fleet-ca.md, "Cross-certificates"); ca.replace names it.
    const cross = records(c, 'ca.cross_certify');
    expect(cross.map((r) => [r.outcome, r.targetId, r.details.subjectCaId])).toEqual([['success', oldId, newId]]);
    expect(records(c, 'ca.replace').map((r) => [r.outcome, r.actor, r.targetId, r.details])).toEqual([
      ['success', 'alice', oldId, { caId: newId, provider: LOCAL, flagged: 3, crlNumber: crl.crlNumber, crossCertificate: cross[0]!.details.serial, reason: 'planned replacement' }],
    ]);
    // The new CA issues from now on; the history lists both, newest first, and the open renewals.
    expect((await c.ca.require()).id).toBe(newId);
    const history = await c.handlers['ca:history']({}, CTX);
    expect(history.cas.map((x) => [x.id, x.state])).toEqual([[newId, 'current'], [oldId, 'retired']]);
    expect(history.renewals.map((r) => [r.deviceId, r.caId, r.reason, r.flaggedBy, r.flaggedAt])).toEqual(['uv-1', 'uv-5', 'uv-6'].map((d) => [d, oldId, 'ca_replaced', 'alice', iso(T0)]));
  });

  it('a failure after the CRL was signed: the provider\'s code, or internal, audited against the old CA; nothing changed', async () => {
    const { c, caId } = await fleetRig();
    const before = await c.handlers['ca:history']({}, CTX);
    const published = records(c, 'ca.crl.publish').length;
    const createCa = c.ca.createCa.bind(c.ca);
    c.ca.createCa = () => Promise.reject(new ConsoleError('provider_unavailable', 'The key provider is unreachable.'));
    expect(await failure(c.handlers['ca:replace']({ algorithm: 'EC_P256', commonName: 'Second CA', reason: 'r1' }, CTX))).toEqual({ code: 'provider_unavailable', message: 'The key provider is unreachable.', details: undefined });
    c.ca.createCa = () => Promise.reject(new Error('unexpected: /secret/path'));
    expect(await failure(c.handlers['ca:replace']({ algorithm: 'EC_P256', commonName: 'Second CA', reason: 'r2' }, CTX))).toEqual({ code: 'internal', message: 'ca.replace failed unexpectedly; nothing changed.', details: undefined });
    c.ca.createCa = createCa;
    expect(records(c, 'ca.replace').map((r) => [r.outcome, r.targetId, r.details])).toEqual([
      ['failure', caId, { reason: 'r1', code: 'provider_unavailable' }],
      ['failure', caId, { reason: 'r2', code: 'internal' }],
    ]);
    expect(await c.handlers['ca:history']({}, CTX)).toEqual(before);
    expect(records(c, 'ca.crl.publish')).toHaveLength(published);
  });
});

describe('a cross-certificate the retired CA cannot sign', () => {
  it('does not undo the replacement: replaced, flagged, ca.replace names no cross-certificate', async () => {
    const { c, caId } = await fleetRig();
    const require = c.ca.require.bind(c.ca);
    // The old CA, as the replacement opens it, whose provider refuses the cross-certificate's signature.
    c.ca.require = async () => ({ ...(await require()), issueCrossCertificate: () => Promise.reject(new ConsoleError('provider_unavailable', 'The key provider is unreachable.')) });
    const out = await c.handlers['ca:replace']({ algorithm: 'EC_P256', commonName: 'Second CA', reason: 'planned' }, CTX);
    c.ca.require = require;
    expect(out.previous).toMatchObject({ id: caId, state: 'retired', successorId: out.current.id });
    expect(out.flagged).toEqual(['uv-1', 'uv-5', 'uv-6']);
    expect(records(c, 'ca.replace').map((r) => [r.outcome, r.details.crossCertificate])).toEqual([['success', null]]);
  });
});

describe('a replacement whose last step failed', () => {
  it('the new CA exists and is current; the old one, without a transition, shows as retired; nothing else changed', async () => {
    const r = await fleetRig();
    r.c.close();
    withRawDb(r.dir, (db) => db.exec("CREATE TRIGGER test_abort BEFORE INSERT ON fleet_ca_transitions BEGIN SELECT RAISE(ABORT, 'injected failure'); END"));
    const c = await reopen(r);
    const err = await failure(c.handlers['ca:replace']({ algorithm: 'EC_P256', commonName: 'Second CA', reason: 'planned' }, CTX));
    expect(err.code).toBe('internal');
    expect(records(c, 'ca.replace').map((x) => [x.outcome, x.targetId, x.details])).toEqual([['failure', r.caId, { reason: 'planned', code: 'internal' }]]);
    const history = await c.handlers['ca:history']({}, CTX);
    expect(history.cas.map((x) => [x.subject, x.state, x.changedAt, x.successorId])).toEqual([
      ['CN=Second CA, O=ECPS-UV Fleet', 'current', null, null],
      ['CN=Revocation Rules CA, O=ECPS-UV Fleet', 'retired', null, null],
    ]);
    expect(history.renewals).toEqual([]);
  });
});

describe('revoking a compromised CA', () => {
  it('the current CA: every certificate not revoked yet on a final CRL valid for a year, in one batch, robots flagged, the store left without a CA', async () => {
    const { c, caId } = await fleetRig();
    // Revoked in the same second as the CA: uv-6 held no valid certificate of it when it was revoked, so it is not flagged.
    expect(await c.handlers['certs:revoke']({ serial: serial(107), reason: 'superseded' }, CTX)).toEqual({ revoked: true });
    const published = records(c, 'ca.crl.publish').length;
    const out = await c.handlers['ca:revoke']({ reason: 'key leaked' }, CTX);
    // Soonest expiry first (the CA's inventory order).
    const revoked = [102, 101, 105, 106].map(serial);
    expect(out.revokedSerials).toEqual(revoked);
    expect(out.flagged).toEqual(['uv-1', 'uv-5']);
    expect(out.ca).toMatchObject({ id: caId, state: 'compromised', changedAt: iso(T0), changedBy: 'alice', reason: 'key leaked', successorId: null });
    expect(out.ca.certificates).toMatchObject({ total: 6, valid: 0, revoked: 6 });
    const crl = out.finalCrl;
    expect(crl).toEqual({ caId, pem: crl.pem, crlNumber: crl.crlNumber, revoked: 6, fileName: fileName(caId, crl.crlNumber) });
    const read = crlEntries(crl.pem);
    expect(read.number).toBe(crl.crlNumber);
    expect(read.entries.filter(([s]) => revoked.includes(s)).sort()).toEqual([...revoked].sort().map((s) => [s, T0_SECOND, REASON_CODE.cACompromise]));
    expect(read.entries.filter(([s]) => !revoked.includes(s)).map((e) => [e[0], e[2]]).sort()).toEqual([[serial(103), REASON_CODE.superseded], [serial(107), REASON_CODE.superseded]]);
    expect(Date.parse(read.nextUpdate) - Date.parse(read.thisUpdate)).toBe(8760 * HOUR);
    expect(read.thisUpdate).toBe(T0_SECOND);

    const batch = records(c, 'ca.revoke.batch');
    expect(batch).toHaveLength(1);
    expect(batch[0]!.details).toMatchObject({ trigger: 'ca_revoke', crlNumber: crl.crlNumber, caId, reason: 'cACompromise', count: 4 });
    expect(Object.keys(batch[0]!.details)).not.toContain('runId');
    expect(String(batch[0]!.details.serialList).split(' ').sort()).toEqual([...revoked].sort());
    expect(records(c, 'ca.crl.publish').slice(published).map((r) => [r.details.caId, r.details.crlNumber, r.details.trigger])).toEqual([[caId, crl.crlNumber, 'ca_compromise']]);
    expect(records(c, 'ca.compromise').map((r) => [r.outcome, r.targetId, r.details])).toEqual([
      ['success', caId, { revoked: 4, flagged: 2, crlNumber: crl.crlNumber, wasCurrent: true, reason: 'key leaked' }],
    ]);
    // The registry's copies are revoked with them; no current CA is left; the renewals name the compromise.
    for (const deviceId of ['uv-1', 'uv-2', 'uv-5']) expect((await c.handlers['fleet:get']({ deviceId }, CTX)).certificates.map((x) => x.status)).not.toContain('active');
    expect((await c.handlers['ca:status']({}, CTX)).initialized).toBe(false);
    // Nothing is issued by the compromised CA any more: the service's opened CA is dropped with it.
    expect(await failure(c.ca.require())).toMatchObject({ code: 'not_initialized' });
    expect((await c.handlers['ca:history']({}, CTX)).renewals.map((r) => [r.deviceId, r.reason])).toEqual([['uv-1', 'ca_compromised'], ['uv-5', 'ca_compromised']]);

    // Refused afterwards: the same CA again, an unknown one, and "the current one" (there is none).
    expect(await failure(c.handlers['ca:revoke']({ caId, reason: 'again' }, CTX))).toEqual({ code: 'illegal_transition', message: `Fleet CA ${caId} was revoked already.`, details: { from: 'compromised', to: 'compromised' } });
    const unknown = '0b6f3c2e-4a1d-4c8e-9f00-1234567890ab';
    expect(await failure(c.handlers['ca:revoke']({ caId: unknown, reason: 'x' }, CTX))).toEqual({ code: 'not_found', message: 'No fleet CA with this id.', details: undefined });
    expect(await failure(c.handlers['ca:revoke']({ reason: 'y' }, CTX))).toMatchObject({ code: 'not_initialized' });
    expect(records(c, 'ca.compromise').slice(1).map((r) => [r.outcome, r.targetId, r.details])).toEqual([
      ['failure', caId, { reason: 'again', code: 'illegal_transition' }],
      ['failure', unknown, { reason: 'x', code: 'not_found' }],
      ['failure', null, { reason: 'y', code: 'not_initialized' }],
    ]);
  });

  it('a retired CA by id: it keeps its successor, the current CA stays, and its holders are flagged for the compromise', async () => {
    const { c, caId: oldId } = await fleetRig();
    const replaced = await c.handlers['ca:replace']({ algorithm: 'EC_P256', commonName: 'Second CA', reason: 'planned' }, CTX);
    const newId = replaced.current.id;
    const out = await c.handlers['ca:revoke']({ caId: oldId, reason: 'old key leaked' }, CTX);
    expect(out.ca).toMatchObject({ id: oldId, state: 'compromised', successorId: newId, reason: 'old key leaked' });
    expect(out.revokedSerials).toEqual([102, 101, 105, 106, 107].map(serial));
    expect(out.flagged).toEqual(['uv-1', 'uv-5', 'uv-6']);
    expect(records(c, 'ca.compromise')[0]!.details).toMatchObject({ revoked: 5, flagged: 3, wasCurrent: false });
    expect(await c.handlers['ca:status']({}, CTX)).toMatchObject({ initialized: true });
    expect((await c.ca.require()).id).toBe(newId);
    expect((await c.handlers['ca:history']({}, CTX)).cas.map((x) => [x.id, x.state])).toEqual([[newId, 'current'], [oldId, 'compromised']]);
  });

  it('a certificate revoked while the final CRL is being signed: store_busy, audited, nothing changed', async () => {
    const { c, caId } = await fleetRig();
    const open = c.ca.open.bind(c.ca);
    c.ca.open = async (id) => {
      const ca = await open(id);
      const prepareCrl = ca.prepareCrl.bind(ca);
      return Object.assign(Object.create(ca) as typeof ca, {
        prepareCrl: async (options: Parameters<typeof ca.prepareCrl>[0]) => {
          const crl = await prepareCrl(options);
          await c.handlers['certs:revoke']({ serial: serial(101), reason: 'superseded' }, CTX);
          return crl;
        },
      });
    };
    const err = await failure(c.handlers['ca:revoke']({ reason: 'raced' }, CTX));
    c.ca.open = open;
    expect(err).toEqual({ code: 'store_busy', message: 'The CA issued or revoked a certificate while its final CRL was being signed. Nothing changed; try again.', details: undefined });
    expect(records(c, 'ca.compromise').map((r) => [r.outcome, r.targetId, r.details])).toEqual([['failure', caId, { reason: 'raced', code: 'store_busy' }]]);
    expect((await c.handlers['ca:history']({}, CTX)).cas.map((x) => [x.state, x.certificates])).toEqual([['current', { total: 6, valid: 3, revoked: 2, expired: 1 }]]);
    expect(records(c, 'ca.revoke.batch')).toEqual([]);
  });

  it('an unexpected error: internal, said plainly, audited; the CA stays current', async () => {
    const { c, caId } = await fleetRig();
    const open = c.ca.open.bind(c.ca);
    c.ca.open = () => Promise.reject(new Error('disk on fire'));
    const err = await failure(c.handlers['ca:revoke']({ caId, reason: 'x' }, CTX));
    c.ca.open = open;
    expect(err).toEqual({ code: 'internal', message: 'ca.compromise failed unexpectedly; nothing changed.', details: undefined });
    expect(records(c, 'ca.compromise').map((r) => [r.outcome, r.targetId, r.details])).toEqual([['failure', caId, { reason: 'x', code: 'internal' }]]);
    expect((await c.handlers['ca:status']({}, CTX)).initialized).toBe(true);
  });
});
