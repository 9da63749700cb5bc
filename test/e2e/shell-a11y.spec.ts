// The console frame (issue 12): every screen reachable from the side navigation is visited, with
//  - no Content-Security-Policy violation on any of them (the CSP watch of design-system-csp.spec.ts);
//  - axe (@axe-core/playwright, WCAG 2.x A/AA rules) finding no serious or critical violation on any screen (and the
//    Keys screen's create dialog); screens not yet ported are printed; an exemption (AXE_EXEMPT) must give a reason
//    and its findings are printed as a skipped annotation, not dropped;
//  - hash deep links: the URL names the screen, a typed URL opens it, filters come from it;
//  - the favicon served (no 404) with its content type, the window title naming the screen.
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, test } from './support/consoleFixture.ts';
import { INTERNAL_WORDS } from './support/axe.ts';
import { watchCsp } from './support/cspWatch.ts';
import { fleetFilter, pickOption } from './support/fleetUi.ts';
import { clickNav, completeFirstRun, createKey, keyRow, openConsole } from './support/ui.ts';

interface Screen {
  nav: string;
  heading: string;
  hash: string;
}

const SCREENS: readonly Screen[] = [
  { nav: 'Dashboard', heading: 'Fleet dashboard', hash: '#/dashboard' },
  { nav: 'Fleet', heading: 'Fleet', hash: '#/fleet' },
  { nav: 'Keys', heading: 'Keys', hash: '#/keys' },
  { nav: 'Rotation schedules', heading: 'Rotation schedules', hash: '#/rotation' },
  { nav: 'Certificates', heading: 'Certificates', hash: '#/certs' },
  { nav: 'Station', heading: 'Station', hash: '#/station' },
  { nav: 'Audit', heading: 'Audit log', hash: '#/audit' },
  { nav: 'Compliance reports', heading: 'Compliance reports', hash: '#/reports' },
  { nav: 'Providers', heading: 'Providers', hash: '#/providers' },
  { nav: 'Metrics and alerts', heading: 'Metrics and alerts', hash: '#/metrics' },
  { nav: 'Approvals', heading: 'Approvals', hash: '#/approvals' },
  { nav: 'Recovery and backup', heading: 'Recovery and backup', hash: '#/recovery' },
  { nav: 'Operators', heading: 'Operators', hash: '#/operators' },
  { nav: 'Settings', heading: 'Settings', hash: '#/settings' },
];

/** Screens not yet ported to the design system (printed with every run so they are not forgotten). axe is enforced on
 * them too: on the state this test gives them (empty lists, one key) it finds nothing serious since the Fleet and
 * Audit virtual tables' scrollers became their row groups. A screen whose findings cannot be fixed at once may be
 * put in AXE_EXEMPT with the reason: its content is then excluded and its findings printed as skipped, not dropped. */
const NOT_PORTED: string[] = [];
const AXE_EXEMPT: Readonly<Record<string, string>> = {};

const SERIOUS = new Set(['serious', 'critical']);

async function axeSerious(page: Page, exclude?: string): Promise<string[]> {
  let builder = new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']);
  if (exclude) builder = builder.exclude(exclude);
  const result = await builder.analyze();
  return result.violations
    .filter((v) => SERIOUS.has(v.impact ?? ''))
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.length}× e.g. ${v.nodes[0]?.target.join(' ')})`);
}

test('every screen: no CSP violation, no serious axe violation, deep links, title', async ({ page, harness }) => {
  test.setTimeout(420_000); // a hang guard: 14 screens with axe took 3.8 min at load 20 (2026-12-05)
  const csp = await watchCsp(page);
  const notFound: string[] = [];
  const favicons: string[] = [];
  page.on('response', (r) => {
    if (r.status() === 404) notFound.push(r.url());
    if (r.url().includes('favicon')) favicons.push(`${r.status()} ${r.headers()['content-type']}`);
  });
  await openConsole(page, harness.current().host.url);
  // The unlock screens are screens too.
  expect(await axeSerious(page)).toEqual([]);
  await completeFirstRun(page);

  for (const screen of SCREENS) {
    await clickNav(page, screen.nav);
    const heading = page.getByRole('heading', { name: screen.heading, level: 1 });
    await expect(heading).toBeVisible();
    await expect(heading).toBeFocused();
    await expect(page).toHaveURL(new RegExp(`${screen.hash.replace('/', '\\/')}$`));
    await expect(page).toHaveTitle(`${screen.heading} · ECPS-UV Fleet Security Console`);
    // The breadcrumbs end with the screen.
    await expect(page.getByRole('navigation', { name: 'Breadcrumbs' })).toContainText(screen.heading);
    // No internals on the screen: no channel name, no router "Invalid input for …", no schema path (issue 12).
    expect(await page.locator('body').innerText(), `${screen.nav} shows internals`).not.toMatch(INTERNAL_WORDS);

    if (NOT_PORTED.includes(screen.nav)) console.log(`NOT YET PORTED to the design system: ${screen.nav} (issue 12)`);
    const exempt = AXE_EXEMPT[screen.nav];
    if (exempt) {
      expect(await axeSerious(page, '.legacy-page'), `frame around ${screen.nav}`).toEqual([]);
      const inside = await axeSerious(page);
      test.info().annotations.push({ type: 'skip', description: `axe inside ${screen.nav} (${exempt}): ${inside.join('; ') || 'none found'}` });
      console.log(`SKIPPED axe inside ${screen.nav} (${exempt}): ${inside.join('; ') || 'none found'}`);
    } else {
      expect(await axeSerious(page), screen.nav).toEqual([]);
    }
  }

  // The Keys screen with a key in its table, and its create dialog open.
  await clickNav(page, 'Keys');
  await createKey(page, { label: 'axe link', type: 'communication' });
  expect(await axeSerious(page), 'Keys with a key').toEqual([]);
  await page.getByRole('button', { name: 'New key…' }).click();
  await expect(page.getByRole('dialog', { name: 'Create a key' })).toBeVisible();
  expect(await axeSerious(page), 'Create a key dialog').toEqual([]);
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog', { name: 'Create a key' })).toBeHidden();

  // The dashboard's key figures drill down to the Keys list filtered by state or provider.
  await clickNav(page, 'Dashboard');
  const byState = page.getByRole('list', { name: 'Keys by state' });
  await expect(byState.getByRole('link', { name: 'Active: 1' })).toHaveAttribute('href', '#/keys?state=active');
  await expect(page.getByRole('list', { name: 'Keys by provider' }).getByRole('link', { name: 'local: 1' })).toHaveAttribute('href', '#/keys?provider=local');
  await byState.getByRole('link', { name: 'Active: 1' }).click();
  await expect(page.getByRole('heading', { name: 'Keys', level: 1 })).toBeVisible();
  await expect(page.getByText('Showing 1 of 1 keys: state Active.')).toBeVisible();
  await expect(keyRow(page, 'axe link')).toBeVisible();
  await page.goto(`${harness.current().host.url}#/keys?state=compromised`);
  await expect(page.getByText('Showing 0 of 1 keys: state Compromised.')).toBeVisible();
  await expect(page.getByText('No key matches.')).toBeVisible();
  await page.getByRole('link', { name: 'Show all keys' }).click();
  await expect(keyRow(page, 'axe link')).toBeVisible();

  // A typed URL opens its screen with its filter; an unknown screen opens the dashboard.
  await page.goto(`${harness.current().host.url}#/fleet?status=revoked&site=Nowhere`);
  await expect(page.getByRole('heading', { name: 'Fleet', level: 1 })).toBeVisible();
  await expect(fleetFilter(page, 'Status')).toHaveText('revoked');
  await expect(page.getByRole('searchbox', { name: 'Search' })).toHaveValue('');
  // The URL follows the filters as they change.
  await pickOption(page, fleetFilter(page, 'Status'), 'deployed');
  await expect(page).toHaveURL(/#\/fleet\?status=deployed&site=Nowhere$/);
  await page.goto(`${harness.current().host.url}#/nonsense`);
  await expect(page.getByRole('heading', { name: 'Fleet dashboard', level: 1 })).toBeVisible();

  expect(await csp.violations()).toEqual([]);
  expect(notFound).toEqual([]);
  expect(favicons.length).toBeGreaterThan(0);
  expect(new Set(favicons)).toEqual(new Set(['200 image/svg+xml']));
});
