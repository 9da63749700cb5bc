// Batch rotation jobs on the Rotation schedules screen (issue 13: "job history with progress bars and per-item errors";
// docs/rotation.md "Batch jobs"). Three storage keys, one held by the AWS KMS emulator, which is then taken down. A batch
// over every storage key with one attempt per key, started from the screen: its progress bar reaches 3 of 3 with 2
// rotated and 1 failed, and the AWS key's row in the job's keys says provider_unavailable. A second batch of the AWS
// key alone with 5 attempts keeps running (a provider unreachable is tried again after 1, 2, 4 s ...): its key waits with
// the error of its last attempt, and Cancel stops the job (the key cancelled, nothing rotated). The first job's keys
// filtered by outcome: failed only is the AWS key. A batch over 27 communication keys lists them 25 to a page: the
// second page holds the other 2, every key once across both, and Previous goes back to the same first page. axe passes.
import { expect, test } from './support/kmsEmulators.ts';
import { AWS_CREDENTIALS, AWS_REGION } from './support/kmsEmulators.ts';
import { axeSerious } from './support/axe.ts';
import { CTX } from './support/stationUi.ts';
import { chooseOption, clickNav, completeFirstRun, openConsole } from './support/ui.ts';
import type { Locator, Page } from '@playwright/test';

/** Chooses an outcome in the "Show" filter of the job's keys. */
async function showOnly(page: Page, option: string): Promise<void> {
  // The jobs table above re-renders on every progress event and can move the open list under the pointer: a click
  // aimed at the option then lands beside it (seen once in CI: the list stayed open on "All keys"). Pick until the
  // Select says the option is chosen.
  const trigger = page.getByRole('button', { name: /^Show keys by outcome/ });
  await expect(async () => {
    if ((await trigger.getAttribute('aria-expanded')) !== 'true') await trigger.click();
    await page.getByRole('option', { name: new RegExp(`^${option}`) }).click({ timeout: 5_000 });
    await expect(trigger).toHaveAccessibleName(`Show keys by outcome ${option}`, { timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
}

/** The key labels in the rows of the job's keys table now shown. */
async function labelsShown(items: Locator, pattern: RegExp): Promise<string[]> {
  const texts = await items.getByRole('row').filter({ hasText: pattern }).allInnerTexts();
  return texts.map((t) => pattern.exec(t)![0]);
}

test('a batch over every storage key: progress to the end, a per-key error, then a retrying batch cancelled', async ({ page, harness, aws }) => {
  test.setTimeout(240_000);
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

  // The first job's keys by outcome: failed only is the AWS key, rotated only the other two.
  await first.getByRole('button', { name: /^Show keys of the batch job/ }).click();
  await expect(items.getByRole('row').filter({ hasText: /hall . disks/ })).toHaveCount(3);
  await showOnly(page, 'Failed only');
  await expect(items.getByRole('row').filter({ hasText: /hall . disks/ })).toHaveCount(1);
  await expect(items.getByRole('row').filter({ hasText: 'hall b disks' })).toContainText('provider_unavailable');
  await showOnly(page, 'Rotated only');
  expect((await labelsShown(items, /hall . disks/)).sort()).toEqual(['hall a disks', 'hall c disks']);

  // 27 communication keys ('uplink' and 26 more), 25 to a page: the second page holds the other two.
  const comm = ['uplink'];
  for (let i = 0; i < 26; i++) {
    const label = `comm ${String(i).padStart(2, '0')}`;
    await handlers['keys:create']({ type: 'communication', label }, CTX);
    comm.push(label);
  }
  await page.getByRole('button', { name: 'Rotate in a batch' }).click();
  dialog = page.getByRole('dialog', { name: 'Rotate keys in a batch' });
  await chooseOption(dialog, 'Key type', 'Communication');
  await dialog.getByRole('button', { name: 'Start the batch' }).click();
  await expect(dialog).toBeHidden();
  const third = jobs.getByRole('row').filter({ hasText: 'Communication keys' });
  await expect(third).toContainText('27 of 27 keys finished: 27 rotated');
  const COMM = /comm \d\d|uplink/;
  await expect(items.getByRole('row').filter({ hasText: COMM })).toHaveCount(25);
  await expect(page.getByRole('heading', { name: /^Keys of the batch job/ })).toContainText('(27)');
  const firstPage = await labelsShown(items, COMM);
  await page.getByRole('button', { name: 'Next page of keys' }).click();
  await expect(items.getByRole('row').filter({ hasText: COMM })).toHaveCount(2);
  const secondPage = await labelsShown(items, COMM);
  expect([...firstPage, ...secondPage].sort()).toEqual([...comm].sort());
  await expect(items.getByRole('row').filter({ hasText: COMM }).first()).toContainText('v1 → v2');
  expect(await axeSerious(page), 'second page of a job').toEqual([]);
  await page.getByRole('button', { name: 'Previous page of keys' }).click();
  await expect(items.getByRole('row').filter({ hasText: COMM })).toHaveCount(25);
  expect(await labelsShown(items, COMM)).toEqual(firstPage);
});
