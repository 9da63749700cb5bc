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
