// Azure error normalisation: Key Vault answers (status + KeyVaultError body, written out below as the service sends
// them) -> kinds by status and innererror.code, never by the message text; Entra failures, network and TLS failures;
// request ids kept, nothing of the raw error attached.
import { describe, expect, it } from 'vitest';
import { toProviderError } from '../../electron/providers/azure/azureErrors.ts';
import { ProviderError } from '../../electron/providers/types.ts';

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

/** An error as @azure/identity or core-rest-pipeline throws it: a name, a message and whatever fields it carries. */
const thrown = (name: string, message: string, fields: Record<string, unknown> = {}) => Object.assign(new Error(message), { name }, fields);
const withRequestId = { response: { headers: { get: (h: string) => (h === 'x-ms-request-id' ? 'req-7' : undefined) } } };
const view = (e: ProviderError) => ({ kind: e.kind, providerCode: e.providerCode, message: e.message, retryable: e.retryable, requestId: e.requestId });

describe('toProviderError (Azure): the token service (Microsoft Entra)', () => {
  it.each([
    // name, message, fields, kind, providerCode, message text after "Azure Key Vault op: "
    ['AuthenticationError', 'invalid_client: AADSTS7000215: Invalid client secret provided.', { statusCode: 401 }, 'AccessDenied', 'invalid_client', 'authentication failed: invalid_client: AADSTS7000215: Invalid client secret provided.'],
    ['AuthenticationError', 'The client secret was refused: AADSTS7000215', { statusCode: 400, errorResponse: { error: 'invalid_client' } }, 'AccessDenied', 'invalid_client', 'authentication failed: The client secret was refused: AADSTS7000215'],
    // A message that does not start with an Entra error names no Entra error.
    ['AuthenticationError', 'The request was refused: see AADSTS50126', {}, 'AccessDenied', 'AuthenticationError', 'authentication failed: The request was refused: see AADSTS50126'],
    ['AuthenticationRequiredError', 'Refused.', { statusCode: 499 }, 'AccessDenied', 'AuthenticationRequiredError', 'authentication failed: Refused.'],
    // The token service itself failing is an outage, not a refusal.
    ['AuthenticationError', 'AADSTS90033 A transient error has occurred.', { statusCode: 500 }, 'Unavailable', '500', 'the token service is unavailable (500).'],
    ['AuthenticationError', 'server_error: AADSTS90033 A transient error has occurred.', {}, 'Unavailable', 'server_error', 'the token service is unavailable (server_error).'],
    ['AuthenticationError', 'Service unavailable', { statusCode: 503 }, 'Unavailable', '503', 'the token service is unavailable (503).'],
    ['AuthenticationError', 'Too many requests', { statusCode: 429 }, 'Throttled', '429', 'the token service is unavailable (429).'],
    ['AuthenticationError', 'temporarily_unavailable: AADSTS50196 try again', { statusCode: 400 }, 'Unavailable', 'temporarily_unavailable', 'the token service is unavailable (temporarily_unavailable).'],
    ['AuthenticationError', 'Try again later.', { errorResponse: { error: 'server_error' } }, 'Unavailable', 'server_error', 'the token service is unavailable (server_error).'],
    // It could not be reached at all.
    ['AuthenticationError', 'request to https://login.example failed, reason: connect ECONNREFUSED 127.0.0.1:443', { code: 'ECONNREFUSED' }, 'Unavailable', 'ECONNREFUSED', 'the token service could not be reached.'],
    ['AuthenticationError', 'socket hang up', {}, 'Unavailable', 'NetworkError', 'the token service could not be reached.'],
  ])('%s %j %j -> %s %s', (name, message, fields, kind, providerCode, text) => {
    const e = toProviderError(thrown(name, message, { ...fields, ...withRequestId }), 'az', 'op');
    expect(view(e)).toEqual({ kind, providerCode, message: `Azure Key Vault op: ${text}`, retryable: kind !== 'AccessDenied', requestId: 'req-7' });
  });

  it('no credential at all', () => {
    expect(view(toProviderError(thrown('CredentialUnavailableError', 'EnvironmentCredential is unavailable.'), 'az', 'op'))).toEqual({
      kind: 'AccessDenied', providerCode: 'CredentialUnavailable', message: 'Azure Key Vault op: no credential is available (EnvironmentCredential is unavailable.).', retryable: false, requestId: null,
    });
  });
});

describe('toProviderError (Azure): transport failures and odd values', () => {
  it.each(['AbortError', 'TimeoutError'])('%s: the service did not answer in time', (name) => {
    expect(view(toProviderError(thrown(name, 'The operation was aborted.'), 'az', 'op'))).toEqual({
      kind: 'Unavailable', providerCode: name, message: 'Azure Key Vault op: the service did not answer in time.', retryable: true, requestId: null,
    });
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'REQUEST_SEND_ERROR'])(
    'network code %s (whatever the error is called): could not be reached, retried',
    (code) => {
      expect(view(toProviderError(thrown('Error', `boom ${code}`, { code }), 'az', 'op'))).toEqual({
        kind: 'Unavailable', providerCode: code, message: `Azure Key Vault op: the service could not be reached (${code}).`, retryable: true, requestId: null,
      });
    },
  );

  it('a RestError without status or code: could not be reached, named by its message', () => {
    expect(view(toProviderError(thrown('RestError', 'getaddrinfo failed'), 'az', 'op'))).toEqual({
      kind: 'Unavailable', providerCode: 'RestError', message: 'Azure Key Vault op: the service could not be reached (getaddrinfo failed).', retryable: true, requestId: null,
    });
  });

  it.each(['CERT_HAS_EXPIRED', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'ERR_TLS_CERT_ALTNAME_INVALID', 'ERR_SSL_WRONG_VERSION_NUMBER'])(
    'TLS failure %s: Unavailable, not retried',
    (code) => {
      expect(view(toProviderError(thrown('RestError', 'tls', { code }), 'az', 'op'))).toEqual({
        kind: 'Unavailable', providerCode: code, message: `Azure Key Vault op: TLS verification of the service failed (${code}).`, retryable: false, requestId: null,
      });
    },
  );

  it.each([
    // thrown, providerCode, message text: an unknown failure is an outage named by what there is.
    [thrown('Error', 'first line\nsecond line', { code: 'EPROTO' }), 'EPROTO', 'first line'],
    [thrown('SomethingNew', 'odd'), 'SomethingNew', 'odd'],
    [{ name: 42, message: 'numbered', code: 7 }, 'Error', 'numbered'],
    [{ message: { nested: true } }, 'Error', '[object Object]'],
    ['plain text', 'Error', 'plain text'],
    [null, 'Error', 'null'],
  ])('%j', (e, providerCode, text) => {
    expect(view(toProviderError(e, 'az', 'op'))).toEqual({ kind: 'Unavailable', providerCode, message: `Azure Key Vault op: ${text}`, retryable: true, requestId: null });
  });

  it('keeps 500 characters of the first line of a message', () => {
    const e = toProviderError(thrown('Error', `${'x'.repeat(600)}\nsecret-looking second line`), 'az', 'op');
    expect(e.message).toBe(`Azure Key Vault op: ${'x'.repeat(500)}`);
  });

  it('hands a ProviderError through unchanged', () => {
    const original = new ProviderError('IntegrityFailure', 'already normalised', { providerId: 'az' });
    expect(toProviderError(original, 'other', 'op')).toBe(original);
  });
});

describe('toProviderError (Azure): status answers without the SDK body', () => {
  it.each([
    // fields beside statusCode, providerCode, message text
    [{}, '503', '503: down'],
    [{ code: 'ServiceUnavailable' }, 'ServiceUnavailable', 'ServiceUnavailable: down'],
    [{ code: 17 }, '503', '503: down'],
    [{ details: {} }, '503', '503: down'],
    [{ details: { error: null } }, '503', '503: down'],
    [{ response: {} }, '503', '503: down'],
    [{ response: { headers: {} } }, '503', '503: down'],
  ])('%j', (fields, providerCode, text) => {
    expect(view(toProviderError(thrown('RestError', 'down', { statusCode: 503, ...fields }), 'az', 'op'))).toEqual({
      kind: 'Unavailable', providerCode, message: `Azure Key Vault op: ${text}`, retryable: true, requestId: null,
    });
  });

  it('message text after the code', () => {
    const e = toProviderError(sdkError(403, '{"error":{"code":"Forbidden","message":"Operation decrypt is not allowed on a disabled key.","innererror":{"code":"KeyDisabled"}}}'), 'az', 'decrypt');
    expect(e.message).toBe('Azure Key Vault decrypt: KeyDisabled: Operation decrypt is not allowed on a disabled key.');
  });
});

describe('toProviderError (Azure): innererror chains', () => {
  const forbidden = (error: unknown) => thrown('RestError', 'Forbidden', { statusCode: 403, code: 'Forbidden', details: { error } });

  it('takes the innermost code, through either spelling of the member', () => {
    const e = toProviderError(forbidden({ code: 'Forbidden', innerError: { code: 'ForbiddenByPolicy', innererror: { code: 'KeyDisabled' } } }), 'az', 'op');
    expect({ kind: e.kind, providerCode: e.providerCode }).toEqual({ kind: 'KeyDisabled', providerCode: 'KeyDisabled' });
    const raw = toProviderError(forbidden({ code: 'Forbidden', innererror: { code: 'ForbiddenByRbac', innererror: { code: 'KeyExpired' } } }), 'az', 'op');
    expect({ kind: raw.kind, providerCode: raw.providerCode }).toEqual({ kind: 'KeyDisabled', providerCode: 'KeyExpired' });
  });

  it('an inner level without a code keeps the code found above it', () => {
    const e = toProviderError(forbidden({ code: 'Forbidden', innerError: { code: 'KeyDisabled', innerError: { message: 'no code here' } } }), 'az', 'op');
    expect({ kind: e.kind, providerCode: e.providerCode }).toEqual({ kind: 'KeyDisabled', providerCode: 'KeyDisabled' });
  });

  it('reads at most five levels, so a cyclic or absurdly deep body cannot hang the console', () => {
    const levels = ['L1', 'L2', 'L3', 'L4', 'L5', 'L6', 'L7'];
    const deep = levels.reduceRight<unknown>((inner, code) => ({ code, innerError: inner }), undefined);
    expect(toProviderError(forbidden({ code: 'Forbidden', innerError: deep }), 'az', 'op').providerCode).toBe('L5');
    const cyclic: { code: string; innerError?: unknown } = { code: 'KeyDisabled' };
    cyclic.innerError = cyclic;
    expect(toProviderError(forbidden({ code: 'Forbidden', innerError: cyclic }), 'az', 'op').kind).toBe('KeyDisabled');
  });
});
