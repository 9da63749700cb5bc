// The audit page: every action of a session is listed, the chain verifies, a record altered in the database out of
// band is named by the verification, and the export downloads as a file.
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { expect, test } from './support/consoleFixture.ts';
import {
  auditFilters,
  auditRows,
  auditStatus,
  fillAuditRange,
  pickAuditAction,
  pickSelectOption,
  changeState,
  completeFirstRun,
  createKey,
  encryptText,
  goToAudit,
  keyRow,
  openConsole,
  openKey,
  OPERATOR,
  unlock,
} from './support/ui.ts';

test('the audit log lists each action of the session, filters by key, and its chain verifies', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  await createKey(page, { label: 'fleet link', type: 'communication' });
  await createKey(page, { label: 'vault a', type: 'storage' });
  await openKey(page, 'fleet link');
  await encryptText(page, 'audited payload');
  await keyRow(page, 'fleet link').getByRole('button', { name: 'Rotate' }).click();
  await page.getByRole('button', { name: 'Rotate “fleet link” to version 2' }).click();
  await expect(keyRow(page, 'fleet link')).toContainText('v2');
  await changeState(page, 'vault a', 'Suspended', 'audit trail check');

  await goToAudit(page);
  const rows = auditRows(page);
  for (const action of ['store.init', 'key.create', 'key.encrypt', 'key.rotate', 'key.state']) {
    await expect(rows.filter({ hasText: action }).first()).toBeVisible();
  }
  await expect(rows.filter({ hasText: 'key.create' })).toHaveCount(2);
  await expect(rows.first()).toContainText(OPERATOR);
  // Newest first: the state change is the most recent action.
  await expect(rows.first()).toContainText('key.state');
  await expect(rows.first()).toContainText('to=suspended');
  const total = await rows.count();
  await expect(page.getByText(`${total} records`, { exact: true })).toBeVisible();

  // The key filter narrows the list to that key's records only: its creation, the suspension at the one location it
  // lives in (the local store: key.location) and the state change itself.
  await pickSelectOption(auditFilters(page).getByRole('button', { name: /^Key/ }), 'vault a');
  await expect(page.getByText('3 matching records')).toBeVisible();
  await expect(rows).toHaveCount(3);
  for (const action of ['key.create', 'key.location', 'key.state']) await expect(rows.filter({ hasText: action })).toHaveCount(1);
  await expect(rows.filter({ hasText: 'key.rotate' })).toHaveCount(0);
  await page.getByRole('button', { name: 'Clear filters' }).click();

  // The action is picked from the log's own list of actions.
  await pickAuditAction(page, 'key.create');
  await expect(page.getByText('2 matching records')).toBeVisible();
  await auditFilters(page).getByLabel('Actor').fill('someone else');
  await expect(page.getByText('0 matching records')).toBeVisible();
  await page.getByRole('button', { name: 'Clear filters' }).click();

  // The start of an action, and free text anywhere in a record (letters in any case).
  await auditFilters(page).getByLabel('Action starts with').fill('key.');
  await expect(rows.first()).toContainText('key.');
  await expect(rows.filter({ hasText: 'store.init' })).toHaveCount(0);
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await auditFilters(page).getByLabel('Contains text').fill('SUSPENDED');
  await expect(rows.first()).toContainText('to=suspended');
  await page.getByRole('button', { name: 'Clear filters' }).click();

  // A time window that starts tomorrow holds nothing yet; one that started yesterday holds everything.
  const day = 86_400_000;
  await fillAuditRange(page, new Date(Date.now() + day), new Date(Date.now() + 2 * day));
  await expect(page.getByText('No audit records match these filters.')).toBeVisible();
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await fillAuditRange(page, new Date(Date.now() - day), new Date(Date.now() + day));
  await expect(page.getByText(`${total} matching records`)).toBeVisible();
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await expect(auditStatus(page)).toHaveText(`${total} records`);

  await page.getByRole('button', { name: 'Verify chain' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Chain verified' })).toHaveText(/^Chain verified: \d+ records, \d+ checkpoints$/);
});

test('an audit record altered in the database out of band fails verification at that record', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  await createKey(page, { label: 'fleet link', type: 'communication' });
  await createKey(page, { label: 'vault a', type: 'storage' });
  const status = await harness.current().fleet.handlers['session:status']({}, { transport: 'test' });
  await harness.stop();

  // Out of band: rewrite who created the first key, straight in SQLite.
  const db = new Database(status.storePath);
  const victim = db.prepare("SELECT seq FROM audit_records WHERE action = 'key.create' ORDER BY seq LIMIT 1").get() as { seq: number };
  const changed = db.prepare("UPDATE audit_records SET actor = 'mallory' WHERE seq = ?").run(victim.seq);
  db.close();
  expect(changed.changes).toBe(1);

  await harness.start();
  await openConsole(page, harness.current().host.url);
  await unlock(page);
  await goToAudit(page);
  await expect(auditRows(page).filter({ hasText: 'mallory' })).toHaveCount(1);

  await page.getByRole('button', { name: 'Verify chain' }).click();
  const failure = page.getByRole('alert').filter({ hasText: 'Verification FAILED' });
  await expect(failure).toContainText(`Verification FAILED at record ${victim.seq}:`);
});

test('exporting the audit log downloads a JSON Lines file holding every record', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  await createKey(page, { label: 'fleet link', type: 'communication' });
  await goToAudit(page);

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export (JSON Lines)' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/\.jsonl$/);
  const saved = page.getByRole('status').filter({ hasText: 'Verifying an audit export' });
  await expect(saved).toBeVisible();
  const exported = Number(/Saved (\d+) records/.exec((await saved.textContent()) ?? '')?.[1]);

  const lines = readFileSync(await file.path(), 'utf8').trim().split('\n');
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const recordLines = parsed.filter((l) => typeof l.seq === 'number' && typeof l.action === 'string');
  expect(recordLines.length).toBe(exported);
  expect(recordLines.some((r) => r.action === 'key.create')).toBe(true);
  expect(JSON.stringify(parsed)).not.toContain('correct horse');
});
