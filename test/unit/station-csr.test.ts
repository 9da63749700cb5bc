// The console's checks of a robot's CSR, nonce signature and issued certificate (docs/provisioning-protocol.md,
// "Proof of possession"): real PKCS#10 requests built with @peculiar/x509 as the robot simulator builds them.
import 'reflect-metadata';
import { constants, createPublicKey, generateKeyPairSync, KeyObject, sign, verify, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkCsr, checkIssued, checkNonceSignature, signWithIdentity } from '../../electron/station/csr.ts';
import { kitIssuingCa } from './bundle-kit.ts';

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const RSA = (bits: number) => ({ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: bits });

interface Identity { alg: webcrypto.Algorithm & Record<string, unknown>; pair: webcrypto.CryptoKeyPair; privateKey: KeyObject; publicKey: KeyObject; spki: Buffer }

async function identity(alg: webcrypto.Algorithm & Record<string, unknown>): Promise<Identity> {
  const pair = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const publicKey = KeyObject.from(pair.publicKey);
  return { alg, pair, privateKey: KeyObject.from(pair.privateKey), publicKey, spki: publicKey.export({ format: 'der', type: 'spki' }) };
}

async function csrFor(id: Identity, name: string): Promise<Buffer> {
  return Buffer.from((await x509.Pkcs10CertificateRequestGenerator.create({ name, keys: id.pair, signingAlgorithm: id.alg })).rawData);
}

const code = async (p: Promise<unknown> | (() => unknown)) => {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'accepted';
};

let ec: Identity;
let rsa: Identity;
beforeAll(async () => {
  ec = await identity(EC);
  rsa = await identity(RSA(2048));
});

describe('station CSR check', () => {
  it('accepts a self-signed CSR naming the robot, and returns its key as the identity key', async () => {
    for (const id of [ec, rsa]) {
      const checked = await checkCsr(await csrFor(id, 'CN=uv-7'), 'uv-7');
      expect(checked.spki.equals(id.spki)).toBe(true);
      expect(checked.identityKey.export({ format: 'der', type: 'spki' }).equals(id.spki)).toBe(true);
      expect(checked.identityKey.type).toBe('public');
    }
  });

  it('refuses what is not PKCS#10, a broken self-signature, and another device name, each as forged_csr', async () => {
    expect(await code(checkCsr(Buffer.from('not a csr'), 'uv-7'))).toBe('forged_csr');
    await expect(checkCsr(Buffer.alloc(0), 'uv-7')).rejects.toThrow(/not a valid PKCS#10/);
    const der = await csrFor(ec, 'CN=uv-7');
    // The signature BIT STRING ends the DER: flipping its last byte breaks the proof of possession only.
    const broken = Buffer.from(der);
    broken[broken.length - 1]! ^= 0x01;
    await expect(checkCsr(broken, 'uv-7')).rejects.toMatchObject({ code: 'forged_csr', message: expect.stringMatching(/proof of possession/) });
    await expect(checkCsr(der, 'uv-8')).rejects.toMatchObject({ code: 'forged_csr', message: expect.stringMatching(/another device/) });
    await expect(checkCsr(der, 'UV-7')).rejects.toMatchObject({ code: 'forged_csr' });
    expect(await code(checkCsr(await csrFor(ec, 'CN=uv-7x'), 'uv-7'))).toBe('forged_csr');
    expect(await code(checkCsr(await csrFor(ec, 'O=uv-7'), 'uv-7'))).toBe('forged_csr');
    expect(await code(checkCsr(await csrFor(ec, 'CN=uv-7, CN=uv-7'), 'uv-7'))).toBe('forged_csr');
    expect(await code(checkCsr(await csrFor(ec, 'CN=uv-7, CN=uv-8'), 'uv-7'))).toBe('forged_csr');
  });

  it('names the robot in every refusal', async () => {
    await expect(checkCsr(Buffer.from('not a csr'), 'uv-7')).rejects.toMatchObject({ details: { deviceId: 'uv-7', reason: 'csr_malformed' } });
    const broken = await csrFor(ec, 'CN=uv-7');
    broken[broken.length - 1]! ^= 0x01;
    await expect(checkCsr(broken, 'uv-7')).rejects.toMatchObject({ details: { deviceId: 'uv-7', reason: 'csr_signature_invalid' } });
    await expect(async () => checkNonceSignature(ec.publicKey, Buffer.from('x'), Buffer.from('y'), 'uv-7')).rejects.toMatchObject({
      code: 'forged_csr', message: 'the signature over the session nonces is not made with the key of the CSR', details: { deviceId: 'uv-7', reason: 'nonce_signature_invalid' },
    });
  });

  it('refuses a CSR whose signature algorithm cannot be verified at all (a verifier error is not a pass)', async () => {
    const der = await csrFor(ec, 'CN=uv-7');
    // ecdsa-with-SHA256 (1.2.840.10045.4.3.2) becomes the unassigned 1.2.840.10045.4.3.9.
    const oid = Buffer.from('06082a8648ce3d040302', 'hex');
    const at = der.indexOf(oid);
    expect(at).toBeGreaterThan(0);
    const unknown = Buffer.from(der);
    unknown[at + oid.length - 1] = 0x09;
    await expect(checkCsr(unknown, 'uv-7')).rejects.toMatchObject({ code: 'forged_csr' });
  });

  it('names the CSR subject in the refusal details, cut to 64 characters', async () => {
    const long = `x${'y'.repeat(99)}`;
    const e = (await checkCsr(await csrFor(ec, `CN=${long}`), 'uv-7').catch((err: unknown) => err)) as { details?: Record<string, unknown> };
    expect(e?.details).toEqual({ deviceId: 'uv-7', reason: 'csr_subject_mismatch', csrSubject: long.slice(0, 64) });
    const two = (await checkCsr(await csrFor(ec, 'CN=a, CN=b'), 'uv-7').catch((err: unknown) => err)) as { details?: Record<string, unknown> };
    expect(two?.details?.csrSubject).toBe('a,b');
  });

  it('refuses identity keys other than EC P-256 and RSA >= 2048 (docs: "or another key type")', async () => {
    const p384 = await identity({ name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' });
    expect(await code(checkCsr(await csrFor(p384, 'CN=uv-7'), 'uv-7'))).toBe('forged_csr');
    const small = await identity(RSA(1024));
    expect(await code(checkCsr(await csrFor(small, 'CN=uv-7'), 'uv-7'))).toBe('forged_csr');
  });
});

describe('station nonce signature', () => {
  const input = Buffer.from('fields(ECPS-PROV-v1 possession, ...)');

  it('accepts ECDSA-SHA256 (DER) for an EC key and RSASSA-PSS-SHA256 with a 32-byte salt for RSA', () => {
    expect(() => checkNonceSignature(ec.publicKey, input, sign('sha256', input, ec.privateKey), 'uv-7')).not.toThrow();
    const pss = sign('sha256', input, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    expect(() => checkNonceSignature(rsa.publicKey, input, pss, 'uv-7')).not.toThrow();
  });

  it('refuses another input, another key, other RSA paddings or salt lengths, and garbage, as forged_csr', async () => {
    const ecSig = sign('sha256', input, ec.privateKey);
    expect(await code(() => checkNonceSignature(ec.publicKey, Buffer.from('other'), ecSig, 'uv-7'))).toBe('forged_csr');
    const other = await identity(EC);
    expect(await code(() => checkNonceSignature(other.publicKey, input, ecSig, 'uv-7'))).toBe('forged_csr');
    expect(await code(() => checkNonceSignature(ec.publicKey, input, sign('sha256', input, { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }), 'uv-7'))).toBe('forged_csr');
    const pkcs1 = sign('sha256', input, rsa.privateKey);
    expect(await code(() => checkNonceSignature(rsa.publicKey, input, pkcs1, 'uv-7'))).toBe('forged_csr');
    const salt20 = sign('sha256', input, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 20 });
    expect(await code(() => checkNonceSignature(rsa.publicKey, input, salt20, 'uv-7'))).toBe('forged_csr');
    expect(await code(() => checkNonceSignature(rsa.publicKey, input, Buffer.from('garbage'), 'uv-7'))).toBe('forged_csr');
    expect(await code(() => checkNonceSignature(ec.publicKey, input, Buffer.alloc(0), 'uv-7'))).toBe('forged_csr');
    // A key node:crypto cannot verify with at all (X25519) is a refusal too, not a crash.
    expect(await code(() => checkNonceSignature(generateKeyPairSync('x25519').publicKey, input, ecSig, 'uv-7'))).toBe('forged_csr');
  });
});

// The robot's side (the simulator signs its CSR nonces, RENEWED and ORDER_ACK answers with it): the docs' schemes,
// checked here with node:crypto's own verify and the documented parameters, not with identitySignatureValid.
describe('station identity signature (signWithIdentity)', () => {
  const input = Buffer.from('fields(ECPS-ORDER-ACK-v1, ...)');
  const pss = (key: KeyObject, saltLength: number) => ({ key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength });

  it('RSA: RSASSA-PSS-SHA256 with a 32-byte salt, not PKCS#1 v1.5 and not another salt length', () => {
    const sig = signWithIdentity(rsa.privateKey, input);
    expect(verify('sha256', input, pss(rsa.publicKey, 32), sig)).toBe(true);
    expect(verify('sha256', input, rsa.publicKey, sig)).toBe(false);
    expect(verify('sha256', input, pss(rsa.publicKey, 20), sig)).toBe(false);
    expect(verify('sha256', Buffer.from('other'), pss(rsa.publicKey, 32), sig)).toBe(false);
  });

  it('EC P-256: ECDSA-SHA256 in DER (a SEQUENCE), not IEEE P1363', () => {
    const sig = signWithIdentity(ec.privateKey, input);
    expect(sig[0]).toBe(0x30);
    expect(verify('sha256', input, ec.publicKey, sig)).toBe(true);
    expect(verify('sha256', input, { key: ec.publicKey, dsaEncoding: 'ieee-p1363' }, sig)).toBe(false);
  });
});

describe('station issued-certificate check', () => {
  it('accepts a certificate for the CSR key and refuses one for another key or a non-certificate', async () => {
    const ca = await kitIssuingCa();
    const issued = await ca.issueCertificate(await csrFor(ec, 'CN=uv-7'), 'uv-7');
    expect(() => checkIssued(issued.certDer, createPublicKey({ key: ec.spki, format: 'der', type: 'spki' }), 'uv-7')).not.toThrow();
    await expect(async () => checkIssued(issued.certDer, createPublicKey({ key: rsa.spki, format: 'der', type: 'spki' }), 'uv-7')).rejects.toMatchObject({
      code: 'certificate_rejected', message: expect.stringMatching(/identity key/), details: { deviceId: 'uv-7', reason: 'certificate_key_mismatch' },
    });
    await expect(async () => checkIssued(Buffer.from('nope'), createPublicKey({ key: ec.spki, format: 'der', type: 'spki' }), 'uv-7')).rejects.toMatchObject({
      code: 'certificate_rejected', message: expect.stringMatching(/not a certificate/), details: { deviceId: 'uv-7', reason: 'certificate_malformed' },
    });
  });
});
