// The audit list's status line when a filter matches many records. docs/ui.md: filtered, the total "is exact up to
// 1,000 matches, beyond that the status line says 'More than 1,000 matching records' and the list grows as it scrolls".
// So 1,000 matches are counted exactly, and 1,001 are not.
import Database from 'better-sqlite3';
import { systemClock } from '../../electron/clock.ts';
import { createAuditLog, type AuditEntry } from '../../electron/services/audit/index.ts';
import { expect, test } from './support/consoleFixture.ts';
import { auditFilters, auditRows, auditStatus, completeFirstRun, goToAudit, openConsole, unlock } from './support/ui.ts';

const CAP = 1_000;

test('a filter matching 1,000 records shows the exact count; one matching 1,001 says "More than 1,000"', async ({ page, harness }) => {
  test.setTimeout(120_000);
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  const storePath = harness.current().fleet.storePath;
  await harness.stop();

  // Seed through the audit log's own bulk path on the closed store, so every record is properly chained.
  const db = new Database(storePath);
  const log = createAuditLog(db, { clock: systemClock, verifyWorkers: 0 });
  const seed = (actor: string, n: number): AuditEntry[] =>
    Array.from({ length: n }, (_, i) => ({ actor, action: 'robot.heartbeat', targetType: 'robot', targetId: `robot-${i}`, outcome: 'success', details: { n: i } }));
  log.appendMany([...seed('cap-exact', CAP), ...seed('cap-over', CAP + 1)]);
  log.close();
  db.close();

  await harness.start();
  await openConsole(page, harness.current().host.url);
  await unlock(page);
  await goToAudit(page);
  const status = auditStatus(page);
  const actor = auditFilters(page).getByLabel('Actor');

  await actor.fill('cap-exact');
  await expect(status).toHaveText('1,000 matching records');
  await expect(auditRows(page).first()).toContainText('cap-exact');

  await actor.fill('cap-over');
  await expect(status).toHaveText('More than 1,000 matching records (counting stops there; the next pages load more)');
  await expect(auditRows(page).first()).toContainText('cap-over');
  // Beyond the count the pages go on: the 11th page (records 1,001 on) is reached with "next".
  const next = page.getByRole('button', { name: 'Next page (older records)' });
  for (let p = 2; p <= 11; p++) {
    await next.click();
    await expect(page.getByRole('button', { name: `Page ${p}` })).toHaveAttribute('aria-current', 'true');
  }
  await expect(auditRows(page)).toHaveCount(1);
  await expect(auditRows(page).first()).toContainText('cap-over');
});
