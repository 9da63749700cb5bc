// The recovery ceremony and a restore through the window (issue 14, docs/recovery-and-backup.md), browser host:
//  - from the sign-in page ("Recover with shares"), shares typed into the form: a mistyped one, a share of another set,
//    the same share twice and too few are each refused with the words of the table below, next to the share named
//    (or the list); every secret is gone from the form after each attempt; two good shares make a new admin, signed in;
//  - on Recovery and backup, a backup restored into a fresh folder after a confirmation; the restored store opens with
//    the admin's passphrase and decrypts what was encrypted before the backup. A wrong passphrase writes nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { createConsole } from '../../electron/app.ts';
import { expect, test } from './support/consoleFixture.ts';
import { axeSerious } from './support/axe.ts';
import { clickNav, completeFirstRun, expectDashboardAfterUnlock, openConsole, OPERATOR, PASSPHRASE } from './support/ui.ts';

const t = { transport: 'test' as const };
const RESCUER = 'Rita Rescuer';
const RESCUE_PASS = 'a brand new admin passphrase';

/** One changed hex digit of the share's bytes: its checksum no longer matches. */
const mistype = (share: string) => {
  const parts = share.split(':');
  parts[6] = (parts[6]![0] === 'a' ? 'b' : 'a') + parts[6]!.slice(1);
  return parts.join(':');
};

async function ceremony(page: Page, shares: readonly string[]): Promise<void> {
  await page.getByLabel('Shares', { exact: true }).fill(shares.join('\n'));
  await page.getByLabel('Operator who becomes admin').fill(RESCUER);
  await page.getByLabel('New passphrase', { exact: true }).fill(RESCUE_PASS);
  await page.getByLabel('New passphrase again').fill(RESCUE_PASS);
  await page.getByRole('button', { name: 'Recover', exact: true }).click();
}

test('the ceremony in the window: each bad list refused in words beside its share, then two good shares', async ({ page, harness }) => {
  const fleet = harness.current().fleet;
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  const set = await fleet.handlers['recovery:createShares']({ threshold: 2, custodians: ['Ann Archer', 'Ben Bose', 'Cy Chen'] }, t);
  const other = await fleet.handlers['recovery:createShares']({ threshold: 2, custodians: ['Dee Doe', 'Eve Eng'] }, t);
  const [s1, s2, s3] = set.shares.map((s) => s.share) as [string, string, string];
  await page.getByRole('button', { name: 'Lock' }).click();
  await page.getByRole('button', { name: 'Recover with shares' }).click();
  await expect(page.getByRole('heading', { name: 'Recover with shares' })).toBeVisible();
  expect(await axeSerious(page)).toEqual([]);

  // What the window must say for each bad list: the share it names (null: the whole list) and the words.
  const refused: Array<{ what: string; shares: string[]; share: number | null; words: string }> = [
    { what: 'mistyped', shares: [s1, mistype(s2)], share: 2, words: 'This share does not match its checksum: it was mistyped or damaged.' },
    { what: 'wrong set', shares: [s1, other.shares[0]!.share], share: 2, words: 'This share is from another share set than the first one: use shares of one set.' },
    { what: 'duplicate', shares: [s3, s1, s3], share: 3, words: 'This share was already entered above: each custodian’s share counts once.' },
    { what: 'too few', shares: [s2], share: null, words: 'Too few shares: 1 entered, this set needs 2. Add the shares of more custodians.' },
  ];
  for (const bad of refused) {
    await ceremony(page, bad.shares);
    const alert = page.getByRole('alert').filter({ hasText: bad.words });
    await expect(alert, bad.what).toBeVisible();
    if (bad.share !== null) await expect(page.getByTestId(`share-refusal-${bad.share}`), bad.what).toContainText(bad.words);
    else await expect(page.getByText(bad.words).first(), bad.what).toBeVisible();
    // The list says whose shares were sent; the shares and passphrases themselves left the form.
    await expect(page.getByRole('table').getByRole('row')).toHaveCount(bad.shares.length + 1);
    await expect(page.getByLabel('Shares', { exact: true })).toHaveValue('');
    await expect(page.getByLabel('New passphrase', { exact: true })).toHaveValue('');
    await expect(page.getByLabel('New passphrase again')).toHaveValue('');
    const html = await page.content();
    for (const s of bad.shares) expect(html, bad.what).not.toContain(s.split(':')[6]);
  }
  expect(await axeSerious(page)).toEqual([]);
  expect(fleet.audit.query({ action: 'recovery.recover', limit: 10 }).records.map((r) => r.details.reason)).toEqual(
    expect.arrayContaining(['share_checksum', 'share_mixed_sets', 'share_duplicate', 'too_few_shares']),
  );

  await ceremony(page, [s3, s1]);
  await expect(page.getByTestId('recovery-outcome')).toContainText(`${RESCUER} was created as an admin with the new passphrase (share set ${set.setId})`);
  await page.getByRole('button', { name: 'Continue to the console' }).click();
  await expectDashboardAfterUnlock(page);
  await expect(page.getByText(`Operator: ${RESCUER} (Admin)`)).toBeVisible();
  expect((await fleet.handlers['operators:list']({}, t)).operators.find((o) => o.name === RESCUER)?.role).toBe('admin');
});

test('restore through the window into a fresh folder: the restored store opens and decrypts old data', async ({ page, harness }) => {
  const fleet = harness.current().fleet;
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ecps-e2e-restore-'));
  try {
    const key = await fleet.handlers['keys:create']({ type: 'storage', label: 'before the backup' }, t);
    const plaintext = Buffer.from('telemetry from before the backup');
    const { ciphertext } = await fleet.handlers['keys:encrypt']({ keyId: key.id, plaintext }, t);
    const file = path.join(work, 'console.ecpsbak');
    await fleet.handlers['backup:create']({ path: file, passphrase: 'custodians keep this one' }, t);
    const into = path.join(work, 'restored');

    await clickNav(page, 'Recovery and backup');
    const form = page.getByRole('form', { name: 'Restore a backup' });
    await form.getByLabel('Backup file to restore').fill(file);
    await form.getByLabel('Restore into folder').fill(into);
    // A wrong passphrase: refused after the confirmation, nothing written, the passphrase gone from the form.
    await form.getByLabel('Passphrase of that backup').fill('not the backup passphrase');
    await form.getByRole('button', { name: 'Restore…' }).click();
    const confirm = page.getByRole('dialog', { name: 'Restore this backup?' });
    await expect(confirm).toContainText(file);
    await expect(confirm).toContainText(into);
    expect(await axeSerious(page, '[role="dialog"]')).toEqual([]);
    await confirm.getByRole('button', { name: 'Restore the backup' }).click();
    await expect(form.getByRole('alert')).toHaveAttribute('data-code', 'wrong_passphrase');
    await expect(form.getByLabel('Passphrase of that backup')).toHaveValue('');
    expect(fs.existsSync(into)).toBe(false);

    await form.getByLabel('Passphrase of that backup').fill('custodians keep this one');
    await form.getByRole('button', { name: 'Restore…' }).click();
    await confirm.getByRole('button', { name: 'Restore the backup' }).click();
    await expect(page.getByTestId('restore-outcome')).toContainText(new RegExp(`^Restored store \\S+ \\(\\d+ bytes, backed up .*\\) into ${into.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.`));
    await expect(form.getByLabel('Passphrase of that backup')).toHaveValue('');
    expect(await axeSerious(page)).toEqual([]);

    // The restored folder is a store of its own: the admin's passphrase opens it and the old data decrypts.
    const restored = await createConsole({ dataDir: into, kdf: { N: 1024, r: 8, p: 1 } });
    try {
      await restored.handlers['session:unlock']({ operator: OPERATOR, passphrase: PASSPHRASE }, t);
      const opened = await restored.handlers['keys:decrypt']({ ciphertext }, t);
      expect(Buffer.from(opened.plaintext)).toEqual(plaintext);
      expect(await restored.handlers['audit:verify']({}, t)).toMatchObject({ ok: true });
    } finally {
      restored.close();
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});
