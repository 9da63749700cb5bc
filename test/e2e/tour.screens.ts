// The README's tour pictures (`npm run screenshots`): a fresh console with a few keys and a small seeded fleet, each
// screen captured from the real renderer in Chromium. Not part of `npm test`: it writes docs/images/ and asserts only
// that each screen is showing before it is captured.
import { resolve } from 'node:path';
import { expect, test } from './support/consoleFixture.ts';
import { seedRobots } from './support/fleetSeed.ts';
import { clickNav, completeFirstRun, createKey, expectDashboardAfterUnlock, goToAudit, goToKeys, openConsole, openKey, unlock } from './support/ui.ts';
import type { Page } from '@playwright/test';

const IMAGES = resolve(import.meta.dirname, '..', '..', 'docs', 'images');

async function snap(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: resolve(IMAGES, `${name}.png`), fullPage: false });
}

async function nav(page: Page, name: string, heading: string): Promise<void> {
  await clickNav(page, name);
  await expect(page.getByRole('heading', { name: heading, level: 1 })).toBeVisible();
}

test.use({ viewport: { width: 1280, height: 760 } });

test('tour', async ({ page, harness }) => {
  test.setTimeout(120_000);
  await openConsole(page, harness.current().host.url);
  await expect(page.getByRole('heading', { name: 'Create the key store' })).toBeVisible();
  await snap(page, 'tour-1-first-run');
  await completeFirstRun(page);

  const storePath = harness.current().fleet.storePath;
  await harness.stop();
  seedRobots(storePath, 240);
  await harness.start();
  await openConsole(page, harness.current().host.url);
  await unlock(page);
  await expectDashboardAfterUnlock(page);
  await goToKeys(page);

  await createKey(page, { label: 'fleet link', type: 'communication' });
  await createKey(page, { label: 'black box storage', type: 'storage' });
  await createKey(page, { label: 'robot-0042 identity', type: 'device_identity', algorithm: 'EC_P256' });
  await createKey(page, { label: 'emergency orders', type: 'emergency' });
  await nav(page, 'Dashboard', 'Fleet dashboard');
  await snap(page, 'tour-2-dashboard');

  await goToKeys(page);
  await openKey(page, 'fleet link');
  await snap(page, 'tour-3-keys');

  await nav(page, 'Fleet', 'Fleet');
  await expect(page.getByTestId('fleet-count')).toHaveText('240 robots');
  await snap(page, 'tour-4-fleet');

  await goToAudit(page);
  await snap(page, 'tour-5-audit');

  // The Emergency screen (top bar, every screen): the blast radius of one robot before anything happens.
  await page.getByRole('link', { name: 'Emergency', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Emergency response', level: 1 })).toBeVisible();
  await page.getByRole('radio', { name: 'One robot' }).check();
  await page.getByLabel('Device id', { exact: true }).fill('robot-000042');
  await page.getByRole('button', { name: 'Preview blast radius' }).click();
  await expect(page.getByTestId('blast-robots')).toHaveText('1');
  await snap(page, 'tour-6-emergency');
});
