// The emulator signs and verifies precomputed digests (MessageType DIGEST) by hand; node:crypto must agree with it
// both ways, and it must refuse a wrong digest, a changed signature and malformed DER.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ecdsaSignDigest, ecdsaVerifyDigest, rsaPkcs1SignDigest, rsaPkcs1VerifyDigest, rsaPssSignDigest, rsaPssVerifyDigest } from '../emulators/aws-kms/digestSign.ts';

const message = Buffer.from('fleet-wide stop, signed by the emergency key');
const digest = crypto.createHash('sha256').update(message).digest();
const flip = (b: Buffer, i: number) => {
  const c = Buffer.from(b);
  c[i]! ^= 0x01;
  return c;
};

describe('emulator digest signatures', () => {
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pss = { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };

  it('RSASSA-PSS over a digest matches node:crypto over the message, both ways', () => {
    const mine = rsaPssSignDigest(rsa.privateKey, 'sha256', digest);
    expect(crypto.verify('sha256', message, { key: rsa.publicKey, ...pss }, mine)).toBe(true);
    const theirs = crypto.sign('sha256', message, { key: rsa.privateKey, ...pss });
    expect(rsaPssVerifyDigest(rsa.publicKey, 'sha256', digest, theirs)).toBe(true);
    expect(rsaPssVerifyDigest(rsa.publicKey, 'sha256', flip(digest, 0), theirs)).toBe(false);
    expect(rsaPssVerifyDigest(rsa.publicKey, 'sha256', digest, flip(theirs, 100))).toBe(false);
    expect(rsaPssVerifyDigest(rsa.publicKey, 'sha256', digest, theirs.subarray(1))).toBe(false);
  });

  it('RSASSA-PKCS1-v1_5 over a digest matches node:crypto, both ways', () => {
    expect(crypto.verify('sha256', message, rsa.publicKey, rsaPkcs1SignDigest(rsa.privateKey, 'sha256', digest))).toBe(true);
    const theirs = crypto.sign('sha256', message, rsa.privateKey);
    expect(rsaPkcs1VerifyDigest(rsa.publicKey, 'sha256', digest, theirs)).toBe(true);
    expect(rsaPkcs1VerifyDigest(rsa.publicKey, 'sha256', flip(digest, 31), theirs)).toBe(false);
  });

  it('ECDSA P-256 over a digest matches node:crypto (DER), both ways, and refuses bad input', () => {
    const mine = ecdsaSignDigest(ec.privateKey, digest);
    expect(crypto.verify('sha256', message, { key: ec.publicKey, dsaEncoding: 'der' }, mine)).toBe(true);
    const theirs = crypto.sign('sha256', message, { key: ec.privateKey, dsaEncoding: 'der' });
    expect(ecdsaVerifyDigest(ec.publicKey, digest, theirs)).toBe(true);
    expect(ecdsaVerifyDigest(ec.publicKey, flip(digest, 5), theirs)).toBe(false);
    expect(ecdsaVerifyDigest(ec.publicKey, digest, flip(theirs, theirs.length - 1))).toBe(false);
    expect(ecdsaVerifyDigest(ec.publicKey, digest, Buffer.from([0x30, 0x02, 0x02, 0x00]))).toBe(false);
    expect(ecdsaVerifyDigest(ec.publicKey, digest, Buffer.concat([theirs, Buffer.from([0])]))).toBe(false);
  });
});
