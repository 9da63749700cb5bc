// The Audit screen and the session screens on the design system (issue 12):
//  - the audit key fingerprint written down at setup equals the one shown next to Verify, and both equal the SHA-256 of
//    the DER public key in an export's header, computed here (docs/audit-log.md, "Verifying an audit export", step 1);
//  - a reversed time range is refused on screen, visibly, and the list is not filtered by it;
//  - a filter the main process refuses is said in words next to the list, without a channel name or a schema path;
//  - axe finds no serious or critical violation on first run, the "Key store created" step, unlock, the Audit screen
//    and its time range picker open;
//  - focus after lock (the unlock form's field) and after unlock (the dashboard's heading).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { axeSerious } from './support/axe.ts';
import { watchCsp } from './support/cspWatch.ts';
import { expect, test } from './support/consoleFixture.ts';
import {
  auditFilters,
  auditRows,
  auditStatus,
  createKey,
  expectDashboardAfterUnlock,
  fillAuditRange,
  goToAudit,
  openConsole,
  OPERATOR,
  PASSPHRASE,
  readSetupFingerprint,
  unlock,
} from './support/ui.ts';

/** Words that must never reach an officer: channel names of the contract and the router's schema wording. */
const INTERNALS = /\b(audit|session|keys|fleet|station|certs|ca|providers|bundles):[a-zA-Z]+|Invalid input for|\(input\)/;

test('fingerprint at setup = next to Verify = the export header key; reversed range refused; errors in words; axe', async ({ page, harness }) => {
  test.setTimeout(180_000);
  // The picker, the pagination, the copy button and the alerts under the console's strict CSP too.
  const csp = await watchCsp(page);
  await openConsole(page, harness.current().host.url);
  await expect(page.getByRole('heading', { name: 'Create the key store' })).toBeVisible();
  // The first field has focus; the first-run screen passes axe.
  await expect(page.getByLabel('Operator name')).toBeFocused();
  expect(await axeSerious(page), 'first run').toEqual([]);

  await page.getByLabel('Operator name').fill(OPERATOR);
  await page.getByLabel('Passphrase (at least 12 characters)').fill(PASSPHRASE);
  await page.getByLabel('Confirm passphrase').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Create key store' }).click();
  const atSetup = await readSetupFingerprint(page);
  expect(await axeSerious(page), 'key store created').toEqual([]);
  await page.getByRole('button', { name: 'Continue to the console' }).click();
  await expectDashboardAfterUnlock(page);

  await page.getByRole('link', { name: 'Keys', exact: true }).first().click();
  await createKey(page, { label: 'fleet link', type: 'communication' });
  await goToAudit(page);

  // Next to Verify: the same fingerprint.
  const shown = page.getByTestId('audit-key-fingerprint');
  await expect(shown).toHaveAttribute('data-fingerprint', atSetup);
  await expect(shown).toContainText(atSetup.slice(0, 4));
  // "Next to": in the panel whose header holds Verify, right under it (not somewhere else on the page).
  const verifyBox = (await page.getByRole('button', { name: 'Verify chain' }).boundingBox())!;
  const shownBox = (await shown.boundingBox())!;
  expect(shownBox.y - (verifyBox.y + verifyBox.height)).toBeGreaterThanOrEqual(0);
  expect(shownBox.y - (verifyBox.y + verifyBox.height)).toBeLessThan(150);

  // And an export's header carries that key: its SHA-256, computed here, is the fingerprint.
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export (JSON Lines)' }).click();
  const file = await download;
  await expect(page.getByRole('status').filter({ hasText: 'Verifying an audit export' })).toBeVisible();
  const header = JSON.parse(readFileSync(await file.path(), 'utf8').split('\n')[0]!) as { publicKey: string };
  expect(createHash('sha256').update(Buffer.from(header.publicKey, 'base64')).digest('hex')).toBe(atSetup);

  await page.getByRole('button', { name: 'Verify chain' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Chain verified' })).toBeVisible();
  expect(await axeSerious(page), 'audit screen').toEqual([]);

  // A reversed time range: the picker refuses it visibly and the list stays unfiltered.
  const before = (await auditStatus(page).textContent()) ?? '';
  expect(before).toMatch(/^\d+ records$/);
  const day = 86_400_000;
  const picker = await fillAuditRange(page, new Date(Date.now() + day), new Date(Date.now() - day));
  await expect(picker).toBeVisible();
  await expect(picker).toContainText('The end must not be earlier than the start.');
  expect(await axeSerious(page), 'time range picker (refusing)').toEqual([]);
  await picker.getByRole('button', { name: 'Cancel' }).click();
  await expect(auditStatus(page)).toHaveText(before);

  // A filter the main process refuses (the free text is at most 128 characters): said in words, no internals.
  await auditFilters(page).getByLabel('Contains text').fill('x'.repeat(129));
  const refusal = page.getByRole('alert').filter({ hasText: 'The records could not be read' });
  await expect(refusal).toContainText('Contains text must be at most 128 characters.');
  await expect(refusal).not.toContainText(INTERNALS);
  await expect(page.locator('body')).not.toContainText(INTERNALS);
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await expect(auditStatus(page)).toHaveText(/^\d+ records$/);
  await expect(auditRows(page).first()).toBeVisible();

  // Lock: focus in the unlock form's first empty field; the unlock screen passes axe; unlock: the dashboard's heading.
  await page.getByRole('button', { name: 'Lock' }).click();
  await expect(page.getByRole('heading', { name: 'Unlock the key store' })).toBeVisible();
  await expect(page.getByLabel('Operator name')).toBeFocused();
  expect(await axeSerious(page), 'unlock').toEqual([]);
  // A wrong passphrase: said in words next to the field; no channel name anywhere.
  await unlock(page, 'not the passphrase at all');
  await expect(page.getByLabel('Passphrase', { exact: true })).toBeFocused();
  await expect(page.locator('body')).not.toContainText(INTERNALS);
  expect(await axeSerious(page), 'unlock refused').toEqual([]);
  await unlock(page);
  await expectDashboardAfterUnlock(page);
  expect(await csp.violations()).toEqual([]);
});

test('the first-run form says every problem next to its field at once, in words, and focuses the first', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await expect(page.getByRole('heading', { name: 'Create the key store' })).toBeVisible();
  // An operator name the contract refuses (a character outside letters, digits, space, . _ @ -), a short passphrase and
  // a confirmation that differs: three problems, each beside its field.
  await page.getByLabel('Operator name').fill('ada<script>');
  await page.getByLabel('Passphrase (at least 12 characters)').fill('short');
  await page.getByLabel('Confirm passphrase').fill('different');
  await page.getByRole('button', { name: 'Create key store' }).click();
  // In the one wording of every form (components/errorWords.ts): the rule under the field's label, as the main
  // process's refusal of the same value would read there (after the error icon's label), and the form's summary
  // counting the refused values.
  const operator = page.getByLabel('Operator name');
  await expect(operator).toHaveAccessibleDescription(/^Error May contain only letters, digits, space, \. _ @ -\./);
  await expect(operator).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Passphrase (at least 12 characters)')).toHaveAccessibleDescription(/^Error Must be at least 12 characters\./);
  await expect(page.getByLabel('Confirm passphrase')).toHaveAccessibleDescription(/^Error Does not match the passphrase\./);
  await expect(page.getByRole('alert').filter({ hasText: '3 values were refused.' })).toContainText('Check the highlighted values and try again.');
  await expect(operator).toBeFocused();
  await expect(page.locator('body')).not.toContainText(INTERNALS);
  expect(await axeSerious(page), 'first run with errors').toEqual([]);
});
