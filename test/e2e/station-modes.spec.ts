// The station's per-robot re-provisioning confirmation and its distribute mode, from the UI, with the robot simulator
// on socat pty pairs. (a) A provisioned robot plugged in again is refused (already_provisioned); the officer confirms
// that one robot from its port row, the port is retried, the robot gets a new identity and certificate and the old
// certificate is revoked. (b) Distribute mode: a provisioned robot receives its key bundle over the serial link (five
// chips to done, keys.json holds the console's versions, the robot's bundle list shows it installed via serial).
// (c) Distribution faults: a robot that was never provisioned and an unknown robot fail their ports with their codes.
// (d) A distribute session failed by a forged ORDER_ACK: the port lists the refused answer, then each pending item it
// never sent as "not sent" (docs/station.md, "Orders and CRLs on the port").
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnRobot, startPtyPair, type PtyPair, type RobotProcess } from '../robot-sim/harness.ts';
import { expect, test } from './support/consoleFixture.ts';
import { axeSerious } from './support/axe.ts';
import { clickNav } from './support/ui.ts';
import { bundleCell, bundleRow } from './support/fleetUi.ts';
import { CTX, holds, openRobot, portRow, portState, prepareStation, provisionAudits, provisionFromUi, robotKeyVersions, startStation, stopStation } from './support/stationUi.ts';

test('an already provisioned robot is refused, re-provisioned after a per-robot confirmation, its old certificate revoked', async ({ page, harness }) => {
  test.setTimeout(120_000);
  const work = mkdtempSync(join(tmpdir(), 'ecps-e2e-modes-'));
  const pair = await startPtyPair();
  const robots: RobotProcess[] = [];
  const robot = (keystore: string) => {
    const r = spawnRobot({ port: pair.robotPath, deviceId: 'uv-again', keystore, caCertFile: join(work, 'ca.pem'), waitSignal: true });
    robots.push(r);
    return r;
  };
  try {
    const h = harness.current().fleet.handlers;
    await prepareStation(page, harness.current().host.url, h, work, ['uv-again']);
    const keystore = mkdtempSync(join(work, 'robot-'));
    await provisionFromUi(page, pair, robot(keystore));
    const [first] = (await h['certs:list']({}, CTX)).certificates;
    expect(first).toMatchObject({ deviceId: 'uv-again', status: 'valid' });

    // Plugged in again (a new station run): refused, nothing changes.
    const again = robot(keystore);
    await again.ready;
    await startStation(page, [pair.consolePath], 'provision');
    await expect(page.getByTestId('station-mode')).toHaveText('Station running: provisioning robots.');
    again.powerOn();
    const row = portRow(page, pair.consolePath);
    await expect(portState(row)).toHaveAttribute('data-state', 'failed', { timeout: 30_000 });
    await expect(row.getByRole('alert')).toHaveAttribute('data-code', 'already_provisioned');
    await expect(row.locator('[data-step-state="failed"]')).toHaveText('hello');
    expect((await again.result).json).toMatchObject({ ok: false, code: 'robot_error' });
    await expect(page.getByTestId('shift-failed')).toHaveText('1');
    // The Station screen with a failed port passes axe.
    expect(await axeSerious(page), 'station with a failed port').toEqual([]);

    // The officer confirms this one robot; the dialog names it, its port, its current certificate and the consequences.
    const third = robot(keystore);
    await third.ready;
    const opener = row.getByRole('button', { name: 'Re-provision uv-again…' });
    await opener.click();
    const dialog = page.getByRole('dialog', { name: 'Re-provision robot' });
    // A Cloudscape Modal: it passes axe, Escape closes it and focus goes back to the button that opened it.
    await expect(dialog).toBeVisible();
    expect(await axeSerious(page), 're-provision dialog').toEqual([]);
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(opener).toBeFocused();
    await opener.click();
    await expect(dialog).toContainText('uv-again');
    await expect(dialog).toContainText(pair.consolePath);
    await expect(dialog).toContainText(first?.serial ?? '?');
    await expect(dialog).toContainText('new identity key pair');
    await expect(dialog).toContainText('new certificate');
    await expect(dialog).toContainText('revoked');
    await expect(dialog).toContainText('new keys');
    await dialog.getByRole('button', { name: 'Re-provision uv-again' }).click();
    await expect(dialog).toBeHidden();
    // Pending until the robot's next session succeeds; the port is retried at once.
    await expect(page.getByRole('status', { name: 'Re-provisioning confirmed' })).toContainText('uv-again');
    await expect.poll(() => holds(pair.consolePath), { timeout: 10_000 }).toBe(true);
    third.powerOn();
    await expect(portState(row)).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
    await expect(row.locator('[data-step-state="done"]')).toHaveCount(8);
    expect((await third.result).exitCode).toBe(0);
    await expect(page.getByRole('status', { name: 'Re-provisioning confirmed' })).toBeHidden();
    await expect(page.getByTestId('shift-provisioned')).toHaveText('2');
    await stopStation(page);

    // A new certificate; the old one revoked (Certificates screen and certs:list).
    const certs = (await h['certs:list']({}, CTX)).certificates.filter((c) => c.deviceId === 'uv-again');
    expect(certs).toHaveLength(2);
    expect(certs.find((c) => c.serial === first?.serial)?.status).toBe('revoked');
    expect(certs.filter((c) => c.status === 'valid')).toHaveLength(1);
    await clickNav(page, 'Certificates');
    const oldRow = page.getByRole('table', { name: 'Certificate inventory' }).locator('tbody tr').filter({ has: page.locator(`[data-serial="${first?.serial}"]`) });
    await expect(oldRow).toContainText('revoked');

    const { records } = await h['audit:query']({ action: 'station.reprovision.confirm', offset: 0, limit: 10 }, CTX);
    expect(records).toEqual([expect.objectContaining({ targetId: 'uv-again', outcome: 'success' })]);
    expect((await provisionAudits(h)).map((r) => `${r.outcome}:${String(r.details.code ?? '')}`).sort()).toEqual(['failure:already_provisioned', 'success:', 'success:']);
  } finally {
    for (const r of robots) r.kill();
    pair.unplug();
    rmSync(work, { recursive: true, force: true });
  }
});

test('distribute mode: a provisioned robot receives its key bundle over the serial link and installs it', async ({ page, harness }) => {
  test.setTimeout(120_000);
  const work = mkdtempSync(join(tmpdir(), 'ecps-e2e-modes-'));
  const pair = await startPtyPair();
  const robots: RobotProcess[] = [];
  try {
    const h = harness.current().fleet.handlers;
    const caFile = await prepareStation(page, harness.current().host.url, h, work, ['uv-dist']);
    const keystore = mkdtempSync(join(work, 'robot-'));
    const robot = () => {
      const r = spawnRobot({ port: pair.robotPath, deviceId: 'uv-dist', keystore, caCertFile: caFile, waitSignal: true });
      robots.push(r);
      return r;
    };
    await provisionFromUi(page, pair, robot());
    const { keys } = await h['keys:list']({}, CTX);
    const comm = keys.find((k) => k.label === 'fleet comm');
    const storage = keys.find((k) => k.label === 'fleet storage');
    if (!comm || !storage) throw new Error('setup keys missing');
    await h['keys:rotate']({ keyId: comm.id }, CTX);

    // The same robot plugged in at a station distributing keys.
    const field = robot();
    await field.ready;
    await startStation(page, [pair.consolePath], 'distribute');
    await expect(page.getByTestId('station-mode')).toHaveText('Station running: distributing keys.');
    field.powerOn();
    const row = portRow(page, pair.consolePath);
    await expect(portState(row)).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
    await expect(portState(row)).toHaveAttribute('data-mode', 'distribute');
    await expect(row.locator('[data-step]')).toHaveText(['hello', 'bundle', 'install', 'commit', 'done']);
    await expect(row.locator('[data-step-state="done"]')).toHaveCount(5);
    await expect(row).toContainText('bundle installed');
    await expect(page.getByTestId('shift-distributed')).toHaveText('1');
    await expect(page.getByTestId('shift-failed')).toHaveText('0');
    expect((await field.result).json).toMatchObject({ ok: true, mode: 'distribute', sequence: 1 });
    await stopStation(page);

    // The robot holds the console's versions; the registry and the robot's bundle list say so.
    expect(robotKeyVersions(keystore)).toContainEqual({ keyId: comm.id, version: 2 });
    expect(robotKeyVersions(keystore)).toContainEqual({ keyId: storage.id, version: 1 });
    expect((await h['fleet:get']({ deviceId: 'uv-dist' }, CTX)).keys.find((k) => k.keyId === comm.id)).toMatchObject({ version: 2, source: 'distribution' });
    const panel = await openRobot(page, 'uv-dist');
    const bundle = bundleRow(panel, '1');
    await expect(bundleCell(bundle, 'delivery')).toHaveText('serial link');
    await expect(bundleCell(bundle, 'state')).toHaveText('installed');
    await expect(bundle).toContainText('serial link');
    await expect(bundle).toContainText('fleet comm v2');
    const { records } = await h['audit:query']({ action: 'bundle.install', offset: 0, limit: 10 }, CTX);
    expect(records).toEqual([expect.objectContaining({ targetId: 'uv-dist', outcome: 'success' })]);
  } finally {
    for (const r of robots) r.kill();
    pair.unplug();
    rmSync(work, { recursive: true, force: true });
  }
});

test('distribute mode faults: never provisioned, unknown, and a wrong installation proof fail their ports with their codes', async ({ page, harness }) => {
  test.setTimeout(120_000);
  const work = mkdtempSync(join(tmpdir(), 'ecps-e2e-modes-'));
  const pairs: PtyPair[] = await Promise.all([startPtyPair(), startPtyPair(), startPtyPair()]);
  const robots: RobotProcess[] = [];
  try {
    const h = harness.current().fleet.handlers;
    const caFile = await prepareStation(page, harness.current().host.url, h, work, ['uv-fresh', 'uv-badmac']);
    // uv-badmac is provisioned first (its key store keeps the identity key), then lies about the installation.
    const badmacKeystore = mkdtempSync(join(work, 'robot-'));
    const badmacPair = pairs[2] as PtyPair;
    await provisionFromUi(page, badmacPair, spawnRobot({ port: badmacPair.robotPath, deviceId: 'uv-badmac', keystore: badmacKeystore, caCertFile: caFile, waitSignal: true }));
    const provisionedKeys = (await h['fleet:get']({ deviceId: 'uv-badmac' }, CTX)).keys.map((k) => `${k.keyId}@${k.version}`).sort();

    const cases = [
      { deviceId: 'uv-fresh', code: 'not_provisioned', step: 'bundle', keystore: mkdtempSync(join(work, 'robot-')) },
      { deviceId: 'uv-nobody', code: 'unknown_robot', step: 'hello', keystore: mkdtempSync(join(work, 'robot-')) },
      { deviceId: 'uv-badmac', code: 'key_confirmation_failed', step: 'install', keystore: badmacKeystore, misbehave: 'bad-install-mac' },
    ];
    for (const [i, c] of cases.entries()) {
      robots.push(spawnRobot({ port: (pairs[i] as PtyPair).robotPath, deviceId: c.deviceId, keystore: c.keystore, caCertFile: caFile, waitSignal: true, ...(c.misbehave ? { misbehave: c.misbehave } : {}) }));
    }
    await Promise.all(robots.map((r) => r.ready));
    await startStation(page, pairs.map((p) => p.consolePath), 'distribute');
    await expect(page.getByTestId('station-mode')).toHaveText('Station running: distributing keys.');
    for (const r of robots) r.powerOn();

    for (const [i, c] of cases.entries()) {
      const row = portRow(page, (pairs[i] as PtyPair).consolePath);
      await expect(portState(row), c.deviceId).toHaveAttribute('data-state', 'failed', { timeout: 30_000 });
      await expect(portState(row)).toHaveAttribute('data-mode', 'distribute');
      await expect(row.locator('[data-step]')).toHaveText(['hello', 'bundle', 'install', 'commit', 'done']);
      await expect(row.getByRole('alert'), c.deviceId).toHaveAttribute('data-code', c.code);
      await expect(row.locator('[data-step-state="failed"]'), c.deviceId).toHaveText(c.step);
      await expect(row).toContainText(c.deviceId);
      // No re-provisioning offered in distribute mode.
      await expect(row.getByRole('button', { name: /Re-provision/ })).toHaveCount(0);
    }
    await expect(page.getByTestId('shift-failed')).toHaveText('3');
    await expect(page.getByTestId('shift-distributed')).toHaveText('0');
    await stopStation(page);

    // Nothing recorded as distributed: uv-fresh holds nothing, uv-badmac still holds its provisioning versions, and its
    // bundle is listed as failed with the code.
    expect((await h['fleet:get']({ deviceId: 'uv-fresh' }, CTX)).keys).toEqual([]);
    expect((await h['fleet:get']({ deviceId: 'uv-badmac' }, CTX)).keys.map((k) => `${k.keyId}@${k.version}`).sort()).toEqual(provisionedKeys);
    const panel = await openRobot(page, 'uv-badmac');
    const bundle = bundleRow(panel);
    await expect(bundle).toHaveCount(1);
    await expect(bundleCell(bundle, 'state')).toHaveText('failed');
    await expect(bundleCell(bundle, 'delivery')).toHaveText('serial link');
    await expect(bundle).toContainText('key_confirmation_failed');
    const { records } = await h['audit:query']({ action: 'bundle.install', offset: 0, limit: 10 }, CTX);
    expect(records.map((r) => `${r.targetId}:${r.outcome}:${String(r.details.code)}`).sort()).toEqual([
      'uv-badmac:failure:key_confirmation_failed',
      'uv-fresh:failure:not_provisioned',
      'uv-nobody:failure:unknown_robot',
    ]);
  } finally {
    for (const r of robots) r.kill();
    for (const p of pairs) p.unplug();
    rmSync(work, { recursive: true, force: true });
  }
});

test('distribute mode: a session that fails at its orders lists, after the answer refused, the items it never sent as "not sent"', async ({ page, harness }) => {
  test.setTimeout(120_000);
  const work = mkdtempSync(join(tmpdir(), 'ecps-e2e-modes-'));
  const pair = await startPtyPair();
  const robots: RobotProcess[] = [];
  try {
    const h = harness.current().fleet.handlers;
    const caFile = await prepareStation(page, harness.current().host.url, h, work, ['uv-forger']);
    // The emergency key before provisioning: the robot gets its public key and takes orders.
    await h['keys:create']({ type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' }, CTX);
    const keystore = mkdtempSync(join(work, 'robot-'));
    const robot = (misbehave?: string) => {
      const r = spawnRobot({ port: pair.robotPath, deviceId: 'uv-forger', keystore, caCertFile: caFile, waitSignal: true, extraArgs: ['--site', 'Plant 1', '--model', 'UV-7'], ...(misbehave ? { misbehave } : {}) });
      robots.push(r);
      return r;
    };
    await provisionFromUi(page, pair, robot());
    // Pending for the robot, in the order the station sends them (docs/station.md): the two orders that cover it,
    // oldest first, then the newest CRL.
    const order = (scope: { site: string } | { deviceIds: string[] }) =>
      h['emergency:lockdownOrder']({ kind: 'lockdown', scope, actions: ['stop_operating'], reason: 'drill', message: 'Stop now', validForSeconds: 3600 }, CTX);
    const site = (await order({ site: 'Plant 1' })).order.sequence;
    const own = (await order({ deviceIds: ['uv-forger'] })).order.sequence;
    const crl = (await h['ca:crl']({}, CTX)).crlNumber;

    // The robot signs its first answer with another key: the console refuses it and the session ends at orders.
    const field = robot('forged-ack');
    await field.ready;
    await startStation(page, [pair.consolePath], 'distribute');
    field.powerOn();
    const row = portRow(page, pair.consolePath);
    await expect(portState(row)).toHaveAttribute('data-state', 'failed', { timeout: 30_000 });
    await expect(row.getByRole('alert')).toHaveAttribute('data-code', 'forged_ack');
    const items = row.getByRole('list', { name: `Orders and CRLs sent on ${pair.consolePath}` }).getByRole('listitem');
    await expect(items).toHaveCount(3);
    await expect(items.nth(0)).toHaveAttribute('data-outcome', 'answer_refused');
    await expect(items.nth(0)).toHaveAttribute('data-ref', String(site));
    // The two items after it were never sent: one grey line each, in words (docs/station.md).
    const notSent = row.locator('[data-outcome="not_sent"]');
    await expect(notSent).toHaveText([
      `Lockdown order #${own} (robot uv-forger): not sent: the session failed at orders`,
      `CRL #${crl}: not sent: the session failed at orders`,
    ]);
    await stopStation(page);
  } finally {
    for (const r of robots) r.kill();
    pair.unplug();
    rmSync(work, { recursive: true, force: true });
  }
});
