// Vault wire formats in the adapter: only canonical "vault:vN:<base64>" ciphertexts pass (Vault itself would accept
// "v0" and changed padding bits), page tokens round-trip and refuse forgeries, and key reads map onto ProviderKeyInfo.
import { describe, expect, it } from 'vitest';
import * as fmt from '../../electron/providers/vault/vaultFormat.ts';

const ct = (s: string) => Buffer.from(s, 'latin1');

describe('vault ciphertext parsing', () => {
  it('accepts the canonical form and reports its version and payload', () => {
    const payload = Buffer.from('0123456789abcdefghij0123456789ab');
    const text = `vault:v12:${payload.toString('base64')}`;
    expect(fmt.parseVersioned(ct(text))).toEqual({ text, version: 12, payload });
  });

  it.each([
    ['version 0, which Vault reads as 1', 'vault:v0:AAAA'],
    ['a changed padding bit Vault would ignore', 'vault:v1:AB=='],
    ['a missing prefix', 'vaulx:v1:AAAA'],
    ['no version', 'vault:v:AAAA'],
    ['a signed version', 'vault:v+1:AAAA'],
    ['base64 without padding', 'vault:v1:AAA'],
    ['characters outside base64', 'vault:v1:AA*A'],
    ['an empty payload', 'vault:v1:'],
    ['trailing whitespace', 'vault:v1:AAAA\n'],
    ['a ninth-digit-plus version', 'vault:v12345678901:AAAA'],
  ])('refuses %s', (_label, text) => {
    expect(fmt.parseVersioned(ct(text))).toBeNull();
  });

  it('refuses bytes outside printable ASCII', () => {
    expect(fmt.parseVersioned(Buffer.concat([ct('vault:v1:AAAA'), Buffer.from([0xc3])]))).toBeNull();
  });

  it('turns signatures into raw bytes and back', () => {
    const raw = Buffer.from([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02]);
    const text = fmt.signatureString(raw, 3);
    expect(text).toBe(`vault:v3:${raw.toString('base64')}`);
    expect(fmt.signatureBytes(text)).toEqual({ signature: raw, version: 3 });
    expect(fmt.signatureBytes('vault:v3:%%%')).toBeNull();
  });
});

describe('vault page tokens', () => {
  it('round-trip the last name and refuse tokens this adapter did not issue', () => {
    expect(fmt.decodePageToken(fmt.encodePageToken('robot-key_7'))).toBe('robot-key_7');
    expect(fmt.decodePageToken('not a token')).toBeNull();
    expect(fmt.decodePageToken(Buffer.from('before:x').toString('base64url'))).toBeNull();
    expect(fmt.decodePageToken(Buffer.from('after:../sys').toString('base64url'))).toBeNull();
  });
});

describe('vault key info', () => {
  const base = { name: 'k', latest_version: 2, min_decryption_version: 1, auto_rotate_period: 172800 };

  it('maps an AES key with unix-second version times', () => {
    const info = fmt.toKeyInfo({ ...base, type: 'aes256-gcm96', keys: { '1': 1767225600, '2': 1767312000 } }, false);
    expect(info).toEqual({
      keyRef: 'k',
      name: 'k',
      spec: 'AES_256',
      usage: 'encrypt',
      state: 'enabled',
      currentVersion: 2,
      createdAt: '2026-01-01T00:00:00.000Z',
      deletionDate: null,
      rotationPeriodDays: 2,
    });
  });

  it('maps an ECDSA key with RFC 3339 version times and the console-side disabled flag', () => {
    const info = fmt.toKeyInfo({ ...base, auto_rotate_period: 0, type: 'ecdsa-p256', keys: { '1': { creation_time: '2026-02-03T04:05:06.123456789Z' } } }, true);
    expect(info).toMatchObject({ spec: 'EC_P256', usage: 'sign', state: 'disabled', createdAt: '2026-02-03T04:05:06.123Z', rotationPeriodDays: null });
  });

  it('returns null for key types the console does not use', () => {
    expect(fmt.toKeyInfo({ ...base, type: 'chacha20-poly1305', keys: {} }, false)).toBeNull();
  });
});
