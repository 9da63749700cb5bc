// The enrolled and revoked approval key tables re-read when the person comes back to the window (docs/two-person-
// control.md "Who has an approval key"): on the window's focus, and on the page becoming visible; not on it being
// hidden, and not after the listener is stopped. A table of event sequences -> how many refreshes, written by hand.
import { describe, expect, it } from 'vitest';
import { onReturn } from '../../renderer/src/hooks/onReturn.ts';

type Step = 'focus' | 'blur' | 'visible' | 'hidden' | 'stop';
const CASES: Array<{ steps: Step[]; refreshes: number }> = [
  { steps: [], refreshes: 0 },
  { steps: ['focus'], refreshes: 1 },
  { steps: ['blur'], refreshes: 0 },
  { steps: ['hidden'], refreshes: 0 },
  { steps: ['hidden', 'visible'], refreshes: 1 },
  { steps: ['blur', 'focus', 'hidden', 'visible', 'focus'], refreshes: 3 },
  { steps: ['focus', 'stop', 'focus', 'hidden', 'visible'], refreshes: 1 },
];

describe('onReturn', () => {
  it.each(CASES)('$steps -> $refreshes refresh(es)', ({ steps, refreshes }) => {
    const win = new EventTarget();
    const doc = Object.assign(new EventTarget(), { visibilityState: 'visible' as string });
    let count = 0;
    const stop = onReturn(win, doc, () => count++);
    for (const step of steps) {
      if (step === 'stop') stop();
      else if (step === 'focus' || step === 'blur') win.dispatchEvent(new Event(step));
      else {
        doc.visibilityState = step;
        doc.dispatchEvent(new Event('visibilitychange'));
      }
    }
    expect(count).toBe(refreshes);
  });
});
