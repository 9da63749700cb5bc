// The live provider instances of an unlocked console: the saved configurations plus the one the environment names
// (KMS_PROVIDER, AWS_REGION, USE_KMS_FOR_STORAGE, ...), each built and wrapped in the resilience layer, with their
// health checks running; the internal local KMS provider ('local-kms', used for offline fallback wraps); and the
// data-key cache. activate() runs at unlock, deactivate() at lock and close (health checks stop, cache zeroed).
import type { EnvironmentProviderRefusal, ProviderStatus } from '../../../shared/contract.ts';
import { LOCAL_PROVIDER_ID } from '../../../shared/domain.ts';
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import { createDataKeyCache, type DataKeyCache } from '../../providers/cache/dataKeyCache.ts';
import { type Env, parseProviderConfig, type ProviderConfig, redactedSettings } from '../../providers/config/parseProviderConfig.ts';
import type { ProviderConfigStore } from '../../providers/config/providerConfigStore.ts';
import type { ResilienceEvent, ResilientProvider } from '../../providers/resilience/withResilience.ts';
import type { KmsProvider } from '../../providers/types.ts';
import type { AuditDetails } from '../audit/auditLog.ts';
import { environmentRefusal, localFallbackAllowed } from './environmentProvider.ts';
import { buildProvider, type ProviderFactoryDeps } from './providerFactory.ts';

export type ProviderOrigin = 'saved' | 'environment';

export interface ProviderEntry {
  config: ProviderConfig;
  provider: ResilientProvider;
  origin: ProviderOrigin;
}

export interface ProviderRegistryDeps extends ProviderFactoryDeps {
  configs: ProviderConfigStore;
  /** The internal local KMS provider (fallback wraps while a provider is unreachable). */
  localKms: KmsProvider;
  env: Env;
  clock: Clock;
  logger: Logger;
  audit(action: string, targetId: string | null, outcome: 'success' | 'failure', details: AuditDetails): void;
  onChanged(id: string | null): void;
  /** Every resilience event of every provider (metrics: availability per provider; alerts: failed health checks). */
  observe?(id: string, e: ResilienceEvent): void;
}

export interface ProviderRegistry {
  activate(): void;
  deactivate(): Promise<void>;
  readonly active: boolean;
  get(id: string): ProviderEntry | undefined;
  /** The entry, or not_found naming the id. */
  require(id: string): ProviderEntry;
  /** Providers by id for envelope decryption ('local-kms' included). */
  lookup(id: string): KmsProvider | undefined;
  list(): ProviderStatus[];
  status(id: string): ProviderStatus;
  /** Validates, stores (secrets encrypted), builds and registers; returns the status. */
  save(dict: Record<string, unknown>): ProviderStatus;
  remove(id: string): Promise<void>;
  /** The provider new keys go to when keys:create names none and use_kms_for_storage is true. */
  storageProviderId(): string | null;
  /** Why the provider the environment names (KMS_PROVIDER, ...) was refused at this unlock; null when it was not. */
  environmentRefusal(): ConsoleError | null;
  /** providers:list's view of the refusal: its message, the variable and whether ECPS_ALLOW_LOCAL_FALLBACK is on. */
  environmentRefusalView(): EnvironmentProviderRefusal | null;
  cache(): DataKeyCache;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The newest failure: a failed call, or a failed health check (adapters report some outages as ok: false). */
function lastErrorOf(s: ReturnType<ResilientProvider['status']>): ProviderStatus['lastError'] {
  const h = s.lastHealth;
  if (h && !h.ok && (!s.lastError || s.lastError.at < h.at)) return { kind: 'HealthCheckFailed', message: h.detail ?? 'The health check failed.', at: iso(h.at) };
  return s.lastError ? { kind: s.lastError.kind, message: s.lastError.message, at: iso(s.lastError.at) } : null;
}

export function createProviderRegistry(deps: ProviderRegistryDeps): ProviderRegistry {
  const entries = new Map<string, ProviderEntry & { stop: () => void }>();
  let active = false;
  let refusedEnvironment: ConsoleError | null = null;
  let cache: DataKeyCache | null = null;

  const onEvent = (id: string) => (e: ResilienceEvent) => {
    deps.observe?.(id, e);
    if (e.type === 'breaker') {
      deps.audit('provider.circuit', id, e.to === 'open' ? 'failure' : 'success', { provider: id, from: e.from, to: e.to, ...(e.lastError ? { providerCode: e.lastError.providerCode, requestId: e.lastError.requestId } : {}) });
      deps.onChanged(id);
    } else if (e.type === 'health') {
      deps.onChanged(id);
    }
  };

  const register = (config: ProviderConfig, origin: ProviderOrigin) => {
    const provider = buildProvider(config, deps);
    const unsubscribe = provider.onEvent(onEvent(config.id));
    const stopHealth = provider.startHealthChecks(deps.tuning.healthIntervalMs ?? 30_000);
    void provider.checkHealth();
    entries.set(config.id, { config, provider, origin, stop: () => (stopHealth(), unsubscribe()) });
  };

  const unregister = async (id: string) => {
    const e = entries.get(id);
    if (!e) return;
    entries.delete(id);
    e.stop();
    await e.provider.close().catch(() => undefined);
  };

  const cacheFor = (configs: ProviderConfig[]): DataKeyCache => {
    // One cache per console: the storage provider's settings win, else the first provider's, else the defaults.
    const c = configs.find((x) => x.useKmsForStorage) ?? configs[0];
    return createDataKeyCache({ clock: deps.clock, enabled: c?.cache.enabled ?? true, ttlSeconds: c?.cache.ttlSeconds ?? 3600, maxEntries: c?.cache.maxEntries ?? 1000 });
  };

  const statusOf = (e: ProviderEntry): ProviderStatus => {
    const s = e.provider.status();
    return {
      id: e.config.id,
      kind: e.config.kind,
      settings: { ...redactedSettings(e.config), origin: e.origin },
      useKmsForStorage: e.config.useKmsForStorage,
      kmsBacked: e.provider.capabilities.kmsBacked,
      health: s.lastHealth ? { ok: s.lastHealth.ok, latencyMs: s.lastHealth.latencyMs, checkedAt: iso(s.lastHealth.at), detail: s.lastHealth.detail } : null,
      circuit: s.breaker,
      lastError: lastErrorOf(s),
    };
  };

  const localStatus = (): ProviderStatus => ({
    id: LOCAL_PROVIDER_ID,
    kind: 'local',
    settings: { provider: 'local', origin: 'built-in' },
    useKmsForStorage: false,
    kmsBacked: false,
    health: { ok: true, latencyMs: 0, checkedAt: iso(deps.clock.now()), detail: null },
    circuit: 'closed',
    lastError: null,
  });

  /** The registered configurations, the environment's first. */
  const ordered = (): ProviderConfig[] => {
    const list = [...entries.values()];
    return [...list.filter((e) => e.origin === 'environment'), ...list.filter((e) => e.origin !== 'environment')].map((e) => e.config);
  };

  const requireActive = () => {
    if (!active) throw new ConsoleError('locked', 'The key store is locked; unlock it to use providers.');
  };

  return {
    get active() {
      return active;
    },
    activate() {
      if (active) return;
      active = true;
      for (const view of deps.configs.list()) {
        try {
          const config = deps.configs.load(view.id);
          register(config, 'saved');
        } catch (e) {
          const code = isConsoleError(e) ? e.code : 'internal';
          deps.logger.warn('saved provider could not be registered', { provider: view.id, code });
          deps.audit('provider.register', view.id, 'failure', { provider: view.id, origin: 'saved', code });
        }
      }
      refusedEnvironment = null;
      if (deps.env.KMS_PROVIDER?.trim()) {
        try {
          const config = parseProviderConfig({}, deps.env);
          if (config.kind !== 'local' && !entries.has(config.id)) {
            register(config, 'environment');
            deps.audit('provider.register', config.id, 'success', { provider: config.id, kind: config.kind, origin: 'environment', useKmsForStorage: config.useKmsForStorage });
          }
        } catch (e) {
          // Remembered: keys:create and the keys of that provider refuse with it instead of quietly using the local store.
          const err = environmentRefusal(e, deps.env);
          refusedEnvironment = err;
          deps.logger.warn('environment provider rejected', { code: err.code, message: err.message });
          deps.audit('provider.register', null, 'failure', {
            origin: 'environment',
            code: err.code,
            field: (err.details?.field as string | undefined) ?? null,
            variable: (err.details?.variable as string | null | undefined) ?? null,
          });
        }
      }
      cache = cacheFor(ordered());
    },
    async deactivate() {
      if (!active) return;
      active = false;
      refusedEnvironment = null;
      cache?.clear();
      cache = null;
      await Promise.all([...entries.keys()].map(unregister));
    },
    get: (id) => entries.get(id),
    require(id) {
      requireActive();
      const e = entries.get(id);
      if (!e) throw new ConsoleError('not_found', `No provider with id ${id} is configured.`, { provider: id });
      return e;
    },
    lookup: (id) => (id === deps.localKms.id ? deps.localKms : entries.get(id)?.provider),
    list() {
      requireActive();
      return [localStatus(), ...[...entries.values()].sort((a, b) => a.config.id.localeCompare(b.config.id)).map(statusOf)];
    },
    status(id) {
      if (id === LOCAL_PROVIDER_ID) return localStatus();
      return statusOf(this.require(id));
    },
    save(dict) {
      requireActive();
      // Editing a saved provider: a secret left out keeps its saved value.
      const config = parseProviderConfig(deps.configs.withSavedSecrets(dict), {});
      if (config.id === LOCAL_PROVIDER_ID || config.id === deps.localKms.id || config.kind === 'local') {
        throw new ConsoleError('invalid_input', `Provider configuration: id ${config.id} is the built-in local provider; it needs no configuration.`, { field: 'id' });
      }
      if (entries.get(config.id)?.origin === 'environment') {
        throw new ConsoleError('invalid_input', `Provider configuration: id ${config.id} is configured through the environment; choose another id.`, { field: 'id' });
      }
      // Build first: a configuration the adapter refuses is never stored.
      const probe = buildProvider(config, deps);
      void probe.close();
      deps.configs.save(config);
      const old = entries.get(config.id);
      if (old) {
        entries.delete(config.id);
        old.stop();
        void old.provider.close().catch(() => undefined);
      }
      register(config, 'saved');
      // The cache settings follow the configurations (the storage provider's win).
      cache?.clear();
      cache = cacheFor(ordered());
      return statusOf(entries.get(config.id)!);
    },
    async remove(id) {
      requireActive();
      if (id === LOCAL_PROVIDER_ID) throw new ConsoleError('invalid_input', 'The built-in local provider cannot be removed.', { field: 'id' });
      const e = this.require(id);
      if (e.origin === 'environment') throw new ConsoleError('invalid_input', `Provider ${id} comes from the environment (KMS_PROVIDER); unset it there.`, { field: 'id' });
      deps.configs.remove(id);
      await unregister(id);
    },
    storageProviderId() {
      const list = [...entries.values()];
      return (list.find((e) => e.origin === 'environment' && e.config.useKmsForStorage) ?? list.find((e) => e.config.useKmsForStorage))?.config.id ?? null;
    },
    cache() {
      requireActive();
      return cache!;
    },
    environmentRefusal: () => refusedEnvironment,
    environmentRefusalView() {
      if (!refusedEnvironment) return null;
      let localFallback = false;
      try {
        localFallback = localFallbackAllowed(deps.env);
      } catch {
        // A malformed opt-in is no opt-in; keys:create names the bad value.
      }
      const variable = refusedEnvironment.details?.variable;
      return { message: refusedEnvironment.message, variable: typeof variable === 'string' ? variable : null, localFallback };
    },
  };
}
