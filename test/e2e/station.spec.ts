// The provisioning station from the UI, against the real browser host and console (in this process) and the robot
// simulator on the other end of a socat pty pair: create the fleet CA, start the station on the pty path, watch the
// steps reach done, see the robot provisioned in the fleet table, revoke its certificate, download a CRL that
// `openssl crl` reads.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallContext } from '../../shared/contract.ts';
import { spawnRobot, startPtyPair } from '../robot-sim/harness.ts';
import { expect, test } from './support/consoleFixture.ts';
import { chooseOption, clickNav, completeFirstRun, openConsole } from './support/ui.ts';
import { holds, portRow, portState } from './support/stationUi.ts';
import { robotRow } from './support/fleetUi.ts';

const CTX: CallContext = { transport: 'test' };

test('a robot on a pty is provisioned from the UI; its certificate is revoked and a CRL downloaded', async ({ page, harness }) => {
  test.setTimeout(120_000);
  const work = mkdtempSync(join(tmpdir(), 'ecps-e2e-station-'));
  const pair = await startPtyPair();
  try {
    await openConsole(page, harness.current().host.url);
    await completeFirstRun(page);
    const h = harness.current().fleet.handlers;
    await h['keys:create']({ type: 'communication', label: 'fleet comm', algorithm: 'AES_256' }, CTX);
    await h['keys:create']({ type: 'storage', label: 'fleet storage', algorithm: 'AES_256' }, CTX);
    await h['fleet:create']({ deviceId: 'uv-e2e-1', name: 'E2E robot', model: 'UV-7', site: 'Plant 1', firmware: '', tags: [], status: 'manufactured' }, CTX);

    await clickNav(page, 'Certificates');
    const form = page.getByRole('form', { name: 'Create fleet CA' });
    await chooseOption(form, 'Algorithm', 'ECDSA P-256');
    await form.getByLabel('Common name').fill('E2E Fleet CA');
    await form.getByRole('button', { name: 'Create fleet CA' }).click();
    await expect(page.getByTestId('ca-subject')).toHaveText('CN=E2E Fleet CA, O=ECPS-UV Fleet');
    const caPem = (await h['ca:status']({}, CTX)).certificatePem ?? '';
    writeFileSync(join(work, 'ca.pem'), caPem);

    const robot = spawnRobot({ port: pair.robotPath, deviceId: 'uv-e2e-1', keystore: mkdtempSync(join(work, 'robot-')), caCertFile: join(work, 'ca.pem'), waitSignal: true });
    await robot.ready;
    await clickNav(page, 'Station');
    await page.getByLabel(/Serial port paths/).fill(pair.consolePath);
    await page.getByRole('button', { name: 'Start station' }).click();
    await expect(page.getByTestId('station-mode')).toHaveText('Station running: provisioning robots.');
    await expect.poll(() => holds(pair.consolePath), { timeout: 10_000 }).toBe(true);
    robot.powerOn();

    const row = portRow(page, pair.consolePath);
    await expect(portState(row)).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
    await expect(row.locator('[data-step-state="done"]')).toHaveCount(8);
    await expect(row).toContainText('uv-e2e-1');
    await expect(page.getByTestId('shift-provisioned')).toHaveText('1');
    expect((await robot.result).exitCode).toBe(0);
    await page.getByRole('button', { name: 'Stop station' }).click();
    await expect(page.getByRole('button', { name: 'Start station' })).toBeVisible();

    await clickNav(page, 'Fleet');
    const fleetRow = robotRow(page, 'uv-e2e-1');
    await expect(fleetRow).toContainText('provisioned');

    await clickNav(page, 'Certificates');
    const certRow = page.getByRole('table', { name: 'Certificate inventory' }).locator('tbody tr').filter({ has: page.locator('[data-serial]') });
    await expect(certRow).toHaveCount(1);
    await expect(certRow).toContainText('uv-e2e-1');
    const serial = (await certRow.locator('[data-serial]').getAttribute('data-serial')) ?? '';
    await certRow.getByRole('button', { name: 'Revoke…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke certificate' });
    await expect(dialog).toContainText(serial);
    await expect(dialog).toContainText('uv-e2e-1');
    await dialog.getByRole('button', { name: `Revoke ${serial}` }).click();
    await expect(certRow).toContainText('revoked (keyCompromise)');

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download CRL' }).click();
    const file = await download;
    const crlPath = join(work, 'fleet.crl.pem');
    await file.saveAs(crlPath);
    const crl = spawnSync('openssl', ['crl', '-in', crlPath, '-noout', '-text', '-CAfile', join(work, 'ca.pem')], { encoding: 'utf8' });
    expect(crl.status).toBe(0);
    expect(`${crl.stdout}${crl.stderr}`).toMatch(/verify OK/);
    expect(crl.stdout.toUpperCase().replace(/:/g, '')).toContain(serial.toUpperCase());
  } finally {
    pair.unplug();
    rmSync(work, { recursive: true, force: true });
  }
});

test('a forged CSR shows its error on the port; Retry runs a new session; nothing is provisioned', async ({ page, harness }) => {
  test.setTimeout(120_000);
  const work = mkdtempSync(join(tmpdir(), 'ecps-e2e-station-'));
  const pair = await startPtyPair();
  try {
    await openConsole(page, harness.current().host.url);
    await completeFirstRun(page);
    const h = harness.current().fleet.handlers;
    await h['keys:create']({ type: 'communication', label: 'fleet comm', algorithm: 'AES_256' }, CTX);
    await h['keys:create']({ type: 'storage', label: 'fleet storage', algorithm: 'AES_256' }, CTX);
    await h['fleet:create']({ deviceId: 'uv-forger', name: 'Forger', model: 'UV-7', site: 'Plant 1', firmware: '', tags: [], status: 'manufactured' }, CTX);
    writeFileSync(join(work, 'ca.pem'), (await h['ca:init']({ providerId: 'local', algorithm: 'EC_P256', commonName: 'E2E Fleet CA' }, CTX)).certificatePem ?? '');

    const robot = spawnRobot({ port: pair.robotPath, deviceId: 'uv-forger', keystore: mkdtempSync(join(work, 'robot-')), caCertFile: join(work, 'ca.pem'), misbehave: 'forged-csr', waitSignal: true });
    await robot.ready;
    await clickNav(page, 'Station');
    await page.getByLabel(/Serial port paths/).fill(pair.consolePath);
    await page.getByRole('button', { name: 'Start station' }).click();
    await expect.poll(() => holds(pair.consolePath), { timeout: 10_000 }).toBe(true);
    robot.powerOn();

    const row = portRow(page, pair.consolePath);
    await expect(portState(row)).toHaveAttribute('data-state', 'failed', { timeout: 30_000 });
    await expect(row.getByRole('alert')).toContainText('forged_csr');
    await expect(row.locator('[data-step-state="failed"]')).toHaveText('csr');
    await expect(page.getByTestId('shift-failed')).toHaveText('1');
    await robot.result;

    // The cable is pulled; Retry runs a new session on the port, which fails again (disconnected) and is counted.
    pair.unplug();
    await row.getByRole('button', { name: 'Retry' }).click();
    await expect(page.getByTestId('shift-failed')).toHaveText('2', { timeout: 15_000 });
    await expect(row.getByRole('alert')).toContainText('disconnected');
    expect((await h['fleet:get']({ deviceId: 'uv-forger' }, CTX)).status).toBe('manufactured');
    await page.getByRole('button', { name: 'Stop station' }).click();
  } finally {
    pair.unplug();
    rmSync(work, { recursive: true, force: true });
  }
});
