// Issue 14: the window hides what a role may not do. One operator of each role signs in and, per screen, a sample of
// action controls is visible or absent as the table below says. The table is written from the role list and
// shared/permissions.ts CHANNEL_ACCESS (the permission each control's channel needs), not from the renderer; the full
// control-by-control table is test/unit/role-hidden-actions.test.ts.
import type { Page } from '@playwright/test';
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

type Need = 'provision' | 'keys' | 'security' | 'admin';
const HOLDS: Readonly<Record<OperatorRole, readonly Need[]>> = {
  viewer: [],
  station_operator: ['provision'],
  key_custodian: ['keys'],
  security_officer: ['security'],
  admin: ['provision', 'keys', 'security', 'admin'],
};

/** Screens shown only to some roles (the side navigation), with the permissions any of which opens them. */
const NAV: ReadonlyArray<{ link: string; anyOf: readonly Need[] }> = [
  { link: 'Station', anyOf: ['provision'] },
  { link: 'Providers', anyOf: ['admin', 'keys'] },
  { link: 'Compliance reports', anyOf: ['security'] },
  { link: 'Operators', anyOf: ['admin'] },
];

/** Per screen, buttons by accessible name and the permission of the channel each calls. */
const SCREENS: ReadonlyArray<{ nav: string; heading: string; buttons: ReadonlyArray<{ name: string; need: Need }> }> = [
  { nav: 'Fleet', heading: 'Fleet', buttons: [{ name: 'Register robot…', need: 'provision' }, { name: 'Import CSV…', need: 'provision' }] },
  { nav: 'Keys', heading: 'Keys', buttons: [{ name: 'New key…', need: 'keys' }] },
  {
    nav: 'Certificates',
    heading: 'Fleet CA and certificates',
    buttons: [
      { name: 'Replace CA…', need: 'security' }, // ca:replace
      { name: 'Revoke CA…', need: 'security' }, // ca:revoke
      { name: 'Download CRL', need: 'security' }, // ca:crl
    ],
  },
  {
    nav: 'Providers',
    heading: 'Providers',
    buttons: [
      { name: 'Add provider…', need: 'admin' }, // providers:save (the review's finding)
      { name: 'Test connection to local', need: 'admin' }, // providers:test
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
    for (const b of screen.buttons) {
      await expect(page.getByRole('button', { name: b.name, exact: true }), `${role} on ${screen.nav}: ${b.name}`).toHaveCount(may(b.need) ? 1 : 0);
    }
  }
}

test('each role sees only the action controls its permissions allow', async ({ page, harness }) => {
  test.setTimeout(120_000);
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  const fleet = harness.current().fleet;
  await fleet.handlers['ca:init']({ providerId: 'local', algorithm: 'EC_P256', commonName: 'Roles E2E CA' }, t);
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
