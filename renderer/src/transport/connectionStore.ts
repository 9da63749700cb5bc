// Transport health as UI state: the shell shows it plainly ("connection lost", reconnecting).
import { create } from 'zustand';

export type ConnectionState = 'connecting' | 'open' | 'lost';

interface ConnectionStore {
  state: ConnectionState;
  /** When the next reconnect attempt happens (ms since epoch), while lost. */
  nextAttemptAt: number | null;
  set(state: ConnectionState, nextAttemptAt?: number | null): void;
}

export const useConnectionStore = create<ConnectionStore>((set) => ({
  state: 'connecting',
  nextAttemptAt: null,
  set: (state, nextAttemptAt = null) => set({ state, nextAttemptAt }),
}));
