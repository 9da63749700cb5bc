// Page cursors of approvals:listKeys and approvals:listRevokedKeys (docs/two-person-control.md "Paging the key
// lists"). A cursor names the list it was made for and the last key of its page by the list's order (the time, then
// the tie-breaker: the operator for enrolled keys, the fingerprint for revoked ones), base64url-encoded and opaque to
// callers. Keyset paging: a key enrolled or revoked between two pages never shifts the next page (a newer key comes
// before the cursor, so it is not shown twice nor makes another one skipped).
import { ConsoleError } from '../../../shared/errors.ts';
import { APPROVAL_KEYS_PAGE_DEFAULT, APPROVAL_KEYS_PAGE_MAX } from '../../../shared/approvalsContract.ts';

export type KeyList = 'keys' | 'revoked';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const FINGERPRINT = /^[0-9a-f]{64}$/;
const CURSOR_TEXT = /^[A-Za-z0-9_-]{1,400}$/;

const invalid = (message: string, field: string) => new ConsoleError('invalid_input', message, { field });

export function encodeKeyCursor(list: KeyList, at: string, name: string): string {
  return Buffer.from(JSON.stringify([list, at, name]), 'utf8').toString('base64url');
}

/** The position a cursor names, or a typed refusal (`invalid_input`, field `cursor`) saying why. */
export function decodeKeyCursor(list: KeyList, cursor: unknown): { at: string; name: string } {
  const bad = (why: string) => invalid(`cursor ${why}; start again from the first page.`, 'cursor');
  if (typeof cursor !== 'string' || !CURSOR_TEXT.test(cursor)) throw bad('is not a page cursor of this console');
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad('is not a page cursor of this console');
  }
  if (!Array.isArray(body) || body.length !== 3 || !body.every((v) => typeof v === 'string')) throw bad('is not a page cursor of this console');
  const [kind, at, name] = body as [string, string, string];
  if (kind !== 'keys' && kind !== 'revoked') throw bad('is not a page cursor of this console');
  if (!ISO.test(at) || Number.isNaN(Date.parse(at))) throw bad('is not a page cursor of this console');
  const nameOk = kind === 'revoked' ? FINGERPRINT.test(name) : name.length >= 1 && name.length <= 64;
  if (!nameOk) throw bad('is not a page cursor of this console');
  // A well-formed cursor of the other list: said so, rather than paging this list from a position it never had.
  if (kind !== list) throw bad(`was made for the ${kind === 'keys' ? 'enrolled' : 'revoked'} keys' list, not this one`);
  return { at, name };
}

/** The page size asked for: the default when absent, else a whole number from 1 to the maximum (`invalid_input`). */
export function keyPageLimit(limit: unknown): number {
  if (limit === undefined) return APPROVAL_KEYS_PAGE_DEFAULT;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > APPROVAL_KEYS_PAGE_MAX) {
    throw invalid(`limit must be a whole number from 1 to ${APPROVAL_KEYS_PAGE_MAX}.`, 'limit');
  }
  return limit;
}

/**
 * One page: reads one row more than asked (telling whether a next page exists without counting) and makes the next
 * cursor from the page's last row.
 */
export function keyPage<Row, View>(
  list: KeyList,
  query: { limit?: number | undefined; cursor?: string | undefined },
  read: (after: { at: string; name: string } | null, limit: number) => Row[],
  position: (row: Row) => { at: string; name: string },
  view: (row: Row) => View,
): { keys: View[]; nextCursor: string | null } {
  const limit = keyPageLimit(query.limit);
  const after = query.cursor === undefined ? null : decodeKeyCursor(list, query.cursor);
  const rows = read(after, limit + 1);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const next = rows.length > limit && last !== undefined ? position(last) : null;
  return { keys: page.map(view), nextCursor: next === null ? null : encodeKeyCursor(list, next.at, next.name) };
}
