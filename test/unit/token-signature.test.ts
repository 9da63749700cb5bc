// The token factor's verifier (docs/operators.md "Second factor (PKCS#11 token)"): a challenge signed with RSA-PSS
// (SHA-256, MGF1-SHA-256, 32-byte salt), RSA PKCS#1 v1.5 (SHA-256) or ECDSA P-256 verifies against the kept public key
// under its own scheme only; the scheme follows the token's mechanisms (PSS when offered); RSA sizes are counted in
// bits of the modulus. Signatures are made here with node:crypto, independently of the token code.
import crypto from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { describe, expect, it } from 'vitest';
import { modulusBits, rsaSchemeFor, verifyTokenSignature, type TokenSignatureScheme } from '../../electron/services/secondFactor/tokenFactor.ts';

const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherRsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = (k: crypto.KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString();
const challenge = crypto.randomBytes(32);
const pss = crypto.sign('sha256', challenge, { key: rsa.privateKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
const pkcs1 = crypto.sign('sha256', challenge, { key: rsa.privateKey, padding: crypto.constants.RSA_PKCS1_PADDING });
const ecdsa = crypto.sign('sha256', challenge, { key: ec.privateKey, dsaEncoding: 'ieee-p1363' });

describe('verifyTokenSignature', () => {
  // [case, kept public key, scheme the token reports, signature, verifies?] (written from the schemes' definitions).
  const CASES: Array<[string, string, TokenSignatureScheme, Buffer, boolean]> = [
    ['RSA-PSS under PSS', pem(rsa.publicKey), 'rsa-pss-sha256', pss, true],
    ['PKCS#1 v1.5 under v1.5', pem(rsa.publicKey), 'rsa-pkcs1-sha256', pkcs1, true],
    ['PSS signature declared v1.5', pem(rsa.publicKey), 'rsa-pkcs1-sha256', pss, false],
    ['v1.5 signature declared PSS', pem(rsa.publicKey), 'rsa-pss-sha256', pkcs1, false],
    ['another RSA key kept', pem(otherRsa.publicKey), 'rsa-pss-sha256', pss, false],
    ['ECDSA P-256', pem(ec.publicKey), 'ecdsa-p256-sha256', ecdsa, true],
    ['an EC key kept, an RSA signature now', pem(ec.publicKey), 'rsa-pss-sha256', pss, false],
    ['an RSA key kept, an ECDSA signature now', pem(rsa.publicKey), 'ecdsa-p256-sha256', ecdsa, false],
  ];
  it.each(CASES)('%s', (_name, key, scheme, signature, expected) => {
    expect(verifyTokenSignature(key, scheme, challenge, signature)).toBe(expected);
  });

  it('a signature over another challenge does not verify', () => {
    expect(verifyTokenSignature(pem(rsa.publicKey), 'rsa-pss-sha256', crypto.randomBytes(32), pss)).toBe(false);
    expect(verifyTokenSignature(pem(ec.publicKey), 'ecdsa-p256-sha256', crypto.randomBytes(32), ecdsa)).toBe(false);
    expect(verifyTokenSignature(pem(rsa.publicKey), 'rsa-pkcs1-sha256', crypto.randomBytes(32), pkcs1)).toBe(false);
  });

  it('a signature valid for the kept key but declared under the other kind of scheme does not verify', () => {
    // node:crypto would verify these if the key's kind were not checked: PKCS#1 v1.5 is its default RSA padding, and a
    // DER-encoded ECDSA signature is its default EC encoding (padding options are ignored for EC keys).
    expect(verifyTokenSignature(pem(rsa.publicKey), 'ecdsa-p256-sha256', challenge, pkcs1)).toBe(false);
    const ecdsaDer = crypto.sign('sha256', challenge, ec.privateKey);
    expect(verifyTokenSignature(pem(ec.publicKey), 'rsa-pkcs1-sha256', challenge, ecdsaDer)).toBe(false);
    expect(verifyTokenSignature(pem(ec.publicKey), 'rsa-pss-sha256', challenge, ecdsaDer)).toBe(false);
  });

  it('a key that is not a public key PEM verifies nothing (no exception)', () => {
    expect(verifyTokenSignature('not a key', 'rsa-pss-sha256', challenge, pss)).toBe(false);
  });
});

describe('the RSA scheme and size', () => {
  it('PSS when the token lists CKM_RSA_PKCS_PSS, else PKCS#1 v1.5', () => {
    expect(rsaSchemeFor([pkcs11js.CKM_RSA_PKCS, pkcs11js.CKM_RSA_PKCS_PSS])).toBe('rsa-pss-sha256');
    expect(rsaSchemeFor([pkcs11js.CKM_RSA_PKCS, pkcs11js.CKM_SHA256_RSA_PKCS])).toBe('rsa-pkcs1-sha256');
  });

  it('counts the bits of the modulus, leading zero bytes ignored', () => {
    const n = Buffer.from(rsa.publicKey.export({ format: 'jwk' }).n!, 'base64url');
    expect(modulusBits(n)).toBe(2048);
    expect(modulusBits(Buffer.concat([Buffer.alloc(1), n]))).toBe(2048);
    expect(modulusBits(Buffer.concat([Buffer.alloc(2), n]))).toBe(2048);
    expect(modulusBits(Buffer.from([0x00, 0x00, 0x80]))).toBe(8);
    expect(modulusBits(Buffer.alloc(0))).toBe(0);
    expect(modulusBits(Buffer.alloc(3))).toBe(0);
    expect(modulusBits(Buffer.from([0x01, 0x00]))).toBe(9);
    expect(modulusBits(Buffer.from([0x00]))).toBe(0);
  });
});
