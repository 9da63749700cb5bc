// Provider failures become ConsoleErrors with stable codes, and the audit gets provider id, provider code and
// request id; mapping of provider versions onto console versions.
import { describe, expect, it } from 'vitest';
import { PROVIDER_ERROR_KINDS, ProviderError } from '../../electron/providers/types.ts';
import { consoleVersionOf } from '../../electron/services/keys/keyLocations.ts';
import { failureAuditDetails, providerFailure } from '../../electron/services/providers/providerErrors.ts';
import type { KeyVersionRow } from '../../electron/store/keysRepo.ts';
import { ConsoleError, ERROR_CODES, ERROR_HINTS } from '../../shared/errors.ts';

describe('provider failures as console errors', () => {
  it('maps every provider error kind onto a stable code', () => {
    const expected = {
      Unavailable: 'provider_unavailable',
      Throttled: 'provider_unavailable',
      AccessDenied: 'provider_access_denied',
      NotFound: 'not_found',
      InvalidInput: 'invalid_input',
      KeyDisabled: 'key_disabled',
      IntegrityFailure: 'integrity_failure',
      Unsupported: 'provider_unsupported',
    } as const;
    expect(Object.keys(expected).sort()).toEqual([...PROVIDER_ERROR_KINDS].sort());
    for (const kind of PROVIDER_ERROR_KINDS) {
      const e = providerFailure(new ProviderError(kind, 'it said no', { providerId: 'aws-primary', providerCode: 'SomeCode', requestId: 'req-1' }));
      expect(e.code, kind).toBe(expected[kind]);
      expect(ERROR_CODES).toContain(e.code);
      expect(e.message).toContain('aws-primary');
      expect(failureAuditDetails(e)).toEqual({ provider: 'aws-primary', providerCode: 'SomeCode', requestId: 'req-1' });
    }
    expect(providerFailure(new ProviderError('IntegrityFailure', 'x', { providerId: 'v' }), 'ciphertext_tampered').code).toBe('ciphertext_tampered');
    expect(ERROR_HINTS.provider_access_denied).toMatch(/credentials/);
  });

  it('passes console errors through and hides anything else behind internal', () => {
    const own = new ConsoleError('key_disabled', 'no');
    expect(providerFailure(own)).toBe(own);
    const other = providerFailure(new TypeError('secret detail 0xdeadbeef'));
    expect(other.code).toBe('internal');
    expect(other.message).not.toContain('deadbeef');
  });
});

describe('provider versions', () => {
  const v = (version: number, provider: string | null, providerVersion: number | null): KeyVersionRow => ({
    keyId: 'k', version, createdAt: '', checkValue: '', publicSpki: null, wrappedMaterial: null, destroyed: false, provider, providerVersion,
  });
  const versions = [v(1, null, null), v(2, null, null), v(3, 'aws', 1), v(4, 'aws', 2)];

  it('finds the console version of a provider version, else the newest the provider holds', () => {
    expect(consoleVersionOf(versions, 'aws', 1, 4)).toBe(3);
    expect(consoleVersionOf(versions, 'aws', 2, 4)).toBe(4);
    expect(consoleVersionOf(versions, 'aws', null, 4)).toBe(4);
    expect(consoleVersionOf(versions, 'vault', 1, 4)).toBe(4);
  });
});
