// The officer's rollout actions on the Rotation screen (issue 13, docs/rotation.md "Rollout to robots"): robots hold
// version 1 of a communication key when it rotates, so a rollout of version 2 starts; the officer halts it (a reason
// is required, and shown), resumes it, then retires version 1 while robots still hold it: refused until "Retire it
// anyway" is ticked with a reason, after which the holders are flagged; it reinstates the retired version (a reason,
// 1-90 days); and the Fleet screen marks the flagged robots (not the
// revoked robot, which holds nothing any more).
// The store is seeded through the repositories (robots and what they hold), as provisioning leaves it.
import Database from 'better-sqlite3';
import { createFleetRepo } from '../../electron/store/fleetRepo.ts';
import { expect, test } from './support/consoleFixture.ts';
import { seedRobots } from './support/fleetSeed.ts';
import { robotRow } from './support/fleetUi.ts';
import { CTX } from './support/stationUi.ts';
import { clickNav, completeFirstRun, openConsole, unlock } from './support/ui.ts';

// The seeded robots (fleetSeed.ts: statuses in turn) all recorded holding version 1. docs/rotation.md: provisioned,
// deployed and quarantined robots count as holding a version (a quarantined robot still has it), a revoked one does
// not; a rollout delivers to provisioned and deployed robots only.
const ROBOTS: ReadonlyArray<{ deviceId: string; status: string; holds: boolean; inRollout: boolean }> = [
  { deviceId: 'robot-000001', status: 'provisioned', holds: true, inRollout: true },
  { deviceId: 'robot-000002', status: 'deployed', holds: true, inRollout: true },
  { deviceId: 'robot-000003', status: 'quarantined', holds: true, inRollout: false },
  { deviceId: 'robot-000004', status: 'revoked', holds: false, inRollout: false },
];
const HOLDERS = ROBOTS.filter((r) => r.holds).length; // 3
const IN_ROLLOUT = ROBOTS.filter((r) => r.inRollout).length; // 2

test('halt needs a reason and resumes; retiring a version robots hold needs "anyway" and a reason, then flags them', async ({ page, harness }) => {
  test.setTimeout(180_000);
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  const key = await harness.current().fleet.handlers['keys:create']({ type: 'communication', label: 'uplink' }, CTX);
  const storePath = harness.current().fleet.storePath;
  await harness.stop();
  seedRobots(storePath, ROBOTS.length);
  const db = new Database(storePath);
  try {
    const fleet = createFleetRepo(db);
    for (const { deviceId, status } of ROBOTS) expect(fleet.get(deviceId)?.status).toBe(status);
    for (const { deviceId } of ROBOTS) fleet.upsertKeyVersion({ deviceId, keyId: key.id, version: 1, source: 'provisioning', recordedAt: new Date().toISOString() });
  } finally {
    db.close();
  }
  await harness.start();
  await openConsole(page, harness.current().host.url);
  await unlock(page);
  // The key service refuses while the store is locked: the rotation waits until the unlock has landed (the dashboard).
  await expect(page.getByRole('heading', { name: 'Fleet dashboard', level: 1 })).toBeVisible();
  // Version 2 is made while the robots hold version 1: a rollout of version 2 to them starts.
  await harness.current().fleet.handlers['keys:rotate']({ keyId: key.id }, CTX);

  await clickNav(page, 'Rotation schedules');
  const waves = page.getByRole('table', { name: 'Rollout waves' });
  const row = waves.getByRole('row').filter({ hasText: 'uplink v1 → v2' });
  await expect(row).toContainText('Rolling out');
  await expect(row.getByText(/0 of \d+ installed/)).toHaveCount(IN_ROLLOUT); // one robot per site, each its own site

  // Halt: refused in words without a reason, then halted with it.
  await row.getByRole('button', { name: 'Halt the rollout of uplink v2' }).click();
  const halt = page.getByRole('dialog', { name: 'Halt the rollout of uplink v2?' });
  await halt.getByRole('button', { name: 'Halt rollout' }).click();
  await expect(halt.getByText('Say why the rollout stops.')).toBeVisible();
  await halt.getByLabel('Reason').fill('canary site reports pairing errors');
  await halt.getByRole('button', { name: 'Halt rollout' }).click();
  await expect(halt).toBeHidden();
  await expect(row).toContainText('Halted');
  await expect(row).toContainText('canary site reports pairing errors');

  await row.getByRole('button', { name: 'Resume the rollout of uplink v2' }).click();
  await expect(row).toContainText('Rolling out');

  // Retire version 1 while three robots hold it.
  await row.getByRole('button', { name: 'Retire or reinstate a version of uplink' }).click();
  const retire = page.getByRole('dialog', { name: 'Retire or reinstate a version of uplink' });
  const versions = retire.getByRole('table', { name: 'Versions of uplink' });
  await expect(versions.getByRole('row').filter({ hasText: 'v2' })).toContainText('Current');
  const v1 = versions.getByRole('row').filter({ hasText: 'v1' });
  // Cells: the radio, the state, the robots holding it (the version is the row header).
  await expect(v1.getByRole('cell').nth(2)).toHaveText(String(HOLDERS));
  await v1.getByRole('radio', { name: 'Version 1' }).check();
  await retire.getByRole('button', { name: 'Retire version 1' }).click();
  await expect(retire.getByText(`${HOLDERS} robots hold this version`)).toBeVisible();
  await expect(v1).toContainText('In its grace period'); // nothing retired yet
  await retire.getByRole('checkbox', { name: /^Retire it anyway/ }).check();
  await retire.getByRole('button', { name: 'Retire version 1' }).click();
  await expect(retire.getByText('Say why the version is retired while robots hold it.')).toBeVisible();
  await retire.getByLabel('Reason').fill('key seen on a stolen unit');
  await retire.getByRole('button', { name: 'Retire version 1' }).click();
  await expect(retire).toBeHidden();
  await expect(page.getByText(`uplink version 1 retired; ${HOLDERS} robots flagged as needing a visit.`)).toBeVisible();

  // Reinstate it: a retired version no longer decrypts; reinstated it does again for the days chosen (1-90), with a reason.
  await row.getByRole('button', { name: 'Retire or reinstate a version of uplink' }).click();
  await expect(v1).toContainText('Retired');
  await v1.getByRole('radio', { name: 'Version 1' }).check();
  await retire.getByRole('button', { name: 'Reinstate version 1' }).click();
  await expect(retire.getByText('Say why the version is reinstated.')).toBeVisible();
  await retire.getByLabel('Reason').fill('re-encrypt the depot archive');
  await retire.getByLabel('Days').fill('91');
  await retire.getByRole('button', { name: 'Reinstate version 1' }).click();
  await expect(retire.getByText('Enter a whole number of days from 1 to 90.')).toBeVisible();
  await retire.getByLabel('Days').fill('14');
  await retire.getByRole('button', { name: 'Reinstate version 1' }).click();
  await expect(retire).toBeHidden();
  await expect(page.getByText(/^uplink version 1 reinstated until .+: it decrypts again/)).toBeVisible();

  await clickNav(page, 'Fleet');
  for (const { deviceId, holds } of ROBOTS) {
    await expect(robotRow(page, deviceId)).toBeVisible();
    if (holds) await expect(robotRow(page, deviceId)).toContainText('Needs a visit');
    else await expect(robotRow(page, deviceId)).not.toContainText('Needs a visit');
  }
});
