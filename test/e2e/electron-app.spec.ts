// The desktop app itself, launched with Playwright's Electron driver: hardened webPreferences, window.ecps present,
// no require/process in the page. Machines without an Electron binary skip it with one clear line (checked by
// files only: require('electron') would try to download the binary).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';
import { CHANNELS } from '../../shared/contract.ts';

const root = resolve(import.meta.dirname, '..', '..');
const pathFile = join(root, 'node_modules', 'electron', 'path.txt');
const binary = existsSync(pathFile) ? join(root, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim()) : null;
const mainBundle = join(root, 'dist-electron', 'main.cjs');

const missing = !binary || !existsSync(binary)
  ? 'no Electron binary on this machine (node_modules/electron/path.txt or its dist/ binary is missing; Electron downloads its binary on first use)'
  : !existsSync(mainBundle)
    ? 'the app is not built (dist-electron/main.cjs missing; run npm run build)'
    : null;
if (missing) console.log(`SKIPPED electron-app: ${missing}`);

test.describe('electron app', () => {
  test.skip(missing !== null, missing ?? '');

  test('opens one hardened window exposing window.ecps and no Node', async () => {
    const userData = mkdtempSync(join(tmpdir(), 'ecps-electron-'));
    const app = await electron.launch({
      executablePath: binary!,
      args: [mainBundle],
      env: { ...process.env, ECPS_DATA_DIR: userData, ECPS_KDF_LOG2N: '10' },
    });
    try {
      const page = await app.firstWindow();
      await page.waitForLoadState('domcontentloaded');
      expect(page.url()).toBe('app://console/index.html');

      const prefs = await app.evaluate(({ BrowserWindow }) => {
        const wins = BrowserWindow.getAllWindows();
        // getLastWebPreferences is not in Electron's public typings; read it when the runtime has it.
        const wc = wins[0]!.webContents as unknown as { getLastWebPreferences?: () => Record<string, unknown> | null };
        const p = wc.getLastWebPreferences?.() ?? null;
        return { count: wins.length, p: p && { contextIsolation: p.contextIsolation, sandbox: p.sandbox, nodeIntegration: p.nodeIntegration, webSecurity: p.webSecurity, webviewTag: p.webviewTag } };
      });
      expect(prefs.count).toBe(1);
      if (prefs.p) expect(prefs.p).toEqual({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false });

      const globals = await page.evaluate(() => {
        const w = globalThis as unknown as Record<string, unknown> & { open(url: string): unknown };
        const api = w.ecps as Record<string, Record<string, unknown>>;
        return {
          ecps: typeof w.ecps,
          require: typeof w.require,
          process: typeof w.process,
          ipcRenderer: typeof w.ipcRenderer,
          channels: Object.entries(api).flatMap(([d, g]) => (d === 'on' ? [] : Object.keys(g).map((v) => `${d}:${v}`))),
          opened: w.open('https://example.com/') === null,
        };
      });
      expect(globals).toMatchObject({ ecps: 'object', require: 'undefined', process: 'undefined', ipcRenderer: 'undefined', opened: true });
      expect(globals.channels.sort()).toEqual([...CHANNELS].sort());

      const status = await page.evaluate(() => (globalThis as unknown as { ecps: { session: { status(i: object): Promise<unknown> } } }).ecps.session.status({}));
      expect(status).toMatchObject({ ok: true, value: { state: 'uninitialized' } });
      const bad = await page.evaluate(() => (globalThis as unknown as { ecps: { keys: { get(i: object): Promise<unknown> } } }).ecps.keys.get({ keyId: 'x' }));
      expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    } finally {
      await app.close();
      rmSync(userData, { recursive: true, force: true });
    }
  });
});
