// Key assignment from the robot's detail in Chromium against the real browser host and console: a robot-level key
// and a site-level key set from the UI change the delivered key and its source; clearing the robot's key falls back to
// its site; a compromised site key shows as broken (named, with what to do) instead of being replaced by another key.
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './support/consoleFixture.ts';
import { goToFleet, openRobotFromGrid, pickOption } from './support/fleetUi.ts';
import { completeFirstRun, openConsole } from './support/ui.ts';

async function openRobot(page: Page, deviceId: string) {
  await goToFleet(page);
  return openRobotFromGrid(page, deviceId);
}

/** A key choice (Cloudscape Select named by its aria-label) set to an option. */
async function choose(page: Page, scope: Locator, label: string, option: string): Promise<void> {
  await pickOption(page, scope.getByRole('button', { name: new RegExp(`^${label}( |$)`) }), option);
}

test('assigns a robot-level and a site-level key from the UI and sees the delivered key and its source change', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  const fleet = harness.current().fleet;
  const robotComm = await fleet.keys.create({ type: 'communication', label: 'robot comm' });
  const siteDisk = await fleet.keys.create({ type: 'storage', label: 'north disk' });
  await fleet.keys.create({ type: 'communication', label: 'fleet comm' });
  await fleet.keys.create({ type: 'storage', label: 'fleet disk' });
  fleet.fleet.create({ deviceId: 'uv-e1', name: 'North one', model: 'UV-7', site: 'Plant North', firmware: '', tags: [], status: 'manufactured' });

  const detail = await openRobot(page, 'uv-e1');
  const table = detail.getByRole('table', { name: 'Key assignment of the robot' });
  const row = (type: 'communication' | 'storage') => table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: type, exact: true }) });
  // Nothing assigned: each type comes from the newest key nobody is assigned.
  await expect(row('communication')).toContainText('newest unassigned key');
  await expect(row('storage')).toContainText('newest unassigned key');

  // A robot-level communication key.
  await choose(page, detail, 'Robot communication key', 'robot comm (v1)');
  await detail.getByRole('button', { name: 'Apply robot communication key' }).click();
  await expect(row('communication')).toContainText('robot comm');
  await expect(row('communication')).toContainText(robotComm.id);
  await expect(row('communication').getByRole('cell').nth(2)).toHaveText('robot');

  // A site-level storage key from the site's dialog.
  await detail.getByRole('button', { name: 'Site keys for Plant North…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Site keys: Plant North' });
  await expect(dialog).toContainText('1 robot at Plant North');
  await choose(page, dialog, 'Site storage key', 'north disk (v1)');
  await dialog.getByRole('button', { name: 'Apply site storage key' }).click();
  await expect(dialog.getByRole('table', { name: 'Site key assignment' }).getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'storage', exact: true }) })).toContainText(siteDisk.id);
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();
  await expect(row('storage')).toContainText('north disk');
  await expect(row('storage').getByRole('cell').nth(2)).toHaveText('site Plant North');

  // Clearing the robot's own key falls back; rotating the site key moves the delivered version.
  await choose(page, detail, 'Robot communication key', '— none (site or newest key) —');
  await detail.getByRole('button', { name: 'Apply robot communication key' }).click();
  await expect(row('communication').getByRole('cell').nth(2)).toHaveText('newest unassigned key');
  await fleet.keys.rotate(siteDisk.id);
  await expect(row('storage').getByRole('cell').nth(1)).toHaveText('2');

  // The site key is compromised elsewhere: the view says so by name, and no other key takes its place.
  await fleet.keys.setState(siteDisk.id, 'compromised', 'disk stolen');
  const broken = table.getByRole('alert');
  await expect(broken).toContainText(`The storage key "north disk" (${siteDisk.id}) assigned to site Plant North is compromised`);
  await expect(broken).toContainText('Assign another storage key to site Plant North');
  await expect(row('storage')).toContainText('north disk');

  // Both changes are in the audit log, with ids only.
  const records = fleet.audit.query({ action: 'fleet.key.assign', offset: 0, limit: 10 }).records;
  expect(records.map((r) => r.details.scope).sort()).toEqual(['robot', 'site']);
  expect(fleet.audit.query({ action: 'fleet.key.unassign', offset: 0, limit: 10 }).records).toHaveLength(1);
});
