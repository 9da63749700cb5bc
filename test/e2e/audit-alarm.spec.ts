// The audit alarm in the window (issue 10 item 2): a database forged before unlock (record edited, hashes recomputed,
// checkpoints re-signed by the attacker, one bit of the audit key's MAC flipped) shows a persistent alarm on every
// screen, with no way to dismiss it; verify and export say why instead of "intact" or "locked". A verify that finds
// the chain broken raises the same alarm.
import Database from 'better-sqlite3';
import { forgeAuditHistory } from '../integration/support/auditForgery.ts';
import { expect, test } from './support/consoleFixture.ts';
import { clickNav, completeFirstRun, createKey, expectDashboardAfterUnlock, goToAudit, goToKeys, openConsole, unlock } from './support/ui.ts';
import type { Page } from '@playwright/test';

const alarm = (page: Page) => page.getByRole('alert', { name: 'Audit alarm' });
const KEY_CHECK_FAILED = 'The audit key failed its check against the master key (the MAC of the stored audit public key does not match), so the audit chain cannot be trusted.';

async function expectAlarmOnEveryScreen(page: Page, text: string): Promise<void> {
  for (const name of ['Dashboard', 'Fleet', 'Station', 'Certificates', 'Keys', 'Providers', 'Audit']) {
    await clickNav(page, name);
    await expect(alarm(page)).toContainText(text);
    // Nothing in it closes it: it lasts as long as the condition.
    await expect(alarm(page).getByRole('button')).toHaveCount(0);
  }
}

test('a database forged before unlock shows a persistent alarm on every screen, and verify and export say why', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  await createKey(page, { label: 'fleet link', type: 'communication' });
  await createKey(page, { label: 'vault a', type: 'storage' });
  const { storePath } = await harness.current().fleet.handlers['session:status']({}, { transport: 'test' });
  await harness.stop();
  forgeAuditHistory(storePath, { victimAction: 'key.create', newActor: 'mallory' });

  await harness.start();
  await openConsole(page, harness.current().host.url);
  await expect(alarm(page)).toHaveCount(0);
  await unlock(page);
  await expectDashboardAfterUnlock(page);
  await expect(alarm(page)).toContainText(KEY_CHECK_FAILED);
  await expectAlarmOnEveryScreen(page, KEY_CHECK_FAILED);

  await goToAudit(page);
  await page.getByRole('button', { name: 'Verify chain' }).click();
  const verifyError = page.getByRole('alert').filter({ hasText: 'Verification could not run' });
  await expect(verifyError).toHaveAttribute('data-code', 'integrity_failure');
  await expect(verifyError).toContainText('The audit key failed its check against the master key');
  await expect(page.getByText('Chain verified')).toHaveCount(0);

  await page.getByRole('button', { name: 'Export (JSON Lines)' }).click();
  const exportError = page.getByRole('alert').filter({ hasText: 'The export did not start' });
  await expect(exportError).toHaveAttribute('data-code', 'integrity_failure');
  await expect(exportError).toContainText('so it was not exported');

  // Reloading the window does not lose it: the state lives in the main process.
  await page.reload();
  await expect(alarm(page)).toContainText(KEY_CHECK_FAILED);
});

test('a verify that finds the chain broken raises the alarm in the shell, which stays on other screens', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  await createKey(page, { label: 'fleet link', type: 'communication' });
  const { storePath } = await harness.current().fleet.handlers['session:status']({}, { transport: 'test' });
  await harness.stop();
  const db = new Database(storePath);
  const victim = db.prepare("SELECT seq FROM audit_records WHERE action = 'key.create' ORDER BY seq LIMIT 1").pluck().get() as number;
  expect(db.prepare("UPDATE audit_records SET actor = 'mallory' WHERE seq = ?").run(victim).changes).toBe(1);
  db.close();

  await harness.start();
  await openConsole(page, harness.current().host.url);
  await unlock(page);
  await expectDashboardAfterUnlock(page);
  await expect(alarm(page)).toHaveCount(0);
  await goToAudit(page);
  await page.getByRole('button', { name: 'Verify chain' }).click();
  await expect(alarm(page)).toContainText(`broke at record ${victim}: record ${victim} was modified`);
  await goToKeys(page);
  await expect(alarm(page)).toContainText(`broke at record ${victim}`);
  await expect(alarm(page).getByRole('button')).toHaveCount(0);
});
