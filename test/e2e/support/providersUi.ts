// Steps on the Providers page, by role and label, as an officer takes them.
import { expect, type Locator, type Page } from '@playwright/test';
import { clickNav, pickSelectOption } from './ui.ts';

export async function goToProviders(page: Page): Promise<void> {
  await clickNav(page, 'Providers');
  await expect(page.getByRole('heading', { name: 'Providers', level: 1 })).toBeVisible();
}

export function providersTable(page: Page): Locator {
  return page.getByRole('table', { name: 'Providers' });
}

export function providerRow(page: Page, id: string): Locator {
  return providersTable(page)
    .getByRole('row')
    .filter({ has: page.getByRole('button', { name: id, exact: true }) });
}

export interface VaultForm {
  id: string;
  url: string;
  token: string;
  useForStorage?: boolean;
}

export interface AwsForm {
  id: string;
  region: string;
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  useForStorage?: boolean;
}

export async function openAddProvider(page: Page): Promise<Locator> {
  await page.getByRole('button', { name: 'Add provider…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add a provider' });
  await expect(dialog).toBeVisible();
  return dialog;
}

/** Picks the provider kind (a Cloudscape Select: its button, then the option named by the kind's label). */
export async function chooseKind(dialog: Locator, kindLabel: string): Promise<void> {
  const escaped = kindLabel.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await pickSelectOption(dialog.getByLabel('Provider kind', { exact: true }), new RegExp(`^(Selected )?${escaped}$`), kindLabel);
}

export async function fillVault(dialog: Locator, form: VaultForm): Promise<void> {
  await chooseKind(dialog, 'HashiCorp Vault (transit)');
  await dialog.getByLabel('Provider id').fill(form.id);
  await dialog.getByLabel('Vault URL').fill(form.url);
  await dialog.getByLabel('Vault token').fill(form.token);
  await dialog.getByLabel('Use this provider for key storage (new keys are created here)').setChecked(form.useForStorage ?? false);
}

export async function fillAws(dialog: Locator, form: AwsForm): Promise<void> {
  await chooseKind(dialog, 'AWS KMS');
  await dialog.getByLabel('Provider id').fill(form.id);
  await dialog.getByLabel('Region').fill(form.region);
  await dialog.getByLabel('Endpoint (optional)').fill(form.endpoint);
  await dialog.getByLabel('Access key id').fill(form.accessKeyId);
  await dialog.getByLabel('Secret access key').fill(form.secretAccessKey);
  await dialog.getByLabel('Use this provider for key storage (new keys are created here)').setChecked(form.useForStorage ?? false);
}

export async function submitProvider(page: Page, dialog: Locator, id: string): Promise<void> {
  await dialog.getByRole('button', { name: 'Add provider' }).click();
  await expect(dialog).toBeHidden();
  await expect(providerRow(page, id)).toBeVisible();
}

/** Clicks "Test connection" in the provider's row and returns the result text's locator. */
export async function testConnection(page: Page, id: string): Promise<Locator> {
  const row = providerRow(page, id);
  await row.getByRole('button', { name: `Test connection to ${id}` }).click();
  return row.getByRole('status', { name: `Connection test result for ${id}` });
}
