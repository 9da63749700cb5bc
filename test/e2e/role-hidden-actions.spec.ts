// Issue 14: the window hides what a role may not do. One operator of each role signs in and, per screen, a sample of
// action controls is visible or absent as the table below says (row actions too: Rotate, Change state, Run now; a
// control disabled for a state reason says why). A role without ca:crl downloads the last published CRL. The table is written from the role list and
// shared/permissions.ts CHANNEL_ACCESS (the permission each control's channel needs), not from the renderer; the full
// control-by-control table is test/unit/role-hidden-actions.test.ts.
import type { Page } from '@playwright/test';
import { manualClock } from '../../electron/clock.ts';
import { addOperators } from '../integration/support/consoleCalls.ts';
import type { OperatorRole } from '../../shared/operatorsContract.ts';
import { expect, test } from './support/consoleFixture.ts';
import { clickNav, completeFirstRun, expectDashboardAfterUnlock, openConsole, OPERATOR, PASSPHRASE, unlock } from './support/ui.ts';

const t = { transport: 'test' as const };
const pass = (name: string) => `${name} has a long passphrase`;

const PEOPLE: ReadonlyArray<{ name: string; role: Exclude<OperatorRole, 'admin'> }> = [
  { name: 'Vic', role: 'viewer' },
  { name: 'Stan', role: 'station_operator' },
  { name: 'Kay', role: 'key_custodian' },
  { name: 'Sue', role: 'security_officer' },
];

type Need = 'read' | 'provision' | 'keys' | 'security' | 'admin';
const HOLDS: Readonly<Record<OperatorRole, readonly Need[]>> = {
  viewer: ['read'],
  station_operator: ['read', 'provision'],
  key_custodian: ['read', 'keys'],
  security_officer: ['read', 'security'],
  admin: ['read', 'provision', 'keys', 'security', 'admin'],
};
const DAY = 24 * 3_600_000;

/** Screens shown only to some roles (the side navigation), with the permissions any of which opens them. */
const NAV: ReadonlyArray<{ link: string; anyOf: readonly Need[] }> = [
  { link: 'Station', anyOf: ['provision'] },
  { link: 'Providers', anyOf: ['admin', 'keys'] },
  { link: 'Compliance reports', anyOf: ['security'] },
  { link: 'Operators', anyOf: ['admin'] },
];

/**
 * Per screen, buttons by accessible name, the permission (any of) of the channel each calls, and how many there are
 * (one per row in a table: the setup makes two keys, one due for rotation).
 */
const SCREENS: ReadonlyArray<{ nav: string; heading: string; buttons: ReadonlyArray<{ name: string; anyOf: readonly Need[]; count?: number }> }> = [
  { nav: 'Fleet', heading: 'Fleet', buttons: [{ name: 'Register robot…', anyOf: ['provision'] }, { name: 'Import CSV…', anyOf: ['provision'] }] },
  {
    nav: 'Keys',
    heading: 'Keys',
    buttons: [
      { name: 'New key…', anyOf: ['keys'] },
      { name: 'Rotate', anyOf: ['keys'], count: 2 }, // keys:rotate (disabled, with the reason, for the suspended key)
      { name: 'Change state', anyOf: ['keys', 'security'], count: 2 }, // keys:setState (compromised: the officer's)
    ],
  },
  {
    nav: 'Certificates',
    heading: 'Fleet CA and certificates',
    buttons: [
      { name: 'Replace CA…', anyOf: ['security'] }, // ca:replace
      { name: 'Revoke CA…', anyOf: ['security'] }, // ca:revoke
      // ca:crl (signs a fresh one) for the security officer; ca:publishedCrl (the last published) for every other role.
      { name: 'Download CRL', anyOf: ['read'] },
    ],
  },
  { nav: 'Rotation schedules', heading: 'Rotation schedules', buttons: [{ name: 'Run now: uplink', anyOf: ['keys'] }, { name: 'Resume scheduler', anyOf: ['keys'] }] },
  {
    nav: 'Providers',
    heading: 'Providers',
    buttons: [
      { name: 'Add provider…', anyOf: ['admin'] }, // providers:save (the review's finding)
      { name: 'Test connection to local', anyOf: ['admin'] }, // providers:test
    ],
  },
];

async function checkRole(page: Page, role: OperatorRole): Promise<void> {
  const may = (need: Need) => HOLDS[role].includes(need);
  const nav = page.getByRole('navigation', { name: 'Main' });
  for (const { link, anyOf } of NAV) {
    await expect(nav.getByRole('link', { name: link, exact: true }), `${role}: ${link} in the navigation`).toHaveCount(anyOf.some(may) ? 1 : 0);
  }
  for (const screen of SCREENS) {
    if (screen.nav === 'Providers' && !may('admin') && !may('keys')) continue;
    await clickNav(page, screen.nav);
    const heading = page.getByRole('heading', { name: screen.heading, level: 1 });
    await expect(heading).toBeVisible();
    // The page has finished loading its data once its first read-only control is there; then the actions are settled.
    if (screen.nav === 'Certificates') await expect(page.getByRole('button', { name: 'Download CA certificate' })).toBeVisible();
    if (screen.nav === 'Providers') await expect(page.getByRole('button', { name: 'Check health' })).toBeVisible();
    if (screen.nav === 'Providers') await expect(page.getByRole('table').getByText('local', { exact: true }).first()).toBeVisible();
    if (screen.nav === 'Keys') await expect(page.getByRole('table', { name: 'Keys' }).getByRole('button', { name: 'spare' })).toBeVisible();
    if (screen.nav === 'Rotation schedules') await expect(page.getByRole('table', { name: 'Due and overdue rotations' }).getByRole('link', { name: 'uplink' })).toBeVisible();
    for (const b of screen.buttons) {
      await expect(page.getByRole('button', { name: b.name, exact: true }), `${role} on ${screen.nav}: ${b.name}`).toHaveCount(b.anyOf.some(may) ? (b.count ?? 1) : 0);
    }
    if (screen.nav === 'Keys' && may('keys')) {
      // A state reason, not a role reason: the suspended key's Rotate is disabled and says why.
      const spareRotate = page.getByRole('row').filter({ hasText: 'spare' }).getByRole('button', { name: 'Rotate', exact: true });
      await expect(spareRotate).toHaveAttribute('aria-disabled', 'true');
      await expect(spareRotate).toHaveAccessibleDescription('Only an active key rotates; this one is suspended.');
      await spareRotate.focus();
      await expect(page.getByRole('tooltip')).toHaveText('Only an active key rotates; this one is suspended.');
      await spareRotate.blur();
    }
    if (screen.nav === 'Certificates' && !may('security')) {
      // The last published CRL, not a new one (ca:crl signs; the officer published #1 in the setup).
      await page.getByRole('button', { name: 'Download CRL', exact: true }).click();
      await expect(page.getByRole('status').filter({ hasText: 'saved as' })).toContainText(/CRL #1 \(0 revoked, published .+\) saved as ecps-fleet-ca-1\.crl\.pem/);
    }
  }
}

test('each role sees only the action controls its permissions allow', async ({ page, harness }) => {
  test.setTimeout(180_000);
  const clock = manualClock(Date.now());
  await harness.start({ clock });
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  const fleet = harness.current().fleet;
  await fleet.handlers['ca:init']({ providerId: 'local', algorithm: 'EC_P256', commonName: 'Roles E2E CA' }, t);
  await fleet.handlers['ca:crl']({}, t);
  // Two keys: one due for rotation (a communication key's 24 h, three days later, the scheduler paused so that it
  // stays due), one suspended (Rotate disabled for its state).
  await fleet.handlers['keys:create']({ type: 'communication', label: 'uplink' }, t);
  const spare = await fleet.handlers['keys:create']({ type: 'storage', label: 'spare' }, t);
  await fleet.handlers['keys:setState']({ keyId: spare.id, state: 'suspended', reason: 'not in use' }, t);
  await fleet.handlers['rotation:pause']({}, t);
  clock.advance(3 * DAY);
  await addOperators(fleet, { name: OPERATOR, passphrase: PASSPHRASE }, PEOPLE.map((p) => ({ ...p, passphrase: pass(p.name) })));
  await expectDashboardAfterUnlock(page);
  await checkRole(page, 'admin');
  for (const p of PEOPLE) {
    await page.getByRole('button', { name: 'Lock' }).click();
    await unlock(page, pass(p.name), p.name);
    await expectDashboardAfterUnlock(page);
    await checkRole(page, p.role);
  }
});
