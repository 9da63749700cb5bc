// The key inventory: creation per type, the encrypt/decrypt tester, rotation and lifecycle changes.
import { expect, test } from './support/consoleFixture.ts';
import {
  changeState,
  chooseOption,
  optionsOf,
  completeFirstRun,
  createKey,
  decryptText,
  encryptText,
  keyRow,
  openConsole,
  openKey,
} from './support/ui.ts';

test.beforeEach(async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
});

test('each key type is created with its own algorithms, state and rotation schedule', async ({ page }) => {
  // The create dialog offers only the algorithms of the chosen type.
  await page.getByRole('button', { name: 'New key…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create a key' });
  await chooseOption(dialog, 'Key type', 'Communication');
  expect(await optionsOf(dialog, 'Algorithm')).toEqual(['AES_256']);
  await expect(dialog.getByLabel('Key type', { exact: true })).toHaveAccessibleDescription(/Link encryption, rotated every 24 hours.*Rotation: every 1 day/);
  await chooseOption(dialog, 'Key type', 'Device identity');
  expect(await optionsOf(dialog, 'Algorithm')).toEqual(['RSA_2048', 'EC_P256']);
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  await createKey(page, { label: 'robot-0042 identity', type: 'device_identity', algorithm: 'EC_P256' });
  await createKey(page, { label: 'fleet link', type: 'communication' });
  await createKey(page, { label: 'black box storage', type: 'storage', preActivation: true });
  await createKey(page, { label: 'emergency orders', type: 'emergency' });

  const identity = keyRow(page, 'robot-0042 identity');
  await expect(identity).toContainText('Device identity');
  await expect(identity).toContainText('EC_P256');
  await expect(identity).toContainText('Active');
  await expect(identity).toContainText('Manual');
  await expect(identity).toContainText('local');

  const link = keyRow(page, 'fleet link');
  await expect(link).toContainText('Communication');
  await expect(link).toContainText('AES_256');
  await expect(link).not.toContainText('Manual');

  const storage = keyRow(page, 'black box storage');
  await expect(storage).toContainText('Pre-activation');
  await expect(storage).toContainText('AES_256');

  const emergency = keyRow(page, 'emergency orders');
  await expect(emergency).toContainText('Emergency');
  await expect(emergency).toContainText('RSA_2048');

  for (const label of ['robot-0042 identity', 'fleet link', 'black box storage', 'emergency orders']) {
    // Local store today: nothing is KMS-backed, and every key starts at version 1.
    await expect(keyRow(page, label).getByRole('cell').nth(5)).toHaveText('No');
    await expect(keyRow(page, label)).toContainText('v1');
  }
});

test('text encrypted in the UI decrypts back; a wrong AAD or a modified ciphertext is refused by code', async ({ page }) => {
  await createKey(page, { label: 'fleet link', type: 'communication' });
  await openKey(page, 'fleet link');

  const { ciphertext } = await encryptText(page, 'move to dock 7 — ändern', 'robot-0042');
  await expect(page.getByText('Encrypted with version 1')).toBeVisible();
  expect(ciphertext).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
  expect(ciphertext).not.toContain('move to dock');

  const form = await decryptText(page, ciphertext, 'robot-0042');
  await expect(form.getByLabel('Decrypted plaintext')).toHaveValue('move to dock 7 — ändern');
  await expect(form.getByText('Decrypted by key fleet link, version 1')).toBeVisible();

  await decryptText(page, ciphertext, 'robot-0043');
  await expect(form.getByRole('alert')).toHaveAttribute('data-code', 'aad_mismatch');
  await expect(form.getByRole('alert')).toContainText('The associated data is not the one used at encryption.');

  // Flip one base64 character inside the encrypted body (away from the padding).
  const at = ciphertext.length - 12;
  const flipped = ciphertext.slice(0, at) + (ciphertext[at] === 'A' ? 'B' : 'A') + ciphertext.slice(at + 1);
  await decryptText(page, flipped, 'robot-0042');
  await expect(form.getByRole('alert')).toHaveAttribute('data-code', 'ciphertext_tampered');
  await expect(form.getByRole('alert')).toContainText('Treat it as hostile');
});

test('rotating keeps old ciphertext decryptable while new data uses the new version', async ({ page }) => {
  await createKey(page, { label: 'fleet link', type: 'communication' });
  await openKey(page, 'fleet link');
  const { ciphertext: before } = await encryptText(page, 'sealed before rotation');

  await keyRow(page, 'fleet link').getByRole('button', { name: 'Rotate' }).click();
  const dialog = page.getByRole('dialog', { name: 'Rotate key “fleet link”' });
  await expect(dialog).toContainText('creates version 2');
  await dialog.getByRole('button', { name: 'Rotate “fleet link” to version 2' }).click();
  await expect(dialog).toBeHidden();
  await expect(keyRow(page, 'fleet link')).toContainText('v2');

  const versions = page.getByRole('table', { name: 'Versions of fleet link' });
  await expect(versions.getByRole('row')).toHaveCount(3);
  await expect(versions).toContainText('v2 (current)');

  await encryptText(page, 'sealed after rotation');
  await expect(page.getByText('Encrypted with version 2')).toBeVisible();

  const form = await decryptText(page, before);
  await expect(form.getByLabel('Decrypted plaintext')).toHaveValue('sealed before rotation');
  await expect(form.getByText('Decrypted by key fleet link, version 1')).toBeVisible();
});

test('state changes offer only the lifecycle’s allowed targets, and destruction needs the typed label', async ({ page }) => {
  await createKey(page, { label: 'vault a', type: 'storage' });
  await openKey(page, 'vault a');

  await keyRow(page, 'vault a').getByRole('button', { name: 'Change state' }).click();
  let dialog = page.getByRole('dialog', { name: 'Change the state of “vault a”' });
  await expect(dialog.getByRole('radio')).toHaveCount(3);
  await expect(dialog.getByRole('radiogroup', { name: 'New state' })).toContainText('SuspendedDeactivatedCompromised');
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  await changeState(page, 'vault a', 'Suspended', 'maintenance window');
  // A suspended key refuses to encrypt, and the UI says why by code.
  await page.getByRole('form', { name: 'Encrypt' }).getByLabel('Plaintext').fill('anything');
  await page.getByRole('form', { name: 'Encrypt' }).getByRole('button', { name: 'Encrypt' }).click();
  await expect(page.getByRole('form', { name: 'Encrypt' }).getByRole('alert')).toHaveAttribute('data-code', 'key_disabled');
  await expect(page.getByRole('region', { name: 'Key “vault a”' })).toContainText('maintenance window');

  await changeState(page, 'vault a', 'Active', 'maintenance over');
  await changeState(page, 'vault a', 'Deactivated', 'replaced by vault b');

  await keyRow(page, 'vault a').getByRole('button', { name: 'Change state' }).click();
  dialog = page.getByRole('dialog', { name: 'Change the state of “vault a”' });
  await expect(dialog.getByRole('radio')).toHaveCount(2);
  await dialog.getByRole('radio', { name: 'Destroyed' }).check();
  const confirm = dialog.getByRole('button', { name: 'Set “vault a” to Destroyed' });
  await expect(dialog).toContainText('You are about to set vault a from Deactivated to Destroyed');
  await expect(confirm).toBeDisabled();
  await dialog.getByLabel('Type the key label “vault a” to confirm destruction').fill('vault b');
  await expect(confirm).toBeDisabled();
  await dialog.getByLabel('Type the key label “vault a” to confirm destruction').fill('vault a');
  await expect(confirm).toBeEnabled();
  await confirm.click();
  await expect(dialog).toBeHidden();

  const row = keyRow(page, 'vault a');
  await expect(row).toContainText('Destroyed');
  await expect(row.getByRole('button', { name: 'Change state' })).toBeDisabled();
  await expect(row.getByRole('button', { name: 'Rotate' })).toBeDisabled();
});

test('a signing key shows its public key PEM and passes the integrity check', async ({ page }) => {
  await createKey(page, { label: 'robot-0042 identity', type: 'device_identity' });
  const panel = await openKey(page, 'robot-0042 identity');

  await expect(panel.getByLabel('Public key PEM')).toContainText('-----BEGIN PUBLIC KEY-----');
  await expect(panel.getByRole('table', { name: 'Versions of robot-0042 identity' })).toContainText(/[0-9a-f]{16}/);
  // Signing keys have no encrypt tester.
  await expect(page.getByRole('form', { name: 'Encrypt' })).toHaveCount(0);

  await panel.getByRole('button', { name: 'Check integrity' }).click();
  await expect(panel.getByText('Integrity verified: all 1 version(s) intact.')).toBeVisible();
});
