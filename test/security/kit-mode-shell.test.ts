// The Electron window started with --kit DIR (electron/shell/setupShell.ts, docs/incident-kit.md): the one IPC handler
// is answered by the kit-mode router, so the offline console's channels are served, every console channel is refused
// with offline_kit, only our window's main frame is trusted, and no store is created in the user-data folder.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IPC_CALL } from '../../electron/ipc/ipcChannels.ts';
import type { IpcEventLike } from '../../electron/security/senderPolicy.ts';
import { kitSwitch } from '../../electron/shell/setupShell.ts';
import { startShellKit, type ShellKit } from './shellKit.ts';

const fromContents = (id: number, url = 'app://console/index.html'): IpcEventLike => {
  const main = { url, parent: null };
  return { senderFrame: main, sender: { id, mainFrame: main } };
};

describe('the --kit switch', () => {
  it('names the kit folder as --kit DIR or --kit=DIR, and nothing else', () => {
    const TABLE: Array<[string[], string | null]> = [
      [['electron', 'main.cjs', '--kit', '/media/usb/kit'], '/media/usb/kit'],
      [['electron', 'main.cjs', '--kit=/media/usb/kit'], '/media/usb/kit'],
      [['electron', 'main.cjs', '--kit'], null],
      [['electron', 'main.cjs', '--kit', '--other'], null],
      [['electron', 'main.cjs', '--kit='], null],
      [['electron', 'main.cjs', '--kitchen', '/x'], null],
      [['electron', 'main.cjs'], null],
    ];
    for (const [argv, dir] of TABLE) expect(kitSwitch(argv), argv.join(' ')).toBe(dir);
  });
});

describe('the window in kit mode', () => {
  let kit: ShellKit;
  const kitDir = mkdtempSync(join(tmpdir(), 'ecps-kit-shell-'));
  beforeAll(async () => {
    kit = await startShellKit({ kitDir });
  });
  afterAll(() => {
    kit.close();
    rmSync(kitDir, { recursive: true, force: true });
  });

  it('serves the kit channels, refuses the console channels, trusts only our window and opens no store', async () => {
    expect([...kit.ipcHandlers.keys()]).toEqual([IPC_CALL]);
    const handler = kit.ipcHandlers.get(IPC_CALL)!;
    const windowId = kit.windows[0]!.webContents.id;
    // An empty folder: kit mode, offline, no manifest (the sign-in page says why).
    expect(await handler(fromContents(windowId), 'kitOffline:status', {})).toMatchObject({ ok: true, value: { kitMode: true, offline: true, providers: 'none', signedIn: false, manifest: null, problem: { code: 'not_found' } } });
    expect(await handler(fromContents(windowId), 'keys:list', {})).toMatchObject({ ok: false, error: { code: 'offline_kit' } });
    expect(await handler(fromContents(windowId), 'session:status', {})).toMatchObject({ ok: false, error: { code: 'offline_kit' } });
    expect(await handler(fromContents(kit.newWebContents().id), 'kitOffline:status', {})).toMatchObject({ ok: false, error: { code: 'forbidden_sender' } });
    expect(existsSync(join(kit.userData, 'console.db'))).toBe(false);
  });

  it('the OS suspending or the screen locking reaches the kit-mode router (it locks an opened kit, kit-mode-router.test.ts)', async () => {
    const handler = kit.ipcHandlers.get(IPC_CALL)!;
    for (const event of ['suspend', 'lock-screen']) expect(kit.powerMonitor.emit(event), event).toBe(1);
    // Nothing was open: nothing locked, and the sign-in page's status still answers.
    expect(await handler(fromContents(kit.windows[0]!.webContents.id), 'kitOffline:status', {})).toMatchObject({ ok: true, value: { signedIn: false, lockedBy: null } });
  });
});
