// Vault statuses and error texts -> ProviderError kinds; Vault's code is kept, the raw client error is not attached.
import { describe, expect, it } from 'vitest';
import { kindForStatus, toProviderError } from '../../electron/providers/vault/vaultErrors.ts';

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
