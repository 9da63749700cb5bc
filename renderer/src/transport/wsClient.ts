// The browser host's WebSocket transport: implements the same EnvelopeApi as the Electron preload, over
// ws://<host>/ws (the access-token cookie travels with the upgrade request). Reconnects after a drop on the schedule
// and triggers of reconnect.ts (1, 2, 4, then 5 s; at once when the officer uses the page); calls made while
// disconnected wait for the socket. Calls in flight when it drops are not failed: after the reconnect the window asks
// the host what became of them (callBook.ts): answered, still running, or never received (a read is sent again, a
// call that changes state is not: it fails with call_interrupted). While the socket is open the window checks that the
// console still answers (liveness.ts) and says so when it does not.
// Bytes (Uint8Array fields) travel as binary frames (shared/socketFrames.ts), never as base64.
import { buildEnvelopeApi, isEventName, type Envelope, type EnvelopeApi, type EventName } from '../../../shared/contract.ts';
import { decodeBinaryFrame, encodeFrame } from '../../../shared/socketFrames.ts';
import { createCallBook, type OutcomeReport } from './callBook.ts';
import { useConnectionStore } from './connectionStore.ts';
import { createLiveness } from './liveness.ts';
import { createReconnector, listenForReconnectTriggers } from './reconnect.ts';

/** The window's own key (32 random bytes, base64url), in memory only: proves to the host it is the same window. */
function newWindowKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export interface WsClientOptions {
  url: string;
  /** Called after a reconnect, so cached data fetched before the drop can be refreshed. */
  onReconnect?: () => void;
}

/** The socket's raw call, by any channel name: the offline console's kitOffline:* channels use it (incidentKit/kitApi.ts). */
export type RawInvoke = (channel: string, input: unknown) => Promise<Envelope<unknown>>;

export function createWsClient(options: WsClientOptions): EnvelopeApi {
  return createWsTransport(options).api;
}

export function createWsTransport(options: WsClientOptions): { api: EnvelopeApi; invoke: RawInvoke } {
  const connection = useConnectionStore.getState();
  const book = createCallBook();
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  const waitingForOpen: Array<() => void> = [];
  const windowKey = newWindowKey();
  let socket: WebSocket | null = null;
  /** Counts sockets opened: a call remembers the one it went out on. */
  let generation = 0;
  let everOpened = false;

  const reconnector = createReconnector({
    connect,
    abort: () => socket?.close(),
    onWaiting: (at) => connection.set('lost', at),
  });
  const liveness = createLiveness({
    sendPing: (n) => socket?.send(JSON.stringify({ ping: n })),
    onSilent: (since) => connection.set('silent', null, since),
    onAnswering: () => connection.set('open'),
  });

  function connect(): void {
    connection.set(everOpened ? 'lost' : 'connecting');
    const ws = new WebSocket(options.url);
    ws.binaryType = 'arraybuffer';
    socket = ws;
    ws.onopen = () => {
      if (socket !== ws) return;
      generation += 1;
      reconnector.opened();
      connection.set('open');
      const reconnected = everOpened;
      everOpened = true;
      // The window names itself first, then asks what became of the calls the last socket left unanswered.
      ws.send(JSON.stringify({ hello: windowKey }));
      const unanswered = book.unansweredBefore(generation);
      if (unanswered.length > 0) ws.send(JSON.stringify({ outcomes: unanswered }));
      liveness.start();
      for (const send of waitingForOpen.splice(0)) send();
      // Events sent while the socket was down are lost: the caller refetches what the window shows, the session's
      // state included (locked if the console locked meanwhile).
      if (reconnected) options.onReconnect?.();
    };
    ws.onmessage = (event) => handleMessage(event.data);
    ws.onclose = () => {
      if (socket !== ws) return;
      lose();
    };
  }

  /** The socket is gone (closed, or given up as silent): its calls wait for the next one's outcomes list. */
  function lose(): void {
    socket = null;
    liveness.stop();
    reconnector.closed();
  }

  /** "Reconnect now" while the console is not answering: give up this socket (no close handshake to wait for). */
  function abandonSilentSocket(): void {
    const ws = socket;
    if (!ws || !liveness.silent) return;
    ws.onopen = ws.onmessage = ws.onclose = null;
    ws.close();
    lose();
  }

  function send(id: number, channel: string, input: unknown): void {
    let frame: string | Uint8Array;
    try {
      frame = encodeFrame({ id, channel, input });
    } catch {
      book.settle(id, { ok: false, error: { code: 'invalid_input', message: `The input for ${channel} cannot be sent to the console.` } });
      return;
    }
    socket!.send(frame);
  }

  function handleMessage(data: unknown): void {
    let message: unknown;
    if (data instanceof ArrayBuffer) {
      const decoded = decodeBinaryFrame(new Uint8Array(data));
      if (!decoded.ok) return;
      message = decoded.message;
    } else if (typeof data === 'string') {
      try {
        message = JSON.parse(data);
      } catch {
        return;
      }
    } else return;
    if (typeof message !== 'object' || message === null) return;
    const m = message as { id?: unknown; envelope?: unknown; event?: unknown; payload?: unknown; pong?: unknown; outcomes?: unknown };
    if (typeof m.pong === 'number') {
      liveness.pong(m.pong);
      return;
    }
    if (Array.isArray(m.outcomes)) {
      for (const again of book.applyOutcomes(m.outcomes as OutcomeReport[], generation)) send(again.id, again.channel, again.input);
      return;
    }
    if (typeof m.id === 'number') {
      book.answer(m.id, m.envelope as Envelope<unknown>);
      return;
    }
    if (isEventName(m.event)) {
      for (const listener of listeners.get(m.event) ?? []) listener(m.payload);
    }
  }

  function invoke(channel: string, input: unknown): Promise<Envelope<unknown>> {
    return new Promise((resolve) => {
      const go = () => send(book.add(channel, input, resolve, generation), channel, input);
      if (socket && socket.readyState === WebSocket.OPEN) go();
      else waitingForOpen.push(go);
    });
  }

  function subscribe(event: EventName, listener: (payload: unknown) => void): () => void {
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  // The banner's "Reconnect now" also gives up a socket whose console does not answer; using the page does not (a
  // click while the console is blocked would only start a handshake that cannot finish either).
  connection.setReconnectNow(() => {
    abandonSilentSocket();
    reconnector.now();
  });
  listenForReconnectTriggers({ window, document, isVisible: () => document.visibilityState === 'visible' }, () => void reconnector.now());
  reconnector.start();
  return { api: buildEnvelopeApi(invoke, subscribe), invoke };
}

/** ws://<same host>/ws: same origin as the page, so the host's Origin check and the cookie both apply. */
export function defaultSocketUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}
