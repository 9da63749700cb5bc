// Cursor pages for a table over a keyset-paged channel (a `cursor` in, a `nextCursor` out): the pages already reached
// keep their cursors, so Previous and the page numbers go back; Next follows the open page's nextCursor. Pure, so the
// page arithmetic is unit tested (test/unit/renderer-cursor-pages.test.ts); useCursorPages.ts holds it in React state.

export interface CursorPages {
  /** cursors[i] reads page i + 1 (undefined: the first page). */
  cursors: ReadonlyArray<string | undefined>;
  /** The open page, from 1. */
  page: number;
}

export const FIRST_PAGE: CursorPages = { cursors: [undefined], page: 1 };

/** The cursor that reads the open page (undefined: the first). */
export const openCursor = (s: CursorPages): string | undefined => s.cursors[s.page - 1];

/** How many pages the pagination shows: those reached, and one more when the last of them has a next page. */
export function pagesCount(s: CursorPages, next: string | null): number {
  return s.cursors.length + (s.page === s.cursors.length && next !== null ? 1 : 0);
}

/** Opens page `index`: one already reached, or the next one after the last reached (through `next`); never further. */
export function goToPage(s: CursorPages, index: number, next: string | null): CursorPages {
  const onLast = s.page === s.cursors.length;
  if (index > s.cursors.length && onLast && next !== null) return { cursors: [...s.cursors, next], page: s.cursors.length + 1 };
  return { cursors: s.cursors, page: Math.max(1, Math.min(index, s.cursors.length)) };
}

/** A page that came back empty (its rows revoked or removed meanwhile) and is not the first: go back one. */
export function afterEmptyPage(s: CursorPages, rows: number): CursorPages {
  if (rows > 0 || s.page === 1) return s;
  return { cursors: s.cursors.slice(0, s.page - 1), page: s.page - 1 };
}
