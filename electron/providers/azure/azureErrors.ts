// Azure errors -> the normalised ProviderError kinds, keeping Key Vault's error code (its innererror.code when it
// has one, else error.code; or Entra's error, or the network code) as providerCode and x-ms-request-id as
// requestId. Kinds come from the status and the codes, never from the message text. The raw error is never attached
// as cause: its request object carries the Authorization header.
import { ProviderError, type ProviderErrorKind } from '../types.ts';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'REQUEST_SEND_ERROR']);
const TLS_CODES = /^(CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_TLS_|ERR_SSL_)/;

type KvErrorBody = { code?: unknown; innerError?: KvErrorBody | null; innererror?: KvErrorBody | null } | null | undefined;

interface AzureLikeError {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  statusCode?: unknown;
  /** What @azure/keyvault-keys parsed from the KeyVaultError body ({error: {code, message, innerError}}). */
  details?: { error?: KvErrorBody };
  response?: { headers?: { get?(name: string): string | undefined } };
  errorResponse?: { error?: unknown; errorDescription?: unknown };
}

/**
 * 403 inner codes of a key whose state forbids the operation (Key Vault answers a disabled key with innererror
 * KeyDisabled; KeyExpired / KeyNotYetValid are assumed by analogy with SecretExpired). Every other 403 (ForbiddenByRbac,
 * ForbiddenByPolicy, ForbiddenByFirewall, AccessDenied, or none) is a refused caller.
 */
const KEY_STATE_CODES = new Set(['KeyDisabled', 'KeyExpired', 'KeyNotYetValid']);

/** The innermost innererror.code of a Key Vault error body, if any. */
function innerCodeOf(body: KvErrorBody): string | null {
  let code: string | null = null;
  for (let e = body?.innerError ?? body?.innererror, depth = 0; e && depth < 5; e = e.innerError ?? e.innererror, depth++) if (typeof e.code === 'string') code = e.code;
  return code;
}

function kindOfStatus(status: number, innerCode: string | null): ProviderErrorKind {
  if (status === 401) return 'AccessDenied';
  // Key Vault answers 403 "Forbidden" both for a key state and for a refused caller: innererror.code tells them apart.
  if (status === 403) return innerCode !== null && KEY_STATE_CODES.has(innerCode) ? 'KeyDisabled' : 'AccessDenied';
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
  if (status !== null) {
    const inner = innerCodeOf(err.details?.error);
    return make(kindOfStatus(status, inner), `${inner ?? code ?? status}: ${message}`, inner ?? code ?? String(status));
  }
  if (name === 'RestError' || (code !== null && NETWORK_CODES.has(code))) return make('Unavailable', `the service could not be reached (${code ?? message}).`, code ?? name);
  return make('Unavailable', message, code ?? name);
}
