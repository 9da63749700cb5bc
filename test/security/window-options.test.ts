// Checklist: window options. The BrowserWindow main.ts creates gets exactly these webPreferences.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { APP_ORIGIN, APP_SCHEME_PRIVILEGES, APP_START_URL, mainWindowOptions, secureWebPreferences } from '../../electron/security/windowOptions.ts';

describe('window options', () => {
  it('isolate the context, sandbox the renderer, keep Node out and web security on', () => {
    const prefs = secureWebPreferences('/app/preload.cjs');
    expect(prefs).toMatchObject({
      preload: '/app/preload.cjs',
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
    });
  });

  it('close dev tools unless asked for (main.ts asks only when the app is not packaged)', () => {
    expect(secureWebPreferences('/p').devTools).toBe(false);
    expect(mainWindowOptions('/p').webPreferences.devTools).toBe(false);
    expect(mainWindowOptions('/p', { devTools: true }).webPreferences.devTools).toBe(true);
  });

  it('are what main.ts actually passes to BrowserWindow, loading app://console', () => {
    const main = readFileSync(new URL('../../electron/main.ts', import.meta.url), 'utf8');
    expect(main).toMatch(/new BrowserWindow\(mainWindowOptions\(preloadPath/);
    expect(main).not.toMatch(/nodeIntegration|contextIsolation|sandbox:\s*false|webSecurity/);
    expect(main).toContain('app.enableSandbox()');
    expect(APP_ORIGIN).toBe('app://console');
    expect(APP_START_URL).toBe('app://console/index.html');
  });

  it('give the app:// scheme a secure standard origin without bypassing CSP or service workers', () => {
    expect(APP_SCHEME_PRIVILEGES).toMatchObject({ standard: true, secure: true, bypassCSP: false, allowServiceWorkers: false, corsEnabled: false });
  });
});
