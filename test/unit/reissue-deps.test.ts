// The console's side of a re-issue over the link (electron/services/station/reissueDeps.ts; docs/fleet-ca.md, "Re-issue
// at the station"): who is offered one (a robot flagged ca_replaced whose CA is retired, not compromised), what the
// offer carries (the current CA's certificate endorsed by that retired CA, recorded as sent in RENEW), the certificate
// the current CA issues (365 days unless told), the commit (registry + station.reissue success in ONE transaction,
// details port, serial, caId, previousCaId) and a failure (station.reissue failure with code and reason, the
// certificate issued in the exchange revoked cessationOfOperation). Real fleet CA on a real store (local provider,
// openssl CSRs), real audit log and transactions; the CA rows and transition flags are tables written here.
import { verify, X509Certificate } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../electron/logger.ts';
import { createCaEndorsements } from '../../electron/services/ca/caEndorsement.ts';
import type { FleetCa } from '../../electron/services/ca/fleetCa.ts';
import { createReissueDeps, type ReissueDepsInput } from '../../electron/services/station/reissueDeps.ts';
import { signerKeyId } from '../../electron/station/bundle.ts';
import { caEndorsementInput } from '../../electron/station/protocol.ts';
import type { CaTransitionRow, RenewalRow } from '../../electron/store/caTransitionsRepo.ts';
import type { FleetCaRow } from '../../electron/store/fleetCaRepo.ts';
import { ConsoleError } from '../../shared/errors.ts';
import { caFixture, newCa, robotCsr, workDir, type CaFixture } from '../integration/fleetca-kit.ts';
import { kitFullCa, type KitFullCa } from './bundle-kit.ts';
import { removeTempDirs } from './store-testkit.ts';

const DAY = 86_400_000;
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
afterAll(() => removeTempDirs());

const retiredCa = await kitFullCa('CN=Retired CA');
const olderCa = await kitFullCa('CN=Older retired CA');
const compromisedCa = await kitFullCa('CN=Compromised CA');
const row = (id: string, certDer: Buffer): FleetCaRow => ({ id, provider: 'local', keyRef: id, subject: id, certDer, notAfter: '2030-01-01T00:00:00Z', crlNumber: 1, createdAt: '2026-01-01T00:00:00Z' });
/** The CAs' states after the replacements (the table of docs/fleet-ca.md: retired CAs endorse, compromised ones do not). */
const STATES: Record<string, CaTransitionRow['state']> = { retired: 'retired', older: 'retired', compromised: 'compromised', vanished: 'retired' };
const KIT: Record<string, KitFullCa> = { retired: retiredCa, older: olderCa, compromised: compromisedCa };

interface Rig {
  f: CaFixture;
  ca: FleetCa;
  dir: string;
  attached: Array<{ deviceId: string; cert: Record<string, unknown> }>;
  renewalsAsked: Array<{ deviceId: string; at: string }>;
  signedBy: string[];
  input: ReissueDepsInput;
}

/** flags: the robots' open renewal flags, oldest first (as the repository lists them). */
async function rig(flags: Record<string, Array<Pick<RenewalRow, 'caId' | 'reason'>>>, more: Partial<ReissueDepsInput> & { currentId?: string | null } = {}): Promise<Rig> {
  const f = caFixture();
  const dir = workDir();
  cleanups.push(() => {
    f.store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const ca = await newCa(f, f.store.provider);
  const rows = [row('current', ca.caCertificateDer()), row('retired', retiredCa.caCertDer), row('older', olderCa.caCertDer), row('compromised', compromisedCa.caCertDer)];
  const attached: Rig['attached'] = [];
  const renewalsAsked: Rig['renewalsAsked'] = [];
  const signedBy: string[] = [];
  const currentId = 'currentId' in more ? more.currentId! : 'current';
  const caService = {
    require: async () => ca,
    signWithCaKeyOf: async (id: string, data: Buffer) => {
      signedBy.push(id);
      return KIT[id]!.sign(data);
    },
  };
  const input: ReissueDepsInput = {
    ca: caService as never,
    caRepo: { currentCaId: () => currentId, getCa: (id) => rows.find((r) => r.id === id) ?? null, listCas: () => rows },
    transitions: {
      openRenewalsOf: (deviceId, at) => {
        renewalsAsked.push({ deviceId, at });
        return (flags[deviceId] ?? []).map((fl) => ({ deviceId, flaggedAt: '2026-01-01T00:00:00.000Z', ...fl }) as RenewalRow);
      },
      transition: (id) => (STATES[id] ? { caId: id, state: STATES[id], successorId: 'current', changedAt: '', changedBy: '', reason: '' } : null),
    },
    fleet: { attachCertificate: (deviceId, cert) => void attached.push({ deviceId, cert: { ...cert } }) },
    session: { actor: () => 'officer-7' },
    audit: f.audit,
    clock: f.clock,
    transaction: (fn) => f.store.store.db.transaction(fn)(),
    ...more,
  };
  return { f, ca, dir, attached, renewalsAsked, signedBy, input };
}

const records = (f: CaFixture, action: string) => f.audit.query({ action, offset: 0, limit: 100 }).records.reverse();

describe('who is offered a re-issue', () => {
  it('a robot flagged ca_replaced for a retired CA: the current CA endorsed by that CA; asked at the clock\'s time', async () => {
    const r = await rig({ 'uv-1': [{ caId: 'retired', reason: 'ca_replaced' }] });
    const deps = createReissueDeps(r.input);
    expect(deps.due('uv-1')).toBe(true);
    const offer = await deps.reissueOffer('uv-1');
    expect(offer).toMatchObject({ fromCaId: 'retired', toCaId: 'current', caCertDer: r.ca.caCertificateDer(), endorserKeyId: signerKeyId(retiredCa.publicKey) });
    expect(verify('sha256', caEndorsementInput(r.ca.caCertificateDer()), { key: retiredCa.publicKey, dsaEncoding: 'der' }, offer!.endorsement)).toBe(true);
    // The flags open now (the injected clock), not at some other time.
    expect(r.renewalsAsked).toEqual([
      { deviceId: 'uv-1', at: new Date(r.f.clock.now()).toISOString() },
      { deviceId: 'uv-1', at: new Date(r.f.clock.now()).toISOString() },
    ]);
    // Made here when absent: signed by the retired CA's key once for the pair.
    await deps.reissueOffer('uv-1');
    expect(r.signedBy).toEqual(['retired']);
  });

  it('the newest flag of several names the endorser', async () => {
    const r = await rig({ 'uv-1': [{ caId: 'older', reason: 'ca_replaced' }, { caId: 'retired', reason: 'ca_replaced' }] });
    expect(await createReissueDeps(r.input).reissueOffer('uv-1')).toMatchObject({ fromCaId: 'retired', toCaId: 'current' });
  });

  it('none: no flag, a ca_compromised flag, a ca_replaced flag whose CA was compromised since or has no transition, no current CA', async () => {
    const cases: Array<[string, Parameters<typeof rig>[0], Parameters<typeof rig>[1]]> = [
      ['no flag', {}, {}],
      ['flag for a compromised CA', { 'uv-1': [{ caId: 'compromised', reason: 'ca_compromised' }] }, {}],
      ['replaced, then compromised', { 'uv-1': [{ caId: 'compromised', reason: 'ca_replaced' }] }, {}],
      ['a retired CA flagged ca_compromised', { 'uv-1': [{ caId: 'retired', reason: 'ca_compromised' }] }, {}],
      ['a CA with no transition', { 'uv-1': [{ caId: 'current', reason: 'ca_replaced' }] }, {}],
      ['a CA the store does not hold', { 'uv-1': [{ caId: 'gone', reason: 'ca_replaced' }] }, {}],
      ['a retired CA whose row is gone', { 'uv-1': [{ caId: 'vanished', reason: 'ca_replaced' }] }, {}],
      ['no current CA', { 'uv-1': [{ caId: 'retired', reason: 'ca_replaced' }] }, { currentId: null }],
      ['a current CA id with no row', { 'uv-1': [{ caId: 'retired', reason: 'ca_replaced' }] }, { currentId: 'missing' }],
    ];
    for (const [name, flags, more] of cases) {
      const r = await rig(flags, more);
      const deps = createReissueDeps(r.input);
      expect(deps.due('uv-1'), name).toBe(false);
      expect(await deps.reissueOffer('uv-1'), name).toBeNull();
      expect(r.signedBy, name).toEqual([]);
    }
  });

  it('uses the endorsements it is given (shared with the bundle files) and records the offer as sent in RENEW', async () => {
    const r = await rig({ 'uv-1': [{ caId: 'retired', reason: 'ca_replaced' }] });
    const recorded: unknown[] = [];
    const shared = createCaEndorsements({
      ca: { signWithCaKeyOf: async (id, data) => KIT[id]!.sign(data) },
      caRepo: r.input.caRepo,
      transitions: r.input.transitions,
      endorsed: { repo: { record: (x) => void recorded.push(x) }, now: () => r.f.clock.now() },
    });
    await createReissueDeps({ ...r.input, endorsements: shared }).reissueOffer('uv-1');
    expect(recorded).toEqual([{ deviceId: 'uv-1', caId: 'current', endorsedBy: 'retired', via: 'renew', firstSentAt: new Date(r.f.clock.now()).toISOString() }]);
    // Not the service's own signer: the shared one signed.
    expect(r.signedBy).toEqual([]);
  });
});

describe('the certificate, its commit and a failure', () => {
  const OFFER = { fromCaId: 'retired', toCaId: 'current' };

  it('the current CA issues for 365 days by the signed-in operator; the commit records it and audits station.reissue in one go', async () => {
    const r = await rig({ 'uv-1': [{ caId: 'retired', reason: 'ca_replaced' }] });
    const deps = createReissueDeps(r.input);
    const issued = await deps.reissueCertificate('uv-1', robotCsr(r.dir, '/CN=uv-1', 'ec'));
    const listed = r.ca.list().find((c) => c.serial === issued.serial)!;
    expect(Date.parse(listed.notAfter) - Date.parse(listed.notBefore)).toBe(365 * DAY);
    expect(new X509Certificate(issued.certDer).serialNumber.toLowerCase()).toBe(issued.serial);
    expect(records(r.f, 'ca.issue').map((x) => x.actor)).toEqual(['officer-7']);

    deps.commitReissue({ port: '/dev/ttyUSB3', deviceId: 'uv-1', offer: { ...OFFER } as never, issued });
    expect(r.attached).toEqual([{ deviceId: 'uv-1', cert: { serial: issued.serial, subject: 'O=ECPS-UV Fleet, CN=uv-1', notBefore: listed.notBefore, notAfter: listed.notAfter, pem: r.ca.certificatePem(issued.serial) } }]);
    expect(records(r.f, 'station.reissue').map((x) => ({ actor: x.actor, targetType: x.targetType, targetId: x.targetId, outcome: x.outcome, details: x.details }))).toEqual([
      { actor: 'officer-7', targetType: 'robot', targetId: 'uv-1', outcome: 'success', details: { port: '/dev/ttyUSB3', serial: issued.serial, caId: 'current', previousCaId: 'retired' } },
    ]);
    // Once committed it is no longer this session's to record again.
    expect(() => deps.commitReissue({ port: 'p', deviceId: 'uv-1', offer: OFFER as never, issued })).toThrow('the certificate to record is not the one issued in this session');
  });

  it('the validity it is told; a certificate not issued in this session, or other bytes under its serial, is not recorded', async () => {
    const r = await rig({}, { validityDays: 30 });
    const deps = createReissueDeps(r.input);
    const issued = await deps.reissueCertificate('uv-1', robotCsr(r.dir, '/CN=uv-1', 'ec'));
    const listed = r.ca.list().find((c) => c.serial === issued.serial)!;
    expect(Date.parse(listed.notAfter) - Date.parse(listed.notBefore)).toBe(30 * DAY);
    const other = await r.ca.issueDeviceCertificate(robotCsr(r.dir, '/CN=uv-1', 'ec', 'other'), { deviceId: 'uv-1' });
    const refused = 'the certificate to record is not the one issued in this session';
    expect(() => deps.commitReissue({ port: 'p', deviceId: 'uv-1', offer: OFFER as never, issued: { serial: other.serial, certDer: other.der } })).toThrow(refused);
    expect(() => deps.commitReissue({ port: 'p', deviceId: 'uv-1', offer: OFFER as never, issued: { serial: issued.serial, certDer: other.der } })).toThrow(refused);
    expect(r.attached).toEqual([]);
    expect(records(r.f, 'station.reissue')).toEqual([]);
  });

  it('a registry that refuses rolls the audit record back with it (one transaction)', async () => {
    const r = await rig({}, {});
    const deps = createReissueDeps({ ...r.input, fleet: { attachCertificate: () => { throw new ConsoleError('not_found', 'no such robot'); } } });
    const issued = await deps.reissueCertificate('uv-1', robotCsr(r.dir, '/CN=uv-1', 'ec'));
    expect(() => deps.commitReissue({ port: 'p', deviceId: 'uv-1', offer: OFFER as never, issued })).toThrow('no such robot');
    expect(records(r.f, 'station.reissue')).toEqual([]);
  });

  it('a failure is audited (message cut to 200) and the certificate of the exchange revoked cessationOfOperation; it cannot be committed after', async () => {
    const r = await rig({});
    const deps = createReissueDeps(r.input);
    const issued = await deps.reissueCertificate('uv-1', robotCsr(r.dir, '/CN=uv-1', 'ec'));
    const message = 'm'.repeat(250);
    await deps.failReissue({ port: '/dev/ttyUSB1', deviceId: 'uv-1', code: 'forged_ack', reason: 'renewed_signature_invalid', message, serial: issued.serial });
    expect(records(r.f, 'station.reissue').map((x) => ({ actor: x.actor, targetType: x.targetType, targetId: x.targetId, outcome: x.outcome, details: x.details }))).toEqual([
      { actor: 'officer-7', targetType: 'robot', targetId: 'uv-1', outcome: 'failure', details: { port: '/dev/ttyUSB1', code: 'forged_ack', reason: 'renewed_signature_invalid', message: 'm'.repeat(200), serial: issued.serial } },
    ]);
    expect(r.ca.list().find((c) => c.serial === issued.serial)).toMatchObject({ revocationReason: 'cessationOfOperation' });
    expect(records(r.f, 'ca.revoke').map((x) => x.actor)).toEqual(['officer-7']);
    expect(() => deps.commitReissue({ port: 'p', deviceId: 'uv-1', offer: OFFER as never, issued })).toThrow('the certificate to record is not the one issued in this session');
  });

  it('a failure before any certificate revokes nothing and does not even ask for the CA', async () => {
    const r = await rig({});
    let asked = 0;
    const deps = createReissueDeps({ ...r.input, ca: { ...(r.input.ca as object), require: async () => { asked += 1; return r.ca; } } as never });
    await deps.failReissue({ port: 'p', deviceId: 'uv-1', code: 'robot_error', reason: 'robot:untrusted', message: 'no', serial: null });
    expect(asked).toBe(0);
    expect(records(r.f, 'station.reissue')).toMatchObject([{ outcome: 'failure', details: { serial: null, code: 'robot_error' } }]);
  });

  it('a failure that cannot be recorded is logged with its code (never thrown)', async () => {
    const r = await rig({});
    const logger = createMemoryLogger();
    const typed = createReissueDeps({ ...r.input, logger, audit: { append: () => { throw new ConsoleError('locked', 'The store is locked.'); } } });
    await expect(typed.failReissue({ port: 'p', deviceId: 'uv-1', code: 'c', reason: 'r', message: 'm', serial: 'ab' })).resolves.toBeUndefined();
    const plain = createReissueDeps({ ...r.input, logger, audit: { append: () => { throw new Error('disk I/O error'); } } });
    await plain.failReissue({ port: 'p', deviceId: 'uv-2', code: 'c', reason: 'r', message: 'm', serial: null });
    expect(logger.entries).toEqual([
      { level: 'error', message: 'recording a failed re-issue failed', fields: { deviceId: 'uv-1', serial: 'ab', code: 'locked' } },
      { level: 'error', message: 'recording a failed re-issue failed', fields: { deviceId: 'uv-2', serial: null, code: 'internal' } },
    ]);
    // With no logger at all it still does not throw.
    const unlogged = createReissueDeps({ ...r.input, audit: { append: () => { throw new Error('disk I/O error'); } } });
    await expect(unlogged.failReissue({ port: 'p', deviceId: 'uv-3', code: 'c', reason: 'r', message: 'm', serial: null })).resolves.toBeUndefined();
  });
});
