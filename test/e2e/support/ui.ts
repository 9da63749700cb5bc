// What an officer does in the console, as reusable steps. Everything goes through the rendered UI by role and label.
import { expect, type Locator, type Page } from '@playwright/test';
import { KEY_TYPE_LABELS, type KeyAlgorithm, type KeyType } from '../../../shared/domain.ts';

export const OPERATOR = 'Ada Officer';
export const PASSPHRASE = 'correct horse battery staple';

export async function openConsole(page: Page, url: string): Promise<void> {
  await page.goto(url);
}

/** Creates the store; returns the audit key fingerprint the console showed right after (to be written down). */
export async function completeFirstRun(page: Page, operator = OPERATOR, passphrase = PASSPHRASE): Promise<string> {
  await expect(page.getByRole('heading', { name: 'Create the key store' })).toBeVisible();
  await page.getByLabel('Operator name').fill(operator);
  await page.getByLabel('Passphrase (at least 12 characters)').fill(passphrase);
  await page.getByLabel('Confirm passphrase').fill(passphrase);
  await page.getByRole('button', { name: 'Create key store' }).click();
  const fingerprint = await readSetupFingerprint(page);
  await page.getByRole('button', { name: 'Continue to the console' }).click();
  await expectDashboardAfterUnlock(page);
  await goToKeys(page);
  return fingerprint;
}

/** The "Key store created" step: its heading has focus; returns the audit key fingerprint it shows (64 hex digits). */
export async function readSetupFingerprint(page: Page): Promise<string> {
  const heading = page.getByRole('heading', { name: 'Key store created' });
  await expect(heading).toBeVisible();
  await expect(heading).toBeFocused();
  const shown = page.getByTestId('setup-fingerprint');
  await expect(shown).toHaveText(/^([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
  return ((await shown.textContent()) ?? '').replace(/ /g, '');
}

/** After unlock (or first run) the console lands on the dashboard with focus on its main heading (issue 12). */
export async function expectDashboardAfterUnlock(page: Page): Promise<void> {
  const heading = page.getByRole('heading', { name: 'Fleet dashboard', level: 1 });
  await expect(heading).toBeVisible();
  await expect(heading).toBeFocused();
  await expect(page).toHaveURL(/#\/dashboard$/);
}

/**
 * Opens a screen from the side navigation. The navigation may be collapsed (Cloudscape closes it when the viewport is
 * narrow, e.g. during a full-page screenshot); then its "Open navigation" button opens it first.
 */
export async function clickNav(page: Page, name: string): Promise<void> {
  const link = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
  const open = page.getByRole('button', { name: 'Open navigation' });
  // Wait for the shell first (right after unlock neither is there yet), then open the navigation if it is collapsed.
  await expect(link.or(open).first()).toBeVisible();
  if (!(await link.isVisible())) await open.click();
  await link.click();
}

export async function unlock(page: Page, passphrase = PASSPHRASE, operator = OPERATOR): Promise<void> {
  await expect(page.getByRole('heading', { name: 'Unlock the key store' })).toBeVisible();
  await page.getByLabel('Operator name').fill(operator);
  await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await page.getByRole('button', { name: 'Unlock' }).click();
}

/**
 * Enrols an authenticator app from the top bar's "Second factor…" dialog (the code computed with `codeAt` from the
 * secret shown) and returns the base32 secret; the dialog stays open on its result.
 */
export async function enrolTotpInTopBar(page: Page, codeAt: (secret: string, ms: number) => string): Promise<string> {
  await page.getByRole('button', { name: 'Second factor…' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('button', { name: 'Start enrolment' }).click();
  await expect(dialog.getByTestId('totp-uri')).toHaveText(/^otpauth:\/\/totp\//);
  const secret = ((await dialog.getByTestId('totp-secret').textContent()) ?? '').replace(/ /g, '');
  await dialog.getByLabel('Code from the app').fill(codeAt(secret, Date.now()));
  await dialog.getByRole('button', { name: 'Confirm code' }).click();
  return secret;
}

export function keysTable(page: Page): Locator {
  return page.getByRole('table', { name: 'Keys' });
}

export function keyRow(page: Page, label: string): Locator {
  return keysTable(page)
    .getByRole('row')
    .filter({ has: page.getByRole('button', { name: label, exact: true }) });
}

export interface NewKey {
  label: string;
  type: KeyType;
  algorithm?: KeyAlgorithm;
  preActivation?: boolean;
  /** Provider id to create the key on (default: what the dialog preselects). */
  provider?: string;
  /** Backup provider id (encryption keys only). */
  backupProvider?: string;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Picks an option in a Cloudscape Select (a button `trigger` plus a listbox, not a <select>) and waits until the
 * trigger shows it; picks again if it did not stick.
 *
 * Why the retry: Cloudscape selects an option on mouseup, from whatever element is under the pointer then, while
 * Playwright checks the hit target at mousedown only. A query answered between the two (a screen still loading its
 * lists above the Select, or a pushed event refetching them) moves the open list, the mouseup lands beside the option,
 * and the click "succeeds" with nothing chosen and the list left open (CI: rotation-policy-ui waited 2 min on a
 * disabled button under an open list offering "spare link"; earlier the same in rotation-batch and the Audit filter).
 * Picking again is safe: choosing the option already chosen changes nothing. No fixed wait: each try waits on the
 * list and the trigger; the short per-try limits only decide when to try again.
 *
 * `option` is the start of the option's accessible name (its label, maybe followed by a description), or a RegExp for
 * the whole name; `shows` is what the trigger then says (default: `option` when it is a string).
 */
export async function pickSelectOption(trigger: Locator, option: string | RegExp, shows?: string | RegExp): Promise<void> {
  const page = trigger.page();
  const name = typeof option === 'string' ? new RegExp(`^(Selected )?${escapeRe(option)}(?![\\w-])`) : option;
  const expected = shows ?? (typeof option === 'string' ? option : undefined);
  if (expected === undefined) throw new Error('pickSelectOption: say what the trigger shows when the option is a RegExp');
  const shown = typeof expected === 'string' ? new RegExp(`^\\s*${escapeRe(expected)}(?![\\w-])`) : expected;
  await expect(async () => {
    // Open the list unless it is open already (a click on an open Select's trigger closes it).
    if ((await trigger.getAttribute('aria-expanded')) !== 'true') await trigger.click({ timeout: 10_000 });
    const target = page.getByRole('option', { name }).first();
    await expect(target).toBeEnabled({ timeout: 10_000 });
    await target.click({ timeout: 10_000 });
    await expect(trigger).toHaveText(shown, { timeout: 3_000 });
  }).toPass({ timeout: 60_000 });
}

/**
 * Picks an option in a Cloudscape Select labelled `label` inside `scope` (pickSelectOption): the option whose text
 * starts with `option`.
 */
export async function chooseOption(scope: Locator, label: string, option: string): Promise<void> {
  await pickSelectOption(scope.getByLabel(label, { exact: true }), option);
}

/** The options a Cloudscape Select offers (opens it, reads them, closes it with Escape). */
export async function optionsOf(scope: Locator, label: string): Promise<string[]> {
  await scope.getByLabel(label, { exact: true }).click();
  const options = scope.page().getByRole('listbox').getByRole('option');
  await expect(options.first()).toBeVisible();
  const texts = await options.allInnerTexts();
  await scope.getByLabel(label, { exact: true }).click();
  return texts.map((t) => t.split('\n')[0]!.trim());
}

export async function createKey(page: Page, key: NewKey): Promise<void> {
  await page.getByRole('button', { name: 'New key…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create a key' });
  await dialog.getByLabel('Label').fill(key.label);
  await chooseOption(dialog, 'Key type', KEY_TYPE_LABELS[key.type]);
  if (key.algorithm) await chooseOption(dialog, 'Algorithm', key.algorithm);
  if (key.provider) await chooseOption(dialog, 'Provider', key.provider);
  if (key.backupProvider) await chooseOption(dialog, 'Backup provider (optional)', key.backupProvider);
  if (key.preActivation) await dialog.getByLabel('Create in pre-activation (activate it later)').check();
  await dialog.getByRole('button', { name: 'Create key' }).click();
  await expect(dialog).toBeHidden();
  await expect(keyRow(page, key.label)).toBeVisible();
}

export async function openKey(page: Page, label: string): Promise<Locator> {
  await keysTable(page).getByRole('button', { name: label, exact: true }).click();
  const panel = page.getByRole('region', { name: `Key “${label}”` });
  await expect(panel).toBeVisible();
  return panel;
}

/** Encrypts text with the open key and returns the base64 ciphertext shown. */
export async function encryptText(page: Page, plaintext: string, aad?: string): Promise<{ ciphertext: string; form: Locator }> {
  const form = page.getByRole('form', { name: 'Encrypt' });
  await form.getByLabel('Plaintext').fill(plaintext);
  await form.getByLabel('Associated data for encryption (optional)').fill(aad ?? '');
  await form.getByRole('button', { name: 'Encrypt', exact: true }).click();
  const output = form.getByLabel('Ciphertext (base64)');
  await expect(output).not.toHaveValue('');
  return { ciphertext: await output.inputValue(), form };
}

export async function decryptText(page: Page, ciphertext: string, aad?: string): Promise<Locator> {
  const form = page.getByRole('form', { name: 'Decrypt' });
  await form.getByLabel('Ciphertext to decrypt (base64)').fill(ciphertext);
  await form.getByLabel('Associated data for decryption (optional)').fill(aad ?? '');
  await form.getByRole('button', { name: 'Decrypt', exact: true }).click();
  return form;
}

export async function changeState(page: Page, label: string, target: string, reason: string): Promise<void> {
  await keyRow(page, label).getByRole('button', { name: 'Change state' }).click();
  const dialog = page.getByRole('dialog', { name: `Change the state of “${label}”` });
  await dialog.getByRole('radio', { name: target, exact: true }).check();
  await dialog.getByLabel('Reason (recorded in the audit log)').fill(reason);
  if (target === 'Destroyed') await dialog.getByLabel(`Type the key label “${label}” to confirm destruction`).fill(label);
  await dialog.getByRole('button', { name: `Set “${label}” to ${target}` }).click();
  await expect(dialog).toBeHidden();
  await expect(keyRow(page, label).getByText(target, { exact: true })).toBeVisible();
}

export async function goToAudit(page: Page): Promise<void> {
  await clickNav(page, 'Audit');
  await expect(page.getByRole('heading', { name: 'Audit log' })).toBeVisible();
}

export async function goToKeys(page: Page): Promise<void> {
  await clickNav(page, 'Keys');
  await expect(page.getByRole('heading', { name: 'Keys', level: 1 })).toBeVisible();
}

/** The rows of the current page of the audit table (each holds its record's seq as data-seq in its first cell). */
export function auditRows(page: Page): Locator {
  return page.getByRole('table', { name: 'Audit records' }).locator('tbody tr').filter({ has: page.locator('[data-seq]') });
}

/** The audit filters form (a Cloudscape Container inside a form named "Audit filters"). */
export function auditFilters(page: Page): Locator {
  return page.getByRole('form', { name: 'Audit filters' });
}

/**
 * Picks an action from the Audit screen's list of actions (a Cloudscape Select: a button, then a listbox option), and
 * checks the Select then shows it. The listbox scrolls its selected option into view as it opens, so a click aimed at
 * another option can land on a neighbour while the list is still moving (seen once in CI: "Any action" got picked);
 * the pick is then made again from a closed list.
 */
export async function pickAuditAction(page: Page, action: string): Promise<void> {
  const trigger = auditFilters(page).getByRole('button', { name: /^Action/ });
  await expect(async () => {
    if ((await page.getByRole('listbox').count()) > 0) await page.keyboard.press('Escape');
    await trigger.click();
    await page.getByRole('option', { name: action, exact: true }).click({ timeout: 5_000 });
    await expect(trigger).toHaveAccessibleName(`Action ${action}`, { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
}

const two = (n: number) => String(n).padStart(2, '0');

/**
 * Fills the Audit screen's time range picker (Cloudscape DateRangePicker, absolute) with local times and presses
 * Apply. Returns the picker's dropdown, still open when the picker refused the range.
 */
export async function fillAuditRange(page: Page, start: Date, end: Date): Promise<Locator> {
  await auditFilters(page).getByRole('button', { name: /time range/i }).click();
  const dropdown = page.getByRole('dialog').filter({ has: page.getByRole('button', { name: 'Apply' }) });
  await expect(dropdown).toBeVisible();
  const date = (d: Date) => `${d.getFullYear()}/${two(d.getMonth() + 1)}/${two(d.getDate())}`;
  const time = (d: Date) => `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  await dropdown.getByLabel('Start date').fill(date(start));
  await dropdown.getByLabel('Start time').fill(time(start));
  await dropdown.getByLabel('End date').fill(date(end));
  await dropdown.getByLabel('End time').fill(time(end));
  await dropdown.getByRole('button', { name: 'Apply' }).click();
  return dropdown;
}

/** The audit table's status line ("N records", "N matching records", "More than 1,000 matching records …"). */
export function auditStatus(page: Page): Locator {
  return page.getByTestId('audit-status');
}
