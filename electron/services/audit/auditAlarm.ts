// The audit alarm: why the history cannot be trusted right now. The key problem is set at an unlock whose key check
// failed and cleared by one that passes; the chain problem is set by any failed check (verify, export, the check
// before a checkpoint) and cleared only by a full verification that passes. Listeners hear every change.
import type { AuditAlarm } from '../../../shared/contract.ts';
import type { Logger } from '../../logger.ts';

export interface AlarmState {
  current(): AuditAlarm | null;
  setKeyProblem(reason: string | null): void;
  /** Returns true when this raised the chain alarm (it was not standing before). */
  raiseChain(seq: number, reason: string, at: string): boolean;
  clearChain(): void;
  onChange(listener: (alarm: AuditAlarm | null) => void): () => void;
}

export function createAlarmState(logger?: Logger): AlarmState {
  let keyProblem: string | null = null;
  let chainProblem: AuditAlarm['chainProblem'] = null;
  const listeners = new Set<(alarm: AuditAlarm | null) => void>();
  const current = (): AuditAlarm | null => (keyProblem === null && chainProblem === null ? null : { keyProblem, chainProblem });
  const changed = () => {
    const alarm = current();
    for (const l of listeners) {
      try {
        l(alarm);
      } catch (e) {
        logger?.warn('audit alarm listener failed', { error: e instanceof Error ? e : String(e) });
      }
    }
  };
  return {
    current,
    setKeyProblem(reason) {
      if (reason === keyProblem) return;
      keyProblem = reason;
      changed();
    },
    raiseChain(seq, reason, at) {
      const raised = chainProblem === null;
      if (!raised && chainProblem?.seq === seq && chainProblem.reason === reason) return false;
      chainProblem = { seq, reason, detectedAt: at };
      changed();
      return raised;
    },
    clearChain() {
      if (chainProblem === null) return;
      chainProblem = null;
      changed();
    },
    onChange(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
