// The Approvals screen's key tables page a keyset channel (approvals:listKeys, approvals:listRevokedKeys: a cursor in,
// nextCursor out; docs/two-person-control.md "Paging the key lists"). The page arithmetic, from tables written here:
// the pages reached keep their cursors (Previous and the numbers go back), Next follows the open page's nextCursor,
// one page more is offered only from the last page reached when it has a next one, never a page beyond; a page that
// came back empty (its keys revoked meanwhile) steps back one. And the fingerprint's short form.
import { describe, expect, it } from 'vitest';
import { afterEmptyPage, FIRST_PAGE, goToPage, openCursor, pagesCount, type CursorPages } from '../../renderer/src/hooks/cursorPages.ts';
import { shortFingerprint } from '../../renderer/src/approvals/approvalKeyText.ts';

const at = (cursors: Array<string | undefined>, page: number): CursorPages => ({ cursors, page });

describe('cursor pages', () => {
  const COUNTS: Array<{ state: CursorPages; next: string | null; pages: number }> = [
    { state: FIRST_PAGE, next: null, pages: 1 },
    { state: FIRST_PAGE, next: 'c2', pages: 2 },
    { state: at([undefined, 'c2'], 2), next: null, pages: 2 },
    { state: at([undefined, 'c2'], 2), next: 'c3', pages: 3 },
    // Back on page 1 of 2 reached: page 1's next cursor offers no third page.
    { state: at([undefined, 'c2'], 1), next: 'c2', pages: 2 },
  ];
  it.each(COUNTS)('pagesCount %#', ({ state, next, pages }) => expect(pagesCount(state, next)).toBe(pages));

  const MOVES: Array<{ what: string; from: CursorPages; to: number; next: string | null; expect: CursorPages }> = [
    { what: 'Next from the first page follows its nextCursor', from: FIRST_PAGE, to: 2, next: 'c2', expect: at([undefined, 'c2'], 2) },
    { what: 'Next on the last page (no next cursor) stays', from: FIRST_PAGE, to: 2, next: null, expect: FIRST_PAGE },
    { what: 'Previous keeps the cursors reached', from: at([undefined, 'c2', 'c3'], 3), to: 2, next: null, expect: at([undefined, 'c2', 'c3'], 2) },
    { what: 'a page number reached', from: at([undefined, 'c2', 'c3'], 3), to: 1, next: 'c4', expect: at([undefined, 'c2', 'c3'], 1) },
    { what: 'no jump past the page after the last reached', from: FIRST_PAGE, to: 5, next: 'c2', expect: at([undefined, 'c2'], 2) },
    { what: 'from an earlier page, no new cursor is taken', from: at([undefined, 'c2'], 1), to: 3, next: 'c2', expect: at([undefined, 'c2'], 2) },
    { what: 'never below page 1', from: at([undefined, 'c2'], 2), to: 0, next: null, expect: at([undefined, 'c2'], 1) },
  ];
  it.each(MOVES)('$what', ({ from, to, next, expect: want }) => expect(goToPage(from, to, next)).toEqual(want));

  it('reads the open page with its cursor (the first page without one)', () => {
    expect(openCursor(FIRST_PAGE)).toBeUndefined();
    expect(openCursor(at([undefined, 'c2', 'c3'], 2))).toBe('c2');
  });

  const EMPTIED: Array<{ from: CursorPages; rows: number; expect: CursorPages }> = [
    { from: at([undefined, 'c2'], 2), rows: 0, expect: at([undefined], 1) },
    { from: at([undefined, 'c2', 'c3'], 3), rows: 0, expect: at([undefined, 'c2'], 2) },
    { from: at([undefined, 'c2'], 2), rows: 3, expect: at([undefined, 'c2'], 2) },
    { from: FIRST_PAGE, rows: 0, expect: FIRST_PAGE },
  ];
  it.each(EMPTIED)('an emptied page %#', ({ from, rows, expect: want }) => expect(afterEmptyPage(from, rows)).toEqual(want));
});

describe('the fingerprint short form', () => {
  it('is the first 16 hex digits and an ellipsis', () => {
    expect(shortFingerprint(`0123456789abcdef${'9'.repeat(48)}`)).toBe('0123456789abcdef…');
  });
});
