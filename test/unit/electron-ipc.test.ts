// The router mounted on Electron IPC (docs/ipc-contract.md): exactly one ipcMain.handle('ecps:call', (event, channel,
// input)), registered only here, removed by the function it returns; the sender is checked per call against the
// window we trust (docs/security.md, sender validation), the transport is 'electron'; bytes cross by structured clone:
// every reply array that is a view into a larger buffer is copied into its own buffer first, and the call's own
// deserialized copy is zeroed once answered, whatever the answer. Events go to the window on 'ecps:event' as
// (name, payload), contract event names only, never to a destroyed window.
// The router is the real one; its handlers here stand in for the key service and do real AES-256-GCM with Node's
// crypto, returning a Buffer from Node's shared pool as the service does. Electron's structured clone is V8's
// serializer (node:v8), as in test/security/ipc-bytes-structured-clone.test.ts.
import { createCipheriv, randomBytes } from 'node:crypto';
import v8 from 'node:v8';
import { describe, expect, it, vi } from 'vitest';
import type { CallContext, ChannelName, Handlers } from '../../shared/contract.ts';
import { registerElectronIpc, sendConsoleEvent, type IpcMainLike } from '../../electron/ipc/electronIpc.ts';
import { createRouter } from '../../electron/ipc/router.ts';
import type { IpcEventLike, TrustedWindow } from '../../electron/security/senderPolicy.ts';

/** docs/ipc-contract.md */
const CALL_CHANNEL = 'ecps:call';
const EVENT_CHANNEL = 'ecps:event';
const ORIGIN = 'app://console';
const WINDOW_ID = 3;
const KEY_ID = '0b7c2a52-3f1e-4c1a-9a57-3c7f2b8e4d10';
const NEIGHBOUR = 'Pool-Neighbour-Marker-51c0';

type Listener = (event: IpcEventLike, ...args: unknown[]) => Promise<unknown>;

const fromWindow = (id = WINDOW_ID, url = `${ORIGIN}/index.html`): IpcEventLike => {
  const main = { url, parent: null };
  return { senderFrame: main, sender: { id, mainFrame: main } };
};
const clone = <T>(value: T): T => {
  const s = new v8.Serializer();
  s.writeHeader();
  s.writeValue(value);
  const d = new v8.Deserializer(s.releaseBuffer());
  d.readHeader();
  return d.readValue() as T;
};
const wire = (value: unknown): Buffer => {
  const s = new v8.Serializer();
  s.writeHeader();
  s.writeValue(value);
  return s.releaseBuffer();
};

function mount(options: { window?: () => TrustedWindow | null } = {}) {
  const registered = new Map<string, Listener>();
  const calls: Array<{ method: string; channel: string }> = [];
  const ipcMain: IpcMainLike = {
    handle: (channel, fn) => {
      calls.push({ method: 'handle', channel });
      registered.set(channel, fn);
    },
    removeHandler: (channel) => {
      calls.push({ method: 'removeHandler', channel });
      registered.delete(channel);
    },
  };
  const seen: Array<{ channel: string; transport: string; plaintext: number[] }> = [];
  const key = randomBytes(32);
  const handlers = {
    'keys:encrypt': async (input: { plaintext: Uint8Array }, ctx: CallContext) => {
      seen.push({ channel: 'keys:encrypt', transport: ctx.transport, plaintext: [...input.plaintext] });
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      // Buffer.concat of a small result comes from Node's shared pool, next to other data of the process.
      const ciphertext = Buffer.concat([iv, c.update(input.plaintext), c.final(), c.getAuthTag()]);
      return { ciphertext, keyId: KEY_ID, version: 1 };
    },
    'keys:sign': async (input: { data: Uint8Array }, ctx: CallContext) => {
      seen.push({ channel: 'keys:sign', transport: ctx.transport, plaintext: [...input.data] });
      throw new Error('the provider failed');
    },
  } as unknown as Partial<Handlers>;
  const router = createRouter({
    handlers: new Proxy(handlers, {
      get: (target, name: string) => target[name as ChannelName] ?? (async () => { throw new Error(`handler ${name} must not run`); }),
    }) as Handlers,
  });
  const unregister = registerElectronIpc({ ipcMain, router, trustedWindow: options.window ?? (() => ({ webContentsId: WINDOW_ID, origin: ORIGIN })) });
  const listener = registered.get(CALL_CHANNEL);
  return { registered, calls, listener: listener!, unregister, seen };
}

/** One call as Electron makes it: arguments cloned in, the reply cloned out (its wire bytes kept). */
async function invoke(listener: Listener, event: IpcEventLike, channel: string, input: unknown) {
  const [ch, copy] = clone([channel, input] as const);
  const reply = await listener(event, ch, copy);
  return { reply: clone(reply) as { ok: boolean; value?: Record<string, unknown>; error?: { code: string } }, replyWire: wire(reply), raw: reply as { ok: boolean; value?: Record<string, unknown> }, copy: copy as Record<string, Uint8Array> };
}

describe('registerElectronIpc', () => {
  it('registers exactly one handler, on ecps:call; the returned function removes it', () => {
    const m = mount();
    expect(m.calls).toEqual([{ method: 'handle', channel: CALL_CHANNEL }]);
    expect([...m.registered.keys()]).toEqual([CALL_CHANNEL]);
    m.unregister();
    expect(m.calls.at(-1)).toEqual({ method: 'removeHandler', channel: CALL_CHANNEL });
    expect(m.registered.size).toBe(0);
  });

  it('answers our window with the transport "electron"; a reply array carries only its own bytes', async () => {
    const m = mount();
    const neighbour = Buffer.from(NEIGHBOUR); // in the shared pool, beside what the handler allocates
    const plaintext = new TextEncoder().encode('move to dock 7');
    const got = await invoke(m.listener, fromWindow(), 'keys:encrypt', { keyId: KEY_ID, plaintext });
    expect(got.reply.ok).toBe(true);
    expect(m.seen).toEqual([{ channel: 'keys:encrypt', transport: 'electron', plaintext: [...plaintext] }]);
    const ciphertext = got.raw.value!.ciphertext as Uint8Array;
    expect(ciphertext.byteOffset).toBe(0);
    expect(ciphertext.buffer.byteLength).toBe(12 + plaintext.length + 16);
    expect(got.replyWire.toString('latin1')).not.toContain(NEIGHBOUR);
    expect((got.reply.value!.ciphertext as Uint8Array).byteLength).toBe(12 + plaintext.length + 16);
    expect(neighbour.toString()).toBe(NEIGHBOUR);
  });

  it('zeroes the call\'s own copy of the input once answered, then releases its memory: on success, on refusal and on failure', async () => {
    const m = mount({ window: () => ({ webContentsId: WINDOW_ID, origin: ORIGIN }) });
    const secret = () => new TextEncoder().encode('secret plaintext');
    // What each released buffer held when it was released (ArrayBuffer.prototype.transfer, watched, not replaced):
    // released memory is not wiped, so it must be zeros by then.
    const atRelease: number[][] = [];
    const proto = ArrayBuffer.prototype as ArrayBuffer & { transfer(n?: number): ArrayBuffer };
    const original = proto.transfer;
    const transfer = vi.spyOn(proto, 'transfer').mockImplementation(function (this: ArrayBuffer, n?: number) {
      atRelease.push([...new Uint8Array(this)]);
      return original.call(this, n);
    });
    const wipedAndReleased = (b: Uint8Array) => {
      const seen = atRelease.splice(0);
      return b.byteLength === 0 && seen.length === 1 && seen[0]!.length === secret().length && seen[0]!.every((x) => x === 0);
    };
    try {
      const ok = await invoke(m.listener, fromWindow(), 'keys:encrypt', { keyId: KEY_ID, plaintext: secret() });
      expect(ok.reply.ok).toBe(true);
      expect(m.seen[0]!.plaintext).toEqual([...secret()]); // the handler saw the bytes before they were wiped
      expect(wipedAndReleased(ok.copy.plaintext!)).toBe(true);
      // refused by the contract (a field it does not have): still wiped
      const refused = await invoke(m.listener, fromWindow(), 'keys:encrypt', { keyId: KEY_ID, plaintext: secret(), extra: 1 });
      expect(refused.reply.error?.code).toBe('invalid_input');
      expect(wipedAndReleased(refused.copy.plaintext!)).toBe(true);
      // refused sender: still wiped
      const foreign = await invoke(m.listener, fromWindow(WINDOW_ID + 1), 'keys:encrypt', { keyId: KEY_ID, plaintext: secret() });
      expect(foreign.reply.error?.code).toBe('forbidden_sender');
      expect(wipedAndReleased(foreign.copy.plaintext!)).toBe(true);
      // the handler failed: internal, still wiped
      const failed = await invoke(m.listener, fromWindow(), 'keys:sign', { keyId: KEY_ID, data: secret() });
      expect(failed.reply.error?.code).toBe('internal');
      expect(wipedAndReleased(failed.copy.data!)).toBe(true);
    } finally {
      transfer.mockRestore();
    }
    expect(m.seen.map((s) => s.channel)).toEqual(['keys:encrypt', 'keys:sign']);
  });

  it('checks the sender per call against the trusted window of that moment', async () => {
    let window: TrustedWindow | null = null;
    const m = mount({ window: () => window });
    const call = async (event: IpcEventLike) => (await invoke(m.listener, event, 'keys:encrypt', { keyId: KEY_ID, plaintext: Uint8Array.from([1]) })).reply;
    expect((await call(fromWindow())).error?.code).toBe('forbidden_sender'); // no window yet
    window = { webContentsId: WINDOW_ID, origin: ORIGIN };
    expect((await call(fromWindow())).ok).toBe(true);
    expect((await call(fromWindow(WINDOW_ID, 'https://evil.example/'))).error?.code).toBe('forbidden_sender');
    expect((await call(fromWindow(WINDOW_ID + 1))).error?.code).toBe('forbidden_sender');
    window = null; // closed
    expect((await call(fromWindow())).error?.code).toBe('forbidden_sender');
    expect(m.seen).toHaveLength(1);
  });
});

describe('sendConsoleEvent', () => {
  const target = () => {
    const sent: unknown[][] = [];
    return { sent, destroyed: false, isDestroyed() { return this.destroyed; }, send: (...args: unknown[]) => void sent.push(args) };
  };
  it('sends a contract event as (name, payload) on ecps:event', () => {
    const t = target();
    sendConsoleEvent(t, 'keys:changed', { keyId: KEY_ID });
    expect(t.sent).toEqual([[EVENT_CHANNEL, 'keys:changed', { keyId: KEY_ID }]]);
  });
  it('sends nothing for a name outside the contract, to a destroyed window or to none', () => {
    const t = target();
    sendConsoleEvent(t, 'keys:deleted' as 'keys:changed', { keyId: null });
    sendConsoleEvent(t, '__proto__' as 'keys:changed', { keyId: null });
    t.destroyed = true;
    sendConsoleEvent(t, 'keys:changed', { keyId: null });
    expect(() => sendConsoleEvent(null, 'keys:changed', { keyId: null })).not.toThrow();
    expect(t.sent).toEqual([]);
  });
});
