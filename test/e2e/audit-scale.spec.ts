// The audit list at 100,000 records: pages are fetched on demand and only a window of rows exists in the DOM.
import Database from 'better-sqlite3';
import { systemClock } from '../../electron/clock.ts';
import { createAuditLog, type AuditEntry } from '../../electron/services/audit/index.ts';
import { expect, test } from './support/consoleFixture.ts';
import { auditRows, completeFirstRun, goToAudit, openConsole, unlock } from './support/ui.ts';

const SEEDED = 100_000;

test('the audit list stays usable at 100,000 records: the oldest renders at the end and the DOM holds only a window', async ({ page, harness }) => {
  test.setTimeout(240_000);
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  const storePath = harness.current().fleet.storePath;
  await harness.stop();

  // Seed through the audit log's own bulk path on the closed store, so every record is properly chained.
  const db = new Database(storePath);
  const log = createAuditLog(db, { clock: systemClock });
  const batch: AuditEntry[] = [];
  for (let i = 1; i <= SEEDED; i++) {
    batch.push({ actor: 'seed-bot', action: 'robot.heartbeat', targetType: 'robot', targetId: `robot-${i}`, outcome: 'success', details: { n: i } });
    if (batch.length === 10_000) log.appendMany(batch.splice(0));
  }
  const total = log.query({ offset: 0, limit: 1 }).total!;
  const oldest = log.query({ offset: total - 1, limit: 1 }).records[0]!;
  db.close();
  expect(total).toBeGreaterThan(SEEDED);

  await harness.start();
  await openConsole(page, harness.current().host.url);
  await unlock(page);
  await goToAudit(page);

  // The total counts every record, more than the first page by far, and the newest rows render first.
  await expect(page.getByText(/^[\d,]+ records$/)).toHaveText(/^1\d\d,\d{3} records$/);
  const shownTotal = Number((await page.getByText(/^[\d,]+ records$/).textContent())!.replace(/\D/g, ''));
  expect(shownTotal).toBeGreaterThanOrEqual(total);
  await expect(auditRows(page).first()).toBeVisible();

  // Jump to the end: the last page holds the oldest record (the store's creation).
  const lastPage = Math.ceil(shownTotal / 100);
  await page.getByRole('button', { name: `Page ${lastPage}`, exact: true }).click();
  const oldestRow = auditRows(page).filter({ has: page.locator(`[data-seq="${oldest.seq}"]`) });
  await expect(oldestRow).toBeVisible();
  await expect(oldestRow).toContainText(oldest.action);

  // Only a page of rows is in the DOM, never the whole log.
  const rendered = await page.getByRole('table', { name: 'Audit records' }).getByRole('row').count();
  expect(rendered).toBeGreaterThan(1);
  expect(rendered).toBeLessThan(200);

  // And the middle of the log is reachable too: go to a record number there and it appears.
  const middle = Math.floor(total / 2);
  await page.getByRole('form', { name: 'Go to record' }).getByLabel('Record number').fill(String(middle));
  await page.getByRole('button', { name: 'Go to record' }).click();
  const middleRow = auditRows(page).filter({ has: page.locator(`[data-seq="${middle}"]`) });
  await expect(middleRow).toBeVisible();
  await expect(middleRow).toContainText('robot.heartbeat');
});
