// Electron shell: hands Electron's objects to setupShell (electron/shell/setupShell.ts), where the lifecycle and every
// guard live as plain code the security tests run with fakes. Bundled to dist-electron/main.cjs by build/bundle-electron.ts.
import { join } from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, powerMonitor, protocol, session } from 'electron';
import { safeStorageKeychain } from './adapters/safeStorageKeychain.ts';
import { createStderrLogger } from './logger.ts';
import { BUNDLED_FONT_FOLDER } from './services/report/reportFonts.ts';
import { kitSwitch, setupShell } from './shell/setupShell.ts';

setupShell({
  electron: { app, session, protocol, ipcMain, dialog, powerMonitor, createWindow: (options) => new BrowserWindow(options) },
  rendererDir: join(__dirname, '..', 'dist', 'renderer'),
  preloadPath: join(__dirname, 'preload.cjs'),
  reportFontDir: join(__dirname, BUNDLED_FONT_FOLDER),
  env: process.env,
  logger: createStderrLogger('info'),
  keychain: safeStorageKeychain(),
  kitDir: kitSwitch(process.argv),
});
