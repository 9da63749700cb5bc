import type { KeySummary } from '../../../shared/contract.ts';

/** How many keys each provider holds, as primary or as backup. */
export function keysPerProvider(keys: readonly KeySummary[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const k of keys) {
    counts.set(k.provider, (counts.get(k.provider) ?? 0) + 1);
    if (k.backupProvider && k.backupProvider !== k.provider) counts.set(k.backupProvider, (counts.get(k.backupProvider) ?? 0) + 1);
  }
  return counts;
}
