// gRPC / google.rpc status -> the normalised ProviderError kinds, keeping the status name as providerCode.
import { ProviderError, type ProviderErrorKind } from '../types.ts';

/** google.rpc.Code numbers and names. */
const CODE_NAMES: readonly string[] = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS',
  'UNAUTHENTICATED',
];

const KIND_BY_NAME: Readonly<Record<string, ProviderErrorKind>> = {
  CANCELLED: 'Unavailable',
  UNKNOWN: 'Unavailable',
  INVALID_ARGUMENT: 'InvalidInput',
  DEADLINE_EXCEEDED: 'Unavailable',
  NOT_FOUND: 'NotFound',
  ALREADY_EXISTS: 'InvalidInput',
  PERMISSION_DENIED: 'AccessDenied',
  RESOURCE_EXHAUSTED: 'Throttled',
  FAILED_PRECONDITION: 'KeyDisabled',
  ABORTED: 'Unavailable',
  OUT_OF_RANGE: 'InvalidInput',
  UNIMPLEMENTED: 'InvalidInput',
  INTERNAL: 'Unavailable',
  UNAVAILABLE: 'Unavailable',
  DATA_LOSS: 'IntegrityFailure',
  UNAUTHENTICATED: 'AccessDenied',
};

/** INVALID_ARGUMENT texts that mean "the data did not verify" rather than "the request was malformed". */
const INTEGRITY_TEXT = /decryption failed|checksum|crc32c/i;

interface GrpcLikeError {
  code?: unknown;
  details?: unknown;
  message?: unknown;
  metadata?: { get?: (key: string) => unknown[] };
}

function requestIdOf(err: GrpcLikeError): string | null {
  try {
    const v = err.metadata?.get?.('x-ecps-emulator-request-id')?.[0] ?? err.metadata?.get?.('x-goog-request-id')?.[0];
    return v === undefined ? null : String(v);
  } catch {
    return null;
  }
}

export function toProviderError(e: unknown, providerId: string, operation: string): ProviderError {
  if (e instanceof ProviderError) return e;
  const err = (typeof e === 'object' && e !== null ? e : {}) as GrpcLikeError;
  const code = typeof err.code === 'number' && Number.isInteger(err.code) ? err.code : null;
  const name = code !== null ? (CODE_NAMES[code] ?? null) : null;
  const details = typeof err.details === 'string' && err.details !== '' ? err.details : typeof err.message === 'string' ? err.message : String(e);
  const opts = { providerId, providerCode: name ?? (typeof err.code === 'string' ? err.code : null), requestId: requestIdOf(err), cause: e };
  if (name === null) {
    // No gRPC status: the call never completed (client could not be built, credentials file unreadable, socket error).
    const credentials = /credential|key ?file|ENOENT|private key|client_email/i.test(details);
    return new ProviderError(credentials ? 'AccessDenied' : 'Unavailable', `Google Cloud KMS ${operation}: ${details}`, opts);
  }
  let kind = KIND_BY_NAME[name] ?? 'Unavailable';
  if (name === 'INVALID_ARGUMENT' && INTEGRITY_TEXT.test(details)) kind = 'IntegrityFailure';
  return new ProviderError(kind, `Google Cloud KMS ${operation}: ${name}: ${details}`, opts);
}
