// Words of the offline console: an order's scope and a time, as the kit's screens show them.
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
