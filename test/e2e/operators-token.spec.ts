// A PKCS#11 token bound as the signed-in operator's own second factor through the browser host (issue 14,
// docs/operators.md "Second factor (PKCS#11 token)"), on the REAL SoftHSM2 (/usr/lib/softhsm/libsofthsm2.so) with a
// token made for this file (SOFTHSM2_CONF set in this process, where the console runs too). The top bar's second
// factor dialog offers the token: each refusal (no such module, wrong PIN, a key of another curve, no key under the
// label) is said beside its field, the PIN is cleared from the form once sent; then the operator locks, and unlocks
// with the passphrase and the token's PIN.
import { expect, test } from './support/consoleFixture.ts';
import { axeSerious } from './support/axe.ts';
import { completeFirstRun, expectDashboardAfterUnlock, openConsole, unlock } from './support/ui.ts';
import { createSoftHsmToken, removeSoftHsmFolder, type SoftHsmToken } from '../integration/softhsm-kit.ts';

const KEY = 'officer-sign-in';
const P384 = 'officer-p384';
let token: SoftHsmToken;

test.beforeAll(() => {
  token = createSoftHsmToken('e2e-factor');
  token.pkcs11Tool(['--login', '--pin', token.pin, '--keypairgen', '--key-type', 'EC:prime256v1', '--label', KEY]);
  token.pkcs11Tool(['--login', '--pin', token.pin, '--keypairgen', '--key-type', 'EC:secp384r1', '--label', P384]);
});

test.afterAll(async () => {
  await token.cleanup();
  removeSoftHsmFolder();
});

test('bind a PKCS#11 token from the top bar: refusals beside their fields, the PIN cleared; then lock and unlock with the token', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);

  await page.getByRole('button', { name: 'Second factor…' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('radio', { name: /PKCS#11 token/ }).check();
  const form = dialog.getByRole('form', { name: 'Bind a PKCS#11 token' });
  const field = (label: string) => form.getByLabel(label, { exact: true });
  const bind = async (values: { module?: string; key?: string; pin: string }) => {
    await field('PKCS#11 module').fill(values.module ?? token.modulePath);
    await field('Token label').fill(token.label);
    await field('Key label').fill(values.key ?? KEY);
    await field('Token PIN').fill(values.pin);
    await dialog.getByRole('button', { name: 'Bind token' }).click();
  };
  expect(await axeSerious(page, '[role="dialog"]'), 'token form').toEqual([]);

  // [what is sent, the field the refusal is said beside, its words] (table written here).
  const REFUSALS: Array<[Parameters<typeof bind>[0], string, RegExp]> = [
    [{ module: '/usr/lib/no-such-pkcs11-module.so', pin: token.pin }, 'PKCS#11 module', /does not exist/],
    [{ pin: 'not-the-pin' }, 'Token PIN', /The token refused the PIN\./],
    [{ key: P384, pin: token.pin }, 'Key label', /officer-p384 is not an EC P-256 key\./],
    [{ key: 'no-such-key', pin: token.pin }, 'Key label', /no EC P-256 or RSA key pair labelled no-such-key/],
  ];
  for (const [values, label, words] of REFUSALS) {
    await bind(values);
    await expect(field(label)).toHaveAccessibleDescription(words);
    // Sent: the PIN is no longer in the form.
    await expect(field('Token PIN')).toHaveValue('');
    await expect(form.getByRole('alert')).toContainText('Check the highlighted values and try again.');
  }
  expect(await axeSerious(page, '[role="dialog"]'), 'token form with a refusal').toEqual([]);

  // The token picked from the module's slots (operators:tokenSlots) instead of typed.
  await field('Token label').fill('');
  await form.getByRole('button', { name: 'List slots' }).click();
  await form.getByRole('radio', { name: new RegExp(`^Use token ${token.label} \\(slot`) }).check();
  await expect(field('Token label')).toHaveValue(token.label);
  await field('Key label').fill(KEY);
  await field('Token PIN').fill(token.pin);
  await dialog.getByRole('button', { name: 'Bind token' }).click();
  await expect(dialog.getByText('The token is your second factor.')).toBeVisible();
  // The recovery codes, shown this once.
  await expect(dialog.getByTestId('recovery-codes').getByRole('listitem')).toHaveCount(10);
  await expect(form).toHaveCount(0);
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();
  const enabled = harness.current().fleet.audit.query({ action: 'operator.token_enable', limit: 10 }).records;
  expect(enabled.map((r) => r.outcome)).toEqual(['success', 'failure', 'failure', 'failure', 'failure']);

  // Sign out, then in: the passphrase first, then the token's PIN beside its own field; the console opens.
  await page.getByRole('button', { name: 'Lock' }).click();
  await unlock(page);
  const pin = page.getByLabel('Token PIN');
  await expect(pin).toBeFocused();
  await pin.fill('not-the-pin');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(pin).toHaveAttribute('aria-invalid', 'true');
  await pin.fill(token.pin);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expectDashboardAfterUnlock(page);
  const unlocks = harness.current().fleet.audit.query({ action: 'session.unlock', limit: 3 }).records;
  expect(unlocks.map((r) => r.outcome)).toEqual(['success', 'failure', 'failure']);
});
