// Checklist: window options. The window the shell creates gets exactly these webPreferences (a table written out
// here), the renderer runs sandboxed app-wide, and the page comes from app://console.
import { afterEach, describe, expect, it } from 'vitest';
import { secureWebPreferences } from '../../electron/security/windowOptions.ts';
import { startShellKit, type ShellKit } from './shellKit.ts';

/** The hardened preferences, apart from preload and devTools (which depend on the install). */
const HARDENED = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  experimentalFeatures: false,
  navigateOnDragDrop: false,
  safeDialogs: true,
  spellcheck: false,
};

describe('window options', () => {
  let kit: ShellKit | undefined;
  afterEach(() => {
    kit?.close();
    kit = undefined;
  });

  it('the shell creates one window: context isolated, sandboxed, no Node, web security on, hidden until ready', async () => {
    kit = await startShellKit({ isPackaged: true });
    expect(kit.windows).toHaveLength(1);
    const { options } = kit.windows[0]!;
    expect(options.webPreferences).toEqual({ ...HARDENED, preload: kit.preloadPath, devTools: false });
    expect(options.show).toBe(false);
  });

  it('dev tools open only in an unpackaged (development) app', async () => {
    kit = await startShellKit({ isPackaged: false });
    expect(kit.windows[0]!.options.webPreferences).toEqual({ ...HARDENED, preload: kit.preloadPath, devTools: true });
    expect(secureWebPreferences('/p').devTools).toBe(false);
  });

  it('sandboxes every renderer app-wide (app.enableSandbox) before the app is ready', async () => {
    kit = await startShellKit();
    const { calls } = kit.app;
    expect(calls).toContain('enableSandbox');
    expect(calls.indexOf('enableSandbox')).toBeLessThan(calls.indexOf('whenReady'));
  });

  it('loads app://console/index.html and shows the window only once it is ready to show', async () => {
    kit = await startShellKit();
    const win = kit.windows[0]!;
    expect(win.loaded).toEqual(['app://console/index.html']);
    expect(win.shown).toBe(0);
    win.emit('ready-to-show');
    expect(win.shown).toBe(1);
  });

  it('registers app:// before ready as a secure standard origin without CSP bypass or service workers, and serves it after', async () => {
    kit = await startShellKit();
    expect(kit.protocol.privileged).toEqual([
      {
        scheme: 'app',
        privileges: {
          standard: true, secure: true, supportFetchAPI: true, allowServiceWorkers: false, bypassCSP: false, corsEnabled: false, stream: false, codeCache: false,
        },
      },
    ]);
    expect([...kit.protocol.handlers.keys()]).toEqual(['app']);
  });
});
