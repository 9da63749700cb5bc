// The dashboard's "key versions held across the fleet" (issue 12; electron/services/fleet/fleetDashboard.ts
// keyVersionsHeld): per key, robots on its current version and robots behind it; a key the store no longer has counts
// as behind; the keys with the most robots behind first; at most KEY_VERSIONS_LISTED listed, the totals count all.
// Expected values are written in the table below.
import { describe, expect, it } from 'vitest';
import { keyVersionsHeld } from '../../electron/services/fleet/fleetDashboard.ts';
import { KEY_VERSIONS_LISTED } from '../../shared/fleetContract.ts';

const KEYS = new Map([
  ['k-uplink', { label: 'uplink', type: 'communication', currentVersion: 3 }],
  ['k-store', { label: 'store', type: 'storage', currentVersion: 1 }],
  ['k-alpha', { label: 'alpha', type: 'storage', currentVersion: 2 }],
]);

describe('key versions held across the fleet', () => {
  it('splits each key into current and behind, lists the most behind first, and totals every key', () => {
    const counts = [
      { keyId: 'k-alpha', version: 2, robots: 4 },
      { keyId: 'k-gone', version: 1, robots: 2 },
      { keyId: 'k-store', version: 1, robots: 7 },
      { keyId: 'k-uplink', version: 1, robots: 1 },
      { keyId: 'k-uplink', version: 2, robots: 5 },
      { keyId: 'k-uplink', version: 3, robots: 10 },
    ];
    expect(keyVersionsHeld(counts, KEYS)).toEqual({
      listed: [
        { keyId: 'k-uplink', label: 'uplink', type: 'communication', currentVersion: 3, current: 10, behind: 6 },
        { keyId: 'k-gone', label: null, type: null, currentVersion: null, current: 0, behind: 2 },
        // None behind: the most robots first.
        { keyId: 'k-store', label: 'store', type: 'storage', currentVersion: 1, current: 7, behind: 0 },
        { keyId: 'k-alpha', label: 'alpha', type: 'storage', currentVersion: 2, current: 4, behind: 0 },
      ],
      total: { keys: 4, current: 21, behind: 8 },
    });
  });

  it('ties: the label decides; nobody holding anything lists nothing', () => {
    const counts = [
      { keyId: 'k-uplink', version: 3, robots: 1 },
      { keyId: 'k-alpha', version: 2, robots: 1 },
    ];
    expect(keyVersionsHeld(counts, KEYS).listed.map((k) => k.label)).toEqual(['alpha', 'uplink']);
    expect(keyVersionsHeld([], KEYS)).toEqual({ listed: [], total: { keys: 0, current: 0, behind: 0 } });
  });

  it(`lists at most ${KEY_VERSIONS_LISTED} keys; the totals still count them all`, () => {
    const many = Array.from({ length: 25 }, (_, i) => ({ keyId: `k-${String(i).padStart(2, '0')}`, version: 1, robots: i + 1 }));
    const r = keyVersionsHeld(many, new Map());
    expect(r.listed).toHaveLength(20);
    expect(r.listed[0]).toMatchObject({ keyId: 'k-24', behind: 25 });
    expect(r.total).toEqual({ keys: 25, current: 0, behind: (25 * 26) / 2 });
  });
});
