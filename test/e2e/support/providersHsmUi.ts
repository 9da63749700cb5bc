// Steps on the Providers form for the PKCS#11, Google Cloud KMS and Azure Key Vault kinds, by role and label.
import { expect, type Locator } from '@playwright/test';
import { chooseKind } from './providersUi.ts';

/** Chooses PKCS#11, gives the module, lists its slots and picks the token by its label; returns the slot table. */
export async function pickPkcs11Token(dialog: Locator, form: { id: string; modulePath: string; tokenLabel: string }): Promise<Locator> {
  await chooseKind(dialog, 'PKCS#11 HSM');
  await dialog.getByLabel('Provider id').fill(form.id);
  await dialog.getByLabel('PKCS#11 module').fill(form.modulePath);
  await dialog.getByRole('button', { name: 'List slots' }).click();
  const table = dialog.getByRole('table', { name: 'Slots of the PKCS#11 module' });
  await expect(table).toBeVisible();
  await table.getByRole('radio', { name: new RegExp(`^Use token ${escapeRegExp(form.tokenLabel)} \\(slot \\d+\\)$`) }).check();
  await expect(dialog.getByLabel('Token label')).toHaveValue(form.tokenLabel);
  return table;
}

export interface GcpForm {
  id: string;
  projectId: string;
  keyRingId: string;
}

export async function fillGcp(dialog: Locator, form: GcpForm): Promise<void> {
  await chooseKind(dialog, 'Google Cloud KMS');
  await dialog.getByLabel('Provider id').fill(form.id);
  await dialog.getByLabel('Project id').fill(form.projectId);
  await expect(dialog.getByLabel('Location')).toHaveValue('global');
  await dialog.getByLabel('Key ring').fill(form.keyRingId);
  await dialog.getByLabel('Use this provider for key storage (new keys are created here)').setChecked(false);
}

/** A file for setInputFiles, made in memory. */
export function memoryFile(name: string, text: string, mimeType = 'application/json') {
  return { name, mimeType, buffer: Buffer.from(text, 'utf8') };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
