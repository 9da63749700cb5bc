// Compromise and destruction of a key held by AWS KMS with a Vault backup, while Vault is down: the Change state
// dialog shows what was done where and what was not reached, the key's panel keeps showing it, and Retry reaches it
// once Vault is back. The providers are configured through the console's handlers (the provider form has its own spec).
import { AWS_CREDENTIALS, AWS_REGION, VAULT_TOKEN, expect, test } from './support/kmsEmulators.ts';
import { completeFirstRun, keyRow, openConsole, openKey } from './support/ui.ts';

const CTX = { transport: 'test' } as const;

test.beforeEach(async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
});

test('a copy of the key that cannot be reached is shown with the change, kept on the key, and retried', async ({ page, harness, vault, aws }) => {
  const { handlers } = harness.current().fleet;
  await handlers['providers:save']({ config: { provider: 'aws_kms', id: 'aws-e2e', region: AWS_REGION, endpoint: aws.endpoint, aws_access_key_id: AWS_CREDENTIALS.accessKeyId, aws_secret_access_key: AWS_CREDENTIALS.secretAccessKey, use_kms_for_storage: false, timeout_ms: 10_000, retries: 1 } }, CTX);
  await handlers['providers:save']({ config: { provider: 'hashicorp_vault', id: 'vault-e2e', vault_url: vault.endpoint, vault_token: VAULT_TOKEN, use_kms_for_storage: false, timeout_ms: 2000, retries: 1 } }, CTX);
  await handlers['keys:create']({ type: 'storage', label: 'hall b disks', provider: 'aws-e2e', backupProvider: 'vault-e2e' }, CTX);
  await expect(keyRow(page, 'hall b disks')).toBeVisible();

  // Compromise while Vault is down: AWS disables the key, Vault cannot be told.
  await vault.faults.down();
  await keyRow(page, 'hall b disks').getByRole('button', { name: 'Change state' }).click();
  const dialog = page.getByRole('dialog', { name: 'Change the state of “hall b disks”' });
  await dialog.getByRole('radio', { name: 'Compromised', exact: true }).check();
  await dialog.getByLabel('Reason (recorded in the audit log)').fill('backup tape lost');
  await dialog.getByRole('button', { name: 'Set “hall b disks” to Compromised' }).click();
  await expect(dialog.getByRole('alert')).toContainText('hall b disks is now Compromised in the console');
  const locations = dialog.getByRole('table', { name: 'Locations of hall b disks' });
  // One row per place: what was asked of it and whether it was reached.
  const place = (where: string) => locations.getByRole('row').filter({ hasText: where });
  await expect(place('aws-e2e (key provider)')).toContainText(/Disable.*Done/);
  await expect(place('vault-e2e (backup provider)')).toContainText('Not reached: Provider vault-e2e');
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(keyRow(page, 'hall b disks')).toContainText('Compromised');

  // The key's panel keeps saying so, with a Retry; it succeeds once Vault is back.
  const panel = await openKey(page, 'hall b disks');
  const unreached = panel.getByRole('status', { name: 'Unreached locations of hall b disks' });
  await expect(unreached).toContainText('vault-e2e (backup provider): disable failed');
  await vault.faults.up();
  await unreached.getByRole('button', { name: 'Retry unreached locations' }).click();
  await expect(unreached).toBeHidden();

  // Destruction with Vault down again; this time the dialog's own Retry finishes it and closes.
  await vault.faults.down();
  await keyRow(page, 'hall b disks').getByRole('button', { name: 'Change state' }).click();
  await dialog.getByRole('radio', { name: 'Destroyed', exact: true }).check();
  await dialog.getByLabel('Type the key label “hall b disks” to confirm destruction').fill('hall b disks');
  await dialog.getByRole('button', { name: 'Set “hall b disks” to Destroyed' }).click();
  await expect(place('aws-e2e (key provider)')).toContainText(/Schedule destruction.*Done \(deleted by \d{4}-\d{2}-\d{2}\)/);
  await expect(place('vault-e2e (backup provider)')).toContainText('Not reached');
  await vault.faults.up();
  await dialog.getByRole('button', { name: 'Retry unreached locations' }).click();
  await expect(dialog).toBeHidden();
  await expect(keyRow(page, 'hall b disks')).toContainText('Destroyed');
  await expect(panel.getByRole('status', { name: 'Unreached locations of hall b disks' })).toBeHidden();

  // The audit log says incomplete, then complete, for each change.
  const records = (await handlers['audit:query']({ action: 'key.state', offset: 0, limit: 10 }, CTX)).records.map((r) => [r.outcome, r.details.to, r.details.code ?? null]);
  expect(records.slice(0, 4)).toEqual([
    ['success', 'destroyed', null],
    ['failure', 'destroyed', 'incomplete'],
    ['success', 'compromised', null],
    ['failure', 'compromised', 'incomplete'],
  ]);
});
