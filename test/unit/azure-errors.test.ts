// Azure error normalisation: Key Vault status codes and error codes, Entra failures, network and TLS failures, the
// SDK's client-side checks; request ids kept, nothing of the raw error attached.
import { describe, expect, it } from 'vitest';
import { toProviderError } from '../../electron/providers/azure/azureErrors.ts';

/** The shape of @azure/core-rest-pipeline's RestError as the SDK throws it. */
function restError(status: number, code: string, message: string): Error {
  return Object.assign(new Error(message), {
    name: 'RestError',
    code,
    statusCode: status,
    response: { status, headers: { get: (h: string) => (h === 'x-ms-request-id' ? 'req-123' : undefined) } },
  });
}

describe('toProviderError (Azure)', () => {
  it('maps Key Vault answers by status and keeps code and request id', () => {
    const cases: Array<[number, string, string, string]> = [
      [404, 'KeyNotFound', 'A key with (name/id) x was not found', 'NotFound'],
      [403, 'Forbidden', 'Operation wrapKey is not allowed on a disabled key.', 'KeyDisabled'],
      [403, 'Forbidden', 'Caller is not authorized to perform action on resource.', 'AccessDenied'],
      [401, 'Unauthorized', 'AKV10022: Invalid token', 'AccessDenied'],
      [400, 'BadParameter', 'bad', 'InvalidInput'],
      [409, 'Conflict', 'deleted but recoverable', 'InvalidInput'],
      [429, 'Throttled', 'too many requests', 'Throttled'],
      [500, 'InternalServerError', 'oops', 'Unavailable'],
      [503, 'ServiceUnavailable', 'later', 'Unavailable'],
    ];
    for (const [status, code, message, kind] of cases) {
      const e = toProviderError(restError(status, code, message), 'az', 'op');
      expect(e).toMatchObject({ kind, providerCode: code, requestId: 'req-123', providerId: 'az' });
      expect(e.cause).toBeUndefined();
      expect(e.retryable).toBe(kind === 'Unavailable' || kind === 'Throttled');
    }
  });

  it('maps network, TLS, timeout and credential failures', () => {
    expect(toProviderError(Object.assign(new Error('connect ECONNREFUSED'), { name: 'RestError', code: 'ECONNREFUSED' }), 'az', 'op')).toMatchObject({ kind: 'Unavailable', retryable: true });
    expect(toProviderError(Object.assign(new Error('self-signed'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), 'az', 'op')).toMatchObject({ kind: 'Unavailable', retryable: false });
    expect(toProviderError(Object.assign(new Error('aborted'), { name: 'AbortError' }), 'az', 'op').kind).toBe('Unavailable');
    const denied = toProviderError(Object.assign(new Error('invalid_client: Error(s): 7000215 - AADSTS7000215: Invalid client secret provided.'), { name: 'AuthenticationRequiredError' }), 'az', 'op');
    expect(denied).toMatchObject({ kind: 'AccessDenied', providerCode: 'invalid_client', retryable: false });
    expect(toProviderError(Object.assign(new Error('no env'), { name: 'CredentialUnavailableError' }), 'az', 'op')).toMatchObject({ kind: 'AccessDenied', providerCode: 'CredentialUnavailable' });
    expect(toProviderError(new Error('Operation sign is not supported on key k'), 'az', 'op').kind).toBe('InvalidInput');
  });
});
