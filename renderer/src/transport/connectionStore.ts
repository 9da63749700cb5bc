// Transport health as UI state: the shell shows it plainly ("connection lost", reconnecting).
import { create } from 'zustand';

/** silent: the socket is open but the console has not answered a ping in time (liveness.ts). */
export type ConnectionState = 'connecting' | 'open' | 'lost' | 'silent';

interface ConnectionStore {
  state: ConnectionState;
  /** When the next reconnect attempt happens (ms since epoch), while lost and waiting; null while an attempt runs. */
  nextAttemptAt: number | null;
  /** When the state last changed (ms since epoch): the banner counts down from no earlier than this. */
  changedAt: number;
  /** While silent: the console's last answer (ms since epoch). */
  silentSince: number | null;
  set(state: ConnectionState, nextAttemptAt?: number | null, silentSince?: number | null): void;
  /** Tries at once (the banner's "Reconnect now"); the transport installs it, a no-op without a socket. */
  reconnectNow(): void;
  setReconnectNow(fn: () => void): void;
}

export const useConnectionStore = create<ConnectionStore>((set) => ({
  state: 'connecting',
  nextAttemptAt: null,
  changedAt: 0,
  silentSince: null,
  set: (state, nextAttemptAt = null, silentSince = null) => set({ state, nextAttemptAt, silentSince, changedAt: Date.now() }),
  reconnectNow: () => undefined,
  setReconnectNow: (fn) => set({ reconnectNow: fn }),
}));
