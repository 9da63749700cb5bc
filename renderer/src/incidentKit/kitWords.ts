// Words of the offline console: an order's scope, what a distrust order does, and a time, as the kit's screens show them.
import type { KitOrderView } from '../../../shared/kitOfflineContract.ts';

export function scopeInWords(scope: KitOrderView['scope']): string {
  if ('fleet' in scope) return 'the whole fleet';
  if ('deviceIds' in scope) return `robot${scope.deviceIds.length === 1 ? '' : 's'} ${scope.deviceIds.join(', ')}`;
  if ('site' in scope) return `site ${scope.site}`;
  if ('model' in scope) return `model ${scope.model}`;
  if ('firmware' in scope) return `firmware ${scope.firmware}`;
  return `tag ${scope.tag}`;
}

/** An ISO time as "2026-12-05 02:40 UTC" (the kit is read on a laptop whose zone may differ from the console's). */
export function formatWhen(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** Whether the order tells robots to stop trusting fleet CAs (distrust_ca): it quarantines no robot. */
export const isDistrustOrder = (o: Pick<KitOrderView, 'actions'>): boolean => o.actions.includes('distrust_ca');

/** A distrust order in words: "Stops every robot trusting fleet CA CN=Fleet CA (1a2b3c4d)" (the CA as at export). */
export function distrustInWords(o: Pick<KitOrderView, 'distrustCas'>): string {
  const cas = o.distrustCas ?? [];
  if (cas.length === 0) return 'Stops every robot trusting a fleet CA (not named in this kit)';
  return `Stops every robot trusting ${cas.map((ca) => `fleet CA ${ca.subject} (${ca.caId.slice(0, 8)})`).join(', ')}`;
}

/** What every distrust order warns of: robots cannot take it back. */
export const DISTRUST_FINAL =
  'Final on robots: a robot that takes this order never trusts that CA again (no lift or expiry undoes it; re-provisioning on a new CA does). It quarantines no robot: the CA is compromised, not the robots.';
