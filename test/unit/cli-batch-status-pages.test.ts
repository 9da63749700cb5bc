// batchStatus (electron/ipc/cli/batchCli.ts) over a table of pages written here: which cursor each call sends, what
// one page and --all print as JSON. The CLI end to end is test/integration/cli-rotation-batch-pages.test.ts; this file
// puts the paging rules inside the unit run that Stryker mutates.
import { describe, expect, it } from 'vitest';
import { batchStatus, type BatchStatusCalls } from '../../electron/ipc/cli/batchCli.ts';

const JOB = { id: 'job-1', state: 'done' };
// three pages of a job with 5 failed keys: cursors c1, c2, then the end
const PAGES: Record<string, { items: Array<{ keyId: string }>; nextCursor: string | null }> = {
  start: { items: [{ keyId: 'k1' }, { keyId: 'k2' }], nextCursor: 'c1' },
  c1: { items: [{ keyId: 'k3' }, { keyId: 'k4' }], nextCursor: 'c2' },
  c2: { items: [{ keyId: 'k5' }], nextCursor: null },
};

function calls() {
  const sent: unknown[] = [];
  const out: string[] = [];
  const c = {
    job: (id: string) => Promise.resolve({ ...JOB, id }),
    page: (input: { cursor?: string }) => {
      sent.push(input);
      return Promise.resolve({ ...PAGES[input.cursor ?? 'start']!, state: 'failed', matching: 5 });
    },
    out: (t: string) => out.push(t),
  } as unknown as BatchStatusCalls;
  return { c, sent, out };
}

describe('rotation batch status pages', () => {
  it('one page: sends the filter, the limit and the cursor given, prints that page and the next cursor', async () => {
    const { c, sent, out } = calls();
    await batchStatus({ batchId: 'job-1', outcome: 'failed', limit: 2, after: 'c1', all: false, json: true }, c);
    expect(sent).toEqual([{ batchId: 'job-1', state: 'failed', limit: 2, cursor: 'c1' }]);
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0]!)).toEqual({ id: 'job-1', state: 'done', outcome: 'failed', matching: 5, items: [{ keyId: 'k3' }, { keyId: 'k4' }], nextCursor: 'c2' });
  });

  it('one page without options sends neither state, limit nor cursor', async () => {
    const { c, sent } = calls();
    await batchStatus({ batchId: 'job-1', all: false, json: true }, c);
    expect(sent).toEqual([{ batchId: 'job-1' }]);
  });

  it('--all --json follows every cursor and prints one JSON document with every item in order', async () => {
    const { c, sent, out } = calls();
    const value = await batchStatus({ batchId: 'job-1', outcome: 'failed', all: true, json: true }, c);
    expect(sent).toEqual([
      { batchId: 'job-1', state: 'failed' },
      { batchId: 'job-1', state: 'failed', cursor: 'c1' },
      { batchId: 'job-1', state: 'failed', cursor: 'c2' },
    ]);
    expect(JSON.parse(out.join(''))).toEqual({ id: 'job-1', state: 'done', outcome: 'failed', matching: 5, items: ['k1', 'k2', 'k3', 'k4', 'k5'].map((keyId) => ({ keyId })), nextCursor: null });
    expect(value).toMatchObject({ printed: 5 });
  });
});

// The human form, line by line as docs/cli.md gives it: the summary line, one line per key, then
// `N of M key(s) OUTCOME on this page; next page: --after CURSOR` (or `last page`); --all ends with `N of M key(s)`.
describe('rotation batch status pages, human form', () => {
  const FULL_JOB = { batchId: 'job-1', state: 'done', total: 5, done: 0, failed: 5, superseded: 0, cancelled: 0, pending: 0, selection: { kind: 'type', value: 'storage' }, createdAt: '2026-12-05T10:00:00.000Z' };
  const SUMMARY = 'job-1  2026-12-05T10:00:00.000Z  type storage  done  0/5 done, 5 failed, 0 superseded, 0 cancelled, 0 pending';
  const key = (keyId: string) => ({ keyId, fromVersion: 1, toVersion: null, state: 'failed', attempts: 2, errorCode: 'unavailable', errorMessage: 'down' });
  const LINE = (keyId: string) => `  ${keyId}  v1  failed  attempts 2  [unavailable] down`;
  const BOOK: Record<string, { items: object[]; nextCursor: string | null }> = {
    start: { items: [key('k1'), key('k2')], nextCursor: 'c1' },
    c1: { items: [key('k3')], nextCursor: null },
  };
  function human(state: string | null, book = BOOK, matching = 3) {
    const sent: object[] = [];
    const out: string[] = [];
    const c = {
      job: () => Promise.resolve(FULL_JOB),
      page: (input: { cursor?: string }) => {
        sent.push(input);
        return Promise.resolve({ ...book[input.cursor ?? 'start']!, state, matching });
      },
      out: (t: string) => out.push(t),
    } as unknown as BatchStatusCalls;
    return { c, sent, out };
  }

  it('one page with more after it: the keys, then the count with the outcome and the next cursor', async () => {
    const { c, out } = human('failed');
    await batchStatus({ batchId: 'job-1', outcome: 'failed', all: false, json: false }, c);
    expect(out.join('\n').split('\n')).toEqual([SUMMARY, LINE('k1'), LINE('k2'), '2 of 3 key(s) failed on this page; next page: --after c1']);
  });

  it('the last page, every outcome: no outcome word, "last page"', async () => {
    const { c, sent, out } = human(null);
    await batchStatus({ batchId: 'job-1', after: 'c1', all: false, json: false }, c);
    expect(sent).toStrictEqual([{ batchId: 'job-1', cursor: 'c1' }]);
    expect(out.join('\n').split('\n')).toEqual([SUMMARY, LINE('k3'), '1 of 3 key(s) on this page; last page']);
  });

  it('no option sends no state, limit or cursor member at all', async () => {
    const { c, sent } = human(null);
    await batchStatus({ batchId: 'job-1', all: false, json: false }, c);
    expect(sent).toStrictEqual([{ batchId: 'job-1' }]);
  });

  it('--all: the summary, each page as read, then "N of M key(s)"', async () => {
    const { c, sent, out } = human('failed');
    await batchStatus({ batchId: 'job-1', outcome: 'failed', limit: 2, all: true, json: false }, c);
    expect(sent).toStrictEqual([{ batchId: 'job-1', state: 'failed', limit: 2 }, { batchId: 'job-1', state: 'failed', limit: 2, cursor: 'c1' }]);
    expect(out).toEqual([SUMMARY, `${LINE('k1')}\n${LINE('k2')}`, LINE('k3'), '3 of 3 key(s) failed']);
  });

  it('--all with no key in that outcome: the summary and "0 of 0", no empty line', async () => {
    const { c, out } = human('superseded', { start: { items: [], nextCursor: null } }, 0);
    await batchStatus({ batchId: 'job-1', outcome: 'superseded', all: true, json: false }, c);
    expect(out).toEqual([SUMMARY, '0 of 0 key(s) superseded']);
  });
});
