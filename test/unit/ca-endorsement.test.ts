// The console's choice of a CA endorsement for a robot's bundle (electron/services/ca/caEndorsement.ts; docs/fleet-ca.md,
// "Bundle files after a replacement"): by the CA that issued the robot's certificate and its state, as the table says.
import { verify, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCaEndorsements } from '../../electron/services/ca/caEndorsement.ts';
import { createReissueDeps } from '../../electron/services/station/reissueDeps.ts';
import { signerKeyId } from '../../electron/station/bundle.ts';
import { caEndorsementInput } from '../../electron/station/protocol.ts';
import type { CaTransitionRow } from '../../electron/store/caTransitionsRepo.ts';
import type { FleetCaRow } from '../../electron/store/fleetCaRepo.ts';
import { identity, kitFullCa, type KitFullCa } from './bundle-kit.ts';

const cas = { current: await kitFullCa('CN=Current CA'), retired: await kitFullCa('CN=Retired CA'), compromised: await kitFullCa('CN=Compromised CA'), stranger: await kitFullCa('CN=Stranger CA') };
const row = (id: string, ca: KitFullCa): FleetCaRow => ({ id, provider: 'local', keyRef: id, subject: id, certDer: ca.caCertDer, notAfter: '2030-01-01T00:00:00Z', crlNumber: 1, createdAt: '2026-01-01T00:00:00Z' });
const rows = [row('current', cas.current), row('retired', cas.retired), row('compromised', cas.compromised)];
const states: Record<string, CaTransitionRow['state']> = { retired: 'retired', compromised: 'compromised' };

function service() {
  const signed: string[] = [];
  const e = createCaEndorsements({
    ca: {
      async signWithCaKeyOf(id, data) {
        signed.push(id);
        return { retired: cas.retired, compromised: cas.compromised, current: cas.current }[id as 'retired']!.sign(data);
      },
    },
    caRepo: { currentCaId: () => 'current', getCa: (id) => rows.find((r) => r.id === id) ?? null, listCas: () => rows },
    transitions: { transition: (id) => (states[id] ? { caId: id, state: states[id], successorId: null, changedAt: '', changedBy: '', reason: '' } : null) },
  });
  return { e, signed };
}

const certOf = async (ca: KitFullCa) => new X509Certificate((await ca.issue(identity().publicKey, 'uv-1')).pem);

describe('which endorsement a robot\'s bundle carries', () => {
  it('none for the current CA\'s robot; the retired CA\'s (signed once) for its robot; refused for a compromised or unknown CA', async () => {
    const { e, signed } = service();
    expect(await e.forCertificate('uv-1', await certOf(cas.current))).toBeNull();
    const got = await e.forCertificate('uv-1', await certOf(cas.retired));
    expect(got).toMatchObject({ fromCaId: 'retired', toCaId: 'current', caCertDer: cas.current.caCertDer, endorserKeyId: signerKeyId(cas.retired.publicKey) });
    expect(verify('sha256', caEndorsementInput(cas.current.caCertDer), { key: cas.retired.publicKey, dsaEncoding: 'der' }, got!.endorsement)).toBe(true);
    await e.forCertificate('uv-2', await certOf(cas.retired));
    expect(signed).toEqual(['retired']);
    await expect(e.forCertificate('uv-1', await certOf(cas.compromised))).rejects.toMatchObject({ code: 'illegal_transition', message: expect.stringMatching(/compromised: .*re-provision the robot/) });
    await expect(e.forCertificate('uv-1', await certOf(cas.stranger))).rejects.toMatchObject({ code: 'integrity_failure' });
    expect(signed).toEqual(['retired']);
  });
});

describe('each endorsement sent is recorded for its robot (robot_ca_endorsements, migration 38)', () => {
  const NOW = Date.parse('2026-03-01T00:00:00.000Z');
  function recording() {
    const recorded: unknown[] = [];
    const e = createCaEndorsements({
      ca: { signWithCaKeyOf: (id, data) => ({ retired: cas.retired, current: cas.current }[id as 'retired'].sign(data)) },
      caRepo: { currentCaId: () => 'current', getCa: (id) => rows.find((r) => r.id === id) ?? null, listCas: () => rows },
      transitions: { transition: (id) => (states[id] ? { caId: id, state: states[id], successorId: null, changedAt: '', changedBy: '', reason: '' } : null) },
      endorsed: { repo: { record: (r) => void recorded.push(r) }, now: () => NOW },
    });
    return { e, recorded };
  }

  it('recordSent names the endorsed CA, its endorser, how it went and when', async () => {
    const { e, recorded } = recording();
    const got = await e.forCertificate('uv-1', await certOf(cas.retired));
    e.recordSent('uv-1', got!, 'bundle');
    expect(recorded).toEqual([{ deviceId: 'uv-1', caId: 'current', endorsedBy: 'retired', via: 'bundle', firstSentAt: '2026-03-01T00:00:00.000Z' }]);
  });

  it('a RENEW offer over the link is recorded as sent (the robot may trust the CA even if the exchange fails)', async () => {
    const { e, recorded } = recording();
    const reissue = createReissueDeps({
      ca: {} as never, caRepo: { currentCaId: () => 'current', getCa: (id) => rows.find((r) => r.id === id) ?? null, listCas: () => rows },
      transitions: {
        openRenewalsOf: (deviceId) => (deviceId === 'uv-flagged' ? [{ deviceId, caId: 'retired', reason: 'ca_replaced', flaggedAt: '' } as never] : []),
        transition: (id) => (states[id] ? { caId: id, state: states[id], successorId: null, changedAt: '', changedBy: '', reason: '' } : null),
      },
      fleet: { attachCertificate: () => undefined }, session: { actor: () => 'officer' }, audit: { append: () => undefined } as never,
      clock: { now: () => NOW } as never, transaction: (fn) => fn(), endorsements: e,
    });
    expect(await reissue.reissueOffer('uv-other')).toBeNull();
    expect(recorded).toEqual([]);
    expect(await reissue.reissueOffer('uv-flagged')).toMatchObject({ fromCaId: 'retired', toCaId: 'current' });
    expect(recorded).toEqual([{ deviceId: 'uv-flagged', caId: 'current', endorsedBy: 'retired', via: 'renew', firstSentAt: '2026-03-01T00:00:00.000Z' }]);
  });
});
