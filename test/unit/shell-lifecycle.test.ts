// The Electron shell's lifecycle, run with the recording stand-ins of test/security/shellKit.ts: where the store is
// opened, what the officer sees when start-up fails, and that quitting releases the store.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStoreDatabase } from '../../electron/store/database.ts';
import { START_FAILURE_TITLE } from '../../electron/shell/setupShell.ts';
import { IPC_CALL } from '../../electron/ipc/ipcChannels.ts';
import { startShellKit, type ShellKit } from '../security/shellKit.ts';

describe('Electron shell lifecycle', () => {
  let kit: ShellKit | undefined;
  afterEach(() => {
    kit?.close();
    kit = undefined;
  });

  it("opens the store in Electron's user-data folder when ECPS_DATA_DIR is not set", async () => {
    kit = await startShellKit();
    expect(existsSync(join(kit.userData, 'console.db'))).toBe(true);
    expect(kit.app.name).toBe('ecps-fleet-console');
  });

  it('opens the store in ECPS_DATA_DIR when it is set (as the CLI does)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ecps-shell-data-'));
    try {
      kit = await startShellKit({ env: { ECPS_KDF_LOG2N: '10', ECPS_DATA_DIR: dataDir } });
      expect(existsSync(join(dataDir, 'console.db'))).toBe(true);
      expect(existsSync(join(kit.userData, 'console.db'))).toBe(false);
    } finally {
      kit?.close();
      kit = undefined;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('shows why start-up failed (a damaged store), with what to do, exits 1 and opens no window', async () => {
    kit = await startShellKit({
      prepare: ({ userData }) => {
        mkdirSync(userData, { recursive: true });
        writeFileSync(join(userData, 'console.db'), 'this is not a database');
      },
    });
    expect(kit.errorBoxes).toHaveLength(1);
    expect(kit.errorBoxes[0]!.title).toBe(START_FAILURE_TITLE);
    expect(kit.errorBoxes[0]!.content).toContain('is not a console database; it was left untouched.');
    expect(kit.errorBoxes[0]!.content).toContain('restore it from backup');
    expect(kit.app.exitCodes).toEqual([1]);
    expect(kit.windows).toEqual([]);
    expect(kit.logger.entries.map((e) => e.message)).toContain('console failed to start');
  });

  it('a bad configuration variable is shown too, not swallowed', async () => {
    kit = await startShellKit({ env: { ECPS_KDF_LOG2N: 'lots' } });
    expect(kit.errorBoxes[0]!.content).toContain('ECPS_KDF_LOG2N must be a whole number');
    expect(kit.app.exitCodes).toEqual([1]);
  });

  it('quits when the last window closes, and releases the store on will-quit', async () => {
    kit = await startShellKit();
    kit.windows[0]!.close();
    kit.app.emit('window-all-closed');
    expect(kit.app.calls.at(-1)).toBe('quit');
    // Still held until will-quit: a second open is refused.
    expect(() => openStoreDatabase(kit!.userData, () => 'now')).toThrow(/in use by another console/);
    kit.app.emit('will-quit');
    openStoreDatabase(kit.userData, () => 'now').close();
  });

  it("locks the session when the OS suspends or the screen locks, each audited as session.lock with its reason", async () => {
    kit = await startShellKit();
    const main = { url: 'app://console/index.html', parent: null };
    const fromWindow = { senderFrame: main, sender: { id: kit.windows[0]!.webContents.id, mainFrame: main } };
    const call = (channel: string, input: unknown) => kit!.ipcHandlers.get(IPC_CALL)!(fromWindow, channel, input) as Promise<{ ok: boolean; value?: { state?: string } }>;
    const passphrase = 'correct horse battery';
    expect(await call('session:init', { operator: 'alice', passphrase })).toMatchObject({ ok: true, value: { state: 'unlocked' } });
    const locks: unknown[] = [];
    for (const [event, reason] of [['suspend', 'suspend'], ['lock-screen', 'screen_lock']] as const) {
      expect(kit.powerMonitor.emit(event)).toBe(1);
      expect(await call('session:status', {})).toMatchObject({ ok: true, value: { state: 'locked' } });
      locks.push(reason);
      expect(await call('session:unlock', { operator: 'alice', passphrase })).toMatchObject({ ok: true, value: { state: 'unlocked' } });
    }
    // While locked, another suspend has nothing to lock (and records nothing).
    kit.powerMonitor.emit('suspend');
    kit.powerMonitor.emit('suspend');
    expect(await call('session:unlock', { operator: 'alice', passphrase })).toMatchObject({ ok: true });
    const records = (await call('audit:query', { action: 'session.lock', limit: 10 })) as { value?: { records: Array<{ details: { reason?: string } }> } };
    expect(records.value!.records.map((r) => r.details.reason).reverse()).toEqual([...locks, 'suspend']);
  });
});
