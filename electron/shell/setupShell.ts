// The Electron shell as a plain function over structural Electron objects: app lifecycle, single instance, the
// hardened window, the app:// scheme, session and web-contents guards, IPC registration. main.ts calls it with
// Electron's real objects; test/security/ calls it with recording fakes and proves every guard is installed.
import { ERROR_HINTS, isConsoleError } from '../../shared/errors.ts';
import { createConsole, type Keychain } from '../app.ts';
import { APP_FOLDER_NAME, loadConfig } from '../config/config.ts';
import { registerElectronIpc, sendConsoleEvent } from '../ipc/electronIpc.ts';
import { createRouter } from '../ipc/router.ts';
import { createKitModeRouter } from '../services/incidentKit/kitModeRouter.ts';
import { resolve } from 'node:path';
import type { Logger } from '../logger.ts';
import { APP_ORIGIN, APP_START_URL, mainWindowOptions } from '../security/windowOptions.ts';
import { handleAppProtocol, registerAppScheme } from './appProtocol.ts';
import { hardenSession, hardenWebContents } from './hardening.ts';
import type { ShellElectron, ShellWindow } from './shellTypes.ts';

export interface ShellOptions {
  electron: ShellElectron;
  /** Folder of the built renderer (dist/renderer), served on app://console/. */
  rendererDir: string;
  /** The bundled preload (dist-electron/preload.cjs). */
  preloadPath: string;
  /** The compliance report's font files (dist-electron/fonts, copied there by build/bundle-electron.ts). */
  reportFontDir?: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  keychain: Keychain;
  /** `--kit DIR` on the command line (kitSwitch): the window runs the offline console on that incident kit, no store. */
  kitDir?: string | null;
}

/** The incident kit folder of `--kit DIR` or `--kit=DIR` in Electron's argv (absolute as given), or null. */
export function kitSwitch(argv: readonly string[]): string | null {
  for (const [i, arg] of argv.entries()) {
    if (arg.startsWith('--kit=') && arg.length > 6) return arg.slice(6);
    if (arg === '--kit' && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) return argv[i + 1]!;
  }
  return null;
}

export interface Shell {
  /** False when another console instance holds the lock: this one quit and started nothing. */
  readonly primary: boolean;
  /** Settles when start-up is over: the window loaded, or the failure shown and app.exit(1) called. */
  readonly started: Promise<void>;
}

export const START_FAILURE_TITLE = 'ECPS-UV Fleet Security Console cannot start';

export function setupShell(options: ShellOptions): Shell {
  const { app, protocol, dialog } = options.electron;
  const { logger } = options;
  // userData = <appData>/ecps-fleet-console: the same folder the CLI and the browser host use by default.
  app.setName(APP_FOLDER_NAME);
  app.enableSandbox();
  registerAppScheme(protocol);
  if (!app.requestSingleInstanceLock()) {
    // Another console owns the store; it raises its own window on 'second-instance'. This process starts nothing.
    app.quit();
    return { primary: false, started: Promise.resolve() };
  }

  let win: ShellWindow | null = null;
  app.on('second-instance', () => {
    if (!win || win.isDestroyed()) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));

  async function start(): Promise<void> {
    const { session, ipcMain, createWindow } = options.electron;
    await app.whenReady();
    hardenSession(session.defaultSession);
    handleAppProtocol(protocol, options.rendererDir);

    if (options.kitDir) {
      await startKitWindow(options.kitDir);
      return;
    }
    const config = loadConfig(options.env);
    const fleet = await createConsole({
      // ECPS_DATA_DIR, when set, wins (as for the CLI); otherwise Electron's user-data folder.
      dataDir: options.env.ECPS_DATA_DIR ? config.dataDir : app.getPath('userData'),
      logger,
      keychain: options.keychain,
      kdf: config.kdf,
      env: options.env,
      // The window's session locks after the idle time without a call (docs/operators.md "Idle lock").
      idleLock: {},
      // The field link starts at each unlock when an officer stored that setting (docs/field-link.md).
      field: { startAtUnlock: true },
      // The audit export is written by this process to the file the officer picks (streamed, any size).
      ...(options.reportFontDir ? { reportFontDir: options.reportFontDir } : {}),
      chooseAuditExportPath: async (suggestedName) => {
        const picked = await dialog.showSaveDialog({
          title: 'Export the audit log',
          defaultPath: suggestedName,
          filters: [{ name: 'JSON Lines', extensions: ['jsonl'] }],
        });
        return picked.canceled || !picked.filePath ? null : picked.filePath;
      },
    });
    const router = createRouter({ handlers: fleet.handlers, access: fleet.access, logger });
    // The OS suspending or the screen locking locks the session at once (audited with the reason).
    const lockFor = (reason: 'suspend' | 'screen_lock') => () => {
      try {
        fleet.idle.lockNow(reason);
      } catch (e) {
        logger.error('locking the session failed', { reason, error: e instanceof Error ? e.name : String(e) });
      }
    };
    options.electron.powerMonitor.on('suspend', lockFor('suspend'));
    options.electron.powerMonitor.on('lock-screen', lockFor('screen_lock'));
    const window = createWindow(mainWindowOptions(options.preloadPath, { devTools: !app.isPackaged }));
    win = window;
    const webContentsId = window.webContents.id;

    const unregister = registerElectronIpc({
      ipcMain,
      router,
      trustedWindow: () => (win && !win.isDestroyed() ? { webContentsId, origin: APP_ORIGIN } : null),
    });
    const unsubscribe = fleet.onEvent((event, payload) => sendConsoleEvent(win?.webContents ?? null, event, payload));

    window.once('ready-to-show', () => win?.show());
    window.on('closed', () => {
      win = null;
    });
    app.on('window-all-closed', () => app.quit());
    app.once('will-quit', () => {
      unsubscribe();
      unregister();
      fleet.close();
    });
    await window.loadURL(APP_START_URL);
  }

  /** The offline console on an incident kit (docs/incident-kit.md): the kit-mode router, no store, no provider, no events. */
  async function startKitWindow(dir: string): Promise<void> {
    const { ipcMain, createWindow } = options.electron;
    // The opened kit locks after the idle time, and at once when the OS suspends or the screen locks.
    const router = createKitModeRouter({ dir: resolve(dir), logger, idleLock: {} });
    options.electron.powerMonitor.on('suspend', () => router.idle?.lockNow('suspend'));
    options.electron.powerMonitor.on('lock-screen', () => router.idle?.lockNow('screen_lock'));
    const window = createWindow(mainWindowOptions(options.preloadPath, { devTools: !app.isPackaged }));
    win = window;
    const webContentsId = window.webContents.id;
    const unregister = registerElectronIpc({ ipcMain, router, trustedWindow: () => (win && !win.isDestroyed() ? { webContentsId, origin: APP_ORIGIN } : null) });
    window.once('ready-to-show', () => win?.show());
    window.on('closed', () => {
      win = null;
    });
    app.on('window-all-closed', () => app.quit());
    app.once('will-quit', () => {
      unregister();
      router.close();
    });
    await window.loadURL(APP_START_URL);
  }

  const started = start().catch((e: unknown) => {
    logger.error('console failed to start', { error: e });
    // The officer sees why (store_busy, store_newer, store_corrupt, ...) instead of a window that never opens.
    const detail = isConsoleError(e) ? `${e.message}\n\n${ERROR_HINTS[e.code]}` : 'An unexpected error occurred; the console log has details.';
    dialog.showErrorBox(START_FAILURE_TITLE, detail);
    app.exit(1);
  });
  return { primary: true, started };
}
