// Wraps the adapter of one parsed provider configuration (built by providers/adapters.ts) in the resilience layer:
// timeout, retries with backoff and jitter, circuit breaker, health checks.
import { ConsoleError } from '../../../shared/errors.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import { createAdapter } from '../../providers/adapters.ts';
import type { ProviderConfig } from '../../providers/config/parseProviderConfig.ts';
import type { Timers } from '../../providers/resilience/resilienceOptions.ts';
import { type ResilientProvider, withResilience } from '../../providers/resilience/withResilience.ts';
import { isProviderError, type KmsProvider } from '../../providers/types.ts';
import type { DisabledKeySet } from '../../providers/vault/vaultProvider.ts';

/** Resilience tuning; tests shorten the delays, production keeps the defaults. */
export interface ProviderTuning {
  baseDelayMs?: number;
  maxDelayMs?: number;
  failureThreshold?: number;
  openMs?: number;
  /** Interval of the periodic health checks (default 30 s). */
  healthIntervalMs?: number;
  timers?: Timers;
  random?: () => number;
}

export interface ProviderFactoryDeps {
  clock: Clock;
  logger: Logger;
  tuning: ProviderTuning;
  /** Persistent "disabled" flags for Vault keys (Vault transit cannot disable a key). */
  disabledKeys(providerId: string): DisabledKeySet;
}

export function buildProvider(config: ProviderConfig, deps: ProviderFactoryDeps): ResilientProvider {
  let adapter: KmsProvider;
  try {
    adapter = createAdapter(config, { clock: deps.clock, logger: deps.logger, disabledKeys: deps.disabledKeys });
  } catch (e) {
    // The adapters validate their options with InvalidInput: the configuration names the field.
    if (isProviderError(e)) throw new ConsoleError('invalid_input', `Provider configuration: ${e.message}`, { field: 'configuration' });
    throw e;
  }
  const t = deps.tuning;
  const baseDelayMs = t.baseDelayMs ?? 200;
  return withResilience(adapter, {
    clock: deps.clock,
    timeoutMs: config.timeoutMs,
    maxRetries: config.retries,
    baseDelayMs,
    maxDelayMs: Math.max(baseDelayMs, t.maxDelayMs ?? 5_000),
    breaker: { failureThreshold: t.failureThreshold ?? 5, openMs: t.openMs ?? 30_000 },
    ...(t.timers ? { timers: t.timers } : {}),
    ...(t.random ? { random: t.random } : {}),
  });
}
