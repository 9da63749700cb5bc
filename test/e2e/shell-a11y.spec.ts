// The console frame (issue 12): every screen reachable from the side navigation is visited, with
//  - no Content-Security-Policy violation on any of them (the CSP watch of design-system-csp.spec.ts);
//  - axe (@axe-core/playwright, WCAG 2.x A/AA rules) finding no serious or critical violation on the screens on the
//    design system and the frame around every screen; screens still on hand-written markup are listed in LEGACY with
//    why, and their axe findings are printed as a skipped annotation, not dropped;
//  - hash deep links: the URL names the screen, a typed URL opens it, filters come from it;
//  - the favicon served (no 404) with its content type, the window title naming the screen.
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, test } from './support/consoleFixture.ts';
import { watchCsp } from './support/cspWatch.ts';
import { completeFirstRun, openConsole } from './support/ui.ts';

interface Screen {
  nav: string;
  heading: string;
  hash: string;
}

const SCREENS: readonly Screen[] = [
  { nav: 'Dashboard', heading: 'Fleet dashboard', hash: '#/dashboard' },
  { nav: 'Fleet', heading: 'Fleet', hash: '#/fleet' },
  { nav: 'Keys', heading: 'Keys', hash: '#/keys' },
  { nav: 'Certificates', heading: 'Certificates', hash: '#/certs' },
  { nav: 'Station', heading: 'Station', hash: '#/station' },
  { nav: 'Audit', heading: 'Audit log', hash: '#/audit' },
  { nav: 'Providers', heading: 'Providers', hash: '#/providers' },
];

/** Screens not yet ported to the design system: axe runs on the frame only (their content is excluded), and what it
 * finds inside them is reported as a skipped annotation. Remove a screen from here when it is ported. */
const LEGACY: Readonly<Record<string, string>> = {
  Fleet: 'not yet ported (issue 12): hand-written virtual table',
  Keys: 'not yet ported (issue 12): hand-written table and dialogs',
  Certificates: 'not yet ported (issue 12)',
  Station: 'not yet ported (issue 12)',
  Audit: 'not yet ported (issue 12): hand-written virtual table',
  Providers: 'not yet ported (issue 12): hand-written forms',
};

const SERIOUS = new Set(['serious', 'critical']);

async function axeSerious(page: Page, exclude?: string): Promise<string[]> {
  let builder = new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']);
  if (exclude) builder = builder.exclude(exclude);
  const result = await builder.analyze();
  return result.violations
    .filter((v) => SERIOUS.has(v.impact ?? ''))
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.length}× e.g. ${v.nodes[0]?.target.join(' ')})`);
}

test('every screen: no CSP violation, no serious axe violation on ported screens and the frame, deep links, title', async ({ page, harness }) => {
  test.setTimeout(120_000);
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

  const nav = page.getByRole('navigation', { name: 'Main' });
  for (const screen of SCREENS) {
    await nav.getByRole('link', { name: screen.nav, exact: true }).click();
    const heading = page.getByRole('heading', { name: screen.heading, level: 1 });
    await expect(heading).toBeVisible();
    await expect(heading).toBeFocused();
    await expect(page).toHaveURL(new RegExp(`${screen.hash.replace('/', '\\/')}$`));
    await expect(page).toHaveTitle(`${screen.heading} · ECPS-UV Fleet Security Console`);
    // The breadcrumbs end with the screen.
    await expect(page.getByRole('navigation', { name: 'Breadcrumbs' })).toContainText(screen.heading);

    const legacy = LEGACY[screen.nav];
    if (legacy) {
      expect(await axeSerious(page, '.legacy-page'), `frame around ${screen.nav}`).toEqual([]);
      const inside = await axeSerious(page);
      test.info().annotations.push({ type: 'skip', description: `axe inside ${screen.nav} (${legacy}): ${inside.length ? inside.join('; ') : 'none found'}` });
      console.log(`SKIPPED axe inside ${screen.nav} (${legacy}): ${inside.length ? inside.join('; ') : 'none found'}`);
    } else {
      expect(await axeSerious(page), screen.nav).toEqual([]);
    }
  }

  // A typed URL opens its screen with its filter; an unknown screen opens the dashboard.
  await page.goto(`${harness.current().host.url}#/fleet?status=revoked&site=Nowhere`);
  await expect(page.getByRole('heading', { name: 'Fleet', level: 1 })).toBeVisible();
  await expect(page.getByRole('combobox', { name: 'Status' })).toHaveValue('revoked');
  await expect(page.getByRole('searchbox', { name: 'Search' })).toHaveValue('');
  await page.goto(`${harness.current().host.url}#/nonsense`);
  await expect(page.getByRole('heading', { name: 'Fleet dashboard', level: 1 })).toBeVisible();

  expect(await csp.violations()).toEqual([]);
  expect(notFound).toEqual([]);
  expect(favicons.length).toBeGreaterThan(0);
  expect(new Set(favicons)).toEqual(new Set(['200 image/svg+xml']));
});
