// Cursor pages (cursorPages.ts) held in React state, for a table over a keyset-paged channel.
import { useMemo, useState } from 'react';
import { afterEmptyPage, FIRST_PAGE, goToPage, openCursor, type CursorPages } from './cursorPages.ts';

export function useCursorPages() {
  const [state, setState] = useState<CursorPages>(FIRST_PAGE);
  // Stable callbacks: a component may run `settle` from an effect.
  const actions = useMemo(
    () => ({
      goTo: (index: number, next: string | null) => setState((s) => goToPage(s, index, next)),
      settle: (rows: number) => setState((s) => afterEmptyPage(s, rows)),
      reset: () => setState(FIRST_PAGE),
    }),
    [],
  );
  return { state, cursor: openCursor(state), ...actions };
}
