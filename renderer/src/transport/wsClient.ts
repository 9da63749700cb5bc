// The browser host's WebSocket transport: implements the same EnvelopeApi as the Electron preload, over
// ws://<host>/ws (the access-token cookie travels with the upgrade request). Reconnects with capped exponential
// backoff; calls made while disconnected wait for the socket, calls in flight when it drops fail plainly.
// Bytes (Uint8Array fields) travel as binary frames (shared/socketFrames.ts), never as base64.
import { buildEnvelopeApi, isEventName, type Envelope, type EnvelopeApi, type EventName } from '../../../shared/contract.ts';
import { decodeBinaryFrame, encodeFrame } from '../../../shared/socketFrames.ts';
import { useConnectionStore } from './connectionStore.ts';

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

const BACKOFF_START_MS = 250;
const BACKOFF_MAX_MS = 10_000;

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
  let backoff = BACKOFF_START_MS;
  let everOpened = false;

  function connect(): void {
    connection.set(everOpened ? 'lost' : 'connecting');
    const ws = new WebSocket(options.url);
    ws.binaryType = 'arraybuffer';
    socket = ws;
    ws.onopen = () => {
      backoff = BACKOFF_START_MS;
      connection.set('open');
      const reconnected = everOpened;
      everOpened = true;
      for (const send of waitingForOpen.splice(0)) send();
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
      const delay = backoff;
      backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
      connection.set('lost', Date.now() + delay);
      setTimeout(connect, delay + Math.floor(Math.random() * 100));
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

  connect();
  return { api: buildEnvelopeApi(invoke, subscribe), invoke };
}

/** ws://<same host>/ws: same origin as the page, so the host's Origin check and the cookie both apply. */
export function defaultSocketUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}
