// Checklist: sender validation. The function main.ts uses (isTrustedSender, via registerElectronIpc) accepts
// only the main frame of our window showing app://console.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsole, type FleetConsole } from '../../electron/app.ts';
import { registerElectronIpc, sendConsoleEvent, type IpcMainLike } from '../../electron/ipc/electronIpc.ts';
import { IPC_CALL, IPC_EVENT } from '../../electron/ipc/ipcChannels.ts';
import { createRouter } from '../../electron/ipc/router.ts';
import { isTrustedSender, originOf, type FrameLike, type IpcEventLike } from '../../electron/security/senderPolicy.ts';
import { APP_ORIGIN } from '../../electron/security/windowOptions.ts';
import { FAST_KDF } from './hostKit.ts';
import { startShellKit, type ShellKit } from './shellKit.ts';

const WINDOW_ID = 7;
const trusted = { webContentsId: WINDOW_ID, origin: APP_ORIGIN };

function frame(url: string, parent: FrameLike | null = null): FrameLike {
  return { url, parent };
}

function eventFrom(options: { id?: number; url?: string; subFrame?: boolean; noFrame?: boolean } = {}): IpcEventLike {
  const main = frame(options.url ?? 'app://console/index.html');
  const senderFrame = options.noFrame ? null : options.subFrame ? frame(options.url ?? 'app://console/index.html', main) : main;
  return { senderFrame, sender: { id: options.id ?? WINDOW_ID, mainFrame: main } };
}

describe('sender validation', () => {
  it('accepts the main frame of our window on app://console (any path, query or hash)', () => {
    expect(isTrustedSender(eventFrom(), trusted)).toBe(true);
    expect(isTrustedSender(eventFrom({ url: 'app://console/#/keys?x=1' }), trusted)).toBe(true);
  });

  it('refuses sub-frames, other windows, destroyed frames, foreign origins and a missing window', () => {
    expect(isTrustedSender(eventFrom({ subFrame: true }), trusted)).toBe(false);
    expect(isTrustedSender(eventFrom({ id: WINDOW_ID + 1 }), trusted)).toBe(false);
    expect(isTrustedSender(eventFrom({ noFrame: true }), trusted)).toBe(false);
    for (const url of ['https://evil.example/', 'app://evil/index.html', 'app://console.evil/', 'file:///index.html', 'about:blank', 'data:text/html,x', 'not a url']) {
      expect(isTrustedSender(eventFrom({ url }), trusted), url).toBe(false);
    }
    expect(isTrustedSender(eventFrom(), null)).toBe(false);
  });

  it('refuses a frame that is not the window\'s current main frame, or that has a parent (docs/security.md: main frame, no parent)', () => {
    const main = frame('app://console/index.html');
    // A parentless frame that is no longer (or never was) the main frame, e.g. one replaced by a navigation.
    expect(isTrustedSender({ senderFrame: frame('app://console/index.html'), sender: { id: WINDOW_ID, mainFrame: main } }, trusted)).toBe(false);
    // The main frame object itself, but claiming a parent.
    const nested = frame('app://console/index.html', frame('app://console/outer.html'));
    expect(isTrustedSender({ senderFrame: nested, sender: { id: WINDOW_ID, mainFrame: nested } }, trusted)).toBe(false);
  });

  it('computes the origin of custom-scheme URLs', () => {
    expect(originOf('app://console/index.html')).toBe('app://console');
    expect(originOf('https://a.example:8443/x')).toBe('https://a.example:8443');
    // Where the URL standard defines an origin it is used as is: a blob: URL has its creator's origin.
    expect(originOf('blob:https://a.example/4f1c')).toBe('https://a.example');
    expect(originOf('blob:app://console/4f1c')).toBeNull();
    expect(originOf('about:blank')).toBeNull();
    expect(originOf('::')).toBeNull();
  });

  describe('through the registered IPC handler', () => {
    let dir: string;
    let fleet: FleetConsole;
    let handler: (event: IpcEventLike, ...args: unknown[]) => Promise<unknown>;
    let windowOpen = true;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'ecps-sender-'));
      fleet = await createConsole({ dataDir: dir, kdf: FAST_KDF });
      const registered = new Map<string, (event: IpcEventLike, ...args: unknown[]) => Promise<unknown>>();
      const ipcMain: IpcMainLike = { handle: (ch, fn) => void registered.set(ch, fn), removeHandler: (ch) => void registered.delete(ch) };
      const unregister = registerElectronIpc({ ipcMain, router: createRouter({ handlers: fleet.handlers }), trustedWindow: () => (windowOpen ? trusted : null) });
      expect([...registered.keys()]).toEqual([IPC_CALL]);
      handler = registered.get(IPC_CALL)!;
      unregister();
      expect(registered.size).toBe(0);
    });
    afterAll(() => {
      fleet.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('answers our main frame and refuses a sub-frame with forbidden_sender', async () => {
      expect(await handler(eventFrom(), 'session:status', {})).toMatchObject({ ok: true, value: { state: 'uninitialized' } });
      expect(await handler(eventFrom({ subFrame: true }), 'session:status', {})).toMatchObject({ ok: false, error: { code: 'forbidden_sender' } });
      expect(await handler(eventFrom({ url: 'https://evil.example/' }), 'session:init', { operator: 'x', passphrase: 'y' })).toMatchObject({
        ok: false,
        error: { code: 'forbidden_sender' },
      });
      // the refused init changed nothing
      expect(await handler(eventFrom(), 'session:status', {})).toMatchObject({ ok: true, value: { state: 'uninitialized' } });
    });

    it('refuses every caller once the window is gone', async () => {
      windowOpen = false;
      try {
        expect(await handler(eventFrom(), 'session:status', {})).toMatchObject({ ok: false, error: { code: 'forbidden_sender' } });
      } finally {
        windowOpen = true;
      }
    });
  });

  it('pushes only contract events, and nothing to a destroyed window', () => {
    const sent: unknown[][] = [];
    const target = { destroyed: false, isDestroyed() { return this.destroyed; }, send: (...args: unknown[]) => void sent.push(args) };
    sendConsoleEvent(target, 'keys:changed', { keyId: null });
    sendConsoleEvent(target, 'bogus:event' as 'keys:changed', { keyId: null });
    target.destroyed = true;
    sendConsoleEvent(target, 'keys:changed', { keyId: null });
    sendConsoleEvent(null, 'keys:changed', { keyId: null });
    expect(sent).toEqual([[IPC_EVENT, 'keys:changed', { keyId: null }]]);
  });
});

describe('sender validation as the shell registers it', () => {
  let kit: ShellKit;
  beforeAll(async () => {
    kit = await startShellKit();
  });
  afterAll(() => kit.close());

  const fromContents = (id: number, url = 'app://console/index.html'): IpcEventLike => {
    const main = frame(url);
    return { senderFrame: main, sender: { id, mainFrame: main } };
  };

  it("registers exactly one IPC handler, trusting only the console window's main frame on app://console", async () => {
    expect([...kit.ipcHandlers.keys()]).toEqual([IPC_CALL]);
    const handler = kit.ipcHandlers.get(IPC_CALL)!;
    const windowId = kit.windows[0]!.webContents.id;
    expect(await handler(fromContents(windowId), 'session:status', {})).toMatchObject({ ok: true, value: { state: 'uninitialized' } });
    const other = kit.newWebContents();
    expect(await handler(fromContents(other.id), 'session:status', {})).toMatchObject({ ok: false, error: { code: 'forbidden_sender' } });
    expect(await handler(fromContents(windowId, 'https://evil.example/'), 'session:status', {})).toMatchObject({ ok: false, error: { code: 'forbidden_sender' } });
  });

  it('pushes console events to the window on the event channel', async () => {
    const win = kit.windows[0]!;
    const init = await kit.ipcHandlers.get(IPC_CALL)!(fromContents(win.webContents.id), 'session:init', { operator: 'alice', passphrase: 'correct horse battery' });
    expect(init).toMatchObject({ ok: true, value: { state: 'unlocked' } });
    expect(win.webContents.sent).toContainEqual([IPC_EVENT, 'session:changed', expect.objectContaining({ state: 'unlocked' })]);
    expect(win.webContents.sent.every(([channel]) => channel === IPC_EVENT)).toBe(true);
  });

  it('refuses the window once it is closed, and removes the handler when the app quits', async () => {
    const handler = kit.ipcHandlers.get(IPC_CALL)!;
    const windowId = kit.windows[0]!.webContents.id;
    kit.windows[0]!.close();
    expect(await handler(fromContents(windowId), 'session:status', {})).toMatchObject({ ok: false, error: { code: 'forbidden_sender' } });
    kit.app.emit('will-quit');
    expect(kit.ipcHandlers.size).toBe(0);
  });
});
