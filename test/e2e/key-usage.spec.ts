// Which robots depend on a key, from the Keys screen in Chromium against the real browser host and console: robots per
// version, the holders of one version, where the key is assigned, a holder opening in the fleet screen, the counts
// following a distribution live, and the state-change dialog naming the dependents before a key is suspended.
import { expect, test } from './support/consoleFixture.ts';
import { completeFirstRun, keyRow, openConsole, openKey } from './support/ui.ts';

test('the key panel names the robots on each version and where the key is assigned, and the state dialog warns', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  const fleet = harness.current().fleet;
  const comm = await fleet.keys.create({ type: 'communication', label: 'north link' });
  await fleet.keys.create({ type: 'storage', label: 'spare disk' });
  for (const [deviceId, name] of [['uv-n1', 'North one'], ['uv-n2', 'North two'], ['uv-n3', 'North three']] as const) {
    fleet.fleet.create({ deviceId, name, model: 'UV-7', site: 'Plant North', firmware: '', tags: [], status: 'manufactured' });
    fleet.fleet.recordKeyVersions(deviceId, [{ keyId: comm.id, version: 1 }], 'provisioning');
  }
  await fleet.keys.rotate(comm.id);
  fleet.fleet.recordKeyVersions('uv-n3', [{ keyId: comm.id, version: 2 }]);
  await fleet.handlers['fleet:assignKey']({ scope: 'site', scopeId: 'Plant North', keyType: 'communication', keyId: comm.id }, { transport: 'test' });

  await openKey(page, 'north link');
  const panel = page.getByRole('region', { name: 'Key “north link”' });
  const usage = panel.getByRole('region', { name: 'Robots and assignments' });
  await expect(usage.getByTestId('key-usage-summary')).toHaveText('3 robots hold this key (v1: 2, v2: 1). It is assigned to site Plant North (communication).');
  const perVersion = usage.getByRole('table', { name: 'Robots per key version' });
  // Each version's row (the one whose button shows its robots) says whether it is the current one.
  const versionRow = (v: number) => perVersion.getByRole('row').filter({ has: page.getByRole('button', { name: `Show robots on v${v}` }) });
  await expect(versionRow(1)).toContainText('v1 (behind)');
  await expect(versionRow(2)).toContainText('v2 (current)');
  const holders = usage.getByRole('table', { name: 'Robots holding this key' });
  // Oldest version first: the robots that block retiring v1 lead the list.
  await expect(holders.locator('tbody tr')).toHaveCount(3);
  await expect(holders.locator('tbody tr').first()).toContainText('uv-n1');
  await expect(holders.locator('tbody tr').last()).toContainText('uv-n3');

  await usage.getByRole('button', { name: 'Show robots on v1' }).click();
  await expect(usage.getByTestId('key-holders-range')).toHaveText('Holders of v1: 1–2 of 2');
  await expect(holders.locator('tbody tr')).toHaveCount(2);
  await expect(holders).not.toContainText('uv-n3');
  const assigned = usage.getByRole('table', { name: 'Where this key is assigned' });
  await expect(assigned).toContainText('site Plant North');
  await expect(assigned).toContainText('delivers v2');

  // A distribution recorded elsewhere moves a robot on; the panel follows without a reload.
  fleet.fleet.recordKeyVersions('uv-n2', [{ keyId: comm.id, version: 2 }]);
  await expect(usage.getByTestId('key-holders-range')).toHaveText('Holders of v1: 1–1 of 1');
  await expect(usage.getByTestId('key-usage-summary')).toContainText('(v1: 1, v2: 2)');

  // The state dialog names who depends on the key before it is suspended.
  await keyRow(page, 'north link').getByRole('button', { name: 'Change state' }).click();
  const dialog = page.getByRole('dialog', { name: 'Change the state of “north link”' });
  await dialog.getByRole('radio', { name: 'Suspended' }).check();
  await expect(dialog.getByTestId('state-change-dependents')).toContainText('3 robots hold this key (v1: 1, v2: 2). It is assigned to site Plant North (communication).');
  await expect(dialog.getByTestId('state-change-dependents')).toContainText('refuse to deliver keys');
  await dialog.getByLabel('Reason (recorded in the audit log)').fill('link audit');
  await dialog.getByRole('button', { name: 'Set “north link” to Suspended' }).click();
  await expect(dialog).toBeHidden();
  // Suspended, the site assignment is reported broken in the panel.
  await expect(assigned.getByRole('alert')).toContainText('is suspended; only active keys are delivered');

  // A key nobody holds or is assigned says so; the dialog has nothing to warn about.
  await openKey(page, 'spare disk');
  await expect(page.getByRole('region', { name: 'Key “spare disk”' }).getByTestId('key-usage-summary')).toHaveText('No robot holds this key.');
  await keyRow(page, 'spare disk').getByRole('button', { name: 'Change state' }).click();
  const spareDialog = page.getByRole('dialog', { name: 'Change the state of “spare disk”' });
  await spareDialog.getByRole('radio', { name: 'Suspended' }).check();
  await expect(spareDialog.getByTestId('state-change-dependents')).toHaveCount(0);
  await spareDialog.getByRole('button', { name: 'Cancel' }).click();

  // A holder opens in the fleet screen.
  await openKey(page, 'north link');
  await page.getByRole('region', { name: 'Robots and assignments' }).getByRole('table', { name: 'Robots holding this key' }).getByRole('button', { name: 'uv-n1' }).click();
  await expect(page.getByRole('heading', { name: 'Fleet', level: 1 })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Robot uv-n1' })).toBeVisible();
});
