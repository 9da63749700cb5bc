// The robot simulator's CA trust and CRLs (docs/fleet-ca.md, "What a robot trusts"; docs/lockdown-orders.md, "The CRL
// on the robot"): one CRL per CA it trusts, each checked against its own CA, newer number wins per CA; peers refused
// when their issuer's CRL lists them; a v3 key bundle teaches the endorsed CA only once installed, and a CA whose CRL
// revokes for cACompromise endorses nothing any more. Expectations are the rows of the tables below.
import 'reflect-metadata';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { afterAll, describe, expect, it } from 'vitest';
import { createBundle, signerKeyId } from '../../electron/station/bundle.ts';
import { caEndorsementInput } from '../../electron/station/protocol.ts';
import { addTrustedCa, applyCrl, checkPeer, CrlError } from '../robot-sim/caTrust.ts';
import { installBundle } from '../robot-sim/installBundle.ts';
import { receiveItem } from '../robot-sim/lockdown.ts';
import { checkPeerCertificate, trustedCaPems } from '../robot-sim/reissue.ts';
import { identity, kitFullCa, material, type KitFullCa } from './bundle-kit.ts';
import { removeTempDirs, tempDir } from './store-testkit.ts';

const oldCa = await kitFullCa('CN=Old Fleet CA');
const newCa = await kitFullCa('CN=New Fleet CA');
const otherCa = await kitFullCa('CN=Other CA');
/** Same name as the new CA, another key: its CRLs name the new CA but do not verify under it. */
const impostor = await kitFullCa('CN=New Fleet CA');
const robot = identity();
const { keyCompromise, cACompromise } = x509.X509CrlReason;

afterAll(() => removeTempDirs());

const apply = (keystore: string, der: Buffer): string => {
  try {
    return `accepted ${applyCrl({ keystore, caCertPem: oldCa.caCertPem, der }).crlNumber}`;
  } catch (e) {
    if (e instanceof CrlError) return e.code;
    throw e;
  }
};
/** A robot whose factory CA is the old one and that learnt the new one by endorsement. */
function robotKeystore(learntNew = true): string {
  const ks = tempDir('ecps-sim-trust-');
  writeFileSync(path.join(ks, 'identity.key.pem'), robot.privateKey.export({ format: 'pem', type: 'pkcs8' }));
  if (learntNew) addTrustedCa(ks, oldCa.caCertPem, newCa.caCertPem);
  return ks;
}

describe('one CRL per trusted CA', () => {
  it('checks each CRL against its own CA, newer number wins per CA', async () => {
    const ks = robotKeystore();
    // [what, the CRL's CA, its number, what the robot answers]
    const steps: Array<[string, KitFullCa, number, string]> = [
      ['the factory CA, number 5', oldCa, 5, 'accepted 5'],
      ['the learnt CA, number 1 (below the factory CA\'s 5: each CA numbers its own)', newCa, 1, 'accepted 1'],
      ['the learnt CA, number 1 again', newCa, 1, 'crl_stale'],
      ['the factory CA, number 4', oldCa, 4, 'crl_stale'],
      ['the learnt CA, number 2', newCa, 2, 'accepted 2'],
      ['the factory CA, number 5 again', oldCa, 5, 'crl_stale'],
      ['a CA the robot does not trust', otherCa, 9, 'crl_foreign'],
      ['a CRL naming the learnt CA, signed by another key', impostor, 9, 'crl_foreign'],
      ['the factory CA, number 6', oldCa, 6, 'accepted 6'],
    ];
    for (const [what, ca, n, want] of steps) expect(apply(ks, await ca.crl([], n)), what).toBe(want);
    // Kept apart: the factory CA's as crl.der, the learnt CA's under its key id.
    expect(readFileSync(path.join(ks, 'crl.der'))).toEqual(await crlNumbered(oldCa, ks, 'crl.der', 6));
    expect(existsSync(path.join(ks, `crl-${signerKeyId(newCa.publicKey)}.der`))).toBe(true);
  });

  it('a robot that did not learn the new CA answers crl_foreign to its CRL', async () => {
    expect(apply(robotKeystore(false), await newCa.crl([], 1))).toBe('crl_foreign');
  });

  it('over the link (an ORDER item, with the factory CA as the robot\'s --ca-cert) the learnt CA\'s CRL is accepted', async () => {
    const facts = { deviceId: 'uv-1', site: null, model: null, firmware: null, tags: null };
    const item = async (ks: string, n: number) => receiveItem({ keystore: ks, facts, caCertPem: oldCa.caCertPem, kind: 'crl', content: await newCa.crl([], n), now: new Date() }).result;
    expect(await item(robotKeystore(false), 1)).toBe('crl_foreign');
    const ks = robotKeystore();
    expect([await item(ks, 1), await item(ks, 1)]).toEqual(['accepted', 'crl_stale']);
  });

  it('refuses a peer whose certificate its issuer\'s CRL lists, and only its issuer\'s', async () => {
    const ks = robotKeystore();
    const peerKey = identity().publicKey;
    const ofNew = await newCa.issue(peerKey, 'uv-peer-new');
    const ofOld = await oldCa.issue(peerKey, 'uv-peer-old');
    const revokedOfNew = await newCa.issue(peerKey, 'uv-peer-new-revoked');
    // The old CA's CRL lists the new-CA peer's serial (not its issuer) and the old peer; the new CA's lists the revoked one.
    expect(apply(ks, await oldCa.crl([{ serial: ofNew.serial, reason: keyCompromise }, { serial: ofOld.serial, reason: keyCompromise }], 3))).toBe('accepted 3');
    expect(apply(ks, await newCa.crl([{ serial: revokedOfNew.serial, reason: keyCompromise }], 1))).toBe('accepted 1');
    const now = new Date();
    // [peer, answer of --check-peer-cert]
    const table: Array<[string, { pem: string }, string]> = [
      ['a new-CA peer listed only on the old CA\'s CRL', ofNew, 'ok'],
      ['an old-CA peer on the old CA\'s CRL', ofOld, 'peer_revoked'],
      ['a new-CA peer on the new CA\'s CRL', revokedOfNew, 'peer_revoked'],
      ['a peer of a CA the robot does not trust', await otherCa.issue(peerKey, 'uv-stranger'), 'peer_untrusted'],
    ];
    for (const [what, cert, want] of table) {
      const r = checkPeerCertificate(ks, oldCa.caCertPem, cert.pem, now);
      expect(r.ok ? 'ok' : r.code, what).toBe(want);
    }
    // With the serial alone the robot cannot tell the issuer: any CRL it holds that lists the serial refuses it.
    expect(checkPeer(ks, revokedOfNew.serial)).toMatchObject({ ok: false, code: 'peer_revoked' });
    expect(checkPeer(ks, ofNew.serial)).toMatchObject({ ok: false, code: 'peer_revoked' });
    expect(checkPeer(ks, '7f7f7f7f')).toEqual({ ok: true });
  });
});

describe('a v3 key bundle on the simulator', () => {
  const keys = [{ keyId: 'k-comm', version: 3, material: material() }];
  const bundle = async (o: { endorser?: KitFullCa; crlDer?: Buffer; sequence?: number } = {}) => {
    const endorser = o.endorser ?? oldCa;
    return createBundle({
      deviceId: 'uv-1', identityPublicKey: robot.publicKey, caPublicKey: newCa.publicKey, sequence: o.sequence ?? 1, issuedAt: '2026-01-01T00:00:00.000Z', keys, sign: newCa.sign,
      caEndorsement: { caCertDer: newCa.caCertDer, endorserKeyId: signerKeyId(endorser.publicKey), endorsement: await endorser.sign(caEndorsementInput(newCa.caCertDer)) },
      ...(o.crlDer ? { emergency: { crlDer: o.crlDer } } : {}),
    });
  };
  const install = (ks: string, file: Buffer) => installBundle({ keystore: ks, deviceId: 'uv-1', caCertPem: trustedCaPems(ks, oldCa.caCertPem), file });

  it('installs, then trusts the new CA, then takes the new CA\'s CRL it carries', async () => {
    const ks = robotKeystore(false);
    const out = install(ks, await bundle({ crlDer: await newCa.crl([], 1) }));
    expect(out).toMatchObject({ sequence: 1, installed: [{ keyId: 'k-comm', version: 3 }], trustedCa: signerKeyId(newCa.publicKey), emergency: { items: [{ kind: 'crl', result: 'accepted' }] } });
    expect(trustedCaPems(ks, oldCa.caCertPem).map((pem) => new X509Certificate(pem).raw)).toEqual([oldCa.caCertDer, newCa.caCertDer]);
    // Taught once: the next bundle of the new CA needs no endorsement to be trusted, and teaches nothing.
    expect(install(ks, await bundle({ sequence: 2 })).trustedCa).toBeNull();
  });

  it('refused bundles change nothing: not endorsed by a trusted CA, or endorsed by a CA the robot holds as compromised', async () => {
    const table: Array<[string, (ks: string) => Promise<void>, KitFullCa, string]> = [
      ['endorsed by another CA', async () => undefined, otherCa, 'the new CA certificate is endorsed by a CA this robot does not trust'],
      // The old CA's final CRL (every certificate revoked for cACompromise) tells the robot its CA was compromised.
      ['endorsed by the factory CA after its compromise CRL', async (ks) => {
        expect(apply(ks, await oldCa.crl([{ serial: '1234', reason: cACompromise }], 7))).toBe('accepted 7');
      }, oldCa, 'the new CA certificate is endorsed by a CA this robot holds as compromised'],
    ];
    for (const [what, before, endorser, message] of table) {
      const ks = robotKeystore(false);
      await before(ks);
      const file = await bundle({ endorser });
      expect(() => install(ks, file), what).toThrow(expect.objectContaining({ code: 'endorsement_invalid', message }) as unknown as Error);
      expect([existsSync(path.join(ks, 'keys.json')), existsSync(path.join(ks, 'trusted-cas.json'))], what).toEqual([false, false]);
    }
  });
});

describe('a v4 key bundle on the simulator: several CRLs, each to its own CA\'s slot', () => {
  const keys = [{ keyId: 'k-comm', version: 4, material: material() }];
  const install = (ks: string, file: Buffer) => installBundle({ keystore: ks, deviceId: 'uv-1', caCertPem: trustedCaPems(ks, oldCa.caCertPem), file });

  it('applies every CRL in order: newest number per CA wins, an unknown CA stays crl_foreign; then refuses the peers they list', async () => {
    const ks = robotKeystore(true);
    const now = new Date();
    const peerOfOld = await oldCa.issue(identity().publicKey, 'uv-peer-old');
    const peerOfNew = await newCa.issue(identity().publicKey, 'uv-peer-new');
    // [the CRL's CA, its number, what it lists, what the robot answers], in the bundle's order: the signer's CRL first.
    const crls: Array<[KitFullCa, number, string[], string]> = [
      [newCa, 2, [peerOfNew.serial], 'accepted'],
      [oldCa, 5, [peerOfOld.serial], 'accepted'],
      [otherCa, 1, [], 'crl_foreign'],
      [oldCa, 3, [], 'crl_stale'],
    ];
    const ders = await Promise.all(crls.map(([ca, n, serials]) => ca.crl(serials.map((serial) => ({ serial, reason: cACompromise })), n)));
    const file = await createBundle({
      deviceId: 'uv-1', identityPublicKey: robot.publicKey, caPublicKey: newCa.publicKey, sequence: 1, issuedAt: '2026-01-01T00:00:00.000Z', keys, sign: newCa.sign,
      emergency: { crlDer: ders[0]!, otherCrlsDer: ders.slice(1) },
    });
    for (const peer of [peerOfOld, peerOfNew]) expect(checkPeerCertificate(ks, oldCa.caCertPem, peer.pem, now)).toEqual({ ok: true });
    const out = install(ks, file);
    expect(out).toMatchObject({ sequence: 1, installed: [{ keyId: 'k-comm', version: 4 }], trustedCa: null });
    expect(out.emergency?.items).toEqual(crls.map(([, , , result]) => ({ kind: 'crl', result })));
    // Each CA's CRL in its own file, the older number of the factory CA not kept.
    await crlNumbered(oldCa, ks, 'crl.der', 5);
    await crlNumbered(newCa, ks, `crl-${signerKeyId(newCa.publicKey)}.der`, 2);
    for (const peer of [peerOfOld, peerOfNew]) expect(checkPeerCertificate(ks, oldCa.caCertPem, peer.pem, now)).toMatchObject({ ok: false, code: 'peer_revoked' });
  });
});

/** The DER of `ca`'s CRL the robot holds in `file`, checked to carry `n` (reads it back from the key store). */
async function crlNumbered(ca: KitFullCa, ks: string, file: string, n: number): Promise<Buffer> {
  const der = readFileSync(path.join(ks, file));
  const crl = new x509.X509Crl(der);
  expect(crl.issuer).toBe(new x509.X509Certificate(ca.caCertPem).subject);
  expect(Buffer.from(crl.getExtension('2.5.29.20')!.value)).toEqual(Buffer.from([0x02, 0x01, n]));
  return der;
}
