// Calls in flight when the browser host's socket drops (issue 15, docs/ui.md "Calls in flight at a drop"), against the
// real host, a real console (SQLite, AES-GCM) and real sockets: the socket is cut by the host's dropSockets() while a
// call is held inside the console; the same window (its key) reconnects and asks what became of it. A call is held by
// a gate around the real handler (it still runs): readiness signals, no waiting for time.
import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { decodeHostFrame, cookieFor, openSocket, startHostKit, type HostKit } from '../security/hostKit.ts';
import { encodeFrame } from '../../shared/socketFrames.ts';
import type { CallContext } from '../../shared/contract.ts';

const PASS = 'correct horse battery staple';
const CTX: CallContext = { transport: 'test' };
let kit: HostKit | null = null;
afterEach(async () => {
  await kit?.close();
  kit = null;
});

const windowKey = () => crypto.randomBytes(32).toString('base64url');

type Message = { id?: number | null; envelope?: { ok: boolean; value?: unknown; error?: { code: string; message: string } }; pong?: number; outcomes?: unknown[]; event?: string };

/** A window's socket: names itself, sends calls by id, waits for what the host sends. */
async function windowSocket(k: HostKit, key: string) {
  const opened = await openSocket(`ws://127.0.0.1:${k.host.port}/ws`, cookieFor(k.host));
  if (!('ws' in opened)) throw new Error(`socket refused: ${opened.refused}`);
  const ws: WebSocket = opened.ws;
  const received: Message[] = [];
  const waiters: Array<{ test: (m: Message) => boolean; resolve: (m: Message) => void }> = [];
  ws.on('message', (data, isBinary) => {
    const m = decodeHostFrame(data, isBinary) as Message;
    received.push(m);
    for (const w of waiters.splice(0)) {
      if (w.test(m)) w.resolve(m);
      else waiters.push(w);
    }
  });
  /** The first message passing `test` from index `from` of what was received on. */
  const next = (test: (m: Message) => boolean, from = 0) =>
    new Promise<Message>((resolve) => {
      const seen = received.slice(from).find(test);
      if (seen) resolve(seen);
      else waiters.push({ test, resolve });
    });
  ws.send(JSON.stringify({ hello: key }));
  const closed = new Promise<void>((r) => ws.once('close', () => r()));
  return {
    ws,
    received,
    closed,
    send: (id: number, channel: string, input: unknown) => ws.send(encodeFrame({ id, channel, input })),
    reply: (id: number, from = 0) => next((m) => m.id === id && m.envelope !== undefined, from),
    outcomes: (ids: number[]) => {
      ws.send(JSON.stringify({ outcomes: ids }));
      return next((m) => Array.isArray(m.outcomes)) as Promise<{ outcomes: Array<Record<string, unknown>> }>;
    },
    pong: (n: number) => next((m) => m.pong === n),
  };
}

/** Holds every call of a channel inside the console until released; counts how often the real handler ran. */
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

describe('calls in flight at a drop (browser host)', () => {
  it('answers a ping while a call awaits inside the console: only a blocked event loop goes unanswered', async () => {
    kit = await signedIn();
    const gate = hold(kit, 'keys:create');
    const win = await windowSocket(kit, windowKey());
    win.send(1, 'keys:create', CREATE);
    await gate.started;
    win.ws.send(JSON.stringify({ ping: 1 }));
    await win.pong(1);
    expect(win.received.some((m) => m.id === 1)).toBe(false);
    gate.release();
    expect((await win.reply(1)).envelope).toMatchObject({ ok: true });
  });

  it('a change that completes while the window is away is answered once the same window asks, and ran once', async () => {
    kit = await signedIn();
    const gate = hold(kit, 'keys:create');
    const key = windowKey();
    const first = await windowSocket(kit, key);
    first.send(1, 'keys:create', CREATE);
    await gate.started;
    expect(kit.host.dropSockets()).toBe(1);
    await first.closed;
    gate.release();
    // The key exists: the console finished the call with no socket to answer on.
    await kit.host.idle();
    const again = await windowSocket(kit, key);
    const list = await again.outcomes([1]);
    // The kept answer came first, as an ordinary reply.
    const replyIndex = again.received.findIndex((m) => m.id === 1);
    const listIndex = again.received.findIndex((m) => Array.isArray(m.outcomes));
    expect(replyIndex).toBeGreaterThanOrEqual(0);
    expect(replyIndex).toBeLessThan(listIndex);
    expect(again.received[replyIndex]!.envelope).toMatchObject({ ok: true, value: { label: 'Backup disk' } });
    expect(list.outcomes).toEqual([{ id: 1, state: 'replied' }]);
    expect(gate.runs).toBe(1);
    // Sent again under the same id (a confused or replaying window): refused, not run again.
    const from = again.received.length;
    again.send(1, 'keys:create', CREATE);
    expect((await again.reply(1, from)).envelope).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    await kit.host.idle();
    expect(gate.runs).toBe(1);
  });

  it('a call still running at the reconnect is reported running and answered on the new socket', async () => {
    kit = await signedIn();
    const gate = hold(kit, 'keys:create');
    const key = windowKey();
    const first = await windowSocket(kit, key);
    first.send(1, 'keys:create', CREATE);
    await gate.started;
    kit.host.dropSockets();
    await first.closed;
    const again = await windowSocket(kit, key);
    expect((await again.outcomes([1, 2])).outcomes).toEqual([
      { id: 1, state: 'running' },
      { id: 2, state: 'unknown' },
    ]);
    gate.release();
    expect((await again.reply(1)).envelope).toMatchObject({ ok: true, value: { label: 'Backup disk' } });
    expect(gate.runs).toBe(1);
  });

  it('never tells another window (another key) about this window\'s calls', async () => {
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

  it('a lock while the window is away drops the kept answer: the window learns only that the call succeeded', async () => {
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

  it('refuses an outcomes question from a socket that has not named its window', async () => {
    kit = await signedIn();
    const opened = await openSocket(`ws://127.0.0.1:${kit.host.port}/ws`, cookieFor(kit.host));
    if (!('ws' in opened)) throw new Error('refused');
    const answer = new Promise<Message>((r) => opened.ws.once('message', (d, b) => r(decodeHostFrame(d, b) as Message)));
    opened.ws.send(JSON.stringify({ outcomes: [1] }));
    expect((await answer).envelope).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    opened.ws.close();
  });
});
