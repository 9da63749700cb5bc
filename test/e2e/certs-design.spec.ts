// The Certificates screen on the design system (issue 12): the create-CA form says a refusal next to its field in
// words; the "expiring within" filter refuses a value that is not a number of days visibly (from the dashboard's deep
// link or typed), instead of ignoring it; axe finds nothing serious on the form or the screen.
import { expect, test } from './support/consoleFixture.ts';
import { axeSerious, INTERNAL_WORDS } from './support/axe.ts';
import { clickNav, completeFirstRun, openConsole } from './support/ui.ts';

test('create-CA refusal beside its field; a bad "expiring within" is refused visibly, a good one applies', async ({ page, harness }) => {
  test.setTimeout(180_000);
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  await clickNav(page, 'Certificates');

  const form = page.getByRole('form', { name: 'Create fleet CA' });
  await expect(form).toBeVisible();
  expect(await axeSerious(page), 'Create fleet CA form').toEqual([]);
  await form.getByLabel('Common name').fill('');
  await form.getByRole('button', { name: 'Create fleet CA' }).click();
  await expect(form.getByLabel('Common name')).toHaveAccessibleDescription(/Must not be empty\./);
  await expect(form).toContainText('Check the highlighted values and try again.');
  expect(await form.innerText()).not.toMatch(INTERNAL_WORDS);
  await form.getByLabel('Common name').fill('E2E Fleet CA');
  await form.getByRole('button', { name: 'Create fleet CA' }).click();
  await expect(page.getByTestId('ca-subject')).toHaveText('CN=E2E Fleet CA, O=ECPS-UV Fleet');

  // The dashboard's deep link with a value that is not a number of days: shown, marked invalid, said why.
  await page.goto(`${harness.current().host.url}#/certs?expiringWithinDays=abc`);
  const within = page.getByLabel('Expiring within days');
  await expect(within).toHaveValue('abc');
  await expect(within).toHaveAttribute('aria-invalid', 'true');
  await expect(within).toHaveAccessibleDescription(/“abc” is not a number of days: give a whole number from 1 to 36,500\./);
  await within.fill('0');
  await expect(within).toHaveAccessibleDescription(/Give a whole number of days from 1 to 36,500\./);
  await within.fill('7');
  await expect(within).not.toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('No certificates expiring in that window.')).toBeVisible();

  await page.goto(`${harness.current().host.url}#/certs?expiringWithinDays=30`);
  await expect(page.getByLabel('Expiring within days')).toHaveValue('30');
  expect(await axeSerious(page), 'Certificates screen').toEqual([]);
});
