// The robot's checks of a key bundle file (verifyBundle, checkCaEndorsement in electron/station/bundle.ts) that no
// other unit test pinned, found by the mutation round (g) (docs/mutation-testing.md): a v3/v4 caEndorsement member of
// the wrong type or form in a bundle whose signer the robot already trusts (docs/key-bundles.md: bad fields ->
// malformed, whichever CA signed), the field a non-base64 endorsement names, an endorsed certificate that is
// self-signed but not a CA certificate (step 4 of "The new CA certificate (v3)"), an endorsed certificate that does
// not parse (malformed), and the endorsement check called without a compromised list. Expected codes come from
// docs/key-bundles.md; the messages are written out here.
import { describe, expect, it } from 'vitest';
import { checkCaEndorsement, createBundle, signerKeyId, verifyBundle } from '../../electron/station/bundle.ts';
import { bundleRefusal as refusal, endorseInput, identity, kitCa, kitFullCa, material, type KitCa } from './bundle-kit.ts';
import { X509Certificate } from 'node:crypto';


const oldCa = await kitFullCa('CN=Old Fleet CA');
const newCa = await kitFullCa('CN=New Fleet CA');
const robot = identity();
const keys = [{ keyId: 'k-comm', version: 2, material: material() }];
const HEX64 = signerKeyId(oldCa.publicKey);

/** A v3 bundle of the new CA carrying its certificate endorsed by the old CA, as the console writes it. */
const v3 = async () => createBundle({
  deviceId: 'uv-1', identityPublicKey: robot.publicKey, caPublicKey: newCa.publicKey, sequence: 5, issuedAt: '2026-01-01T00:00:00.000Z', keys, sign: newCa.sign,
  caEndorsement: { caCertDer: newCa.caCertDer, endorserKeyId: HEX64, endorsement: await newCa.sign(Buffer.from('x')) },
});

/** The same file with its caEndorsement member changed and the body signed again by `signer` (so only the rule under test refuses it). */
async function withEndorsement(change: Record<string, unknown>, signer: KitCa = newCa): Promise<Buffer> {
  const outer = JSON.parse((await v3()).toString()) as { body: string };
  const body = JSON.parse(Buffer.from(outer.body, 'base64').toString()) as Record<string, unknown>;
  body.caEndorsement = { ...(body.caEndorsement as Record<string, unknown>), ...change };
  const bytes = Buffer.from(JSON.stringify(body));
  const sig = await signer.sign(Buffer.concat([Buffer.from('ECPS-KEYBUNDLE-v1\0'), bytes]));
  return Buffer.from(JSON.stringify({ format: 'ECPS-KEYBUNDLE-v1', body: bytes.toString('base64'), signature: sig.toString('base64') }));
}

const newRobot = { caCertPem: [newCa.caCertPem], deviceId: 'uv-1', identityPrivateKey: robot.privateKey, lastSequence: 4 };
const oldRobot = { ...newRobot, caCertPem: [oldCa.caCertPem] };
const BAD_ENDORSEMENT = { code: 'malformed', message: 'the bundle caEndorsement (caCert, endorserKeyId, endorsement) is invalid' };

describe('a caEndorsement member of the wrong type or form is malformed, even when the robot trusts the signer', () => {
  it('the unchanged file installs (the base of the table)', async () => {
    expect(verifyBundle(await withEndorsement({}), newRobot).keys.map((k) => k.keyId)).toEqual(['k-comm']);
  });
  const table: Array<[string, Record<string, unknown>]> = [
    ['endorsement a number', { endorsement: 5 }],
    ['endorsement empty', { endorsement: '' }],
    ['caCert a number', { caCert: 7 }],
    ['endorserKeyId a list holding a valid id', { endorserKeyId: [HEX64] }],
    ['endorserKeyId with a character before the 64 hex', { endorserKeyId: `x${HEX64}` }],
    ['endorserKeyId with a character after the 64 hex', { endorserKeyId: `${HEX64}x` }],
    ['endorserKeyId in upper case', { endorserKeyId: HEX64.toUpperCase() }],
  ];
  it.each(table)('%s', async (_what, change) => {
    const file = await withEndorsement(change);
    expect(refusal(() => verifyBundle(file, newRobot))).toEqual(BAD_ENDORSEMENT);
  });
  it('caEndorsement a string, a list or null in a v3 body', async () => {
    for (const value of ['abc', [HEX64], null]) {
      const outer = JSON.parse((await v3()).toString()) as { body: string };
      const body = JSON.parse(Buffer.from(outer.body, 'base64').toString()) as Record<string, unknown>;
      body.caEndorsement = value;
      const bytes = Buffer.from(JSON.stringify(body));
      const sig = await newCa.sign(Buffer.concat([Buffer.from('ECPS-KEYBUNDLE-v1\0'), bytes]));
      const file = Buffer.from(JSON.stringify({ format: 'ECPS-KEYBUNDLE-v1', body: bytes.toString('base64'), signature: sig.toString('base64') }));
      expect(refusal(() => verifyBundle(file, newRobot)), JSON.stringify(value)).toEqual(BAD_ENDORSEMENT);
    }
  });
});

describe('a robot that does not trust the signer reads the endorsement: each field that is not base64 is named', () => {
  const table: Array<[string, Record<string, unknown>, { code: string; message: string }]> = [
    ['caCert', { caCert: 'not*base64' }, { code: 'malformed', message: 'caEndorsement.caCert is not base64' }],
    ['endorsement', { endorsement: 'not*base64' }, { code: 'malformed', message: 'caEndorsement.endorsement is not base64' }],
    ['caCert not canonical', { caCert: 'QQ' }, { code: 'tampered', message: 'caEndorsement.caCert is not canonical base64' }],
    ['endorsement not canonical', { endorsement: 'QR==' }, { code: 'tampered', message: 'caEndorsement.endorsement is not canonical base64' }],
  ];
  it.each(table)('%s', async (_what, change, want) => {
    const file = await withEndorsement(change);
    expect(refusal(() => verifyBundle(file, oldRobot))).toEqual(want);
  });
});

describe('checkCaEndorsement: the steps of docs/key-bundles.md, "The new CA certificate (v3)"', () => {
  const trusted = [new X509Certificate(oldCa.caCertPem)];
  it('a genuine endorsement of a self-signed CA certificate holds with no compromised list given', async () => {
    const cert = checkCaEndorsement({ caCertDer: newCa.caCertDer, endorserKeyId: HEX64, endorsement: await oldCa.sign(endorseInput(newCa.caCertDer)) }, { trusted });
    expect(cert.raw).toEqual(newCa.caCertDer);
  });
  it('a self-signed certificate that is not a CA certificate is endorsement_invalid, even endorsed by a trusted CA', async () => {
    const plain = await kitCa('CN=Self-signed, not a CA');
    const der = new X509Certificate(plain.caCertPem).raw;
    expect(new X509Certificate(der).ca).toBe(false); // the premise of the row
    const e = { caCertDer: der, endorserKeyId: HEX64, endorsement: await oldCa.sign(endorseInput(der)) };
    expect(refusal(() => checkCaEndorsement(e, { trusted }))).toEqual({ code: 'endorsement_invalid', message: 'the endorsed certificate is not a self-signed CA certificate' });
  });
  it('endorsed bytes that are not a certificate are malformed (the endorsement itself verifies)', async () => {
    const der = Buffer.from('not a certificate');
    const e = { caCertDer: der, endorserKeyId: HEX64, endorsement: await oldCa.sign(endorseInput(der)) };
    expect(refusal(() => checkCaEndorsement(e, { trusted }))).toEqual({ code: 'malformed', message: 'the endorsed CA certificate does not parse' });
    expect(refusal(() => checkCaEndorsement(e, { trusted, compromised: [] }))).toEqual({ code: 'malformed', message: 'the endorsed CA certificate does not parse' });
  });
});
