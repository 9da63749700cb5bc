// Containing a compromised fleet CA from the offline window (docs/incident-kit.md, "Containing a compromised fleet CA
// offline"): a kit exported with `kit export --order distrust-ca:current` through the CLI, `serve --kit DIR`, the
// responder signing in; the order says which fleet CA robots stop trusting and that it is final on robots, its use
// quarantines no robot and writes the signed order file (offered as a download); back online the import says to
// revoke and replace that CA, and the CA is left as it was.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { createConsole } from '../../electron/app.ts';
import { inProcessCli } from './support/inProcessCli.ts';

const TEST_KDF = { N: 1024, r: 8, p: 1 };
const PASS = 'Kit-Distrust-Window 1618';
const ENV = { ECPS_PASSPHRASE: PASS, ECPS_OPERATOR: 'alice', ECPS_KDF_LOG2N: '10' };
const CTX = { transport: 'test' } as const;

const cli = inProcessCli(ENV);

test('the offline window: a distrust order names the fleet CA, warns it is final, quarantines no robot; import says to revoke it', async ({ page }) => {
  const dir = mkdtempSync(join(tmpdir(), 'ecps-e2e-kit-distrust-'));
  const store = join(dir, 'store');
  const kitDir = join(dir, 'kit');
  try {
    // Online: the store, its fleet CA, two robots.
    const c = await createConsole({ dataDir: store, kdf: TEST_KDF, rotation: { scheduler: false } });
    let ca: { id: string; subject: string };
    try {
      await c.handlers['session:init']({ operator: 'alice', passphrase: PASS }, CTX);
      await c.handlers['keys:create']({ type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' }, CTX);
      await c.handlers['ca:init']({ providerId: 'local', algorithm: 'EC_P256', commonName: 'Fleet CA North' }, CTX);
      for (const deviceId of ['uv-002', 'uv-003']) await c.handlers['fleet:create']({ deviceId, name: deviceId, model: 'UV-7', site: 'Plant 1', firmware: '2.1.0', tags: [], status: 'deployed' }, CTX);
      ca = (await c.handlers['ca:history']({}, CTX)).cas[0]!;
    } finally {
      c.close();
    }
    // The kit, through the CLI (one officer on this console: the wide order's approval is waived, audited as such).
    const exported = cli(['--data-dir', store, 'kit', 'export', '--out', kitDir, '--order', 'distrust-ca:current', '--max-uses', '1', '--reason', 'CA readiness']);
    expect(await exported.done, exported.err()).toBe(0);

    let stop: (reason: string) => void = () => undefined;
    const until = new Promise<string>((r) => (stop = r));
    let announce: (url: string) => void = () => undefined;
    const listening = new Promise<string>((r) => (announce = r));
    const served = cli(['serve', '--kit', kitDir], {
      until,
      onOut: (text) => {
        const m = text.match(/OFFLINE.*(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)\n/);
        if (m) announce(m[1]!);
      },
    });
    const url = await Promise.race([listening, served.done.then((code) => { throw new Error(`serve --kit exited ${code}: ${served.err()}`); })]);

    await page.goto(url);
    await expect(page.getByRole('heading', { name: 'Incident kit: sign in' })).toBeVisible();
    await page.getByLabel('Passphrase').fill(PASS);
    await page.getByRole('button', { name: 'Open the kit' }).click();
    await expect(page.getByRole('heading', { name: 'Offline incident console' })).toBeVisible();

    // The order says what it does, plainly.
    const does = `Stops every robot trusting fleet CA ${ca.subject} (${ca.id.slice(0, 8)})`;
    const row = page.getByRole('row', { name: /distrust-ca:current/ });
    await expect(row).toContainText(does);
    await expect(row).toContainText('final on robots');
    await expect(row).toContainText('the whole fleet');
    await expect(row).toContainText('1 of 1');

    await page.getByRole('button', { name: 'Use order distrust-ca:current' }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog).toContainText(does);
    await expect(dialog).toContainText('Final on robots: a robot that takes this order never trusts that CA again');
    await dialog.getByLabel('Reason').fill('the CA key was found on a stolen laptop');
    await dialog.getByRole('button', { name: 'Use order' }).click();
    const done = page.getByTestId('kit-order-used');
    await expect(done).toContainText('No robot quarantined (the CA is compromised, not the robots)');
    await expect(row).toContainText('0 of 1');
    const [written] = readdirSync(join(kitDir, 'orders'));
    await expect(done).toContainText(`Signed order written to ${join(kitDir, 'orders', written!)}`);
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download the order file' }).click();
    expect(readFileSync(await (await downloading).path())).toEqual(readFileSync(join(kitDir, 'orders', written!)));
    // A version 2 order naming the CA's key id (the robots' name for it).
    const body = JSON.parse(Buffer.from((JSON.parse(readFileSync(join(kitDir, 'orders', written!), 'utf8')) as { body: string }).body, 'base64').toString('utf8')) as { v: number; actions: string[]; distrustCas: string[] };
    expect([body.v, body.actions, body.distrustCas.length]).toEqual([2, ['distrust_ca', 'refuse_revoked_peers'], 1]);

    await page.getByRole('tab', { name: 'Robots' }).click();
    await expect(page.getByTestId('kit-robot-status-uv-002')).toHaveText('deployed');
    await expect(page.getByTestId('kit-robot-status-uv-003')).toHaveText('deployed');
    await page.getByRole('tab', { name: 'Kit audit' }).click();
    await expect(page.getByTestId('kit-chain-state')).toHaveAttribute('data-verified', 'true');
    await expect(page.getByRole('row', { name: /kit\.order\.use.*success/ })).toBeVisible();
    await expect(page.getByRole('row', { name: /kit\.robot\.quarantine/ })).toHaveCount(0);

    stop('test done');
    expect(await served.done).toBe(0);

    // Back online: the import names the CA and what to do; the CA is still current (nothing revoked by the import).
    const imported = cli(['--data-dir', store, 'kit', 'import', kitDir]);
    expect(await imported.done, imported.err()).toBe(0);
    expect(imported.out()).toMatch(/quarantined now: none\n/);
    expect(imported.out()).toMatch(new RegExp(`NOTICE: order distrust-ca:current told robots offline to stop trusting fleet CA ${ca.subject.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(${ca.id}\\).*ca:replace.*ca:revoke`));
    const history = cli(['--data-dir', store, 'ca', 'history', '--json']);
    expect(await history.done, history.err()).toBe(0);
    expect((JSON.parse(history.out()) as { cas: Array<{ id: string; state: string }> }).cas.map((x) => [x.id, x.state])).toEqual([[ca.id, 'current']]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
