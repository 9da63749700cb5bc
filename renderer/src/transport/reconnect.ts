// When the browser host's window tries its socket again after a drop (docs/ui.md "Connection lost"). Free of the DOM
// so unit tests drive it with their own clock and timers (test/unit/ws-reconnect.test.ts).
//
// - The wait before the nth attempt: 1 s, 2 s, 4 s, then 5 s for every later one (never longer: an officer must not
//   look at a dead window for minutes after a short drop), each shortened by up to a quarter at random so windows
//   dropped together do not all come back in the same instant.
// - At once, whatever the wait, when the officer uses the page (a click or key), the page becomes visible again, the
//   browser says it is online again, or the banner's "Reconnect now" is pressed.
// - One attempt at a time: a trigger while an attempt is in flight (or the socket is open) does nothing.
// - An attempt whose handshake hangs is given up after CONNECT_TIMEOUT_MS and counts as failed.

export const RECONNECT_FIRST_MS = 1_000;
export const RECONNECT_CAP_MS = 5_000;
/** The wait is shortened by up to this share of itself, at random. */
export const RECONNECT_JITTER = 0.25;
/** A handshake not answered in this time is abandoned (the next attempt follows the schedule). */
export const CONNECT_TIMEOUT_MS = 15_000;

/** The wait before the nth attempt after a drop (n from 1), given a random number in [0, 1). */
export function reconnectDelayMs(attempt: number, random: number): number {
  const doublings = Math.min(Math.max(attempt, 1) - 1, 16);
  const base = Math.min(RECONNECT_FIRST_MS * 2 ** doublings, RECONNECT_CAP_MS);
  return Math.round(base * (1 - RECONNECT_JITTER * random));
}

export interface ReconnectTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  random(): number;
}

export const browserTimers: ReconnectTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
  random: () => Math.random(),
};

export type ReconnectPhase = 'connecting' | 'open' | 'waiting';

export interface ReconnectorOptions {
  /** Opens a new socket; the caller reports back with opened() or closed(). */
  connect(): void;
  /** Gives up the socket whose handshake hangs; it must then report closed(). */
  abort(): void;
  /** A wait started: the next attempt is due at `at` (ms since epoch). */
  onWaiting(at: number): void;
  timers?: ReconnectTimers;
}

export interface Reconnector {
  readonly phase: ReconnectPhase;
  /** The first attempt (the page just loaded). */
  start(): void;
  opened(): void;
  /** The socket closed, or an attempt failed: wait for the next attempt. */
  closed(): void;
  /** Try at once (a trigger): true if an attempt was started, false if one is in flight or the socket is open. */
  now(): boolean;
}

export function createReconnector(options: ReconnectorOptions): Reconnector {
  const timers = options.timers ?? browserTimers;
  let phase: ReconnectPhase = 'connecting';
  /** Attempts since the socket was last open. */
  let failures = 0;
  let waitTimer: unknown = null;
  let handshakeTimer: unknown = null;

  function clear(): void {
    if (waitTimer !== null) timers.clearTimeout(waitTimer);
    if (handshakeTimer !== null) timers.clearTimeout(handshakeTimer);
    waitTimer = handshakeTimer = null;
  }

  function attempt(): void {
    clear();
    phase = 'connecting';
    handshakeTimer = timers.setTimeout(() => {
      handshakeTimer = null;
      if (phase === 'connecting') options.abort();
    }, CONNECT_TIMEOUT_MS);
    options.connect();
  }

  return {
    get phase() {
      return phase;
    },
    start: attempt,
    opened() {
      clear();
      phase = 'open';
      failures = 0;
    },
    closed() {
      if (phase === 'waiting') return;
      clear();
      failures += 1;
      const delay = reconnectDelayMs(failures, timers.random());
      phase = 'waiting';
      waitTimer = timers.setTimeout(attempt, delay);
      options.onWaiting(timers.now() + delay);
    },
    now() {
      if (phase !== 'waiting') return false;
      attempt();
      return true;
    },
  };
}

/** What the triggers listen on: the window and the document in the page, plain EventTargets in the unit tests. */
export interface TriggerSources {
  window: EventTarget;
  document: EventTarget;
  isVisible(): boolean;
}

/**
 * Calls `reconnectNow` when the page becomes visible, the browser is online again, or the officer clicks or presses a
 * key anywhere (listened to in the capture phase, so a component that stops the event does not hide it). The
 * reconnector decides whether an attempt starts (only while waiting). Returns the function that stops listening.
 */
export function listenForReconnectTriggers(sources: TriggerSources, reconnectNow: () => void): () => void {
  const onVisibility = () => {
    if (sources.isVisible()) reconnectNow();
  };
  const onUse = () => reconnectNow();
  const onWindow: Array<[string, () => void]> = [
    ['online', onUse],
    ['pointerdown', onUse],
    ['keydown', onUse],
  ];
  for (const [type, fn] of onWindow) sources.window.addEventListener(type, fn, { capture: true });
  sources.document.addEventListener('visibilitychange', onVisibility);
  return () => {
    for (const [type, fn] of onWindow) sources.window.removeEventListener(type, fn, { capture: true });
    sources.document.removeEventListener('visibilitychange', onVisibility);
  };
}
