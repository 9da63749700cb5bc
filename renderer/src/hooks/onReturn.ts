// When the person comes back to the window: it gets the focus, or the page becomes visible again (no DOM types here,
// so the unit test runs in Node: test/unit/renderer-refresh-on-return.test.ts).

type Target = Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;

/**
 * Calls `fn` each time `win` gets the focus and each time `doc` becomes visible (not when it is hidden); returns the
 * function that stops listening.
 */
export function onReturn(win: Target, doc: Target & { readonly visibilityState: string }, fn: () => void): () => void {
  const focused = () => fn();
  const visibility = () => {
    if (doc.visibilityState === 'visible') fn();
  };
  win.addEventListener('focus', focused);
  doc.addEventListener('visibilitychange', visibility);
  return () => {
    win.removeEventListener('focus', focused);
    doc.removeEventListener('visibilitychange', visibility);
  };
}
