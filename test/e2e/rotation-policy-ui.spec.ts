// The rollout policy and a key's rotation at its provider on the Rotation schedules screen (issue 13, docs/rotation.md
// "Rollout to robots" and "Provider-side rotation"). The default rollout policy: values past the contract's limits are
// refused in words beside their fields and nothing is stored; a good policy is saved and read back after reopening;
// "Go back to the built-in policy" restores the documented defaults. A key held by AWS KMS (the emulator): its own
// schedule off at first, on with a 90-day period once a provider-driven policy is set, and "Check drift" finding a
// rotation made at AWS behind the console's back once; a local key: the dialog says the console rotates it.
import { DescribeKeyCommand, KMSClient, RotateKeyOnDemandCommand } from '@aws-sdk/client-kms';
import type { Locator } from '@playwright/test';
import { AWS_CREDENTIALS, AWS_REGION, expect, test } from './support/kmsEmulators.ts';
import { CTX } from './support/stationUi.ts';
import { clickNav, completeFirstRun, openConsole, pickSelectOption } from './support/ui.ts';

// shared/rolloutContract.ts: the built-in policy ("10 % of each site as canary, halt above 10 % failures, one previous
// version valid for 7 days"), as the dialog shows it (grace in days).
const BUILTIN = { 'Canary robots': '', 'Canary share of each site (%)': '10', 'Sites the share applies to': '', 'Failure threshold (0 to 1)': '0.1', 'Previous versions kept valid': '1', 'Grace period (days)': '7' };

// RolloutPolicySchema's limits: canaryPercent 0..100, maxFailureRatio 0..1, graceVersions 0..100, graceSeconds at most
// 10 * 365 days. Each value past one is refused beside its field; a value that is not a number is said before sending.
const REFUSED: ReadonlyArray<{ field: keyof typeof BUILTIN; value: string; words: string }> = [
  { field: 'Canary share of each site (%)', value: '150', words: 'Must be at most 100.' },
  { field: 'Canary share of each site (%)', value: 'ten', words: 'Enter the canary share as a number.' },
  { field: 'Failure threshold (0 to 1)', value: '1.5', words: 'Must be at most 1.' },
  { field: 'Previous versions kept valid', value: '101', words: 'Must be at most 100.' },
  { field: 'Grace period (days)', value: String(10 * 365 + 1), words: 'Must be at most 3650 days (10 years).' },
];

const SAVED = { 'Canary robots': 'robot-000001, robot-000002', 'Canary share of each site (%)': '25', 'Sites the share applies to': 'Hall B', 'Failure threshold (0 to 1)': '0.2', 'Previous versions kept valid': '2', 'Grace period (days)': '14' };

const SOURCE = {
  builtin: 'The built-in default: no officer has set a rollout policy.',
  default: 'The default rollout policy, set by an officer.',
};

async function expectFields(dialog: Locator, values: Record<string, string>) {
  for (const [label, value] of Object.entries(values)) await expect(dialog.getByLabel(label, { exact: true })).toHaveValue(value);
}

test('the default rollout policy: refused beside its fields, saved and read back, then back to the built-in one', async ({ page, harness }) => {
  test.setTimeout(120_000);
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  await clickNav(page, 'Rotation schedules');
  const open = async () => {
    await page.getByRole('button', { name: 'Rollout policy', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Default rollout policy' });
    await expect(dialog.getByTestId('rollout-policy-source')).toBeVisible();
    return dialog;
  };

  let dialog = await open();
  await expect(dialog.getByTestId('rollout-policy-source')).toHaveText(SOURCE.builtin);
  await expectFields(dialog, BUILTIN);

  for (const { field, value, words } of REFUSED) {
    const input = dialog.getByLabel(field, { exact: true });
    await input.fill(value);
    await dialog.getByRole('button', { name: 'Save rollout policy' }).click();
    // Beside the field: the input's own description carries the refusal.
    await expect(input).toHaveAccessibleDescription(new RegExp(words.replace(/[.()]/g, '\\$&')));
    await input.fill(BUILTIN[field]);
  }
  // Nothing was stored.
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  dialog = await open();
  await expect(dialog.getByTestId('rollout-policy-source')).toHaveText(SOURCE.builtin);

  for (const [label, value] of Object.entries(SAVED)) await dialog.getByLabel(label, { exact: true }).fill(value);
  await dialog.getByRole('button', { name: 'Save rollout policy' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText('The default rollout policy was saved.')).toBeVisible();

  dialog = await open();
  await expect(dialog.getByTestId('rollout-policy-source')).toHaveText(SOURCE.default);
  await expectFields(dialog, SAVED);
  await dialog.getByRole('button', { name: 'Go back to the built-in policy' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText('The built-in rollout policy applies again.')).toBeVisible();

  dialog = await open();
  await expect(dialog.getByTestId('rollout-policy-source')).toHaveText(SOURCE.builtin);
  await expectFields(dialog, BUILTIN);
  await expect(dialog.getByRole('button', { name: 'Go back to the built-in policy' })).toHaveCount(0);
});

test("a key's schedule at AWS KMS and a drift check; a local key rotates in the console", async ({ page, harness, aws }) => {
  test.setTimeout(120_000);
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  const { handlers } = harness.current().fleet;
  await handlers['providers:save']({ config: { provider: 'aws_kms', id: 'aws-e2e', region: AWS_REGION, endpoint: aws.endpoint, aws_access_key_id: AWS_CREDENTIALS.accessKeyId, aws_secret_access_key: AWS_CREDENTIALS.secretAccessKey, use_kms_for_storage: false, timeout_ms: 10_000, retries: 1 } }, CTX);
  const held = await handlers['keys:create']({ type: 'storage', label: 'hall b disks', provider: 'aws-e2e' }, CTX);
  await handlers['keys:create']({ type: 'storage', label: 'local disks' }, CTX);
  await clickNav(page, 'Rotation schedules');

  const open = async (label: string) => {
    await pickSelectOption(page.getByRole('button', { name: 'Key for its own policy' }), label);
    await page.getByRole('button', { name: 'Schedule at the provider and drift' }).click();
    return page.getByRole('dialog', { name: `Rotation of ${label} at its provider` });
  };
  const close = async (dialog: Locator) => {
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    await expect(dialog).toBeHidden();
  };

  // Local store: no schedule of its own, no drift check.
  let dialog = await open('local disks');
  await expect(dialog).toContainText('local disks is held by a provider that cannot rotate keys by itself: the console rotates it');
  await expect(dialog.getByRole('button', { name: 'Check drift' })).toHaveCount(0);
  await close(dialog);

  // AWS KMS: rotation off until the key's policy lets AWS drive it.
  dialog = await open('hall b disks');
  await expect(dialog).toContainText('aws-e2e');
  await expect(dialog).toContainText('Off: the console drives rotation');
  await close(dialog);
  // docs/rotation.md: AWS accepts whole days from 90 to 2560; 90 days is shown as "every 90 days".
  await handlers['rotation:setKeyPolicy']({ keyId: held.id, policy: { mode: 'scheduled', driver: 'provider', periodSeconds: 90 * 86_400 } }, CTX);
  dialog = await open('hall b disks');
  await expect(dialog.getByText('On', { exact: true })).toBeVisible();
  await expect(dialog).toContainText('every 90 days');

  // Nothing made behind the console yet.
  await dialog.getByRole('button', { name: 'Check drift' }).click();
  const result = dialog.getByRole('status', { name: 'Drift check' });
  await expect(result).toHaveText('No drift: the provider holds no version the console did not make.');

  // Someone rotates the key at AWS directly: AWS numbers it version 2 (1 + the rotation's index), made on demand; the
  // console (at version 1) adopts it as version 2.
  const kms = new KMSClient({ region: AWS_REGION, endpoint: aws.endpoint, credentials: AWS_CREDENTIALS, maxAttempts: 1 });
  const arn = (await kms.send(new DescribeKeyCommand({ KeyId: `alias/ecps/key-${held.id}` }))).KeyMetadata!.Arn!;
  await kms.send(new RotateKeyOnDemandCommand({ KeyId: arn }));
  kms.destroy();
  await dialog.getByRole('button', { name: 'Check drift' }).click();
  await expect(result).toContainText('Version 2 at aws-e2e was made on demand, outside the console');
  await expect(result).toContainText('the console adopted it as version 2 and recorded it in the audit log');
  // Found once: the next check finds the version known.
  await dialog.getByRole('button', { name: 'Check drift' }).click();
  await expect(result).toHaveText('No drift: the provider holds no version the console did not make.');
});

test("a key with no rollout gets its own rollout policy from the key row, read back, then removed", async ({ page, harness }) => {
  test.setTimeout(120_000);
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  await harness.current().fleet.handlers['keys:create']({ type: 'communication', label: 'spare link' }, CTX);
  await clickNav(page, 'Rotation schedules');
  const open = async () => {
    await pickSelectOption(page.getByRole('button', { name: 'Key for its own policy' }), 'spare link');
    await page.getByRole('button', { name: "This key's rollout policy" }).click();
    const dialog = page.getByRole('dialog', { name: 'Rollout policy of spare link' });
    await expect(dialog.getByTestId('rollout-policy-source')).toBeVisible();
    return dialog;
  };
  let dialog = await open();
  // No rollout and no policy of its own: the built-in default is in force.
  await expect(dialog.getByTestId('rollout-policy-source')).toHaveText(SOURCE.builtin);
  await dialog.getByLabel('Canary share of each site (%)', { exact: true }).fill('30');
  await dialog.getByRole('button', { name: 'Save rollout policy' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText('The rollout policy of spare link was saved.')).toBeVisible();
  dialog = await open();
  await expect(dialog.getByTestId('rollout-policy-source')).toHaveText("This key's own rollout policy.");
  await expectFields(dialog, { ...BUILTIN, 'Canary share of each site (%)': '30' });
  await dialog.getByRole('button', { name: "Remove this key's own policy" }).click();
  await expect(page.getByText('spare link follows the built-in rollout policy again.')).toBeVisible();
});
