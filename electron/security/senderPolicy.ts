// Sender validation for Electron IPC: a call is accepted only from the main frame of our own window, showing a
// page of our own origin. Structural types keep this module free of 'electron' so the tests can exercise it.

export interface FrameLike {
  readonly url: string;
  readonly parent: FrameLike | null;
}

export interface IpcEventLike {
  /** Null when the frame navigated away or was destroyed before the message was handled. */
  readonly senderFrame: FrameLike | null;
  readonly sender: { readonly id: number; readonly mainFrame: FrameLike };
}

export interface TrustedWindow {
  /** webContents.id of the console window. */
  webContentsId: number;
  /** Our origin, e.g. app://console. */
  origin: string;
}

export function originOf(url: string): string | null {
  try {
    const parsed = new URL(url);
    // Non-special schemes (app:) report origin "null"; rebuild it from protocol and host.
    return parsed.origin !== 'null' ? parsed.origin : parsed.host ? `${parsed.protocol}//${parsed.host}` : null;
  } catch {
    return null;
  }
}

export function isTrustedSender(event: IpcEventLike, trusted: TrustedWindow | null): boolean {
  if (!trusted) return false;
  const frame = event.senderFrame;
  if (!frame) return false;
  if (event.sender.id !== trusted.webContentsId) return false;
  if (frame !== event.sender.mainFrame || frame.parent !== null) return false;
  return originOf(frame.url) === trusted.origin;
}
