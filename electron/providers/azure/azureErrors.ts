// Azure errors -> the normalised ProviderError kinds, keeping Key Vault's error code (or Entra's error, or the
// network code) as providerCode and x-ms-request-id as requestId. The raw error is never attached as cause: its
// request object carries the Authorization header.
import { ProviderError, type ProviderErrorKind } from '../types.ts';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'REQUEST_SEND_ERROR']);
const TLS_CODES = /^(CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_TLS_|ERR_SSL_)/;

interface AzureLikeError {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  statusCode?: unknown;
  response?: { headers?: { get?(name: string): string | undefined } };
  errorResponse?: { error?: unknown; errorDescription?: unknown };
}

function kindOfStatus(status: number, message: string): ProviderErrorKind {
  if (status === 401) return 'AccessDenied';
  // Key Vault answers 403 "Forbidden" both for a disabled key and for a missing permission; the message tells them apart.
  if (status === 403) return /disabled/i.test(message) ? 'KeyDisabled' : 'AccessDenied';
  if (status === 404) return 'NotFound';
  if (status === 429) return 'Throttled';
  if (status >= 500) return 'Unavailable';
  return 'InvalidInput';
}

export function toProviderError(e: unknown, providerId: string, operation: string): ProviderError {
  if (e instanceof ProviderError) return e;
  const err = (typeof e === 'object' && e !== null ? e : {}) as AzureLikeError;
  const name = typeof err.name === 'string' ? err.name : 'Error';
  const message = typeof err.message === 'string' ? err.message.split('\n')[0]!.slice(0, 500) : String(e);
  const code = typeof err.code === 'string' ? err.code : null;
  const status = typeof err.statusCode === 'number' ? err.statusCode : null;
  const requestId = err.response?.headers?.get?.('x-ms-request-id') ?? null;
  const make = (kind: ProviderErrorKind, text: string, providerCode: string | null, retryable?: boolean) =>
    new ProviderError(kind, `Azure Key Vault ${operation}: ${text}`, { providerId, providerCode, requestId, ...(retryable === undefined ? {} : { retryable }) });

  if (name === 'AbortError' || name === 'TimeoutError') return make('Unavailable', 'the service did not answer in time.', name);
  if (name === 'CredentialUnavailableError') return make('AccessDenied', `no credential is available (${message}).`, 'CredentialUnavailable');
  if (name === 'AuthenticationError' || name === 'AuthenticationRequiredError') {
    // MSAL's message starts with Entra's error ("invalid_client: ... AADSTS7000215 ...").
    const entra = typeof err.errorResponse?.error === 'string' ? err.errorResponse.error : (/^([a-z_]+):/.exec(message)?.[1] ?? null);
    if ((status !== null && (status >= 500 || status === 429)) || entra === 'temporarily_unavailable' || entra === 'server_error')
      return make(status === 429 ? 'Throttled' : 'Unavailable', `the token service is unavailable (${entra ?? status}).`, entra ?? String(status));
    if (/ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|socket hang up|network/i.test(message))
      return make('Unavailable', 'the token service could not be reached.', code ?? 'NetworkError');
    return make('AccessDenied', `authentication failed: ${message}`, entra ?? name, false);
  }
  if (code !== null && TLS_CODES.test(code)) return make('Unavailable', `TLS verification of the service failed (${code}).`, code, false);
  if (status !== null) return make(kindOfStatus(status, message), `${code ?? status}: ${message}`, code ?? String(status));
  if (name === 'RestError' || (code !== null && NETWORK_CODES.has(code))) return make('Unavailable', `the service could not be reached (${code ?? message}).`, code ?? name);
  // The SDK's own client-side checks (e.g. a key operation the key does not allow) throw plain errors.
  if (/not supported|not allowed|can't be used|expired/i.test(message)) return make('InvalidInput', message, name);
  return make('Unavailable', message, code ?? name);
}
