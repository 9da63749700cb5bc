// The coalescing of audited refusals (electron/services/operators/refusalAudit.ts) against docs/audit-log.md
// "Refused inputs and locked calls": the first refusal of a kind written at once, the same kind within the window only
// counted, one record with the count when the window ends (on manual time), at most 1,024 kinds tracked at once.
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../electron/clock.ts';
import type { AuditEntry } from '../../electron/services/audit/auditLog.ts';
import { createRefusalAudit } from '../../electron/services/operators/refusalAudit.ts';
import { manualTimers } from './provider-testkit.ts';

const WINDOW = 1000;
/** docs/audit-log.md: how many kinds are tracked at once. */
const MAX_KINDS = 1024;

function recorder() {
  const entries: AuditEntry[] = [];
  const timers = manualTimers();
  const refusals = createRefusalAudit({
    audit: { append: (e) => (entries.push(e), { ...e, seq: entries.length, ts: '', hash: '' }) as never },
    clock: timers.clock,
    timers,
    windowMs: WINDOW,
  });
  const start = timers.clock.now();
  const at = (ms: number) => new Date(start + ms).toISOString();
  return { entries, timers, refusals, at };
}
const refusal = (channel: string, field = 'f') => ({
  actor: 'unknown', action: 'input.refused', targetType: 'channel' as const, targetId: channel, outcome: 'failure' as const,
  details: { code: 'invalid_input', field, role: null, transport: 'electron', refusedBy: 'schema' },
});

describe('refusalAudit', () => {
  it('the count record names the first and last refusal of the window; windows end one by one, each on its own time', async () => {
    const { entries, timers, refusals, at } = recorder();
    refusals.record(refusal('a:one'));
    await timers.advance(300);
    refusals.record(refusal('b:two'));
    refusals.record(refusal('a:one', 'g'));
    await timers.advance(200);
    refusals.record(refusal('a:one', 'h'));
    refusals.record(refusal('b:two'));
    expect(entries).toHaveLength(2);
    await timers.advance(500);
    // a:one's window ended at 1000: its count (2, from 0 to 500); b:two's is still open
    expect(entries.slice(2).map((e) => [e.targetId, e.details])).toEqual([
      ['a:one', { code: 'invalid_input', role: null, transport: 'electron', refusedBy: 'schema', repeated: 2, sinceSeq: 1, from: at(0), to: at(500) }],
    ]);
    await timers.advance(299);
    expect(entries).toHaveLength(3);
    await timers.advance(1);
    expect(entries.slice(3).map((e) => [e.targetId, e.details?.repeated, e.details?.sinceSeq, e.details?.from, e.details?.to])).toEqual([
      ['b:two', 1, 2, at(300), at(500)],
    ]);
    expect(timers.pending()).toBe(0);
  });

  it('a window that counted nothing ends without a record; the next refusal after it is written at once', async () => {
    const { entries, timers, refusals } = recorder();
    refusals.record(refusal('a:one'));
    await timers.advance(WINDOW);
    expect(timers.pending()).toBe(0);
    refusals.record(refusal('a:one'));
    expect(entries.map((e) => e.details?.repeated ?? 0)).toEqual([0, 0]);
  });

  it('a refusal after its window ended but before the timer ran: the count first, then the refusal', async () => {
    const { entries, timers, refusals } = recorder();
    refusals.record(refusal('a:one'));
    refusals.record(refusal('a:one'));
    timers.clock.set(timers.clock.now() + WINDOW);
    refusals.record(refusal('a:one'));
    expect(entries.map((e) => e.details?.repeated ?? 0)).toEqual([0, 1, 0]);
  });

  it(`at most ${MAX_KINDS} kinds at once: one more closes every open window first (their counts written)`, () => {
    const { entries, refusals } = recorder();
    for (let i = 0; i < MAX_KINDS; i++) refusals.record(refusal(`c:${i}`));
    refusals.record(refusal('c:0'));
    expect(entries).toHaveLength(MAX_KINDS);
    refusals.record(refusal('c:new'));
    // c:0's count, then the new kind's record; the other windows closed with nothing to count
    expect(entries.slice(MAX_KINDS).map((e) => [e.targetId, e.details?.repeated ?? 0])).toEqual([['c:0', 1], ['c:new', 0]]);
    refusals.record(refusal('c:5'));
    expect(entries).toHaveLength(MAX_KINDS + 3);
  });

  it('a count that cannot be written when its window ends is logged, not thrown, and the next windows still work', async () => {
    const timers = manualTimers();
    const errors: string[] = [];
    let failing = false;
    const written: AuditEntry[] = [];
    const refusals = createRefusalAudit({
      audit: { append: (e) => { if (failing) throw new Error('store busy'); written.push(e); return { ...e, seq: written.length, ts: '', hash: '' } as never; } },
      clock: timers.clock,
      timers,
      windowMs: WINDOW,
      logger: { error: (m) => void errors.push(m) },
    });
    refusals.record(refusal('a:one'));
    refusals.record(refusal('a:one'));
    failing = true;
    await timers.advance(WINDOW);
    expect(errors).toEqual(['auditing the count of repeated refusals failed']);
    failing = false;
    refusals.record(refusal('a:one'));
    expect(written).toHaveLength(2);
  });

  it('a kind is every detail but the field: the same details in another order are one kind, another target type is another', async () => {
    const { entries, timers, refusals } = recorder();
    const base = refusal('a:one');
    refusals.record(base);
    refusals.record({ ...base, details: { refusedBy: 'schema', transport: 'electron', role: null, field: 'g', code: 'invalid_input' } });
    refusals.record({ ...base, targetType: 'key' as never });
    expect(entries.map((e) => [e.targetType, e.targetId])).toEqual([['channel', 'a:one'], ['key', 'a:one']]);
    await timers.advance(WINDOW);
    expect(entries.slice(2).map((e) => [e.targetType, e.details?.repeated])).toEqual([['channel', 1]]);
  });

  it('close writes the open counts, logs (not throws) one it cannot write, and records nothing after', () => {
    const timers = manualTimers();
    const errors: Array<[string, unknown]> = [];
    let failing = false;
    const written: AuditEntry[] = [];
    const refusals = createRefusalAudit({
      audit: { append: (e) => { if (failing) throw new TypeError('database closing'); written.push(e); return { ...e, seq: written.length, ts: '', hash: '' } as never; } },
      clock: timers.clock,
      timers,
      windowMs: WINDOW,
      logger: { error: (m, f) => void errors.push([m, f]) },
    });
    refusals.record(refusal('a:one'));
    refusals.record(refusal('a:one'));
    refusals.record(refusal('b:two'));
    refusals.record(refusal('b:two'));
    failing = true;
    expect(() => refusals.close()).not.toThrow();
    expect(errors).toEqual([['auditing the count of repeated refusals failed', { error: 'TypeError' }]]);
    failing = false;
    refusals.record(refusal('c:three'));
    refusals.close();
    expect(written.map((e) => e.targetId)).toEqual(['a:one', 'b:two']);
    expect(timers.pending()).toBe(0);
  });

  it('close after a clean window: the counts written once, the timer stopped', async () => {
    const { entries, timers, refusals } = recorder();
    refusals.record(refusal('a:one'));
    refusals.record(refusal('a:one'));
    refusals.close();
    expect(entries.map((e) => e.details?.repeated ?? 0)).toEqual([0, 1]);
    await timers.advance(WINDOW * 2);
    expect(entries).toHaveLength(2);
  });

  it('without timers given, Node\'s timers write the count when the window ends', async () => {
    const entries: AuditEntry[] = [];
    const refusals = createRefusalAudit({
      audit: { append: (e) => (entries.push(e), { ...e, seq: entries.length, ts: '', hash: '' }) as never },
      clock: systemClock,
      windowMs: 20,
    });
    refusals.record(refusal('a:one'));
    refusals.record(refusal('a:one'));
    expect(entries).toHaveLength(1);
    // Waits for the count record (the signal), not for a fixed time; the hang guard is the test's timeout.
    await new Promise<void>((resolve) => {
      const poll = () => (entries.length >= 2 ? resolve() : setImmediate(poll));
      poll();
    });
    expect(entries[1]!.details?.repeated).toBe(1);
    refusals.close();
  });

  it('another code, role or transport is another kind: each written at once', () => {
    const { entries, refusals } = recorder();
    const base = refusal('a:one');
    const DIFFERENT: Array<Record<string, unknown>> = [{}, { code: 'locked' }, { role: 'viewer' }, { transport: 'browser' }, { refusedBy: 'session' }];
    for (const d of DIFFERENT) refusals.record({ ...base, details: { ...base.details, ...d } as never });
    expect(entries).toHaveLength(DIFFERENT.length);
  });

  it('flush writes the count of every open window at once and closes them: the next refusal is written again', () => {
    const { entries, refusals } = recorder();
    refusals.record(refusal('a:one'));
    refusals.record(refusal('a:one'));
    refusals.record(refusal('b:two'));
    refusals.flush();
    expect(entries.map((e) => [e.targetId, e.details?.repeated ?? 0])).toEqual([['a:one', 0], ['b:two', 0], ['a:one', 1]]);
    refusals.record(refusal('a:one'));
    expect(entries).toHaveLength(4);
  });

  it('a count that cannot be written is logged with the error\'s kind (\'unknown\' for a thrown non-Error), or dropped silently without a logger', async () => {
    for (const withLogger of [true, false]) {
      const timers = manualTimers();
      const errors: Array<[string, unknown]> = [];
      let failing: unknown = null;
      const written: AuditEntry[] = [];
      const refusals = createRefusalAudit({
        audit: { append: (e) => { if (failing !== null) throw failing; written.push(e); return { ...e, seq: written.length, ts: '', hash: '' } as never; } },
        clock: timers.clock,
        timers,
        windowMs: WINDOW,
        ...(withLogger ? { logger: { error: (m: string, f?: unknown) => void errors.push([m, f]) } } : {}),
      });
      refusals.record(refusal('a:one'));
      refusals.record(refusal('a:one'));
      failing = new RangeError('full');
      await timers.advance(WINDOW);
      failing = null;
      refusals.record(refusal('b:two'));
      refusals.record(refusal('b:two'));
      failing = 'not an Error';
      expect(() => refusals.close()).not.toThrow();
      expect(written.map((e) => e.targetId)).toEqual(['a:one', 'b:two']);
      expect(errors).toEqual(withLogger ? [
        ['auditing the count of repeated refusals failed', { error: 'RangeError' }],
        ['auditing the count of repeated refusals failed', { error: 'unknown' }],
      ] : []);
    }
  });
  it('three windows holding counts: each count is written when its own window ends, not at the last one\'s end', async () => {
    const { entries, timers, refusals, at } = recorder();
    // [kind, opened at, repeated at] (docs/audit-log.md: "when the window ends the count is written").
    refusals.record(refusal('x:one'));
    await timers.advance(10);
    refusals.record(refusal('x:one'));
    await timers.advance(90);
    refusals.record(refusal('a:two'));
    await timers.advance(50);
    refusals.record(refusal('a:two'));
    await timers.advance(50);
    refusals.record(refusal('b:three'));
    await timers.advance(50);
    refusals.record(refusal('b:three'));
    const counts = () => entries.slice(3).map((e) => [e.targetId, e.details?.repeated, e.details?.from, e.details?.to]);
    await timers.advance(WINDOW - 250 - 1); // 999
    expect(counts()).toEqual([]);
    await timers.advance(1); // 1000: x:one's window ends
    expect(counts()).toEqual([['x:one', 1, at(0), at(10)]]);
    await timers.advance(99); // 1099
    expect(counts()).toHaveLength(1);
    await timers.advance(1); // 1100: a:two's
    expect(counts()).toEqual([['x:one', 1, at(0), at(10)], ['a:two', 1, at(100), at(150)]]);
    await timers.advance(99); // 1199
    expect(counts()).toHaveLength(2);
    await timers.advance(1); // 1200: b:three's
    expect(counts()).toEqual([['x:one', 1, at(0), at(10)], ['a:two', 1, at(100), at(150)], ['b:three', 1, at(200), at(250)]]);
    expect(timers.pending()).toBe(0);
  });

  it(`windows that ended are not among the ${MAX_KINDS} kinds tracked: a new kind then closes no open window early`, async () => {
    const { entries, timers, refusals, at } = recorder();
    for (let i = 0; i < MAX_KINDS - 1; i++) refusals.record(refusal(`c:${i}`));
    await timers.advance(500);
    refusals.record(refusal('x:open'));
    refusals.record(refusal('x:open'));
    // 1200: the 1,023 first windows ended at 1000 (nothing counted, so no timer let them go); x:open's is open until 1500.
    timers.clock.set(timers.clock.now() + 700);
    refusals.record(refusal('y:new'));
    expect(entries.slice(MAX_KINDS - 1).map((e) => [e.targetId, e.details?.repeated ?? 0])).toEqual([['x:open', 0], ['y:new', 0]]);
    await timers.advance(299); // 1499
    expect(entries).toHaveLength(MAX_KINDS + 1);
    await timers.advance(1); // 1500: x:open's count, at its window's end
    expect(entries.slice(MAX_KINDS + 1).map((e) => [e.targetId, e.details?.repeated, e.details?.from, e.details?.to])).toEqual([['x:open', 1, at(500), at(500)]]);
  });

  it(`${MAX_KINDS} windows still open and one more kind: every open window is closed first, the ended ones let go before`, () => {
    const { entries, timers, refusals } = recorder();
    refusals.record(refusal('old:0'));
    refusals.record(refusal('old:0'));
    // old:0's window ended (its timer not run yet): its count is due and written when it is let go.
    timers.clock.set(timers.clock.now() + WINDOW);
    for (let i = 0; i < MAX_KINDS - 1; i++) refusals.record(refusal(`c:${i}`));
    refusals.record(refusal('c:0'));
    expect(entries).toHaveLength(MAX_KINDS);
    refusals.record(refusal('c:new'));
    // Let go: old:0 (its count); still 1,023 open, so no full close: c:0's count not yet written.
    expect(entries.slice(MAX_KINDS).map((e) => [e.targetId, e.details?.repeated ?? 0])).toEqual([['old:0', 1], ['c:new', 0]]);
    refusals.record(refusal('c:new2'));
    // Now 1,024 open windows: all closed first (c:0's count), then the new kind.
    expect(entries.slice(MAX_KINDS + 2).map((e) => [e.targetId, e.details?.repeated ?? 0])).toEqual([['c:0', 1], ['c:new2', 0]]);
  });

  it('at a flush the counts follow the order their windows opened (sinceSeq ascending), a reopened kind after the others', () => {
    const { entries, timers, refusals } = recorder();
    refusals.record(refusal('a:one')); // seq 1, window 0..1000
    timers.clock.set(timers.clock.now() + 500);
    refusals.record(refusal('b:two')); // seq 2, window 500..1500
    timers.clock.set(timers.clock.now() + 500);
    refusals.record(refusal('a:one')); // 1000: a:one's window ended; a new one opens, seq 3
    refusals.record(refusal('b:two'));
    refusals.record(refusal('a:one'));
    refusals.flush();
    expect(entries.slice(3).map((e) => [e.targetId, e.details?.sinceSeq])).toEqual([['b:two', 2], ['a:one', 3]]);
  });

  it('a count that cannot be written when its window ends, thrown as a non-Error, is logged as \'unknown\'', async () => {
    const timers = manualTimers();
    const errors: Array<[string, unknown]> = [];
    let failing = false;
    const refusals = createRefusalAudit({
      audit: { append: (e) => { if (failing) throw 'not an Error'; return { ...e, seq: 1, ts: '', hash: '' } as never; } },
      clock: timers.clock,
      timers,
      windowMs: WINDOW,
      logger: { error: (m, f) => void errors.push([m, f]) },
    });
    refusals.record(refusal('a:one'));
    refusals.record(refusal('a:one'));
    failing = true;
    await timers.advance(WINDOW);
    expect(errors).toEqual([['auditing the count of repeated refusals failed', { error: 'unknown' }]]);
  });

  it('Node\'s default timer keeps no one waiting (unref\'d: not among the resources that keep Node running)', () => {
    const refTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const refusals = createRefusalAudit({ audit: { append: (e) => ({ ...e, seq: 1, ts: '', hash: '' }) as never }, clock: systemClock });
    const before = refTimers();
    refusals.record(refusal('a:one'));
    refusals.record(refusal('a:one')); // a count: the window's timer is set (60 s)
    expect(refTimers()).toBe(before);
    refusals.close();
  });

  it('close() stops Node\'s default timer: it does not run after the close', async () => {
    let clockReads = 0;
    const refusals = createRefusalAudit({
      audit: { append: (e) => ({ ...e, seq: 1, ts: '', hash: '' }) as never },
      clock: { now: () => (clockReads++, Date.now()) },
      windowMs: 20,
    });
    refusals.record(refusal('a:one'));
    refusals.record(refusal('a:one'));
    refusals.close();
    clockReads = 0;
    // The stopped timer was due at most 20 ms after it was set; a timer of twice that, set after it, runs after it
    // would have (Node runs timers in the order they are due).
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(clockReads).toBe(0);
  });
});

