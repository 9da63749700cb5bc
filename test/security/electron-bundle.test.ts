// The Electron bundles (npm run build): the preload is one CJS file that needs nothing but 'electron' (sandboxed
// preloads cannot load npm modules or ESM), and run in a VM it exposes exactly window.ecps with the contract's API.
// main.cjs, run with a stand-in 'electron' module, hands Electron's objects to the shell, which installs its guards.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules, createRequire, Module } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext, runInThisContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleElectron } from '../../build/bundle-electron.ts';
import { CHANNELS } from '../../shared/contract.ts';
import { KIT_OFFLINE_CHANNELS } from '../../shared/kitOfflineContract.ts';
import { IPC_CALL } from '../../electron/ipc/ipcChannels.ts';
import { MAIN_EXTERNALS } from '../../build/bundle-electron.ts';
import { createShellFakes } from './shellKit.ts';

// A require call in code; not the text "[require(\"@aws-sdk/signature-v4-crt\");]" inside an AWS SDK error message.
const requiresOf = (code: string) => [...new Set([...code.matchAll(/(?<!\[)\brequire\("([^"]+)"\)/g)].map((m) => m[1]!))].sort();

describe('electron bundles', () => {
  let out: string;
  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'ecps-bundle-'));
    const files = await bundleElectron(out);
    expect(files).toEqual([join(out, 'main.cjs'), join(out, 'preload.cjs')]);
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('bundle the preload as self-contained CJS that requires only electron', () => {
    const code = readFileSync(join(out, 'preload.cjs'), 'utf8');
    expect(requiresOf(code)).toEqual(['electron']);
    expect(code).not.toMatch(/^\s*(import|export)\s/m);
  });

  it('bundle main as CJS requiring only the declared external modules and Node built-ins', () => {
    const code = readFileSync(join(out, 'main.cjs'), 'utf8');
    const allowed = new Set([...MAIN_EXTERNALS, ...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const foreign = requiresOf(code).filter((r) => !allowed.has(r));
    expect(foreign).toEqual([]);
    expect(requiresOf(code)).toContain('electron');
  });

  it('run in a sandbox-like VM, the preload exposes exactly one object, ecps, with the contract API and the offline kit\'s channels', async () => {
    const code = readFileSync(join(out, 'preload.cjs'), 'utf8');
    const exposed = new Map<string, unknown>();
    const invoked: unknown[][] = [];
    const electron = {
      contextBridge: { exposeInMainWorld: (name: string, api: unknown) => exposed.set(name, api) },
      ipcRenderer: {
        invoke: async (...args: unknown[]) => (invoked.push(args), { ok: true, value: 'pong' }),
        on: () => undefined,
        removeListener: () => undefined,
      },
    };
    const requireStub = (name: string) => {
      if (name === 'electron') return electron;
      throw new Error(`preload tried to require ${name}`);
    };
    const module = { exports: {} };
    runInNewContext(code, { require: requireStub, module, exports: module.exports, console });
    expect([...exposed.keys()]).toEqual(['ecps']);
    const api = exposed.get('ecps') as Record<string, Record<string, (i: unknown) => Promise<unknown>>> & { on: unknown };
    const channels = Object.entries(api).flatMap(([d, g]) => (d === 'on' ? [] : Object.keys(g as object).map((v) => `${d}:${v}`)));
    expect(channels.sort()).toEqual([...CHANNELS, ...KIT_OFFLINE_CHANNELS].sort());
    expect(await api.keys!.list!({})).toEqual({ ok: true, value: 'pong' });
    expect(invoked).toEqual([[IPC_CALL, 'keys:list', {}]]);
  });

  it("main.cjs hands Electron's app, session, protocol, ipcMain, dialog, powerMonitor and BrowserWindow to the shell", async () => {
    const userData = join(out, 'userData');
    const fakes = createShellFakes({ userData, isPackaged: true });
    const { app, session, protocol, ipcMain, dialog, powerMonitor, createWindow } = fakes.electron;
    const electron = {
      app,
      session,
      protocol,
      ipcMain,
      dialog,
      powerMonitor,
      // new BrowserWindow(options) returns the recording window.
      BrowserWindow: function BrowserWindow(options: Parameters<typeof createWindow>[0]) {
        return createWindow(options);
      },
      safeStorage: { isEncryptionAvailable: () => false, getSelectedStorageBackend: () => 'basic_text' },
    };
    const file = join(out, 'main.cjs');
    const projectRequire = createRequire(new URL('../../package.json', import.meta.url));
    const requireStub = (name: string) => (name === 'electron' ? electron : projectRequire(name));
    const saved = { ECPS_DATA_DIR: process.env.ECPS_DATA_DIR, ECPS_KDF_LOG2N: process.env.ECPS_KDF_LOG2N };
    delete process.env.ECPS_DATA_DIR;
    process.env.ECPS_KDF_LOG2N = '10';
    try {
      const wrapper = runInThisContext(Module.wrap(readFileSync(file, 'utf8')), { filename: file }) as (...args: unknown[]) => void;
      const module = { exports: {} };
      wrapper(module.exports, requireStub, module, file, out);
      await fakes.startupOver;
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
    try {
      expect(fakes.errorBoxes).toEqual([]);
      expect(fakes.app.calls.slice(0, 4)).toEqual(['setName', 'enableSandbox', 'requestSingleInstanceLock', 'whenReady']);
      expect(fakes.windows).toHaveLength(1);
      const win = fakes.windows[0]!;
      expect(win.options.webPreferences).toMatchObject({ preload: join(out, 'preload.cjs'), contextIsolation: true, sandbox: true, nodeIntegration: false, devTools: false });
      expect(win.loaded).toEqual(['app://console/index.html']);
      expect(win.webContents.windowOpenHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
      expect(win.webContents.cancels('will-navigate', 'https://evil.example/')).toBe(true);
      expect(fakes.session.permissionRequestHandler).not.toBeNull();
      expect([...fakes.protocol.handlers.keys()]).toEqual(['app']);
      expect([...fakes.ipcHandlers.keys()]).toEqual([IPC_CALL]);
      expect(existsSync(join(userData, 'console.db'))).toBe(true);
    } finally {
      fakes.app.emit('will-quit');
    }
  });
});
