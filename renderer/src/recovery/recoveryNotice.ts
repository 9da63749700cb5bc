// After a recovery ceremony the session is unlocked at once (as the recovered admin); the window stays on the session
// screen to say what happened until the officer continues. App.tsx shows the shell only once this is over.
import { create } from 'zustand';
import type { ChannelOutput } from '../../../shared/contract.ts';

export type RecoveryOutcome = ChannelOutput<'recovery:recover'>;

interface RecoveryNotice {
  /** From the moment the shares are sent until the answer (the unlock's event may arrive first). */
  pending: boolean;
  outcome: RecoveryOutcome | null;
  begin(): void;
  fail(): void;
  show(outcome: RecoveryOutcome): void;
  dismiss(): void;
}

export const useRecoveryNotice = create<RecoveryNotice>((set) => ({
  pending: false,
  outcome: null,
  begin: () => set({ pending: true }),
  fail: () => set({ pending: false }),
  show: (outcome) => set({ outcome, pending: false }),
  dismiss: () => set({ outcome: null, pending: false }),
}));

/** Whether the session screen must stay (a ceremony in flight or its outcome not yet read). */
export const useRecoveryHoldsScreen = () => useRecoveryNotice((s) => s.pending || s.outcome !== null);
