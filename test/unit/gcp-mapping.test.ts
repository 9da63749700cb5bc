// Cloud KMS CryptoKey / CryptoKeyVersion -> ProviderKeyInfo, and the response checks of the integrity protocol.
import { describe, expect, it } from 'vitest';
import { createCrc32c } from '../../electron/providers/gcp/crc32c.ts';
import { createIntegrity, keyInfo, type CryptoKeyMsg, type VersionMsg } from '../../electron/providers/gcp/mapping.ts';
import { isProviderError } from '../../electron/providers/types.ts';

const KEY = 'projects/p-123456/locations/global/keyRings/r/cryptoKeys/k';
const ts = (iso: string) => ({ seconds: String(Date.parse(iso) / 1000), nanos: 0 });
const v = (n: number, state: string, extra: Partial<VersionMsg> = {}): VersionMsg => ({ name: `${KEY}/cryptoKeyVersions/${n}`, state: state as never, ...extra });

describe('keyInfo', () => {
  it('maps an encryption key from its primary version, with rotation period and creation time', () => {
    const key: CryptoKeyMsg = {
      name: KEY,
      purpose: 'ENCRYPT_DECRYPT' as never,
      versionTemplate: { algorithm: 'GOOGLE_SYMMETRIC_ENCRYPTION' as never },
      primary: v(3, 'ENABLED'),
      createTime: ts('2026-01-02T03:04:05Z'),
      rotationPeriod: { seconds: String(90 * 86_400) },
    };
    expect(keyInfo(key, null, 'g')).toEqual({
      keyRef: KEY, name: 'k', spec: 'AES_256', usage: 'encrypt', state: 'enabled', currentVersion: 3,
      createdAt: '2026-01-02T03:04:05.000Z', deletionDate: null, rotationPeriodDays: 90,
    });
    expect(keyInfo({ ...key, primary: v(3, 'DISABLED') }, null, 'g').state).toBe('disabled');
    const pending = keyInfo({ ...key, primary: v(3, 'DESTROY_SCHEDULED', { destroyTime: ts('2026-02-01T00:00:00Z') }) }, null, 'g');
    expect(pending).toMatchObject({ state: 'pending_deletion', deletionDate: '2026-02-01T00:00:00.000Z' });
  });

  it('takes a signing key\'s newest usable version as current, and reports a key with only destroyed versions as destroyed', () => {
    const key: CryptoKeyMsg = { name: KEY, purpose: 'ASYMMETRIC_SIGN' as never, versionTemplate: { algorithm: 'EC_SIGN_P256_SHA256' as never } };
    expect(keyInfo(key, [v(1, 'ENABLED'), v(2, 'ENABLED'), v(3, 'DISABLED')], 'g')).toMatchObject({ spec: 'EC_P256', usage: 'sign', state: 'enabled', currentVersion: 2 });
    expect(keyInfo(key, [v(1, 'DISABLED'), v(2, 'DISABLED')], 'g')).toMatchObject({ state: 'disabled', currentVersion: 2 });
    expect(keyInfo(key, [v(1, 'DESTROYED')], 'g').state).toBe('destroyed');
  });

  it('refuses keys of a kind the console does not use', () => {
    const mac: CryptoKeyMsg = { name: KEY, purpose: 'MAC' as never, versionTemplate: { algorithm: 'HMAC_SHA256' as never } };
    let err: unknown;
    try {
      keyInfo(mac, null, 'g');
    } catch (e) {
      err = e;
    }
    expect(isProviderError(err) && err.kind).toBe('InvalidInput');
  });
});

describe('integrity checks', () => {
  const crc = createCrc32c();
  const check = createIntegrity(crc, 'g');
  const kindOf = (f: () => void) => {
    try {
      f();
      return 'passed';
    } catch (e) {
      return isProviderError(e) ? `${e.kind}:${e.providerCode}` : 'other';
    }
  };
  it('accepts a matching checksum (string or number) and refuses a missing or wrong one', () => {
    const data = Buffer.from('ciphertext');
    expect(kindOf(() => check.response(data, { value: String(crc(data)) }, 'x'))).toBe('passed');
    expect(kindOf(() => check.response(data, { value: crc(data) }, 'x'))).toBe('passed');
    expect(kindOf(() => check.response(data, { value: crc(data) ^ 1 }, 'x'))).toBe('IntegrityFailure:CHECKSUM_MISMATCH');
    expect(kindOf(() => check.response(data, null, 'x'))).toBe('IntegrityFailure:CHECKSUM_MISSING');
    expect(kindOf(() => check.verified(false, 'x'))).toBe('IntegrityFailure:CHECKSUM_UNVERIFIED');
    expect(kindOf(() => check.sameResource('a', (n) => n === 'b', 'x'))).toBe('IntegrityFailure:RESOURCE_NAME_MISMATCH');
  });
});
