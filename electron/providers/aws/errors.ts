// AWS KMS errors -> the normalised ProviderError kinds, keeping the service's __type as providerCode and its request id.
import { ProviderError, type ProviderErrorKind } from '../types.ts';

const KIND_BY_CODE: Readonly<Record<string, ProviderErrorKind>> = {
  NotFoundException: 'NotFound',
  AccessDeniedException: 'AccessDenied',
  UnrecognizedClientException: 'AccessDenied',
  InvalidSignatureException: 'AccessDenied',
  IncompleteSignatureException: 'AccessDenied',
  MissingAuthenticationTokenException: 'AccessDenied',
  InvalidClientTokenId: 'AccessDenied',
  ExpiredTokenException: 'AccessDenied',
  SignatureDoesNotMatch: 'AccessDenied',
  CredentialsProviderError: 'AccessDenied',
  ThrottlingException: 'Throttled',
  RequestLimitExceeded: 'Throttled',
  TooManyRequestsException: 'Throttled',
  DisabledException: 'KeyDisabled',
  KMSInvalidStateException: 'KeyDisabled',
  KeyUnavailableException: 'KeyDisabled',
  InvalidCiphertextException: 'IntegrityFailure',
  KMSInvalidSignatureException: 'IntegrityFailure',
  IncorrectKeyException: 'IntegrityFailure',
  KMSInvalidMacException: 'IntegrityFailure',
  ValidationException: 'InvalidInput',
  SerializationException: 'InvalidInput',
  InvalidKeyUsageException: 'InvalidInput',
  UnsupportedOperationException: 'InvalidInput',
  InvalidAliasNameException: 'InvalidInput',
  AlreadyExistsException: 'InvalidInput',
  InvalidArnException: 'InvalidInput',
  InvalidMarkerException: 'InvalidInput',
  InvalidGrantTokenException: 'InvalidInput',
  LimitExceededException: 'InvalidInput',
  MalformedPolicyDocumentException: 'InvalidInput',
  TagException: 'InvalidInput',
  UnknownOperationException: 'InvalidInput',
  KMSInternalException: 'Unavailable',
  DependencyTimeoutException: 'Unavailable',
  ServiceUnavailableException: 'Unavailable',
  InternalFailure: 'Unavailable',
};

/** Transport failures: nothing reached the service or no answer came back. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

interface SdkLikeError {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

export function toProviderError(e: unknown, providerId: string, operation: string): ProviderError {
  if (e instanceof ProviderError) return e;
  const err = (typeof e === 'object' && e !== null ? e : {}) as SdkLikeError;
  const name = typeof err.name === 'string' ? err.name : null;
  const code = typeof err.code === 'string' ? err.code : null;
  const message = typeof err.message === 'string' ? err.message : String(e);
  const status = err.$metadata?.httpStatusCode;
  const requestId = err.$metadata?.requestId ?? null;
  const opts = (providerCode: string | null) => ({ providerId, providerCode, requestId, cause: e });

  if (name === 'AbortError' || name === 'TimeoutError' || (code !== null && NETWORK_CODES.has(code))) {
    const what = name === 'AbortError' || name === 'TimeoutError' || code === 'ETIMEDOUT' ? 'timed out' : `could not be reached (${code})`;
    return new ProviderError('Unavailable', `AWS KMS ${operation}: the service ${what}.`, opts(code ?? name));
  }
  // Own keys only: the name is the service's text, and 'constructor' or '__proto__' must not reach Object.prototype.
  const mapped = name !== null && Object.hasOwn(KIND_BY_CODE, name) ? KIND_BY_CODE[name] : undefined;
  if (mapped) return new ProviderError(mapped, `AWS KMS ${operation}: ${name}: ${message}`, opts(name));
  if (err.$fault === 'server' || (status !== undefined && status >= 500))
    return new ProviderError('Unavailable', `AWS KMS ${operation}: server error ${status ?? ''} ${message}`.trim(), opts(name ?? (status === undefined ? null : String(status))));
  if (err.$fault === 'client' || (status !== undefined && status >= 400))
    return new ProviderError('InvalidInput', `AWS KMS ${operation}: ${name ?? status}: ${message}`, opts(name ?? (status === undefined ? null : String(status))));
  // No HTTP status and no known code: the request did not complete (socket closed, unparseable answer).
  return new ProviderError('Unavailable', `AWS KMS ${operation}: ${message}`, opts(code ?? name));
}
