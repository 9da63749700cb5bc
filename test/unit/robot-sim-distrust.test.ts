// The robot simulator under a distrust_ca order (docs/lockdown-orders.md, "Version 2" and "A distrusted CA on the
// robot"): a robot whose factory CA is X and which learnt Y by endorsement (a real v3 key bundle, X endorsing Y) accepts
// a v2 order naming one of them; from then on it refuses every peer certificate, CRL, endorsement and key bundle of that
// CA and still takes the other's, and each refusal writes nothing. A lift, a later lockdown and the order's expiry leave
// the distrust; a forged, replayed, expired or out-of-scope v2 order changes nothing. Orders are built here from the
// documented format (JSON members in the documented order, RSA-PSS SHA-256 salt 32 over "ECPS-LOCKDOWN-v1" 0x00 body)
// and CA key ids computed here as documented (SHA-256 of the CA certificate's SubjectPublicKeyInfo DER); CAs, peer
// certificates, CRLs and bundles are real (bundle-kit.ts). The expected answers are the rows of the tables below.
import 'reflect-metadata';
import { constants, createHash, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RobotFacts } from '../../electron/services/emergency/lockdownOrder.ts';
import { BundleError, createBundle } from '../../electron/station/bundle.ts';
import { decodeError, encodeError, encodeRenew, RENEW_SEQ } from '../../electron/station/protocol.ts';
import { encodeFrame, MessageType } from '../../electron/station/frame.ts';
import { applyCrl, CrlError } from '../robot-sim/caTrust.ts';
import { CaDistrustedError } from '../robot-sim/distrust.ts';
import { installBundle } from '../robot-sim/installBundle.ts';
import { applyLockdownOrder, lockdownState, operate, receiveItem, storeEmergencyKey } from '../robot-sim/lockdown.ts';
import { checkPeerCertificate, trustedCaPems } from '../robot-sim/reissue.ts';
import { runRobot } from '../robot-sim/robotSession.ts';
import { endorseInput, identity, kitFullCa, material, type KitFullCa } from './bundle-kit.ts';
import { memoryCable } from './station-link-kit.ts';
import { removeTempDirs, tempDir } from './store-testkit.ts';

afterAll(() => removeTempDirs());

const X = await kitFullCa('CN=Factory Fleet CA');
const Y = await kitFullCa('CN=Learnt Fleet CA');
/** A CA the robot has not learnt: its bundles are taken only with an endorsement by a CA the robot trusts. */
const Z = await kitFullCa('CN=Next Fleet CA');
const NAME: ReadonlyMap<KitFullCa, string> = new Map([[X, 'X'], [Y, 'Y'], [Z, 'Z']]);
const emergency = generateKeyPairSync('rsa', { modulusLength: 2048 });
/** Another RSA key: a forger's, and the emergency key a compromised CA would like robots to trust. */
const mallory = generateKeyPairSync('rsa', { modulusLength: 2048 });
const robotKey = identity();
const DEVICE = 'uv-1';
const FACTS: RobotFacts = { deviceId: DEVICE, site: 'Plant 1', model: 'UV-7', firmware: '2.1.0', tags: [] };
const HOUR = 3600_000;

const spki = (k: KeyObject) => k.export({ format: 'der', type: 'spki' });
const sha256Hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** A CA's key id as the docs define it: SHA-256 (hex) of the CA certificate's SubjectPublicKeyInfo DER. */
const caId = (ca: KitFullCa) => sha256Hex(spki(ca.publicKey));

/** A lockdown order file in the documented format; v2 (with distrustCas after wipeKeys) when `distrustCas` is given. */
function orderFile(o: { sequence: number; distrustCas?: string[]; kind?: 'lockdown' | 'lift'; actions?: string[]; issuedAt?: number; expiresAt?: number; scope?: object; signer?: KeyObject; signerKeyId?: string }): Buffer {
  const now = Date.now();
  const v2 = o.distrustCas !== undefined;
  const body = Buffer.from(JSON.stringify({
    v: v2 ? 2 : 1, orderId: randomBytes(16).toString('hex'), kind: o.kind ?? 'lockdown', sequence: o.sequence,
    issuedAt: new Date(o.issuedAt ?? now - HOUR).toISOString(), expiresAt: new Date(o.expiresAt ?? now + 24 * HOUR).toISOString(),
    scope: o.scope ?? { site: 'Plant 1' }, actions: o.actions ?? (v2 ? ['distrust_ca'] : ['stop_operating']), wipeKeys: [],
    ...(v2 ? { distrustCas: o.distrustCas } : {}),
    mode: 'strict', reason: 'fleet CA key leaked', message: 'Fleet CA distrusted', signerKeyId: o.signerKeyId ?? sha256Hex(spki(emergency.publicKey)),
  }));
  const signature = sign('sha256', Buffer.concat([Buffer.from('ECPS-LOCKDOWN-v1\0'), body]), { key: o.signer ?? emergency.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  return Buffer.from(JSON.stringify({ format: 'ECPS-LOCKDOWN-v1', body: body.toString('base64'), signature: signature.toString('base64') }));
}

/** The order as the robot takes a file from a USB stick (--apply-order): `accepted` or the refusal code. */
function applyOrder(ks: string, file: Buffer, now = new Date()): string {
  try {
    applyLockdownOrder({ keystore: ks, facts: FACTS, file, now });
    return 'accepted';
  } catch (e) {
    return (e as { code: string }).code;
  }
}

/** Every file of the key store and its bytes: a refusal must leave it exactly so. */
function snapshot(ks: string): Record<string, string> {
  return Object.fromEntries(readdirSync(ks).sort().map((f) => [f, readFileSync(path.join(ks, f)).toString('base64')]));
}

/** A key bundle for the robot signed by `signer` (with its certificate endorsed by `endorser` when given), carrying `emergencyKey` when given. */
async function bundleOf(signer: KitFullCa, sequence: number, o: { endorser?: KitFullCa; emergencyKey?: KeyObject } = {}): Promise<Buffer> {
  return createBundle({
    deviceId: DEVICE, identityPublicKey: robotKey.publicKey, caPublicKey: signer.publicKey, sequence, issuedAt: new Date().toISOString(),
    keys: [{ keyId: 'k-comm', version: sequence, material: material() }], sign: signer.sign,
    ...(o.emergencyKey ? { emergency: { emergencyKeyDer: spki(o.emergencyKey) } } : {}),
    ...(o.endorser ? { caEndorsement: { caCertDer: signer.caCertDer, endorserKeyId: caId(o.endorser), endorsement: await o.endorser.sign(endorseInput(signer.caCertDer)) } } : {}),
  });
}

/** Installs a bundle as `--install-bundle` does (the robot's trusted CAs); `accepted` or the refusal code. */
function install(ks: string, file: Buffer): string {
  try {
    installBundle({ keystore: ks, deviceId: DEVICE, caCertPem: trustedCaPems(ks, X.caCertPem), file, facts: FACTS });
    return 'accepted';
  } catch (e) {
    if (e instanceof CaDistrustedError || e instanceof BundleError) return e.code;
    throw e;
  }
}

/** A CRL as `--apply-crl` takes it: `accepted` or the refusal code (and the message, for the key id). */
function crl(ks: string, der: Buffer): { code: string; message: string } {
  try {
    applyCrl({ keystore: ks, caCertPem: X.caCertPem, der });
    return { code: 'accepted', message: '' };
  } catch (e) {
    if (e instanceof CrlError) return { code: e.code, message: e.message };
    throw e;
  }
}

/** What --check-peer-cert answers for a fresh, valid, unrevoked certificate `ca` issued. */
async function peerOf(ks: string, ca: KitFullCa, now = new Date()): Promise<{ code: string; message: string }> {
  const cert = await ca.issue(identity().publicKey, `uv-peer-${NAME.get(ca)}`);
  const r = checkPeerCertificate(ks, X.caCertPem, cert.pem, now);
  return r.ok ? { code: 'ok', message: '' } : { code: r.code, message: r.message };
}

let bundleSeq = 0;
/**
 * A provisioned robot: identity key, emergency key, factory CA X; Y learnt by a v3 bundle (Y's certificate endorsed
 * by X); a CRL of X and of Y held (number 1 each).
 */
async function robot(): Promise<string> {
  const ks = tempDir('ecps-sim-distrust-');
  writeFileSync(path.join(ks, 'identity.key.pem'), robotKey.privateKey.export({ format: 'pem', type: 'pkcs8' }));
  storeEmergencyKey(ks, spki(emergency.publicKey));
  bundleSeq = 1;
  expect(install(ks, await bundleOf(Y, bundleSeq, { endorser: X }))).toBe('accepted');
  expect(trustedCaPems(ks, X.caCertPem).map((pem) => sha256Hex(spki(new X509Certificate(pem).publicKey)))).toEqual([caId(X), caId(Y)]);
  for (const ca of [X, Y]) expect(crl(ks, await ca.crl([], 1)).code).toBe('accepted');
  return ks;
}

describe('a robot told to distrust one of its CAs refuses what that CA signs, and only that CA', () => {
  // [the distrusted CA, the other trusted CA]: the factory CA, then the CA learnt by endorsement.
  const pairs: Array<[KitFullCa, KitFullCa]> = [[X, Y], [Y, X]];

  it.each(pairs.map(([bad, good]) => [NAME.get(bad)!, bad, good] as const))('distrusting %s', async (_name, bad, good) => {
    const ks = await robot();
    // Before the order both CAs' peers are taken.
    expect([(await peerOf(ks, bad)).code, (await peerOf(ks, good)).code]).toEqual(['ok', 'ok']);
    expect(applyOrder(ks, orderFile({ sequence: 1, distrustCas: [caId(bad)] }))).toBe('accepted');
    expect(lockdownState(ks).distrustedCas).toEqual([caId(bad)]);
    // --operate shows the CAs the robot no longer trusts (a distrust_ca order alone does not stop it).
    expect(operate(ks, new Date())).toEqual({ ok: true, safeMode: false, distrustedCas: [caId(bad)] });

    // [what, the robot's answer, whether it is a refusal (the key store must then be unchanged)]
    const rows: Array<[string, () => Promise<string>, string, boolean]> = [
      ['a peer of the distrusted CA (valid, not revoked)', async () => {
        const r = await peerOf(ks, bad);
        expect(r.message).toContain(caId(bad));
        return r.code;
      }, 'peer_ca_distrusted', true],
      ['a peer of the other CA', async () => (await peerOf(ks, good)).code, 'ok', false],
      ['a newer CRL of the distrusted CA', async () => {
        const r = crl(ks, await bad.crl([], 2));
        expect(r.message).toContain(caId(bad));
        return r.code;
      }, 'crl_foreign', true],
      ['a newer CRL of the other CA', async () => crl(ks, await good.crl([], 2)).code, 'accepted', false],
      ['a key bundle signed by the distrusted CA, carrying another emergency key', async () => install(ks, await bundleOf(bad, bundleSeq + 1, { emergencyKey: mallory.publicKey })), 'ca_distrusted', true],
      ['a key bundle of an unknown CA endorsed by the distrusted CA', async () => install(ks, await bundleOf(Z, bundleSeq + 1, { endorser: bad })), 'ca_distrusted', true],
      ['a key bundle signed by the other CA', async () => install(ks, await bundleOf(good, ++bundleSeq)), 'accepted', false],
      ['a key bundle of an unknown CA endorsed by the other CA', async () => install(ks, await bundleOf(Z, ++bundleSeq, { endorser: good })), 'accepted', false],
      // Z is trusted now: the endorsement it still carries is not needed, so whose it is does not matter.
      ['a key bundle of Z, now trusted, still carrying an endorsement by the distrusted CA', async () => install(ks, await bundleOf(Z, ++bundleSeq, { endorser: bad })), 'accepted', false],
    ];
    for (const [what, run, want, refusal] of rows) {
      const before = snapshot(ks);
      expect(await run(), what).toBe(want);
      if (refusal) expect(snapshot(ks), `${what}: nothing written`).toEqual(before);
    }
    // The emergency key is still the fleet's: the distrusted CA's bundle did not replace it.
    expect(createHash('sha256').update(readFileSync(path.join(ks, 'emergency-key.pem'))).digest('hex'))
      .toBe(sha256Hex(Buffer.from(emergency.publicKey.export({ format: 'pem', type: 'spki' }))));
    // The good bundles were installed (their keys, their sequence) and Z is trusted, endorsed by the other CA.
    expect(JSON.parse(readFileSync(path.join(ks, 'bundle-state.json'), 'utf8'))).toMatchObject({ lastSequence: bundleSeq });
    expect(trustedCaPems(ks, X.caCertPem)).toHaveLength(3);
  });

  it('a CRL of the distrusted CA over the link (an ORDER item) is answered crl_foreign, naming the CA; the CRL held stays', async () => {
    const ks = await robot();
    expect(applyOrder(ks, orderFile({ sequence: 1, distrustCas: [caId(Y)] }))).toBe('accepted');
    const held = readFileSync(path.join(ks, `crl-${caId(Y)}.der`));
    const r = receiveItem({ keystore: ks, facts: FACTS, caCertPem: X.caCertPem, kind: 'crl', content: await Y.crl([], 5), now: new Date() });
    expect(r.result).toBe('crl_foreign');
    expect(r.message).toContain(caId(Y));
    expect(readFileSync(path.join(ks, `crl-${caId(Y)}.der`))).toEqual(held);
  });

  it('an order naming both CAs distrusts both; one naming a CA the robot never trusted changes nothing it trusts', async () => {
    const ks = await robot();
    expect(applyOrder(ks, orderFile({ sequence: 1, distrustCas: [caId(Z)] }))).toBe('accepted');
    expect([(await peerOf(ks, X)).code, (await peerOf(ks, Y)).code]).toEqual(['ok', 'ok']);
    expect(applyOrder(ks, orderFile({ sequence: 2, distrustCas: [caId(Y), caId(X)] }))).toBe('accepted');
    expect(lockdownState(ks).distrustedCas).toEqual([caId(X), caId(Y), caId(Z)].sort());
    expect([(await peerOf(ks, X)).code, (await peerOf(ks, Y)).code]).toEqual(['peer_ca_distrusted', 'peer_ca_distrusted']);
  });
});

describe('the distrust is final', () => {
  it('a lift, a later lockdown and the order\'s expiry leave it', async () => {
    const ks = await robot();
    const t0 = Date.now();
    expect(applyOrder(ks, orderFile({ sequence: 1, distrustCas: [caId(X)], expiresAt: t0 + HOUR }))).toBe('accepted');
    // [step, the order (null: none, time passes), when the robot checks]
    const steps: Array<[string, Buffer | null, number]> = [
      ['a lift', orderFile({ sequence: 2, kind: 'lift', actions: [] }), t0],
      ['a later lockdown without distrust_ca', orderFile({ sequence: 3 }), t0],
      ['another lift', orderFile({ sequence: 4, kind: 'lift', actions: [] }), t0],
      ['the distrust order\'s expiry passed', null, t0 + 2 * HOUR],
    ];
    for (const [what, file, at] of steps) {
      if (file) expect(applyOrder(ks, file), what).toBe('accepted');
      expect(lockdownState(ks).distrustedCas, what).toEqual([caId(X)]);
      expect((await peerOf(ks, X, new Date(at))).code, what).toBe('peer_ca_distrusted');
      expect((await peerOf(ks, Y, new Date(at))).code, what).toBe('ok');
    }
    expect(crl(ks, await X.crl([], 9)).code).toBe('crl_foreign');
  });
});

describe('a v2 order that is not accepted changes nothing', () => {
  const t0 = Date.now();
  // [what, the order, the refusal code]; the robot accepted sequence 5 (a v1 lockdown) before.
  const cases: Array<[string, () => Buffer, string]> = [
    ['signed by another key, naming the emergency key', () => orderFile({ sequence: 6, distrustCas: [caId(X)], signer: mallory.privateKey }), 'tampered'],
    ['signed by another key, naming it', () => orderFile({ sequence: 6, distrustCas: [caId(X)], signer: mallory.privateKey, signerKeyId: sha256Hex(spki(mallory.publicKey)) }), 'foreign'],
    ['its distrustCas changed after signing', () => {
      const file = JSON.parse(orderFile({ sequence: 6, distrustCas: [caId(Z)] }).toString()) as { body: string };
      const body = Buffer.from(file.body, 'base64').toString().replace(caId(Z), caId(X));
      return Buffer.from(JSON.stringify({ ...file, body: Buffer.from(body).toString('base64') }));
    }, 'tampered'],
    ['replayed (a sequence not above the last accepted)', () => orderFile({ sequence: 5, distrustCas: [caId(X)] }), 'replayed'],
    ['expired', () => orderFile({ sequence: 6, distrustCas: [caId(X)], issuedAt: t0 - 3 * HOUR, expiresAt: t0 - HOUR }), 'expired'],
    ['for other robots', () => orderFile({ sequence: 6, distrustCas: [caId(X)], scope: { deviceIds: ['uv-2'] } }), 'out_of_scope'],
  ];
  it.each(cases)('%s', async (_what, make, code) => {
    const ks = await robot();
    expect(applyOrder(ks, orderFile({ sequence: 5 }))).toBe('accepted');
    const before = snapshot(ks);
    expect(applyOrder(ks, make())).toBe(code);
    expect(snapshot(ks)).toEqual(before);
    expect(lockdownState(ks).distrustedCas).toBeUndefined();
    expect((await peerOf(ks, X)).code).toBe('ok');
  });
});

describe('a re-issue (RENEW over the serial link) endorsed by a distrusted CA', () => {
  /**
   * The robot's real session (runRobot) on an in-memory cable; the test plays the console: reads HELLO, sends RENEW
   * with Z's certificate endorsed by `endorser`, and reads the robot's answer (then ends the session with an ERROR).
   */
  async function renew(ks: string, endorser: KitFullCa): Promise<{ answer: string; result: { ok: boolean; code?: string } }> {
    const cable = memoryCable();
    const robotRun = runRobot(cable.robotChannel, { deviceId: DEVICE, keystore: ks, caCertPem: X.caCertPem, keyType: 'ec', firmware: '2.1.0', stepTimeoutMs: 10_000, facts: FACTS });
    const hello = await cable.consoleChannel.receive(10_000, 'HELLO');
    expect(hello.frame.type).toBe(MessageType.HELLO);
    const payload = encodeRenew({ consoleNonce: randomBytes(32), caCertDer: Z.caCertDer, endorserKeyId: caId(endorser), endorsement: await endorser.sign(endorseInput(Z.caCertDer)) });
    await cable.consoleChannel.sendRaw(encodeFrame({ type: MessageType.RENEW, seq: RENEW_SEQ.RENEW, payload }));
    const got = await cable.consoleChannel.receive(10_000, 'the robot\'s answer to RENEW');
    const answer = got.frame.type === MessageType.ERROR ? `ERROR ${decodeError(got.frame.payload).code}` : got.frame.type === MessageType.CSR ? 'CSR' : `frame ${got.frame.type}`;
    if (got.frame.type !== MessageType.ERROR) await cable.consoleChannel.send({ type: MessageType.ERROR, seq: 0xffffffff, payload: encodeError({ code: 'test_over', message: '' }) });
    return { answer, result: await robotRun };
  }

  it('is refused with ca_distrusted and nothing written; the other CA\'s endorsement is taken (the robot answers with its CSR)', async () => {
    const ks = await robot();
    expect(applyOrder(ks, orderFile({ sequence: 1, distrustCas: [caId(Y)] }))).toBe('accepted');
    const before = snapshot(ks);
    const refused = await renew(ks, Y);
    expect(refused.answer).toBe('ERROR ca_distrusted');
    expect(refused.result).toMatchObject({ ok: false, code: 'ca_distrusted', message: expect.stringContaining(caId(Y)) as unknown as string });
    expect(snapshot(ks)).toEqual(before);
    expect(existsSync(path.join(ks, 'identity.cert.pem'))).toBe(false);
    const taken = await renew(ks, X);
    expect(taken.answer).toBe('CSR');
    expect(taken.result).toMatchObject({ ok: false, code: 'robot_error' });
  });
});
