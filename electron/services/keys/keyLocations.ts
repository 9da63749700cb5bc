// Where a console key lives and how its versions map onto providers. Every key has a primary location (its provider:
// the local store for local keys, keyRef = the key id); encryption keys may have a backup provider and an offline
// fallback key (local-kms); a key moved to a provider keeps its older versions in the store (location 'store').
// Every location is a KmsProvider, so the lifecycle treats them all alike.
import crypto from 'node:crypto';
import { LOCAL_PROVIDER_ID } from '../../../shared/domain.ts';
import { ConsoleError } from '../../../shared/errors.ts';
import { publicKeyFingerprint } from '../../crypto/keyMaterial.ts';
import type { ResilientProvider } from '../../providers/resilience/withResilience.ts';
import type { KmsProvider } from '../../providers/types.ts';
import { FALLBACK_PROVIDER_ID, type KeyLocationRole, type KeyRow, type KeyVersionRow } from '../../store/keysRepo.ts';
import type { KeyServiceDeps } from './keysShared.ts';

/** AWS KMS allows 7 to 30 days; the console asks for the minimum so the material goes as soon as the provider allows. */
export const MIN_DESTRUCTION_WAITING_DAYS = 7;

/** The provider name of a console key: alias "alias/ecps/key-<uuid>" on AWS, transit key "key-<uuid>" on Vault. */
export const providerKeyName = (keyId: string) => `key-${keyId}`;
export const fallbackKeyName = (keyId: string) => `fallback-${keyId}`;

export interface KeyLocation {
  role: KeyLocationRole;
  providerId: string;
  keyRef: string;
}

/** The provider behind a provider id ('local': this store; 'local-kms': the fallback keys), or null if not configured. */
export function holderOf(deps: KeyServiceDeps, providerId: string): KmsProvider | null {
  if (providerId === LOCAL_PROVIDER_ID) return deps.store;
  if (providerId === deps.localKms.id) return deps.localKms;
  return deps.registry.get(providerId)?.provider ?? null;
}

/** Every place a copy of the key lives, primary first. */
export function locationsOf(key: KeyRow, versions: readonly KeyVersionRow[]): KeyLocation[] {
  const out: KeyLocation[] = [];
  const local = key.provider === LOCAL_PROVIDER_ID;
  out.push({ role: 'primary', providerId: key.provider, keyRef: local ? key.id : (key.providerKeyRef ?? '') });
  if (key.backupProvider && key.backupKeyRef) out.push({ role: 'backup', providerId: key.backupProvider, keyRef: key.backupKeyRef });
  if (key.fallbackKeyRef) out.push({ role: 'fallback', providerId: FALLBACK_PROVIDER_ID, keyRef: key.fallbackKeyRef });
  if (!local && versions.some((v) => !v.provider && v.wrappedMaterial)) out.push({ role: 'store', providerId: LOCAL_PROVIDER_ID, keyRef: key.id });
  return out;
}

/** The key's primary provider and reference, or provider_unavailable when that provider is not configured here. */
export function primaryOf(deps: KeyServiceDeps, key: KeyRow): { provider: KmsProvider; keyRef: string } {
  const loc = locationsOf(key, [])[0]!;
  const provider = holderOf(deps, loc.providerId);
  if (!provider || !loc.keyRef) {
    // Most likely the environment's provider, refused at unlock: say why, naming the variable, rather than "unavailable".
    const refused = provider ? null : deps.registry.environmentRefusal();
    if (refused) throw new ConsoleError(refused.code, `Key ${key.id} lives in provider ${key.provider}, which is not configured in this console. ${refused.message}`, { ...refused.details, provider: key.provider });
    throw new ConsoleError('provider_unavailable', `Key ${key.id} lives in provider ${key.provider}, which is not configured in this console.`, { provider: key.provider });
  }
  return { provider, keyRef: loc.keyRef };
}

export function backupOf(deps: KeyServiceDeps, key: KeyRow): { provider: KmsProvider; keyRef: string } | null {
  if (!key.backupProvider || !key.backupKeyRef) return null;
  const provider = holderOf(deps, key.backupProvider);
  return provider ? { provider, keyRef: key.backupKeyRef } : null;
}

/** The provider holding one version, its reference there and the provider's own number for that version. */
export function holderOfVersion(deps: KeyServiceDeps, key: KeyRow, v: KeyVersionRow): { provider: KmsProvider; keyRef: string; providerVersion: number | undefined } {
  if (!v.provider) return { provider: deps.store, keyRef: key.id, providerVersion: v.version };
  const p = primaryOf(deps, key);
  return { ...p, providerVersion: v.providerVersion ?? undefined };
}

/** What the catalog records of a new version at `holder`: the store's prepared row, or the provider's version number and public key. */
export async function versionRecord(
  deps: KeyServiceDeps,
  holder: KmsProvider,
  keyRef: string,
  key: Pick<KeyRow, 'id' | 'algorithm' | 'provider'>,
  version: number,
  providerVersion: number,
  at: string,
): Promise<KeyVersionRow> {
  if (holder === deps.store) {
    const row = deps.store.takePrepared(keyRef, version);
    if (!row) throw new ConsoleError('internal', `The local store prepared no version ${version} of key ${key.id}.`);
    return row;
  }
  return providerVersionRow(holder, keyRef, key, version, providerVersion, at);
}

/** What the store records of one provider-held version: the provider's version and, for signing keys, the public key. */
export async function providerVersionRow(p: KmsProvider, keyRef: string, key: Pick<KeyRow, 'id' | 'algorithm' | 'provider'>, version: number, providerVersion: number, at: string): Promise<KeyVersionRow> {
  let publicSpki: Buffer | null = null;
  if (key.algorithm !== 'AES_256') {
    const { pem } = await p.getPublicKey(keyRef, providerVersion);
    publicSpki = crypto.createPublicKey(pem).export({ format: 'der', type: 'spki' });
  }
  return {
    keyId: key.id,
    version,
    createdAt: at,
    checkValue: publicSpki ? publicKeyFingerprint(publicSpki) : `provider:${key.provider}`,
    publicSpki,
    wrappedMaterial: null,
    destroyed: false,
    provider: key.provider,
    providerVersion,
  };
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
