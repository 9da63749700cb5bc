// gRPC status -> ProviderError kinds for the Cloud KMS adapter, keeping the status name as providerCode.
import { describe, expect, it } from 'vitest';
import { toProviderError } from '../../electron/providers/gcp/errors.ts';
import { ProviderError } from '../../electron/providers/types.ts';

const grpcError = (code: number, details: string) => Object.assign(new Error(`${code} ${details}`), { code, details });

describe('Cloud KMS error mapping', () => {
  it.each([
    [3, 'INVALID_ARGUMENT', 'InvalidInput', false],
    [4, 'DEADLINE_EXCEEDED', 'Unavailable', true],
    [5, 'NOT_FOUND', 'NotFound', false],
    [6, 'ALREADY_EXISTS', 'InvalidInput', false],
    [7, 'PERMISSION_DENIED', 'AccessDenied', false],
    [8, 'RESOURCE_EXHAUSTED', 'Throttled', true],
    [9, 'FAILED_PRECONDITION', 'KeyDisabled', false],
    [12, 'UNIMPLEMENTED', 'InvalidInput', false],
    [13, 'INTERNAL', 'Unavailable', true],
    [14, 'UNAVAILABLE', 'Unavailable', true],
    [15, 'DATA_LOSS', 'IntegrityFailure', false],
    [16, 'UNAUTHENTICATED', 'AccessDenied', false],
  ] as const)('status %i (%s) -> %s', (code, name, kind, retryable) => {
    const e = toProviderError(grpcError(code, 'something'), 'gcp-x', 'Encrypt');
    expect(e).toBeInstanceOf(ProviderError);
    expect(e).toMatchObject({ kind, providerCode: name, providerId: 'gcp-x', retryable });
    expect(e.message).toContain(`Encrypt: ${name}: something`);
  });

  it('treats failed decryption and checksum mismatches as IntegrityFailure, other bad arguments as InvalidInput', () => {
    expect(toProviderError(grpcError(3, "Decryption failed: verify that 'name' refers to the correct CryptoKey."), 'g', 'Decrypt').kind).toBe('IntegrityFailure');
    expect(toProviderError(grpcError(3, 'The checksum in field ciphertext_crc32c did not match the data in field ciphertext.'), 'g', 'Decrypt').kind).toBe('IntegrityFailure');
    expect(toProviderError(grpcError(3, 'The plaintext is 65537 bytes; the maximum is 65536 bytes.'), 'g', 'Encrypt').kind).toBe('InvalidInput');
  });

  it('maps failures without a gRPC status: unreadable credentials are AccessDenied, anything else Unavailable', () => {
    expect(toProviderError(new Error("ENOENT: no such file or directory, open '/etc/ecps/sa.json'"), 'g', 'Encrypt')).toMatchObject({ kind: 'AccessDenied', providerCode: null });
    expect(toProviderError(new Error('socket hang up'), 'g', 'Encrypt').kind).toBe('Unavailable');
    const already = new ProviderError('NotFound', 'x', { providerId: 'g' });
    expect(toProviderError(already, 'g', 'Encrypt')).toBe(already);
  });
});
