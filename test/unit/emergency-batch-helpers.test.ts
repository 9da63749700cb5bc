// The helpers of the batch paths (issue 15's emergency speed): eachConcurrently (the compromise action's bounded
// concurrency) and the audit viewer's text for a batch record's lists. Expectations from the tables here.
import { describe, expect, it } from 'vitest';
import { eachConcurrently } from '../../electron/services/emergency/emergencyResponse.ts';
import { detailsText } from '../../renderer/src/audit/detailsText.ts';

/** A task per item that finishes only when the test says so, recording how many ran at once. */
function controlled(n: number) {
  let running = 0;
  let most = 0;
  const started: number[] = [];
  const finish = new Map<number, () => void>();
  const fn = (i: number) =>
    new Promise<void>((resolve) => {
      running++;
      most = Math.max(most, running);
      started.push(i);
      finish.set(i, () => {
        running--;
        resolve();
      });
    });
  return { fn, started, finish, most: () => most, items: Array.from({ length: n }, (_, i) => i) };
}

describe('eachConcurrently', () => {
  // [items, limit, most at once, started before any finishes]
  const TABLE: Array<[number, number, number]> = [
    [0, 8, 0],
    [3, 8, 3],
    [8, 8, 8],
    [20, 8, 8],
    [5, 1, 1],
  ];
  it.each(TABLE)('%i items, limit %i: at most %i at once, each once, in order', async (n, limit, most) => {
    const t = controlled(n);
    const done = eachConcurrently(t.items, limit, t.fn);
    await Promise.resolve();
    expect(t.started).toEqual(t.items.slice(0, most));
    // Finish them one at a time, oldest first: the next item starts in the freed slot.
    for (let i = 0; i < n; i++) {
      await expect.poll(() => t.finish.has(i)).toBe(true);
      t.finish.get(i)!();
    }
    await done;
    expect([t.started, t.most()]).toEqual([t.items, most]);
  });
});

describe("the audit viewer's details text", () => {
  const serials = (n: number) => Array.from({ length: n }, (_, i) => `s${i + 1}`).join(' ');
  // [details, shown in the cell, full (the cell's title)]
  const TABLE: Array<[Record<string, string | number>, string, string]> = [
    [{ serial: 'ab', reason: 'keyCompromise' }, 'serial=ab reason=keyCompromise', 'serial=ab reason=keyCompromise'],
    [{ serialList: serials(5), count: 5 }, `serialList=${serials(5)} count=5`, `serialList=${serials(5)} count=5`],
    [{ serialList: serials(6), count: 6 }, 'serialList=s1 s2 s3 s4 s5 … (6 in all) count=6', `serialList=${serials(6)} count=6`],
    [{ deviceList: serials(1000) }, 'deviceList=s1 s2 s3 s4 s5 … (1000 in all)', `deviceList=${serials(1000)}`],
    // Only names ending in List are lists.
    [{ listing: serials(6) }, `listing=${serials(6)}`, `listing=${serials(6)}`],
  ];
  it.each(TABLE)('%j', (details, shown, full) => {
    expect([detailsText(details), detailsText(details, true)]).toEqual([shown, full]);
  });
});
