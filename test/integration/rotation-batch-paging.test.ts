// Paging a batch job's keys (docs/rotation.md "Batch jobs", rotation:batchItems) over a real console and SQLite store:
// a job over 2,500 storage keys in which every key whose creation index is 3 modulo 7 fails (a table here says so).
// Pages of 500, 100 and 7 each cover the job once, in the job's order (the keys by id, as a type selection orders
// them), ending with a null cursor; the failed-only filter pages exactly the failing keys; a cursor is refused when it
// is not one, belongs to another job or to another filter, and a limit or state out of range is refused, each with
// invalid_input naming the field. The old `items: true` still returns every key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsole, type FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { silentLogger } from '../../electron/logger.ts';
import { ConsoleError } from '../../shared/errors.ts';
import { CTX, FAST_KDF, PASSPHRASE, removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { contractCaller, failure } from './support/consoleCalls.ts';

const KEYS = 2_500;
/** Which keys fail: the creation index modulo 7 is 3 (357 of 2,500). */
const fails = (index: number) => index % 7 === 3;
const FAILED_COUNT = 357;

let c: FleetConsole;
let call: ReturnType<typeof contractCaller>;
let batchId: string;
/** Key ids in the job's order (a type selection takes the active keys ordered by id). */
let inOrder: string[];
let failing: Set<string>;

beforeAll(async () => {
  c = await createConsole({
    dataDir: tempDir('ecps-batch-paging-'),
    kdf: FAST_KDF,
    logger: silentLogger,
    clock: manualClock(Date.parse('2026-03-02T08:00:00Z')),
    rotation: {
      scheduler: false,
      batch: {
        sleep: async () => {},
        rotateThrough: (rotate) => async (keyId, options) => {
          if (failing.has(keyId)) throw new ConsoleError('provider_unavailable', 'PKCS#11 library missing', { retryable: false });
          return rotate(keyId, options);
        },
      },
    },
  });
  call = contractCaller(() => c);
  await c.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
  const ids = await Promise.all(Array.from({ length: KEYS }, async (_, i) => (await c.keys.create({ type: 'storage', label: `disk ${i}` })).id));
  failing = new Set(ids.filter((_, i) => fails(i)));
  inOrder = [...ids].sort();
  const job = c.rotation.batches.start({ selection: { type: 'storage' }, concurrency: 64, maxAttempts: 1 });
  batchId = job.batchId;
  const end = await c.rotation.batches.wait(batchId);
  expect(end).toMatchObject({ state: 'done', total: KEYS, done: KEYS - FAILED_COUNT, failed: FAILED_COUNT });
}, 120_000);

afterAll(() => {
  c?.close();
  removeTempDirs();
});

/** Every page from the first, following nextCursor, through the channel (the contract's schemas on both sides). */
async function allPages(query: { limit?: number; state?: 'failed' | 'done' }) {
  const pages: Array<Awaited<ReturnType<typeof call<'rotation:batchItems'>>>> = [];
  let cursor: string | undefined;
  do {
    const page = await call('rotation:batchItems', { batchId, ...query, ...(cursor ? { cursor } : {}) });
    pages.push(page);
    cursor = page.nextCursor ?? undefined;
    if (pages.length > KEYS) throw new Error('paging does not end');
  } while (cursor);
  return pages;
}

describe('a batch job of 2,500 keys, a page at a time', () => {
  it.each([
    { name: '500', limit: 500, sizes: [500, 500, 500, 500, 500] },
    { name: 'the default (100)', limit: undefined, sizes: Array<number>(25).fill(100) },
    { name: '7', limit: 7, sizes: [...Array<number>(357).fill(7), 1] },
  ])('pages of $name cover every key once, in the job order', async ({ limit, sizes }) => {
    const pages = await allPages(limit === undefined ? {} : { limit });
    expect(pages.map((p) => p.items.length)).toEqual(sizes);
    const items = pages.flatMap((p) => p.items);
    expect(items.map((i) => i.keyId)).toEqual(inOrder);
    expect(items.map((i) => i.seq)).toEqual(inOrder.map((_, i) => i + 1));
    expect(pages.every((p) => p.matching === KEYS && p.state === null)).toBe(true);
    expect(pages.at(-1)!.nextCursor).toBeNull();
    expect(items.map((i) => i.state)).toEqual(inOrder.map((id) => (failing.has(id) ? 'failed' : 'done')));
  });

  it('pages the failed keys only, with their errors, and the rotated ones only', async () => {
    const failedPages = await allPages({ limit: 100, state: 'failed' });
    expect(failedPages.map((p) => p.items.length)).toEqual([100, 100, 100, 57]);
    expect(failedPages.every((p) => p.matching === FAILED_COUNT && p.state === 'failed')).toBe(true);
    const failed = failedPages.flatMap((p) => p.items);
    expect(failed.map((i) => i.keyId)).toEqual(inOrder.filter((id) => failing.has(id)));
    expect(new Set(failed.map((i) => `${i.state} ${i.errorCode} ${i.toVersion}`))).toEqual(new Set(['failed provider_unavailable null']));
    const done = (await allPages({ limit: 500, state: 'done' })).flatMap((p) => p.items);
    expect(done.map((i) => i.keyId)).toEqual(inOrder.filter((id) => !failing.has(id)));
    expect(new Set(done.map((i) => `${i.fromVersion}->${i.toVersion}`))).toEqual(new Set(['1->2']));
  });

  it('gives the same next page for the same cursor again', async () => {
    const first = await call('rotation:batchItems', { batchId, limit: 10 });
    const a = await call('rotation:batchItems', { batchId, limit: 10, cursor: first.nextCursor! });
    const b = await call('rotation:batchItems', { batchId, limit: 10, cursor: first.nextCursor! });
    expect(a).toEqual(b);
    expect(a.items.map((i) => i.keyId)).toEqual(inOrder.slice(10, 20));
  });

  it('still returns every key with rotation:batchGet items: true', async () => {
    const got = await call('rotation:batchGet', { batchId, items: true });
    expect(got.items!.map((i) => i.keyId)).toEqual(inOrder);
  });

  it('refuses a cursor that is not one, or is of another job or filter, and a limit or state out of range', async () => {
    const [one] = inOrder;
    const other = c.rotation.batches.start({ selection: { keyIds: [one!, inOrder[1]!] } });
    await c.rotation.batches.wait(other.batchId);
    const otherCursor = (await call('rotation:batchItems', { batchId: other.batchId, limit: 1 })).nextCursor!;
    const allCursor = (await call('rotation:batchItems', { batchId, limit: 1 })).nextCursor!;
    const failedCursor = (await call('rotation:batchItems', { batchId, limit: 1, state: 'failed' })).nextCursor!;
    const forged = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
    const BAD: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ cursor: 'garbage' }, 'cursor', /not a page cursor/],
      [{ cursor: '' }, 'cursor', /not a page cursor/],
      [{ cursor: 'not a cursor!' }, 'cursor', /not a page cursor/],
      [{ cursor: 42 }, 'cursor', /not a page cursor/],
      [{ cursor: forged(`${batchId}:all:0`) }, 'cursor', /not a page cursor/],
      [{ cursor: forged(`${batchId}:all:-5`) }, 'cursor', /not a page cursor/],
      [{ cursor: forged(`${batchId}:all:1e3`) }, 'cursor', /not a page cursor/],
      [{ cursor: otherCursor }, 'cursor', /another batch job/],
      [{ cursor: allCursor, state: 'failed' }, 'cursor', /another filter/],
      [{ cursor: failedCursor }, 'cursor', /another filter/],
      [{ limit: 0 }, 'limit', /from 1 to 500/],
      [{ limit: 501 }, 'limit', /from 1 to 500/],
      [{ limit: 2.5 }, 'limit', /from 1 to 500/],
      [{ limit: '10' }, 'limit', /from 1 to 500/],
      [{ state: 'broken' }, 'state', /state must be one of/],
    ];
    for (const [extra, field, message] of BAD) {
      const f = await failure(Promise.resolve().then(() => c.rotation.batches.items({ batchId, ...extra } as never)));
      expect({ extra, code: f.code, field: f.details.field, said: message.test(f.message) }).toEqual({ extra, code: 'invalid_input', field, said: true });
    }
    const missing = await failure(Promise.resolve().then(() => c.rotation.batches.items({ batchId: '0b7c2a52-3f1e-4c1a-9a57-3c7f2b8e4d10' })));
    expect(missing.code).toBe('not_found');
    const badId = await failure(Promise.resolve().then(() => c.rotation.batches.items({ batchId: 'job-1' })));
    expect({ code: badId.code, field: badId.details.field }).toEqual({ code: 'invalid_input', field: 'batchId' });
    // A cursor of a 2-key job's only next page works where it belongs.
    expect((await call('rotation:batchItems', { batchId: other.batchId, cursor: otherCursor })).items.map((i) => i.keyId)).toEqual([inOrder[1]]);
  });
});
