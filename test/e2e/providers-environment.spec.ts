// A malformed provider configuration in the environment (KMS_PROVIDER=aws_kms with a garbage AWS_REGION) as the window
// shows it: a banner on the Providers and Keys pages naming the variable, and a create dialog that does not quietly pick
// the local store. The CLI refuses the same way (test/integration/cli-provider-config.test.ts): same handlers.
import { expect } from '@playwright/test';
import { test } from './support/consoleFixture.ts';
import { goToProviders } from './support/providersUi.ts';
import { completeFirstRun, goToKeys, keyRow, keysTable, openConsole } from './support/ui.ts';

const BROKEN = { KMS_PROVIDER: 'aws_kms', AWS_REGION: 'moon-base-1!', USE_KMS_FOR_STORAGE: 'true' };

test.describe('without the opt-in', () => {
  test.use({ consoleOptions: { env: BROKEN } });

  test('both pages name the refused variable and creating a key with the default provider is refused', async ({ page, harness }) => {
    await openConsole(page, harness.current().host.url);
    await completeFirstRun(page);
    const banner = page.getByRole('alert', { name: 'Environment provider refused' });
    await expect(banner).toContainText('The provider configuration in the environment was refused: AWS_REGION (environment) must be an AWS region');
    await expect(banner).toContainText('New keys that name no provider are refused until AWS_REGION is fixed');
    await goToProviders(page);
    await expect(banner).toBeVisible();
    await goToKeys(page);

    await page.getByRole('button', { name: 'New key…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create a key' });
    await dialog.getByLabel('Label').fill('must not exist');
    await expect(dialog.getByLabel('Provider', { exact: true })).toContainText('Default: none');
    await dialog.getByRole('button', { name: 'Create key' }).click();
    const error = dialog.getByRole('alert');
    await expect(error).toHaveAttribute('data-code', 'invalid_input');
    await expect(error).toContainText('No key was created');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(keysTable(page).getByRole('button', { name: 'must not exist', exact: true })).toHaveCount(0);
  });
});

test.describe('with ECPS_ALLOW_LOCAL_FALLBACK=1', () => {
  test.use({ consoleOptions: { env: { ...BROKEN, ECPS_ALLOW_LOCAL_FALLBACK: '1' } } });

  test('the banner says new keys go to the local store, and the default provider puts them there', async ({ page, harness }) => {
    await openConsole(page, harness.current().host.url);
    await completeFirstRun(page);
    const banner = page.getByRole('alert', { name: 'Environment provider refused' });
    await expect(banner).toContainText('ECPS_ALLOW_LOCAL_FALLBACK is set: new keys that name no provider are created in the local store');
    await page.getByRole('button', { name: 'New key…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create a key' });
    await dialog.getByLabel('Label').fill('local on purpose');
    await dialog.getByRole('button', { name: 'Create key' }).click();
    await expect(dialog).toBeHidden();
    await expect(keyRow(page, 'local on purpose')).toContainText('local');
    const fallbacks = harness.current().fleet.audit.query({ action: 'key.local_fallback', offset: 0, limit: 10 }).records;
    expect(fallbacks).toEqual([expect.objectContaining({ outcome: 'success', details: expect.objectContaining({ variable: 'AWS_REGION' }) })]);
  });
});
