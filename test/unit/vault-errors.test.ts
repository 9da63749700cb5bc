// Vault statuses and error texts -> ProviderError kinds; Vault's code is kept, the raw client error is not attached.
import { describe, expect, it } from 'vitest';
import { kindForStatus, toProviderError, vaultErrorStrings } from '../../electron/providers/vault/vaultErrors.ts';
import { ProviderError } from '../../electron/providers/types.ts';

describe('vault error normalisation', () => {
  it.each([
    [400, 'encryption key not found', 'NotFound'],
    [400, 'no existing key named k could be found', 'NotFound'],
    [400, 'error deleting policy k: could not delete key; not found', 'NotFound'],
    [400, 'cipher: message authentication failed', 'IntegrityFailure'],
    [400, 'invalid ciphertext: version is too new', 'IntegrityFailure'],
    [400, 'ciphertext or signature version is disallowed by policy (too old)', 'KeyDisabled'],
    [400, 'error deleting policy k: deletion is not allowed for this key', 'KeyDisabled'],
    [400, 'key type aes256-gcm96 does not support signing', 'InvalidInput'],
    [403, 'permission denied', 'AccessDenied'],
    [404, 'not found', 'NotFound'],
    [405, 'unsupported operation', 'InvalidInput'],
    [413, 'http: request body too large', 'InvalidInput'],
    [429, 'request path "transit/encrypt/k": rate limit quota exceeded', 'Throttled'],
    [412, 'required index state not present', 'Unavailable'],
    [500, 'internal error', 'Unavailable'],
    // Vault < 1.10 (hashicorp/vault #10842): a ciphertext or context that fails authentication is a 500 in multierror text.
    [500, '1 error occurred:\n\t* cipher: message authentication failed\n\n', 'IntegrityFailure'],
    [500, 'failed to RSA decrypt the ciphertext: crypto/rsa: decryption error', 'IntegrityFailure'],
    [502, 'error reading policy: context deadline exceeded', 'Unavailable'],
    [503, 'Vault is sealed', 'Unavailable'],
    [473, '', 'Unavailable'],
  ])('%i %s -> %s', (status, message, kind) => {
    expect(kindForStatus(status, message)).toBe(kind);
  });

  it('keeps the status as providerCode and the request id where the body has one', () => {
    const e = toProviderError('v1', 'decrypt with k', { response: { statusCode: 400, body: { errors: ['cipher: message authentication failed'], request_id: 'r-1' } } });
    expect(e).toMatchObject({ kind: 'IntegrityFailure', providerId: 'v1', providerCode: '400', requestId: 'r-1', retryable: false });
    expect(e.message).toBe('Vault decrypt with k: cipher: message authentication failed');
  });

  it('maps network failures to retryable Unavailable and TLS failures to non-retryable Unavailable, without the raw error', () => {
    const secretConfig = { headers: { 'X-Vault-Token': 'hvs.secret' } };
    const reset = toProviderError('v1', 'encrypt', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', config: secretConfig }));
    expect(reset).toMatchObject({ kind: 'Unavailable', providerCode: 'ECONNRESET', retryable: true });
    expect(reset.cause).toBeUndefined();
    const tls = toProviderError('v1', 'encrypt', Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }));
    expect(tls).toMatchObject({ kind: 'Unavailable', providerCode: 'DEPTH_ZERO_SELF_SIGNED_CERT', retryable: false });
    expect(JSON.stringify([reset.message, tls.message])).not.toContain('hvs.secret');
  });
});

// What node-vault rejects with, written out as Vault and axios produce it (docs/provider-vault.md, "Errors").
const answer = (statusCode: number, body: unknown) => ({ response: { statusCode, body } });

describe('vault error normalisation: every documented status and text', () => {
  it.each([
    // 401 and 403 are both a refused token.
    [401, 'permission denied', 'AccessDenied'],
    // The 400 texts that name a missing key (a realistic transit key name: the console's key-<uuid>).
    [400, 'signing key not found', 'NotFound'],
    [400, 'verification key not found', 'NotFound'],
    [400, 'key not found', 'NotFound'],
    [400, 'no existing key named key-7d1f2a3b could be found', 'NotFound'],
    // Integrity texts, also at the start of a 400 answer and inside Go's multierror text.
    [400, 'invalid signature', 'IntegrityFailure'],
    [400, '1 error occurred:\n\t* invalid ciphertext: unable to decrypt\n\n', 'IntegrityFailure'],
    [400, 'invalid base64 signature', 'IntegrityFailure'],
    [400, 'the supplied signature does not match', 'IntegrityFailure'],
    [400, 'failed to RSA decrypt the ciphertext', 'IntegrityFailure'],
    [400, 'requested version for decryption is less than the minimum encryption key version', 'KeyDisabled'],
    // The integrity exception is for server errors only: a refused token or a missing key keeps its own kind.
    [403, 'cipher: message authentication failed', 'AccessDenied'],
    [404, 'invalid ciphertext', 'NotFound'],
    [599, 'cipher: message authentication failed', 'IntegrityFailure'],
    [499, 'client closed request', 'InvalidInput'],
    [472, '', 'Unavailable'],
    // Not an error status: a standby's 307 redirect (or any other answer node-vault rejects) means "not here, not now".
    [307, '', 'Unavailable'],
    [200, '', 'Unavailable'],
  ])('%i %j -> %s', (status, message, kind) => {
    expect(kindForStatus(status, message)).toBe(kind);
  });

  it('reads the strings of {"errors": [...]} and nothing else', () => {
    expect(vaultErrorStrings({ errors: ['a', 2, null, 'b', { x: 1 }] })).toEqual(['a', 'b']);
    expect(vaultErrorStrings({ errors: 'not a list' })).toEqual([]);
    expect(vaultErrorStrings({})).toEqual([]);
    expect(vaultErrorStrings(null)).toEqual([]);
    expect(vaultErrorStrings('errors')).toEqual([]);
    expect(vaultErrorStrings(undefined)).toEqual([]);
  });

  it.each([
    // body, status, expected message, expected request id
    [{ errors: ['first', 'second'] }, 400, 'Vault op on k: first; second', null],
    [{ errors: [] }, 404, 'Vault op on k: not found', null],
    [null, 404, 'Vault op on k: not found', null],
    ['<html>bad gateway</html>', 502, 'Vault op on k: HTTP 502', null],
    [{ errors: [], request_id: '' }, 503, 'Vault op on k: HTTP 503', null],
    [{ errors: [], request_id: 42 }, 503, 'Vault op on k: HTTP 503', null],
    [{ errors: ['sealed'], request_id: 'req-9' }, 503, 'Vault op on k: sealed', 'req-9'],
  ])('an answer with body %j and status %i', (body, status, message, requestId) => {
    const e = toProviderError('v1', 'op on k', answer(status, body));
    expect({ message: e.message, requestId: e.requestId, providerCode: e.providerCode, providerId: e.providerId }).toEqual({ message, requestId, providerCode: String(status), providerId: 'v1' });
  });

  it('an error body whose texts say not found on a 404 and an empty 502 keep their kinds', () => {
    expect(toProviderError('v1', 'op', answer(404, null)).kind).toBe('NotFound');
    expect(toProviderError('v1', 'op', answer(502, null)).kind).toBe('Unavailable');
  });

  it('hands a ProviderError through unchanged', () => {
    const original = new ProviderError('KeyDisabled', 'already normalised', { providerId: 'v1', providerCode: 'x' });
    expect(toProviderError('v2', 'op', original)).toBe(original);
  });

  it.each([
    // What is not a Vault answer is a transport failure: retryable Unavailable, the Node code kept when there is one.
    ['a string', 'connection lost', 'Vault op: connection lost', null],
    ['null', null, 'Vault op: null', null],
    ['a response that is null', { response: null, message: 'm' }, 'Vault op: [object Object]', null],
    ['a response that is text', { response: 'oops' }, 'Vault op: [object Object]', null],
    ['a response without a numeric status', { response: { statusCode: '500', body: {} } }, 'Vault op: [object Object]', null],
    ['an error with a numeric code', Object.assign(new Error('odd'), { code: 42 }), 'Vault op: odd', null],
    ['an error without a code', new Error('socket closed'), 'Vault op: socket closed', null],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8200'), { code: 'ECONNREFUSED' }), 'Vault op: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:8200', 'ECONNREFUSED'],
  ])('%s', (_what, thrown, message, providerCode) => {
    const e = toProviderError('v1', 'op', thrown);
    expect({ kind: e.kind, message: e.message, providerCode: e.providerCode, retryable: e.retryable, cause: e.cause }).toEqual({ kind: 'Unavailable', message, providerCode, retryable: true, cause: undefined });
  });

  it.each([
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'CERT_HAS_EXPIRED',
    'CERT_NOT_YET_VALID',
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'CERT_SIGNATURE_FAILURE',
  ])('TLS verification failure %s: Unavailable, not retried, pointing at caCertPem', (code) => {
    const e = toProviderError('v1', 'encrypt with k', Object.assign(new Error('certificate problem'), { code }));
    expect({ kind: e.kind, providerCode: e.providerCode, retryable: e.retryable, message: e.message }).toEqual({
      kind: 'Unavailable', providerCode: code, retryable: false, message: `Vault encrypt with k: TLS verification failed (${code}); check caCertPem and the server certificate`,
    });
  });
});
