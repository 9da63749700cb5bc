// Words for a provider's state, shared by the table, the detail panel and the Keys page banner.
import type { ProviderStatus } from '../../../shared/contract.ts';
import { LOCAL_PROVIDER_ID } from '../../../shared/domain.ts';

export type HealthWord = 'healthy' | 'unreachable' | 'not checked';

/** Unreachable when the last check failed or the circuit breaker is open (calls are refused without trying). */
export function healthWord(p: ProviderStatus): HealthWord {
  if (p.circuit === 'open') return 'unreachable';
  if (!p.health) return 'not checked';
  return p.health.ok ? 'healthy' : 'unreachable';
}

export const CIRCUIT_LABELS: Readonly<Record<ProviderStatus['circuit'], string>> = {
  closed: 'Closed',
  open: 'Open (calls refused)',
  half_open: 'Half-open (probing)',
};

export function storageMode(p: ProviderStatus): string {
  const parts = [p.useKmsForStorage ? 'KMS storage' : 'Local storage'];
  if (p.settings.offline_mode === true) parts.push('offline mode');
  if (p.settings.enable_local_cache === true) parts.push(`cache ${typeof p.settings.cache_ttl_seconds === 'number' ? `${p.settings.cache_ttl_seconds} s` : 'on'}`);
  return parts.join(', ');
}

/** Saved through this console (editable); the built-in local store and providers from the environment are not. */
export function isEditable(p: ProviderStatus): boolean {
  return p.id !== LOCAL_PROVIDER_ID && p.kind !== 'local' && p.settings.origin !== 'environment';
}
