// Checklist: single instance. A second console process quits before it starts anything (no store opened, no window,
// no IPC), and the first raises its window when the second is launched.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startShellKit, type ShellKit } from './shellKit.ts';

describe('single instance', () => {
  let kit: ShellKit | undefined;
  afterEach(() => {
    kit?.close();
    kit = undefined;
  });

  it('a second instance quits and returns without starting: no ready wait, store, window or IPC handler', async () => {
    kit = await startShellKit({ lockGranted: false });
    expect(kit.shell.primary).toBe(false);
    expect(kit.app.calls).toContain('quit');
    expect(kit.app.calls).not.toContain('whenReady');
    expect(kit.windows).toEqual([]);
    expect(kit.ipcHandlers.size).toBe(0);
    expect(existsSync(join(kit.userData, 'console.db'))).toBe(false);
    expect(kit.app.count('second-instance')).toBe(0);
  });

  it('the first instance asks for the lock and starts', async () => {
    kit = await startShellKit();
    expect(kit.shell.primary).toBe(true);
    expect(kit.app.calls).toContain('requestSingleInstanceLock');
    expect(kit.app.calls).not.toContain('quit');
    expect(kit.windows).toHaveLength(1);
    expect(existsSync(join(kit.userData, 'console.db'))).toBe(true);
  });

  it('the first instance restores its minimized window and focuses it when a second one is launched', async () => {
    kit = await startShellKit();
    const win = kit.windows[0]!;
    win.minimized = true;
    kit.app.emit('second-instance', {}, ['ecps'], '/');
    expect([win.restored, win.focused, win.minimized]).toEqual([1, 1, false]);
    kit.app.emit('second-instance', {}, ['ecps'], '/');
    expect([win.restored, win.focused]).toEqual([1, 2]);
  });

  it('a second launch after the window closed touches no destroyed window', async () => {
    kit = await startShellKit();
    const win = kit.windows[0]!;
    win.close();
    expect(() => kit!.app.emit('second-instance', {}, ['ecps'], '/')).not.toThrow();
    expect(win.focused).toBe(0);
  });
});
