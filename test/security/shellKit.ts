// Test kit for the Electron shell: recording stand-ins for app, session, protocol, ipcMain, dialog and BrowserWindow,
// strict where Electron is (session and protocol.handle only after 'ready', scheme privileges only before it), handed
// to the real setupShell with a real console in a temp folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IpcMainLike } from '../../electron/ipc/electronIpc.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import type { IpcEventLike } from '../../electron/security/senderPolicy.ts';
import { setupShell, type Shell } from '../../electron/shell/setupShell.ts';
import type {
  AppRequest,
  MainWindowOptions,
  NavigationEvent,
  ShellApp,
  ShellElectron,
  ShellSession,
  ShellWebContents,
  ShellWindow,
  ShellWindowContents,
} from '../../electron/shell/shellTypes.ts';
import { writeRenderer } from './hostKit.ts';

type Listener = (...args: never[]) => unknown;

/** A tiny event emitter: listeners by name, 'once' removed after the first call. */
class Emitter {
  readonly listeners = new Map<string, Array<{ fn: Listener; once: boolean }>>();
  on(event: string, fn: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), { fn, once: false }]);
    return this;
  }
  once(event: string, fn: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), { fn, once: true }]);
    return this;
  }
  emit(event: string, ...args: unknown[]): number {
    const list = this.listeners.get(event) ?? [];
    this.listeners.set(event, list.filter((l) => !l.once));
    for (const l of list) (l.fn as (...a: unknown[]) => unknown)(...args);
    return list.length;
  }
  count(event: string): number {
    return this.listeners.get(event)?.length ?? 0;
  }
}

/** An event Electron would pass: records whether the listener cancelled it. */
export interface RecordedEvent extends NavigationEvent {
  defaultPrevented: boolean;
}

export function electronEvent(url = ''): RecordedEvent {
  return {
    url,
    defaultPrevented: false,
    preventDefault() {
      this.defaultPrevented = true;
    },
  };
}

let nextContentsId = 1;

export class FakeWebContents extends Emitter implements ShellWebContents, ShellWindowContents {
  readonly id = nextContentsId++;
  windowOpenHandler: ((details: { url: string }) => { action: 'deny' }) | null = null;
  destroyed = false;
  readonly sent: unknown[][] = [];
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void {
    this.windowOpenHandler = handler;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  send(channel: string, ...args: unknown[]): void {
    this.sent.push([channel, ...args]);
  }
  /** Emits a cancellable event (will-navigate, will-attach-webview, ...) and says whether a listener cancelled it. */
  cancels(event: string, url = ''): boolean {
    const e = electronEvent(url);
    this.emit(event, e, url);
    return e.defaultPrevented;
  }
}

export class FakeWindow extends Emitter implements ShellWindow {
  readonly webContents: FakeWebContents;
  minimized = false;
  destroyed = false;
  shown = 0;
  focused = 0;
  restored = 0;
  readonly loaded: string[] = [];
  readonly options: MainWindowOptions;
  private readonly onLoad: () => void;
  constructor(options: MainWindowOptions, contents: FakeWebContents, onLoad: () => void = () => {}) {
    super();
    this.options = options;
    this.webContents = contents;
    this.onLoad = onLoad;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  restore(): void {
    this.restored++;
    this.minimized = false;
  }
  focus(): void {
    this.focused++;
  }
  show(): void {
    this.shown++;
  }
  async loadURL(url: string): Promise<void> {
    this.loaded.push(url);
    this.onLoad();
  }
  /** What Electron does when the user closes the window. */
  close(): void {
    this.destroyed = true;
    this.webContents.destroyed = true;
    this.emit('closed');
  }
}

export class FakeApp extends Emitter implements ShellApp {
  /** Method calls in order, e.g. ['setName', 'enableSandbox', 'requestSingleInstanceLock', 'whenReady', ...]. */
  readonly calls: string[] = [];
  readonly exitCodes: number[] = [];
  name = '';
  ready = false;
  readonly lockGranted: boolean;
  readonly isPackaged: boolean;
  private readonly userData: string;
  constructor(lockGranted: boolean, isPackaged: boolean, userData: string) {
    super();
    this.lockGranted = lockGranted;
    this.isPackaged = isPackaged;
    this.userData = userData;
  }
  setName(name: string): void {
    this.calls.push('setName');
    this.name = name;
  }
  enableSandbox(): void {
    if (this.ready) throw new Error('app.enableSandbox() must be called before the app is ready');
    this.calls.push('enableSandbox');
  }
  requestSingleInstanceLock(): boolean {
    this.calls.push('requestSingleInstanceLock');
    return this.lockGranted;
  }
  quit(): void {
    this.calls.push('quit');
  }
  exit(code: number): void {
    this.calls.push('exit');
    this.exitCodes.push(code);
  }
  async whenReady(): Promise<void> {
    this.calls.push('whenReady');
    this.ready = true;
  }
  getPath(name: 'userData'): string {
    if (name !== 'userData') throw new Error(`unexpected getPath(${String(name)})`);
    return this.userData;
  }
}

export class FakeSession extends Emitter implements ShellSession {
  permissionRequestHandler: Parameters<ShellSession['setPermissionRequestHandler']>[0] | null = null;
  permissionCheckHandler: Parameters<ShellSession['setPermissionCheckHandler']>[0] | null = null;
  devicePermissionHandler: Parameters<ShellSession['setDevicePermissionHandler']>[0] | null = null;
  setPermissionRequestHandler(handler: Parameters<ShellSession['setPermissionRequestHandler']>[0]): void {
    this.permissionRequestHandler = handler;
  }
  setPermissionCheckHandler(handler: Parameters<ShellSession['setPermissionCheckHandler']>[0]): void {
    this.permissionCheckHandler = handler;
  }
  setDevicePermissionHandler(handler: Parameters<ShellSession['setDevicePermissionHandler']>[0]): void {
    this.devicePermissionHandler = handler;
  }
}

export class FakeProtocol {
  readonly privileged: Array<{ scheme: string; privileges: Record<string, boolean> }> = [];
  readonly handlers = new Map<string, (request: AppRequest) => Promise<Response>>();
  private readonly app: FakeApp;
  constructor(app: FakeApp) {
    this.app = app;
  }
  registerSchemesAsPrivileged(schemes: Array<{ scheme: string; privileges: Record<string, boolean> }>): void {
    if (this.app.ready) throw new Error('protocol.registerSchemesAsPrivileged must be called before the app is ready');
    this.privileged.push(...schemes);
  }
  handle(scheme: string, handler: (request: AppRequest) => Promise<Response>): void {
    if (!this.app.ready) throw new Error('protocol.handle can only be used after the app is ready');
    this.handlers.set(scheme, handler);
  }
}

/** The recording stand-ins, wired as Electron wires them; `electron` is what setupShell (or main.cjs) receives. */
export interface ShellFakes {
  app: FakeApp;
  session: FakeSession;
  protocol: FakeProtocol;
  /** ipcMain.handle registrations by channel. */
  ipcHandlers: Map<string, (event: IpcEventLike, ...args: unknown[]) => Promise<unknown>>;
  errorBoxes: Array<{ title: string; content: string }>;
  windows: FakeWindow[];
  /** Electron's powerMonitor: a test emits 'suspend' or 'lock-screen'. */
  powerMonitor: Emitter;
  electron: ShellElectron;
  /** A web contents created after start-up (a devtools view, a future window): app 'web-contents-created'. */
  newWebContents(): FakeWebContents;
  /** Resolves when start-up is visibly over: a window began loading, or an error box was shown. */
  startupOver: Promise<void>;
}

export function createShellFakes(options: { lockGranted?: boolean; isPackaged?: boolean; userData: string }): ShellFakes {
  const app = new FakeApp(options.lockGranted ?? true, options.isPackaged ?? false, options.userData);
  const session = new FakeSession();
  const protocol = new FakeProtocol(app);
  const ipcHandlers: ShellFakes['ipcHandlers'] = new Map();
  const ipcMain: IpcMainLike = { handle: (ch, fn) => void ipcHandlers.set(ch, fn), removeHandler: (ch) => void ipcHandlers.delete(ch) };
  const errorBoxes: ShellFakes['errorBoxes'] = [];
  const windows: FakeWindow[] = [];
  const powerMonitor = new Emitter();
  let over: () => void = () => {};
  const startupOver = new Promise<void>((resolve) => (over = resolve));
  const newWebContents = () => {
    const contents = new FakeWebContents();
    app.emit('web-contents-created', electronEvent(), contents);
    return contents;
  };
  const electron: ShellElectron = {
    app,
    session: {
      get defaultSession() {
        if (!app.ready) throw new Error('Session can only be received when app is ready');
        return session;
      },
    },
    protocol,
    ipcMain,
    powerMonitor,
    dialog: {
      showErrorBox: (title, content) => {
        errorBoxes.push({ title, content });
        over();
      },
      // No test opens the save dialog through the shell: the export's file path is tested on the console (auditExports).
      showSaveDialog: () => Promise.resolve({ canceled: true }),
    },
    createWindow: (windowOptions) => {
      if (!app.ready) throw new Error('Cannot create BrowserWindow before app is ready');
      // Like Electron: the window's web contents is announced by 'web-contents-created' while the window is built.
      const win = new FakeWindow(windowOptions, newWebContents(), over);
      windows.push(win);
      return win;
    },
  };
  return { app, session, protocol, ipcHandlers, errorBoxes, windows, powerMonitor, electron, newWebContents, startupOver };
}

export interface ShellKit extends ShellFakes {
  dir: string;
  userData: string;
  rendererDir: string;
  preloadPath: string;
  logger: ReturnType<typeof createMemoryLogger>;
  shell: Shell;
  /** What Electron does on quit: 'will-quit' (the console closes), then the temp folder is removed. */
  close(): void;
}

export interface ShellKitOptions {
  /** requestSingleInstanceLock's answer (default true: this is the first instance). */
  lockGranted?: boolean;
  isPackaged?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Prepares the folders (e.g. a damaged console.db) before the shell starts. */
  prepare?: (paths: { dir: string; userData: string }) => void;
  /** Start the window on this incident kit folder (`--kit DIR`) instead of a store. */
  kitDir?: string;
}

/** Runs setupShell over the fakes and waits until start-up is over (window loaded, or failure shown). */
export async function startShellKit(options: ShellKitOptions = {}): Promise<ShellKit> {
  const dir = mkdtempSync(join(tmpdir(), 'ecps-shell-'));
  const userData = join(dir, 'userData');
  const rendererDir = join(dir, 'renderer');
  const preloadPath = join(dir, 'preload.cjs');
  writeRenderer(rendererDir);
  options.prepare?.({ dir, userData });
  const fakes = createShellFakes({ userData, ...options });
  const logger = createMemoryLogger();
  const env = options.env ?? { ECPS_KDF_LOG2N: '10' };
  const shell = setupShell({ electron: fakes.electron, rendererDir, preloadPath, env, logger, keychain: unavailableKeychain, kitDir: options.kitDir ?? null });
  await shell.started;
  return {
    ...fakes,
    dir,
    userData,
    rendererDir,
    preloadPath,
    logger,
    shell,
    close() {
      fakes.app.emit('will-quit');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** No OS keychain in tests (as on Linux without a secret service). */
const unavailableKeychain = {
  isAvailable: () => false,
  encrypt: () => {
    throw new Error('no keychain');
  },
  decrypt: () => {
    throw new Error('no keychain');
  },
};
