// `approvals keys` and `approvals revoked-keys` (docs/cli.md): the approval key lists a page at a time through
// approvals:listKeys / approvals:listRevokedKeys (keyset cursor), as `rotation batch status ID` pages a job's keys:
// --limit N keys per page (1 to 500; the channel's default 100), --after CURSOR the page after the one that printed
// it, --all every page from the first, each printed as soon as it is read (with --json: one JSON document written page
// by page). One page prints its table and, when more follow, the cursor of the next.
import { eachPage } from './pages.ts';

export interface KeyListQuery {
  /** Page size (the channel's default when absent). */
  limit?: number | undefined;
  /** The cursor printed by the previous page. */
  after?: string | undefined;
  /** Every page from the first. */
  all: boolean;
  json: boolean;
}

export interface KeyListCalls<K> {
  /** The first page (signs in when the store is locked). */
  first(input: { limit?: number; cursor?: string }): Promise<{ keys: K[]; nextCursor: string | null }>;
  page(input: { limit?: number; cursor?: string }): Promise<{ keys: K[]; nextCursor: string | null }>;
  /** The table of some keys, its header first (or the line saying there are none). */
  format(keys: readonly K[]): string;
  out(text: string): void;
}

export async function keyList<K>(q: KeyListQuery, calls: KeyListCalls<K>): Promise<unknown> {
  const input = q.limit === undefined ? {} : { limit: q.limit };
  const first = await calls.first(q.after === undefined ? input : { ...input, cursor: q.after });
  if (!q.all) {
    const next = first.nextCursor === null ? '' : `\n${first.keys.length} key(s) on this page; next page: --after ${first.nextCursor}`;
    calls.out(q.json ? JSON.stringify(first, null, 2) : `${calls.format(first.keys)}${next}`);
    return first;
  }
  // Every page, each printed as soon as it is read: memory holds one page whatever the number of keys.
  if (q.json) calls.out('{"keys":[');
  let printed = 0;
  await eachPage(first, (cursor) => calls.page({ ...input, cursor }), (page) => {
    if (q.json) {
      if (page.keys.length > 0) calls.out(`${printed > 0 ? ',' : ''}${page.keys.map((k) => JSON.stringify(k)).join(',\n')}`);
    } else if (printed === 0 || page.keys.length > 0) {
      // The header once, above the first page's rows.
      const table = calls.format(page.keys);
      calls.out(printed === 0 ? table : table.split('\n').slice(1).join('\n'));
    }
    printed += page.keys.length;
  });
  calls.out(q.json ? '],"nextCursor":null}' : `${printed} key(s)`);
  return { printed };
}
