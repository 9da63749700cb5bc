// The Recovery and backup screen (issue 14, docs/recovery-and-backup.md) through the browser host: an admin makes a
// 2-of-3 share set; each share is shown alone, the next only after its custodian is confirmed, and none stays on the
// page after the last; the set is listed without shares; the shares shown recover the store (checked through the
// console the window talks to); a backup is written to a file. A viewer has no Recovery entry.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from './support/consoleFixture.ts';
import { clickNav, completeFirstRun, expectDashboardAfterUnlock, openConsole, unlock } from './support/ui.ts';

const CUSTODIANS = ['Ann Archer', 'Ben Bose', 'Cy Chen'];

test('share ceremony one share at a time, then a backup; a viewer sees no Recovery entry', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  await clickNav(page, 'Recovery and backup');
  await expect(page.getByRole('heading', { name: 'Recovery and backup', level: 1 })).toBeVisible();
  await page.getByLabel('Shares needed').fill('2');
  await page.getByLabel('Custodians').fill(CUSTODIANS.join('\n'));
  await page.getByRole('button', { name: 'Make shares' }).click();

  const shown: string[] = [];
  for (const [i, custodian] of CUSTODIANS.entries()) {
    await expect(page.getByRole('heading', { name: `Share ${i + 1} of 3: for ${custodian}` })).toBeVisible();
    const text = (await page.getByTestId('share-text').textContent()) ?? '';
    expect(text).toMatch(/^ecps-share1:/);
    expect(shown).not.toContain(text);
    shown.push(text);
    const next = page.getByRole('button', { name: i === 2 ? 'Finish: hide the last share' : 'Hide it and show the next share' });
    await expect(next).toBeDisabled();
    await page.getByText(`${custodian} has written down or saved this share`).click();
    await next.click();
  }
  await expect(page.getByText(/All 3 shares of set [0-9a-f]+ were handed out\./)).toBeVisible();
  const html = await page.content();
  for (const s of shown) expect(html).not.toContain(s.split(':')[6]);
  await expect(page.getByRole('cell', { name: '2 of 3' })).toBeVisible();

  // The shares the window showed are real: two of them recover the store (another admin, through the console).
  const fleet = harness.current().fleet;
  await page.getByRole('button', { name: 'Lock' }).click();
  await expect(page.getByRole('heading', { name: 'Unlock the key store' })).toBeVisible();
  await fleet.handlers['recovery:recover']({ shares: [shown[2]!, shown[0]!], operator: 'Rescuer', passphrase: 'rescuer passphrase 1' }, { transport: 'test' });
  await fleet.handlers['session:lock']({}, { transport: 'test' });
  await unlock(page);
  await expectDashboardAfterUnlock(page);

  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ecps-e2e-backup-')), 'console.ecpsbak');
  await clickNav(page, 'Recovery and backup');
  await page.getByLabel('Backup file', { exact: true }).fill(out);
  await page.getByLabel('Backup passphrase', { exact: true }).fill('custodians keep this one');
  await page.getByLabel('Backup passphrase again').fill('custodians keep this one');
  await page.getByRole('button', { name: 'Create backup' }).click();
  await expect(page.getByText(`Backup written to ${out}`)).toBeVisible();
  expect(fs.statSync(out).size).toBeGreaterThan(1000);
  fs.rmSync(path.dirname(out), { recursive: true, force: true });

  await fleet.handlers['operators:add']({ name: 'Vic Viewer', role: 'viewer', passphrase: 'the viewer has a passphrase' }, { transport: 'test' });
  await page.getByRole('button', { name: 'Lock' }).click();
  await unlock(page, 'the viewer has a passphrase', 'Vic Viewer');
  await expectDashboardAfterUnlock(page);
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Recovery and backup', exact: true })).toHaveCount(0);
});
