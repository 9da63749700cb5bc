// Recovery codes through the browser host (issue 14, docs/operators.md "Recovery codes"): the enrolment of an
// authenticator app ends with ten codes shown once (copy and download offered); at unlock "Use a recovery code"
// replaces the code field, a code opens the console once, the same code again is refused beside the field, and the
// top bar's dialog makes a new set that replaces the old one. The count left is shown in that dialog and on the
// Operators screen: 10 after enrolment, 9 once a code was used. At 2 codes or fewer a reminder sits above every screen
// (its dismissal kept in the store: a reloaded window does not bring it back)
// by itself (dismissible until the count changes) and opens the dialog on "New recovery codes".
import { expect, test } from './support/consoleFixture.ts';
import { codeAt } from '../integration/support/totpCodes.ts';
import { clickNav, completeFirstRun, expectDashboardAfterUnlock, enrolTotpInTopBar, OPERATOR, openConsole, unlock } from './support/ui.ts';

test('recovery codes: shown once at enrolment, each opens the console once, regenerated from the top bar', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);

  await enrolTotpInTopBar(page, codeAt);
  const dialog = page.getByRole('dialog');
  const shown = dialog.getByTestId('recovery-codes').getByRole('listitem');
  await expect(shown).toHaveCount(10);
  const codes = (await shown.allTextContents()).map((t) => t.trim());
  for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
  await expect(dialog.getByRole('button', { name: 'Copy codes' })).toBeVisible();
  const download = page.waitForEvent('download');
  await dialog.getByRole('button', { name: 'Download codes' }).click();
  expect((await download).suggestedFilename()).toMatch(/^ecps-recovery-codes.*\.txt$/);
  const countLeft = dialog.getByTestId('recovery-codes-left');
  await expect(countLeft).toHaveText('10 recovery codes left');
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();
  const operatorsCount = async (text: string) => {
    await clickNav(page, 'Operators');
    await expect(page.getByRole('row', { name: new RegExp(OPERATOR) }).getByTestId('recovery-codes-left')).toHaveText(text);
  };
  await operatorsCount('10 recovery codes left');

  const signInWithCode = async (code: string) => {
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await unlock(page);
    await page.getByRole('button', { name: 'Use a recovery code' }).click();
    const field = page.getByLabel('Recovery code', { exact: true });
    await expect(field).toBeFocused();
    await field.fill(code);
    await page.getByRole('button', { name: 'Unlock' }).click();
  };
  await signInWithCode(codes[0]!);
  await expectDashboardAfterUnlock(page);
  expect(harness.current().fleet.audit.query({ action: 'operator.recoveryCode.used', limit: 1 }).records[0]).toMatchObject({ outcome: 'success', details: { remaining: 9 } });
  await page.getByRole('button', { name: 'Second factor…' }).click();
  await expect(countLeft).toHaveText('9 recovery codes left');
  await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
  await operatorsCount('9 recovery codes left');

  // The same code a second time: refused beside the field, in words.
  await signInWithCode(codes[0]!);
  await expect(page.getByLabel('Recovery code', { exact: true })).toHaveAccessibleDescription(/The recovery code is wrong or was already used\./);
  await page.getByLabel('Recovery code', { exact: true }).fill(codes[1]!);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expectDashboardAfterUnlock(page);

  // New codes from the top bar: shown once; the old ones stop working.
  await page.getByRole('button', { name: 'Second factor…' }).click();
  await dialog.getByRole('radio', { name: /New recovery codes/ }).check();
  await dialog.getByRole('button', { name: 'Make new codes' }).click();
  await expect(shown).toHaveCount(10);
  const fresh = (await shown.allTextContents()).map((t) => t.trim());
  expect(fresh.some((c) => codes.includes(c))).toBe(false);
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();
  await signInWithCode(codes[2]!);
  await expect(page.getByLabel('Recovery code', { exact: true })).toHaveAccessibleDescription(/The recovery code is wrong or was already used\./);
  await page.getByLabel('Recovery code', { exact: true }).fill(fresh[0]!);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expectDashboardAfterUnlock(page);

  // The reminder comes by itself at 2 codes or fewer (docs/operators.md), not before: spend the fresh set down to 2.
  const reminder = page.getByTestId('recovery-codes-reminder');
  for (const [i, code] of fresh.slice(1, 8).entries()) {
    await signInWithCode(code);
    await expectDashboardAfterUnlock(page);
    const left = 10 - 2 - i;
    if (left > 2) await expect(reminder, `${left} codes left`).toHaveCount(0);
  }
  await expect(reminder).toContainText('2 recovery codes left');
  // Dismissed, it stays away on other screens until the count changes.
  await reminder.getByRole('button', { name: 'Dismiss the reminder' }).click();
  await expect(reminder).toHaveCount(0);
  await clickNav(page, 'Operators');
  await expect(reminder).toHaveCount(0);
  // Kept in the store (operators:dismissRecoveryReminder), not in the page: a reloaded window does not bring it back.
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Operators', level: 1 })).toBeVisible();
  await expect(reminder).toHaveCount(0);
  await signInWithCode(fresh[8]!);
  await expectDashboardAfterUnlock(page);
  await expect(reminder).toContainText('1 recovery code left');
  // Its button opens the dialog on "New recovery codes"; a new set ends the reminder.
  await reminder.getByRole('button', { name: 'Make new codes…' }).click();
  await expect(dialog.getByRole('radio', { name: /New recovery codes/ })).toBeChecked();
  await dialog.getByRole('button', { name: 'Make new codes' }).click();
  await expect(shown).toHaveCount(10);
  await expect(countLeft).toHaveText('10 recovery codes left');
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();
  await expect(reminder).toHaveCount(0);
});
