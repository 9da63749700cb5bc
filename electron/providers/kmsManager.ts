// createKmsManager(config, deps): builds the configured providers (the specification's dictionaries, one or several:
// the first is the primary, the second the backup), each wrapped in the resilience layer, plus the data-key cache and
// the local fallback. Plain factory, no global state: the composition root owns the result and closes it.
import { ConsoleError, isConsoleError } from '../../shared/errors.ts';
import type { Clock } from '../clock.ts';
import type { StoreKeyring } from '../crypto/storeKeyring.ts';
import type { Logger } from '../logger.ts';
import type { LocalKmsRepo } from '../store/providerRepo.ts';
import { type AdapterDeps, createAdapter } from './adapters.ts';
import { createDataKeyCache, type DataKeyCache } from './cache/dataKeyCache.ts';
import { type Env, parseProviderConfigs, type ProviderConfig, redactedSettings } from './config/parseProviderConfig.ts';
import {
  decryptFromRecipients,
  encryptForRecipients,
  type EncryptOptions,
  type MultiDecryptResult,
  type MultiEncryptResult,
} from './multiEnvelope.ts';
import type { Timers } from './resilience/resilienceOptions.ts';
import { type ProviderStatus, type ResilienceEvent, type ResilientProvider, withResilience } from './resilience/withResilience.ts';
import { isProviderError, type KmsProvider, type ProviderKind } from './types.ts';

export type ProviderFactory = (config: ProviderConfig) => KmsProvider;

export interface KmsManagerDeps {
  clock: Clock;
  logger: Logger;
  /** Environment the configuration may draw on (KMS_PROVIDER, AWS_REGION, VAULT_TOKEN, ...). Default: none. */
  env?: Env;
  /** The console's store, for the local provider and the local fallback. */
  local?: { repo: LocalKmsRepo; keyring(): StoreKeyring };
  /** The store id written into envelopes (needed by encrypt / decrypt). */
  storeId?: () => string;
  random?: () => number;
  timers?: Timers;
  sleep?: (ms: number) => Promise<void>;
  /** Backoff and breaker tuning (defaults: 100 ms base, 5 s cap, open after 5 failures for 30 s). */
  resilience?: { baseDelayMs?: number; maxDelayMs?: number; failureThreshold?: number; openMs?: number };
  /** Adapter factories by kind, replacing or adding to the built-in ones. */
  factories?: Partial<Record<ProviderKind, ProviderFactory>>;
  /** Reads the Vault CA file (default fs.readFileSync as UTF-8). */
  readFile?: (path: string) => string;
}

export interface ManagedProviderStatus extends ProviderStatus {
  settings: Record<string, string | number | boolean | null>;
  useKmsForStorage: boolean;
  offlineMode: boolean;
  kmsBacked: boolean;
}

export interface KmsManager {
  readonly configs: readonly ProviderConfig[];
  readonly providers: ReadonlyMap<string, ResilientProvider>;
  readonly primary: ResilientProvider;
  readonly backup: ResilientProvider | null;
  /** The local provider that takes over while the primary is unreachable, when offline_mode allows it; else null. */
  readonly fallback: ResilientProvider | null;
  readonly cache: DataKeyCache;
  get(id: string): ResilientProvider | undefined;
  status(): ManagedProviderStatus[];
  /** True while the primary's circuit is open. */
  primaryDown(): boolean;
  startHealthChecks(intervalMs: number): () => void;
  onEvent(listener: (e: ResilienceEvent) => void): () => void;
  /** Multi-provider envelope under the given recipients (default: primary + backup with the same key name is the caller's choice). */
  encrypt(recipients: Array<{ providerId: string; keyRef: string }>, plaintext: Buffer, aad: Buffer, options?: { requireAll?: boolean; fallbackKeyRef?: string }): Promise<MultiEncryptResult>;
  decrypt(ciphertext: Buffer, aad: Buffer): Promise<MultiDecryptResult>;
  /** Zeroes the data-key cache (store lock). */
  lock(): void;
  close(): Promise<void>;
}

function builtInFactories(deps: KmsManagerDeps): Record<ProviderKind, ProviderFactory> {
  const adapterDeps: AdapterDeps = {
    clock: deps.clock,
    logger: deps.logger,
    ...(deps.local ? { local: deps.local } : {}),
    ...(deps.readFile ? { readFile: deps.readFile } : {}),
  };
  const build: ProviderFactory = (c) => createAdapter(c, adapterDeps);
  return { local: build, aws_kms: build, hashicorp_vault: build, azure_key_vault: build, google_cloud_kms: build, pkcs11: build };
}

export function createKmsManager(config: unknown, deps: KmsManagerDeps): KmsManager {
  const configs = parseProviderConfigs(config, deps.env ?? {});
  const factories = { ...builtInFactories(deps), ...deps.factories };
  const r = deps.resilience ?? {};
  const wrap = (c: ProviderConfig, p: KmsProvider) =>
    withResilience(p, {
      clock: deps.clock,
      timeoutMs: c.timeoutMs,
      maxRetries: c.retries,
      baseDelayMs: r.baseDelayMs ?? 100,
      maxDelayMs: r.maxDelayMs ?? 5000,
      breaker: { failureThreshold: r.failureThreshold ?? 5, openMs: r.openMs ?? 30_000 },
      ...(deps.random ? { random: deps.random } : {}),
      ...(deps.timers ? { timers: deps.timers } : {}),
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
    });

  const providers = new Map<string, ResilientProvider>();
  const built: KmsProvider[] = [];
  try {
    for (const c of configs) {
      let inner: KmsProvider;
      try {
        inner = factories[c.kind](c);
      } catch (e) {
        if (isConsoleError(e)) throw e;
        if (isProviderError(e)) throw new ConsoleError('invalid_input', `Provider ${c.id}: ${e.message}`, { field: 'provider' });
        throw new ConsoleError('internal', `Provider ${c.id} could not be built.`);
      }
      built.push(inner);
      providers.set(c.id, wrap(c, inner));
    }
  } catch (e) {
    for (const p of built) void p.close().catch(() => undefined);
    throw e;
  }

  const primaryConfig = configs[0]!;
  const primary = providers.get(primaryConfig.id)!;
  const backup = configs[1] ? providers.get(configs[1].id)! : null;
  // The local fallback: a configured local provider, or the console store itself, and only when offline_mode says so.
  let fallback: ResilientProvider | null = null;
  if (primaryConfig.offlineMode) {
    const configured = configs.find((c) => c.kind === 'local');
    if (configured) fallback = providers.get(configured.id)!;
    else if (deps.local) {
      const local = parseProviderConfigs({ provider: 'local' })[0]!;
      fallback = wrap(local, factories.local(local));
    }
  }
  // Circuit transitions reach the console log (kind and provider code only: provider messages stay out of logs).
  for (const p of [...providers.values(), ...(fallback && !providers.has(fallback.id) ? [fallback] : [])]) {
    p.onEvent((e) => {
      if (e.type !== 'breaker') return;
      const fields = { providerId: e.providerId, from: e.from, to: e.to, errorKind: e.lastError?.kind ?? null, providerCode: e.lastError?.providerCode ?? null };
      if (e.to === 'open') deps.logger.warn('provider circuit opened: calls fail fast until a probe succeeds', fields);
      else deps.logger.info('provider circuit changed', fields);
    });
  }
  const cache = createDataKeyCache({ clock: deps.clock, enabled: primaryConfig.cache.enabled, ttlSeconds: primaryConfig.cache.ttlSeconds, maxEntries: primaryConfig.cache.maxEntries });
  const all = () => [...providers.values(), ...(fallback && !providers.has(fallback.id) ? [fallback] : [])];
  const lookup = (id: string) => providers.get(id) ?? (fallback?.id === id ? fallback : undefined);
  const envelopeDeps = () => {
    if (!deps.storeId) throw new ConsoleError('internal', 'Envelope operations need the store id (deps.storeId).');
    return { storeId: deps.storeId(), cache };
  };

  return {
    configs,
    providers,
    primary,
    backup,
    fallback,
    cache,
    get: lookup,
    status: () =>
      all().map((p) => {
        const c = configs.find((x) => x.id === p.id) ?? parseProviderConfigs({ provider: 'local' })[0]!;
        return { ...p.status(), settings: redactedSettings(c), useKmsForStorage: c.useKmsForStorage, offlineMode: c.offlineMode, kmsBacked: p.capabilities.kmsBacked };
      }),
    primaryDown: () => primary.breakerState() === 'open',
    startHealthChecks(intervalMs) {
      const stops = all().map((p) => p.startHealthChecks(intervalMs));
      return () => stops.forEach((s) => s());
    },
    onEvent(listener) {
      const offs = all().map((p) => p.onEvent(listener));
      return () => offs.forEach((off) => off());
    },
    async encrypt(recipients, plaintext, aad, options = {}) {
      const list = recipients.map((x) => {
        const provider = lookup(x.providerId);
        if (!provider) throw new ConsoleError('not_found', `No provider with id ${x.providerId} is configured.`, { field: 'providerId' });
        return { provider, keyRef: x.keyRef };
      });
      const opts: EncryptOptions = { ...(options.requireAll === undefined ? {} : { requireAll: options.requireAll }) };
      if (options.fallbackKeyRef !== undefined) {
        if (!fallback) throw new ConsoleError('provider_unavailable', 'No local fallback is configured (offline_mode is off), so nothing is written while a provider is unreachable.');
        opts.fallback = { provider: fallback, keyRef: options.fallbackKeyRef };
      }
      return encryptForRecipients(envelopeDeps(), list, plaintext, aad, opts);
    },
    decrypt: async (ciphertext, aad) => decryptFromRecipients(envelopeDeps(), lookup, ciphertext, aad),
    lock: () => cache.clear(),
    async close() {
      cache.clear();
      await Promise.allSettled(all().map((p) => p.close()));
    },
  };
}
