// After the store is created, the window stays on the session screen to show the audit key's fingerprint (to be
// written down) until the officer continues; App.tsx shows the shell only once this is over.
import { create } from 'zustand';

interface SetupNotice {
  /** True from the moment "Create key store" is sent until the officer continues (or the creation failed). */
  pending: boolean;
  begin(): void;
  end(): void;
}

export const useSetupNotice = create<SetupNotice>((set) => ({
  pending: false,
  begin: () => set({ pending: true }),
  end: () => set({ pending: false }),
}));
