// The state the Azure adapter checks before every key operation, whatever the service would allow: the key (its
// newest version) and the version used must be enabled, and encrypt / sign also need the version inside its
// nbf / exp window (Key Vault's date-time rule: decrypt, unwrap and verify keep working outside it). The service
// itself still encrypts and wraps with a disabled key, so this check is what makes a disabled key refuse everything.
// States are cached for a short TTL (the staleness bound for changes made outside this adapter instance); the
// adapter forgets a key's entries whenever it changes the key itself (enable, disable, rotate, delete, recover).
import type { KeyVaultKey } from '@azure/keyvault-keys';
import { ProviderError } from '../types.ts';

export interface VersionState {
  /** The 32-hex Key Vault version id. */
  versionId: string;
  enabled: boolean;
  /** Milliseconds since the epoch, or null. */
  notBefore: number | null;
  expiresOn: number | null;
}

const VERSION_ID = /^[0-9a-f]{32}$/;
const MAX_ENTRIES = 10_000;

export function stateOf(key: KeyVaultKey, providerId: string): VersionState {
  const versionId = (key.properties.version ?? '').toLowerCase();
  if (!VERSION_ID.test(versionId))
    throw new ProviderError('Unavailable', 'Key Vault answered a key without a version id.', { providerId, providerCode: 'MalformedResponse', retryable: false });
  return {
    versionId,
    enabled: key.properties.enabled !== false,
    notBefore: key.properties.notBefore?.getTime() ?? null,
    expiresOn: key.properties.expiresOn?.getTime() ?? null,
  };
}

export interface KeyStateCache {
  /** The newest version of the key (GET /keys/{name}/). */
  latest(name: string): Promise<VersionState>;
  /** One version (GET /keys/{name}/{version}); the newest when it is that version. */
  version(name: string, versionId: string): Promise<VersionState>;
  forget(name: string): void;
  clear(): void;
}

export function createKeyStateCache(o: { ttlMs: number; now: () => number; fetch: (name: string, versionId?: string) => Promise<KeyVaultKey>; providerId: string }): KeyStateCache {
  // Entries hold the promise, so concurrent callers share one request; a failed request is not kept.
  const entries = new Map<string, { at: number; state: Promise<VersionState> }>();
  const keyOf = (name: string, versionId: string) => `${name}/${versionId}`;

  function cached(id: string, load: () => Promise<VersionState>): Promise<VersionState> {
    const hit = entries.get(id);
    if (hit && o.now() - hit.at < o.ttlMs) return hit.state;
    if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!);
    const state = load();
    entries.set(id, { at: o.now(), state });
    state.catch(() => {
      if (entries.get(id)?.state === state) entries.delete(id);
    });
    return state;
  }

  return {
    latest: (name) => cached(keyOf(name, ''), async () => stateOf(await o.fetch(name), o.providerId)),
    async version(name, versionId) {
      const latest = entries.get(keyOf(name, ''));
      if (latest && o.now() - latest.at < o.ttlMs) {
        const s = await latest.state.catch(() => null);
        if (s?.versionId === versionId) return s;
      }
      return cached(keyOf(name, versionId), async () => stateOf(await o.fetch(name, versionId), o.providerId));
    },
    forget(name) {
      for (const id of [...entries.keys()]) if (id.startsWith(`${name}/`)) entries.delete(id);
    },
    clear: () => entries.clear(),
  };
}

export type Use = 'protect' | 'open';

/**
 * Refuses an operation the key's state forbids: a disabled key or version refuses everything; 'protect' (encrypt,
 * wrap, sign) also needs the version within nbf / exp, while 'open' (decrypt, unwrap, verify) does not.
 */
export function requireUsable(name: string, key: VersionState, version: VersionState, use: Use, now: number, providerId: string): void {
  const refuse = (why: string, code: string) => new ProviderError('KeyDisabled', `Key ${name} ${why}.`, { providerId, providerCode: code });
  if (!key.enabled) throw refuse('is disabled', 'KeyDisabled');
  if (!version.enabled) throw refuse(`version ${version.versionId} is disabled`, 'KeyDisabled');
  if (use === 'open') return;
  if (version.notBefore !== null && now < version.notBefore) throw refuse(`(version ${version.versionId}) is not valid before ${new Date(version.notBefore).toISOString()}`, 'KeyNotYetValid');
  if (version.expiresOn !== null && now >= version.expiresOn) throw refuse(`(version ${version.versionId}) expired at ${new Date(version.expiresOn).toISOString()}`, 'KeyExpired');
}
