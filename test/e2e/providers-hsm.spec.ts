// The Providers form for the PKCS#11, Google Cloud KMS and Azure Key Vault kinds. PKCS#11 runs against the REAL
// SoftHSM2 (/usr/lib/softhsm/libsofthsm2.so) with a token made for this file in a temp folder: SOFTHSM2_CONF is set
// in this (the test) process before any console is created, since the console runs here too.
import crypto from 'node:crypto';
import type { Page } from '@playwright/test';
import { expect, test } from './support/consoleFixture.ts';
import { completeFirstRun, createKey, decryptText, encryptText, goToKeys, keyRow, openConsole, openKey } from './support/ui.ts';
import { chooseKind, goToProviders, openAddProvider, providerRow, submitProvider, testConnection } from './support/providersUi.ts';
import { fillGcp, memoryFile, pickPkcs11Token } from './support/providersHsmUi.ts';
import { createSoftHsmToken, removeSoftHsmFolder, type SoftHsmToken } from '../integration/softhsm-kit.ts';
import { KIND_FIELDS as SETTING_NAMES, SECRET_FIELDS } from '../../electron/providers/config/schema.ts';
import { ADDABLE_KINDS, KIND_FIELDS as FORM_FIELDS } from '../../renderer/src/providers/providerFields.ts';
import { startTestEmulator, TEST_LOCATION, TEST_PROJECT, TEST_RING } from '../emulators/gcp-kms/testkit.ts';
import type { GcpKmsEmulator } from '../emulators/gcp-kms/index.ts';

let token: SoftHsmToken;

test.beforeAll(() => {
  token = createSoftHsmToken('e2e');
});

test.afterAll(async () => {
  await token.cleanup();
  removeSoftHsmFolder();
});

test('the form offers exactly the settings of the configuration schema, secrets as secrets', () => {
  expect([...ADDABLE_KINDS].sort()).toEqual(['aws_kms', 'azure_key_vault', 'google_cloud_kms', 'hashicorp_vault', 'pkcs11']);
  for (const kind of ADDABLE_KINDS) {
    const form = FORM_FIELDS[kind] ?? [];
    expect(form.map((f) => f.name).sort(), kind).toEqual([...SETTING_NAMES[kind]].sort());
    expect(form.filter((f) => f.secret).map((f) => f.name).sort(), kind).toEqual(SETTING_NAMES[kind].filter((n) => SECRET_FIELDS.includes(n)).sort());
  }
});

test.beforeEach(async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
});

test('a PKCS#11 token picked from the slot list holds a KMS-backed key that encrypts and decrypts; the PIN never shows', async ({ page }) => {
  await goToProviders(page);
  const dialog = await openAddProvider(page);
  await chooseKind(dialog, 'PKCS#11 HSM');
  await expect(dialog.getByLabel('PKCS#11 module')).toHaveAccessibleDescription(/SoftHSM2 \/usr\/lib\/softhsm\/libsofthsm2\.so/);
  await expect(dialog.getByRole('button', { name: 'List slots' })).toBeDisabled();
  // The main process loads only shared libraries that nobody else can replace: a plain file is refused, by field.
  await dialog.getByLabel('PKCS#11 module').fill('/etc/hostname');
  await dialog.getByRole('button', { name: 'List slots' }).click();
  await expect(dialog.getByRole('alert')).toContainText('pkcs11_module (/etc/hostname) must be a shared library');
  await expect(dialog.getByRole('table', { name: 'Slots of the PKCS#11 module' })).toHaveCount(0);

  const slots = await pickPkcs11Token(dialog, { id: 'hsm-e2e', modulePath: token.modulePath, tokenLabel: token.label });
  const row = slots.getByRole('row').filter({ hasText: token.label });
  await expect(row.getByRole('cell').nth(3)).toHaveText('SoftHSM project');
  await expect(row.getByRole('cell').nth(6)).toHaveText(/^Yes/);
  const pin = dialog.getByLabel('User PIN');
  await expect(pin).toHaveAttribute('type', 'password');
  await expect(pin).toHaveAccessibleDescription(/sealed under the store’s master key/i);
  await pin.fill(token.pin);
  await dialog.getByLabel('Use this provider for key storage (new keys are created here)').setChecked(false);
  await submitProvider(page, dialog, 'hsm-e2e');
  expect(await page.content()).not.toContain(token.pin);

  // Health and latency from a real login to the token.
  await expect(await testConnection(page, 'hsm-e2e')).toHaveText(/^Healthy — \d+ ms$/);
  await expect(providerRow(page, 'hsm-e2e').getByRole('cell').nth(2)).toHaveText('healthy');
  await expect(providerRow(page, 'hsm-e2e').getByRole('cell').nth(3)).toHaveText(/^\d+ ms$/);

  // The edit form keeps the token label and never shows the PIN back.
  await providerRow(page, 'hsm-e2e').getByRole('button', { name: 'Edit hsm-e2e' }).click();
  const edit = page.getByRole('dialog', { name: 'Edit provider “hsm-e2e”' });
  await expect(edit.getByLabel('Token label')).toHaveValue(token.label);
  await expect(edit.getByLabel('User PIN')).toHaveValue('');
  await expect(edit.getByLabel('User PIN')).toHaveAttribute('placeholder', 'set — leave empty to keep');
  expect(await page.content()).not.toContain(token.pin);
  await edit.getByRole('button', { name: 'Cancel' }).click();

  // A KMS-backed encryption key on the HSM, used in the tester.
  await goToKeys(page);
  await createKey(page, { label: 'hsm link', type: 'communication', provider: 'hsm-e2e' });
  await expect(keyRow(page, 'hsm link').getByRole('cell').nth(4)).toHaveText('hsm-e2e');
  await expect(keyRow(page, 'hsm link').getByRole('cell').nth(5)).toHaveText('Yes');
  await openKey(page, 'hsm link');
  const { ciphertext } = await encryptText(page, 'open bay doors at 06:00', 'robot-0042');
  const form = await decryptText(page, ciphertext, 'robot-0042');
  await expect(form.getByLabel('Decrypted plaintext')).toHaveValue('open bay doors at 06:00');
  expect(await page.content()).not.toContain(token.pin);

  // The key really lives in the token: its objects are there, seen by another PKCS#11 client.
  const objects = token.pkcs11Tool(['--login', '--pin', token.pin, '--list-objects']);
  expect(objects).toMatch(/ecps\/[A-Za-z0-9_-]+\/v1/);
});

test('a wrong PIN is stored as configured, but the token refuses the login: the connection test fails', async ({ page }) => {
  await goToProviders(page);
  const dialog = await openAddProvider(page);
  await pickPkcs11Token(dialog, { id: 'hsm-bad-pin', modulePath: token.modulePath, tokenLabel: token.label });
  await dialog.getByLabel('User PIN').fill(`${token.pin}-wrong`);
  await dialog.getByLabel('Use this provider for key storage (new keys are created here)').setChecked(false);
  // The configuration is valid (the PIN is checked at login, not by its shape), so it is kept...
  await submitProvider(page, dialog, 'hsm-bad-pin');
  // ...and the token refuses the login: the connection test fails and the row says unreachable.
  const result = await testConnection(page, 'hsm-bad-pin');
  await expect(result).toHaveText(/^Failed after \d+ ms/);
  await expect(result.locator('[title]')).toHaveAttribute('title', /PIN|CKR_PIN_INCORRECT/i);
  await expect(providerRow(page, 'hsm-bad-pin').getByRole('cell').nth(2)).toHaveText('unreachable');
  expect(await page.content()).not.toContain(`${token.pin}-wrong`);
});

test('a service-account file shows only its client_email; a file that is not JSON is refused beside the field', async ({ page }) => {
  // The Cloud KMS emulator (gRPC on 127.0.0.1; no metadata-server probing): the provider's endpoint.
  const emulator = await startTestEmulator();
  try {
    await serviceAccountFlow(page, emulator);
  } finally {
    await emulator.close();
  }
});

async function serviceAccountFlow(page: Page, emulator: GcpKmsEmulator): Promise<void> {
  const marker = crypto.randomBytes(24).toString('base64');
  const privateKey = `-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC${marker}\n-----END PRIVATE KEY-----\n`;
  const email = `ecps-e2e@${TEST_PROJECT}.iam.gserviceaccount.com`;
  const serviceAccount = JSON.stringify({
    type: 'service_account',
    project_id: TEST_PROJECT,
    private_key_id: crypto.randomBytes(20).toString('hex'),
    private_key: privateKey,
    client_email: email,
    client_id: '100000000000000000001',
    token_uri: 'https://oauth2.googleapis.com/token',
  });

  await goToProviders(page);
  const dialog = await openAddProvider(page);
  await fillGcp(dialog, { id: 'gcp-e2e', projectId: TEST_PROJECT, keyRingId: TEST_RING });
  await dialog.getByLabel('Location').fill(TEST_LOCATION);
  await dialog.getByLabel('Endpoint (optional)').fill(emulator.endpoint);
  const picker = dialog.getByLabel('Service-account key file (JSON)');
  await expect(picker).toHaveAttribute('accept', '.json,application/json');

  // A file that is not JSON: sent, and refused by the main process next to the picker.
  await picker.setInputFiles(memoryFile('notes.txt', 'these are not the credentials you are looking for', 'text/plain'));
  await expect(dialog.getByRole('status', { name: 'Service-account file' })).toHaveText('file selected: notes.txt (no client_email found in it)');
  await dialog.getByRole('button', { name: 'Add provider' }).click();
  await expect(dialog.getByRole('alert')).toHaveAttribute('data-code', 'invalid_input');
  await expect(picker).toHaveAttribute('aria-invalid', 'true');
  await expect(picker).toHaveAccessibleDescription(/gcp_credentials_json must be the JSON content of a service-account key file/);

  // The real thing: only the client_email is shown, never the key.
  await picker.setInputFiles(memoryFile('fleet-sa.json', serviceAccount));
  await expect(dialog.getByRole('status', { name: 'Service-account file' })).toHaveText(`service-account file selected: ${email}`);
  await expect(picker).not.toHaveAttribute('aria-invalid', 'true');
  let html = await page.content();
  expect(html).not.toContain(marker);
  expect(html).not.toContain('PRIVATE KEY');

  // The path alternative is one choice away, and only one of the two is sent.
  await dialog.getByRole('radio', { name: 'Path on the console machine' }).check();
  await expect(dialog.getByLabel('Service-account key path')).toBeVisible();
  await dialog.getByRole('radio', { name: 'Key file, sealed in the store' }).check();
  await picker.setInputFiles(memoryFile('fleet-sa.json', serviceAccount));
  await expect(dialog.getByRole('status', { name: 'Service-account file' })).toHaveText(`service-account file selected: ${email}`);

  await submitProvider(page, dialog, 'gcp-e2e');
  html = await page.content();
  expect(html).not.toContain(marker);
  expect(html).not.toContain('PRIVATE KEY');
  const settings = page.getByRole('region', { name: 'Provider “gcp-e2e”' }).getByRole('table', { name: 'Settings of gcp-e2e' });
  await expect(settings.getByRole('row').filter({ hasText: 'gcp_credentials_json' })).toContainText('set');
  await expect(await testConnection(page, 'gcp-e2e')).toHaveText(/^Healthy — \d+ ms$/);
  await expect(providerRow(page, 'gcp-e2e').getByRole('cell').nth(2)).toHaveText('healthy');

  // Edit: the stored file is kept unless another is picked.
  await providerRow(page, 'gcp-e2e').getByRole('button', { name: 'Edit gcp-e2e' }).click();
  const edit = page.getByRole('dialog', { name: 'Edit provider “gcp-e2e”' });
  await expect(edit.getByRole('status', { name: 'Service-account file' })).toHaveText(/A service-account file is stored — leave empty to keep it/);
  await expect(edit.getByLabel('Key ring')).toHaveValue(TEST_RING);
  await edit.getByLabel('Timeout per call (ms)').fill('8000');
  await edit.getByRole('button', { name: 'Save changes' }).click();
  await expect(edit).toBeHidden();
  await expect(settings.getByRole('row').filter({ hasText: 'gcp_credentials_json' })).toContainText('set');
  await expect(settings.getByRole('row').filter({ hasText: 'timeout_ms' })).toContainText('8000');
  expect(await page.content()).not.toContain(marker);
}

test('Azure Key Vault: partial client credentials are refused beside the missing one', async ({ page }) => {
  await goToProviders(page);
  const dialog = await openAddProvider(page);
  await chooseKind(dialog, 'Azure Key Vault');
  await dialog.getByLabel('Provider id').fill('azure-e2e');
  await dialog.getByLabel('Key Vault URL').fill('https://fleet-keys.vault.azure.net');
  await dialog.getByLabel('Tenant id').fill('contoso.onmicrosoft.com');
  await dialog.getByLabel('Client id (application)').fill('6f1d2c3b-4a59-4e6f-8a7b-9c0d1e2f3a4b');
  const secret = dialog.getByLabel('Client secret');
  await expect(secret).toHaveAttribute('type', 'password');
  await expect(secret).toHaveAccessibleDescription(/leave all three empty to use DefaultAzureCredential/);
  await dialog.getByRole('button', { name: 'Add provider' }).click();
  await expect(secret).toHaveAttribute('aria-invalid', 'true');
  await expect(secret).toHaveAccessibleDescription(/azure_client_secret is required with the other Azure client credentials/);
});
