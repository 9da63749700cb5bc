// Transport health as UI state: the shell shows it plainly ("connection lost", reconnecting).
import { create } from 'zustand';

export type ConnectionState = 'connecting' | 'open' | 'lost';

interface ConnectionStore {
  state: ConnectionState;
  /** When the next reconnect attempt happens (ms since epoch), while lost and waiting; null while an attempt runs. */
  nextAttemptAt: number | null;
  /** When the state last changed (ms since epoch): the banner counts down from no earlier than this. */
  changedAt: number;
  set(state: ConnectionState, nextAttemptAt?: number | null): void;
  /** Tries at once (the banner's "Reconnect now"); the transport installs it, a no-op without a socket. */
  reconnectNow(): void;
  setReconnectNow(fn: () => void): void;
}

export const useConnectionStore = create<ConnectionStore>((set) => ({
  state: 'connecting',
  nextAttemptAt: null,
  changedAt: 0,
  set: (state, nextAttemptAt = null) => set({ state, nextAttemptAt, changedAt: Date.now() }),
  reconnectNow: () => undefined,
  setReconnectNow: (fn) => set({ reconnectNow: fn }),
}));
