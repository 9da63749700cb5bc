// Batch rotation jobs on the Rotation schedules screen (issue 13: "job history with progress bars and per-item errors";
// docs/rotation.md "Batch jobs"). Three storage keys, one held by the AWS KMS emulator, which is then taken down. A batch
// over every storage key with one attempt per key, started from the screen: its progress bar reaches 3 of 3 with 2
// rotated and 1 failed, and the AWS key's row in the job's keys says provider_unavailable. A second batch of the AWS
// key alone with 5 attempts keeps running (a provider unreachable is tried again after 1, 2, 4 s ...): its key waits with
// the error of its last attempt, and Cancel stops the job (the key cancelled, nothing rotated). axe passes.
import { expect, test } from './support/kmsEmulators.ts';
import { AWS_CREDENTIALS, AWS_REGION } from './support/kmsEmulators.ts';
import { axeSerious } from './support/axe.ts';
import { CTX } from './support/stationUi.ts';
import { chooseOption, clickNav, completeFirstRun, openConsole } from './support/ui.ts';

test('a batch over every storage key: progress to the end, a per-key error, then a retrying batch cancelled', async ({ page, harness, aws }) => {
  test.setTimeout(120_000);
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  const { handlers } = harness.current().fleet;
  await handlers['providers:save']({ config: { provider: 'aws_kms', id: 'aws-e2e', region: AWS_REGION, endpoint: aws.endpoint, aws_access_key_id: AWS_CREDENTIALS.accessKeyId, aws_secret_access_key: AWS_CREDENTIALS.secretAccessKey, use_kms_for_storage: false, timeout_ms: 5_000, retries: 0 } }, CTX);
  await handlers['keys:create']({ type: 'storage', label: 'hall b disks', provider: 'aws-e2e' }, CTX);
  await handlers['keys:create']({ type: 'storage', label: 'hall a disks' }, CTX);
  await handlers['keys:create']({ type: 'storage', label: 'hall c disks' }, CTX);
  await handlers['keys:create']({ type: 'communication', label: 'uplink' }, CTX); // not a storage key: not in the batch
  await aws.faults.down();

  await clickNav(page, 'Rotation schedules');
  const jobs = page.getByRole('table', { name: 'Batch rotation jobs' });
  await expect(jobs.getByText('No batch jobs yet.')).toBeVisible();

  await page.getByRole('button', { name: 'Rotate in a batch' }).click();
  let dialog = page.getByRole('dialog', { name: 'Rotate keys in a batch' });
  await chooseOption(dialog, 'Key type', 'Storage');
  await dialog.getByLabel('Attempts per key').fill('1');
  expect(await axeSerious(page), 'batch dialog').toEqual([]);
  await dialog.getByRole('button', { name: 'Start the batch' }).click();
  await expect(dialog).toBeHidden();

  // The job ends: three keys, two rotated, the AWS one failed (one attempt only).
  const first = jobs.getByRole('row').filter({ hasText: 'Storage keys' });
  await expect(first).toContainText('3 of 3 keys finished: 2 rotated, 1 failed');
  await expect(first).toContainText('Finished');
  await expect(first.getByRole('progressbar')).toHaveAttribute('value', '100');
  const items = page.getByRole('table', { name: 'Keys of the batch job' });
  const failed = items.getByRole('row').filter({ hasText: 'hall b disks' });
  await expect(failed).toContainText('Failed');
  await expect(failed).toContainText('provider_unavailable');
  await expect(failed).toContainText('from v1');
  for (const label of ['hall a disks', 'hall c disks']) {
    const row = items.getByRole('row').filter({ hasText: label });
    await expect(row).toContainText('v1 → v2');
    await expect(row).toContainText('Rotated');
  }
  await expect(items.getByRole('row').filter({ hasText: 'uplink' })).toHaveCount(0);
  expect(await axeSerious(page), 'batch jobs').toEqual([]);

  // The AWS key alone, five attempts: it waits for its next attempt with its last error, until cancelled.
  await page.getByRole('button', { name: 'Rotate in a batch' }).click();
  dialog = page.getByRole('dialog', { name: 'Rotate keys in a batch' });
  await dialog.getByRole('radio', { name: 'Keys I choose' }).check();
  await dialog.getByLabel('Keys', { exact: true }).click();
  await page.getByRole('option', { name: /^hall b disks/ }).click();
  await page.keyboard.press('Escape');
  await dialog.getByRole('button', { name: 'Start the batch' }).click();
  await expect(dialog).toBeHidden();
  const second = jobs.getByRole('row').filter({ hasText: '1 chosen key' });
  await expect(second).toContainText('Running');
  await expect(second).toContainText('0 of 1 keys finished: 0 rotated, 1 to go');
  const waiting = items.getByRole('row').filter({ hasText: 'hall b disks' });
  await expect(waiting).toContainText('Waiting');
  await expect(waiting).toContainText('provider_unavailable');
  await second.getByRole('button', { name: /^Cancel the batch job/ }).click();
  await expect(second).toContainText('Cancelled');
  await expect(second).toContainText('1 of 1 keys finished: 0 rotated, 1 cancelled');
  await expect(items.getByRole('row').filter({ hasText: 'hall b disks' })).toContainText('Cancelled');
  await expect(second.getByRole('button', { name: /^Cancel the batch job/ })).toHaveCount(0);
});
