// The dashboard's figures computed from what fleet:dashboard and keys:list return: keys by state and provider,
// certificates by week until expiry. Pure functions so the buckets are tested without a browser.
import { KEY_STATES, type KeyState } from '../../../shared/domain.ts';
import type { FleetDashboard } from '../../../shared/fleetContract.ts';
import type { KeySummary } from '../../../shared/contract.ts';

export interface KeysByStateAndProvider {
  /** States that hold at least one key, in lifecycle order. */
  states: KeyState[];
  /** One series per provider (sorted by id), counting keys per state. */
  series: Array<{ provider: string; counts: Record<KeyState, number> }>;
}

export function keysByStateAndProvider(keys: readonly Pick<KeySummary, 'state' | 'provider'>[]): KeysByStateAndProvider {
  const byProvider = new Map<string, Record<KeyState, number>>();
  for (const k of keys) {
    let counts = byProvider.get(k.provider);
    if (!counts) {
      counts = Object.fromEntries(KEY_STATES.map((s) => [s, 0])) as Record<KeyState, number>;
      byProvider.set(k.provider, counts);
    }
    counts[k.state] += 1;
  }
  const states = KEY_STATES.filter((s) => keys.some((k) => k.state === s));
  const series = [...byProvider.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([provider, counts]) => ({ provider, counts }));
  return { states, series };
}

export interface ExpiryBucket {
  label: string;
  /** Certificates in the bucket. */
  count: number;
  /** The Certificates screen's "expiring within N days" filter that lists this bucket (null for expired ones). */
  withinDays: number | null;
}

/**
 * Certificates by week until expiry: "Expired" (daysLeft < 0), then week 1 (0-6 days left), week 2 (7-13), ... up to
 * the week holding `horizonDays`. Every bucket is present, empty ones with 0, so the chart's axis does not jump.
 */
export function certificatesByWeek(certs: FleetDashboard['expiringCertificates'], horizonDays: number): ExpiryBucket[] {
  const weeks = Math.max(1, Math.ceil((horizonDays + 1) / 7));
  const buckets: ExpiryBucket[] = [{ label: 'Expired', count: 0, withinDays: null }];
  for (let w = 0; w < weeks; w++) {
    const first = w * 7;
    const last = Math.min(first + 6, horizonDays);
    buckets.push({ label: `Week ${w + 1} (${first}–${last} days)`, count: 0, withinDays: last + 1 });
  }
  for (const c of certs) {
    if (c.daysLeft < 0) buckets[0]!.count += 1;
    else {
      const bucket = buckets[1 + Math.min(Math.floor(c.daysLeft / 7), weeks - 1)];
      if (bucket) bucket.count += 1;
    }
  }
  return buckets;
}
