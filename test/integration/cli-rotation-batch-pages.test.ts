// `rotation batch status ID` a page at a time (docs/cli.md): runCli in this process on a real store holding a job of
// 230 storage keys whose outcomes a table here fixes by the key's place in the job (the keys by id): every place 3
// modulo 10 failed (23 keys), every place 7 modulo 25 superseded (9 keys: rotated by someone else first), the other
// 198 done. The job is made by a console in this process that injects those outcomes, then closed; the CLI reads it.
// Expected: pages of the default 100 (100, 100, 30) joined by the printed cursors, --outcome pages only those keys,
// --all prints every page (human and one JSON document), and bad combinations are usage errors or typed refusals.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsole } from '../../electron/app.ts';
import { silentLogger } from '../../electron/logger.ts';
import { ConsoleError } from '../../shared/errors.ts';
import { CTX, FAST_KDF } from '../unit/store-testkit.ts';
import { cliJson, cliRunner } from './support/cliProcess.ts';

const PASS = 'Rotation-Batch-Pages-Passphrase 0123';
const KEYS = 230;
/** The outcome of the key at `place` in the job's order. */
const outcomeAt = (place: number) => (place % 10 === 3 ? 'failed' : place % 25 === 7 ? 'superseded' : 'done');
const COUNTS = { done: 198, failed: 23, superseded: 9 };

type Item = { keyId: string; state: string; fromVersion: number };
type Page = { batchId: string; state: string; total: number; done: number; failed: number; superseded: number; outcome: string | null; matching: number; items: Item[]; nextCursor: string | null };

describe('rotation batch status ID, paged', () => {
  const { dir, cli } = cliRunner('ecps-cli-batch-pages-', PASS, 'in-process');
  const json = cliJson(cli);
  let batchId = '';
  /** [key id, outcome] in the job's order. */
  let expected: Array<[string, string]> = [];
  const only = (state: string) => expected.filter(([, s]) => s === state);

  beforeAll(async () => {
    const outcomes = new Map<string, string>();
    const c = await createConsole({
      dataDir: join(dir, 'store'),
      kdf: FAST_KDF,
      logger: silentLogger,
      rotation: {
        scheduler: false,
        batch: {
          sleep: async () => {},
          rotateThrough: (rotate) => async (keyId, options) => {
            const outcome = outcomes.get(keyId);
            if (outcome === 'failed') throw new ConsoleError('provider_unavailable', 'PKCS#11 library missing', { retryable: false });
            if (outcome === 'superseded') await rotate(keyId, {}); // an officer's Rotate got there first
            return rotate(keyId, options);
          },
        },
      },
    });
    try {
      await c.handlers['session:init']({ operator: 'alice', passphrase: PASS }, CTX);
      const ids = await Promise.all(Array.from({ length: KEYS }, async (_, i) => (await c.keys.create({ type: 'storage', label: `disk ${i}` })).id));
      // A type selection takes the active keys ordered by id.
      expected = [...ids].sort().map((id, place) => [id, outcomeAt(place)]);
      for (const [id, outcome] of expected) outcomes.set(id, outcome);
      batchId = c.rotation.batches.start({ selection: { type: 'storage' }, concurrency: 16, maxAttempts: 1 }).batchId;
      expect(await c.rotation.batches.wait(batchId)).toMatchObject({ state: 'done', total: KEYS, ...COUNTS });
    } finally {
      c.close();
    }
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const pairs = (items: Item[]) => items.map((i) => [i.keyId, i.state]);

  it('prints the summary and one page of 100, then the next pages through the printed cursors', async () => {
    const first = (await json(['rotation', 'batch', 'status', batchId])) as unknown as Page;
    expect(first).toMatchObject({ batchId, state: 'done', total: KEYS, ...COUNTS, outcome: null, matching: KEYS });
    expect(pairs(first.items)).toEqual(expected.slice(0, 100));
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = (await json(['rotation', 'batch', 'status', batchId, '--after', first.nextCursor!])) as unknown as Page;
    expect(pairs(second.items)).toEqual(expected.slice(100, 200));
    const third = (await json(['rotation', 'batch', 'status', batchId, '--after', second.nextCursor!])) as unknown as Page;
    expect(pairs(third.items)).toEqual(expected.slice(200));
    expect(third.nextCursor).toBeNull();

    const human = await cli(['rotation', 'batch', 'status', batchId]);
    expect(human.code).toBe(0);
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines[0]).toContain(`${batchId}`);
    expect(lines[0]).toContain('198/230 done, 23 failed, 9 superseded, 0 cancelled, 0 pending');
    expect(lines.slice(1, -1).map((l) => /^ {2}(\S+) {2}v1\b.* (\w+) {2}attempts \d/.exec(l)?.slice(1))).toEqual(expected.slice(0, 100));
    expect(lines.at(-1)).toBe(`100 of 230 key(s) on this page; next page: --after ${first.nextCursor}`);
    const last = await cli(['rotation', 'batch', 'status', batchId, '--after', second.nextCursor!]);
    expect(last.stdout.trimEnd().split('\n').at(-1)).toBe('30 of 230 key(s) on this page; last page');
  });

  it('--outcome and --limit page only the keys with that outcome', async () => {
    const failed = only('failed');
    const seen: Array<[string, string]> = [];
    const sizes: number[] = [];
    let after: string[] = [];
    for (;;) {
      const page = (await json(['rotation', 'batch', 'status', batchId, '--outcome', 'failed', '--limit', '10', ...after])) as unknown as Page;
      expect(page).toMatchObject({ outcome: 'failed', matching: failed.length });
      sizes.push(page.items.length);
      seen.push(...(pairs(page.items) as Array<[string, string]>));
      if (page.nextCursor === null || sizes.length > failed.length) break; // a cursor not followed would never end
      after = ['--after', page.nextCursor];
    }
    expect(sizes).toEqual([10, 10, 3]);
    expect(seen).toEqual(failed);
    const human = await cli(['rotation', 'batch', 'status', batchId, '--outcome', 'superseded', '--limit', '5']);
    expect(human.stdout.trimEnd().split('\n').at(-1)).toMatch(/^5 of 9 key\(s\) superseded on this page; next page: --after [A-Za-z0-9_-]+$/);
  });

  it('--all prints every page: the human lines in order, and one JSON document', async () => {
    const human = await cli(['rotation', 'batch', 'status', batchId, '--all', '--limit', '50']);
    expect(human.code).toBe(0);
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines.slice(1, -1).map((l) => /^ {2}(\S+) {2}v1\b.* (\w+) {2}attempts \d/.exec(l)?.slice(1))).toEqual(expected);
    expect(lines.at(-1)).toBe('230 of 230 key(s)');
    const all = (await json(['rotation', 'batch', 'status', batchId, '--all', '--limit', '7'])) as unknown as Page;
    expect(all).toMatchObject({ batchId, total: KEYS, outcome: null, matching: KEYS, nextCursor: null });
    expect(pairs(all.items)).toEqual(expected);
    const superseded = (await json(['rotation', 'batch', 'status', batchId, '--all', '--outcome', 'superseded', '--limit', '2'])) as unknown as Page;
    expect(pairs(superseded.items)).toEqual(only('superseded'));
    expect(superseded.items.every((i) => i.fromVersion === 1)).toBe(true);
  });

  it('bad paging options are usage errors (exit 2) or typed refusals (exit 1)', async () => {
    const failedPage = (await json(['rotation', 'batch', 'status', batchId, '--outcome', 'failed', '--limit', '1'])) as unknown as Page;
    for (const args of [
      ['status', batchId, '--after', failedPage.nextCursor!, '--all'],
      ['status', '--outcome', 'failed'],
      ['status', '--all'],
      ['status', batchId, '--outcome', 'broken'],
      ['cancel', batchId, '--after', 'abc'],
      ['start', '--type', 'storage', '--all'],
    ]) {
      const r = await cli(['rotation', 'batch', ...args]);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
    }
    for (const args of [
      ['status', batchId, '--outcome', 'done', '--after', failedPage.nextCursor!], // a cursor of another filter
      ['status', batchId, '--after', 'not-a-cursor'],
      ['status', batchId, '--limit', '501'],
    ]) {
      const r = await cli(['rotation', 'batch', ...args, '--json']);
      expect({ args, code: r.code, refused: r.stderr.includes('invalid_input') }).toEqual({ args, code: 1, refused: true });
    }
  });
});
