// AWS KMS failures map onto the normalised ProviderError kinds, keeping the service's code and request id.
import { KMSServiceException, NotFoundException } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { toProviderError } from '../../electron/providers/aws/errors.ts';
import { ProviderError } from '../../electron/providers/types.ts';

function serviceError(name: string, status: number, fault: 'client' | 'server' = status >= 500 ? 'server' : 'client') {
  return new KMSServiceException({ name, $fault: fault, $metadata: { httpStatusCode: status, requestId: 'req-123' }, message: `${name} happened` });
}

describe('AWS error normalisation', () => {
  it.each([
    ['NotFoundException', 400, 'NotFound'],
    ['AccessDeniedException', 400, 'AccessDenied'],
    ['UnrecognizedClientException', 400, 'AccessDenied'],
    ['InvalidSignatureException', 400, 'AccessDenied'],
    ['ExpiredTokenException', 400, 'AccessDenied'],
    ['ThrottlingException', 400, 'Throttled'],
    ['DisabledException', 400, 'KeyDisabled'],
    ['KMSInvalidStateException', 400, 'KeyDisabled'],
    ['InvalidCiphertextException', 400, 'IntegrityFailure'],
    ['IncorrectKeyException', 400, 'IntegrityFailure'],
    ['KMSInvalidSignatureException', 400, 'IntegrityFailure'],
    ['ValidationException', 400, 'InvalidInput'],
    ['InvalidKeyUsageException', 400, 'InvalidInput'],
    ['UnsupportedOperationException', 400, 'InvalidInput'],
    ['AlreadyExistsException', 400, 'InvalidInput'],
    ['LimitExceededException', 400, 'InvalidInput'],
    ['KMSInternalException', 500, 'Unavailable'],
    ['DependencyTimeoutException', 503, 'Unavailable'],
    ['SomethingNewException', 502, 'Unavailable'],
    ['SomethingNewException', 400, 'InvalidInput'],
  ])('%s (%i) -> %s, keeping code and request id', (name, status, kind) => {
    const e = toProviderError(serviceError(name, status), 'aws-1', 'Encrypt');
    expect(e).toBeInstanceOf(ProviderError);
    expect(e.kind).toBe(kind);
    expect(e.providerCode).toBe(name);
    expect(e.requestId).toBe('req-123');
    expect(e.providerId).toBe('aws-1');
    expect(e.message).toContain('Encrypt');
    expect(e.retryable).toBe(kind === 'Unavailable' || kind === 'Throttled');
  });

  it('maps the SDK modelled exception classes by name', () => {
    const e = new NotFoundException({ $metadata: { requestId: 'r-9', httpStatusCode: 400 }, message: 'Key does not exist' });
    expect(toProviderError(e, 'aws-1', 'DescribeKey')).toMatchObject({ kind: 'NotFound', providerCode: 'NotFoundException', requestId: 'r-9' });
  });

  it('maps transport failures and timeouts to Unavailable', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']) {
      const err = Object.assign(new Error(`connect ${code}`), { code });
      expect(toProviderError(err, 'aws-1', 'Encrypt')).toMatchObject({ kind: 'Unavailable', providerCode: code, retryable: true });
    }
    const abort = Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    expect(toProviderError(abort, 'aws-1', 'Encrypt')).toMatchObject({ kind: 'Unavailable', providerCode: 'AbortError' });
    expect(toProviderError(abort, 'aws-1', 'Encrypt').message).toContain('timed out');
  });

  it('passes a ProviderError through unchanged', () => {
    const pe = new ProviderError('NotFound', 'x', { providerId: 'aws-1' });
    expect(toProviderError(pe, 'aws-1', 'Encrypt')).toBe(pe);
  });
});
