// First run, lock and unlock, through the real renderer against a real console.
import { manualClock } from '../../electron/clock.ts';
import { expect, test } from './support/consoleFixture.ts';
import { completeFirstRun, createKey, expectDashboardAfterUnlock, goToKeys, keyRow, keysTable, openConsole, OPERATOR, PASSPHRASE, readSetupFingerprint, unlock } from './support/ui.ts';
import { ERROR_HINTS } from '../../shared/errors.ts';

test('first run refuses a short passphrase and a mismatched confirmation, then creates the store', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await expect(page.getByText('at least 12 characters').first()).toBeVisible();

  await page.getByLabel('Operator name').fill(OPERATOR);
  await page.getByLabel('Passphrase (at least 12 characters)').fill('too-short');
  await page.getByLabel('Confirm passphrase').fill('too-short');
  await page.getByRole('button', { name: 'Create key store' }).click();
  // The problem is said next to its field (the field's description), and focus goes to that field.
  await expect(page.getByLabel('Passphrase (at least 12 characters)')).toHaveAccessibleDescription(/Must be at least 12 characters\./);
  await expect(page.getByLabel('Passphrase (at least 12 characters)')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Passphrase (at least 12 characters)')).toBeFocused();
  await expect(page.getByLabel('Passphrase (at least 12 characters)')).toHaveAttribute('type', 'password');
  await expect(page.getByLabel('Confirm passphrase')).toHaveAttribute('type', 'password');
  // Passphrase fields are emptied after every submit.
  await expect(page.getByLabel('Passphrase (at least 12 characters)')).toHaveValue('');
  await expect(page.getByLabel('Confirm passphrase')).toHaveValue('');

  await page.getByLabel('Passphrase (at least 12 characters)').fill(PASSPHRASE);
  await page.getByLabel('Confirm passphrase').fill(`${PASSPHRASE}!`);
  await page.getByRole('button', { name: 'Create key store' }).click();
  await expect(page.getByLabel('Confirm passphrase')).toHaveAccessibleDescription(/Does not match the passphrase\./);
  await expect(page.getByLabel('Confirm passphrase')).toBeFocused();

  await page.getByLabel('Passphrase (at least 12 characters)').fill(PASSPHRASE);
  await page.getByLabel('Confirm passphrase').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Create key store' }).click();
  // The store is created: its audit key fingerprint is shown (heading focused) before the console opens.
  await readSetupFingerprint(page);
  await page.getByRole('button', { name: 'Continue to the console' }).click();
  await expectDashboardAfterUnlock(page);
  await expect(page.getByText(`Operator: ${OPERATOR}`)).toBeVisible();
  await goToKeys(page);
  await expect(page.getByText('No keys yet')).toBeVisible();
});

test('locking hides the keys; a wrong passphrase is refused with its hint and the right one unlocks', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  await createKey(page, { label: 'link-alpha', type: 'communication' });

  await page.getByRole('button', { name: 'Lock' }).click();
  await expect(page.getByRole('heading', { name: 'Unlock the key store' })).toBeVisible();
  await expect(keysTable(page)).toHaveCount(0);
  // Focus lands in the unlock form's first empty field (the operator is not kept after a lock).
  await expect(page.getByLabel('Operator name')).toHaveValue('');
  await expect(page.getByLabel('Operator name')).toBeFocused();
  // Locking forgot the screen: the URL no longer names one.
  await expect(page).not.toHaveURL(/#\//);

  await unlock(page, 'not the passphrase at all');
  // Said next to the passphrase field, which has focus again for the next attempt.
  await expect(page.getByLabel('Passphrase', { exact: true })).toHaveAccessibleDescription(/The passphrase is wrong\./);
  await expect(page.getByLabel('Passphrase', { exact: true })).toBeFocused();
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('The passphrase is wrong.');
  await expect(alert).toHaveAttribute('data-code', 'wrong_passphrase');
  await expect(alert).toContainText(ERROR_HINTS.wrong_passphrase);
  // The passphrase field is cleared after every submit.
  await expect(page.getByLabel('Passphrase', { exact: true })).toHaveValue('');

  await unlock(page, PASSPHRASE);
  await expectDashboardAfterUnlock(page);
  await goToKeys(page);
  await expect(keyRow(page, 'link-alpha')).toBeVisible();
});

test('repeated wrong passphrases pause unlocking with a countdown that survives a reload', async ({ page, harness }) => {
  const clock = manualClock(Date.now());
  await harness.start({ clock });
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  await page.getByRole('button', { name: 'Lock' }).click();

  for (let attempt = 0; attempt < 3; attempt++) {
    await unlock(page, `wrong passphrase number ${attempt}`);
    await expect(page.getByRole('alert')).toHaveAttribute('data-code', 'wrong_passphrase');
  }
  // The third failure starts the throttle: its retryAfterMs drives a countdown and the button waits.
  await expect(page.getByText(/Try again in \d+ s/)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Unlock' })).toBeDisabled();

  // A fresh window learns the pause from SessionStatus.retryAfterMs.
  await page.reload();
  await expect(page.getByText(/Try again in \d+ s/)).toBeVisible();

  // The console's clock moves past the pause: the right passphrase opens the store.
  clock.advance(60_000);
  await page.reload();
  await expect(page.getByText(/Try again in/)).toHaveCount(0);
  await unlock(page, PASSPHRASE);
  await expectDashboardAfterUnlock(page);
});
