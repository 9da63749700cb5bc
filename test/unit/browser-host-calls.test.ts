// The browser host's control messages and call ids in this process (issue 15; docs/ui.md "Liveness" and "Calls in
// flight at a drop"; the message shapes in electron/host/socketProtocol.ts's header): ping/pong, a window naming itself
// with hello, the outcomes question, the refusal of an id used twice. Each test starts its own host on a real console
// (SQLite, real sockets on 127.0.0.1) so the host's code runs inside the test, where Stryker sees it (it replaced the
// integration file host-call-outcomes.test.ts, whose cases were the same). A call is held by a gate around the real
// handler: readiness signals, never a wait for time. Expected texts are the documented ones, written out here.
import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import type { CallContext } from '../../shared/contract.ts';
import { encodeFrame } from '../../shared/socketFrames.ts';
import { cookieFor, decodeHostFrame, openSocket, startHostKit, type HostKit } from '../security/hostKit.ts';

const PASS = 'browser host calls unit passphrase';
const CTX: CallContext = { transport: 'test' };
let kit: HostKit | null = null;
afterEach(async () => {
  await kit?.close();
  kit = null;
});

const windowKey = () => crypto.randomBytes(32).toString('base64url');

type Message = { id?: number | null; envelope?: { ok: boolean; value?: unknown; error?: { code: string; message: string } }; pong?: number; outcomes?: unknown[]; event?: string };

/** A socket that keeps every message the host sent (raw text of text frames too) and waits for one that matches. */
async function rawSocket(k: HostKit) {
  const opened = await openSocket(`ws://127.0.0.1:${k.host.port}/ws`, cookieFor(k.host));
  if (!('ws' in opened)) throw new Error(`socket refused: ${opened.refused}`);
  const ws: WebSocket = opened.ws;
  const received: Message[] = [];
  const texts: string[] = [];
  const waiters: Array<{ test: (m: Message) => boolean; resolve: (m: Message) => void }> = [];
  ws.on('message', (data, isBinary) => {
    if (!isBinary) texts.push(Buffer.isBuffer(data) ? data.toString('utf8') : String(data));
    const m = decodeHostFrame(data, isBinary) as Message;
    received.push(m);
    for (const w of waiters.splice(0)) {
      if (w.test(m)) w.resolve(m);
      else waiters.push(w);
    }
  });
  const next = (test: (m: Message) => boolean, from = 0) =>
    new Promise<Message>((resolve) => {
      const seen = received.slice(from).find(test);
      if (seen) resolve(seen);
      else waiters.push({ test, resolve });
    });
  const closed = new Promise<void>((r) => ws.once('close', () => r()));
  return {
    ws,
    received,
    texts,
    closed,
    next,
    send: (id: number, channel: string, input: unknown) => ws.send(encodeFrame({ id, channel, input })),
    reply: (id: number | null, from = 0) => next((m) => m.id === id && m.envelope !== undefined, from),
    outcomes: (ids: number[], from = 0) => {
      ws.send(JSON.stringify({ outcomes: ids }));
      return next((m) => Array.isArray(m.outcomes), from) as Promise<{ outcomes: Array<Record<string, unknown>> }>;
    },
    pong: (n: number, from = 0) => next((m) => m.pong === n, from),
    /** A ping round trip: every message sent before it has been handled by the host (one socket, in order). */
    async sync() {
      const n = Math.floor(Math.random() * 1e9);
      ws.send(JSON.stringify({ ping: n }));
      await next((m) => m.pong === n);
    },
  };
}
async function windowSocket(k: HostKit, key: string) {
  const s = await rawSocket(k);
  s.ws.send(JSON.stringify({ hello: key }));
  return s;
}

function hold(k: HostKit, channel: 'keys:create' | 'keys:list') {
  const handlers = k.fleet.handlers as unknown as Record<string, (input: unknown, ctx: CallContext) => Promise<unknown>>;
  const real = handlers[channel]!;
  let entered!: () => void;
  const started = new Promise<void>((r) => (entered = r));
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const gate = { started, release, runs: 0 };
  handlers[channel] = async (input, ctx) => {
    entered();
    await released;
    gate.runs += 1;
    return real(input, ctx);
  };
  return gate;
}

const CREATE = { type: 'storage', label: 'Backup disk', algorithm: 'AES_256' };
async function signedIn(): Promise<HostKit> {
  const k = await startHostKit();
  await k.fleet.handlers['session:init']({ operator: 'alice', passphrase: PASS }, CTX);
  return k;
}
const malformed = (id: number | null, message: string) => ({ id, envelope: { ok: false, error: { code: 'invalid_input', message } } });

describe('browser host: liveness', () => {
  it('answers {"ping": n} with exactly {"pong": n}, while a call awaits inside the console', async () => {
    kit = await signedIn();
    const gate = hold(kit, 'keys:create');
    const win = await windowSocket(kit, windowKey());
    win.send(1, 'keys:create', CREATE);
    await gate.started;
    win.ws.send(JSON.stringify({ ping: 41 }));
    await win.pong(41);
    expect(win.texts).toEqual(['{"pong":41}']);
    gate.release();
    expect((await win.reply(1)).envelope).toMatchObject({ ok: true });
    await kit.host.idle();
  });
});

describe('browser host: a window names itself', () => {
  it('a socket names its window once: the same key again is fine, another key is refused (id null)', async () => {
    kit = await signedIn();
    const key = windowKey();
    const win = await windowSocket(kit, key);
    win.ws.send(JSON.stringify({ hello: key }));
    await win.sync();
    expect(win.received.filter((m) => m.envelope)).toEqual([]);
    win.ws.send(JSON.stringify({ hello: windowKey() }));
    expect(await win.reply(null)).toEqual(malformed(null, 'Malformed message: a socket names its window once.'));
    // Still the first window: its calls are answered on this socket and reported to it.
    win.send(3, 'keys:list', {});
    expect((await win.reply(3)).envelope).toMatchObject({ ok: true });
    expect((await win.outcomes([3])).outcomes).toEqual([{ id: 3, state: 'completed', ok: true }]);
  });

  it('refuses an outcomes question from a socket that has not named its window', async () => {
    kit = await signedIn();
    const s = await rawSocket(kit);
    s.ws.send(JSON.stringify({ outcomes: [1] }));
    expect(await s.reply(null)).toEqual(malformed(null, 'Malformed message: outcomes asked before the window named itself (hello).'));
    expect(s.received.some((m) => Array.isArray(m.outcomes))).toBe(false);
  });

  it('a socket without hello has no ids to remember: the same id runs each time it is sent', async () => {
    kit = await signedIn();
    const s = await rawSocket(kit);
    s.send(1, 'keys:list', {});
    expect((await s.reply(1)).envelope).toMatchObject({ ok: true });
    const from = s.received.length;
    s.send(1, 'keys:list', {});
    expect((await s.reply(1, from)).envelope).toMatchObject({ ok: true });
  });
});

describe('browser host: call ids and outcomes', () => {
  it('an answer written to the window is delivered: it is reported completed, not kept to send again', async () => {
    kit = await signedIn();
    const win = await windowSocket(kit, windowKey());
    win.send(1, 'keys:create', CREATE);
    expect((await win.reply(1)).envelope).toMatchObject({ ok: true, value: { label: 'Backup disk' } });
    await kit.host.idle();
    const from = win.received.length;
    expect((await win.outcomes([1], from)).outcomes).toEqual([{ id: 1, state: 'completed', ok: true }]);
    expect(win.received.slice(from).some((m) => m.id === 1)).toBe(false);
  });

  it('refuses an id the window already used, with the documented message, and does not run it again', async () => {
    kit = await signedIn();
    const gate = hold(kit, 'keys:create');
    const win = await windowSocket(kit, windowKey());
    win.send(7, 'keys:create', CREATE);
    await gate.started;
    gate.release();
    expect((await win.reply(7)).envelope).toMatchObject({ ok: true });
    const from = win.received.length;
    win.send(7, 'keys:create', CREATE);
    expect(await win.reply(7, from)).toEqual(malformed(7, 'Malformed message: this window already used this call id; the call was not run again.'));
    await kit.host.idle();
    expect(gate.runs).toBe(1);
  });

  it('a change that completes while the window is away: kept, sent first on its reconnect, then reported replied, then delivered', async () => {
    kit = await signedIn();
    const gate = hold(kit, 'keys:create');
    const key = windowKey();
    const first = await windowSocket(kit, key);
    first.send(1, 'keys:create', CREATE);
    await gate.started;
    expect(kit.host.dropSockets()).toBe(1);
    await first.closed;
    gate.release();
    await kit.host.idle();
    const again = await windowSocket(kit, key);
    const list = await again.outcomes([1]);
    const replyIndex = again.received.findIndex((m) => m.id === 1);
    const listIndex = again.received.findIndex((m) => Array.isArray(m.outcomes));
    expect(replyIndex).toBeGreaterThanOrEqual(0);
    expect(replyIndex).toBeLessThan(listIndex);
    expect(again.received[replyIndex]!.envelope).toMatchObject({ ok: true, value: { label: 'Backup disk' } });
    expect(list.outcomes).toEqual([{ id: 1, state: 'replied' }]);
    // Written to this socket: delivered, so asked again it is completed and not sent a second time.
    const from = again.received.length;
    expect((await again.outcomes([1], from)).outcomes).toEqual([{ id: 1, state: 'completed', ok: true }]);
    expect(again.received.slice(from).some((m) => m.id === 1)).toBe(false);
    expect(gate.runs).toBe(1);
  });

  it('a call still running at the reconnect is answered on the new socket as it finishes', async () => {
    kit = await signedIn();
    const gate = hold(kit, 'keys:create');
    const key = windowKey();
    const first = await windowSocket(kit, key);
    first.send(1, 'keys:create', CREATE);
    await gate.started;
    kit.host.dropSockets();
    await first.closed;
    const again = await windowSocket(kit, key);
    expect((await again.outcomes([1, 2])).outcomes).toEqual([{ id: 1, state: 'running' }, { id: 2, state: 'unknown' }]);
    gate.release();
    expect((await again.reply(1)).envelope).toMatchObject({ ok: true, value: { label: 'Backup disk' } });
    await kit.host.idle();
    const from = again.received.length;
    expect((await again.outcomes([1], from)).outcomes).toEqual([{ id: 1, state: 'completed', ok: true }]);
  });

  it('never tells another window about this window\'s calls', async () => {
    kit = await signedIn();
    const gate = hold(kit, 'keys:create');
    const first = await windowSocket(kit, windowKey());
    first.send(1, 'keys:create', CREATE);
    await gate.started;
    kit.host.dropSockets();
    await first.closed;
    gate.release();
    await kit.host.idle();
    const stranger = await windowSocket(kit, windowKey());
    expect((await stranger.outcomes([1])).outcomes).toEqual([{ id: 1, state: 'unknown' }]);
    expect(stranger.received.some((m) => m.id === 1)).toBe(false);
  });

  it('a lock while the window is away drops the kept answer: only that the call succeeded is left', async () => {
    kit = await signedIn();
    const gate = hold(kit, 'keys:create');
    const key = windowKey();
    const first = await windowSocket(kit, key);
    first.send(1, 'keys:create', CREATE);
    await gate.started;
    kit.host.dropSockets();
    await first.closed;
    gate.release();
    await kit.host.idle();
    await kit.fleet.handlers['session:lock']({}, CTX);
    const again = await windowSocket(kit, key);
    expect((await again.outcomes([1])).outcomes).toEqual([{ id: 1, state: 'completed', ok: true }]);
    expect(again.received.some((m) => m.id === 1)).toBe(false);
  });

  it('only a session change drops a kept answer: other events (another window\'s change, its audit record) keep it', async () => {
    kit = await signedIn();
    const gate = hold(kit, 'keys:create');
    const key = windowKey();
    const first = await windowSocket(kit, key);
    first.send(1, 'keys:create', CREATE);
    await gate.started;
    kit.host.dropSockets();
    await first.closed;
    gate.release();
    await kit.host.idle();
    // Another window's change while this one is away: keys:changed and audit:appended are broadcast.
    const other = await windowSocket(kit, windowKey());
    const events = other.next((m) => m.event === 'audit:appended');
    other.send(1, 'keys:create', { ...CREATE, label: 'Other disk' });
    expect((await other.reply(1)).envelope).toMatchObject({ ok: true });
    await events;
    await kit.host.idle();
    const again = await windowSocket(kit, key);
    expect((await again.outcomes([1])).outcomes).toEqual([{ id: 1, state: 'replied' }]);
    expect(again.received.find((m) => m.id === 1)?.envelope).toMatchObject({ ok: true, value: { label: 'Backup disk' } });
  });

  it('a socket of the window that closes after the window reconnected does not take the new socket\'s answers away', async () => {
    kit = await signedIn();
    const gate = hold(kit, 'keys:create');
    const key = windowKey();
    const old = await windowSocket(kit, key);
    await old.sync();
    const current = await windowSocket(kit, key);
    current.send(1, 'keys:create', CREATE);
    await gate.started;
    old.ws.close();
    await old.closed;
    await current.sync();
    gate.release();
    expect((await current.reply(1)).envelope).toMatchObject({ ok: true, value: { label: 'Backup disk' } });
  });

  it('idle() resolves at once with nothing in flight, and only after a held call finished otherwise', async () => {
    kit = await signedIn();
    await kit.host.idle();
    const gate = hold(kit, 'keys:create');
    const win = await windowSocket(kit, windowKey());
    win.send(1, 'keys:create', CREATE);
    await gate.started;
    let idle = false;
    const waiting = kit.host.idle().then(() => (idle = true));
    await win.sync();
    expect(idle).toBe(false);
    gate.release();
    await waiting;
    expect(gate.runs).toBe(1);
    expect((await win.reply(1)).envelope).toMatchObject({ ok: true });
  });

  it('close() forgets every window: a host closed and its calls are gone with it', async () => {
    kit = await signedIn();
    const win = await windowSocket(kit, windowKey());
    win.send(1, 'keys:list', {});
    await win.reply(1);
    await kit.host.close();
    await win.closed;
  });
});
