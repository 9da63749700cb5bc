// What the browser host remembers of a window's calls (electron/host/callOutcomes.ts, docs/ui.md "Calls in flight at a
// drop"): each id runs once, an answer is kept only until written (then only whether it succeeded), a lock drops the
// kept answers and zeroes their bytes, and the bounds hold. The bounds are the documented ones, written here.
import { describe, expect, it } from 'vitest';
import { createCallOutcomes } from '../../electron/host/callOutcomes.ts';

const W = 'window-a';
const OTHER = 'window-b';
const PER_WINDOW = 512;

describe('call outcomes kept by the browser host', () => {
  it('runs an id once per window; another window has ids of its own', () => {
    const o = createCallOutcomes();
    expect(o.begin(W, 1)).toBe(true);
    expect(o.begin(W, 1)).toBe(false);
    o.finish(W, 1, { ok: true, value: 1 });
    expect(o.begin(W, 1)).toBe(false);
    expect(o.begin(OTHER, 1)).toBe(true);
  });

  it('reports running, replied (answer kept), completed (only the verdict), unknown', () => {
    const o = createCallOutcomes();
    o.begin(W, 1);
    o.begin(W, 2);
    o.begin(W, 3);
    o.finish(W, 2, { ok: true, value: 'two' });
    o.finish(W, 3, { ok: false, error: { code: 'forbidden', message: 'no' } });
    o.delivered(W, 3);
    expect(o.report(W, [1, 2, 3, 4])).toEqual([
      { id: 1, state: 'running' },
      { id: 2, state: 'replied' },
      { id: 3, state: 'completed', ok: false, error: { code: 'forbidden', message: 'no' } },
      { id: 4, state: 'unknown' },
    ]);
    expect(o.kept(W, 2)).toEqual({ ok: true, value: 'two' });
    o.delivered(W, 2);
    expect(o.kept(W, 2)).toBeNull();
    expect(o.report(W, [2])).toEqual([{ id: 2, state: 'completed', ok: true }]);
    // Another window asking about the same ids learns nothing of this one's.
    expect(o.report(OTHER, [1, 2, 3])).toEqual([1, 2, 3].map((id) => ({ id, state: 'unknown' })));
  });

  it('zeroes a kept answer\'s bytes when delivered or when the session changes, and counts them', () => {
    const o = createCallOutcomes();
    const plaintext = Uint8Array.from([7, 7, 7, 7]);
    const shares = Uint8Array.from([9, 9]);
    o.begin(W, 1);
    o.begin(W, 2);
    o.finish(W, 1, { ok: true, value: { plaintext } });
    o.finish(W, 2, { ok: true, value: { shares } });
    expect(o.resultBytes).toBeGreaterThan(6);
    o.delivered(W, 1);
    expect([...plaintext]).toEqual([0, 0, 0, 0]);
    o.dropAnswers();
    expect([...shares]).toEqual([0, 0]);
    expect(o.resultBytes).toBe(0);
    expect(o.report(W, [1, 2])).toEqual([
      { id: 1, state: 'completed', ok: true },
      { id: 2, state: 'completed', ok: true },
    ]);
  });

  it(`keeps at most ${PER_WINDOW} records a window, never forgetting a running call; a forgotten id is expired, not unknown, and cannot run`, () => {
    const o = createCallOutcomes();
    o.begin(W, 1); // stays running
    for (let id = 2; id <= PER_WINDOW + 10; id++) {
      o.begin(W, id);
      o.finish(W, id, { ok: true, value: id });
      o.delivered(W, id);
    }
    const report = o.report(W, [1, 2, 11, 12, PER_WINDOW + 10, PER_WINDOW + 11]);
    expect(report).toEqual([
      { id: 1, state: 'running' },
      { id: 2, state: 'expired' },
      { id: 11, state: 'expired' },
      { id: 12, state: 'completed', ok: true },
      { id: PER_WINDOW + 10, state: 'completed', ok: true },
      { id: PER_WINDOW + 11, state: 'unknown' },
    ]);
    expect(o.begin(W, 5)).toBe(false);
  });

  it('keeps at most 16 MiB of answers in all: the oldest are dropped to their verdict first', () => {
    const o = createCallOutcomes();
    const MiB = 1024 * 1024;
    const big = () => new Uint8Array(5 * MiB).fill(1);
    const answers = [big(), big(), big(), big()];
    answers.forEach((bytes, i) => {
      o.begin(W, i + 1);
      o.finish(W, i + 1, { ok: true, value: { bytes } });
    });
    expect(o.resultBytes).toBeLessThanOrEqual(16 * MiB);
    expect(o.kept(W, 1)).toBeNull();
    expect(answers[0]!.every((b) => b === 0)).toBe(true);
    expect(o.kept(W, 4)).not.toBeNull();
    o.clear();
    expect(o.resultBytes).toBe(0);
  });
});
