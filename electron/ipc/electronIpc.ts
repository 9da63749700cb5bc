// The router mounted on Electron IPC: the only place that registers an ipcMain handler. main.ts passes ipcMain
// in (this module stays free of 'electron' so it can be tested with a structural stand-in).
import { isEventName, type EventName, type EventPayload } from '../../shared/contract.ts';
import { isTrustedSender, type IpcEventLike, type TrustedWindow } from '../security/senderPolicy.ts';
import { IPC_CALL, IPC_EVENT } from './ipcChannels.ts';
import { releaseBytesIn, withOwnedBytes, zeroBytesIn } from './ownedBytes.ts';
import type { Router } from './router.ts';

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

export interface ElectronIpcOptions {
  ipcMain: IpcMainLike;
  router: Router;
  /** The window we trust, looked up per call (null before the window exists or after it closed). */
  trustedWindow: () => TrustedWindow | null;
}

/**
 * Registers the one IPC handler; returns the function that removes it. Bytes cross as Uint8Array by structured clone
 * (no base64): the input is this call's own deserialized copy, zeroed once answered and its memory then released;
 * each output byte array is sent as exactly its own bytes (ownedBytes.ts).
 */
export function registerElectronIpc(options: ElectronIpcOptions): () => void {
  const { ipcMain, router, trustedWindow } = options;
  ipcMain.handle(IPC_CALL, async (event, channel, input) => {
    try {
      const envelope = await router.route({ channel, input, ctx: { transport: 'electron' }, trustedSender: isTrustedSender(event, trustedWindow()) });
      return withOwnedBytes(envelope);
    } finally {
      // The call's own copy: wiped, then its memory handed back now (not at the next full garbage collection).
      zeroBytesIn(input);
      releaseBytesIn(input);
    }
  });
  return () => ipcMain.removeHandler(IPC_CALL);
}

export interface EventTarget {
  isDestroyed(): boolean;
  send(channel: string, ...args: unknown[]): void;
}

/** Pushes a console event to the window; only contract event names are sent. */
export function sendConsoleEvent<E extends EventName>(target: EventTarget | null, event: E, payload: EventPayload<E>): void {
  if (!target || target.isDestroyed() || !isEventName(event)) return;
  target.send(IPC_EVENT, event, payload);
}
