// The second factor through the browser host (issue 14, docs/operators.md "Second factor"): the operator enrols an
// authenticator app in the top bar's dialog (the code computed here from the secret the dialog shows, RFC 6238), then
// unlocks: the form asks for the code once the passphrase is right, says a wrong code beside its field in words, and
// opens with the right one. A lock by the console itself (the idle lock's path) returns the window to the unlock form.
import { expect, test } from './support/consoleFixture.ts';
import { codeAt } from '../integration/support/totpCodes.ts';
import { completeFirstRun, expectDashboardAfterUnlock, enrolTotpInTopBar, openConsole, PASSPHRASE, unlock } from './support/ui.ts';

test('enrol an authenticator app, then unlock: the code is asked for, a wrong one refused in words, the right one opens', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);

  const secret = await enrolTotpInTopBar(page, codeAt);
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByText('The second factor is on.')).toBeVisible();
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();

  // Locked by the console (as the idle lock does): the window returns to the unlock form by itself.
  harness.current().fleet.idle.lockNow('idle');
  await unlock(page);
  const code = page.getByLabel('Authenticator code');
  await expect(code).toBeFocused();
  await expect(page.getByText('This operator signs in with an authenticator code too; enter the code.')).toBeVisible();
  // The passphrase stays filled for the retry; a wrong code is said beside the field.
  await expect(page.getByLabel('Passphrase', { exact: true })).toHaveValue(PASSPHRASE);
  const right = codeAt(secret, Date.now(), 1);
  await code.fill(String((Number(right) + 1) % 1_000_000).padStart(6, '0'));
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByText('The authenticator code is wrong, expired or already used.')).toBeVisible();
  await code.fill(right);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expectDashboardAfterUnlock(page);
  const records = harness.current().fleet.audit.query({ action: 'session.unlock', limit: 3 }).records;
  expect(records.map((r) => r.details.code ?? r.details.secondFactor)).toEqual(['totp', 'wrong_second_factor', 'second_factor_required']);
});
