// What the preload exposes as window.ecps: the contract's envelope API built by buildEnvelopeApi, over an
// ipcRenderer-like object. Never ipcRenderer itself, never process; events are filtered to the contract's names.
// Pure (no 'electron' import) so the security tests can inspect exactly what the window receives.
import { buildEnvelopeApi, isEventName, type ChannelName, type Envelope, type EnvelopeApi, type EventName } from '../../shared/contract.ts';
import { IPC_CALL, IPC_EVENT } from './ipcChannels.ts';
import { KIT_OFFLINE_CHANNELS } from '../../shared/kitOfflineContract.ts';

type IpcListener = (event: unknown, ...args: unknown[]) => void;

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: IpcListener): unknown;
  removeListener(channel: string, listener: IpcListener): unknown;
}

function isEnvelope(value: unknown): value is Envelope<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { ok?: unknown; error?: unknown };
  return v.ok === true || (v.ok === false && typeof v.error === 'object' && v.error !== null);
}

export function createPreloadApi(ipc: IpcRendererLike): EnvelopeApi {
  const invoke = async (channel: ChannelName, input: unknown): Promise<Envelope<unknown>> => {
    try {
      const reply = await ipc.invoke(IPC_CALL, channel, input);
      if (isEnvelope(reply)) return reply;
      return { ok: false, error: { code: 'internal', message: 'The console returned no result.' } };
    } catch {
      // e.g. an input that cannot be cloned across IPC (functions, DOM nodes)
      return { ok: false, error: { code: 'invalid_input', message: `The input for ${channel} cannot be sent to the console.` } };
    }
  };
  const subscribe = (event: EventName, listener: (payload: unknown) => void) => {
    const onMessage: IpcListener = (_event, name, payload) => {
      if (name === event && isEventName(name)) listener(payload);
    };
    ipc.on(IPC_EVENT, onMessage);
    return () => {
      ipc.removeListener(IPC_EVENT, onMessage);
    };
  };
  // The offline console's channels (shared/kitOfflineContract.ts) as one more group: only a window started with
  // --kit is answered on them (a console on a store replies unknown_channel).
  const kitOffline = Object.fromEntries(KIT_OFFLINE_CHANNELS.map((name) => [name.split(':')[1]!, (input: unknown) => invoke(name as ChannelName, input)]));
  return Object.assign(buildEnvelopeApi(invoke, subscribe), { kitOffline }) as EnvelopeApi;
}

export interface ContextBridgeLike {
  exposeInMainWorld(apiKey: string, api: object): void;
}

/** What preload.ts runs: one object, window.ecps, and nothing else reaches the page. */
export function exposePreloadApi(contextBridge: ContextBridgeLike, ipc: IpcRendererLike): void {
  contextBridge.exposeInMainWorld('ecps', createPreloadApi(ipc));
}
