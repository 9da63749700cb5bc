// Turns whatever a provider call threw into a ConsoleError with a stable code, and gives the audit its facts:
// provider id, the provider's own error code and its request id (never secrets: provider messages carry none).
import { ConsoleError, type ErrorCode, isConsoleError } from '../../../shared/errors.ts';
import { isProviderError, type ProviderErrorKind } from '../../providers/types.ts';
import type { AuditDetails } from '../audit/auditLog.ts';

const CODE_OF: Readonly<Record<ProviderErrorKind, ErrorCode>> = {
  Unavailable: 'provider_unavailable',
  Throttled: 'provider_unavailable',
  AccessDenied: 'provider_access_denied',
  NotFound: 'not_found',
  InvalidInput: 'invalid_input',
  KeyDisabled: 'key_disabled',
  IntegrityFailure: 'integrity_failure',
  Unsupported: 'provider_unsupported',
};

/**
 * A provider failure as a ConsoleError. `integrityCode` says what an IntegrityFailure means for this operation
 * (ciphertext_tampered when unwrapping data, integrity_failure for stored material or backups).
 */
export function providerFailure(e: unknown, integrityCode: ErrorCode = 'integrity_failure'): ConsoleError {
  if (isConsoleError(e)) return e;
  if (isProviderError(e)) {
    const code = e.kind === 'IntegrityFailure' ? integrityCode : CODE_OF[e.kind];
    // retryable: the provider said trying again may succeed (unreachable, throttled); batch jobs retry only these.
    const details: Record<string, string | number | boolean | null> = {
      provider: e.providerId,
      providerCode: e.providerCode,
      requestId: e.requestId,
      kind: e.kind,
      retryable: e.retryable,
    };
    return new ConsoleError(code, `Provider ${e.providerId}: ${e.message}`, details);
  }
  return new ConsoleError('internal', 'A provider call failed unexpectedly.');
}

/** The audit facts of a failure: provider id, provider code and request id where the error carries them. */
export function failureAuditDetails(e: ConsoleError): AuditDetails {
  const d = e.details ?? {};
  const out: AuditDetails = {};
  for (const k of ['provider', 'providerCode', 'requestId', 'providers'] as const) if (d[k] !== undefined) out[k] = d[k] ?? null;
  return out;
}
