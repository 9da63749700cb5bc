// The Metrics and alerts screen (issue 13) through the real renderer against a real console: a wrong passphrase at
// unlock raises the specification's CRITICAL "unauthorised access" alert; the shell's navigation shows it as open, the
// screen charts the last hour's key operations (the key just made), and the officer acknowledges the alert, which
// then names them. axe finds nothing serious or critical on the screen.
import { expect, test } from './support/consoleFixture.ts';
import { axeSerious } from './support/axe.ts';
import { clickNav, completeFirstRun, createKey, expectDashboardAfterUnlock, OPERATOR, openConsole, unlock } from './support/ui.ts';

test('metrics and alerts: a chart of the last hour, a failed unlock raised CRITICAL, acknowledged by the officer', async ({ page, harness }) => {
  test.setTimeout(120_000);
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  await createKey(page, { label: 'uplink', type: 'communication' });

  await page.getByRole('button', { name: 'Lock' }).click();
  await unlock(page, 'not the passphrase, clearly');
  await expect(page.getByText('The passphrase is wrong.', { exact: true })).toBeVisible();
  await unlock(page);
  await expectDashboardAfterUnlock(page);

  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByText('1 open')).toBeVisible();
  await clickNav(page, 'Metrics and alerts');
  await expect(page.getByRole('heading', { name: 'Metrics and alerts', level: 1 })).toBeFocused();
  await expect(page).toHaveURL(/#\/metrics$/);

  // The operations chart is drawn (the key made a moment ago); the other three have nothing yet: no rotation ran, no
  // provider is configured, nothing was encrypted.
  await expect(page.locator('[aria-label="Key operations per second (chart)"]').first()).toBeVisible();
  await expect(page.getByText('No data in this range.').filter({ visible: true })).toHaveCount(3);
  await page.getByRole('toolbar', { name: 'Range' }).getByRole('button', { name: 'Last day' }).click();
  await expect(page.getByText('Last day, one point per hour.')).toBeVisible();

  const inbox = page.getByRole('table', { name: 'Alerts' });
  const row = inbox.getByRole('row').filter({ hasText: 'Unauthorised access' });
  await expect(row).toContainText('CRITICAL');
  await expect(row).toContainText('failed unlock');
  expect(await axeSerious(page), 'metrics screen').toEqual([]);

  await row.getByRole('button', { name: /^Acknowledge/ }).click();
  // Unacknowledged only (the default): it leaves the inbox; all alerts: it names the officer.
  await expect(inbox.getByText('No unacknowledged alerts.')).toBeVisible();
  await expect(nav.getByText('1 open')).toHaveCount(0);
  await page.getByText('Unacknowledged only').click();
  await expect(inbox.getByRole('row').filter({ hasText: 'Unauthorised access' })).toContainText(OPERATOR);
});
