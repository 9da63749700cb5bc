// The PKCS#11 adapter's pure parts: ECDSA r||s <-> DER against node:crypto, public keys from token attributes,
// metadata parsing, and the CKR_* -> ProviderError mapping (including CKR_PIN_LOCKED, which SoftHSM2 never returns).
import crypto from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { describe, expect, it } from 'vitest';
import { ckrName, toProviderError } from '../../electron/providers/pkcs11/pkcs11Errors.ts';
import { ecdsaDerToRaw, ecdsaRawToDer, ecPublicPem, gcmAad, parseMeta, rsaPublicPem } from '../../electron/providers/pkcs11/pkcs11Objects.ts';
import { slotIdOf, tokenFlagNames } from '../../electron/providers/pkcs11/pkcs11Session.ts';

describe('ECDSA signature encodings', () => {
  it('r||s from a P-256 signer becomes DER that node:crypto verifies, and back to the same r||s', () => {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    for (let i = 0; i < 40; i++) {
      const message = crypto.randomBytes(20 + i);
      const raw = crypto.sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
      const der = ecdsaRawToDer(raw);
      expect(crypto.verify('sha256', message, { key: publicKey, dsaEncoding: 'der' }, der)).toBe(true);
      expect(ecdsaDerToRaw(der)?.equals(raw)).toBe(true);
    }
  });

  it('keeps leading zeros minimal and the sign bit clear', () => {
    const raw = Buffer.concat([Buffer.alloc(31), Buffer.from([0x01]), Buffer.from([0x80]), Buffer.alloc(31, 0x11)]);
    const der = ecdsaRawToDer(raw);
    expect(der.toString('hex')).toBe(`3026020101022100${'80'}${'11'.repeat(31)}`);
    expect(ecdsaDerToRaw(der)?.equals(raw)).toBe(true);
  });

  it('refuses malformed DER and raw signatures of the wrong size', () => {
    expect(ecdsaDerToRaw(Buffer.from('3006020101020101ff', 'hex'))).toBeNull();
    expect(ecdsaDerToRaw(Buffer.from('not a signature'))).toBeNull();
    expect(ecdsaDerToRaw(Buffer.alloc(0))).toBeNull();
    expect(() => ecdsaRawToDer(Buffer.alloc(63))).toThrow(/length/);
  });
});

describe('public keys from token attributes', () => {
  it('RSA modulus + exponent and an EC point (DER OCTET STRING or bare) become the same SPKI node:crypto exports', () => {
    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const jwk = rsa.export({ format: 'jwk' });
    const pem = rsaPublicPem(Buffer.from(jwk.n!, 'base64url'), Buffer.from(jwk.e!, 'base64url'));
    expect(pem).toBe(rsa.export({ type: 'spki', format: 'pem' }));

    const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const point = Buffer.from(ec.export({ type: 'spki', format: 'der' }).subarray(-65));
    const expected = ec.export({ type: 'spki', format: 'pem' });
    expect(ecPublicPem(Buffer.concat([Buffer.from([0x04, 65]), point]))).toBe(expected);
    expect(ecPublicPem(point)).toBe(expected);
    expect(() => ecPublicPem(Buffer.alloc(10))).toThrow(/EC_POINT/);
  });
});

describe('metadata and associated data', () => {
  it('parses only well-formed console metadata', () => {
    const good = { spec: 'EC_P256', usage: 'sign', createdAt: '2026-01-01T00:00:00.000Z' };
    expect(parseMeta(Buffer.from(JSON.stringify(good)))).toEqual(good);
    expect(parseMeta(Buffer.from(JSON.stringify({ ...good, spec: 'DES' })))).toBeNull();
    expect(parseMeta(Buffer.from('{'))).toBeNull();
    expect(parseMeta(undefined)).toBeNull();
  });

  it('binds the header and the caller AAD, and no AAD differs from some AAD', () => {
    const header = Buffer.from('00000001aabbccddeeff001122334455', 'hex');
    expect(gcmAad(header, undefined).equals(header)).toBe(true);
    expect(gcmAad(header, Buffer.from('x')).equals(Buffer.concat([header, Buffer.from('x')]))).toBe(true);
  });
});

describe('CKR_* mapping', () => {
  const err = (name: string) => new pkcs11js.Pkcs11Error(name, (pkcs11js as unknown as Record<string, number>)[name]!, 'C_Test');

  it('names return values from the binding constants', () => {
    expect(ckrName(pkcs11js.CKR_PIN_INCORRECT)).toBe('CKR_PIN_INCORRECT');
    expect(ckrName(0x7fff1234)).toBe('CKR_0x7fff1234');
  });

  it('maps PIN, removal, integrity, usage and missing-object codes to their kinds', () => {
    const cases: Array<[string, string, 'login' | 'decrypt' | 'verify' | 'other']> = [
      ['CKR_PIN_INCORRECT', 'AccessDenied', 'login'],
      ['CKR_PIN_LOCKED', 'AccessDenied', 'login'],
      ['CKR_TOKEN_NOT_PRESENT', 'Unavailable', 'other'],
      ['CKR_DEVICE_REMOVED', 'Unavailable', 'other'],
      ['CKR_SESSION_HANDLE_INVALID', 'Unavailable', 'other'],
      ['CKR_KEY_FUNCTION_NOT_PERMITTED', 'InvalidInput', 'other'],
      ['CKR_ENCRYPTED_DATA_INVALID', 'IntegrityFailure', 'decrypt'],
      ['CKR_ENCRYPTED_DATA_LEN_RANGE', 'IntegrityFailure', 'decrypt'],
      ['CKR_SIGNATURE_INVALID', 'IntegrityFailure', 'verify'],
      ['CKR_GENERAL_ERROR', 'IntegrityFailure', 'decrypt'],
      ['CKR_GENERAL_ERROR', 'Unavailable', 'other'],
      ['CKR_OBJECT_HANDLE_INVALID', 'NotFound', 'other'],
    ];
    for (const [code, kind, context] of cases) {
      const e = toProviderError(err(code), 'hsm', 'op', context);
      expect({ code, kind: e.kind, providerCode: e.providerCode }).toEqual({ code, kind, providerCode: code });
    }
  });

  it('says a locked PIN is locked and needs the security officer', () => {
    const e = toProviderError(err('CKR_PIN_LOCKED'), 'hsm', 'C_Login', 'login');
    expect(e.message).toMatch(/locked/);
    expect(e.message).toMatch(/security officer/);
    expect(e.retryable).toBe(false);
  });

  it('treats a non-PKCS#11 failure as Unavailable with its message', () => {
    const e = toProviderError(new Error('dlopen failed'), 'hsm', 'load');
    expect(e).toMatchObject({ kind: 'Unavailable', providerCode: 'PKCS11_NATIVE' });
    expect(e.message).toContain('dlopen failed');
  });
});

describe('slots', () => {
  it('names token flags and prints slot ids as decimal numbers', () => {
    expect(tokenFlagNames(pkcs11js.CKF_TOKEN_INITIALIZED | pkcs11js.CKF_USER_PIN_LOCKED)).toEqual(['TOKEN_INITIALIZED', 'USER_PIN_LOCKED']);
    const slot = Buffer.alloc(8);
    slot.writeBigUInt64LE(1234567890n);
    expect(slotIdOf(slot)).toBe('1234567890');
  });
});
