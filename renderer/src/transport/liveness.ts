// Whether the console behind an open socket still answers (issue 15, docs/ui.md "The console is not answering"). A
// console whose process lives but whose event loop is blocked keeps its socket open and answers nothing: without this
// the window would wait forever. Free of the DOM, so unit tests drive it with their own timers
// (test/unit/ws-liveness.test.ts).
//
// - While the socket is open, the window sends {"ping": n} PING_INTERVAL_MS after the last answer (one at a time).
// - The host answers a ping on its event loop before any call's work (electron/host/browserHost.ts), so a long call
//   awaiting I/O (an emergency run, an export) does not delay it; only a blocked loop does.
// - A ping not answered within PONG_TIMEOUT_MS: the console is not answering, since the last answer. The window keeps
//   the socket (the console may come back) and says so; the first answer after that clears it.
import { browserTimers, type ReconnectTimers } from './reconnect.ts';

export const PING_INTERVAL_MS = 5_000;
export const PONG_TIMEOUT_MS = 10_000;

export interface LivenessOptions {
  sendPing(n: number): void;
  /** No answer in time: the console is not answering since `since` (ms since epoch, the last answer). */
  onSilent(since: number): void;
  /** An answer came after onSilent. */
  onAnswering(): void;
  timers?: ReconnectTimers;
}

export interface Liveness {
  /** The socket opened: start pinging. */
  start(): void;
  /** The socket closed: stop (the reconnection takes over). */
  stop(): void;
  /** A {"pong": n} arrived. */
  pong(n: number): void;
  readonly silent: boolean;
}

export function createLiveness(options: LivenessOptions): Liveness {
  const timers = options.timers ?? browserTimers;
  let running = false;
  let silent = false;
  let nextN = 1;
  /** The ping awaiting its answer, if any. */
  let awaiting: number | null = null;
  let lastAnswerAt = 0;
  let intervalTimer: unknown = null;
  let timeoutTimer: unknown = null;

  function clear(): void {
    if (intervalTimer !== null) timers.clearTimeout(intervalTimer);
    if (timeoutTimer !== null) timers.clearTimeout(timeoutTimer);
    intervalTimer = timeoutTimer = null;
  }

  // Both timers are cleared whenever the socket stops or an answer comes: a timer that runs is always current.
  function ping(): void {
    intervalTimer = null;
    awaiting = nextN++;
    timeoutTimer = timers.setTimeout(() => {
      timeoutTimer = null;
      silent = true;
      options.onSilent(lastAnswerAt);
    }, PONG_TIMEOUT_MS);
    options.sendPing(awaiting);
  }

  return {
    get silent() {
      return silent;
    },
    start() {
      clear();
      running = true;
      silent = false;
      awaiting = null;
      lastAnswerAt = timers.now();
      intervalTimer = timers.setTimeout(ping, PING_INTERVAL_MS);
    },
    stop() {
      running = false;
      silent = false;
      awaiting = null;
      clear();
    },
    pong(n) {
      // Only the answer to the ping in flight counts (a late answer to an older socket's ping does not).
      if (!running || n !== awaiting) return;
      awaiting = null;
      lastAnswerAt = timers.now();
      clear();
      if (silent) {
        silent = false;
        options.onAnswering();
      }
      intervalTimer = timers.setTimeout(ping, PING_INTERVAL_MS);
    },
  };
}
