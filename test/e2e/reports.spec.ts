// The Compliance reports screen (issue 14, docs/compliance-report.md) through the browser host: an admin picks a
// period and CSV, Generate saves the report, its detached signature and the audit key through the browser's downloads
// (the saved signature verifies the saved report with the real openssl), and the screen shows the openssl command. A
// reversed period is refused in words, nothing saved.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from './support/consoleFixture.ts';
import { clickNav, completeFirstRun, createKey, openConsole } from './support/ui.ts';

test('an admin generates a signed CSV report and saves it with its signature and key; a reversed period is refused', async ({ page, harness }, info) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  await createKey(page, { label: 'in-the-report', type: 'storage' });
  await clickNav(page, 'Compliance reports');
  await expect(page.getByRole('heading', { name: 'Compliance reports', level: 1 })).toBeVisible();

  const today = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
  await page.getByLabel('From').fill('2026/01/01');
  await page.getByLabel('To').fill(today);
  await page.getByText('CSV', { exact: true }).click();
  const saved: Record<string, string> = {};
  page.on('download', (d) => {
    const file = join(info.outputDir, d.suggestedFilename());
    saved[d.suggestedFilename()] = file;
    void d.saveAs(file);
  });
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved ecps-compliance-2026-01-01-to-' })).toBeVisible();
  const name = `ecps-compliance-2026-01-01-to-${today.replace(/\//g, '-')}.csv`;
  await expect.poll(() => Object.keys(saved).sort()).toEqual([name, `${name}.audit-key.pem`, `${name}.sig`]);
  await expect(page.getByText(`openssl pkeyutl -verify -pubin -inkey ${name}.audit-key.pem -rawin -in ${name} -sigfile ${name}.sig`)).toBeVisible();
  // The files as the browser saved them: the report names the key; the signature verifies it.
  await expect.poll(() => {
    try {
      return readFileSync(saved[name]!, 'utf8').includes(',in-the-report\r\n');
    } catch {
      return false;
    }
  }).toBe(true);
  await expect.poll(() => spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', saved[`${name}.audit-key.pem`]!, '-rawin', '-in', saved[name]!, '-sigfile', saved[`${name}.sig`]!]).status).toBe(0);

  await page.getByLabel('From').fill(today);
  await page.getByLabel('To').fill('2026/01/01');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('alert')).toHaveAttribute('data-code', 'invalid_input');
  await expect(page.getByRole('alert')).toContainText('The period is reversed');
});
