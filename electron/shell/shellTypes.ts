// The parts of Electron's API the shell uses, as structural types. main.ts hands in the real objects (tsc checks them
// against these shapes there); the security tests hand in recording fakes. No 'electron' import here, not even types.
import type { IpcMainLike } from '../ipc/electronIpc.ts';
import type { mainWindowOptions } from '../security/windowOptions.ts';

/** Any Electron event that can be cancelled. */
export interface PreventableEvent {
  preventDefault(): void;
}

/** will-navigate / will-redirect / will-frame-navigate carry the target in event.url (the url argument is deprecated). */
export interface NavigationEvent extends PreventableEvent {
  readonly url: string;
}

export interface ShellWebContents {
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
  on(event: 'will-navigate', listener: (event: NavigationEvent) => void): unknown;
  on(event: 'will-redirect', listener: (event: NavigationEvent) => void): unknown;
  on(event: 'will-frame-navigate', listener: (event: NavigationEvent) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: PreventableEvent) => void): unknown;
}

/** The console window's own contents: an IPC sender id and a target for pushed events. */
export interface ShellWindowContents {
  readonly id: number;
  isDestroyed(): boolean;
  send(channel: string, ...args: unknown[]): void;
}

export interface ShellWindow {
  readonly webContents: ShellWindowContents;
  isDestroyed(): boolean;
  isMinimized(): boolean;
  restore(): void;
  focus(): void;
  show(): void;
  once(event: 'ready-to-show', listener: () => void): unknown;
  on(event: 'closed', listener: () => void): unknown;
  loadURL(url: string): Promise<void>;
}

export type MainWindowOptions = ReturnType<typeof mainWindowOptions>;

export interface ShellApp {
  readonly isPackaged: boolean;
  setName(name: string): void;
  enableSandbox(): void;
  requestSingleInstanceLock(): boolean;
  quit(): void;
  exit(code: number): void;
  whenReady(): Promise<unknown>;
  getPath(name: 'userData'): string;
  on(event: 'second-instance', listener: () => void): unknown;
  on(event: 'web-contents-created', listener: (event: unknown, contents: ShellWebContents) => void): unknown;
  on(event: 'window-all-closed', listener: () => void): unknown;
  once(event: 'will-quit', listener: () => void): unknown;
}

export interface ShellSession {
  setPermissionRequestHandler(
    handler: (webContents: unknown, permission: string, callback: (granted: boolean) => void, details: { requestingUrl: string }) => void,
  ): void;
  setPermissionCheckHandler(handler: (webContents: unknown, permission: string, requestingOrigin: string) => boolean): void;
  setDevicePermissionHandler(handler: (details: unknown) => boolean): void;
  on(event: 'select-serial-port', listener: (event: PreventableEvent, ports: unknown, webContents: unknown, callback: (portId: string) => void) => void): unknown;
  on(event: 'select-hid-device', listener: (event: PreventableEvent, details: unknown, callback: (deviceId?: string | null) => void) => void): unknown;
  on(event: 'select-usb-device', listener: (event: PreventableEvent, details: unknown, callback: (deviceId?: string) => void) => void): unknown;
}

/** What protocol.handle passes: the shell reads only the URL and the method. */
export interface AppRequest {
  readonly url: string;
  readonly method: string;
}

export interface ShellProtocol {
  registerSchemesAsPrivileged(schemes: Array<{ scheme: string; privileges: Record<string, boolean> }>): void;
  handle(scheme: string, handler: (request: AppRequest) => Promise<Response>): void;
}

/** Everything the shell takes from Electron. */
export interface ShellElectron {
  app: ShellApp;
  /** Electron's session module; defaultSession is read only after app 'ready'. */
  session: { readonly defaultSession: ShellSession };
  protocol: ShellProtocol;
  ipcMain: IpcMainLike;
  dialog: {
    showErrorBox(title: string, content: string): void;
    /** Where to save a file (the audit export); canceled when the officer closed the dialog. */
    showSaveDialog(options: { title: string; defaultPath: string; filters: Array<{ name: string; extensions: string[] }> }): Promise<{ canceled: boolean; filePath?: string }>;
  };
  /** new BrowserWindow(options). */
  createWindow(options: MainWindowOptions): ShellWindow;
  /** The OS going to sleep or the screen locking: the console locks its session (docs/operators.md "Idle lock"). */
  powerMonitor: ShellPowerMonitor;
}

export interface ShellPowerMonitor {
  on(event: 'suspend' | 'lock-screen', listener: () => void): unknown;
}
