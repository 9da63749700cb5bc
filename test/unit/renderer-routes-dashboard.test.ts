// The console's hash routes and the dashboard's figures (renderer/src/shell/routes.ts, fleet/dashboardFigures.ts).
// Expectations come from tables written here and from docs/ui-design-system.md ("Deep links").
import { describe, expect, it } from 'vitest';
import { hrefFor, parseHash } from '../../renderer/src/shell/routes.ts';
import { certificatesByWeek, keysByStateAndProvider } from '../../renderer/src/fleet/dashboardFigures.ts';

describe('hash routes', () => {
  it.each([
    ['#/dashboard', { page: 'dashboard', params: {} }],
    ['#/fleet?status=quarantined&site=Oslo', { page: 'fleet', params: { status: 'quarantined', site: 'Oslo' } }],
    ['#/fleet?status=revoked&color=red', { page: 'fleet', params: { status: 'revoked' } }],
    ['#/certs?expiringWithinDays=7', { page: 'certs', params: { expiringWithinDays: '7' } }],
    ['#/keys?key=abc', { page: 'keys', params: { key: 'abc' } }],
    ['#/keys/', { page: 'keys', params: {} }],
    ['#/fleet?site=', { page: 'fleet', params: {} }],
    ['#/settings?tab=x', { page: 'settings', params: {} }],
  ])('%s is %j', (hash, route) => {
    expect(parseHash(hash)).toEqual(route);
  });

  it.each(['', '#', '#/', '#/nonsense', '#/__proto__', '#/constructor?x=1'])('%j names no screen', (hash) => {
    expect(parseHash(hash)).toBeNull();
  });

  it('writes only the parameters a screen reads, and reads back what it wrote', () => {
    expect(hrefFor('fleet', { status: 'deployed', site: 'Plant North', other: 'x' })).toBe('#/fleet?status=deployed&site=Plant+North');
    expect(hrefFor('dashboard', { status: 'deployed' })).toBe('#/dashboard');
    expect(parseHash(hrefFor('fleet', { site: 'A&B=C' }))).toEqual({ page: 'fleet', params: { site: 'A&B=C' } });
  });
});

describe('dashboard figures', () => {
  it('counts keys by state and provider, states in lifecycle order, providers sorted', () => {
    const figures = keysByStateAndProvider([
      { state: 'active', provider: 'vault-a' },
      { state: 'compromised', provider: 'local' },
      { state: 'active', provider: 'local' },
      { state: 'active', provider: 'local' },
      { state: 'pre_activation', provider: 'local' },
    ]);
    expect(figures.states).toEqual(['pre_activation', 'active', 'compromised']);
    expect(figures.series.map((s) => s.provider)).toEqual(['local', 'vault-a']);
    expect(figures.series[0]!.counts).toMatchObject({ pre_activation: 1, active: 2, compromised: 1, destroyed: 0 });
    expect(figures.series[1]!.counts).toMatchObject({ active: 1, compromised: 0 });
  });

  it('puts certificates in weeks until expiry, expired apart, each week linking to "expiring within" its last day + 1', () => {
    const cert = (daysLeft: number) => ({ deviceId: 'r', serial: String(daysLeft), notAfter: '2030-01-01T00:00:00.000Z', daysLeft });
    const weeks = certificatesByWeek([cert(-3), cert(0), cert(6), cert(7), cert(13), cert(29), cert(30)], 30);
    // 30-day horizon: Expired, then weeks of 0-6, 7-13, 14-20, 21-27, 28-30 days left.
    expect(weeks).toEqual([
      { label: 'Expired', count: 1, withinDays: null },
      { label: 'Week 1 (0–6 days)', count: 2, withinDays: 7 },
      { label: 'Week 2 (7–13 days)', count: 2, withinDays: 14 },
      { label: 'Week 3 (14–20 days)', count: 0, withinDays: 21 },
      { label: 'Week 4 (21–27 days)', count: 0, withinDays: 28 },
      { label: 'Week 5 (28–30 days)', count: 2, withinDays: 31 },
    ]);
  });
});
