// What the KMS-backed key services share: their dependencies and how a console key maps onto provider keys and
// provider key versions.
import { ConsoleError } from '../../../shared/errors.ts';
import type { ResilientProvider } from '../../providers/resilience/withResilience.ts';
import type { KmsProvider } from '../../providers/types.ts';
import type { KeyRow, KeyVersionRow } from '../../store/keysRepo.ts';
import type { KeyServiceDeps } from './keysShared.ts';
import type { ProviderEntry, ProviderRegistry } from '../providers/providerRegistry.ts';

export interface KmsKeyDeps extends KeyServiceDeps {
  registry: ProviderRegistry;
  /** The internal local KMS provider: holds the fallback keys of degraded (offline_mode) encryption. */
  localKms: KmsProvider;
}

/** The provider name of a console key: alias "alias/ecps/key-<uuid>" on AWS, transit key "key-<uuid>" on Vault. */
export const providerKeyName = (keyId: string) => `key-${keyId}`;
export const fallbackKeyName = (keyId: string) => `fallback-${keyId}`;

/** The configured provider entry of a key's primary provider, or provider_unavailable when it is not configured. */
export function providerOf(deps: KmsKeyDeps, key: KeyRow): ProviderEntry & { keyRef: string } {
  const entry = deps.registry.get(key.provider);
  if (!entry || !key.providerKeyRef) {
    // Most likely the environment's provider, refused at unlock: say why, naming the variable, rather than "unavailable".
    const refused = entry ? null : deps.registry.environmentRefusal();
    if (refused) throw new ConsoleError(refused.code, `Key ${key.id} lives in provider ${key.provider}, which is not configured in this console. ${refused.message}`, { ...refused.details, provider: key.provider });
    throw new ConsoleError('provider_unavailable', `Key ${key.id} lives in provider ${key.provider}, which is not configured in this console.`, { provider: key.provider });
  }
  return { ...entry, keyRef: key.providerKeyRef };
}

export function backupOf(deps: KmsKeyDeps, key: KeyRow): { provider: ResilientProvider; keyRef: string } | null {
  if (!key.backupProvider || !key.backupKeyRef) return null;
  const entry = deps.registry.get(key.backupProvider);
  return entry ? { provider: entry.provider, keyRef: key.backupKeyRef } : null;
}

/** The provider's version number of a console version held by the provider (undefined: the provider's newest). */
export function providerVersionOf(v: KeyVersionRow): number | undefined {
  return v.providerVersion ?? undefined;
}

/** The console version that corresponds to a provider version (newest provider-held version when unknown). */
export function consoleVersionOf(versions: KeyVersionRow[], providerId: string, providerVersion: number | null, fallback: number): number {
  const held = versions.filter((v) => v.provider === providerId);
  if (providerVersion !== null && providerVersion > 0) {
    const match = held.find((v) => v.providerVersion === providerVersion);
    if (match) return match.version;
  }
  return held.length > 0 ? held[held.length - 1]!.version : fallback;
}

/** Whether a provider looks reachable now: its circuit is closed and its last health check (if any) passed. */
export function looksReachable(p: KmsProvider): boolean {
  const r = p as Partial<ResilientProvider>;
  if (typeof r.status !== 'function') return true;
  const s = r.status();
  return s.breaker === 'closed' && (s.lastHealth === null || s.lastHealth.ok);
}
