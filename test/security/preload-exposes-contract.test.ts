// Checklist: the preload exposes only the contract's channels. preload.ts calls exposePreloadApi(contextBridge,
// ipcRenderer); here it runs over recording stand-ins (electron-bundle.test.ts runs the bundled preload itself).
import { describe, expect, it } from 'vitest';
import { CHANNELS, EVENT_NAMES, buildEnvelopeApi } from '../../shared/contract.ts';
import { KIT_OFFLINE_CHANNELS } from '../../shared/kitOfflineContract.ts';
import { IPC_CALL, IPC_EVENT } from '../../electron/ipc/ipcChannels.ts';
import { createPreloadApi, exposePreloadApi, type IpcRendererLike } from '../../electron/ipc/preloadBridge.ts';

type Listener = (event: unknown, ...args: unknown[]) => void;

function recordingIpc(reply: (channel: string, args: unknown[]) => Promise<unknown> = async () => ({ ok: true, value: 1 })) {
  const invoked: Array<{ channel: string; args: unknown[] }> = [];
  const listeners = new Map<string, Set<Listener>>();
  const ipc: IpcRendererLike = {
    invoke: (channel, ...args) => {
      invoked.push({ channel, args });
      return reply(channel, args);
    },
    on: (channel, l) => (listeners.get(channel) ?? listeners.set(channel, new Set()).get(channel)!).add(l),
    removeListener: (channel, l) => listeners.get(channel)?.delete(l),
  };
  const emit = (channel: string, ...args: unknown[]) => listeners.get(channel)?.forEach((l) => l({ sender: 'ipc' }, ...args));
  return { ipc, invoked, listeners, emit };
}

describe("preload exposes only contract channels (the console's and the offline kit's)", () => {
  it('has one function per contract channel grouped by domain, plus on(), and nothing else', () => {
    const api = createPreloadApi(recordingIpc().ipc) as unknown as Record<string, unknown>;
    const expected = buildEnvelopeApi(async () => ({ ok: true, value: null }), () => () => {}) as unknown as Record<string, unknown>;
    expect(Object.keys(api).sort()).toEqual([...Object.keys(expected), 'kitOffline'].sort());
    const exposed: string[] = [];
    for (const [domain, group] of Object.entries(api)) {
      if (domain === 'on') continue;
      for (const [verb, fn] of Object.entries(group as Record<string, unknown>)) {
        expect(typeof fn).toBe('function');
        exposed.push(`${domain}:${verb}`);
      }
    }
    expect(exposed.sort()).toEqual([...CHANNELS, ...KIT_OFFLINE_CHANNELS].sort());
    expect(typeof api.on).toBe('function');
  });

  it('leaks no ipcRenderer, process or require through any property', () => {
    const { ipc } = recordingIpc();
    const api = createPreloadApi(ipc);
    const seen = new Set<unknown>();
    const walk = (v: unknown) => {
      if (v === null || (typeof v !== 'object' && typeof v !== 'function') || seen.has(v)) return;
      seen.add(v);
      expect(v).not.toBe(ipc);
      expect(v).not.toBe(process);
      for (const key of Object.keys(v as object)) {
        expect(['ipcRenderer', 'process', 'require', 'invoke', 'send']).not.toContain(key);
        walk((v as Record<string, unknown>)[key]);
      }
    };
    walk(api);
  });

  it('sends every call on the one call channel with the contract channel name', async () => {
    const { ipc, invoked } = recordingIpc();
    const api = createPreloadApi(ipc);
    expect(await api.keys.list({})).toEqual({ ok: true, value: 1 });
    await api.session.status({});
    expect(invoked).toEqual([
      { channel: IPC_CALL, args: ['keys:list', {}] },
      { channel: IPC_CALL, args: ['session:status', {}] },
    ]);
  });

  it('turns a failed invoke into an envelope instead of a rejection', async () => {
    const api = createPreloadApi(recordingIpc(async () => { throw new Error('An object could not be cloned.'); }).ipc);
    expect(await api.keys.list({})).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    const junk = createPreloadApi(recordingIpc(async () => 'not an envelope').ipc);
    expect(await junk.keys.list({})).toMatchObject({ ok: false, error: { code: 'internal' } });
  });

  it('delivers only the subscribed contract event, and unsubscribes', () => {
    const { ipc, emit, listeners } = recordingIpc();
    const api = createPreloadApi(ipc);
    const got: unknown[] = [];
    const off = api.on('keys:changed', (p) => got.push(p));
    emit(IPC_EVENT, 'keys:changed', { keyId: null });
    emit(IPC_EVENT, 'audit:appended', { seq: 1 });
    emit(IPC_EVENT, 'evil:event', { x: 1 });
    emit('other-channel', 'keys:changed', { keyId: 'nope' });
    expect(got).toEqual([{ keyId: null }]);
    off();
    emit(IPC_EVENT, 'keys:changed', { keyId: null });
    expect(got).toHaveLength(1);
    expect(listeners.get(IPC_EVENT)?.size).toBe(0);
    expect(() => api.on('evil:event' as 'keys:changed', () => {})).toThrow(TypeError);
    expect(EVENT_NAMES.length).toBeGreaterThan(0);
  });

  it('is what preload.ts exposes (exposePreloadApi), as window.ecps, and nothing more', async () => {
    const exposed: Array<[string, object]> = [];
    const { ipc, invoked } = recordingIpc();
    exposePreloadApi({ exposeInMainWorld: (name, api) => void exposed.push([name, api]) }, ipc);
    expect(exposed.map(([name]) => name)).toEqual(['ecps']);
    const api = exposed[0]![1] as ReturnType<typeof createPreloadApi>;
    expect(Object.keys(api).sort()).toEqual(Object.keys(createPreloadApi(ipc)).sort());
    await api.keys.list({});
    expect(invoked).toEqual([{ channel: IPC_CALL, args: ['keys:list', {}] }]);
  });
});
