// The rules of a CA endorsement (electron/services/ca/caEndorsement.ts; docs/fleet-ca.md "Replacing and revoking the
// CA"), beyond ca-endorsement.test.ts: written from the docs and RFC 5280, not read from the service.
// - A robot's certificate was issued by a CA when its issuer name is the CA's subject AND the CA's key verifies its
//   signature (RFC 5280 section 6.1.3 (a)(1) and (a)(4)): a name alone or a key alone is no issuer.
// - The retired key signs once per pair of CAs and that signature is kept; a failed signing is not kept (the next robot
//   asks the provider again).
// - Only a retired CA endorses: a CA of the store with no transition to `retired` is refused like a compromised one.
// - Without a current CA there is nothing to endorse (not_initialized); without the repository nothing is recorded.
import 'reflect-metadata';
import { randomBytes, verify, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import { ConsoleError } from '../../shared/errors.ts';
import { createCaEndorsements } from '../../electron/services/ca/caEndorsement.ts';
import { signerKeyId } from '../../electron/station/bundle.ts';
import { caEndorsementInput } from '../../electron/station/protocol.ts';
import type { CaTransitionRow } from '../../electron/store/caTransitionsRepo.ts';
import type { FleetCaRow } from '../../electron/store/fleetCaRepo.ts';
import { identity, kitFullCa, type KitFullCa } from './bundle-kit.ts';

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const serial = () => randomBytes(8).toString('hex').replace(/^[89a-f]/, '1');
const validity = () => ({ notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000) });

/** A robot certificate naming `issuerName` as its issuer, signed by `keys` (which may belong to another CA). */
async function robotCert(issuerName: string, keys: webcrypto.CryptoKeyPair): Promise<X509Certificate> {
  const spki = identity().publicKey.export({ format: 'der', type: 'spki' });
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(), subject: 'CN=uv-1', issuer: issuerName, ...validity(),
    publicKey: await webcrypto.subtle.importKey('spki', spki, ALG, true, ['verify']), signingKey: keys.privateKey, signingAlgorithm: ALG,
  });
  return new X509Certificate(Buffer.from(cert.rawData));
}

/** A self-signed CA certificate named `name` for `keys`. */
async function caCertDer(name: string, keys: webcrypto.CryptoKeyPair): Promise<Buffer> {
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(), name, ...validity(), keys, signingAlgorithm: ALG,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  return Buffer.from(ca.rawData);
}

const row = (id: string, certDer: Buffer): FleetCaRow => ({ id, provider: 'local', keyRef: id, subject: id, certDer, notAfter: '2030-01-01T00:00:00Z', crlNumber: 1, createdAt: '2026-01-01T00:00:00Z' });
const transition = (id: string, state: CaTransitionRow['state']): CaTransitionRow => ({ caId: id, state, successorId: null, changedAt: '', changedBy: '', reason: '' });
const certOf = async (ca: KitFullCa) => new X509Certificate((await ca.issue(identity().publicKey, 'uv-1')).pem);

interface World {
  rows: FleetCaRow[];
  current: () => string | null;
  states?: Record<string, CaTransitionRow['state']>;
  signers?: Record<string, KitFullCa>;
  failNext?: { count: number };
}

function service(w: World) {
  const signed: string[] = [];
  const e = createCaEndorsements({
    ca: {
      async signWithCaKeyOf(id, data) {
        signed.push(id);
        if (w.failNext && w.failNext.count > 0) {
          w.failNext.count--;
          throw new ConsoleError('provider_unavailable', 'The CA key provider did not answer.');
        }
        return w.signers![id]!.sign(data);
      },
    },
    caRepo: { currentCaId: w.current, getCa: (id) => w.rows.find((r) => r.id === id) ?? null, listCas: () => w.rows },
    transitions: { transition: (id) => (w.states?.[id] ? transition(id, w.states[id]) : null) },
  });
  return { e, signed };
}

describe('no current CA: nothing to endorse, nothing signed', () => {
  it('no current CA id, or an id no row carries: not_initialized', async () => {
    const current = await kitFullCa('CN=Current CA');
    const robot = await certOf(current);
    for (const currentId of [null, 'gone']) {
      const { e, signed } = service({ rows: [row('current', current.caCertDer)], current: () => currentId });
      await expect(e.forCertificate('uv-1', robot)).rejects.toMatchObject({ code: 'not_initialized', message: expect.stringContaining('no current fleet CA') });
      expect(signed).toEqual([]);
    }
  });
});

describe('who issued a certificate: the issuer name and the signature both (RFC 5280 6.1.3)', () => {
  it('a certificate naming the current CA but signed by another key is issued by no CA of the store', async () => {
    const current = await kitFullCa('CN=Current CA');
    const other = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const { e, signed } = service({ rows: [row('current', current.caCertDer)], current: () => 'current' });
    const err = await e.forCertificate('uv-7', await robotCert('CN=Current CA', other)).catch((x: unknown) => x);
    expect(err).toMatchObject({ code: 'integrity_failure', details: { deviceId: 'uv-7' }, message: expect.stringContaining('uv-7') });
    expect(signed).toEqual([]);
  });

  it('a certificate signed by the current CA\'s key but naming another issuer is issued by no CA of the store', async () => {
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const { e, signed } = service({ rows: [row('current', await caCertDer('CN=Current CA', keys))], current: () => 'current' });
    await expect(e.forCertificate('uv-7', await robotCert('CN=Some Other CA', keys))).rejects.toMatchObject({ code: 'integrity_failure', details: { deviceId: 'uv-7' } });
    // The same key under its own name is the current CA's: nothing to endorse.
    expect(await e.forCertificate('uv-7', await robotCert('CN=Current CA', keys))).toBeNull();
    expect(signed).toEqual([]);
  });

  it('the same for a retired CA: a certificate naming it, signed by another key, gets no endorsement', async () => {
    const current = await kitFullCa('CN=Current CA');
    const retired = await kitFullCa('CN=Retired CA');
    const other = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const { e, signed } = service({ rows: [row('current', current.caCertDer), row('retired', retired.caCertDer)], current: () => 'current', states: { retired: 'retired' }, signers: { retired } });
    await expect(e.forCertificate('uv-1', await robotCert('CN=Retired CA', other))).rejects.toMatchObject({ code: 'integrity_failure' });
    expect(signed).toEqual([]);
  });
});

describe('only a retired CA endorses', () => {
  it('an issuing CA of the store with no transition at all (not retired): illegal_transition naming it, nothing signed', async () => {
    const current = await kitFullCa('CN=Current CA');
    const older = await kitFullCa('CN=Older CA');
    const { e, signed } = service({ rows: [row('current', current.caCertDer), row('older', older.caCertDer)], current: () => 'current', signers: { older } });
    const err = await e.forCertificate('uv-3', await certOf(older)).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ConsoleError);
    expect(err).toMatchObject({ code: 'illegal_transition', details: { deviceId: 'uv-3', caId: 'older' } });
    expect((err as Error).message).toMatch(/uv-3.*older, which is not retired: .*re-provision the robot/);
    expect(signed).toEqual([]);
  });

  it('a compromised issuer: illegal_transition naming the robot, the CA and its state', async () => {
    const current = await kitFullCa('CN=Current CA');
    const bad = await kitFullCa('CN=Bad CA');
    const { e, signed } = service({ rows: [row('current', current.caCertDer), row('bad', bad.caCertDer)], current: () => 'current', states: { bad: 'compromised' }, signers: { bad } });
    const err = await e.forCertificate('uv-4', await certOf(bad)).catch((x: unknown) => x);
    expect(err).toMatchObject({ code: 'illegal_transition', details: { deviceId: 'uv-4', caId: 'bad' } });
    expect((err as Error).message).toMatch(/uv-4.*bad, which is compromised/);
    expect(signed).toEqual([]);
  });
});

describe('signed once per pair of CAs, and a failed signing is not kept', () => {
  it('two retired CAs each endorse the current CA with their own key; a new current CA is endorsed again', async () => {
    const [c1, c2, r1, r2] = await Promise.all(['CN=Current 1', 'CN=Current 2', 'CN=Retired 1', 'CN=Retired 2'].map((n) => kitFullCa(n)));
    let currentId = 'c1';
    const w: World = { rows: [row('c1', c1!.caCertDer), row('c2', c2!.caCertDer), row('r1', r1!.caCertDer), row('r2', r2!.caCertDer)], current: () => currentId, states: { r1: 'retired', r2: 'retired' }, signers: { r1: r1!, r2: r2! } };
    const { e, signed } = service(w);
    const robot1 = await certOf(r1!);
    const robot2 = await certOf(r2!);
    // [endorser, its key, the endorsed CA's certificate] each time: the table of what each answer must be.
    const expected: Array<[string, KitFullCa, string, KitFullCa]> = [['r1', r1!, 'c1', c1!], ['r2', r2!, 'c1', c1!], ['r1', r1!, 'c1', c1!]];
    const answers = [await e.forCertificate('uv-1', robot1), await e.forCertificate('uv-2', robot2), await e.forCertificate('uv-1', robot1)];
    currentId = 'c2';
    w.states!['c1'] = 'retired';
    expected.push(['r1', r1!, 'c2', c2!], ['r2', r2!, 'c2', c2!]);
    answers.push(await e.forCertificate('uv-1', robot1), await e.forCertificate('uv-2', robot2));
    answers.forEach((got, i) => {
      const [from, fromCa, to, toCa] = expected[i]!;
      expect(got).toMatchObject({ fromCaId: from, toCaId: to, caCertDer: toCa.caCertDer, endorserKeyId: signerKeyId(fromCa.publicKey) });
      expect(verify('sha256', caEndorsementInput(toCa.caCertDer), { key: fromCa.publicKey, dsaEncoding: 'der' }, got!.endorsement)).toBe(true);
    });
    expect(signed).toEqual(['r1', 'r2', 'r1', 'r2']);
  });

  it('calls at the same time share one signing', async () => {
    const current = await kitFullCa('CN=Current CA');
    const retired = await kitFullCa('CN=Retired CA');
    const { e, signed } = service({ rows: [row('current', current.caCertDer), row('retired', retired.caCertDer)], current: () => 'current', states: { retired: 'retired' }, signers: { retired } });
    const robot = await certOf(retired);
    const [a, b] = await Promise.all([e.forCertificate('uv-1', robot), e.forCertificate('uv-2', robot)]);
    expect(a!.endorsement).toEqual(b!.endorsement);
    expect(signed).toEqual(['retired']);
  });

  it('the provider failing: its error, and the next robot asks the provider again', async () => {
    const current = await kitFullCa('CN=Current CA');
    const retired = await kitFullCa('CN=Retired CA');
    const { e, signed } = service({ rows: [row('current', current.caCertDer), row('retired', retired.caCertDer)], current: () => 'current', states: { retired: 'retired' }, signers: { retired }, failNext: { count: 1 } });
    const robot = await certOf(retired);
    await expect(e.forCertificate('uv-1', robot)).rejects.toMatchObject({ code: 'provider_unavailable' });
    const got = await e.forCertificate('uv-1', robot);
    expect(verify('sha256', caEndorsementInput(current.caCertDer), { key: retired.publicKey, dsaEncoding: 'der' }, got!.endorsement)).toBe(true);
    expect(signed).toEqual(['retired', 'retired']);
  });
});

describe('recordSent without the repository', () => {
  it('records nothing and does not fail (a console wired without robot_ca_endorsements)', async () => {
    const current = await kitFullCa('CN=Current CA');
    const retired = await kitFullCa('CN=Retired CA');
    const { e } = service({ rows: [row('current', current.caCertDer), row('retired', retired.caCertDer)], current: () => 'current', states: { retired: 'retired' }, signers: { retired } });
    const got = await e.forCertificate('uv-1', await certOf(retired));
    expect(() => e.recordSent('uv-1', got!, 'renew')).not.toThrow();
  });
});
