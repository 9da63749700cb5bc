// Builds the KmsProvider adapter for one parsed provider configuration, wrapped in the resilience layer (timeout,
// retries with backoff and jitter, circuit breaker, health checks). Secrets are revealed only here, into the adapter.
import fs from 'node:fs';
import { ConsoleError } from '../../shared/errors.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { createAwsKmsProvider } from '../providers/aws/awsKmsProvider.ts';
import type { ProviderConfig } from '../providers/config/parseProviderConfig.ts';
import type { Timers } from '../providers/resilience/resilienceOptions.ts';
import { type ResilientProvider, withResilience } from '../providers/resilience/withResilience.ts';
import { isProviderError, type KmsProvider } from '../providers/types.ts';
import { createVaultTransitProvider, type DisabledKeySet } from '../providers/vault/vaultProvider.ts';

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

function adapterFor(config: ProviderConfig, deps: ProviderFactoryDeps): KmsProvider {
  const c = config.connection;
  switch (c.kind) {
    case 'aws_kms':
      return createAwsKmsProvider({
        id: config.id,
        region: c.region,
        ...(c.endpoint === null ? {} : { endpoint: c.endpoint }),
        ...(c.credentials === null
          ? {}
          : {
              credentials: {
                accessKeyId: c.credentials.accessKeyId,
                secretAccessKey: c.credentials.secretAccessKey.reveal(),
                ...(c.credentials.sessionToken === null ? {} : { sessionToken: c.credentials.sessionToken.reveal() }),
              },
            }),
        timeoutMs: config.timeoutMs,
      });
    case 'hashicorp_vault': {
      let caCertPem: string | undefined;
      if (c.caCertPath !== null) {
        try {
          caCertPem = fs.readFileSync(c.caCertPath, 'utf8');
        } catch {
          throw new ConsoleError('invalid_input', `Provider configuration: vault_ca_cert (${c.caCertPath}) cannot be read.`, { field: 'vault_ca_cert' });
        }
      }
      return createVaultTransitProvider({
        id: config.id,
        endpoint: c.vaultUrl,
        token: c.token.reveal(),
        ...(c.namespace === null ? {} : { namespace: c.namespace }),
        mount: c.transitMount,
        ...(caCertPem === undefined ? {} : { caCertPem }),
        timeoutMs: config.timeoutMs,
        disabledKeys: deps.disabledKeys(config.id),
        clock: deps.clock,
        logger: deps.logger,
      });
    }
    default:
      throw new ConsoleError('unsupported_operation', `Provider kind ${c.kind} is not available in this build of the console (AWS KMS and HashiCorp Vault are).`, { field: 'provider' });
  }
}

export function buildProvider(config: ProviderConfig, deps: ProviderFactoryDeps): ResilientProvider {
  let adapter: KmsProvider;
  try {
    adapter = adapterFor(config, deps);
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
