import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  SCHEME_ECDH_P256_AES256GCM, SCHEME_RSA_OAEP_SHA256, confirmationKey, consoleDoneMac, robotConfirmMac, unwrapKey, wrapKey,
} from '../../electron/station/keywrap.ts';
import { decodeCsr, decodeHello, decodeKeys, encodeCsr, encodeHello, encodeKeys, transcriptHash } from '../../electron/station/protocol.ts';
import { matchesUsbFilter } from '../../electron/station/station.ts';

const ctx = { deviceId: 'R-9', robotNonce: randomBytes(32), consoleNonce: randomBytes(32) };

describe('station protocol messages', () => {
  it('round-trips HELLO, CSR and KEYS and rejects malformed payloads with bad_frame', () => {
    const hello = { deviceId: 'R-9', robotNonce: randomBytes(32), firmware: 'fw 2.1' };
    expect(decodeHello(encodeHello(hello))).toEqual(hello);
    const csr = { robotNonce: randomBytes(32), consoleNonce: randomBytes(32), csrDer: randomBytes(300), nonceSignature: randomBytes(71) };
    expect(decodeCsr(encodeCsr(csr))).toEqual(csr);
    const keys = { keys: [{ keyId: 'comm', version: 2, scheme: 1, wrapped: randomBytes(125) }] };
    expect(decodeKeys(encodeKeys(keys))).toEqual(keys);

    expect(() => decodeHello(encodeHello({ ...hello, robotNonce: randomBytes(31) }))).toThrow(expect.objectContaining({ code: 'bad_frame' }));
    expect(() => decodeHello(encodeHello({ ...hello, deviceId: '../etc' }))).toThrow(expect.objectContaining({ code: 'bad_frame' }));
    expect(() => decodeHello(encodeHello(hello).subarray(0, 10))).toThrow(/truncated|out of bounds/);
    expect(() => decodeHello(Buffer.concat([encodeHello(hello), Buffer.from([0])]))).toThrow(/trailing/);
    expect(() => decodeKeys(encodeKeys({ keys: [] }))).toThrow(/key count/);
  });

  it('hashes the transcript in order, with lengths', () => {
    const a = Buffer.from('ab');
    const b = Buffer.from('c');
    expect(transcriptHash([a, b]).equals(transcriptHash([b, a]))).toBe(false);
    expect(transcriptHash([a, b]).equals(transcriptHash([Buffer.from('a'), Buffer.from('bc')]))).toBe(false);
  });
});

describe('station key wrapping', () => {
  for (const kind of ['ec', 'rsa'] as const) {
    it(`wraps AES-256 material to an ${kind} identity key, bound to device, key id and version`, () => {
      const pair = kind === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
      const material = randomBytes(32);
      const w = wrapKey(pair.publicKey, ctx, { keyId: 'storage', version: 4, material });
      expect(w.scheme).toBe(kind === 'ec' ? SCHEME_ECDH_P256_AES256GCM : SCHEME_RSA_OAEP_SHA256);
      expect(w.wrapped.includes(material)).toBe(false);
      expect(unwrapKey(pair.privateKey, ctx, { keyId: 'storage', version: 4, ...w }).equals(material)).toBe(true);
      // Any other binding fails: version, key id, device, or another robot's key.
      expect(() => unwrapKey(pair.privateKey, ctx, { keyId: 'storage', version: 5, ...w })).toThrow(expect.objectContaining({ code: 'key_confirmation_failed' }));
      expect(() => unwrapKey(pair.privateKey, ctx, { keyId: 'comm', version: 4, ...w })).toThrow();
      expect(() => unwrapKey(pair.privateKey, { ...ctx, deviceId: 'R-10' }, { keyId: 'storage', version: 4, ...w })).toThrow();
      const other = kind === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
      expect(() => unwrapKey(other.privateKey, ctx, { keyId: 'storage', version: 4, ...w })).toThrow();
    });
  }

  it('refuses identity keys other than P-256 and RSA >= 2048', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    expect(() => wrapKey(p384.publicKey, ctx, { keyId: 'k', version: 1, material: randomBytes(32) })).toThrow(expect.objectContaining({ code: 'forged_csr' }));
  });

  it('derives different confirmation MACs for different material or transcript', () => {
    const m = [randomBytes(32), randomBytes(32)];
    const th = randomBytes(32);
    const kc = confirmationKey(ctx, m);
    expect(robotConfirmMac(kc, th).equals(robotConfirmMac(confirmationKey(ctx, [m[0]!, randomBytes(32)]), th))).toBe(false);
    expect(robotConfirmMac(kc, th).equals(robotConfirmMac(kc, randomBytes(32)))).toBe(false);
    expect(consoleDoneMac(kc, th, robotConfirmMac(kc, th)).equals(robotConfirmMac(kc, th))).toBe(false);
  });
});

describe('station USB filter', () => {
  it('matches vendor and product ids case-insensitively, with or without 0x', () => {
    const p = { path: '/dev/ttyACM0', vendorId: '2E8A', productId: '000a' };
    expect(matchesUsbFilter(p, ['0x2e8a'], ['000A'])).toBe(true);
    expect(matchesUsbFilter(p, ['1234'])).toBe(false);
    expect(matchesUsbFilter(p, [], ['000b'])).toBe(false);
    expect(matchesUsbFilter({ path: '/dev/pts/3' }, ['2e8a'])).toBe(false);
    expect(matchesUsbFilter({ path: '/dev/pts/3' })).toBe(true);
  });
});
