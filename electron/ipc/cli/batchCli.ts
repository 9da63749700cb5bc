// `rotation batch status ID` (docs/cli.md): one batch job's summary and its keys' results a page at a time through
// rotation:batchItems (keyset cursor, optional outcome filter), so a job of 100,000 keys is never read or printed at
// once. One page prints the cursor of the next; --all prints every page as it is read (with --json: one JSON document,
// written page by page).
import type { ChannelOutput } from '../../../shared/contract.ts';
import { formatBatch, formatBatchItem } from './format.ts';

type Job = ChannelOutput<'rotation:batchGet'>;
type Page = ChannelOutput<'rotation:batchItems'>;

export interface BatchStatusQuery {
  batchId: string;
  outcome?: string | undefined;
  /** Page size (1 to 500; the channel's default 100 when absent). */
  limit?: number | undefined;
  /** The cursor printed by the previous page. */
  after?: string | undefined;
  /** Every page from the first. */
  all: boolean;
  json: boolean;
}

export interface BatchStatusCalls {
  job(batchId: string): Promise<Job>;
  page(input: { batchId: string; state?: string; limit?: number; cursor?: string }): Promise<Page>;
  out(text: string): void;
}

/** Prints the job and one page of its items (or all of them); returns what was printed as a value. */
export async function batchStatus(q: BatchStatusQuery, calls: BatchStatusCalls): Promise<unknown> {
  const job = await calls.job(q.batchId);
  const input = { batchId: q.batchId, ...(q.outcome === undefined ? {} : { state: q.outcome }), ...(q.limit === undefined ? {} : { limit: q.limit }) };
  const first = await calls.page(q.after === undefined ? input : { ...input, cursor: q.after });
  const summary = { ...job, outcome: first.state, matching: first.matching };
  const shown = (n: number) => `${n} of ${first.matching} key(s)${first.state === null ? '' : ` ${first.state}`}`;
  if (!q.all) {
    const value = { ...summary, items: first.items, nextCursor: first.nextCursor };
    const next = first.nextCursor === null ? 'last page' : `next page: --after ${first.nextCursor}`;
    calls.out(q.json ? JSON.stringify(value, null, 2) : [formatBatch(job), ...first.items.map(formatBatchItem), `${shown(first.items.length)} on this page; ${next}`].join('\n'));
    return value;
  }
  // Every page, each printed as soon as it is read: memory holds one page whatever the job's size.
  const head = JSON.stringify(summary);
  calls.out(q.json ? `${head.slice(0, -1)},"items":[` : formatBatch(job));
  let page = first;
  let printed = 0;
  for (;;) {
    if (page.items.length > 0) {
      calls.out(q.json ? `${printed > 0 ? ',' : ''}${page.items.map((i) => JSON.stringify(i)).join(',\n')}` : page.items.map(formatBatchItem).join('\n'));
    }
    printed += page.items.length;
    if (page.nextCursor === null) break;
    page = await calls.page({ ...input, cursor: page.nextCursor });
  }
  calls.out(q.json ? '],"nextCursor":null}' : `${shown(printed)}`);
  return { ...summary, printed };
}
