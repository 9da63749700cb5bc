// The Keys screen on the design system (issue 12): the table fits a 1440 px window and finds, filters and sorts;
// dialogs trap focus, close on Escape and give focus back to their opener; axe finds nothing serious on the screen,
// its details panel or any of its dialogs; refusals are in words next to their field; a bad filter in a link is
// refused visibly; a 1.2 MB file encrypts and decrypts back byte for byte through the file inputs.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './support/consoleFixture.ts';
import { axeSerious, INTERNAL_WORDS } from './support/axe.ts';
import { sidewaysOverflow } from './support/overflow.ts';
import { completeFirstRun, createKey, keyRow, keysTable, openConsole, openKey } from './support/ui.ts';

test.use({ viewport: { width: 1440, height: 900 } });

test.beforeEach(async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
});

/** Tabs `times` through the page and returns whether focus ever left `inside`. */
async function focusLeaves(page: Page, inside: Locator, times: number): Promise<boolean> {
  await inside.evaluate((el) => el.setAttribute('data-trap-probe', ''));
  for (let i = 0; i < times; i++) {
    await page.keyboard.press(i % 3 === 2 ? 'Shift+Tab' : 'Tab');
    const within = await page.evaluate(`Boolean(document.activeElement && document.activeElement.closest('[data-trap-probe]'))`);
    if (!within) return true;
  }
  return false;
}

test('the table fits 1440 px, finds, filters by state and sorts; a bad state in a link is refused in words', async ({ page, harness }) => {
  test.setTimeout(180_000);
  await createKey(page, { label: 'robot-0042 identity with a rather long label for the table', type: 'device_identity' });
  await createKey(page, { label: 'alpha link', type: 'communication' });
  await createKey(page, { label: 'zulu storage', type: 'storage', preActivation: true });

  // No horizontal scrolling: neither the page nor the table's own scroller is wider than the window gives it.
  const overflow = await sidewaysOverflow(page, keysTable(page));
  expect(overflow).toEqual({ page: 0, table: 0 });

  const rows = keysTable(page).locator('tbody tr');
  await expect(rows).toHaveCount(3);
  // Search: free text matches the label.
  const find = page.getByRole('combobox', { name: 'Find keys' });
  await find.fill('alpha');
  await find.press('Enter');
  await expect(rows).toHaveCount(1);
  await expect(keyRow(page, 'alpha link')).toBeVisible();
  await expect(page.getByText('Showing 1 of 3 keys:')).toBeVisible();
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await expect(rows).toHaveCount(3);

  // Sort: labels ascending by default, descending after a click on the header.
  const labels = () => rows.locator('td:first-child').allInnerTexts();
  expect(await labels()).toEqual(['alpha link', 'robot-0042 identity with a rather long label for the table', 'zulu storage']);
  await keysTable(page).getByRole('columnheader', { name: /Label/ }).click();
  await expect.poll(labels).toEqual(['zulu storage', 'robot-0042 identity with a rather long label for the table', 'alpha link']);

  // The dashboard's state link filters; the filter shows as a token that can be removed.
  await page.goto(`${harness.current().host.url}#/keys?state=pre_activation`);
  await expect(page.getByText('Showing 1 of 3 keys: state Pre-activation.')).toBeVisible();
  await expect(rows).toHaveCount(1);
  await expect(keyRow(page, 'zulu storage')).toBeVisible();

  // A value that is no key state is refused in words (and not applied), never silently ignored.
  await page.goto(`${harness.current().host.url}#/keys?state=abc`);
  await expect(page.getByText('“abc” is not a key state')).toBeVisible();
  await expect(rows).toHaveCount(3);
  expect(await axeSerious(page), 'Keys screen with keys and a refused filter').toEqual([]);
});

test('dialogs trap focus, close on Escape, give focus back to their opener and pass axe', async ({ page }) => {
  test.setTimeout(240_000);
  await createKey(page, { label: 'fleet link', type: 'communication' });

  // Create: focus trapped, Escape closes, focus back on "New key…".
  const newKey = page.getByRole('button', { name: 'New key…' });
  await newKey.click();
  let dialog = page.getByRole('dialog', { name: 'Create a key' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel('Label')).toBeFocused();
  expect(await axeSerious(page), 'Create a key').toEqual([]);
  expect(await focusLeaves(page, dialog, 25)).toBe(false);
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(newKey).toBeFocused();

  // Rotate, from the row's button.
  const rotate = keyRow(page, 'fleet link').getByRole('button', { name: 'Rotate' });
  await rotate.click();
  dialog = page.getByRole('dialog', { name: 'Rotate key “fleet link”' });
  await expect(dialog).toBeVisible();
  expect(await axeSerious(page), 'Rotate').toEqual([]);
  expect(await focusLeaves(page, dialog, 10)).toBe(false);
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(rotate).toBeFocused();

  // Change state, with the destruction confirmation shown (typed label).
  const change = keyRow(page, 'fleet link').getByRole('button', { name: 'Change state' });
  await change.click();
  dialog = page.getByRole('dialog', { name: 'Change the state of “fleet link”' });
  await dialog.getByRole('radio', { name: 'Deactivated', exact: true }).check();
  expect(await axeSerious(page), 'Change state').toEqual([]);
  expect(await focusLeaves(page, dialog, 15)).toBe(false);
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(change).toBeFocused();

  // The details panel.
  await openKey(page, 'fleet link');
  expect(await axeSerious(page), 'Key details').toEqual([]);
});

test('a refused label is said next to the field in words: no channel name, no schema path', async ({ page }) => {
  await page.getByRole('button', { name: 'New key…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create a key' });
  await dialog.getByLabel('Label').fill('x'.repeat(129));
  await dialog.getByRole('button', { name: 'Create key' }).click();
  const label = dialog.getByLabel('Label');
  // The field carries its error (its accessible description), the form says to check the highlighted value.
  await expect(label).toHaveAccessibleDescription(/Must be at most 128 characters\./);
  await expect(dialog).toContainText('Check the highlighted values and try again.');
  await expect(dialog.getByRole('alert').first()).toHaveAttribute('data-code', 'invalid_input');
  expect(await dialog.innerText()).not.toMatch(INTERNAL_WORDS);

  // Fixed: the error goes, the key is created.
  await label.fill('short enough');
  await dialog.getByRole('button', { name: 'Create key' }).click();
  await expect(dialog).toBeHidden();
  await expect(keyRow(page, 'short enough')).toBeVisible();
});

test('a 1.2 MB file encrypts and decrypts back byte for byte through the file inputs; sizes in bytes', async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  await createKey(page, { label: 'black box', type: 'storage' });
  await openKey(page, 'black box');
  const original = randomBytes(1_200_000);

  const encrypt = page.getByRole('form', { name: 'Encrypt' });
  await encrypt.getByLabel('Choose an input file').setInputFiles({ name: 'flight.bin', mimeType: 'application/octet-stream', buffer: original });
  await expect(encrypt.getByTestId('picked-file')).toHaveText('flight.bin — 1,200,000 bytes');
  // The typed-text field is short by construction: no 1 MB text box.
  const maxLength = await encrypt.getByLabel('Plaintext').getAttribute('maxlength');
  expect(maxLength).toMatch(/^\d+$/);
  expect(Number(maxLength)).toBeLessThanOrEqual(4096);
  await encrypt.getByRole('button', { name: 'Encrypt', exact: true }).click();
  await expect(encrypt.getByText('Encrypted flight.bin')).toBeVisible();
  await expect(encrypt).toContainText(/Ciphertext: [\d,]+ bytes in 3 parts\./);
  await expect(encrypt.getByLabel('Ciphertext (base64)')).toHaveCount(0);
  expect(await encrypt.innerText()).not.toMatch(/base64 characters/);

  const [cipherDownload] = await Promise.all([page.waitForEvent('download'), encrypt.getByRole('button', { name: 'Download ciphertext' }).click()]);
  const cipherPath = testInfo.outputPath('flight.bin.ecps');
  await cipherDownload.saveAs(cipherPath);
  const ciphertext = await readFile(cipherPath);
  expect(ciphertext.includes(original.subarray(0, 64))).toBe(false);

  const decrypt = page.getByRole('form', { name: 'Decrypt' });
  await decrypt.getByLabel('Choose a ciphertext file').setInputFiles(cipherPath);
  await decrypt.getByRole('button', { name: 'Decrypt', exact: true }).click();
  await expect(decrypt.getByText('Decrypted by key black box, version 1. Plaintext: 1,200,000 bytes from 3 parts.')).toBeVisible();
  const [plainDownload] = await Promise.all([page.waitForEvent('download'), decrypt.getByRole('button', { name: 'Download plaintext' }).click()]);
  const plainPath = testInfo.outputPath('flight.bin');
  await plainDownload.saveAs(plainPath);
  expect(Buffer.compare(await readFile(plainPath), original)).toBe(0);

  // A part cut off the end is refused, not decrypted into a shorter file.
  const cut = testInfo.outputPath('cut.ecps');
  await (await import('node:fs/promises')).writeFile(cut, ciphertext.subarray(0, ciphertext.length - 100));
  await decrypt.getByRole('button', { name: 'Remove flight.bin.ecps' }).click();
  await decrypt.getByLabel('Choose a ciphertext file').setInputFiles(cut);
  await decrypt.getByRole('button', { name: 'Decrypt', exact: true }).click();
  await expect(decrypt.getByRole('alert')).toContainText('it is incomplete');
});
