// The Settings screen (issue 12's Settings group; docs/ui.md "Settings"): an operator changes their own passphrase,
// locks, and unlocks with the new one (the old one is refused); a wrong current passphrase is said under its field,
// and the form's own checks (a short new passphrase, a different confirmation) under theirs, all at once. axe finds
// nothing serious. A viewer has the screen too (every role changes their own passphrase), without the admin's links.
import { expect, test } from './support/consoleFixture.ts';
import { axeSerious, INTERNAL_WORDS } from './support/axe.ts';
import { clickNav, completeFirstRun, expectDashboardAfterUnlock, openConsole, OPERATOR, PASSPHRASE, unlock } from './support/ui.ts';

const NEW_PASSPHRASE = 'a brand new and longer passphrase';
const VIEWER = 'Vic Viewer';
const VIEWER_PASSPHRASE = 'Vic Viewer has a long passphrase';

test('change your own passphrase, lock, unlock with the new one; refusals under their fields; a viewer has the screen', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  await clickNav(page, 'Settings');
  await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeFocused();
  await expect(page).toHaveURL(/#\/settings$/);
  await expect(page.getByTestId('settings-operator')).toHaveText(OPERATOR);
  await expect(page.getByTestId('settings-second-factor')).toHaveText('None');
  await expect(page.getByTestId('settings-passphrase-changed')).toHaveText('Never');
  // The admin is sent to the one form of each console setting (not a copy of it).
  await expect(page.getByTestId('console-settings').getByRole('link', { name: 'Operators', exact: true })).toHaveCount(2);
  await expect(page.getByTestId('console-settings').getByRole('link', { name: 'Operators', exact: true }).first()).toHaveAttribute('href', '#/operators');
  expect(await axeSerious(page)).toEqual([]);

  const form = page.getByRole('form', { name: 'Change your passphrase' });
  const current = form.getByLabel('Current passphrase');
  const next = form.getByLabel('New passphrase (at least 12 characters)');
  const again = form.getByLabel('Confirm the new passphrase');
  const submit = form.getByRole('button', { name: 'Change passphrase' });

  // The form's own checks, each under its field, at once (the same words as the first run's form).
  await current.fill(PASSPHRASE);
  await next.fill('too short');
  await again.fill('something else');
  await submit.click();
  await expect(next).toHaveAccessibleDescription(/^Error Must be at least 12 characters\./);
  await expect(again).toHaveAccessibleDescription(/^Error Does not match the passphrase\./);
  await expect(next).toBeFocused();
  await expect(form.getByRole('alert')).toContainText('2 values were refused. Check the highlighted values and try again.');

  // A wrong current passphrase: the main process's refusal (wrong_passphrase) under Current passphrase.
  await current.fill('not my passphrase at all');
  await next.fill(NEW_PASSPHRASE);
  await again.fill(NEW_PASSPHRASE);
  await submit.click();
  await expect(current).toHaveAccessibleDescription(/^Error The passphrase is wrong\./);
  await expect(current).toBeFocused();
  await expect(next).not.toHaveAttribute('aria-invalid', 'true');
  // Every passphrase field is emptied after a submit.
  for (const field of [current, next, again]) await expect(field).toHaveValue('');
  expect(await page.locator('body').innerText()).not.toMatch(INTERNAL_WORDS);
  expect(await axeSerious(page)).toEqual([]);

  await current.fill(PASSPHRASE);
  await next.fill(NEW_PASSPHRASE);
  await again.fill(NEW_PASSPHRASE);
  await submit.click();
  await expect(form.getByRole('status')).toHaveText('Your passphrase was changed. Unlock with the new one from now on.');
  await expect(page.getByTestId('settings-passphrase-changed')).not.toHaveText('Never');

  await page.getByRole('button', { name: 'Lock' }).click();
  // The old passphrase no longer opens the store; the new one does.
  await unlock(page, PASSPHRASE);
  await expect(page.getByLabel('Passphrase', { exact: true })).toHaveAccessibleDescription(/The passphrase is wrong\./);
  await unlock(page, NEW_PASSPHRASE);
  await expectDashboardAfterUnlock(page);

  // A viewer: the Settings entry (their own passphrase), no Operators entry, and no links to the admin's forms.
  const { fleet } = harness.current();
  await fleet.handlers['operators:add']({ name: VIEWER, role: 'viewer', passphrase: VIEWER_PASSPHRASE }, { transport: 'test' });
  await page.getByRole('button', { name: 'Lock' }).click();
  await unlock(page, VIEWER_PASSPHRASE, VIEWER);
  await expectDashboardAfterUnlock(page);
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Operators', exact: true })).toHaveCount(0);
  await clickNav(page, 'Settings');
  await expect(page.getByTestId('settings-operator')).toHaveText(VIEWER);
  await expect(page.getByText('An admin sets these on the Operators screen.')).toBeVisible();
  await expect(page.getByTestId('console-settings').getByRole('link', { name: 'Operators', exact: true })).toHaveCount(0);
});
