// Electron shell: app lifecycle, the hardened window, the app:// scheme, IPC registration. Everything else lives in
// plain-Node modules (createConsole, the router, the security policies) that the tests, the CLI and the browser
// host share. Bundled to dist-electron/main.cjs by build/bundle-electron.ts.
import { join } from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, session, type WebContents } from 'electron';
import { ERROR_HINTS, isConsoleError } from '../shared/errors.ts';
import { createConsole, type FleetConsole } from './app.ts';
import { APP_FOLDER_NAME, loadConfig } from './config/config.ts';
import { handleAppProtocol, registerAppScheme } from './adapters/appProtocol.ts';
import { safeStorageKeychain } from './adapters/safeStorageKeychain.ts';
import { registerElectronIpc, sendConsoleEvent } from './ipc/electronIpc.ts';
import { createRouter } from './ipc/router.ts';
import { createStderrLogger } from './logger.ts';
import {
  isDeviceAccessAllowed,
  isNavigationAllowed,
  isPermissionCheckGranted,
  isPermissionGranted,
  isWebviewAllowed,
  windowOpenDecision,
} from './security/webContentsPolicy.ts';
import { APP_ORIGIN, APP_START_URL, mainWindowOptions } from './security/windowOptions.ts';

const logger = createStderrLogger('info');
const rendererDir = join(__dirname, '..', 'dist', 'renderer');
const preloadPath = join(__dirname, 'preload.cjs');

// userData = <appData>/ecps-fleet-console: the same folder the CLI and the browser host use by default.
app.setName(APP_FOLDER_NAME);
app.enableSandbox();
registerAppScheme();
if (!app.requestSingleInstanceLock()) app.quit();

function hardenContents(contents: WebContents): void {
  contents.setWindowOpenHandler((details) => windowOpenDecision(details));
  contents.on('will-navigate', (event, url) => {
    if (!isNavigationAllowed(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isNavigationAllowed(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => {
    if (!isWebviewAllowed()) event.preventDefault();
  });
}

app.on('web-contents-created', (_event, contents) => hardenContents(contents));

async function start(): Promise<void> {
  await app.whenReady();
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, permission, callback, details) => callback(isPermissionGranted(permission, details.requestingUrl)));
  ses.setPermissionCheckHandler((_wc, permission, origin) => isPermissionCheckGranted(permission, origin));
  ses.setDevicePermissionHandler(() => isDeviceAccessAllowed());
  ses.on('select-serial-port', (event, _ports, _wc, callback) => {
    event.preventDefault();
    callback('');
  });
  handleAppProtocol(rendererDir);

  const config = loadConfig(process.env);
  const fleet: FleetConsole = await createConsole({
    // ECPS_DATA_DIR, when set, wins (as for the CLI); otherwise Electron's user-data folder.
    dataDir: process.env.ECPS_DATA_DIR ? config.dataDir : app.getPath('userData'),
    logger,
    keychain: safeStorageKeychain(),
    kdf: config.kdf,
  });
  const router = createRouter({ handlers: fleet.handlers, logger });
  let win: BrowserWindow | null = new BrowserWindow(mainWindowOptions(preloadPath, { devTools: !app.isPackaged }));
  const webContentsId = win.webContents.id;

  const unregister = registerElectronIpc({
    ipcMain,
    router,
    trustedWindow: () => (win && !win.isDestroyed() ? { webContentsId, origin: APP_ORIGIN } : null),
  });
  const unsubscribe = fleet.onEvent((event, payload) => sendConsoleEvent(win?.webContents ?? null, event, payload));

  win.once('ready-to-show', () => win?.show());
  win.on('closed', () => {
    win = null;
  });
  app.on('window-all-closed', () => app.quit());
  app.once('will-quit', () => {
    unsubscribe();
    unregister();
    fleet.close();
  });
  await win.loadURL(APP_START_URL);
}

start().catch((e: unknown) => {
  logger.error('console failed to start', { error: e });
  // The officer sees why (store_busy, store_newer, store_corrupt, ...) instead of a window that never opens.
  const detail = isConsoleError(e) ? `${e.message}\n\n${ERROR_HINTS[e.code]}` : 'An unexpected error occurred; the console log has details.';
  dialog.showErrorBox('ECPS-UV Fleet Security Console cannot start', detail);
  app.exit(1);
});
