// The Operators screen follows changes made outside the window (docs/operators.md, "Operators screen"): an operator
// added, their role changed, a second factor enabled and reset, an operator removed, each through the main process
// (the console the window talks to, not the window) and each shown without a reload, on the operators:changed push.
// (Another process cannot change the store meanwhile: the console holds it under an exclusive lock.)
import type { Page } from '@playwright/test';
import { expect, test } from './support/consoleFixture.ts';
import { codeAt } from '../integration/support/totpCodes.ts';
import { clickNav, completeFirstRun, openConsole, OPERATOR } from './support/ui.ts';

const t = { transport: 'test' as const };
const VIEWER = 'Vic Viewer';
const operatorsTable = (page: Page) => page.getByRole('table', { name: 'Operators' });
/** The operator's own row (another row names its creator). */
const row = (page: Page, name: string) => operatorsTable(page).getByRole('row', { name: new RegExp(`^Select ${name} `) });

test('operators added, changed, given and relieved of a second factor, and removed outside the window appear without a reload', async ({ page, harness }) => {
  const fleet = harness.current().fleet;
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  await clickNav(page, 'Operators');
  await expect(row(page, OPERATOR)).toContainText('Admin');
  await expect(row(page, VIEWER)).toHaveCount(0);
  // No navigation happens below: the page must not reload (a reload would drop this marker).
  await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));

  await fleet.handlers['operators:add']({ name: VIEWER, role: 'viewer', passphrase: 'the viewer has a passphrase' }, t);
  await expect(row(page, VIEWER)).toContainText('Viewer');
  await fleet.handlers['operators:setRole']({ name: VIEWER, role: 'station_operator' }, t);
  await expect(row(page, VIEWER)).toContainText('Station operator');

  const { secret } = await fleet.handlers['operators:enrollTotp']({}, t);
  await fleet.handlers['operators:confirmTotp']({ code: codeAt(secret, Date.now()) }, t);
  await expect(row(page, OPERATOR)).toContainText('Authenticator app');
  await fleet.handlers['operators:resetTotp']({ name: OPERATOR }, t);
  await expect(row(page, OPERATOR)).not.toContainText('Authenticator app');

  // Alone with a station operator, the admin's removal of them is waived (docs/two-person-control.md).
  await fleet.handlers['operators:remove']({ name: VIEWER }, t);
  await expect(row(page, VIEWER)).toHaveCount(0);
  expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
});
