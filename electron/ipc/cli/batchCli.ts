// `rotation batch status ID` (docs/cli.md): one batch job's summary and its keys' results a page at a time through
// rotation:batchItems (keyset cursor, optional outcome filter), so a job of 100,000 keys is never read or printed at
// once. One page prints the cursor of the next; --all prints every page as it is read (with --json: one JSON document,
// written page by page).
import type { ChannelOutput } from '../../../shared/contract.ts';
import { formatBatch, formatBatchItem } from './format.ts';
import { eachPage } from './pages.ts';

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
  let printed = 0;
  await eachPage(first, (cursor) => calls.page({ ...input, cursor }), (page) => {
    if (page.items.length > 0) {
      calls.out(q.json ? `${printed > 0 ? ',' : ''}${page.items.map((i) => JSON.stringify(i)).join(',\n')}` : page.items.map(formatBatchItem).join('\n'));
    }
    printed += page.items.length;
  });
  calls.out(q.json ? '],"nextCursor":null}' : `${shown(printed)}`);
  return { ...summary, printed };
}

/** How many keys of a job are shown at the end of `start` and `resume`: one page of the failed ones. */
export const FINISHED_PAGE = 100;

/**
 * `rotation batch start` and `resume` (docs/cli.md): a finished job's summary (its counts per outcome, id and state)
 * and the first page of its failed keys only, then how to see the rest: a 1,000-key job prints at most
 * FINISHED_PAGE key lines. Failed keys first because they are the ones an operator acts on (retry, investigate); done
 * keys are the expected outcome and superseded or cancelled ones need no action, and their counts are in the summary.
 * The value (and --json) is the document `status ID --outcome failed --limit FINISHED_PAGE --json` prints.
 */
export async function batchFinished(batchId: string, calls: Omit<BatchStatusCalls, 'out'>): Promise<{ value: Job & { outcome: string | null; matching: number; nextCursor: string | null }; text: string }> {
  const job = await calls.job(batchId);
  const page = await calls.page({ batchId, state: 'failed', limit: FINISHED_PAGE });
  const value = { ...job, outcome: page.state, matching: page.matching, items: page.items, nextCursor: page.nextCursor };
  const lines = [formatBatch(job)];
  if (page.matching > 0) {
    lines.push(`  failed keys:`, ...page.items.map(formatBatchItem));
    lines.push(page.nextCursor === null
      ? `${page.items.length} of ${page.matching} failed key(s) shown`
      : `${page.items.length} of ${page.matching} failed key(s) shown; the next: rotation batch status ${batchId} --outcome failed --after ${page.nextCursor}`);
  }
  lines.push(`every key: rotation batch status ${batchId} --all`);
  return { value, text: lines.join('\n') };
}

/** The progress line of a running job, printed at each tenth of its keys settled (never twice for one tenth). */
export function batchProgressPrinter(out: (line: string) => void): (p: { batchId: string; total: number; done: number; failed: number; superseded: number; cancelled: number; pending: number }) => void {
  const printed = new Map<string, number>();
  return (p) => {
    const settled = p.total - p.pending;
    const tenth = Math.floor((settled * 10) / p.total); // a job has at least one key (an empty selection is refused)
    if (tenth <= (printed.get(p.batchId) ?? 0)) return;
    printed.set(p.batchId, tenth);
    out(`batch ${p.batchId}: ${settled}/${p.total} settled (${p.done} done, ${p.failed} failed, ${p.superseded} superseded, ${p.cancelled} cancelled)`);
  };
}
