// The renderer's only door to the main process. In Electron it is window.ecps (built by the preload from the
// contract); in a plain browser it is the WebSocket client of the browser host. Either way envelopes are unwrapped
// here: a call returns its value or throws an ApiError carrying the stable {code, message, details}.
import type { ChannelInput, ChannelName, ChannelOutput, Envelope, EnvelopeApi, EventName, EventPayload } from '../../shared/contract.ts';
import { ERROR_HINTS, type ErrorCode, type ErrorInfo } from '../../shared/errors.ts';
import { createWsTransport, defaultSocketUrl, type RawInvoke } from './transport/wsClient.ts';

declare global {
  interface Window {
    ecps?: EnvelopeApi;
  }
}

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorInfo['details'];

  constructor(info: ErrorInfo) {
    super(info.message);
    this.name = 'ApiError';
    this.code = info.code;
    this.details = info.details;
  }

  get hint(): string {
    return ERROR_HINTS[this.code] ?? '';
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

let api: EnvelopeApi | null = null;
/** The socket's call by any channel name (null in Electron, whose preload exposes the kit's channels as a group). */
let rawInvoke: RawInvoke | null = null;

/** Picks the transport once: the preload's bridge when present, else the browser host's socket. */
export function connectApi(onReconnect: () => void): EnvelopeApi {
  if (api) return api;
  if (window.ecps) api = window.ecps;
  else ({ api, invoke: rawInvoke } = createWsTransport({ url: defaultSocketUrl(), onReconnect }));
  return api;
}

function currentApi(): EnvelopeApi {
  if (!api) throw new Error('connectApi() must run before the first call');
  return api;
}

export async function call<C extends ChannelName>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>> {
  const [domain, verb] = channel.split(':') as [string, string];
  const group = (currentApi() as unknown as Record<string, Record<string, (i: unknown) => Promise<Envelope<unknown>>>>)[domain];
  const fn = group?.[verb];
  if (!fn) throw new Error(`channel ${channel} is not available on this transport`);
  const envelope = await fn(input);
  if (envelope.ok) return envelope.value as ChannelOutput<C>;
  throw new ApiError(envelope.error);
}

export function subscribe<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
  return currentApi().on(event, listener);
}

/** A call outside the console's contract (the offline console's channels): its value, or an ApiError. */
export async function callRaw(channel: string, input: unknown): Promise<unknown> {
  currentApi();
  const [domain, verb] = channel.split(':') as [string, string];
  // Electron: the preload's kitOffline group (preloadBridge.ts); the browser host: the socket's raw call.
  const viaPreload = (window.ecps as unknown as Record<string, Record<string, ((i: unknown) => Promise<Envelope<unknown>>) | undefined> | undefined> | undefined)?.[domain]?.[verb];
  const send = viaPreload ?? (rawInvoke ? (i: unknown) => rawInvoke!(channel, i) : null);
  if (!send) throw new ApiError({ code: 'unknown_channel', message: `Channel ${channel} is not available in this window.` });
  const envelope = await send(input);
  if (envelope.ok) return envelope.value;
  throw new ApiError(envelope.error);
}
