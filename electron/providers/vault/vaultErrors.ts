// Vault failures -> ProviderError. Vault answers {"errors": [...]} with an HTTP status; node-vault rejects with an
// ApiResponseError carrying both, and network failures come through as axios errors with a Node error code.
// Neither the raw error nor its request config is attached as `cause`: the config holds the X-Vault-Token header.
import { isProviderError, ProviderError, type ProviderErrorKind } from '../types.ts';

interface VaultResponseFailure {
  response: { statusCode: number; body: unknown };
}

function isResponseFailure(e: unknown): e is VaultResponseFailure {
  if (typeof e !== 'object' || e === null || !('response' in e)) return false;
  const r = (e as { response: unknown }).response;
  return typeof r === 'object' && r !== null && typeof (r as { statusCode?: unknown }).statusCode === 'number';
}

/** The strings of Vault's {"errors": [...]} body. */
export function vaultErrorStrings(body: unknown): string[] {
  if (typeof body !== 'object' || body === null) return [];
  const errors = (body as { errors?: unknown }).errors;
  return Array.isArray(errors) ? errors.filter((s): s is string => typeof s === 'string') : [];
}

// 400 is Vault's answer for both bad input and a key in the wrong state; its texts tell them apart.
const NOT_FOUND_400 = /encryption key not found|signing key not found|verification key not found|^key not found|no existing key named .* could be found|could not delete key; not found/;
// "* " starts each line of Go's multierror text ("1 error occurred:\n\t* cipher: message authentication failed").
const INTEGRITY = /message authentication failed|(?:^|\* )invalid ciphertext|(?:^|\* )invalid signature|invalid base64 signature|supplied signature|failed to RSA decrypt/m;
const STATE_400 = /disallowed by policy \(too old\)|deletion is not allowed|less than the minimum encryption key version/;

export function kindForStatus(status: number, message: string): ProviderErrorKind {
  // Vault before 1.10 answers a ciphertext or associated data that fails authentication with 500 (hashicorp/vault
  // #10842): the text, not the status, says it is the caller's input, which must never count against the provider.
  if (status >= 500 && INTEGRITY.test(message)) return 'IntegrityFailure';
  if (status === 400) {
    if (NOT_FOUND_400.test(message)) return 'NotFound';
    if (INTEGRITY.test(message)) return 'IntegrityFailure';
    if (STATE_400.test(message)) return 'KeyDisabled';
    return 'InvalidInput';
  }
  if (status === 401 || status === 403) return 'AccessDenied';
  if (status === 404) return 'NotFound';
  if (status === 429) return 'Throttled';
  // 412: a standby has not caught up yet; 472 / 473: a DR secondary or performance standby answered.
  if (status === 412 || status === 472 || status === 473 || status >= 500) return 'Unavailable';
  if (status >= 400) return 'InvalidInput';
  return 'Unavailable';
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
]);

/** Normalises anything a node-vault call rejected with. `what` names the operation and key, never data. */
export function toProviderError(providerId: string, what: string, e: unknown): ProviderError {
  if (isProviderError(e)) return e;
  if (isResponseFailure(e)) {
    const status = e.response.statusCode;
    const texts = vaultErrorStrings(e.response.body);
    const message = texts.join('; ') || (status === 404 ? 'not found' : `HTTP ${status}`);
    const body = e.response.body as { request_id?: unknown } | null;
    const requestId = body && typeof body.request_id === 'string' && body.request_id ? body.request_id : null;
    return new ProviderError(kindForStatus(status, message), `Vault ${what}: ${message}`, { providerId, providerCode: String(status), requestId });
  }
  const code = typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : null;
  const detail = e instanceof Error ? e.message : String(e);
  if (code && TLS_CODES.has(code))
    return new ProviderError('Unavailable', `Vault ${what}: TLS verification failed (${code}); check caCertPem and the server certificate`, {
      providerId,
      providerCode: code,
      retryable: false,
    });
  return new ProviderError('Unavailable', `Vault ${what}: ${code ? `${code}: ` : ''}${detail}`, { providerId, providerCode: code });
}
