// ECPS-KEYBUNDLE-v1 as docs/key-bundles.md writes it: the file and body layout, the signature input and algorithms,
// the wrap context of each entry, the robot's checks in their documented order, every body field rule, and the
// serial-link key confirmation (docs/provisioning-protocol.md). Expected bytes are built here from the docs.
import 'reflect-metadata';
import { constants, createHash, createHmac, createPrivateKey, generateKeyPairSync, hkdfSync, privateDecrypt, randomBytes, sign, verify, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import {
  BUNDLE_FORMAT, BundleError, bundleConfirmationKey, bundleEmergency, bundleFileHash, createBundle, distributionDoneMac, installedMac, signerKeyId, verifyBundle, verifySignature,
} from '../../electron/station/bundle.ts';
import { unwrapKey } from '../../electron/station/keywrap.ts';
import { bundleRefusal as refusal, identity, kitCa, material, type KitCa } from './bundle-kit.ts';

/** The station field encoding (u32 BE length | bytes), written independently. */
const fields = (...parts: string[]) => Buffer.concat(parts.flatMap((p) => {
  const b = Buffer.from(p, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return [len, b];
}));

/** An RSA fleet CA: bundles are then signed RSASSA-PSS SHA-256 with a 32-byte salt. */
async function rsaCa(): Promise<KitCa> {
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01', name: 'CN=RSA Fleet CA', notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000), keys, signingAlgorithm: alg,
  });
  const priv = createPrivateKey({ key: Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)), format: 'der', type: 'pkcs8' });
  const caCertPem = cert.toString('pem');
  return {
    caCertPem, publicKey: new X509Certificate(caCertPem).publicKey,
    sign: async (d) => sign('sha256', d, { key: priv, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }),
  };
}

const ca = await kitCa();
const otherCa = await kitCa('CN=Other CA');
const robot = identity();
const keys = [{ keyId: 'k-comm', version: 2, material: material() }, { keyId: 'k-stor', version: 3, material: material() }];
const ISSUED = '2026-01-01T00:00:00.000Z';

const build = (o: Partial<{ deviceId: string; sequence: number; signer: KitCa; bundleId: string; pub: typeof robot.publicKey; sign: (d: Buffer) => Promise<Buffer> }> = {}) =>
  createBundle({
    deviceId: o.deviceId ?? 'uv-1', identityPublicKey: o.pub ?? robot.publicKey, caPublicKey: (o.signer ?? ca).publicKey, sequence: o.sequence ?? 5, issuedAt: ISSUED,
    keys, bundleId: o.bundleId, sign: o.sign ?? (o.signer ?? ca).sign,
  });
const opts = { caCertPem: ca.caCertPem, deviceId: 'uv-1', identityPrivateKey: robot.privateKey, lastSequence: 4 };


/** A bundle file around any body text, correctly signed by the kit CA (so only the rule under test can refuse it). */
async function signedFile(bodyText: string, signer: KitCa = ca): Promise<Buffer> {
  const body = Buffer.from(bodyText);
  const sig = await signer.sign(Buffer.concat([Buffer.from('ECPS-KEYBUNDLE-v1\0'), body]));
  return Buffer.from(JSON.stringify({ format: 'ECPS-KEYBUNDLE-v1', body: body.toString('base64'), signature: sig.toString('base64') }));
}

const outerOf = (file: Buffer) => JSON.parse(file.toString()) as { format: string; body: string; signature: string };
const bodyOf = (file: Buffer) => JSON.parse(Buffer.from(outerOf(file).body, 'base64').toString()) as Record<string, unknown> & { entries: Array<Record<string, unknown>> };

describe('bundle file layout (docs/key-bundles.md)', () => {
  it('is {"format","body","signature"} around a canonical body with the documented member order', async () => {
    const bundleId = '00112233445566778899aabbccddeeff';
    const file = await build({ bundleId });
    expect(BUNDLE_FORMAT).toBe('ECPS-KEYBUNDLE-v1');
    expect(file.toString()).toMatch(/^\{"format":"ECPS-KEYBUNDLE-v1","body":"[A-Za-z0-9+/]+={0,2}","signature":"[A-Za-z0-9+/]+={0,2}"\}$/);
    const body = Buffer.from(outerOf(file).body, 'base64').toString();
    const spkiHash = createHash('sha256').update(ca.publicKey.export({ format: 'der', type: 'spki' })).digest('hex');
    expect(body).toMatch(new RegExp(
      `^\\{"v":1,"bundleId":"${bundleId}","deviceId":"uv-1","issuedAt":"${ISSUED}","sequence":5,"signerKeyId":"${spkiHash}",` +
      '"entries":\\[\\{"keyId":"k-comm","version":2,"scheme":1,"wrapped":"[A-Za-z0-9+/=]+"\\},\\{"keyId":"k-stor","version":3,"scheme":1,"wrapped":"[A-Za-z0-9+/=]+"\\}\\]\\}$',
    ));
    expect(signerKeyId(ca.publicKey)).toBe(spkiHash);
  });

  it('draws a fresh random 32-hex bundle id when none is given', async () => {
    const a = bodyOf(await build()).bundleId;
    const b = bodyOf(await build()).bundleId;
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
  });

  it('signs "ECPS-KEYBUNDLE-v1" | 0x00 | body: ECDSA P-256 SHA-256 (DER) for an EC CA', async () => {
    const file = await build();
    const { body, signature } = outerOf(file);
    const data = Buffer.concat([Buffer.from('ECPS-KEYBUNDLE-v1'), Buffer.from([0]), Buffer.from(body, 'base64')]);
    expect(verify('sha256', data, { key: ca.publicKey, dsaEncoding: 'der' }, Buffer.from(signature, 'base64'))).toBe(true);
  });

  it('and RSASSA-PSS SHA-256 with a 32-byte salt for an RSA CA, which the robot accepts', async () => {
    const rca = await rsaCa();
    const file = await build({ signer: rca });
    const { body, signature } = outerOf(file);
    const data = Buffer.concat([Buffer.from('ECPS-KEYBUNDLE-v1\0'), Buffer.from(body, 'base64')]);
    expect(verify('sha256', data, { key: rca.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, Buffer.from(signature, 'base64'))).toBe(true);
    expect(verifyBundle(file, { ...opts, caCertPem: rca.caCertPem }).keys).toHaveLength(2);
    expect(verifySignature(rca.publicKey, Buffer.from(body, 'base64'), Buffer.from(signature, 'base64'))).toBe(true);
    expect(verifySignature(rca.publicKey, Buffer.from(body, 'base64'), Buffer.alloc(256))).toBe(false);
    // The EC CA's key does not verify an RSA signature, and a garbage signature is a plain "no".
    expect(verifySignature(ca.publicKey, Buffer.from(body, 'base64'), Buffer.from(signature, 'base64'))).toBe(false);
  });

  it('wraps each entry to the identity key with device field "<deviceId>#bundle:<bundleId>" and the bundle id as HKDF salt', async () => {
    const bundleId = 'ffeeddccbbaa99887766554433221100';
    const rsaRobot = identity('rsa');
    const file = await build({ bundleId, pub: rsaRobot.publicKey });
    const entries = bodyOf(file).entries;
    expect(entries.map((e) => e.scheme)).toEqual([2, 2]);
    entries.forEach((e, i) => {
      const label = Buffer.concat([fields('ECPS-KEYWRAP-v1', `uv-1#bundle:${bundleId}`, String(e.keyId)), Buffer.from([0, 0, 0, 4, 0, 0, 0, Number(e.version)])]);
      const back = privateDecrypt({ key: rsaRobot.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: label }, Buffer.from(String(e.wrapped), 'base64'));
      expect(back).toEqual(keys[i]!.material);
    });
    const ecFile = await build({ bundleId });
    const ctx = { deviceId: `uv-1#bundle:${bundleId}`, robotNonce: Buffer.from(bundleId, 'hex'), consoleNonce: Buffer.alloc(0) };
    const e0 = bodyOf(ecFile).entries[0]!;
    expect(unwrapKey(robot.privateKey, ctx, { keyId: 'k-comm', version: 2, scheme: 1, wrapped: Buffer.from(String(e0.wrapped), 'base64') })).toEqual(keys[0]!.material);
  });

  it('carries version 1 of a key (versions start at 1)', async () => {
    const v1 = [{ keyId: 'k-new', version: 1, material: material() }];
    const file = await createBundle({ deviceId: 'uv-1', identityPublicKey: robot.publicKey, caPublicKey: ca.publicKey, sequence: 5, issuedAt: ISSUED, keys: v1, sign: ca.sign });
    expect(verifyBundle(file, opts).keys).toEqual([{ keyId: 'k-new', version: 1, material: v1[0]!.material }]);
  });

  it('a CA key of a type the format does not define verifies nothing, and building with it fails', async () => {
    const ed = generateKeyPairSync('ed25519');
    const body = Buffer.from('{}');
    expect(verifySignature(ed.publicKey, body, sign(null, Buffer.concat([Buffer.from('ECPS-KEYBUNDLE-v1\0'), body]), ed.privateKey))).toBe(false);
    await expect(createBundle({ deviceId: 'uv-1', identityPublicKey: robot.publicKey, caPublicKey: ed.publicKey, sequence: 1, issuedAt: ISSUED, keys, sign: async (d) => sign(null, d, ed.privateKey) }))
      .rejects.toMatchObject({ code: 'tampered', message: 'the CA signature does not verify under the CA public key' });
  });

  it('refuses to build with a bad sequence, no keys or a bundle id that is not 32 lowercase hex', async () => {
    for (const sequence of [0, -1, 1.5, Number.NaN, 2 ** 53]) await expect(build({ sequence }), String(sequence)).rejects.toMatchObject({ code: 'malformed', message: 'sequence must be a positive integer' });
    await expect(build({ sequence: 1 })).resolves.toBeInstanceOf(Buffer);
    for (const bundleId of ['00112233445566778899AABBCCDDEEFF', '0011223344556677889900aabbccddeeff'.slice(0, 31), '0011223344556677889900aabbccddeeff', 'g0112233445566778899aabbccddeeff', '']) {
      await expect(build({ bundleId }), bundleId).rejects.toMatchObject({ code: 'malformed', message: 'bundleId must be 32 lowercase hex characters' });
    }
    await expect(createBundle({ deviceId: 'uv-1', identityPublicKey: robot.publicKey, caPublicKey: ca.publicKey, sequence: 1, issuedAt: ISSUED, keys: [], sign: ca.sign }))
      .rejects.toMatchObject({ code: 'malformed', message: 'a bundle carries at least one key' });
    await expect(build({ sign: async () => Buffer.from('not a signature') })).rejects.toMatchObject({ code: 'tampered' });
  });
});

describe("the robot's checks, in the documented order", () => {
  it('a robot trusting several CAs (a CA transition, docs/fleet-ca.md) checks with the one the signerKeyId names', async () => {
    const file = await build({ signer: otherCa });
    expect(verifyBundle(file, { ...opts, caCertPem: [ca.caCertPem, otherCa.caCertPem] }).keys.map((k) => k.keyId)).toEqual(['k-comm', 'k-stor']);
    expect(verifyBundle(file, { ...opts, caCertPem: [otherCa.caCertPem] }).body.sequence).toBe(5);
    expect(refusal(() => verifyBundle(file, { ...opts, caCertPem: [ca.caCertPem] }))).toEqual({ code: 'foreign', message: 'the bundle was signed by another CA' });
  });

  it('accepts the next sequence and nothing at or below the last accepted', async () => {
    const file = await build({ sequence: 5 });
    expect(verifyBundle(file, { ...opts, lastSequence: 4 }).body.sequence).toBe(5);
    expect(verifyBundle(file, { ...opts, lastSequence: 0 }).keys.map((k) => k.keyId)).toEqual(['k-comm', 'k-stor']);
    expect(refusal(() => verifyBundle(file, { ...opts, lastSequence: 5 }))).toEqual({ code: 'replayed', message: 'sequence 5 is not greater than the last accepted 5' });
  });

  it('foreign CA comes before a wrong device; a bad signature before a wrong device; a wrong device before a replay', async () => {
    expect(refusal(() => verifyBundle(Buffer.alloc(0), opts)).code).toBe('malformed');
    const byOther = await build({ signer: otherCa, deviceId: 'uv-2', sequence: 1 });
    expect(refusal(() => verifyBundle(byOther, opts))).toEqual({ code: 'foreign', message: 'the bundle was signed by another CA' });
    const forUv2 = await build({ deviceId: 'uv-2', sequence: 1 });
    const wrongSig = Buffer.from(JSON.stringify({ ...outerOf(forUv2), signature: outerOf(await build()).signature }));
    expect(refusal(() => verifyBundle(wrongSig, opts))).toEqual({ code: 'tampered', message: 'the bundle signature does not verify' });
    expect(refusal(() => verifyBundle(forUv2, opts))).toEqual({ code: 'foreign', message: 'the bundle is for another device' });
    const replayedToOther = await build({ deviceId: 'uv-1', sequence: 2, pub: identity().publicKey });
    expect(refusal(() => verifyBundle(replayedToOther, opts)).code).toBe('replayed');
    expect(refusal(() => verifyBundle(replayedToOther, { ...opts, lastSequence: 1 }))).toEqual({ code: 'tampered', message: 'a wrapped key could not be unwrapped' });
  });

  it.each([
    ['not JSON', Buffer.from('{"format":')],
    ['a JSON array', Buffer.from('["ECPS-KEYBUNDLE-v1"]')],
    ['JSON null', Buffer.from('null')],
    ['a JSON string', Buffer.from('"ECPS-KEYBUNDLE-v1"')],
    ['a JSON number', Buffer.from('17')],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0x7d])],
  ])('a file that is %s is malformed', (_what, file) => {
    const e = refusal(() => verifyBundle(file, opts));
    expect(e).toEqual({ code: 'malformed', message: 'the bundle file is not a JSON object' });
  });

  it('refusals are BundleErrors with the code as a property', () => {
    let caught: unknown;
    try {
      verifyBundle(Buffer.from('[]'), opts);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(BundleError);
    expect(caught).toBeInstanceOf(Error);
    expect(caught).toMatchObject({ name: 'BundleError', code: 'malformed' });
  });

  it('a body that is not valid UTF-8 is malformed, not merely re-encoded', async () => {
    const good = outerOf(await build());
    const body = Buffer.from(good.body, 'base64');
    const at = body.indexOf(Buffer.from(ISSUED));
    const broken = Buffer.concat([body.subarray(0, at), Buffer.from([0xff]), body.subarray(at + 1)]);
    const file = Buffer.from(JSON.stringify({ ...good, body: broken.toString('base64') }));
    expect(refusal(() => verifyBundle(file, opts))).toEqual({ code: 'malformed', message: 'the bundle body is not a JSON object' });
    const text = Buffer.from(JSON.stringify({ ...good, body: Buffer.from('"just text"').toString('base64') }));
    expect(refusal(() => verifyBundle(text, opts))).toEqual({ code: 'malformed', message: 'the bundle body is not a JSON object' });
  });

  it('takes exactly the three members, with base64 text in canonical spelling', async () => {
    const good = outerOf(await build());
    const variants: Array<[string, unknown, string]> = [
      ['an extra member', { ...good, extra: 1 }, 'malformed'],
      ['no signature', { format: good.format, body: good.body }, 'malformed'],
      ['no body', { format: good.format, signature: good.signature, x: 1 }, 'malformed'],
      ['no signature but three members', { format: good.format, body: good.body, sig: good.signature }, 'malformed'],
      ['another format', { ...good, format: 'ECPS-KEYBUNDLE-v2' }, 'malformed'],
      ['a body that is not text', { ...good, body: 7 }, 'malformed'],
      ['a body with characters outside base64', { ...good, body: `${good.body.slice(0, -4)}!!!!` }, 'malformed'],
      ['a signature with a base64url character', { ...good, signature: `-${good.signature.slice(1)}` }, 'malformed'],
      ['a body without its padding', { ...good, body: good.body.replace(/=+$/, '') }, 'tampered'],
      ['a body with its padding and more', { ...good, body: `${good.body.replace(/=+$/, '')}=` }, 'tampered'],
    ];
    for (const [what, outer, code] of variants) expect(refusal(() => verifyBundle(Buffer.from(JSON.stringify(outer)), opts)).code, what).toBe(code);
    const message = (outer: unknown) => refusal(() => verifyBundle(Buffer.from(JSON.stringify(outer)), opts)).message;
    expect(message({ ...good, extra: 1 })).toBe('not an ECPS key bundle');
    expect(message({ ...good, body: 7 })).toBe('body is not base64');
    expect(message({ ...good, signature: '%%' })).toBe('signature is not base64');
    expect(message({ ...good, body: good.body.replace(/=+$/, '') })).toBe('body is not canonical base64');
    expect(message({ ...good, signature: good.signature.replace(/=+$/, '') + (good.signature.endsWith('=') ? '' : 'A') })).toMatch(/^signature is not (canonical )?base64$/);
  });

  it('refuses a correctly signed body that is not canonical as tampered', async () => {
    const body = Buffer.from(outerOf(await build()).body, 'base64').toString();
    const parsed = JSON.parse(body) as Record<string, unknown>;
    for (const text of [
      JSON.stringify(parsed, null, 1),
      `${body} `,
      JSON.stringify({ bundleId: parsed.bundleId, v: 1, ...parsed }),
      JSON.stringify({ ...parsed, note: 'x' }),
      JSON.stringify({ ...parsed, entries: (parsed.entries as object[]).map((e) => ({ ...e, extra: 1 })) }),
    ]) {
      const f = await signedFile(text);
      expect(refusal(() => verifyBundle(f, opts)), text.slice(0, 40)).toEqual({ code: 'tampered', message: 'the bundle body is not in canonical form' });
    }
  });

  it('refuses every invalid body field as malformed, even when signed', async () => {
    const parsed = JSON.parse(Buffer.from(outerOf(await build()).body, 'base64').toString()) as Record<string, unknown> & { entries: Array<Record<string, unknown>> };
    const entry = parsed.entries[0]!;
    const withEntry = (e: unknown) => ({ ...parsed, entries: [e] });
    const bodies: Array<[string, unknown]> = [
      ['v 5 (unknown)', { ...parsed, v: 5 }],
      ['v "1"', { ...parsed, v: '1' }],
      ['an upper-case bundle id', { ...parsed, bundleId: String(parsed.bundleId).toUpperCase() }],
      ['a 30-hex bundle id', { ...parsed, bundleId: String(parsed.bundleId).slice(2) }],
      ['a 33-hex bundle id (extra first digit)', { ...parsed, bundleId: `0${String(parsed.bundleId)}` }],
      ['a 33-hex bundle id (extra last digit)', { ...parsed, bundleId: `${String(parsed.bundleId)}0` }],
      ['a bundle id inside a list', { ...parsed, bundleId: [parsed.bundleId] }],
      ['a numeric bundle id', { ...parsed, bundleId: 7 }],
      ['a numeric device id', { ...parsed, deviceId: 1 }],
      ['a numeric issuedAt', { ...parsed, issuedAt: 0 }],
      ['sequence 0', { ...parsed, sequence: 0 }],
      ['sequence -3', { ...parsed, sequence: -3 }],
      ['sequence 1.5', { ...parsed, sequence: 1.5 }],
      ['sequence "5"', { ...parsed, sequence: '5' }],
      ['sequence 2^53', { ...parsed, sequence: 2 ** 53 }],
      ['a numeric signer id', { ...parsed, signerKeyId: 1 }],
      ['entries not a list', { ...parsed, entries: entry }],
      ['no entries', { ...parsed, entries: [] }],
      ['a null entry', withEntry(null)],
      ['a numeric key id', withEntry({ ...entry, keyId: 1 })],
      ['version 0', withEntry({ ...entry, version: 0 })],
      ['version 2.5', withEntry({ ...entry, version: 2.5 })],
      ['version "2"', withEntry({ ...entry, version: '2' })],
      ['scheme 1.5', withEntry({ ...entry, scheme: 1.5 })],
      ['scheme "1"', withEntry({ ...entry, scheme: '1' })],
      ['a numeric wrapped key', withEntry({ ...entry, wrapped: 5 })],
      ['a second entry without a version', { ...parsed, entries: [entry, { ...entry, version: undefined }] }],
    ];
    const arrayBody = await signedFile(JSON.stringify([parsed]));
    expect(refusal(() => verifyBundle(arrayBody, opts))).toEqual({ code: 'malformed', message: 'the bundle body is not a JSON object' });
    for (const [what, body] of bodies) {
      const f = await signedFile(JSON.stringify(body));
      expect(refusal(() => verifyBundle(f, opts)), what).toEqual({ code: 'malformed', message: 'the bundle body is missing or has invalid fields' });
    }
    // Version 2 carries the emergency material (docs/key-bundles.md): a v2 body without it, or with a field of the
    // wrong type, is refused for that material.
    for (const [what, body] of [
      ['v 2 without emergency material', { ...parsed, v: 2 }],
      ['v 2 with the material nested under another member', { ...parsed, v: 2, emergency: { emergencyKey: null, orders: [], crl: null } }],
    ] as const) {
      const f = await signedFile(JSON.stringify(body));
      expect(refusal(() => verifyBundle(f, opts)), what).toEqual({ code: 'malformed', message: 'the bundle emergency material (emergencyKey, orders, crl) is invalid' });
    }
  });

  it('refuses an entry whose wrapped key is not canonical base64 or does not unwrap, as tampered, and installs nothing', async () => {
    const parsed = bodyOf(await build());
    const e = parsed.entries[1]!;
    const wrapped = String(e.wrapped);
    for (const bad of [wrapped.replace(/=+$/, ''), `${wrapped.slice(0, 10)}${wrapped[10] === 'A' ? 'B' : 'A'}${wrapped.slice(11)}`, '']) {
      const body = { ...parsed, entries: [parsed.entries[0], { ...e, wrapped: bad }] };
      const f = await signedFile(JSON.stringify(body));
      expect(refusal(() => verifyBundle(f, opts)), bad.slice(0, 12)).toEqual({ code: 'tampered', message: 'a wrapped key could not be unwrapped' });
    }
  });
});

describe('v2: the emergency material (docs/key-bundles.md, "Emergency material in a bundle")', () => {
  const KEY_DER = Buffer.from('30820122300d06092a864886f70d0101010500', 'hex');
  const ORDER_A = Buffer.from('{"format":"ECPS-LOCKDOWN-v1","a":1}');
  const ORDER_B = Buffer.from('{"format":"ECPS-LOCKDOWN-v1","b":2}');
  const CRL_DER = Buffer.from('308201', 'hex');
  const withMaterial = (emergency: { emergencyKeyDer?: Buffer | null; orders?: Buffer[]; crlDer?: Buffer | null } | undefined) =>
    createBundle({ deviceId: 'uv-1', identityPublicKey: robot.publicKey, caPublicKey: ca.publicKey, sequence: 5, issuedAt: ISSUED, keys, sign: ca.sign, emergency });

  it('is version 1 without material (nothing, or only empty fields), version 2 with any of the three', async () => {
    // [what is given, v, the three members as the body carries them (null when absent)]
    const table: Array<[string, Parameters<typeof withMaterial>[0], 1 | 2, [string | null, string[], string | null] | null]> = [
      ['nothing', undefined, 1, null],
      ['all empty', { emergencyKeyDer: null, orders: [], crlDer: null }, 1, null],
      ['the key only', { emergencyKeyDer: KEY_DER }, 2, [KEY_DER.toString('base64'), [], null]],
      ['one order only', { orders: [ORDER_A] }, 2, [null, [ORDER_A.toString('base64')], null]],
      ['the CRL only', { crlDer: CRL_DER }, 2, [null, [], CRL_DER.toString('base64')]],
      ['all three, orders in order', { emergencyKeyDer: KEY_DER, orders: [ORDER_A, ORDER_B], crlDer: CRL_DER }, 2, [KEY_DER.toString('base64'), [ORDER_A.toString('base64'), ORDER_B.toString('base64')], CRL_DER.toString('base64')]],
    ];
    for (const [what, emergency, v, members] of table) {
      const file = await withMaterial(emergency);
      const text = Buffer.from(outerOf(file).body, 'base64').toString();
      const body = JSON.parse(text) as Record<string, unknown>;
      expect(body.v, what).toBe(v);
      if (members === null) {
        expect(Object.keys(body), what).toEqual(['v', 'bundleId', 'deviceId', 'issuedAt', 'sequence', 'signerKeyId', 'entries']);
      } else {
        // The three members follow the entries, in this order.
        expect(Object.keys(body), what).toEqual(['v', 'bundleId', 'deviceId', 'issuedAt', 'sequence', 'signerKeyId', 'entries', 'emergencyKey', 'orders', 'crl']);
        expect([body.emergencyKey, body.orders, body.crl], what).toEqual(members);
      }
      // The robot accepts it and gets the same bytes back (or nothing).
      const verified = verifyBundle(file, opts);
      expect(verified.keys.map((k) => k.keyId), what).toEqual(['k-comm', 'k-stor']);
      const got = bundleEmergency(verified.body);
      const want = emergency ?? {};
      expect([got.emergencyKeyDer, got.orders, got.crls], what).toEqual([want.emergencyKeyDer ?? null, want.orders ?? [], want.crlDer ? [want.crlDer] : []]);
    }
  });

  it('refuses each bad member of the material as malformed, even when signed; 16 orders pass, 17 do not', async () => {
    const parsed = bodyOf(await build());
    const v2 = (m: Record<string, unknown>) => ({ ...parsed, v: 2, emergencyKey: null, orders: [], crl: null, ...m });
    const order = ORDER_A.toString('base64');
    const bad: Array<[string, unknown]> = [
      ['a numeric key', v2({ emergencyKey: 5 })],
      ['a numeric CRL', v2({ crl: 5 })],
      ['no CRL member', { ...v2({}), crl: undefined }],
      ['no key member', { ...v2({}), emergencyKey: undefined }],
      ['orders not a list', v2({ orders: order })],
      ['an empty order', v2({ orders: [order, ''] })],
      ['a numeric order', v2({ orders: [7] })],
      ['17 orders', v2({ orders: Array.from({ length: 17 }, () => order) })],
    ];
    for (const [what, body] of bad) {
      const f = await signedFile(JSON.stringify(body));
      expect(refusal(() => verifyBundle(f, opts)), what).toEqual({ code: 'malformed', message: 'the bundle emergency material (emergencyKey, orders, crl) is invalid' });
    }
    const sixteen = await signedFile(JSON.stringify(v2({ orders: Array.from({ length: 16 }, () => order) })));
    expect(bundleEmergency(verifyBundle(sixteen, opts).body).orders).toHaveLength(16);
  });

  it('decodes each member as canonical base64: not base64 is malformed, another spelling tampered', async () => {
    const parsed = bodyOf(await build());
    const v2 = (m: Record<string, unknown>) => ({ ...parsed, v: 2, emergencyKey: null, orders: [], crl: null, ...m });
    const table: Array<[string, Record<string, unknown>, { code: string; message: string }]> = [
      ['an order not base64', { orders: ['not base64!'] }, { code: 'malformed', message: 'orders[0] is not base64' }],
      ['the second order not canonical', { orders: [ORDER_A.toString('base64'), 'QQ'] }, { code: 'tampered', message: 'orders[1] is not canonical base64' }],
      ['the key not base64', { emergencyKey: '***' }, { code: 'malformed', message: 'emergencyKey is not base64' }],
      ['the CRL not canonical', { crl: 'QR==' }, { code: 'tampered', message: 'crl is not canonical base64' }],
    ];
    for (const [what, m, expected] of table) {
      const verified = verifyBundle(await signedFile(JSON.stringify(v2(m))), opts);
      expect(refusal(() => bundleEmergency(verified.body)), what).toEqual(expected);
    }
  });
});

describe('v4: every CRL the link would send (docs/key-bundles.md, "Every CRL the robot must hear (v4)")', () => {
  const CRL_CURRENT = Buffer.from('3081aa01', 'hex');
  const CRL_RETIRED = Buffer.from('3081bb02', 'hex');
  const CRL_COMPROMISED = Buffer.from('3081cc03', 'hex');
  const ORDER = Buffer.from('{"format":"ECPS-LOCKDOWN-v1","c":3}');
  const b64s = (...b: Buffer[]) => b.map((x) => x.toString('base64'));
  const V2_MEMBERS = ['v', 'bundleId', 'deviceId', 'issuedAt', 'sequence', 'signerKeyId', 'entries', 'emergencyKey', 'orders', 'crl'];
  const V4_MEMBERS = ['v', 'bundleId', 'deviceId', 'issuedAt', 'sequence', 'signerKeyId', 'entries', 'emergencyKey', 'orders', 'crls', 'caEndorsement'];
  const make = (emergency: NonNullable<Parameters<typeof createBundle>[0]['emergency']>) =>
    createBundle({ deviceId: 'uv-1', identityPublicKey: robot.publicKey, caPublicKey: ca.publicKey, sequence: 5, issuedAt: ISSUED, keys, sign: ca.sign, emergency });

  it('is v4 only when CRLs of other CAs ride along: crls = the current CA\'s, then the others in order; caEndorsement null', async () => {
    // [what, given, v, members in order, the CRLs as the body carries them]
    const table: Array<[string, Parameters<typeof make>[0], number, string[], unknown]> = [
      ['the current CA\'s CRL only: still v2, one crl', { crlDer: CRL_CURRENT }, 2, V2_MEMBERS, CRL_CURRENT.toString('base64')],
      ['the current CA\'s and two others', { crlDer: CRL_CURRENT, otherCrlsDer: [CRL_RETIRED, CRL_COMPROMISED] }, 4, V4_MEMBERS, b64s(CRL_CURRENT, CRL_RETIRED, CRL_COMPROMISED)],
      ['others only (the current CA published none)', { otherCrlsDer: [CRL_COMPROMISED] }, 4, V4_MEMBERS, b64s(CRL_COMPROMISED)],
    ];
    for (const [what, emergency, v, members, crls] of table) {
      const file = await make(emergency);
      const body = bodyOf(file);
      expect([body.v, Object.keys(body), v === 4 ? body.crls : body.crl], what).toEqual([v, members, crls]);
      if (v === 4) expect(body.caEndorsement, what).toBeNull();
      const got = bundleEmergency(verifyBundle(file, opts).body);
      expect(got.crls, what).toEqual([...(emergency.crlDer ? [emergency.crlDer] : []), ...(emergency.otherCrlsDer ?? [])]);
    }
  });

  it('refuses bad crls members as malformed, and 16 CRLs (15 pass)', async () => {
    const parsed = bodyOf(await build());
    const v4 = (m: Record<string, unknown>) => ({ ...parsed, v: 4, emergencyKey: null, orders: [], crls: [], caEndorsement: null, ...m });
    const crl = CRL_RETIRED.toString('base64');
    const bad: Array<[string, unknown, string]> = [
      ['crls not a list', v4({ crls: crl }), 'the bundle emergency material (emergencyKey, orders, crls) is invalid'],
      ['an empty CRL', v4({ crls: [crl, ''] }), 'the bundle emergency material (emergencyKey, orders, crls) is invalid'],
      ['a v2 crl member instead of crls', { ...v4({}), crls: undefined, crl }, 'the bundle emergency material (emergencyKey, orders, crls) is invalid'],
      ['16 CRLs', v4({ crls: Array.from({ length: 16 }, () => crl) }), 'the bundle emergency material (emergencyKey, orders, crls) is invalid'],
      ['no caEndorsement member', { ...v4({}), caEndorsement: undefined }, 'the bundle caEndorsement (caCert, endorserKeyId, endorsement) is invalid'],
    ];
    for (const [what, body, message] of bad) {
      const f = await signedFile(JSON.stringify(body));
      expect(refusal(() => verifyBundle(f, opts)), what).toEqual({ code: 'malformed', message });
    }
    const fifteen = await signedFile(JSON.stringify(v4({ crls: Array.from({ length: 15 }, () => crl) })));
    expect(bundleEmergency(verifyBundle(fifteen, opts).body).crls).toHaveLength(15);
    const o = ORDER.toString('base64');
    expect(bundleEmergency(verifyBundle(await signedFile(JSON.stringify(v4({ orders: [o], crls: [crl] }))), opts).body)).toEqual({ emergencyKeyDer: null, orders: [ORDER], crls: [CRL_RETIRED] });
  });

  it('still reads v1, v2 and v3 bodies written by hand as the doc lays them out (older bundles)', async () => {
    const parsed = bodyOf(await build());
    const crl = CRL_CURRENT.toString('base64');
    // A v3 endorsement is not checked when the signer is a CA the robot trusts already: its shape only.
    const endorsement = { caCert: 'AQID', endorserKeyId: 'ab'.repeat(32), endorsement: 'BAUG' };
    // [what, body, the CRLs the robot then reads]
    const table: Array<[string, Record<string, unknown>, Buffer[]]> = [
      ['v1', { ...parsed, v: 1 }, []],
      ['v2 with a CRL', { ...parsed, v: 2, emergencyKey: null, orders: [], crl }, [CRL_CURRENT]],
      ['v2 without a CRL', { ...parsed, v: 2, emergencyKey: null, orders: [], crl: null }, []],
      ['v3 with a CRL', { ...parsed, v: 3, emergencyKey: null, orders: [], crl, caEndorsement: endorsement }, [CRL_CURRENT]],
    ];
    for (const [what, body, crls] of table) {
      const v = verifyBundle(await signedFile(JSON.stringify(body)), opts);
      expect([v.body.v, v.keys.map((k) => k.keyId), bundleEmergency(v.body).crls], what).toEqual([body.v, ['k-comm', 'k-stor'], crls]);
    }
    // A v2/v3 body with a crls list (v4's member) is not one of them.
    const mixed = await signedFile(JSON.stringify({ ...parsed, v: 2, emergencyKey: null, orders: [], crls: [crl] }));
    expect(refusal(() => verifyBundle(mixed, opts))).toEqual({ code: 'malformed', message: 'the bundle emergency material (emergencyKey, orders, crl) is invalid' });
  });
});

describe('bundle key confirmation over the serial link (docs/provisioning-protocol.md)', () => {
  it('Kb = HKDF-SHA256(materials in entry order, salt = the 16 bundle-id bytes, info = fields("ECPS-KEYBUNDLE-v1 key-confirmation", device id), 32)', () => {
    const bundleId = randomBytes(16).toString('hex');
    const m = [material(), material()];
    const expected = Buffer.from(hkdfSync('sha256', Buffer.concat(m), Buffer.from(bundleId, 'hex'), fields('ECPS-KEYBUNDLE-v1 key-confirmation', 'uv-1'), 32));
    expect(bundleConfirmationKey('uv-1', bundleId, m)).toEqual(expected);
  });

  it('H = SHA-256(file); INSTALLED = HMAC(Kb, "ECPS-KEYBUNDLE-v1 installed" | H); DONE = HMAC(Kb, "ECPS-KEYBUNDLE-v1 console-done" | H | INSTALLED)', () => {
    const file = Buffer.from('{"format":"ECPS-KEYBUNDLE-v1","body":"","signature":""}');
    const h = createHash('sha256').update(file).digest();
    expect(bundleFileHash(file)).toEqual(h);
    const kb = randomBytes(32);
    const mac = createHmac('sha256', kb).update('ECPS-KEYBUNDLE-v1 installed').update(h).digest();
    expect(installedMac(kb, h)).toEqual(mac);
    expect(distributionDoneMac(kb, h, mac)).toEqual(createHmac('sha256', kb).update('ECPS-KEYBUNDLE-v1 console-done').update(h).update(mac).digest());
  });
});
