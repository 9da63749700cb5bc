// Revoking a robot (electron/services/ca/robotRevocation.ts) against the rules of docs/fleet.md ("Revoking a robot
// revokes its certificates") and docs/fleet-ca.md ("Revocations during a transition"), written out here as tables: what
// the plan names (every valid certificate of every CA, every copy the registry holds as active, expired ones too; none
// that is revoked; soonest expiry first, then by serial), what the operation revokes and with which RFC 5280 reason
// code (5.3.1: keyCompromise 1, privilegeWithdrawn 9, the default), the revocation time (whole seconds of the clock),
// the CRL it publishes and the records it writes; the refusals before anything is signed; and the re-signing when the
// robot's certificates change while the CRL is being signed (3 attempts, then store_busy). Real store and console,
// real local fleet CA; certificates seeded through the repositories while no console holds the store.
import { describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { ConsoleError } from '../../shared/errors.ts';
import { CTX } from './store-testkit.ts';
import { crlEntries, DAY, failure, iso, LOCAL, REASON_CODE, records, rig, reopen, seed, serial, T0, T0_SECOND, type Seed } from './revocation-rules-kit.ts';

describe('the plan: what revoking the robot revokes', () => {
  // uv-a's certificates: [serial number, days to expiry, in the CA, in the registry] and where the plan puts each.
  const A: Array<[number, number, Seed['ca'], Seed['registry']]> = [
    [1, 30, 'valid', 'active'], // both
    // The CA's valid certificate whose registry copy was revoked: the CA's only. (One with no registry row at all would
    // be an abandoned session's, revoked by the station's sweep at unlock.) Same expiry as 2, a larger serial.
    [3, 10, 'valid', 'revoked'],
    [2, 10, 'valid', 'revoked'],
    [4, -1, 'valid', 'active'], // expired: the CA no longer lists it as valid, the registry copy is still active
    [5, 20, 'none', 'active'], // a copy no CA of the store holds
    [6, 40, 'revoked', 'revoked'], // revoked everywhere: not in the plan
    [7, 50, 'valid', 'revoked'],
  ];
  const seeds = (deviceId: string, rows: typeof A): Seed[] => rows.map(([n, days, ca, registry]) => ({ deviceId, serial: serial(n), days, ca, registry }));

  it('names every valid certificate of the CA and every active registry copy, soonest expiry first, then by serial', async () => {
    const { c, caId } = await rig([['uv-a', 'provisioned'], ['uv-b', 'provisioned'], ['uv-none', 'deployed']], [
      ...seeds('uv-a', A),
      { deviceId: 'uv-b', serial: serial(20), days: -5, ca: 'valid', registry: 'active' },
    ]);
    const both = { caId, inCa: true, inRegistry: true };
    const caOnly = { caId, inCa: true, inRegistry: false };
    const copyOnly = { inCa: false, inRegistry: true };
    expect(await c.handlers['fleet:revocationPlan']({ deviceId: 'uv-a' }, CTX)).toEqual({
      deviceId: 'uv-a',
      certificates: [
        { serial: serial(4), notAfter: iso(T0 - DAY), ...copyOnly },
        { serial: serial(2), notAfter: iso(T0 + 10 * DAY), ...caOnly },
        { serial: serial(3), notAfter: iso(T0 + 10 * DAY), ...caOnly },
        { serial: serial(5), notAfter: iso(T0 + 20 * DAY), ...copyOnly },
        { serial: serial(1), notAfter: iso(T0 + 30 * DAY), ...both },
        { serial: serial(7), notAfter: iso(T0 + 50 * DAY), ...caOnly },
      ],
      crlUpdate: true,
      caProviderId: LOCAL,
    });
    // Only an expired copy: nothing for the CA to list, so no CRL update.
    expect(await c.handlers['fleet:revocationPlan']({ deviceId: 'uv-b' }, CTX)).toEqual({
      deviceId: 'uv-b', certificates: [{ serial: serial(20), notAfter: iso(T0 - 5 * DAY), ...copyOnly }], crlUpdate: false, caProviderId: LOCAL,
    });
    expect(await c.handlers['fleet:revocationPlan']({ deviceId: 'uv-none' }, CTX)).toEqual({ deviceId: 'uv-none', certificates: [], crlUpdate: false, caProviderId: LOCAL });
    expect(await failure(c.handlers['fleet:revocationPlan']({ deviceId: 'uv-x' }, CTX))).toMatchObject({ code: 'not_found', message: 'No robot with device id uv-x.' });
  });

  it('revoking uv-a revokes exactly the plan with the default reason (privilegeWithdrawn, code 9) at the whole second, in one batch record', async () => {
    const { c, caId } = await rig([['uv-a', 'deployed']], seeds('uv-a', A));
    const plan = (await c.handlers['fleet:revocationPlan']({ deviceId: 'uv-a' }, CTX)).certificates.map((x) => x.serial);
    const published = records(c, 'ca.crl.publish').length;
    const out = await c.handlers['fleet:setStatus']({ deviceId: 'uv-a', status: 'revoked', reason: 'left the fleet' }, CTX);
    expect(out).toMatchObject({ deviceId: 'uv-a', status: 'revoked' });
    const crl = out.revocation!.crl!;
    expect(Object.keys(crl).sort()).toEqual(['crlNumber', 'nextUpdate', 'pem', 'revoked', 'thisUpdate']);
    expect(out.revocation).toEqual({ certificateReason: 'privilegeWithdrawn', revokedSerials: plan, crl, crls: [{ caId, ...crl }] });
    // The CRL lists the CA's four (never the expired one nor the copy no CA holds), with the reason and the second.
    const read = crlEntries(crl.pem);
    expect(read.number).toBe(crl.crlNumber);
    expect(read.entries.filter(([s]) => s !== serial(6)).sort()).toEqual([1, 2, 3, 7].map((n) => [serial(n), T0_SECOND, REASON_CODE.privilegeWithdrawn]));
    expect(crl.revoked).toBe(read.entries.length);
    expect([crl.thisUpdate, crl.nextUpdate >= crl.thisUpdate]).toEqual([T0_SECOND, true]);

    // The CA's four in one batch record; the two copies no CA can revoke each in a robot.certificate.revoke record.
    expect(records(c, 'ca.revoke')).toEqual([]);
    const batch = records(c, 'ca.revoke.batch');
    expect(batch).toHaveLength(1);
    expect(batch[0]).toMatchObject({ outcome: 'success', details: { trigger: 'robot_revocation', deviceId: 'uv-a', crlNumber: crl.crlNumber, caId, reason: 'privilegeWithdrawn', count: 4 } });
    expect(String(batch[0]!.details.serialList).split(' ').sort()).toEqual([1, 2, 3, 7].map(serial));
    expect(records(c, 'robot.certificate.revoke').map((r) => r.details).sort((a, b) => String(a.serial).localeCompare(String(b.serial)))).toEqual([
      { serial: serial(4), reason: 'privilegeWithdrawn' },
      { serial: serial(5), reason: 'privilegeWithdrawn' },
    ]);
    const crlRecords = records(c, 'ca.crl.publish').slice(published);
    expect(crlRecords).toHaveLength(1);
    expect(crlRecords[0]).toMatchObject({ outcome: 'success', details: { trigger: 'robot_revocation', deviceId: 'uv-a', crlNumber: crl.crlNumber, caId } });
    const status = records(c, 'robot.status');
    expect(status).toHaveLength(1);
    expect(status[0]).toMatchObject({ outcome: 'success', targetId: 'uv-a' });
    expect(status[0]!.details).toEqual({ from: 'deployed', to: 'revoked', reason: 'left the fleet', certificateReason: 'privilegeWithdrawn', certificates: plan.join(' '), crlNumber: crl.crlNumber });

    // Nothing of the robot is left valid, in the CA or in the registry.
    expect((await c.handlers['fleet:revocationPlan']({ deviceId: 'uv-a' }, CTX)).certificates).toEqual([]);
    const copies = (await c.handlers['fleet:get']({ deviceId: 'uv-a' }, CTX)).certificates;
    expect(copies.map((x) => x.status)).toEqual(copies.map(() => 'revoked'));
    expect(c.audit.verify().ok).toBe(true);
  });

  it('a robot\'s only certificate: one ca.revoke record and its copy\'s, with the reason given (keyCompromise, code 1)', async () => {
    const { c, caId } = await rig([['uv-c', 'quarantined']], [{ deviceId: 'uv-c', serial: serial(30), days: 90, ca: 'valid', registry: 'active' }]);
    const out = await c.handlers['fleet:setStatus']({ deviceId: 'uv-c', status: 'revoked', reason: 'stolen', certificateReason: 'keyCompromise' }, CTX);
    expect(out.revocation).toMatchObject({ certificateReason: 'keyCompromise', revokedSerials: [serial(30)], crls: [{ caId }] });
    expect(crlEntries(out.revocation!.crl!.pem).entries).toEqual([[serial(30), T0_SECOND, REASON_CODE.keyCompromise]]);
    expect(records(c, 'ca.revoke.batch')).toEqual([]);
    expect(records(c, 'ca.revoke').map((r) => [r.outcome, r.targetId, r.details.serial, r.details.reason, r.details.caId])).toEqual([['success', 'uv-c', serial(30), 'keyCompromise', caId]]);
    expect(records(c, 'robot.certificate.revoke').map((r) => r.details)).toEqual([{ serial: serial(30), reason: 'keyCompromise' }]);
    expect(records(c, 'robot.status')[0]!.details).toEqual({ from: 'quarantined', to: 'revoked', reason: 'stolen', certificateReason: 'keyCompromise', certificates: serial(30), crlNumber: out.revocation!.crl!.crlNumber });
  });

  it('a robot whose only copy expired: revoked in the registry, no CRL signed, crl null', async () => {
    const { c } = await rig([['uv-b', 'provisioned']], [{ deviceId: 'uv-b', serial: serial(20), days: -5, ca: 'valid', registry: 'active' }]);
    const published = records(c, 'ca.crl.publish').length;
    const out = await c.handlers['fleet:setStatus']({ deviceId: 'uv-b', status: 'revoked', reason: 'scrapped', certificateReason: 'keyCompromise' }, CTX);
    expect(out.revocation).toEqual({ certificateReason: 'keyCompromise', revokedSerials: [serial(20)], crl: null, crls: [] });
    expect(records(c, 'ca.crl.publish')).toHaveLength(published);
    expect(records(c, 'robot.certificate.revoke').map((r) => r.details)).toEqual([{ serial: serial(20), reason: 'keyCompromise' }]);
    expect([records(c, 'ca.revoke'), records(c, 'ca.revoke.batch')]).toEqual([[], []]);
    expect(records(c, 'robot.status')[0]!.details).toEqual({ from: 'provisioned', to: 'revoked', reason: 'scrapped', certificateReason: 'keyCompromise', certificates: serial(20), crlNumber: null });
    expect((await c.handlers['fleet:get']({ deviceId: 'uv-b' }, CTX)).certificates.map((x) => x.status)).toEqual(['revoked']);
  });
});

describe('refused before anything is signed', () => {
  it('a decommissioned robot: illegal_transition {from, to}, audited at the plan step, not logged, nothing signed or changed', async () => {
    const { c, logger } = await rig([['uv-d', 'decommissioned']], [{ deviceId: 'uv-d', serial: serial(40), days: 90, ca: 'valid', registry: 'active' }]);
    const published = records(c, 'ca.crl.publish').length;
    const err = await failure(c.handlers['fleet:setStatus']({ deviceId: 'uv-d', status: 'revoked', reason: 'x' }, CTX));
    expect(err).toEqual({ code: 'illegal_transition', message: 'Robot uv-d is decommissioned; it cannot become revoked.', details: { from: 'decommissioned', to: 'revoked' } });
    expect(records(c, 'robot.status').map((r) => [r.outcome, r.targetId, r.details])).toEqual([
      ['failure', 'uv-d', { to: 'revoked', step: 'plan', code: 'illegal_transition', certificateReason: 'privilegeWithdrawn', certificates: 1 }],
    ]);
    expect(logger.entries.filter((e) => e.level === 'error')).toEqual([]);
    expect(records(c, 'ca.crl.publish')).toHaveLength(published);
    expect((await c.handlers['fleet:revocationPlan']({ deviceId: 'uv-d' }, CTX)).certificates).toHaveLength(1);
  });

  it('an unknown robot: not_found as is, audited with no certificate count', async () => {
    const { c, logger } = await rig([], []);
    const err = await failure(c.handlers['fleet:setStatus']({ deviceId: 'uv-x', status: 'revoked', reason: 'x', certificateReason: 'keyCompromise' }, CTX));
    expect(err).toMatchObject({ code: 'not_found', message: 'No robot with device id uv-x.' });
    expect(records(c, 'robot.status').map((r) => [r.outcome, r.targetId, r.details])).toEqual([
      ['failure', 'uv-x', { to: 'revoked', step: 'plan', code: 'not_found', certificateReason: 'keyCompromise', certificates: null }],
    ]);
    expect(logger.entries.filter((e) => e.level === 'error')).toEqual([]);
  });
});

describe('the robot\'s certificates change while the CRL is being signed', () => {
  type Prepare = FleetConsole['ca']['prepareRevocations'];
  /** Runs `before` ahead of each signing and `after` once it is signed (the real CA signs in between); counts the signings. */
  function interpose(c: FleetConsole, hooks: { before?: (n: number) => Promise<void>; after?: (n: number) => Promise<void> }): { calls: number } {
    const real: Prepare = c.ca.prepareRevocations.bind(c.ca);
    const seen = { calls: 0 };
    c.ca.prepareRevocations = async (pending, options) => {
      const n = ++seen.calls;
      await hooks.before?.(n);
      const out = await real(pending, options);
      await hooks.after?.(n);
      return out;
    };
    return seen;
  }
  const four = (deviceId: string): Seed[] => [61, 62, 63, 64].map((n) => ({ deviceId, serial: serial(n), days: 90, ca: 'valid', registry: 'active' }));

  it('one revoked meanwhile (certs:revoke): signed again for what is left; only that CRL is published', async () => {
    const { c } = await rig([['uv-e', 'deployed']], four('uv-e'));
    const seen = interpose(c, { after: async (n) => void (n === 1 && (await c.handlers['certs:revoke']({ serial: serial(61), reason: 'superseded' }, CTX))) });
    const published = records(c, 'ca.crl.publish').length;
    const out = await c.handlers['fleet:setStatus']({ deviceId: 'uv-e', status: 'revoked', reason: 'raced' }, CTX);
    expect(seen.calls).toBe(2);
    expect(out.revocation!.revokedSerials).toEqual([62, 63, 64].map(serial));
    const entries = crlEntries(out.revocation!.crl!.pem).entries;
    expect(entries).toEqual(expect.arrayContaining([[serial(61), T0_SECOND, REASON_CODE.superseded], ...[62, 63, 64].map((n) => [serial(n), T0_SECOND, REASON_CODE.privilegeWithdrawn])]));
    // The CRL signed for the first plan was never recorded as published.
    const crls = records(c, 'ca.crl.publish').slice(published).filter((r) => r.details.deviceId === 'uv-e');
    expect(crls.map((r) => r.details.crlNumber)).toEqual([out.revocation!.crl!.crlNumber]);
  });

  it('a registry copy revoked meanwhile (the CA\'s certificate still valid): the plan changed, so it is signed again', async () => {
    const { c } = await rig([['uv-k', 'deployed']], four('uv-k'));
    const seen = interpose(c, { after: async (n) => void (n === 1 && c.fleet.revokeCertificate(serial(63), 'superseded')) });
    const out = await c.handlers['fleet:setStatus']({ deviceId: 'uv-k', status: 'revoked', reason: 'raced' }, CTX);
    expect(seen.calls).toBe(2);
    expect(out.revocation!.revokedSerials).toEqual([61, 62, 63, 64].map(serial));
  });

  it('a robot\'s only certificate, the clock moving while the CRL is signed: the store keeps the CRL\'s revocation time and the operator', async () => {
    const { c, clock } = await rig([['uv-m', 'deployed']], [{ deviceId: 'uv-m', serial: serial(90), days: 90, ca: 'valid', registry: 'active' }]);
    interpose(c, { after: async () => clock.advance(5000) });
    const out = await c.handlers['fleet:setStatus']({ deviceId: 'uv-m', status: 'revoked', reason: 'slow KMS' }, CTX);
    expect(crlEntries(out.revocation!.crl!.pem).entries).toEqual([[serial(90), T0_SECOND, REASON_CODE.privilegeWithdrawn]]);
    const cert = (await c.handlers['certs:list']({}, CTX)).certificates.find((x) => x.serial === serial(90));
    expect([cert?.status, cert?.revokedAt]).toEqual(['revoked', T0_SECOND]);
    expect(records(c, 'ca.revoke').map((r) => r.actor)).toEqual(['alice']);
  });

  it('one revoked before its CRL is signed (already_revoked): planned again, and the rest revoked', async () => {
    const { c } = await rig([['uv-f', 'deployed']], four('uv-f'));
    const seen = interpose(c, { before: async (n) => void (n === 1 && (await c.handlers['certs:revoke']({ serial: serial(64), reason: 'superseded' }, CTX))) });
    const out = await c.handlers['fleet:setStatus']({ deviceId: 'uv-f', status: 'revoked', reason: 'raced', certificateReason: 'keyCompromise' }, CTX);
    expect(seen.calls).toBe(2);
    expect(out.revocation!.revokedSerials).toEqual([61, 62, 63].map(serial));
    const certs = (await c.handlers['certs:list']({}, CTX)).certificates.filter((x) => x.deviceId === 'uv-f');
    expect(certs.map((x) => [x.serial, x.status, x.revocationReason]).sort()).toEqual([
      [serial(61), 'revoked', 'keyCompromise'], [serial(62), 'revoked', 'keyCompromise'], [serial(63), 'revoked', 'keyCompromise'], [serial(64), 'revoked', 'superseded'],
    ]);
  });

  it('changing at every attempt: store_busy after the third signing, audited at the commit step and logged; nothing changed', async () => {
    const { c, logger } = await rig([['uv-g', 'deployed']], four('uv-g'));
    const seen = interpose(c, { after: async (n) => void (await c.handlers['certs:revoke']({ serial: serial(60 + n), reason: 'superseded' }, CTX)) });
    const err = await failure(c.handlers['fleet:setStatus']({ deviceId: 'uv-g', status: 'revoked', reason: 'raced' }, CTX));
    expect(seen.calls).toBe(3);
    expect(err).toEqual({
      code: 'store_busy',
      message: 'Robot uv-g was not revoked and its certificates stay valid: recording it failed (Robot uv-g\'s certificates kept changing while the CRL was being signed. Nothing changed; try again.). Nothing changed.',
      details: { deviceId: 'uv-g', step: 'commit' },
    });
    expect(records(c, 'robot.status').map((r) => [r.outcome, r.details])).toEqual([
      ['failure', { to: 'revoked', step: 'commit', code: 'store_busy', certificateReason: 'privilegeWithdrawn', certificates: 2 }],
    ]);
    expect(logger.entries.filter((e) => e.level === 'error')).toEqual([
      { level: 'error', message: 'revoking a robot failed; nothing changed', fields: { deviceId: 'uv-g', step: 'commit', code: 'store_busy', certificates: 2 } },
    ]);
    expect((await c.handlers['fleet:get']({ deviceId: 'uv-g' }, CTX)).status).toBe('deployed');
    expect((await c.handlers['fleet:revocationPlan']({ deviceId: 'uv-g' }, CTX)).certificates.map((x) => x.serial)).toEqual([serial(64)]);
  });

  it('already revoked at every attempt: the CA\'s refusal after the third, at the CRL step', async () => {
    const { c } = await rig([['uv-h', 'deployed']], four('uv-h'));
    const seen = interpose(c, { before: async (n) => void (await c.handlers['certs:revoke']({ serial: serial(65 - n), reason: 'superseded' }, CTX)) });
    const err = await failure(c.handlers['fleet:setStatus']({ deviceId: 'uv-h', status: 'revoked', reason: 'raced' }, CTX));
    expect(seen.calls).toBe(3);
    expect(err.code).toBe('invalid_input');
    expect(err.message).toBe(`Robot uv-h was not revoked and its certificates stay valid: the fleet CA could not sign the CRL that lists its certificates (Certificate ${serial(62)} is already revoked.). Quarantine the robot meanwhile, and revoke it once the CA key can sign again. Nothing changed.`);
    expect(err.details).toEqual({ reason: 'already_revoked', deviceId: 'uv-h', step: 'crl' });
    expect((await c.handlers['fleet:get']({ deviceId: 'uv-h' }, CTX)).status).toBe('deployed');
  });

  it('an unexpected error while signing: internal, said plainly, nothing changed', async () => {
    const { c, logger } = await rig([['uv-i', 'deployed']], four('uv-i'));
    const seen = interpose(c, { before: () => Promise.reject(new Error('socket hang up: secret-ish detail')) });
    const err = await failure(c.handlers['fleet:setStatus']({ deviceId: 'uv-i', status: 'revoked', reason: 'x' }, CTX));
    // Only an already revoked certificate is worth planning again.
    expect(seen.calls).toBe(1);
    expect(err).toEqual({
      code: 'internal',
      message: 'Robot uv-i was not revoked and its certificates stay valid: the fleet CA could not sign the CRL that lists its certificates (The robot revocation failed unexpectedly.). Quarantine the robot meanwhile, and revoke it once the CA key can sign again. Nothing changed.',
      details: { deviceId: 'uv-i', step: 'crl' },
    });
    expect(records(c, 'robot.status').map((r) => r.details)).toEqual([{ to: 'revoked', step: 'crl', code: 'internal', certificateReason: 'privilegeWithdrawn', certificates: 4 }]);
    expect(JSON.stringify(logger.entries)).not.toContain('secret-ish');
  });

  it('the provider\'s typed error (no details): its code, signed once, at the CRL step', async () => {
    const { c } = await rig([['uv-j', 'deployed']], four('uv-j'));
    const seen = interpose(c, { before: () => Promise.reject(new ConsoleError('key_disabled', 'The CA key is disabled.')) });
    const err = await failure(c.handlers['fleet:setStatus']({ deviceId: 'uv-j', status: 'revoked', reason: 'x' }, CTX));
    expect(seen.calls).toBe(1);
    expect(err).toEqual({
      code: 'key_disabled',
      message: 'Robot uv-j was not revoked and its certificates stay valid: the fleet CA could not sign the CRL that lists its certificates (The CA key is disabled.). Quarantine the robot meanwhile, and revoke it once the CA key can sign again. Nothing changed.',
      details: { deviceId: 'uv-j', step: 'crl' },
    });
  });
});

describe('during a CA transition: each CA revokes its own and signs its own CRL', () => {
  it('one certificate of each CA: a batch record per CA, the current CA\'s CRL first, and both CRL numbers in the status record', async () => {
    const r = await rig([['uv-t', 'deployed'], ['uv-u', 'deployed']], [
      { deviceId: 'uv-t', serial: serial(70), days: 90, ca: 'valid', registry: 'active' },
      { deviceId: 'uv-u', serial: serial(80), days: 90, ca: 'valid', registry: 'active' },
    ]);
    const oldId = r.caId;
    const replaced = await r.c.handlers['ca:replace']({ algorithm: 'EC_P256', commonName: 'Second CA', reason: 'planned' }, CTX);
    const newId = replaced.current.id;
    r.c.close();
    seed(r.dir, [], [{ deviceId: 'uv-t', serial: serial(71), days: 200, ca: 'valid', registry: 'active', caId: newId }]);
    const c = await reopen(r);

    const out = await c.handlers['fleet:setStatus']({ deviceId: 'uv-t', status: 'revoked', reason: 'stolen', certificateReason: 'keyCompromise' }, CTX);
    const crls = out.revocation!.crls!;
    expect(crls.map((x) => x.caId)).toEqual([newId, oldId]);
    expect(out.revocation!.crl).toEqual({ crlNumber: crls[0]!.crlNumber, thisUpdate: crls[0]!.thisUpdate, nextUpdate: crls[0]!.nextUpdate, revoked: crls[0]!.revoked, pem: crls[0]!.pem });
    expect(crlEntries(crls[0]!.pem).entries).toEqual([[serial(71), T0_SECOND, REASON_CODE.keyCompromise]]);
    expect(crlEntries(crls[1]!.pem).entries).toEqual([[serial(70), T0_SECOND, REASON_CODE.keyCompromise]]);
    const batches = records(c, 'ca.revoke.batch');
    expect(batches.map((b) => [b.details.caId, b.details.serialList, b.details.crlNumber, b.details.deviceId, b.details.trigger]).sort()).toEqual([
      [newId, serial(71), crls[0]!.crlNumber, 'uv-t', 'robot_revocation'],
      [oldId, serial(70), crls[1]!.crlNumber, 'uv-t', 'robot_revocation'],
    ].sort());
    expect(records(c, 'robot.status').at(-1)!.details).toEqual({
      from: 'deployed', to: 'revoked', reason: 'stolen', certificateReason: 'keyCompromise', certificates: `${serial(70)} ${serial(71)}`, crlNumber: crls[0]!.crlNumber,
      crls: `${newId}:${crls[0]!.crlNumber} ${oldId}:${crls[1]!.crlNumber}`,
    });
    const published = records(c, 'ca.crl.publish').filter((x) => x.details.trigger === 'robot_revocation');
    expect(published.map((x) => [x.details.caId, x.details.crlNumber, x.details.deviceId]).sort()).toEqual([[newId, crls[0]!.crlNumber, 'uv-t'], [oldId, crls[1]!.crlNumber, 'uv-t']].sort());

    // uv-u holds the retired CA's only: that CA alone signs, and one ca.revoke record names it.
    const u = await c.handlers['fleet:setStatus']({ deviceId: 'uv-u', status: 'revoked', reason: 'stolen' }, CTX);
    expect(u.revocation!.crls!.map((x) => x.caId)).toEqual([oldId]);
    expect(crlEntries(u.revocation!.crl!.pem).entries.map((e) => e[0]).sort()).toEqual([serial(70), serial(80)]);
    expect(records(c, 'ca.revoke').map((x) => [x.details.caId, x.details.serial, x.targetId])).toEqual([[oldId, serial(80), 'uv-u']]);
    expect(records(c, 'robot.status').at(-1)!.details).toEqual({ from: 'deployed', to: 'revoked', reason: 'stolen', certificateReason: 'privilegeWithdrawn', certificates: serial(80), crlNumber: u.revocation!.crl!.crlNumber });
  });
});
