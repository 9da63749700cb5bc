// What the browser host remembers of a window's calls (electron/host/callOutcomes.ts, docs/ui.md "Calls in flight at a
// drop"): each id runs once, an answer is kept only until written (then only whether it succeeded), a lock drops the
// kept answers and zeroes their bytes, and the bounds hold. The bounds are the documented ones, written here.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCallOutcomes, windowId } from '../../electron/host/callOutcomes.ts';

const W = 'window-a';
const OTHER = 'window-b';
const PER_WINDOW = 512;
const WINDOWS = 32;
const TTL_MS = 60_000;
afterEach(() => {
  vi.useRealTimers();
});

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
    o.finish(W, 1, { ok: true, value: { keyId: 'k1', plaintext } });
    o.finish(W, 2, { ok: true, value: { shares: [shares], count: 1 } });
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
    expect(o.begin(W, 11)).toBe(false);
  });

  it('zeroes an answer still kept when its record is forgotten for the bound', () => {
    const o = createCallOutcomes();
    const plaintext = Uint8Array.from([5, 5]);
    o.begin(W, 1);
    o.finish(W, 1, { ok: true, value: { label: 'x', n: 3, nothing: null, plaintext } });
    for (let id = 2; id <= PER_WINDOW + 1; id++) o.begin(W, id);
    expect([...plaintext]).toEqual([0, 0]);
    expect(o.resultBytes).toBe(0);
    expect(o.report(W, [1])).toEqual([{ id: 1, state: 'expired' }]);
  });

  it(`keeps at most ${WINDOWS} windows: the one seen longest ago is forgotten, its calls then read expired and its old ids cannot run`, () => {
    let time = 0;
    const o = createCallOutcomes({ now: () => time });
    for (let i = 0; i < WINDOWS; i++) {
      time += 1;
      o.begin(`w${i}`, 1);
      o.begin(`w${i}`, 2);
      o.finish(`w${i}`, 2, { ok: true, value: i });
    }
    time += 1;
    o.report('w0', [1]); // w0 seen again: w1 is now the one seen longest ago
    time += 1;
    o.begin('newcomer', 1);
    expect(o.report('w1', [1, 2, 3])).toEqual([
      { id: 1, state: 'expired' },
      { id: 2, state: 'expired' },
      { id: 3, state: 'unknown' },
    ]);
    expect(o.begin('w1', 2)).toBe(false);
    expect(o.begin('w1', 3)).toBe(true);
    expect(o.report('w0', [1, 2])).toEqual([
      { id: 1, state: 'running' },
      { id: 2, state: 'replied' },
    ]);
  });

  it(`keeps an undelivered answer ${TTL_MS / 1000} s, then only its verdict, bytes zeroed`, () => {
    vi.useFakeTimers();
    const o = createCallOutcomes();
    const plaintext = Uint8Array.from([3, 3]);
    o.begin(W, 1);
    o.finish(W, 1, { ok: true, value: { plaintext } });
    vi.advanceTimersByTime(TTL_MS - 1);
    expect(o.kept(W, 1)).not.toBeNull();
    vi.advanceTimersByTime(1);
    expect(o.kept(W, 1)).toBeNull();
    expect([...plaintext]).toEqual([0, 0]);
    expect(o.report(W, [1])).toEqual([{ id: 1, state: 'completed', ok: true }]);
  });

  it('ignores a finish of a call not running and a delivery or a look-up for an unknown window', () => {
    const o = createCallOutcomes();
    o.finish(W, 1, { ok: true, value: 'never begun' });
    expect(o.report(W, [1])).toEqual([{ id: 1, state: 'unknown' }]);
    o.begin(W, 2);
    o.finish(W, 2, { ok: true, value: 'first' });
    o.finish(W, 2, { ok: true, value: 'second' });
    expect(o.kept(W, 2)).toEqual({ ok: true, value: 'first' });
    expect(() => o.delivered('nobody', 2)).not.toThrow();
    expect(o.kept('nobody', 2)).toBeNull();
  });

  it('names a window by the SHA-256 of its key (base64url), never by the key', () => {
    const key = 'k'.repeat(43);
    expect(windowId(key)).toBe(createHash('sha256').update(Buffer.from(key, 'utf8')).digest().toString('base64url'));
    expect(windowId(key)).not.toContain(key);
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
