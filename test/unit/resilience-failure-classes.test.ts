// Which provider failures count toward the circuit breaker and which are retried, whatever status carried them.
// The table is the policy (docs/providers.md, "Resilience"): only an unreachable or failing provider counts; integrity
// and usage errors are definite answers, never retried and never counted, so input a caller controls (a tampered
// ciphertext, a wrong AAD) cannot open the circuit. Each row runs through withResilience around a provider that
// answers every call with that failure; the counts are what reached the provider.
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import { withResilience } from '../../electron/providers/resilience/withResilience.ts';
import { isProviderError, type KmsProvider, ProviderError, type ProviderErrorKind } from '../../electron/providers/types.ts';
import { manualTimers } from './provider-testkit.ts';

interface Row {
  what: string;
  kind: ProviderErrorKind;
  providerCode: string;
  retryable?: boolean;
  /** Counts toward the breaker (one such failure opens a breaker with threshold 1). */
  counts: boolean;
  /** Retried by calls that are safe to repeat (decrypt). */
  retriedRepeatable: boolean;
  /** Retried by calls that may have acted (createKey): only when the provider provably did not. */
  retriedOnce: boolean;
}

const TABLE: Row[] = [
  { what: 'connection refused', kind: 'Unavailable', providerCode: 'ECONNREFUSED', counts: true, retriedRepeatable: true, retriedOnce: true },
  { what: 'deadline passed', kind: 'Unavailable', providerCode: 'Timeout', counts: true, retriedRepeatable: true, retriedOnce: false },
  { what: 'server error 500', kind: 'Unavailable', providerCode: '500', counts: true, retriedRepeatable: true, retriedOnce: false },
  { what: 'service unavailable 503', kind: 'Unavailable', providerCode: 'ServiceUnavailableException', counts: true, retriedRepeatable: true, retriedOnce: false },
  { what: 'TLS verification failed', kind: 'Unavailable', providerCode: 'DEPTH_ZERO_SELF_SIGNED_CERT', retryable: false, counts: true, retriedRepeatable: false, retriedOnce: false },
  { what: 'throttled', kind: 'Throttled', providerCode: 'ThrottlingException', counts: false, retriedRepeatable: true, retriedOnce: true },
  { what: 'tampered ciphertext (400)', kind: 'IntegrityFailure', providerCode: 'InvalidCiphertextException', counts: false, retriedRepeatable: false, retriedOnce: false },
  { what: 'tampered ciphertext sent as 500 (Vault < 1.10)', kind: 'IntegrityFailure', providerCode: '500', counts: false, retriedRepeatable: false, retriedOnce: false },
  { what: 'wrong associated data', kind: 'IntegrityFailure', providerCode: 'IncorrectKeyException', counts: false, retriedRepeatable: false, retriedOnce: false },
  { what: 'bad signature input', kind: 'IntegrityFailure', providerCode: 'KMSInvalidSignatureException', counts: false, retriedRepeatable: false, retriedOnce: false },
  { what: 'invalid input', kind: 'InvalidInput', providerCode: 'ValidationException', counts: false, retriedRepeatable: false, retriedOnce: false },
  { what: 'invalid input sent as 500', kind: 'InvalidInput', providerCode: '500', counts: false, retriedRepeatable: false, retriedOnce: false },
  { what: 'key disabled', kind: 'KeyDisabled', providerCode: 'DisabledException', counts: false, retriedRepeatable: false, retriedOnce: false },
  { what: 'key not found', kind: 'NotFound', providerCode: 'NotFoundException', counts: false, retriedRepeatable: false, retriedOnce: false },
  { what: 'access denied', kind: 'AccessDenied', providerCode: 'AccessDeniedException', counts: false, retriedRepeatable: false, retriedOnce: false },
];

/** A provider whose every call fails with `error`; `calls()` counts what reached it. */
function failingProvider(error: () => ProviderError): { provider: KmsProvider; calls: () => number } {
  let calls = 0;
  const fail = async (): Promise<never> => {
    calls++;
    throw error();
  };
  const provider: KmsProvider = {
    id: 'table',
    kind: 'aws_kms',
    capabilities: {
      specs: { encrypt: ['AES_256'], sign: ['EC_P256'] },
      associatedData: true,
      maxPlaintextBytes: 4096,
      rotation: true,
      rotateSigningKeys: false,
      automaticRotation: false,
      scheduledDestruction: true,
      kmsBacked: true,
    },
    createKey: fail,
    describeKey: fail,
    listKeys: fail,
    encrypt: fail,
    decrypt: fail,
    generateDataKey: fail,
    sign: fail,
    verify: fail,
    getPublicKey: fail,
    rotate: fail,
    enable: fail,
    disable: fail,
    scheduleDestruction: fail,
    cancelDestruction: fail,
    health: async () => ({ ok: true, latencyMs: 0, detail: null }),
    close: async () => undefined,
  };
  return { provider, calls: () => calls };
}

function wrapped(row: Row, opts: { maxRetries: number; failureThreshold: number }) {
  const clock = manualClock();
  const inner = failingProvider(
    () => new ProviderError(row.kind, `${row.what}`, { providerId: 'table', providerCode: row.providerCode, ...(row.retryable === undefined ? {} : { retryable: row.retryable }) }),
  );
  const p = withResilience(inner.provider, {
    clock,
    timeoutMs: 1000,
    maxRetries: opts.maxRetries,
    baseDelayMs: 10,
    maxDelayMs: 100,
    random: () => 0.5,
    breaker: { failureThreshold: opts.failureThreshold, openMs: 60_000 },
    timers: manualTimers(clock),
    sleep: async () => undefined,
  });
  return { p, calls: inner.calls };
}

async function kindOf(promise: Promise<unknown>): Promise<ProviderErrorKind> {
  try {
    await promise;
  } catch (e) {
    if (isProviderError(e)) return e.kind;
    throw e;
  }
  throw new Error('expected the call to fail');
}

describe('resilience: which failures count toward the breaker and which are retried', () => {
  it.each(TABLE)('$what ($kind, $providerCode)', async (row) => {
    // Breaker: threshold 1, no retries; two calls so a counted failure shows as a refusal without a provider call.
    const b = wrapped(row, { maxRetries: 0, failureThreshold: 1 });
    expect(await kindOf(b.p.decrypt('k', Buffer.from('ciphertext')))).toBe(row.kind);
    expect(b.p.breakerState()).toBe(row.counts ? 'open' : 'closed');
    await kindOf(b.p.decrypt('k', Buffer.from('ciphertext')));
    expect(b.calls()).toBe(row.counts ? 1 : 2);

    // Retries: 2 allowed, a breaker that never opens; attempts = 3 when retried, 1 when not.
    const r = wrapped(row, { maxRetries: 2, failureThreshold: 1000 });
    expect(await kindOf(r.p.decrypt('k', Buffer.from('ciphertext')))).toBe(row.kind);
    expect(r.calls()).toBe(row.retriedRepeatable ? 3 : 1);
    const o = wrapped(row, { maxRetries: 2, failureThreshold: 1000 });
    expect(await kindOf(o.p.createKey({ name: 'n', spec: 'AES_256', usage: 'encrypt' }))).toBe(row.kind);
    expect(o.calls()).toBe(row.retriedOnce ? 3 : 1);
  });

  it('ten tampered decrypts answered with 500 leave a threshold-2 breaker closed and refuse nothing', async () => {
    const row = TABLE.find((r) => r.what === 'tampered ciphertext sent as 500 (Vault < 1.10)')!;
    const { p } = wrapped(row, { maxRetries: 0, failureThreshold: 2 });
    for (let i = 0; i < 10; i++) await kindOf(p.decrypt('k', Buffer.from('x')));
    expect(p.status()).toMatchObject({ breaker: 'closed', consecutiveFailures: 0, rejected: 0 });
  });
});
