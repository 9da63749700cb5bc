// Wraps a KmsProvider: per-attempt timeout, bounded retries with exponential backoff and full jitter for retryable
// errors only, one circuit breaker per provider, observable state, and periodic health checks on injected timers.
//
// Retry policy (a timed-out request may still have landed, so only calls that are safe to repeat are retried on it):
// - safe to repeat: describeKey, listKeys, encrypt, decrypt, generateDataKey, sign, verify, getPublicKey, enable,
//   disable, and provider-side rotation's set / get / switch off / list versions: retried on Unavailable (incl.
//   timeouts) and Throttled.
// - not safe to repeat: createKey, rotate, scheduleDestruction, cancelDestruction: retried only when the provider
//   provably did not act: Throttled (it refused the request) or connection refused (providerCode ECONNREFUSED).
// - never retried: AccessDenied, InvalidInput, NotFound, KeyDisabled, IntegrityFailure, an open circuit, health().
// The breaker counts Unavailable only (timeouts, network errors, 5xx): a provider that answers, even with a refusal
// or throttling, is reachable. Integrity and usage errors never count, whatever HTTP status carried them (the adapters
// classify by the provider's error text where a status lies, e.g. Vault < 1.10 answers a tampered ciphertext with 500):
// input a caller controls must not be able to open the circuit for everyone else.
// Deadlines and backoff waits are ref'd timers (a pending call keeps the process alive); close() ends them at once.
import type { HealthReport, KmsProvider, ProviderKind, ProviderRotationControl } from '../types.ts';
import { isProviderError, ProviderError, type ProviderErrorKind } from '../types.ts';
import { type BreakerState, createCircuitBreaker } from './circuitBreaker.ts';
import { backoffDelay, nodeTimers, type ResilienceOptions, validateResilienceOptions } from './resilienceOptions.ts';

export type ResilienceEvent =
  | { type: 'breaker'; providerId: string; from: BreakerState; to: BreakerState; at: number; lastError: ErrorSummary | null }
  | { type: 'retry'; providerId: string; operation: string; attempt: number; delayMs: number; kind: ProviderErrorKind }
  | { type: 'health'; providerId: string; report: HealthReport; at: number }
  /** One call's outcome for availability: ok false when the provider did not answer (what counts toward the breaker) or the open circuit refused it. */
  | { type: 'call'; providerId: string; operation: string; ok: boolean };

export interface ErrorSummary {
  kind: ProviderErrorKind;
  message: string;
  providerCode: string | null;
  requestId: string | null;
  at: number;
}

export interface ProviderStatus {
  id: string;
  kind: ProviderKind;
  breaker: BreakerState;
  consecutiveFailures: number;
  openedAt: number | null;
  lastError: ErrorSummary | null;
  lastLatencyMs: number | null;
  lastHealth: (HealthReport & { at: number }) | null;
  /** Attempts sent to the provider, retries among them, and calls refused by the open circuit. */
  attempts: number;
  retries: number;
  rejected: number;
}

export interface ResilientProvider extends KmsProvider {
  readonly inner: KmsProvider;
  breakerState(): BreakerState;
  readonly lastError: ErrorSummary | null;
  readonly lastLatencyMs: number | null;
  status(): ProviderStatus;
  /** Runs health() every intervalMs (one at a time); returns a function that stops them. */
  startHealthChecks(intervalMs: number): () => void;
  /** Runs one health check now (what the periodic checks do). */
  checkHealth(): Promise<HealthReport>;
  /** Breaker transitions, retries and health results, for the audit log and the UI. Returns an unsubscribe. */
  onEvent(listener: (e: ResilienceEvent) => void): () => void;
}

type Policy = 'repeatable' | 'once';

/** Whether a failure counts toward the circuit breaker: only the provider being unreachable or failing. */
export function countsTowardBreaker(e: ProviderError): boolean {
  return e.kind === 'Unavailable';
}

/** Whether a failure is worth another attempt under the call's policy (see the retry policy above). */
export function worthRetrying(e: ProviderError, policy: Policy): boolean {
  if (!e.retryable || (e.kind !== 'Unavailable' && e.kind !== 'Throttled')) return false;
  if (e.providerCode === 'CircuitOpen') return false;
  if (policy === 'repeatable') return true;
  return e.kind === 'Throttled' || e.providerCode === 'ECONNREFUSED';
}

export function withResilience(provider: KmsProvider, options: ResilienceOptions): ResilientProvider {
  validateResilienceOptions(options);
  const { clock, timeoutMs, maxRetries, baseDelayMs, maxDelayMs } = options;
  const random = options.random ?? Math.random;
  const timers = options.timers ?? nodeTimers;
  // What is waiting on a timer now (deadlines, backoff); close() ends each at once (providerCode 'ConsoleClosed').
  const pending = new Set<(e: ProviderError) => void>();
  let closed = false;
  const closedError = (operation: string) =>
    new ProviderError('Unavailable', `Provider ${provider.id} was closed; ${operation} did not finish.`, { providerId: provider.id, providerCode: 'ConsoleClosed', retryable: false });
  const timerSleep = (ms: number) =>
    new Promise<void>((resolve, reject) => {
      const end = (e: ProviderError) => {
        cancel();
        pending.delete(end);
        reject(e);
      };
      const cancel = timers.setTimeout(() => {
        pending.delete(end);
        resolve();
      }, ms);
      pending.add(end);
    });
  const sleep = options.sleep ?? timerSleep;
  const listeners = new Set<(e: ResilienceEvent) => void>();
  const emit = (e: ResilienceEvent) => {
    for (const l of listeners) {
      try {
        l(e);
      } catch {
        // A failing listener must not break provider calls.
      }
    }
  };

  let lastError: ErrorSummary | null = null;
  let lastLatencyMs: number | null = null;
  let lastHealth: ProviderStatus['lastHealth'] = null;
  let attempts = 0;
  let retries = 0;
  let rejected = 0;
  let healthInFlight: Promise<HealthReport> | null = null;
  const stops = new Set<() => void>();

  const breaker = createCircuitBreaker(options.breaker, clock, (from, to) =>
    emit({ type: 'breaker', providerId: provider.id, from, to, at: clock.now(), lastError }),
  );

  const summarize = (e: ProviderError): ErrorSummary => ({
    kind: e.kind,
    message: e.message,
    providerCode: e.providerCode,
    requestId: e.requestId,
    at: clock.now(),
  });

  /** One attempt with a deadline; a result that arrives after the deadline is disposed of (secrets zeroed). */
  const attempt = <T>(operation: string, fn: () => Promise<T>, dispose?: (v: T) => void): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (closed) return reject(closedError(operation));
      let settled = false;
      const end = (e: ProviderError) => {
        if (settled) return;
        settled = true;
        cancel();
        pending.delete(end);
        reject(e);
      };
      const cancel = timers.setTimeout(() => {
        end(new ProviderError('Unavailable', `Provider ${provider.id} did not answer ${operation} within ${timeoutMs} ms.`, { providerId: provider.id, providerCode: 'Timeout' }));
      }, timeoutMs);
      pending.add(end);
      let running: Promise<T>;
      try {
        running = fn();
      } catch (e) {
        running = Promise.reject(e);
      }
      running.then(
        (v) => {
          if (settled) {
            dispose?.(v);
            return;
          }
          settled = true;
          cancel();
          pending.delete(end);
          resolve(v);
        },
        (e: unknown) => {
          if (settled) return;
          settled = true;
          cancel();
          pending.delete(end);
          reject(e);
        },
      );
    });

  const call = async <T>(operation: string, policy: Policy, fn: () => Promise<T>, dispose?: (v: T) => void): Promise<T> => {
    for (let n = 0; ; n++) {
      if (closed) throw closedError(operation);
      const admission = breaker.admit();
      if (admission === 'reject') {
        rejected++;
        emit({ type: 'call', providerId: provider.id, operation, ok: false });
        throw new ProviderError('Unavailable', `Provider ${provider.id} is unavailable (circuit open after repeated failures); ${operation} was not sent.`, {
          providerId: provider.id,
          providerCode: 'CircuitOpen',
          requestId: lastError?.requestId ?? null,
        });
      }
      attempts++;
      const started = clock.now();
      try {
        const value = await attempt(operation, fn, dispose);
        lastLatencyMs = clock.now() - started;
        breaker.success(admission);
        emit({ type: 'call', providerId: provider.id, operation, ok: true });
        return value;
      } catch (e) {
        lastLatencyMs = clock.now() - started;
        if (!isProviderError(e)) {
          // Not a provider answer (a bug in an adapter): neither retried nor counted against the provider.
          breaker.success(admission);
          throw e;
        }
        if (closed) throw e;
        lastError = summarize(e);
        const outage = countsTowardBreaker(e);
        if (outage) breaker.failure(admission);
        else breaker.success(admission);
        emit({ type: 'call', providerId: provider.id, operation, ok: !outage });
        if (n >= maxRetries || !worthRetrying(e, policy) || breaker.state() === 'open') throw e;
        const delayMs = backoffDelay(n, baseDelayMs, maxDelayMs, random);
        retries++;
        emit({ type: 'retry', providerId: provider.id, operation, attempt: n + 1, delayMs, kind: e.kind });
        await sleep(delayMs);
      }
    }
  };

  const zeroPlaintext = (v: { plaintext: Buffer }) => v.plaintext.fill(0);

  const checkHealth = (): Promise<HealthReport> => {
    if (healthInFlight) return healthInFlight;
    const started = clock.now();
    const run = attempt('health', () => provider.health())
      .catch((e: unknown): HealthReport => {
        if (isProviderError(e)) lastError = summarize(e);
        return isProviderError(e)
          ? { ok: false, latencyMs: clock.now() - started, detail: e.message, errorKind: e.kind }
          : { ok: false, latencyMs: clock.now() - started, detail: 'health check failed' };
      })
      .then((report) => {
        attempts++;
        lastLatencyMs = clock.now() - started;
        lastHealth = { ...report, at: clock.now() };
        breaker.observeHealth(report.ok);
        emit({ type: 'health', providerId: provider.id, report, at: clock.now() });
        return report;
      })
      .finally(() => {
        healthInFlight = null;
      });
    healthInFlight = run;
    return run;
  };

  const rotation = provider.providerRotation;
  return {
    id: provider.id,
    kind: provider.kind,
    capabilities: provider.capabilities,
    inner: provider,
    get lastError() {
      return lastError;
    },
    get lastLatencyMs() {
      return lastLatencyMs;
    },
    breakerState: () => breaker.state(),
    status: () => ({
      id: provider.id,
      kind: provider.kind,
      breaker: breaker.state(),
      consecutiveFailures: breaker.consecutiveFailures(),
      openedAt: breaker.openedAt(),
      lastError,
      lastLatencyMs,
      lastHealth,
      attempts,
      retries,
      rejected,
    }),
    onEvent(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    checkHealth,
    startHealthChecks(intervalMs) {
      if (!Number.isInteger(intervalMs) || intervalMs < 10) {
        throw new ProviderError('InvalidInput', 'The health check interval must be an integer of at least 10 ms.', { providerId: provider.id });
      }
      const cancel = timers.setInterval(() => void checkHealth(), intervalMs);
      const stop = () => {
        cancel();
        stops.delete(stop);
      };
      stops.add(stop);
      return stop;
    },

    createKey: (input) => call('createKey', 'once', () => provider.createKey(input)),
    describeKey: (keyRef) => call('describeKey', 'repeatable', () => provider.describeKey(keyRef)),
    listKeys: (opts) => call('listKeys', 'repeatable', () => provider.listKeys(opts)),
    encrypt: (keyRef, plaintext, aad) => call('encrypt', 'repeatable', () => provider.encrypt(keyRef, plaintext, aad)),
    decrypt: (keyRef, ciphertext, aad) => call('decrypt', 'repeatable', () => provider.decrypt(keyRef, ciphertext, aad), zeroPlaintext),
    generateDataKey: (keyRef, aad) => call('generateDataKey', 'repeatable', () => provider.generateDataKey(keyRef, aad), zeroPlaintext),
    sign: (keyRef, message, version) => call('sign', 'repeatable', () => provider.sign(keyRef, message, version)),
    verify: (keyRef, message, signature, version) => call('verify', 'repeatable', () => provider.verify(keyRef, message, signature, version)),
    getPublicKey: (keyRef, version) => call('getPublicKey', 'repeatable', () => provider.getPublicKey(keyRef, version)),
    rotate: (keyRef, options) => call('rotate', 'once', () => provider.rotate(keyRef, options)),
    enable: (keyRef) => call('enable', 'repeatable', () => provider.enable(keyRef)),
    disable: (keyRef) => call('disable', 'repeatable', () => provider.disable(keyRef)),
    scheduleDestruction: (keyRef, days) => call('scheduleDestruction', 'once', () => provider.scheduleDestruction(keyRef, days)),
    cancelDestruction: (keyRef) => call('cancelDestruction', 'once', () => provider.cancelDestruction(keyRef)),
    health: checkHealth,
    // Setting, reading and switching off a schedule end in the same state when repeated; listing only reads.
    ...(rotation
      ? {
          providerRotation: {
            limits: rotation.limits,
            supportsSpec: (spec) => rotation.supportsSpec(spec),
            setSchedule: (keyRef, periodSeconds) => call('setRotationSchedule', 'repeatable', () => rotation.setSchedule(keyRef, periodSeconds)),
            getSchedule: (keyRef) => call('getRotationSchedule', 'repeatable', () => rotation.getSchedule(keyRef)),
            disableSchedule: (keyRef) => call('disableRotationSchedule', 'repeatable', () => rotation.disableSchedule(keyRef)),
            listVersions: (keyRef) => call('listVersions', 'repeatable', () => rotation.listVersions(keyRef)),
          } satisfies ProviderRotationControl,
        }
      : {}),
    async close() {
      closed = true;
      for (const stop of [...stops]) stop();
      listeners.clear();
      for (const end of [...pending]) end(closedError('the pending call'));
      await provider.close();
    },
  };
}
