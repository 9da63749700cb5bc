// Azure error normalisation: Key Vault answers (status + KeyVaultError body, written out below as the service sends
// them) -> kinds by status and innererror.code, never by the message text; Entra failures, network and TLS failures;
// request ids kept, nothing of the raw error attached.
import { describe, expect, it } from 'vitest';
import { toProviderError } from '../../electron/providers/azure/azureErrors.ts';

/**
 * The error @azure/keyvault-keys throws for a Key Vault error answer: a RestError whose `details` is the parsed
 * KeyVaultError body, with innererror renamed innerError as the SDK's deserializer does.
 */
function sdkError(status: number, bodyText: string): Error {
  const body = JSON.parse(bodyText) as { error: { code: string; message: string; innererror?: { code: string } } };
  const rename = (e: { code: string; message?: string; innererror?: { code: string } } | undefined): unknown =>
    e === undefined ? undefined : { code: e.code, message: e.message, innerError: rename(e.innererror) };
  return Object.assign(new Error(body.error.message), {
    name: 'RestError',
    code: body.error.code,
    statusCode: status,
    details: { error: rename(body.error) },
    response: { status, headers: { get: (h: string) => (h === 'x-ms-request-id' ? 'req-123' : undefined) } },
  });
}

// status, body as the service sends it, expected kind, expected providerCode.
const TABLE: Array<[number, string, string, string]> = [
  [403, '{"error":{"code":"Forbidden","message":"Operation decrypt is not allowed on a disabled key.","innererror":{"code":"KeyDisabled"}}}', 'KeyDisabled', 'KeyDisabled'],
  [403, '{"error":{"code":"Forbidden","message":"Operation sign is not allowed on an expired key.","innererror":{"code":"KeyExpired"}}}', 'KeyDisabled', 'KeyExpired'],
  [403, '{"error":{"code":"Forbidden","message":"Operation wrapKey is not allowed on a key that is not yet valid.","innererror":{"code":"KeyNotYetValid"}}}', 'KeyDisabled', 'KeyNotYetValid'],
  [403, '{"error":{"code":"Forbidden","message":"Caller is not authorized to perform action on resource.","innererror":{"code":"ForbiddenByRbac"}}}', 'AccessDenied', 'ForbiddenByRbac'],
  [403, '{"error":{"code":"Forbidden","message":"The operation is not allowed by policy.","innererror":{"code":"ForbiddenByPolicy"}}}', 'AccessDenied', 'ForbiddenByPolicy'],
  [403, '{"error":{"code":"Forbidden","message":"Client address is not authorized and caller is not a trusted service.","innererror":{"code":"ForbiddenByFirewall"}}}', 'AccessDenied', 'ForbiddenByFirewall'],
  [403, '{"error":{"code":"Forbidden","message":"The user does not have keys unwrapKey permission on key vault.","innererror":{"code":"AccessDenied"}}}', 'AccessDenied', 'AccessDenied'],
  // The message text decides nothing: "disabled" in an access-denied message, and a state code with an unrelated text.
  [403, '{"error":{"code":"Forbidden","message":"Access to disabled principals is not allowed.","innererror":{"code":"ForbiddenByRbac"}}}', 'AccessDenied', 'ForbiddenByRbac'],
  [403, '{"error":{"code":"Forbidden","message":"Operation refused.","innererror":{"code":"KeyDisabled"}}}', 'KeyDisabled', 'KeyDisabled'],
  [403, '{"error":{"code":"Forbidden","message":"Operation unwrapKey is not allowed on a disabled key."}}', 'AccessDenied', 'Forbidden'],
  [401, '{"error":{"code":"Unauthorized","message":"AKV10022: Invalid token: the token is expired."}}', 'AccessDenied', 'Unauthorized'],
  [404, '{"error":{"code":"KeyNotFound","message":"A key with (name/id) x was not found in this key vault."}}', 'NotFound', 'KeyNotFound'],
  [400, '{"error":{"code":"BadParameter","message":"The key version is required in the request URI."}}', 'InvalidInput', 'BadParameter'],
  [409, '{"error":{"code":"Conflict","message":"Key x is currently in a deleted but recoverable state."}}', 'InvalidInput', 'Conflict'],
  [429, '{"error":{"code":"Throttled","message":"Request was not processed because too many requests were received."}}', 'Throttled', 'Throttled'],
  [500, '{"error":{"code":"InternalServerError","message":"An internal server error occurred."}}', 'Unavailable', 'InternalServerError'],
  [503, '{"error":{"code":"ServiceUnavailable","message":"The service is temporarily unavailable."}}', 'Unavailable', 'ServiceUnavailable'],
];

describe('toProviderError (Azure)', () => {
  it.each(TABLE)('maps %i %s', (status, body, kind, providerCode) => {
    const e = toProviderError(sdkError(status, body), 'az', 'op');
    expect(e).toMatchObject({ kind, providerCode, requestId: 'req-123', providerId: 'az' });
    expect(e.cause).toBeUndefined();
    expect(e.retryable).toBe(kind === 'Unavailable' || kind === 'Throttled');
  });

  it('reads the raw innererror member too (a body not passed through the SDK deserializer)', () => {
    const raw = Object.assign(new Error('refused'), { name: 'RestError', code: 'Forbidden', statusCode: 403, details: { error: { code: 'Forbidden', innererror: { code: 'KeyDisabled' } } } });
    expect(toProviderError(raw, 'az', 'op')).toMatchObject({ kind: 'KeyDisabled', providerCode: 'KeyDisabled' });
  });

  it('maps network, TLS, timeout and credential failures', () => {
    expect(toProviderError(Object.assign(new Error('connect ECONNREFUSED'), { name: 'RestError', code: 'ECONNREFUSED' }), 'az', 'op')).toMatchObject({ kind: 'Unavailable', retryable: true });
    expect(toProviderError(Object.assign(new Error('self-signed'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), 'az', 'op')).toMatchObject({ kind: 'Unavailable', retryable: false });
    expect(toProviderError(Object.assign(new Error('aborted'), { name: 'AbortError' }), 'az', 'op').kind).toBe('Unavailable');
    const denied = toProviderError(Object.assign(new Error('invalid_client: Error(s): 7000215 - AADSTS7000215: Invalid client secret provided.'), { name: 'AuthenticationRequiredError' }), 'az', 'op');
    expect(denied).toMatchObject({ kind: 'AccessDenied', providerCode: 'invalid_client', retryable: false });
    expect(toProviderError(Object.assign(new Error('no env'), { name: 'CredentialUnavailableError' }), 'az', 'op')).toMatchObject({ kind: 'AccessDenied', providerCode: 'CredentialUnavailable' });
  });
});
