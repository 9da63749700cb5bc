// Turns the per-recipient failures of a multi-provider operation into one ConsoleError with a stable code and a
// message naming every provider and what it answered (never secrets: provider messages carry no key material).
import { ConsoleError, type ErrorCode, isConsoleError } from '../../shared/errors.ts';
import { isProviderError } from './types.ts';

export interface RecipientFailure {
  providerId: string;
  keyRef: string;
  /** A ProviderErrorKind, 'NotConfigured', or the ConsoleError code. */
  kind: string;
  providerCode: string | null;
  message: string;
}

export function summarizeFailure(providerId: string, keyRef: string, e: unknown): RecipientFailure {
  if (isProviderError(e)) return { providerId, keyRef, kind: e.kind, providerCode: e.providerCode, message: e.message };
  if (isConsoleError(e)) return { providerId, keyRef, kind: e.code, providerCode: null, message: e.message };
  return { providerId, keyRef, kind: 'Unexpected', providerCode: null, message: e instanceof Error ? e.name : 'unexpected failure' };
}

/** Which code wins when recipients failed differently: anything that may pass later beats a definite refusal. */
const PRECEDENCE: Array<[string[], ErrorCode]> = [
  [['Unavailable', 'Throttled', 'NotConfigured'], 'provider_unavailable'],
  // Refused credentials are the officer's to fix (not a wait-and-retry), so they get their own code.
  [['AccessDenied'], 'provider_access_denied'],
  [['KeyDisabled'], 'key_disabled'],
  [['IntegrityFailure', 'ciphertext_tampered'], 'ciphertext_tampered'],
  [['NotFound'], 'ciphertext_foreign'],
  [['InvalidInput'], 'invalid_input'],
  [['Unsupported'], 'provider_unsupported'],
];

export function failureSummary(operation: 'encrypt' | 'decrypt' | 'createKey', failures: readonly RecipientFailure[]): ConsoleError {
  const kinds = new Set(failures.map((f) => f.kind));
  const code = PRECEDENCE.find(([ks]) => ks.some((k) => kinds.has(k)))?.[1] ?? 'internal';
  const each = failures.map((f) => `${f.providerId}: ${f.providerCode === 'CircuitOpen' ? 'circuit open' : f.message}`).join('; ');
  const lead =
    operation === 'decrypt'
      ? 'None of the providers that wrapped this data key could unwrap it'
      : operation === 'encrypt'
        ? 'The data key could not be wrapped under every required provider, so nothing was written'
        : 'Neither the primary nor the backup provider could create the key';
  return new ConsoleError(code, `${lead}. ${each || 'No recipient was tried.'}`, {
    operation,
    providers: failures.map((f) => `${f.providerId}:${f.providerCode ?? f.kind}`).join(','),
  });
}
