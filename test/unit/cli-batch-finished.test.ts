// What `rotation batch start` and `resume` print once a job ends (batchFinished, electron/ipc/cli/batchCli.ts), and
// the progress lines while they wait (batchProgressPrinter), over tables written here. docs/cli.md: the job's summary
// line, the first page (100) of its failed keys only, `N of M failed key(s) shown` with the next cursor's command when
// there are more, then `every key: rotation batch status ID --all`; --json is the document of
// `status ID --outcome failed --json`. Progress: one stderr line at each tenth of the keys settled, never twice.
// The CLI end to end is test/integration/cli-rotation-batch.test.ts.
import { describe, expect, it } from 'vitest';
import { batchFinished, batchProgressPrinter, type BatchStatusCalls } from '../../electron/ipc/cli/batchCli.ts';

const JOB = {
  batchId: 'job-1', state: 'done', total: 1000, done: 997, failed: 2, superseded: 1, cancelled: 0, pending: 0,
  selection: { kind: 'type', value: 'storage' }, createdAt: '2026-12-05T10:00:00.000Z',
};
const SUMMARY = 'job-1  2026-12-05T10:00:00.000Z  type storage  done  997/1000 done, 2 failed, 1 superseded, 0 cancelled, 0 pending';
const item = (keyId: string) => ({ seq: 1, keyId, fromVersion: 1, toVersion: null, state: 'failed', attempts: 3, errorCode: 'unavailable', errorMessage: 'provider down', recovered: false });
const LINE = (keyId: string) => `  ${keyId}  v1  failed  attempts 3  [unavailable] provider down`;

function calls(job: object, page: { items: object[]; matching: number; nextCursor: string | null }) {
  const sent: unknown[] = [];
  const c = {
    job: (id: string) => {
      sent.push(['job', id]);
      return Promise.resolve(job);
    },
    page: (input: object) => {
      sent.push(['page', input]);
      return Promise.resolve({ batchId: 'job-1', state: 'failed', ...page });
    },
  } as unknown as Omit<BatchStatusCalls, 'out'>;
  return { c, sent };
}

describe('rotation batch start / resume: the finished job', () => {
  it('asks for the job without its items and for the first 100 failed keys only', async () => {
    const { c, sent } = calls(JOB, { items: [], matching: 0, nextCursor: null });
    await batchFinished('job-1', c);
    expect(sent).toEqual([['job', 'job-1'], ['page', { batchId: 'job-1', state: 'failed', limit: 100 }]]);
  });

  it('failed keys on one page: the summary, each failed key, the count shown and how to see every key', async () => {
    const { c } = calls(JOB, { items: [item('k1'), item('k2')], matching: 2, nextCursor: null });
    const { value, text } = await batchFinished('job-1', c);
    expect(text.split('\n')).toEqual([
      SUMMARY,
      '  failed keys:',
      LINE('k1'),
      LINE('k2'),
      '2 of 2 failed key(s) shown',
      'every key: rotation batch status job-1 --all',
    ]);
    expect(value).toEqual({ ...JOB, outcome: 'failed', matching: 2, items: [item('k1'), item('k2')], nextCursor: null });
  });

  it('more failed keys than a page: names the command of the next page with its cursor', async () => {
    const { c } = calls({ ...JOB, done: 850, failed: 150 }, { items: [item('k1')], matching: 150, nextCursor: 'CUR' });
    const { value, text } = await batchFinished('job-1', c);
    expect(text.split('\n').slice(-2)).toEqual([
      '1 of 150 failed key(s) shown; the next: rotation batch status job-1 --outcome failed --after CUR',
      'every key: rotation batch status job-1 --all',
    ]);
    expect(value).toMatchObject({ matching: 150, nextCursor: 'CUR', failed: 150 });
  });

  it('no failed key: the summary and how to see every key, no key line', async () => {
    const { c } = calls({ ...JOB, done: 1000, failed: 0, superseded: 0 }, { items: [], matching: 0, nextCursor: null });
    const { value, text } = await batchFinished('job-1', c);
    expect(text).toBe(`${SUMMARY.replace('997/1000 done, 2 failed, 1 superseded', '1000/1000 done, 0 failed, 0 superseded')}\nevery key: rotation batch status job-1 --all`);
    expect(value).toMatchObject({ outcome: 'failed', matching: 0, items: [], nextCursor: null });
  });
});

describe('progress while start / resume wait', () => {
  const at = (batchId: string, total: number, settled: number, failed = 0) => ({ batchId, total, done: settled - failed, failed, superseded: 0, cancelled: 0, pending: total - settled });

  it('prints at each tenth of the keys settled, once per tenth, and the last one', () => {
    const lines: string[] = [];
    const print = batchProgressPrinter((l) => lines.push(l));
    // 20 keys: settled 0, 1 (under a tenth), 2 (one tenth), 3 (same tenth), 5 (two tenths at once: one line), 20
    for (const settled of [0, 1, 2, 3, 5, 20, 20]) print(at('j', 20, settled, settled >= 5 ? 1 : 0));
    expect(lines).toEqual([
      'batch j: 2/20 settled (2 done, 0 failed, 0 superseded, 0 cancelled)',
      'batch j: 5/20 settled (4 done, 1 failed, 0 superseded, 0 cancelled)',
      'batch j: 20/20 settled (19 done, 1 failed, 0 superseded, 0 cancelled)',
    ]);
  });

  it('counts each job on its own (resume runs several)', () => {
    const lines: string[] = [];
    const print = batchProgressPrinter((l) => lines.push(l));
    print(at('a', 10, 1));
    print(at('b', 10, 1));
    print(at('a', 10, 1));
    expect(lines).toEqual([
      'batch a: 1/10 settled (1 done, 0 failed, 0 superseded, 0 cancelled)',
      'batch b: 1/10 settled (1 done, 0 failed, 0 superseded, 0 cancelled)',
    ]);
  });

  it('shows superseded and cancelled keys as settled', () => {
    const lines: string[] = [];
    batchProgressPrinter((l) => lines.push(l))({ batchId: 'j', total: 4, done: 1, failed: 0, superseded: 1, cancelled: 2, pending: 0 });
    expect(lines).toEqual(['batch j: 4/4 settled (1 done, 0 failed, 1 superseded, 2 cancelled)']);
  });
});
