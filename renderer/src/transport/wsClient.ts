// The browser host's WebSocket transport: implements the same EnvelopeApi as the Electron preload, over
// ws://<host>/ws (the access-token cookie travels with the upgrade request). Reconnects after a drop on the schedule
// and triggers of reconnect.ts (1, 2, 4, then 5 s; at once when the officer uses the page); calls made while
// disconnected wait for the socket, calls in flight when it drops fail plainly.
// Bytes (Uint8Array fields) travel as binary frames (shared/socketFrames.ts), never as base64.
import { buildEnvelopeApi, isEventName, type Envelope, type EnvelopeApi, type EventName } from '../../../shared/contract.ts';
import { decodeBinaryFrame, encodeFrame } from '../../../shared/socketFrames.ts';
import { useConnectionStore } from './connectionStore.ts';
import { createReconnector, listenForReconnectTriggers } from './reconnect.ts';

export class ConnectionLostError extends Error {
  constructor() {
    super('Connection to the console lost; the request may not have completed. Reconnecting…');
    this.name = 'ConnectionLostError';
  }
}

interface Pending {
  resolve(envelope: Envelope<unknown>): void;
  reject(error: Error): void;
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
  const pending = new Map<number, Pending>();
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  const waitingForOpen: Array<() => void> = [];
  let socket: WebSocket | null = null;
  let nextId = 1;
  let everOpened = false;

  const reconnector = createReconnector({
    connect,
    abort: () => socket?.close(),
    onWaiting: (at) => connection.set('lost', at),
  });

  function connect(): void {
    connection.set(everOpened ? 'lost' : 'connecting');
    const ws = new WebSocket(options.url);
    ws.binaryType = 'arraybuffer';
    socket = ws;
    ws.onopen = () => {
      if (socket !== ws) return;
      reconnector.opened();
      connection.set('open');
      const reconnected = everOpened;
      everOpened = true;
      for (const send of waitingForOpen.splice(0)) send();
      // Events sent while the socket was down are lost: the caller refetches what the window shows, the session's
      // state included (locked if the console locked meanwhile).
      if (reconnected) options.onReconnect?.();
    };
    ws.onmessage = (event) => handleMessage(event.data);
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      for (const [id, call] of pending) {
        pending.delete(id);
        call.reject(new ConnectionLostError());
      }
      reconnector.closed();
    };
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
    const m = message as { id?: unknown; envelope?: unknown; event?: unknown; payload?: unknown };
    if (typeof m.id === 'number') {
      const call = pending.get(m.id);
      if (!call) return;
      pending.delete(m.id);
      call.resolve(m.envelope as Envelope<unknown>);
      return;
    }
    if (isEventName(m.event)) {
      for (const listener of listeners.get(m.event) ?? []) listener(m.payload);
    }
  }

  function invoke(channel: string, input: unknown): Promise<Envelope<unknown>> {
    return new Promise((resolve, reject) => {
      const send = () => {
        const id = nextId++;
        let frame: string | Uint8Array;
        try {
          frame = encodeFrame({ id, channel, input });
        } catch {
          resolve({ ok: false, error: { code: 'invalid_input', message: `The input for ${channel} cannot be sent to the console.` } });
          return;
        }
        pending.set(id, { resolve, reject });
        socket!.send(frame);
      };
      if (socket && socket.readyState === WebSocket.OPEN) send();
      else waitingForOpen.push(send);
    });
  }

  function subscribe(event: EventName, listener: (payload: unknown) => void): () => void {
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  const reconnectNow = () => void reconnector.now();
  connection.setReconnectNow(reconnectNow);
  listenForReconnectTriggers({ window, document, isVisible: () => document.visibilityState === 'visible' }, reconnectNow);
  reconnector.start();
  return { api: buildEnvelopeApi(invoke, subscribe), invoke };
}

/** ws://<same host>/ws: same origin as the page, so the host's Origin check and the cookie both apply. */
export function defaultSocketUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}
