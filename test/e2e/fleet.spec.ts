// The fleet screens in Chromium against the real browser host and console: the table at 100,000 robots (search,
// filter, sort, one page of rows in the DOM, the last page reachable), an all-or-nothing CSV import (a header-only
// file refused), the robot detail in the split panel with its deep link, the dashboard counts, and revoking a robot
// (its status dialog names the certificates revoked with it and the CRL update first).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createFleetRepo } from '../../electron/store/fleetRepo.ts';
import { createRolloutRepo } from '../../electron/store/rolloutRepo.ts';
import { spawnRobot, startPtyPair } from '../robot-sim/harness.ts';
import { expect, test } from './support/consoleFixture.ts';
import { seededRobot, seedRobots } from './support/fleetSeed.ts';
import { CTX, holds, openRobot, prepareStation } from './support/stationUi.ts';
import { firstRobotId, fleetFilter, openRobotFromGrid, pickOption, robotRow, robotRows, robotsGrid } from './support/fleetUi.ts';
import { clickNav, completeFirstRun, openConsole, unlock } from './support/ui.ts';
import type { Page } from '@playwright/test';

const HEADER = 'device_id,name,model,site,firmware,tags,status';

async function goTo(page: Page, nav: 'Fleet' | 'Dashboard'): Promise<void> {
  await clickNav(page, nav);
  await expect(page.getByRole('heading', { name: nav === 'Fleet' ? 'Fleet' : 'Fleet dashboard', level: 1 })).toBeVisible();
}

test('the fleet table at 100,000 robots: search narrows it, sort works, only one page of rows is in the DOM', async ({ page, harness }) => {
  test.setTimeout(180_000);
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  const storePath = harness.current().fleet.storePath;
  await harness.stop();
  seedRobots(storePath, 100_000);
  await harness.start();
  await openConsole(page, harness.current().host.url);
  await unlock(page);
  await goTo(page, 'Fleet');

  const count = page.getByTestId('fleet-count');
  await expect(count).toHaveText('100,000 robots');
  await expect(firstRobotId(page)).toHaveText('robot-000001');
  // One page of 50 robots is in the DOM, not 100,000.
  await expect(robotRows(page)).toHaveCount(50);

  // The last page (2,000 pages of 50): the last robot renders, and still only one page is in the DOM.
  await page.getByRole('list', { name: 'Robot pages' }).getByRole('button', { name: 'Page 2000 of 2000' }).click();
  await expect(robotRow(page, 'robot-100000')).toBeVisible();
  await expect(robotRows(page)).toHaveCount(50);

  // Search narrows it to one robot.
  await page.getByLabel('Search').fill('Unit 99999');
  await expect(count).toHaveText('1 matching robot');
  await expect(robotRows(page)).toHaveCount(1);
  await expect(firstRobotId(page)).toHaveText('robot-099999');

  // A filter by status and site, then sort by device id descending.
  await page.getByLabel('Search').fill('');
  await pickOption(page, fleetFilter(page, 'Status'), 'quarantined');
  await pickOption(page, fleetFilter(page, 'Site'), 'Depot');
  // Statuses cycle every 6 and sites every 5: quarantined is i ≡ 3 (mod 6), Depot i ≡ 4 (mod 5), so i ≡ 9 (mod 30).
  await expect(count).toHaveText('3,334 matching robots');
  await expect(firstRobotId(page)).toHaveText('robot-000009');
  // Sorted by device id ascending to begin with: one click on its header turns it around.
  const header = (name: string) => robotsGrid(page).getByRole('columnheader', { name, exact: true });
  await expect(header('Device id')).toHaveAttribute('aria-sort', 'ascending');
  await header('Device id').getByRole('button').click();
  await expect(header('Device id')).toHaveAttribute('aria-sort', 'descending');
  await expect(firstRobotId(page)).toHaveText('robot-099999');
  // By name (text order, as SQLite compares): the first is what sorting the same robots here gives.
  const matching = Array.from({ length: 100_000 }, (_, k) => seededRobot(k + 1)).filter((r) => r.status === 'quarantined' && r.site === 'Depot');
  const byName = matching.map((r) => r.name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  await header('Name').getByRole('button').click();
  await expect(header('Name')).toHaveAttribute('aria-sort', 'ascending');
  await expect(robotRows(page).first()).toContainText(byName[0]!);
  await header('Name').getByRole('button').click();
  await expect(robotRows(page).first()).toContainText(byName.at(-1)!);

  // The robot's detail opens from its row, in the split panel, and the URL names it (with the filters).
  await page.getByLabel('Search').fill('Unit 99999');
  await expect(count).toHaveText('1 matching robot');
  const detail = await openRobotFromGrid(page, 'robot-099999');
  await expect(detail).toContainText('Unit 99999');
  await expect(detail).toContainText('quarantined');
  await expect(page).toHaveURL(/#\/fleet\?status=quarantined&site=Depot&q=Unit\+99999&robot=robot-099999$/);
  // Closing the panel closes the robot; the URL stops naming it.
  await page.getByRole('button', { name: 'Close robot details' }).click();
  await expect(detail).toBeHidden();
  await expect(page).toHaveURL(/#\/fleet\?status=quarantined&site=Depot&q=Unit\+99999$/);

  // A deep link to a robot opens it, whatever page of the list it is on (the link's filters replace the typed ones).
  await page.goto(`${harness.current().host.url}#/fleet?robot=robot-054321`);
  await expect(count).toHaveText('100,000 robots');
  await expect(page.getByRole('region', { name: 'Robot robot-054321' })).toContainText('Unit 54321');
});

test('a CSV with a bad row at line 7 is refused naming line 7 and nothing is imported; a good one imports all', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  await goTo(page, 'Fleet');
  await expect(page.getByTestId('fleet-count')).toHaveText('0 robots');

  // A file with the header and no robot is refused, not reported as "Imported 0 robots" (issue 12).
  await page.getByRole('button', { name: 'Import CSV…' }).click();
  const importDialog = page.getByRole('dialog', { name: 'Import robots from CSV' });
  await importDialog.getByLabel('Or paste CSV text').fill(`${HEADER}\n`);
  await importDialog.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(importDialog.getByRole('alert')).toContainText('Line 1: the file has the header but no robot rows');
  await expect(importDialog.getByRole('alert')).toContainText('Nothing was imported');
  await expect(importDialog.getByRole('status')).toHaveCount(0);
  await importDialog.getByRole('button', { name: 'Close', exact: true }).click();

  const row = (i: number, status = 'manufactured') => `csv-${i},Robot ${i},UV-7,Ward ${i % 2},2.0.${i},ward;uv,${status}`;
  const bad = [HEADER, row(1), row(2), row(3), row(4), row(5), row(6, 'teleported'), row(7)].join('\n');
  await page.getByRole('button', { name: 'Import CSV…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Import robots from CSV' });
  await dialog.getByLabel('Or paste CSV text').fill(bad);
  await dialog.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(dialog.getByRole('alert')).toContainText('Line 7, column status');
  await expect(dialog.getByRole('alert')).toContainText('Nothing was imported');
  expect((await harness.current().fleet.handlers['fleet:list']({ query: '', sort: 'deviceId', dir: 'asc', offset: 0, limit: 10 }, { transport: 'test' })).total).toBe(0);

  await dialog.getByLabel('Or paste CSV text').fill([HEADER, row(1), row(2), row(3), row(4), row(5), row(6, 'deployed')].join('\n'));
  await dialog.getByRole('button', { name: 'Import', exact: true }).click();
  // Checked first, then confirmed with its count and sites (issue 12: an import confirms first): nothing yet imported.
  // rows 1..6 alternate Ward 1 (1, 3, 5) and Ward 0 (2, 4, 6): three each, the sites in name order at equal counts.
  await expect(dialog.getByText('Import 6 robots into 2 sites?', { exact: true })).toBeVisible();
  await expect(dialog.getByTestId('import-confirmation')).toHaveText('Ward 0: 3 robots; Ward 1: 3 robots.');
  expect((await harness.current().fleet.handlers['fleet:list']({ query: '', sort: 'deviceId', dir: 'asc', offset: 0, limit: 10 }, { transport: 'test' })).total).toBe(0);
  // Back returns to the file, unchanged; Import checks it again.
  await dialog.getByRole('button', { name: 'Back', exact: true }).click();
  await expect(dialog.getByRole('button', { name: 'Import 6 robots' })).toHaveCount(0);
  await dialog.getByRole('button', { name: 'Import', exact: true }).click();
  await dialog.getByRole('button', { name: 'Import 6 robots' }).click();
  await expect(dialog.getByRole('status')).toHaveText('Imported 6 robots.');
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();
  await expect(page.getByTestId('fleet-count')).toHaveText('6 robots');
  await expect(robotRows(page)).toHaveCount(6);

  // Status change from the detail, only along allowed transitions.
  await openRobotFromGrid(page, 'csv-6');
  await page.getByRole('button', { name: 'Change status…' }).click();
  const statusDialog = page.getByRole('dialog', { name: 'Change robot status' });
  // Only what ROBOT_TRANSITIONS allows from deployed (shared/domain.ts): quarantined, revoked, decommissioned.
  await expect(statusDialog.getByRole('radio')).toHaveCount(3);
  for (const s of ['quarantined', 'revoked', 'decommissioned']) await expect(statusDialog.getByRole('radio', { name: s, exact: true })).toBeVisible();
  await statusDialog.getByRole('radio', { name: 'quarantined', exact: true }).check();
  await statusDialog.getByLabel('Reason (recorded in the audit log)').fill('odd telemetry');
  await statusDialog.getByRole('button', { name: 'Change status' }).click();
  const detail = page.getByRole('region', { name: 'Robot csv-6' });
  await expect(detail).toContainText('quarantined (odd telemetry)');
  await expect(detail.getByRole('table', { name: 'Audit trail of the robot' })).toContainText('robot.status');
});

test('the dashboard counts match the registry: by status, by site, expiring certificates, overdue keys, key versions held', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  const fleet = harness.current().fleet;
  const rows = Array.from({ length: 60 }, (_, k) => {
    const r = seededRobot(k + 1);
    return `${r.deviceId},${r.name},${r.model},${r.site},1.0,,${r.status}`;
  });
  fleet.fleet.importCsv([HEADER, ...rows].join('\n'));
  fleet.fleet.attachCertificate('robot-000001', { serial: '7F01', notAfter: new Date(Date.now() + 5 * 86_400_000).toISOString(), pem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' });
  fleet.fleet.attachCertificate('robot-000002', { serial: '7F02', notAfter: new Date(Date.now() + 300 * 86_400_000).toISOString(), pem: '-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n' });
  // Key versions held: "fleet uplink" is at version 2; robots 1-3 still hold version 1 (behind), robots 4-5 hold 2.
  const t = { transport: 'test' as const };
  const uplink = (await fleet.handlers['keys:create']({ type: 'communication', label: 'fleet uplink' }, t)).id;
  await fleet.handlers['keys:rotate']({ keyId: uplink }, t);
  for (const [i, version] of [[1, 1], [2, 1], [3, 1], [4, 2], [5, 2]] as const) fleet.fleet.recordKeyVersions(seededRobot(i).deviceId, [{ keyId: uplink, version }]);

  await goTo(page, 'Dashboard');
  // Every figure is a link to the list behind it, filtered (issue 12): the hrefs are the fleet screen's deep links.
  const tiles = page.getByRole('list', { name: 'Robots by status' });
  await expect(tiles.getByRole('link', { name: 'total: 60' })).toHaveAttribute('href', '#/fleet');
  for (const status of ['manufactured', 'provisioned', 'deployed', 'quarantined', 'revoked', 'decommissioned']) {
    await expect(tiles.getByRole('link', { name: `${status}: 10` })).toHaveAttribute('href', `#/fleet?status=${status}`);
  }
  await expect(page.locator('[aria-label="Robots by status (chart)"]').first()).toBeVisible();
  const sites = page.getByRole('table', { name: 'Robots by site' });
  for (const site of ['Plant North', 'Plant South', 'Hospital A', 'Hospital B', 'Depot']) {
    await expect(sites.getByRole('row').filter({ hasText: site })).toContainText('12');
  }
  await expect(sites.getByRole('link', { name: 'Depot', exact: true })).toHaveAttribute('href', '#/fleet?site=Depot');
  await expect(page.getByRole('heading', { name: 'Certificates expiring within 30 days: 1' })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Certificates expiring soon' })).toContainText('robot-000001');
  await expect(page.getByRole('table', { name: 'Provider health' })).toContainText('local');
  await expect(page.getByRole('heading', { name: 'Keys overdue for rotation: 0' })).toBeVisible();
  // The certificate 5 days from expiry is counted in week 1, which opens the certificates expiring within 7 days.
  const weeks = page.getByRole('list', { name: 'Certificates by week until expiry' });
  await expect(weeks.getByRole('link', { name: 'Week 1 (0–6 days): 1' })).toHaveAttribute('href', '#/certs?expiringWithinDays=7');
  await expect(weeks.getByText('Expired: 0')).toBeVisible();
  // Key versions held across the fleet: 2 robots current, 3 behind; the key links to its details.
  await expect(page.getByRole('heading', { name: 'Key versions held across the fleet: 2 current, 3 behind' })).toBeVisible();
  await expect(page.locator('[aria-label="Key versions held across the fleet (chart)"]').first()).toBeVisible();
  const held = page.getByRole('table', { name: 'Key versions held across the fleet' }).getByRole('row').filter({ hasText: 'fleet uplink' });
  await expect(held).toContainText('v2');
  await expect(held.getByRole('cell').nth(2)).toHaveText('2');
  await expect(held.getByRole('cell').nth(3)).toHaveText('3');
  await expect(held.getByRole('link', { name: 'fleet uplink' })).toHaveAttribute('href', `#/keys?key=${uplink}`);

  // Drill down: the quarantined figure opens the fleet list filtered to quarantined robots (10 of 60).
  await tiles.getByRole('link', { name: 'quarantined: 10' }).click();
  await expect(page.getByRole('heading', { name: 'Fleet', level: 1 })).toBeVisible();
  await expect(page).toHaveURL(/#\/fleet\?status=quarantined$/);
  await expect(page.getByTestId('fleet-count')).toHaveText('10 matching robots');
  await expect(fleetFilter(page, 'Status')).toHaveText('quarantined');
  // Back returns to the dashboard.
  await page.goBack();
  await expect(page.getByRole('heading', { name: 'Fleet dashboard', level: 1 })).toBeVisible();
});

test('revoking a robot: the status dialog names its certificate serials and the CRL update before confirming; then both are revoked', async ({ page, harness }) => {
  test.setTimeout(120_000);
  const work = mkdtempSync(join(tmpdir(), 'ecps-e2e-revoke-'));
  const pair = await startPtyPair();
  try {
    const { fleet } = harness.current();
    const h = fleet.handlers;
    const caFile = await prepareStation(page, harness.current().host.url, h, work, ['uv-rev-1']);
    // Setup: the robot provisioned by the console's station (the simulator on a pty), so it holds a fleet CA certificate.
    const robot = spawnRobot({ port: pair.robotPath, deviceId: 'uv-rev-1', keystore: mkdtempSync(join(work, 'robot-')), caCertFile: caFile, waitSignal: true });
    await robot.ready;
    const session = fleet.station.provisionOnce(pair.consolePath, 'uv-rev-1');
    await expect.poll(() => holds(pair.consolePath), { timeout: 10_000 }).toBe(true);
    robot.powerOn();
    expect((await session).ok).toBe(true);
    const [cert] = (await h['certs:list']({}, CTX)).certificates;
    const serial = cert?.serial ?? '';
    expect(cert).toMatchObject({ deviceId: 'uv-rev-1', status: 'valid' });

    const detail = await openRobot(page, 'uv-rev-1');
    await page.getByRole('button', { name: 'Change status…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Change robot status' });
    await dialog.getByRole('radio', { name: 'revoked', exact: true }).check();
    const notice = dialog.getByRole('region', { name: 'What revoking the robot revokes' });
    await expect(notice).toContainText('Revoking robot uv-rev-1 also revokes its certificate, in the same operation:');
    await expect(notice.getByRole('list', { name: 'Certificates revoked with the robot' }).getByRole('listitem')).toHaveText([`serial ${serial}, valid until ${cert?.notAfter.slice(0, 10)}`]);
    await expect(notice).toContainText('The fleet CA then publishes an updated CRL that lists it, signed with its key in provider local-kms. If the CA cannot sign, nothing changes.');
    const certReason = notice.getByRole('button', { name: /^Certificate revocation reason \(RFC 5280\) / });
    await expect(certReason).toHaveText('privilegeWithdrawn');
    // Nothing is revoked before the officer confirms.
    expect((await h['certs:list']({}, CTX)).certificates[0]?.status).toBe('valid');

    await pickOption(page, certReason, 'keyCompromise');
    await dialog.getByLabel('Reason (recorded in the audit log)').fill('stolen from ward B');
    await dialog.getByRole('button', { name: 'Revoke robot and certificates' }).click();
    await expect(dialog).toBeHidden();
    await expect(detail).toContainText('revoked (stolen from ward B)');
    expect((await h['certs:list']({}, CTX)).certificates).toEqual([expect.objectContaining({ serial, status: 'revoked', revocationReason: 'keyCompromise' })]);
    expect((await h['fleet:get']({ deviceId: 'uv-rev-1' }, CTX)).certificates.map((c) => c.status)).toEqual(['revoked']);
    const published = (await h['audit:query']({ action: 'ca.crl.publish', offset: 0, limit: 5 }, CTX)).records;
    expect(published[0]).toMatchObject({ outcome: 'success', details: expect.objectContaining({ trigger: 'robot_revocation', deviceId: 'uv-rev-1', revoked: 1 }) });
  } finally {
    pair.unplug();
    rmSync(work, { recursive: true, force: true });
  }
});

test('a robot a forced retirement left behind is marked "Needs a visit" in the table, and its panel says which key, version and why', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  const running = harness.current().fleet;
  const key = await running.handlers['keys:create']({ type: 'communication', label: 'site-comm-north' }, CTX);
  const storePath = running.storePath;
  await harness.stop();
  // The store a forced retirement leaves (docs/rotation.md): robot-000002 held version 1 of the key when it was
  // retired; robot-000001 holds nothing flagged. Written through the repositories, as the rollout service does.
  seedRobots(storePath, 3);
  const db = new Database(storePath);
  try {
    const at = Date.parse('2026-11-20T10:00:00Z');
    createFleetRepo(db).upsertKeyVersion({ deviceId: 'robot-000002', keyId: key.id, version: 1, source: 'distribution', recordedAt: new Date(at).toISOString() });
    createRolloutRepo(db).flagVisit({ deviceId: 'robot-000002', keyId: key.id, version: 1, reason: 'lost at sea', flaggedAt: at, flaggedBy: 'Chief Officer' });
  } finally {
    db.close();
  }
  await harness.start();
  await openConsole(page, harness.current().host.url);
  await unlock(page);
  await clickNav(page, 'Fleet');

  await expect(robotRow(page, 'robot-000002')).toContainText('Needs a visit');
  await expect(robotRow(page, 'robot-000001')).toBeVisible();
  await expect(robotRow(page, 'robot-000001')).not.toContainText('Needs a visit');
  await expect(robotRow(page, 'robot-000003')).not.toContainText('Needs a visit');

  const panel = await openRobotFromGrid(page, 'robot-000002');
  const visits = panel.getByTestId('robot-visits');
  await expect(visits).toContainText('site-comm-north: version 1 retired on');
  await expect(visits).toContainText('by Chief Officer (lost at sea)');
  const other = await openRobotFromGrid(page, 'robot-000001');
  await expect(other.getByText('Needs a visit')).toHaveCount(0);
});
