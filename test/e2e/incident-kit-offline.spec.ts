// Issue 15's offline console in the window (docs/incident-kit.md): a kit exported by the console's own export path,
// `serve --kit DIR` run through the CLI (no store opened), the responder signing in with their passphrase, the offline
// banner, an order used on a robot (uses left go down, the robot quarantined in the kit, the record in the kit's own
// chain, verified, the order file offered as a download), wrong passphrases paused, the idle lock back to the sign-in
// page, an expired order refused on screen, a console channel refused on the socket; then the kit imported into the
// store with the use reconciled.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { createConsole } from '../../electron/app.ts';
import { inProcessCli } from './support/inProcessCli.ts';

const TEST_KDF = { N: 1024, r: 8, p: 1 };
const PASS = 'Kit-Window-Passphrase 2718';
const ENV = { ECPS_PASSPHRASE: PASS, ECPS_OPERATOR: 'alice', ECPS_KDF_LOG2N: '10' };
const CTX = { transport: 'test' } as const;

const cli = inProcessCli(ENV);

test('the offline console on an incident kit: sign in, use an order, an expired one refused, then imported', async ({ page }) => {
  const dir = mkdtempSync(join(tmpdir(), 'ecps-e2e-kit-'));
  const store = join(dir, 'store');
  const kitDir = join(dir, 'kit');
  try {
    // Online: the store, two robots, and the kit exported for alice (one order for a day, one for a minute).
    const c = await createConsole({ dataDir: store, kdf: TEST_KDF, rotation: { scheduler: false } });
    try {
      await c.handlers['session:init']({ operator: 'alice', passphrase: PASS }, CTX);
      await c.handlers['keys:create']({ type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' }, CTX);
      for (const deviceId of ['uv-002', 'uv-003']) await c.handlers['fleet:create']({ deviceId, name: deviceId, model: 'UV-7', site: 'Plant 1', firmware: '2.1.0', tags: [], status: 'deployed' }, CTX);
      await c.handlers['kit:export']({
        dir: kitDir, passphrase: PASS, reason: 'incident readiness',
        orders: [
          { name: 'robot uv-002', scope: { deviceIds: ['uv-002'] }, maxUses: 2, validForSeconds: 86_400 },
          { name: 'robot uv-003', scope: { deviceIds: ['uv-003'] }, maxUses: 1, validForSeconds: 60 },
        ],
      }, CTX);
    } finally {
      c.close();
    }

    // Offline: serve --kit, its clock movable by the test (to pass the short order's expiry without waiting).
    let ahead = 0;
    let stop: (reason: string) => void = () => undefined;
    const until = new Promise<string>((r) => (stop = r));
    let announce: (url: string) => void = () => undefined;
    const listening = new Promise<string>((r) => (announce = r));
    const served = cli(['serve', '--kit', kitDir], {
      until, now: () => new Date(Date.now() + ahead),
      onOut: (text) => {
        const m = text.match(/OFFLINE.*(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)\n/);
        if (m) announce(m[1]!);
      },
    });
    const url = await Promise.race([listening, served.done.then((code) => { throw new Error(`serve --kit exited ${code}: ${served.err()}`); })]);

    await page.goto(url);
    await expect(page.getByTestId('kit-offline-banner')).toContainText(/Offline - incident kit [0-9a-f-]+, exported \d{4}-\d\d-\d\d \d\d:\d\d UTC, no provider is called/);
    await expect(page.getByRole('heading', { name: 'Incident kit: sign in' })).toBeVisible();
    // Wrong passphrases are throttled per kit: the third pauses the sign-in (5 s on the kit's clock, as for operators).
    for (let i = 1; i <= 3; i++) {
      await page.getByLabel('Passphrase').fill(`not my passphrase ${i}`);
      await page.getByRole('button', { name: 'Open the kit' }).click();
      await expect(page.locator('[role="alert"][data-code="wrong_passphrase"]')).toBeVisible();
    }
    await expect(page.getByTestId('kit-sign-in-paused')).toContainText(/Try again in [1-5] s/);
    await expect(page.getByRole('button', { name: 'Open the kit' })).toBeDisabled();
    // The kit's clock passes the pause; a fresh page reads the wait (none left) from the kit's status.
    ahead += 5_000;
    await page.reload();
    await expect(page.getByRole('heading', { name: 'Incident kit: sign in' })).toBeVisible();
    await expect(page.getByTestId('kit-sign-in-paused')).toHaveCount(0);
    await page.getByLabel('Passphrase').fill(PASS);
    await page.getByRole('button', { name: 'Open the kit' }).click();

    // The offline shell: the banner stays; the order's uses left go down after a use.
    await expect(page.getByRole('heading', { name: 'Offline incident console' })).toBeVisible();
    await expect(page.getByTestId('kit-offline-banner')).toContainText('no provider is called');
    const row = page.getByRole('row', { name: /robot uv-002/ });
    await expect(row).toContainText('2 of 2');
    await page.getByRole('button', { name: 'Use order robot uv-002' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason').fill('uv-002 reported stolen');
    await dialog.getByRole('button', { name: 'Use order' }).click();
    await expect(page.getByTestId('kit-order-used')).toContainText('Quarantined in the kit: uv-002');
    await expect(row).toContainText('1 of 2');
    // The order file: written into the kit's orders folder on the laptop, and offered as a download to this browser.
    const [written] = readdirSync(join(kitDir, 'orders'));
    await expect(page.getByTestId('kit-order-used')).toContainText(`Signed order written to ${join(kitDir, 'orders', written!)}`);
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download the order file' }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe(written);
    expect(readFileSync(await download.path())).toEqual(readFileSync(join(kitDir, 'orders', written!)));

    await page.getByRole('tab', { name: 'Robots' }).click();
    await expect(page.getByTestId('kit-robot-status-uv-002')).toHaveText('quarantined');
    await expect(page.getByTestId('kit-robot-status-uv-003')).toHaveText('deployed');

    await page.getByRole('tab', { name: 'Kit audit' }).click();
    await expect(page.getByTestId('kit-chain-state')).toHaveAttribute('data-verified', 'true');
    await expect(page.getByRole('row', { name: /kit\.robot\.quarantine.*uv-002.*success/ })).toBeVisible();

    // Two hours later on the laptop's clock: idle for longer than the idle time, the next action finds the kit locked
    // and the window goes back to the sign-in page, saying why; signed in again, the one-minute order is refused, the
    // refusal recorded.
    ahead += 2 * 3600_000;
    await page.getByRole('tab', { name: 'Orders' }).click();
    await page.getByRole('button', { name: 'Use order robot uv-003' }).click();
    await dialog.getByLabel('Reason').fill('after a long pause');
    await dialog.getByRole('button', { name: 'Use order' }).click();
    await expect(page.getByTestId('kit-locked')).toHaveAttribute('data-locked-by', 'idle');
    await expect(page.getByRole('heading', { name: 'Incident kit: sign in' })).toBeVisible();
    await page.getByLabel('Passphrase').fill(PASS);
    await page.getByRole('button', { name: 'Open the kit' }).click();
    await expect(page.getByRole('heading', { name: 'Offline incident console' })).toBeVisible();
    await page.getByRole('button', { name: 'Use order robot uv-003' }).click();
    await dialog.getByLabel('Reason').fill('too late');
    await dialog.getByRole('button', { name: 'Use order' }).click();
    await expect(dialog.locator('[role="alert"][data-code="illegal_transition"]')).toContainText('expired');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByRole('row', { name: /robot uv-003/ })).toContainText('Expired');
    await page.getByRole('tab', { name: 'Kit audit' }).click();
    await expect(page.getByRole('row', { name: /kit\.order\.use.*failure/ })).toContainText('order_expired');

    // Over the same socket the window uses, a console channel is refused: only the kit's channels are served.
    const refused = await page.evaluate(() => new Promise<unknown>((resolve) => {
      const ws = new WebSocket(`ws://${(globalThis as unknown as { location: { host: string } }).location.host}/ws`);
      ws.onopen = () => ws.send(JSON.stringify({ id: 1, channel: 'keys:list', input: {} }));
      ws.onmessage = (m) => {
        resolve(JSON.parse(String(m.data)));
        ws.close();
      };
    }));
    expect(refused).toMatchObject({ id: 1, envelope: { ok: false, error: { code: 'offline_kit' } } });

    stop('test done');
    expect(await served.done).toBe(0);

    // Back online: the kit imports into the store once, the window's use reconciled.
    const imported = cli(['--data-dir', store, 'kit', 'import', kitDir]);
    expect(await imported.done, imported.err()).toBe(0);
    expect(imported.out()).toMatch(/orders used: robot uv-002 1\/2/);
    expect(imported.out()).toMatch(/quarantined now: uv-002\n/);
    const again = cli(['--data-dir', store, 'kit', 'import', kitDir]);
    expect(await again.done).toBe(1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
