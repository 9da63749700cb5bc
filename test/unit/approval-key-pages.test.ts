// Paging the approval key lists (electron/services/approvals/keyPages.ts; docs/two-person-control.md "Paging the key
// lists") and the CLI's `approvals keys` / `approvals revoked-keys` printing (electron/ipc/cli/keyListCli.ts;
// docs/cli.md), in-process. The cursors are built here by hand from the documented layout (base64url of the JSON array
// [list, time, name]); the limit table, the refusals and their texts are the docs'; the pages are arrays in the test.
import { describe, expect, it } from 'vitest';
import { decodeKeyCursor, encodeKeyCursor, keyPage, keyPageLimit } from '../../electron/services/approvals/keyPages.ts';
import { keyList, type KeyListQuery } from '../../electron/ipc/cli/keyListCli.ts';
import { caught } from './approvals-testkit.ts';

const cursorOf = (body: unknown) => Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
const FP = 'a1'.repeat(32);
const AT = '2026-06-01T08:00:00.000Z';
const NOT_OURS = 'cursor is not a page cursor of this console; start again from the first page.';

describe('encodeKeyCursor', () => {
  it('is base64url of the JSON array [list, time, name]', () => {
    expect(encodeKeyCursor('keys', AT, 'bob')).toBe(Buffer.from(`["keys","${AT}","bob"]`).toString('base64url'));
    expect(encodeKeyCursor('revoked', AT, FP)).toBe(Buffer.from(`["revoked","${AT}","${FP}"]`).toString('base64url'));
    // A name with characters base64 writes as + and /: base64url's - and _ instead.
    expect(encodeKeyCursor('keys', AT, '??>>')).not.toMatch(/[+/=]/);
  });
});

describe('decodeKeyCursor', () => {
  // [what, list asked for, cursor, accepted position or the refusal message]
  const ROWS: Array<[string, 'keys' | 'revoked', unknown, { at: string; name: string } | string]> = [
    ['an enrolled keys cursor', 'keys', cursorOf(['keys', AT, 'bob']), { at: AT, name: 'bob' }],
    ['a revoked keys cursor', 'revoked', cursorOf(['revoked', AT, FP]), { at: AT, name: FP }],
    ['a time without fraction', 'keys', cursorOf(['keys', '2026-06-01T08:00:00Z', 'bob']), { at: '2026-06-01T08:00:00Z', name: 'bob' }],
    ['a time with one fraction digit', 'keys', cursorOf(['keys', '2026-06-01T08:00:00.5Z', 'bob']), { at: '2026-06-01T08:00:00.5Z', name: 'bob' }],
    ['a name of 64 characters', 'keys', cursorOf(['keys', AT, 'n'.repeat(64)]), { at: AT, name: 'n'.repeat(64) }],
    ['a name of one character', 'keys', cursorOf(['keys', AT, 'n']), { at: AT, name: 'n' }],
    ['not text', 'keys', 42, NOT_OURS],
    ['absent', 'keys', undefined, NOT_OURS],
    ['empty', 'keys', '', NOT_OURS],
    ['a character outside base64url before', 'keys', `.${cursorOf(['keys', AT, 'bob'])}`, NOT_OURS],
    ['a character outside base64url after', 'keys', `${cursorOf(['keys', AT, 'bob'])}=`, NOT_OURS],
    ['base64 padding inside', 'keys', cursorOf(['keys', AT, 'bob']).replace(/^(.{8})/, '$1='), NOT_OURS],
    ['401 characters', 'keys', 'A'.repeat(401), NOT_OURS],
    ['base64url that is not JSON', 'keys', Buffer.from('["keys",').toString('base64url'), NOT_OURS],
    ['JSON that is not an array', 'keys', cursorOf({ list: 'keys', at: AT, name: 'bob' }), NOT_OURS],
    ['an array of two', 'keys', cursorOf(['keys', AT]), NOT_OURS],
    ['an array of four', 'keys', cursorOf(['keys', AT, 'bob', 'x']), NOT_OURS],
    ['a number inside', 'keys', cursorOf(['keys', AT, 7]), NOT_OURS],
    ['another list name', 'keys', cursorOf(['operators', AT, 'bob']), NOT_OURS],
    ['a time with an offset', 'keys', cursorOf(['keys', '2026-06-01T08:00:00+00:00', 'bob']), NOT_OURS],
    ['a time with four fraction digits', 'keys', cursorOf(['keys', '2026-06-01T08:00:00.1234Z', 'bob']), NOT_OURS],
    ['a date alone', 'keys', cursorOf(['keys', '2026-06-01', 'bob']), NOT_OURS],
    ['a time with text before', 'keys', cursorOf(['keys', `x${AT}`, 'bob']), NOT_OURS],
    // Date.parse reads the expanded year form; the cursor's time is the four-digit one only.
    ['an expanded year', 'keys', cursorOf(['keys', `+00${AT}`, 'bob']), NOT_OURS],
    ['a name that is an array of one text', 'keys', cursorOf(['keys', AT, ['bob']]), NOT_OURS],
    ['a time with text after', 'keys', cursorOf(['keys', `${AT}x`, 'bob']), NOT_OURS],
    ['month 13', 'keys', cursorOf(['keys', '2026-13-01T08:00:00.000Z', 'bob']), NOT_OURS],
    ['an empty operator name', 'keys', cursorOf(['keys', AT, '']), NOT_OURS],
    ['an operator name of 65 characters', 'keys', cursorOf(['keys', AT, 'n'.repeat(65)]), NOT_OURS],
    ['a fingerprint in capitals', 'revoked', cursorOf(['revoked', AT, FP.toUpperCase()]), NOT_OURS],
    ['a fingerprint of 63 digits', 'revoked', cursorOf(['revoked', AT, FP.slice(1)]), NOT_OURS],
    ['a fingerprint with a character after', 'revoked', cursorOf(['revoked', AT, `${FP}0`]), NOT_OURS],
    ['a fingerprint with a character before', 'revoked', cursorOf(['revoked', AT, `0${FP}`]), NOT_OURS],
    ['an operator name as a revoked cursor', 'revoked', cursorOf(['revoked', AT, 'bob']), NOT_OURS],
    [
      'the enrolled list\'s cursor on the revoked list',
      'revoked',
      cursorOf(['keys', AT, 'bob']),
      "cursor was made for the enrolled keys' list, not this one; start again from the first page.",
    ],
    [
      'the revoked list\'s cursor on the enrolled list',
      'keys',
      cursorOf(['revoked', AT, FP]),
      "cursor was made for the revoked keys' list, not this one; start again from the first page.",
    ],
  ];
  for (const [what, list, cursor, expected] of ROWS) {
    it(`${what}: ${typeof expected === 'string' ? 'refused' : 'read'}`, () => {
      if (typeof expected !== 'string') {
        expect(decodeKeyCursor(list, cursor)).toEqual(expected);
        return;
      }
      expect(caught(() => decodeKeyCursor(list, cursor))).toEqual({ code: 'invalid_input', message: expected, details: { field: 'cursor' } });
    });
  }
  it('a cursor written by encodeKeyCursor reads back', () => {
    expect(decodeKeyCursor('keys', encodeKeyCursor('keys', AT, 'Bea Smith'))).toEqual({ at: AT, name: 'Bea Smith' });
  });
});

describe('keyPageLimit', () => {
  const LIMIT = 'limit must be a whole number from 1 to 500.';
  const ROWS: Array<[unknown, number | null]> = [
    [undefined, 100],
    [1, 1],
    [25, 25],
    [500, 500],
    [0, null],
    [-1, null],
    [501, null],
    [2.5, null],
    ['10', null],
    [Number.NaN, null],
    [null, null],
  ];
  for (const [limit, expected] of ROWS) {
    it(`${String(limit)}: ${expected ?? 'refused'}`, () => {
      if (expected !== null) expect(keyPageLimit(limit)).toBe(expected);
      else expect(caught(() => keyPageLimit(limit))).toEqual({ code: 'invalid_input', message: LIMIT, details: { field: 'limit' } });
    });
  }
});

describe('keyPage', () => {
  // Five keys, already in the list's order (newest first); read() answers the rows after a position, as the SQL does.
  const ROWS = ['e', 'd', 'c', 'b', 'a'].map((name, i) => ({ name, at: `2026-06-01T08:00:0${5 - i}.000Z` }));
  function pager(list: 'keys' | 'revoked' = 'keys') {
    const asked: Array<[{ at: string; name: string } | null, number]> = [];
    const page = (query: { limit?: number; cursor?: string }) =>
      keyPage(
        list,
        query,
        (after, limit) => {
          asked.push([after, limit]);
          const from = after === null ? 0 : ROWS.findIndex((r) => r.name === after.name) + 1;
          return ROWS.slice(from, from + limit);
        },
        (r) => ({ at: r.at, name: r.name }),
        (r) => r.name.toUpperCase(),
      );
    return { asked, page };
  }

  it('asks one row more than the limit; the next cursor names the page\'s last row', () => {
    const p = pager();
    const first = p.page({ limit: 2 });
    expect(first).toEqual({ keys: ['E', 'D'], nextCursor: cursorOf(['keys', ROWS[1]!.at, 'd']) });
    const second = p.page({ limit: 2, cursor: first.nextCursor! });
    expect(second).toEqual({ keys: ['C', 'B'], nextCursor: cursorOf(['keys', ROWS[3]!.at, 'b']) });
    expect(p.page({ limit: 2, cursor: second.nextCursor! })).toEqual({ keys: ['A'], nextCursor: null });
    expect(p.asked).toEqual([
      [null, 3],
      [{ at: ROWS[1]!.at, name: 'd' }, 3],
      [{ at: ROWS[3]!.at, name: 'b' }, 3],
    ]);
  });

  it('a page that holds exactly the rest has no next cursor; the default limit reads 101', () => {
    const p = pager();
    expect(p.page({ limit: 5 })).toEqual({ keys: ['E', 'D', 'C', 'B', 'A'], nextCursor: null });
    expect(p.page({})).toEqual({ keys: ['E', 'D', 'C', 'B', 'A'], nextCursor: null });
    expect(p.asked.map(([, limit]) => limit)).toEqual([6, 101]);
  });

  it('the revoked list makes its own cursors; a bad limit or cursor reads nothing', () => {
    const p = pager('revoked');
    expect(p.page({ limit: 4 }).nextCursor).toBe(cursorOf(['revoked', ROWS[3]!.at, 'b']));
    expect(caught(() => p.page({ limit: 0 }))?.details).toEqual({ field: 'limit' });
    expect(caught(() => p.page({ cursor: cursorOf(['keys', AT, 'bob']) }))?.details).toEqual({ field: 'cursor' });
    expect(p.asked).toHaveLength(1);
  });

  it('an empty list: no keys, no cursor', () => {
    const empty = keyPage('keys', {}, () => [], () => ({ at: AT, name: 'x' }), (r) => r);
    expect(empty).toEqual({ keys: [], nextCursor: null });
  });
});

describe('keyList (approvals keys / revoked-keys)', () => {
  type K = { op: string };
  // Pages by cursor: '' is the first.
  const PAGES: Record<string, { keys: K[]; nextCursor: string | null }> = {
    '': { keys: [{ op: 'a' }, { op: 'b' }], nextCursor: 'c1' },
    c1: { keys: [{ op: 'c' }], nextCursor: 'c2' },
    c2: { keys: [], nextCursor: 'c3' },
    c3: { keys: [{ op: 'd' }, { op: 'e' }], nextCursor: null },
  };
  function calls(pages = PAGES) {
    const out: string[] = [];
    const asked: Array<[string, unknown]> = [];
    return {
      out,
      asked,
      calls: {
        first: async (input: { limit?: number; cursor?: string }) => (asked.push(['first', input]), pages[input.cursor ?? '']!),
        page: async (input: { limit?: number; cursor?: string }) => (asked.push(['page', input]), pages[input.cursor!]!),
        format: (keys: readonly K[]) => (keys.length === 0 ? 'No approval keys.' : ['OPERATOR', ...keys.map((k) => k.op)].join('\n')),
        out: (text: string) => void out.push(text),
      },
    };
  }
  const q = (over: Partial<KeyListQuery>): KeyListQuery => ({ all: false, json: false, ...over });

  it('one page: its table and the next page\'s cursor', async () => {
    const c = calls();
    const value = await keyList(q({}), c.calls);
    expect(c.asked).toStrictEqual([['first', {}]]);
    expect(c.out).toEqual(['OPERATOR\na\nb\n2 key(s) on this page; next page: --after c1']);
    expect(value).toEqual(PAGES['']);
  });

  it('--limit and --after are passed on; the last page prints no cursor', async () => {
    const c = calls();
    await keyList(q({ limit: 2, after: 'c3' }), c.calls);
    expect(c.asked).toStrictEqual([['first', { limit: 2, cursor: 'c3' }]]);
    expect(c.out).toEqual(['OPERATOR\nd\ne']);
    const d = calls();
    await keyList(q({ after: 'c1' }), d.calls);
    expect(d.asked).toStrictEqual([['first', { cursor: 'c1' }]]);
    const e = calls();
    await keyList(q({ limit: 7 }), e.calls);
    expect(e.asked).toStrictEqual([['first', { limit: 7 }]]);
  });

  it('one page as JSON: the answer as read, two-space indented', async () => {
    const c = calls();
    await keyList(q({ json: true }), c.calls);
    expect(c.out).toEqual([JSON.stringify(PAGES[''], null, 2)]);
  });

  it('--all: every page in order, the header once, an empty page skipped, the count last', async () => {
    const c = calls();
    const value = await keyList(q({ all: true, limit: 2 }), c.calls);
    expect(c.asked).toEqual([
      ['first', { limit: 2 }],
      ['page', { limit: 2, cursor: 'c1' }],
      ['page', { limit: 2, cursor: 'c2' }],
      ['page', { limit: 2, cursor: 'c3' }],
    ]);
    expect(c.out).toEqual(['OPERATOR\na\nb', 'c', 'd\ne', '5 key(s)']);
    expect(value).toEqual({ printed: 5 });
  });

  it('--all with nothing enrolled: the none line and 0 key(s)', async () => {
    const c = calls({ '': { keys: [], nextCursor: null } });
    expect(await keyList(q({ all: true }), c.calls)).toEqual({ printed: 0 });
    expect(c.out).toEqual(['No approval keys.', '0 key(s)']);
  });

  it('--all --json: one JSON document written page by page', async () => {
    const c = calls();
    await keyList(q({ all: true, json: true }), c.calls);
    expect(c.out).toEqual(['{"keys":[', '{"op":"a"},\n{"op":"b"}', ',{"op":"c"}', ',{"op":"d"},\n{"op":"e"}', '],"nextCursor":null}']);
    expect(JSON.parse(c.out.join(''))).toEqual({ keys: [{ op: 'a' }, { op: 'b' }, { op: 'c' }, { op: 'd' }, { op: 'e' }], nextCursor: null });
  });

  it('--all --json starting with an empty first page: no stray comma', async () => {
    const c = calls({ '': { keys: [], nextCursor: 'x' }, x: { keys: [{ op: 'z' }], nextCursor: null } });
    await keyList(q({ all: true, json: true }), c.calls);
    expect(c.out).toEqual(['{"keys":[', '{"op":"z"}', '],"nextCursor":null}']);
  });
});
