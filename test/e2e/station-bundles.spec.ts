// Field key distribution from the window: a robot provisioned from the Station screen (the simulator on a socat pty),
// a key rotated, then "Issue key bundle" in the robot's panel: a confirmation naming the robot, the file downloaded,
// the bundle listed and its versions recorded for the robot. The simulator installs the downloaded file (keys.json
// then holds the new version); the same file again is refused as replayed, a copy with one byte of the signed body
// changed as tampered. A robot that was never provisioned gets no bundle: the refusal is shown in the dialog.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnRobot, startPtyPair, type RobotProcess } from '../robot-sim/harness.ts';
import { expect, test } from './support/consoleFixture.ts';
import { bundleCell, bundleRow } from './support/fleetUi.ts';
import { CTX, installWithSimulator, openRobot, prepareStation, provisionFromUi, robotKeyVersions } from './support/stationUi.ts';

/** The bundle file with one digit of the signed body's issuedAt changed (still canonical JSON, no longer signed). */
function flipBodyByte(file: Buffer): Buffer {
  const outer = JSON.parse(file.toString('utf8')) as { format: string; body: string; signature: string };
  const body = Buffer.from(outer.body, 'base64');
  const at = body.indexOf('"issuedAt":"') + '"issuedAt":"'.length + 3; // the last digit of the year
  body[at] = (body[at] ?? 0x30) ^ 1;
  return Buffer.from(JSON.stringify({ format: outer.format, body: body.toString('base64'), signature: outer.signature }));
}

test('a key bundle issued from the robot panel installs on the robot once; replayed and tampered copies are refused', async ({ page, harness }) => {
  test.setTimeout(120_000);
  const work = mkdtempSync(join(tmpdir(), 'ecps-e2e-bundles-'));
  const pair = await startPtyPair();
  let robot: RobotProcess | undefined;
  try {
    const h = harness.current().fleet.handlers;
    const caFile = await prepareStation(page, harness.current().host.url, h, work, ['uv-field-1', 'uv-never']);
    const keystore = mkdtempSync(join(work, 'robot-'));
    robot = spawnRobot({ port: pair.robotPath, deviceId: 'uv-field-1', keystore, caCertFile: caFile, waitSignal: true });
    await provisionFromUi(page, pair, robot);
    const { keys } = await h['keys:list']({}, CTX);
    const comm = keys.find((k) => k.label === 'fleet comm');
    const storage = keys.find((k) => k.label === 'fleet storage');
    if (!comm || !storage) throw new Error('setup keys missing');
    expect(robotKeyVersions(keystore)).toEqual([{ keyId: comm.id, version: 1 }, { keyId: storage.id, version: 1 }].sort((a, b) => a.keyId.localeCompare(b.keyId)));
    await h['keys:rotate']({ keyId: comm.id }, CTX);

    // A robot that was never provisioned has no identity key to wrap to: refused, shown in the dialog, nothing issued.
    const never = await openRobot(page, 'uv-never');
    await never.getByRole('button', { name: 'Issue key bundle…' }).click();
    const refusedDialog = page.getByRole('dialog', { name: 'Issue key bundle' });
    await expect(refusedDialog).toContainText('uv-never');
    await refusedDialog.getByRole('button', { name: 'Issue bundle for uv-never' }).click();
    await expect(refusedDialog.getByRole('alert')).toBeVisible();
    await expect(refusedDialog.getByRole('alert')).toHaveAttribute('data-code', /.+/);
    await refusedDialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(refusedDialog).toBeHidden();
    expect((await h['fleet:get']({ deviceId: 'uv-never' }, CTX)).keys).toEqual([]);
    await expect(never.getByRole('table', { name: 'Key bundles of the robot' }).getByText('issued (file)')).toHaveCount(0);

    // The provisioned robot: confirm, download.
    const panel = await openRobot(page, 'uv-field-1');
    await expect(panel.getByText('No key bundles issued to this robot.')).toBeVisible();
    await panel.getByRole('button', { name: 'Issue key bundle…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Issue key bundle' });
    await expect(dialog).toContainText('uv-field-1');
    await expect(dialog).toContainText('wrapped to its identity key');
    await expect(dialog).toContainText('records these versions as distributed');
    const download = page.waitForEvent('download');
    await dialog.getByRole('button', { name: 'Issue bundle for uv-field-1' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('uv-field-1.bundle-1.json');
    const bundleFile = join(work, file.suggestedFilename());
    await file.saveAs(bundleFile);
    await expect(dialog).toBeHidden();
    await expect(panel.getByRole('status').filter({ hasText: 'Bundle #1 issued' })).toContainText('uv-field-1.bundle-1.json');

    const row = bundleRow(panel, '1');
    await expect(bundleCell(row, 'delivery')).toHaveText('file');
    await expect(bundleCell(row, 'state')).toHaveText('issued (file)');
    await expect(row).toContainText('fleet comm v2');
    await expect(row).toContainText('fleet storage v1');
    // The registry records the versions as distributed when the file is issued.
    const held = (await h['fleet:get']({ deviceId: 'uv-field-1' }, CTX)).keys;
    expect(held.find((k) => k.keyId === comm.id)).toMatchObject({ version: 2, source: 'distribution' });
    await expect(panel.getByRole('table', { name: 'Keys held by the robot' }).getByRole('row').filter({ hasText: 'fleet comm' })).toContainText('distribution');
    // The file's content (wrapped keys, signature) is not in the page.
    const content = readFileSync(bundleFile);
    const outer = JSON.parse(content.toString('utf8')) as { body: string; signature: string };
    expect(await page.content()).not.toContain(outer.signature.slice(0, 24));

    // The robot installs it: keys.json now holds the rotated version.
    const installed = installWithSimulator(bundleFile, { deviceId: 'uv-field-1', keystore, caCertFile: caFile });
    expect(installed).toMatchObject({ exitCode: 0, json: { ok: true, sequence: 1 } });
    expect(robotKeyVersions(keystore)).toContainEqual({ keyId: comm.id, version: 2 });
    expect(robotKeyVersions(keystore)).toContainEqual({ keyId: storage.id, version: 1 });

    // The same file again: replayed. One byte of the signed body changed: tampered. Neither changes keys.json.
    const before = readFileSync(join(keystore, 'keys.json'));
    expect(installWithSimulator(bundleFile, { deviceId: 'uv-field-1', keystore, caCertFile: caFile })).toMatchObject({ exitCode: 1, json: { ok: false, code: 'replayed' } });
    const flipped = join(work, 'flipped.json');
    writeFileSync(flipped, flipBodyByte(content));
    expect(installWithSimulator(flipped, { deviceId: 'uv-field-1', keystore, caCertFile: caFile })).toMatchObject({ exitCode: 1, json: { ok: false, code: 'tampered' } });
    expect(readFileSync(join(keystore, 'keys.json')).equals(before)).toBe(true);
  } finally {
    robot?.kill();
    pair.unplug();
    rmSync(work, { recursive: true, force: true });
  }
});
