// v3 key bundles (docs/key-bundles.md, "The new CA certificate (v3)"): a bundle built for a robot whose certificate is
// of a retired CA carries the new (signing) CA's certificate endorsed by the retired CA; the robot checks the
// endorsement with the CA it trusts, then verifies the bundle under the endorsed CA. The endorsement input and the
// member layout are written here from the docs; each refusal is a row of a table with its documented code.
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createBundle, signerKeyId, verifyBundle } from '../../electron/station/bundle.ts';
import { bundleRefusal as refusal, endorseInput, identity, kitFullCa, material, type KitFullCa } from './bundle-kit.ts';


const oldCa = await kitFullCa('CN=Old Fleet CA');
const newCa = await kitFullCa('CN=New Fleet CA');
const otherCa = await kitFullCa('CN=Other CA');
const robot = identity();
const keys = [{ keyId: 'k-comm', version: 2, material: material() }];
const keyIdOf = (ca: KitFullCa) => signerKeyId(ca.publicKey);

interface Endorsement { caCertDer: Buffer; endorserKeyId: string; endorsement: Buffer }
const genuine = async (): Promise<Endorsement> => ({ caCertDer: newCa.caCertDer, endorserKeyId: keyIdOf(oldCa), endorsement: await oldCa.sign(endorseInput(newCa.caCertDer)) });

const build = async (o: { signer?: KitFullCa; caEndorsement?: Endorsement; crlDer?: Buffer } = {}) => {
  const signer = o.signer ?? newCa;
  return createBundle({
    deviceId: 'uv-1', identityPublicKey: robot.publicKey, caPublicKey: signer.publicKey, sequence: 5, issuedAt: '2026-01-01T00:00:00.000Z', keys, sign: signer.sign,
    caEndorsement: o.caEndorsement ?? (await genuine()), ...(o.crlDer ? { emergency: { crlDer: o.crlDer } } : {}),
  });
};
/** A robot that trusts only its factory CA (the old one), as before any re-issue. */
const oldRobot = { caCertPem: [oldCa.caCertPem], deviceId: 'uv-1', identityPrivateKey: robot.privateKey, lastSequence: 4 };

const bodyOf = (file: Buffer) => JSON.parse(Buffer.from((JSON.parse(file.toString()) as { body: string }).body, 'base64').toString()) as Record<string, unknown>;

describe('v3 bundle: the new CA certificate endorsed by the retired CA', () => {
  it('is version 3 with caEndorsement after the emergency members: {caCert, endorserKeyId, endorsement} as documented', async () => {
    const body = bodyOf(await build());
    expect(body.v).toBe(3);
    expect(Object.keys(body)).toEqual(['v', 'bundleId', 'deviceId', 'issuedAt', 'sequence', 'signerKeyId', 'entries', 'emergencyKey', 'orders', 'crl', 'caEndorsement']);
    expect([body.emergencyKey, body.orders, body.crl]).toEqual([null, [], null]);
    const e = body.caEndorsement as Record<string, string>;
    expect(Object.keys(e)).toEqual(['caCert', 'endorserKeyId', 'endorsement']);
    expect(Buffer.from(e.caCert!, 'base64')).toEqual(newCa.caCertDer);
    expect(e.endorserKeyId).toBe(keyIdOf(oldCa));
    // The endorsement is the old CA key's signature over fields("ECPS-CA-ENDORSE-v1", caCert), checked here with the old CA's public key.
    const { verify } = await import('node:crypto');
    expect(verify('sha256', endorseInput(newCa.caCertDer), { key: oldCa.publicKey, dsaEncoding: 'der' }, Buffer.from(e.endorsement!, 'base64'))).toBe(true);
    expect(body.signerKeyId).toBe(keyIdOf(newCa));
  });

  it('a robot trusting only the old CA installs it and learns the new CA; one trusting the new CA already learns nothing', async () => {
    const file = await build();
    const v = verifyBundle(file, oldRobot);
    expect(v.keys.map((k) => [k.keyId, k.material.equals(keys[0]!.material)])).toEqual([['k-comm', true]]);
    expect(new X509Certificate(v.endorsedCaPem!).raw).toEqual(newCa.caCertDer);
    expect(verifyBundle(file, { ...oldRobot, caCertPem: [oldCa.caCertPem, newCa.caCertPem] }).endorsedCaPem).toBeNull();
    // Without the endorsement the old robot refuses the new CA's bundle, as before v3.
    const v1 = await createBundle({ deviceId: 'uv-1', identityPublicKey: robot.publicKey, caPublicKey: newCa.publicKey, sequence: 5, issuedAt: '2026-01-01T00:00:00.000Z', keys, sign: newCa.sign });
    expect(refusal(() => verifyBundle(v1, oldRobot))).toEqual({ code: 'foreign', message: 'the bundle was signed by another CA' });
  });

  it('refuses what does not hold, each with its code and message', async () => {
    const g = await genuine();
    // [what, the bundle, the robot's options, the expected refusal]
    const table: Array<[string, Buffer, Parameters<typeof verifyBundle>[1], { code: string; message: string }]> = [
      ['a forged endorsement (signed by another key)', await build({ caEndorsement: { ...g, endorsement: await otherCa.sign(endorseInput(newCa.caCertDer)) } }), oldRobot,
        { code: 'endorsement_invalid', message: 'the endorsement of the new CA certificate does not verify under the CA it names' }],
      ['an endorsement by a CA the robot does not trust', await build({ caEndorsement: { ...g, endorserKeyId: keyIdOf(otherCa), endorsement: await otherCa.sign(endorseInput(newCa.caCertDer)) } }), oldRobot,
        { code: 'endorsement_invalid', message: 'the new CA certificate is endorsed by a CA this robot does not trust' }],
      ['an endorsement by a CA the robot holds as compromised', await build(), { ...oldRobot, compromisedCaPem: [oldCa.caCertPem] },
        { code: 'endorsement_invalid', message: 'the new CA certificate is endorsed by a CA this robot holds as compromised' }],
      // The new-CA certificate swapped for another one (re-signed, so that only this rule can refuse it): the old CA never endorsed it.
      ['a swapped new-CA certificate', await build({ signer: otherCa, caEndorsement: { ...g, caCertDer: otherCa.caCertDer } }), oldRobot,
        { code: 'endorsement_invalid', message: 'the endorsement of the new CA certificate does not verify under the CA it names' }],
      ['a genuine endorsement carried by a bundle another CA signed', await signedByOtherWithGenuine(), oldRobot,
        { code: 'foreign', message: 'the bundle was signed by another CA than the endorsed CA certificate it carries' }],
      ['an endorsed certificate that is not a CA certificate', await resigned({ caEndorsement: await leafEndorsement() }), oldRobot,
        { code: 'endorsement_invalid', message: 'the endorsed certificate is not a self-signed CA certificate' }],
      ['a bundle of the endorsed CA for another device', await build(), { ...oldRobot, deviceId: 'uv-2' }, { code: 'foreign', message: 'the bundle is for another device' }],
      ['a replayed bundle of the endorsed CA', await build(), { ...oldRobot, lastSequence: 5 }, { code: 'replayed', message: 'sequence 5 is not greater than the last accepted 5' }],
    ];
    for (const [what, file, o, want] of table) expect(refusal(() => verifyBundle(file, o)), what).toEqual(want);
  });

  it('a new-CA certificate or endorsement changed in the file (not re-signed) is refused', async () => {
    const file = await build();
    const outer = JSON.parse(file.toString()) as { format: string; body: string; signature: string };
    const body = bodyOf(file);
    const e = body.caEndorsement as Record<string, string>;
    for (const [what, changed] of [
      ['caCert', { ...e, caCert: otherCa.caCertDer.toString('base64') }],
      ['endorsement', { ...e, endorsement: (await oldCa.sign(endorseInput(otherCa.caCertDer))).toString('base64') }],
    ] as const) {
      const swapped = Buffer.from(JSON.stringify({ ...outer, body: Buffer.from(JSON.stringify({ ...body, caEndorsement: changed })).toString('base64') }));
      expect(refusal(() => verifyBundle(swapped, oldRobot)).code, what).toMatch(/^(endorsement_invalid|tampered)$/);
    }
  });

  it('the console refuses to build one whose endorsed certificate is not the signer\'s, or whose endorser id is not hex', async () => {
    const g = await genuine();
    await expect(build({ signer: otherCa, caEndorsement: g })).rejects.toMatchObject({ code: 'malformed', message: 'the endorsed CA certificate is not the certificate of the CA signing the bundle' });
    await expect(build({ caEndorsement: { ...g, endorserKeyId: 'A'.repeat(64) } })).rejects.toMatchObject({ code: 'malformed' });
  });

  it('refuses a v3 body without a well-formed caEndorsement as malformed, even when signed', async () => {
    const body = bodyOf(await build());
    const e = body.caEndorsement as Record<string, unknown>;
    const bad: Array<[string, unknown]> = [
      ['absent', undefined], ['null', null], ['a list', [e]], ['caCert empty', { ...e, caCert: '' }], ['caCert numeric', { ...e, caCert: 1 }],
      ['endorsement empty', { ...e, endorsement: '' }], ['endorser id upper-case', { ...e, endorserKeyId: String(e.endorserKeyId).toUpperCase() }],
      ['endorser id 63 hex', { ...e, endorserKeyId: String(e.endorserKeyId).slice(1) }],
    ];
    for (const [what, value] of bad) {
      const text = JSON.stringify({ ...body, caEndorsement: value });
      const sig = await newCa.sign(Buffer.concat([Buffer.from('ECPS-KEYBUNDLE-v1\0'), Buffer.from(text)]));
      const f = Buffer.from(JSON.stringify({ format: 'ECPS-KEYBUNDLE-v1', body: Buffer.from(text).toString('base64'), signature: sig.toString('base64') }));
      expect(refusal(() => verifyBundle(f, oldRobot)), what).toEqual({ code: 'malformed', message: 'the bundle caEndorsement (caCert, endorserKeyId, endorsement) is invalid' });
    }
  });
});

/** A genuine bundle of the new CA with body members changed, signed again by `signer` (built by hand: the console would refuse). */
async function resigned(changes: Record<string, unknown>, signer: KitFullCa = newCa): Promise<Buffer> {
  const text = JSON.stringify({ ...bodyOf(await build()), ...changes });
  const sig = await signer.sign(Buffer.concat([Buffer.from('ECPS-KEYBUNDLE-v1\0'), Buffer.from(text)]));
  return Buffer.from(JSON.stringify({ format: 'ECPS-KEYBUNDLE-v1', body: Buffer.from(text).toString('base64'), signature: sig.toString('base64') }));
}

/** A bundle signed by another CA that carries the genuine endorsement of the new CA. */
const signedByOtherWithGenuine = () => resigned({ signerKeyId: keyIdOf(otherCa) }, otherCa);

/** The old CA's genuine endorsement of a robot certificate (not a CA certificate), as body members. */
async function leafEndorsement(): Promise<Record<string, string>> {
  const leaf = new X509Certificate((await oldCa.issue(identity().publicKey, 'uv-leaf')).pem).raw;
  return { caCert: leaf.toString('base64'), endorserKeyId: keyIdOf(oldCa), endorsement: (await oldCa.sign(endorseInput(leaf))).toString('base64') };
}
