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

type Envelope = { ok: boolean; value?: unknown; error?: { code: string } };
type AuditPage = { records: Array<{ actor: string; targetId: string | null; details: Record<string, unknown> }> };

/** Starts the app on a fresh data folder, runs `body` with its window, then closes it and removes the folder. */
async function withApp(body: (page: import('@playwright/test').Page, app: import('@playwright/test').ElectronApplication) => Promise<void>): Promise<void> {
  const userData = mkdtempSync(join(tmpdir(), 'ecps-electron-'));
  const app = await electron.launch({
    executablePath: binary!,
    args: [mainBundle],
    env: { ...process.env, ECPS_DATA_DIR: userData, ECPS_KDF_LOG2N: '10' },
  });
  try {
    const page = await app.firstWindow();
    await page.waitForLoadState('domcontentloaded');
    await body(page, app);
  } finally {
    await app.close();
    rmSync(userData, { recursive: true, force: true });
  }
}

test.describe('electron app', () => {
  test.skip(missing !== null, missing ?? '');

  test('two operators in the window: the main process refuses a viewer, a key custodian creates, each audited by name', async () => {
    await withApp(async (page) => {
      // Every call goes through the preload's window.ecps and Electron IPC, as the screens' calls do.
      const call = (channel: string, input: unknown) =>
        page.evaluate(([c, i]) => {
          const [domain, verb] = c.split(':') as [string, string];
          const api = (globalThis as unknown as { ecps: Record<string, Record<string, (x: unknown) => Promise<unknown>>> }).ecps;
          return api[domain]![verb]!(i);
        }, [channel, input] as const) as Promise<Envelope>;
      const pass = (name: string) => `${name} has a long window passphrase`;
      expect(await call('session:init', { operator: 'Ada', passphrase: pass('Ada') })).toMatchObject({ ok: true });
      for (const [name, role] of [['Vic', 'viewer'], ['Kay', 'key_custodian']] as const) {
        expect(await call('operators:add', { name, role, passphrase: pass(name) }), name).toMatchObject({ ok: true });
      }
      expect(await call('session:lock', {})).toMatchObject({ ok: true });
      expect(await call('session:unlock', { operator: 'Vic', passphrase: pass('Vic') })).toMatchObject({ ok: true });
      expect(await call('keys:create', { type: 'storage', label: 'window key' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      expect(await call('session:lock', {})).toMatchObject({ ok: true });
      // Vic's passphrase does not open Kay's slot.
      expect(await call('session:unlock', { operator: 'Kay', passphrase: pass('Vic') })).toMatchObject({ ok: false, error: { code: 'wrong_passphrase' } });
      expect(await call('session:unlock', { operator: 'Kay', passphrase: pass('Kay') })).toMatchObject({ ok: true });
      expect(await call('keys:create', { type: 'storage', label: 'window key' })).toMatchObject({ ok: true });
      const created = (await call('audit:query', { action: 'key.create', limit: 10 })).value as AuditPage;
      expect(created.records.map((r) => r.actor)).toEqual(['Kay']);
      const denied = (await call('audit:query', { action: 'access.denied', limit: 10 })).value as AuditPage;
      expect(denied.records.map((r) => [r.actor, r.targetId, r.details.transport])).toEqual([['Vic', 'keys:create', 'electron']]);
    });
  });

  test('opens one hardened window exposing window.ecps and no Node', async () => {
    await withApp(async (page, app) => {
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
    });
  });
});
