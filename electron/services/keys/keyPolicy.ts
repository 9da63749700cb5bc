// The console refuses by itself: every operation on a key checks the key's state here first, before any provider is
// asked, so a provider that would still serve a key the console suspended, marked compromised or destroyed never gets
// the chance (docs/key-store.md, "What each state allows"). A state change that restricts a key takes effect here at
// once, while its provider calls are still running.
import { canProcess, canProtect, type KeyState } from '../../../shared/domain.ts';
import { ConsoleError } from '../../../shared/errors.ts';

export const KEY_OPERATIONS = ['encrypt', 'decrypt', 'sign', 'verify', 'publicKey', 'rotate', 'backup'] as const;
export type KeyOperation = (typeof KEY_OPERATIONS)[number];

/** Whether a key in `state` may perform `op` (SP 800-57 Part 1 Rev. 5, 7.1 - 7.3). */
export function allowedIn(state: KeyState, op: KeyOperation): boolean {
  switch (op) {
    case 'encrypt':
    case 'sign':
    case 'rotate':
      return canProtect(state);
    case 'decrypt':
    case 'verify':
      return canProcess(state);
    case 'publicKey':
    case 'backup':
      // Handing out or copying a key is refused once it is compromised (and impossible once destroyed).
      return state !== 'compromised' && state !== 'destroyed';
  }
}

/** Keys whose state change is running: the target state restricts them before the change commits. */
export interface KeyRestrictions {
  /** Marks the key as changing to `state`; returns the release. Refuses a second change of the same key meanwhile. */
  begin(keyId: string, state: KeyState): () => void;
  pending(keyId: string): KeyState | undefined;
}

export function createKeyRestrictions(): KeyRestrictions {
  const running = new Map<string, KeyState>();
  return {
    begin(keyId, state) {
      if (running.has(keyId)) {
        throw new ConsoleError('illegal_transition', `Key ${keyId} is already changing to ${running.get(keyId)}; wait for that change to finish.`, { state: running.get(keyId)! });
      }
      running.set(keyId, state);
      return () => {
        running.delete(keyId);
      };
    },
    pending: (keyId) => running.get(keyId),
  };
}

/** Throws key_destroyed / key_disabled unless the key's state, and a state change in flight, allow `op`. */
export function requireState(key: { id: string; state: KeyState }, op: KeyOperation, restrictions: KeyRestrictions): void {
  const inFlight = restrictions.pending(key.id);
  for (const state of inFlight === undefined ? [key.state] : [key.state, inFlight]) {
    if (allowedIn(state, op)) continue;
    if (state === 'destroyed') throw new ConsoleError('key_destroyed', `Key ${key.id} was destroyed.`, { state, operation: op });
    throw new ConsoleError('key_disabled', `Key ${key.id} is ${state}; the console refuses to ${op} with it.`, { state, operation: op });
  }
}
