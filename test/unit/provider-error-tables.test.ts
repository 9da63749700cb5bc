// Every error a provider can answer lands in the normalised kind its docs page names (docs/provider-aws-kms.md,
// docs/provider-google-cloud-kms.md, docs/provider-pkcs11.md), keeping the provider's own code. A wrong kind is a
// security fault: tampered data read as an outage gets retried, an auth failure read as bad input gets shown as a typo.
// The tables below are written from the providers' published error lists, grouped as the docs group them.
import pkcs11js from 'pkcs11js';
import { describe, expect, it } from 'vitest';
import { toProviderError as awsError } from '../../electron/providers/aws/errors.ts';
import { toProviderError as gcpError } from '../../electron/providers/gcp/errors.ts';
import { ckrName, pkcs11Code, toProviderError as pkcs11Error } from '../../electron/providers/pkcs11/pkcs11Errors.ts';
import { ProviderError } from '../../electron/providers/types.ts';

describe('AWS KMS: every published error code by name (no HTTP status, so only the name decides)', () => {
  const table: Array<[string, string]> = [
    ['NotFoundException', 'NotFound'],
    ...['AccessDeniedException', 'UnrecognizedClientException', 'InvalidSignatureException', 'IncompleteSignatureException', 'MissingAuthenticationTokenException',
      'InvalidClientTokenId', 'ExpiredTokenException', 'SignatureDoesNotMatch', 'CredentialsProviderError'].map((n) => [n, 'AccessDenied'] as [string, string]),
    ...['ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException'].map((n) => [n, 'Throttled'] as [string, string]),
    ...['DisabledException', 'KMSInvalidStateException', 'KeyUnavailableException'].map((n) => [n, 'KeyDisabled'] as [string, string]),
    ...['InvalidCiphertextException', 'KMSInvalidSignatureException', 'IncorrectKeyException', 'KMSInvalidMacException'].map((n) => [n, 'IntegrityFailure'] as [string, string]),
    ...['ValidationException', 'SerializationException', 'InvalidKeyUsageException', 'UnsupportedOperationException', 'InvalidAliasNameException', 'AlreadyExistsException',
      'InvalidArnException', 'InvalidMarkerException', 'InvalidGrantTokenException', 'LimitExceededException', 'MalformedPolicyDocumentException', 'TagException',
      'UnknownOperationException'].map((n) => [n, 'InvalidInput'] as [string, string]),
    ...['KMSInternalException', 'DependencyTimeoutException', 'ServiceUnavailableException', 'InternalFailure'].map((n) => [n, 'Unavailable'] as [string, string]),
  ];

  it.each(table)('%s -> %s', (name, kind) => {
    const e = awsError({ name, message: 'boom', $metadata: { requestId: 'r-1' } }, 'aws-1', 'Encrypt');
    expect(e).toBeInstanceOf(ProviderError);
    expect({ kind: e.kind, providerCode: e.providerCode, requestId: e.requestId, message: e.message }).toEqual({
      kind, providerCode: name, requestId: 'r-1', message: `AWS KMS Encrypt: ${name}: boom`,
    });
  });
});

describe('AWS KMS: an error name is text the service chose', () => {
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])('a name like %s is an unknown code, not a property of the lookup table', (name) => {
    const e = awsError({ name, message: 'm', $metadata: { httpStatusCode: 400 } }, 'a', 'Op');
    expect({ kind: e.kind, providerCode: e.providerCode }).toEqual({ kind: 'InvalidInput', providerCode: name });
    expect(awsError({ name, message: 'm', $metadata: { httpStatusCode: 503 } }, 'a', 'Op').kind).toBe('Unavailable');
  });
});

describe('AWS KMS: transport failures, HTTP status and fault', () => {
  it.each(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED'])('%s: could not be reached', (code) => {
    const e = awsError(Object.assign(new Error(`socket ${code}`), { code }), 'aws-1', 'Sign');
    expect({ kind: e.kind, providerCode: e.providerCode, message: e.message, requestId: e.requestId }).toEqual({
      kind: 'Unavailable', providerCode: code, message: `AWS KMS Sign: the service could not be reached (${code}).`, requestId: null,
    });
  });

  it.each([
    [{ code: 'ETIMEDOUT' }, 'ETIMEDOUT'],
    [{ name: 'AbortError' }, 'AbortError'],
    [{ name: 'TimeoutError' }, 'TimeoutError'],
  ])('%j: timed out', (fields, providerCode) => {
    const e = awsError(Object.assign(new Error('x'), fields), 'aws-1', 'Sign');
    expect({ kind: e.kind, providerCode: e.providerCode, message: e.message }).toEqual({ kind: 'Unavailable', providerCode, message: 'AWS KMS Sign: the service timed out.' });
  });

  it('a transport code wins over a modelled name, and a known name wins over the status', () => {
    expect(awsError({ name: 'ValidationException', code: 'ECONNRESET' }, 'a', 'Op').kind).toBe('Unavailable');
    expect(awsError({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } }, 'a', 'Op').kind).toBe('Throttled');
    expect(awsError({ name: 'ValidationException', $metadata: { httpStatusCode: 503 } }, 'a', 'Op').kind).toBe('InvalidInput');
  });

  it.each([
    [{ $metadata: { httpStatusCode: 500 } }, 'Unavailable', '500', 'AWS KMS Op: server error 500 m'],
    [{ $metadata: { httpStatusCode: 599 } }, 'Unavailable', '599', 'AWS KMS Op: server error 599 m'],
    [{ $fault: 'server' }, 'Unavailable', null, 'AWS KMS Op: server error  m'],
    [{ name: 'NewServerThing', $fault: 'server' }, 'Unavailable', 'NewServerThing', 'AWS KMS Op: server error  m'],
    [{ $metadata: { httpStatusCode: 499 } }, 'InvalidInput', '499', 'AWS KMS Op: 499: m'],
    [{ $metadata: { httpStatusCode: 400 } }, 'InvalidInput', '400', 'AWS KMS Op: 400: m'],
    [{ name: 'NewClientThing', $metadata: { httpStatusCode: 409 } }, 'InvalidInput', 'NewClientThing', 'AWS KMS Op: NewClientThing: m'],
    [{ $metadata: { httpStatusCode: 399 } }, 'Unavailable', null, 'AWS KMS Op: m'],
    [{ $metadata: { httpStatusCode: 200 } }, 'Unavailable', null, 'AWS KMS Op: m'],
    [{}, 'Unavailable', null, 'AWS KMS Op: m'],
    [{ name: 'SocketClosed' }, 'Unavailable', 'SocketClosed', 'AWS KMS Op: m'],
    [{ code: 'EPROTO' }, 'Unavailable', 'EPROTO', 'AWS KMS Op: m'],
  ])('unmodelled %j -> %s', (fields, kind, providerCode, message) => {
    const e = awsError({ message: 'm', ...fields }, 'a', 'Op');
    expect({ kind: e.kind, providerCode: e.providerCode, message: e.message }).toEqual({ kind, providerCode, message });
  });

  it('a client fault without a status is InvalidInput too', () => {
    expect(awsError({ message: 'm', $fault: 'client' }, 'a', 'Op')).toMatchObject({ kind: 'InvalidInput', providerCode: null, message: expect.stringMatching(/^AWS KMS Op: .*: m$/) });
  });

  it('a server error without a message has no trailing space', () => {
    expect(awsError({ message: '', $metadata: { httpStatusCode: 503 } }, 'a', 'Op').message).toBe('AWS KMS Op: server error 503');
  });

  it('anything thrown, also not an object, becomes a ProviderError with its text and no request id', () => {
    expect(awsError('bare string', 'a', 'Op')).toMatchObject({ kind: 'Unavailable', message: 'AWS KMS Op: bare string', providerCode: null, requestId: null, providerId: 'a' });
    expect(awsError(null, 'a', 'Op').message).toBe('AWS KMS Op: null');
    expect(awsError({ name: 7, code: 8, message: 9 }, 'a', 'Op')).toMatchObject({ kind: 'Unavailable', providerCode: null, message: 'AWS KMS Op: [object Object]' });
    const cause = new Error('inner');
    expect(awsError(cause, 'a', 'Op').cause).toBe(cause);
  });
});

describe('Google Cloud KMS: every gRPC status (google.rpc.Code) by number', () => {
  const table: Array<[number, string, string]> = [
    [1, 'CANCELLED', 'Unavailable'], [2, 'UNKNOWN', 'Unavailable'], [3, 'INVALID_ARGUMENT', 'InvalidInput'], [4, 'DEADLINE_EXCEEDED', 'Unavailable'],
    [5, 'NOT_FOUND', 'NotFound'], [6, 'ALREADY_EXISTS', 'InvalidInput'], [7, 'PERMISSION_DENIED', 'AccessDenied'], [8, 'RESOURCE_EXHAUSTED', 'Throttled'],
    [9, 'FAILED_PRECONDITION', 'KeyDisabled'], [10, 'ABORTED', 'Unavailable'], [11, 'OUT_OF_RANGE', 'InvalidInput'], [12, 'UNIMPLEMENTED', 'InvalidInput'],
    [13, 'INTERNAL', 'Unavailable'], [14, 'UNAVAILABLE', 'Unavailable'], [15, 'DATA_LOSS', 'IntegrityFailure'], [16, 'UNAUTHENTICATED', 'AccessDenied'],
  ];

  it.each(table)('%i %s -> %s', (code, name, kind) => {
    const e = gcpError({ code, details: 'd', message: `${code} ${name}: d` }, 'g', 'Decrypt');
    expect({ kind: e.kind, providerCode: e.providerCode, message: e.message }).toEqual({ kind, providerCode: name, message: `Google Cloud KMS Decrypt: ${name}: d` });
  });

  it('status 0 (OK) is no answer the adapter expects: Unavailable, named OK', () => {
    expect(gcpError({ code: 0, details: 'd' }, 'g', 'Op')).toMatchObject({ kind: 'Unavailable', providerCode: 'OK' });
  });

  it.each([
    ['Decryption failed: verify that the key is right', 'IntegrityFailure'],
    ['decryption FAILED', 'IntegrityFailure'],
    ['The checksum in field ciphertext_crc32c did not match', 'IntegrityFailure'],
    ['CHECKSUM mismatch', 'IntegrityFailure'],
    ['field plaintext_CRC32C is wrong', 'IntegrityFailure'],
    ['The plaintext is too long', 'InvalidInput'],
    ['decryption', 'InvalidInput'],
  ])('INVALID_ARGUMENT %j -> %s', (details, kind) => {
    expect(gcpError({ code: 3, details }, 'g', 'Decrypt').kind).toBe(kind);
  });

  it('the integrity texts matter only for INVALID_ARGUMENT', () => {
    expect(gcpError({ code: 9, details: 'Decryption failed' }, 'g', 'Decrypt').kind).toBe('KeyDisabled');
    expect(gcpError({ code: 14, details: 'checksum' }, 'g', 'Decrypt').kind).toBe('Unavailable');
  });

  it('reads the text from details, else message, else the thrown value', () => {
    expect(gcpError({ code: 5, details: 'from details', message: 'from message' }, 'g', 'Op').message).toBe('Google Cloud KMS Op: NOT_FOUND: from details');
    expect(gcpError({ code: 5, details: '', message: 'from message' }, 'g', 'Op').message).toBe('Google Cloud KMS Op: NOT_FOUND: from message');
    expect(gcpError({ code: 5, details: 42, message: 'from message' }, 'g', 'Op').message).toBe('Google Cloud KMS Op: NOT_FOUND: from message');
    expect(gcpError('plain', 'g', 'Op').message).toBe('Google Cloud KMS Op: plain');
    expect(gcpError(null, 'g', 'Op')).toMatchObject({ kind: 'Unavailable', message: 'Google Cloud KMS Op: null', providerCode: null, requestId: null });
  });

  it('keeps the request id: the emulator header first, else x-goog-request-id; a failing metadata read is no id', () => {
    const md = (values: Record<string, string[]>) => ({ get: (k: string) => values[k] ?? [] });
    expect(gcpError({ code: 5, details: 'd', metadata: md({ 'x-ecps-emulator-request-id': ['emu-1'], 'x-goog-request-id': ['goog-1'] }) }, 'g', 'Op').requestId).toBe('emu-1');
    expect(gcpError({ code: 5, details: 'd', metadata: md({ 'x-goog-request-id': ['goog-1'] }) }, 'g', 'Op').requestId).toBe('goog-1');
    expect(gcpError({ code: 5, details: 'd', metadata: { get: () => [7] } }, 'g', 'Op').requestId).toBe('7');
    // grpc-js answers a missing key with an empty list, other clients with nothing at all
    expect(gcpError({ code: 5, details: 'd', metadata: { get: (k: string) => (k === 'x-goog-request-id' ? ['goog-2'] : undefined) } } as never, 'g', 'Op').requestId).toBe('goog-2');
    expect(gcpError({ code: 5, details: 'd', metadata: md({}) }, 'g', 'Op').requestId).toBeNull();
    expect(gcpError({ code: 5, details: 'd', metadata: {} }, 'g', 'Op').requestId).toBeNull();
    expect(gcpError({ code: 5, details: 'd', metadata: { get: () => { throw new Error('x'); } } }, 'g', 'Op').requestId).toBeNull();
  });

  it('without a gRPC status: credential problems are AccessDenied, everything else Unavailable', () => {
    for (const text of ['Could not load the default credentials', 'key file unreadable', 'keyfile missing', "ENOENT: no such file '/sa.json'", 'error:1E08010C:DECODER routines::unsupported private key',
      'The incoming JSON object does not contain a client_email field', 'CREDENTIAL error']) {
      expect(gcpError(new Error(text), 'g', 'Op'), text).toMatchObject({ kind: 'AccessDenied', providerCode: null, message: `Google Cloud KMS Op: ${text}` });
    }
    for (const text of ['socket hang up', 'connect ECONNREFUSED 127.0.0.1:1', 'keys file']) expect(gcpError(new Error(text), 'g', 'Op').kind, text).toBe('Unavailable');
    // A code that is no google.rpc.Code number is no status either; a string code is kept as providerCode.
    expect(gcpError({ code: 99, details: 'd' }, 'g', 'Op')).toMatchObject({ kind: 'Unavailable', providerCode: null });
    expect(gcpError({ code: 3.5, details: 'd' }, 'g', 'Op')).toMatchObject({ kind: 'Unavailable', providerCode: null });
    expect(gcpError({ code: 'ECONNRESET', message: 'reset' }, 'g', 'Op')).toMatchObject({ kind: 'Unavailable', providerCode: 'ECONNRESET' });
    // A numeric string is a transport code, not a gRPC status: '5' is not NOT_FOUND.
    expect(gcpError({ code: '5', message: 'x' }, 'g', 'Op')).toMatchObject({ kind: 'Unavailable', providerCode: '5' });
    const already = new ProviderError('NotFound', 'x', { providerId: 'g' });
    expect(gcpError(already, 'g', 'Op')).toBe(already);
  });
});

describe('PKCS#11: every CKR_* the adapter knows, by group', () => {
  const err = (name: string) => new pkcs11js.Pkcs11Error(name, (pkcs11js as unknown as Record<string, number>)[name]!, 'C_Test');
  const groups: Array<[string, string[], string]> = [
    ['removed token', ['CKR_TOKEN_NOT_PRESENT', 'CKR_DEVICE_REMOVED', 'CKR_SESSION_HANDLE_INVALID', 'CKR_SESSION_CLOSED', 'CKR_TOKEN_NOT_RECOGNIZED', 'CKR_SLOT_ID_INVALID'], 'Unavailable'],
    ['failed device', ['CKR_DEVICE_ERROR', 'CKR_DEVICE_MEMORY', 'CKR_CRYPTOKI_NOT_INITIALIZED', 'CKR_HOST_MEMORY', 'CKR_FUNCTION_FAILED'], 'Unavailable'],
    ['integrity', ['CKR_ENCRYPTED_DATA_INVALID', 'CKR_ENCRYPTED_DATA_LEN_RANGE', 'CKR_SIGNATURE_INVALID', 'CKR_SIGNATURE_LEN_RANGE'], 'IntegrityFailure'],
    ['refused request', ['CKR_KEY_FUNCTION_NOT_PERMITTED', 'CKR_KEY_TYPE_INCONSISTENT', 'CKR_MECHANISM_INVALID', 'CKR_MECHANISM_PARAM_INVALID', 'CKR_DATA_LEN_RANGE',
      'CKR_DATA_INVALID', 'CKR_ATTRIBUTE_VALUE_INVALID', 'CKR_TEMPLATE_INCONSISTENT', 'CKR_TEMPLATE_INCOMPLETE', 'CKR_ARGUMENTS_BAD', 'CKR_KEY_SIZE_RANGE', 'CKR_ATTRIBUTE_READ_ONLY'], 'InvalidInput'],
    ['missing object', ['CKR_OBJECT_HANDLE_INVALID', 'CKR_KEY_HANDLE_INVALID'], 'NotFound'],
    ['not permitted', ['CKR_USER_NOT_LOGGED_IN', 'CKR_PIN_EXPIRED', 'CKR_PIN_INVALID', 'CKR_PIN_LEN_RANGE', 'CKR_USER_PIN_NOT_INITIALIZED', 'CKR_TOKEN_WRITE_PROTECTED'], 'AccessDenied'],
  ];
  const texts: Record<string, (code: string) => string> = {
    'removed token': (c) => `PKCS#11 op: the token is not present or was removed (${c}).`,
    'failed device': (c) => `PKCS#11 op: the token or module failed (${c}).`,
    integrity: (c) => `PKCS#11 op: the data did not verify (${c}).`,
    'refused request': (c) => `PKCS#11 op: the token refused the request (${c}).`,
    'missing object': (c) => `PKCS#11 op: the key object no longer exists (${c}).`,
    'not permitted': (c) => `PKCS#11 op: not permitted (${c}).`,
  };

  for (const [group, codes, kind] of groups) {
    it.each(codes)(`${group}: %s -> ${kind}`, (code) => {
      for (const context of ['login', 'decrypt', 'verify', 'other'] as const) {
        const e = pkcs11Error(err(code), 'hsm', 'op', context);
        expect({ kind: e.kind, providerCode: e.providerCode, message: e.message }).toEqual({ kind, providerCode: code, message: texts[group]!(code) });
      }
    });
  }

  it('CKR_AEAD_DECRYPT_FAILED (PKCS#11 3.0, 0x42; the binding has no constant for it) is a failed tag check', () => {
    expect((pkcs11js as unknown as Record<string, unknown>).CKR_AEAD_DECRYPT_FAILED).toBeUndefined();
    expect(ckrName(0x42)).toBe('CKR_AEAD_DECRYPT_FAILED');
    for (const context of ['decrypt', 'other'] as const) {
      expect(pkcs11Error(new pkcs11js.Pkcs11Error('CKR_AEAD_DECRYPT_FAILED', 0x42, 'C_Decrypt'), 'hsm', 'op', context)).toMatchObject({
        kind: 'IntegrityFailure', providerCode: 'CKR_AEAD_DECRYPT_FAILED', message: 'PKCS#11 op: the data did not verify (CKR_AEAD_DECRYPT_FAILED).',
      });
    }
  });

  it('the PIN: wrong is AccessDenied, locked is AccessDenied telling who can unblock it', () => {
    expect(pkcs11Error(err('CKR_PIN_INCORRECT'), 'hsm', 'C_Login', 'login')).toMatchObject({
      kind: 'AccessDenied', providerCode: 'CKR_PIN_INCORRECT', message: 'PKCS#11 C_Login: the token rejected the PIN (CKR_PIN_INCORRECT).',
    });
    expect(pkcs11Error(err('CKR_PIN_LOCKED'), 'hsm', 'C_Login', 'login')).toMatchObject({
      kind: 'AccessDenied', providerCode: 'CKR_PIN_LOCKED',
      message: "PKCS#11 C_Login: the user PIN is locked (CKR_PIN_LOCKED); the token's security officer (SO) must unblock or reset it.",
    });
  });

  it('CKR_GENERAL_ERROR is a failed tag check only while decrypting (SoftHSM2), otherwise the module failed', () => {
    expect(pkcs11Error(err('CKR_GENERAL_ERROR'), 'hsm', 'C_Decrypt', 'decrypt')).toMatchObject({
      kind: 'IntegrityFailure', message: 'PKCS#11 C_Decrypt: the ciphertext or associated data did not verify (CKR_GENERAL_ERROR).',
    });
    for (const context of ['login', 'verify', 'other'] as const) {
      expect(pkcs11Error(err('CKR_GENERAL_ERROR'), 'hsm', 'C_Sign', context)).toMatchObject({ kind: 'Unavailable', message: 'PKCS#11 C_Sign failed (CKR_GENERAL_ERROR).' });
    }
    expect(pkcs11Error(err('CKR_GENERAL_ERROR'), 'hsm', 'C_Sign').kind).toBe('Unavailable');
  });

  it('an unlisted code is Unavailable under its CKR name; an unnamed one under its hex value', () => {
    expect(pkcs11Error(err('CKR_OPERATION_ACTIVE'), 'hsm', 'op')).toMatchObject({ kind: 'Unavailable', providerCode: 'CKR_OPERATION_ACTIVE', message: 'PKCS#11 op failed (CKR_OPERATION_ACTIVE).' });
    expect(ckrName(0x999)).toBe('CKR_0x00000999');
    expect(ckrName(0x80000001)).toBe('CKR_0x80000001');
    expect(ckrName(0)).toBe('CKR_OK');
    expect(pkcs11Error(new pkcs11js.Pkcs11Error('vendor', 0x80000001, 'C_X'), 'hsm', 'op').providerCode).toBe('CKR_0x80000001');
  });

  it('something that is not a PKCS#11 return value is Unavailable PKCS11_NATIVE, with its text', () => {
    expect(pkcs11Code(new Error('x'))).toBeNull();
    expect(pkcs11Code({ code: 0xa0 })).toBeNull();
    expect(pkcs11Code(err('CKR_PIN_INCORRECT'))).toBe('CKR_PIN_INCORRECT');
    expect(pkcs11Error('not an error', 'hsm', 'load')).toMatchObject({ kind: 'Unavailable', providerCode: 'PKCS11_NATIVE', message: 'PKCS#11 load failed: not an error' });
    const cause = new Error('dlopen: no such file');
    expect(pkcs11Error(cause, 'hsm', 'load')).toMatchObject({ message: 'PKCS#11 load failed: dlopen: no such file', providerId: 'hsm', cause });
    const already = new ProviderError('NotFound', 'x', { providerId: 'hsm' });
    expect(pkcs11Error(already, 'hsm', 'op')).toBe(already);
  });
});
