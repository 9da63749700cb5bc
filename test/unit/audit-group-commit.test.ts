// Group commit (docs/audit-log.md, "Group commit") over a real SQLite file (WAL, synchronous=FULL) and the real audit
// log: operations finishing together share one transaction; each result arrives only after that transaction
// committed; the chain stays ordered and verifies; a failing member leaves the others committed, whether SQLite rolls
// back only its savepoint, the whole transaction, or refuses the COMMIT; a lone caller does not wait for the window,
// and a straggler holds the others for at most the window. The window's timer is a manual one: nothing waits on time.
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createGroupCommit, type GroupCommitOptions } from '../../electron/services/audit/groupCommit.ts';
import type { AuditEntry } from '../../electron/services/audit/index.ts';
import { makeLog, newSigner, openTestDb } from './audit-testdb.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const rec = (i: number): AuditEntry => ({ actor: `op-${i}`, action: 'key.encrypt', targetType: 'key', targetId: null, outcome: 'success', details: { n: i } });

/** A window timer that fires only when the test says so. */
function manualWindow() {
  const pending = new Set<() => void>();
  return {
    timers: {
      setTimeout(fn: () => void) {
        pending.add(fn);
        return () => pending.delete(fn);
      },
    },
    armed: () => pending.size,
    fire() {
      for (const fn of [...pending]) {
        pending.delete(fn);
        fn();
      }
    },
  };
}

/** One turn of the event loop: what a group scheduled "at once" needs to run. */
const turn = () => new Promise((r) => setImmediate(r));

function rig(opts: Partial<GroupCommitOptions> = {}) {
  const t = openTestDb('group-commit-');
  cleanups.push(t.cleanup);
  const { log } = makeLog(t.db);
  log.setSigner(newSigner());
  let transactions = 0;
  const window = manualWindow();
  const gc = createGroupCommit({
    transaction: (fn) => {
      if (!t.db.inTransaction) transactions++;
      return t.db.transaction(fn).immediate();
    },
    inTransaction: () => t.db.inTransaction,
    timers: window.timers,
    ...opts,
  });
  /** What a second connection sees: only committed rows. */
  const committedActors = () => {
    const reader = new Database(t.file, { readonly: true });
    try {
      return (reader.prepare('SELECT actor FROM audit_records ORDER BY seq').pluck().all() as string[]);
    } finally {
      reader.close();
    }
  };
  return { ...t, log, gc, window, transactions: () => transactions, committedActors };
}

describe('group commit', () => {
  it('operations finishing together share one transaction, in order, and each result comes after the commit', async () => {
    const r = rig();
    const tickets = Array.from({ length: 20 }, () => r.gc.begin());
    const seenAtResult: Array<{ inTransaction: boolean; committed: number }> = [];
    const results = tickets.map((t, i) =>
      t.commit(() => r.log.append(rec(i)).seq).then((seq) => {
        seenAtResult.push({ inTransaction: r.db.inTransaction, committed: r.committedActors().length });
        return seq;
      }),
    );
    expect(await Promise.all(results)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(r.transactions()).toBe(1);
    expect(seenAtResult.every((s) => !s.inTransaction && s.committed === 20)).toBe(true);
    expect(r.committedActors()).toEqual(Array.from({ length: 20 }, (_, i) => `op-${i}`));
    expect(r.log.verify()).toMatchObject({ ok: true, checkedRecords: 20 });
    expect(r.gc.stats()).toMatchObject({ groups: 1, members: 20 });
    // The time inside the shared transaction (benchmarks report it per operation): a real commit takes some.
    expect(r.gc.stats().transactionMs).toBeGreaterThan(0);
  });

  it('a member whose work throws rolls back alone (its savepoint); the others commit in the same transaction', async () => {
    const r = rig();
    const tickets = Array.from({ length: 5 }, () => r.gc.begin());
    const results = tickets.map((t, i) =>
      t.commit(() => {
        r.log.append(rec(i));
        if (i === 2) throw new Error('member 2 failed after appending');
        return i;
      }),
    );
    const settled = await Promise.allSettled(results);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((settled[2] as PromiseRejectedResult).reason.message).toBe('member 2 failed after appending');
    expect(r.transactions()).toBe(1);
    expect(r.committedActors()).toEqual(['op-0', 'op-1', 'op-3', 'op-4']);
    expect(r.log.verify()).toMatchObject({ ok: true, checkedRecords: 4 });
  });

  // [the member that poisons]: the first, a middle and the last of five; the group runs again without it (2 transactions).
  it.each([0, 2, 4])('a member that makes SQLite roll back the whole transaction is dropped, and the group runs again without it (member %i)', async (bad) => {
    const r = rig();
    r.db.exec("CREATE TABLE poison (v TEXT); CREATE TRIGGER poison_rollback BEFORE INSERT ON poison BEGIN SELECT RAISE(ROLLBACK, 'poisoned'); END;");
    const tickets = Array.from({ length: 5 }, () => r.gc.begin());
    const results = tickets.map((t, i) =>
      t.commit(() => {
        r.log.append(rec(i));
        if (i === bad) r.db.prepare('INSERT INTO poison (v) VALUES (?)').run('x');
        return i;
      }),
    );
    const settled = await Promise.allSettled(results);
    expect(settled.map((s) => s.status)).toEqual([0, 1, 2, 3, 4].map((i) => (i === bad ? 'rejected' : 'fulfilled')));
    expect((settled[bad] as PromiseRejectedResult).reason.message).toBe('poisoned');
    expect(r.transactions()).toBe(2);
    expect(r.committedActors()).toEqual([0, 1, 2, 3, 4].filter((i) => i !== bad).map((i) => `op-${i}`));
    expect(r.log.verify()).toMatchObject({ ok: true, checkedRecords: 4 });
    expect(r.gc.stats()).toMatchObject({ groups: 1, members: 4 });
  });

  it('a lone member that makes SQLite roll back its transaction fails alone: no group is counted, no empty transaction follows', async () => {
    const r = rig();
    r.db.exec("CREATE TABLE poison (v TEXT); CREATE TRIGGER poison_rollback BEFORE INSERT ON poison BEGIN SELECT RAISE(ROLLBACK, 'poisoned'); END;");
    const t = r.gc.begin();
    await expect(t.commit(() => r.db.prepare('INSERT INTO poison (v) VALUES (?)').run('x'))).rejects.toThrow('poisoned');
    expect(r.transactions()).toBe(1);
    expect(r.gc.stats()).toMatchObject({ groups: 0, members: 0 });
    expect(r.committedActors()).toEqual([]);
  });

  it('when the COMMIT itself fails (a deferred constraint), the members are committed one by one and only the guilty one fails', async () => {
    const r = rig();
    r.db.exec('CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (p INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);');
    const tickets = Array.from({ length: 4 }, () => r.gc.begin());
    const results = tickets.map((t, i) =>
      t.commit(() => {
        r.log.append(rec(i));
        if (i === 1) r.db.prepare('INSERT INTO child (p) VALUES (?)').run(42);
        return i;
      }),
    );
    const settled = await Promise.allSettled(results);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason.code).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
    expect(r.committedActors()).toEqual(['op-0', 'op-2', 'op-3']);
    expect(r.log.verify()).toMatchObject({ ok: true, checkedRecords: 3 });
  });

  it('a lone operation commits at once: it does not wait for the window', async () => {
    const r = rig();
    const t = r.gc.begin();
    const result = t.commit(() => r.log.append(rec(0)).seq);
    t.end();
    // The window timer is never fired: the result can only come from the immediate commit.
    expect(await result).toBe(1);
    expect(r.window.armed()).toBe(0);
  });

  it('waits for an operation still in flight, then commits both in one transaction when it queues', async () => {
    const r = rig();
    const first = r.gc.begin();
    const second = r.gc.begin();
    const a = first.commit(() => r.log.append(rec(0)).seq);
    await turn();
    await turn();
    expect(r.committedActors()).toEqual([]);
    expect(r.window.armed()).toBe(1);
    const b = second.commit(() => r.log.append(rec(1)).seq);
    expect(await Promise.all([a, b])).toEqual([1, 2]);
    expect(r.transactions()).toBe(1);
  });

  it('the window bounds the wait: when it elapses the queued work commits without the straggler', async () => {
    const r = rig();
    const first = r.gc.begin();
    const straggler = r.gc.begin();
    const a = first.commit(() => r.log.append(rec(0)).seq);
    r.window.fire();
    expect(await a).toBe(1);
    expect(r.committedActors()).toEqual(['op-0']);
    straggler.end();
    await turn();
    expect(r.transactions()).toBe(1);
  });

  it('an operation that ends without queuing releases the group waiting for it', async () => {
    const r = rig();
    const first = r.gc.begin();
    const second = r.gc.begin();
    const a = first.commit(() => r.log.append(rec(0)).seq);
    second.end();
    expect(await a).toBe(1);
  });

  it('flush() commits what is queued, synchronously (lock, close)', () => {
    const r = rig();
    const first = r.gc.begin();
    r.gc.begin(); // still in flight: without flush the group would wait for it
    void first.commit(() => r.log.append(rec(0)));
    expect(r.committedActors()).toEqual([]);
    r.gc.flush();
    expect(r.committedActors()).toEqual(['op-0']);
  });

  it('never commits a group inside a caller\'s transaction (its records would be durable only at the caller\'s commit)', async () => {
    const r = rig();
    const t = r.gc.begin();
    const a = t.commit(() => r.log.append(rec(0)).seq);
    r.db.transaction(() => {
      r.gc.flush();
      expect(r.transactions()).toBe(0);
    }).immediate();
    expect(await a).toBe(1);
    expect(r.transactions()).toBe(1);
  });

  it('maxBatch caps the members of one transaction', async () => {
    const r = rig({ maxBatch: 3 });
    const tickets = Array.from({ length: 7 }, () => r.gc.begin());
    await Promise.all(tickets.map((t, i) => t.commit(() => r.log.append(rec(i)))));
    expect(r.gc.stats()).toMatchObject({ groups: 3, members: 7 });
    expect(r.log.verify()).toMatchObject({ ok: true, checkedRecords: 7 });
  });

  it('refuses a window or a group size out of range', () => {
    const base = { transaction: <T>(fn: () => T) => fn(), inTransaction: () => false };
    expect(() => createGroupCommit({ ...base, windowMs: -1 })).toThrow(RangeError);
    expect(() => createGroupCommit({ ...base, maxBatch: 0 })).toThrow(RangeError);
  });
});

describe('group commit: the window, the group size and the bookkeeping', () => {
  /** The manual window, also recording the delay each arming asked for. */
  function recordingWindow() {
    const w = manualWindow();
    const delays: number[] = [];
    return { ...w, delays, timers: { setTimeout: (fn: () => void, ms: number) => (delays.push(ms), w.timers.setTimeout(fn)) } };
  }

  it('the window is armed once, windowMs after the first queued work (default 4 ms: docs/audit-log.md)', async () => {
    for (const [windowMs, expected] of [[undefined, 4], [250, 250], [0, 0]] as const) {
      const w = recordingWindow();
      const r = rig({ timers: w.timers, ...(windowMs === undefined ? {} : { windowMs }) });
      const [a, b, c] = [r.gc.begin(), r.gc.begin(), r.gc.begin()];
      const done = [a.commit(() => r.log.append(rec(0)).seq), b.commit(() => r.log.append(rec(1)).seq)];
      expect(w.delays).toEqual([expected]);
      expect(w.armed()).toBe(1);
      w.fire();
      expect(await Promise.all(done)).toEqual([1, 2]);
      c.end();
    }
  });

  it('without injected timers the window is a real timer: a straggler that never ends holds the group only that long', async () => {
    const r = rig({ timers: undefined, windowMs: 1 });
    r.gc.begin(); // never queues, never ends
    const first = r.gc.begin();
    expect(await first.commit(() => r.log.append(rec(0)).seq)).toBe(1);
    expect(r.committedActors()).toEqual(['op-0']);
  });

  it('a full group commits at once, without waiting for the window or for the operations still in flight', async () => {
    const r = rig({ maxBatch: 2 });
    const tickets = [r.gc.begin(), r.gc.begin(), r.gc.begin(), r.gc.begin()];
    const done = [tickets[0]!.commit(() => r.log.append(rec(0)).seq), tickets[1]!.commit(() => r.log.append(rec(1)).seq)];
    expect(await Promise.all(done)).toEqual([1, 2]);
    expect(r.window.armed()).toBe(0);
    expect(r.gc.stats()).toMatchObject({ groups: 1, members: 2 });
  });

  it('by default at most 256 members share one transaction', async () => {
    const r = rig();
    const tickets = Array.from({ length: 257 }, () => r.gc.begin());
    await Promise.all(tickets.map((t, i) => t.commit(() => r.log.append(rec(i)))));
    expect(r.gc.stats()).toMatchObject({ groups: 2, members: 257 });
    expect(r.transactions()).toBe(2);
  });

  it('end() counts an operation out once: a second end(), or end() after commit, does not release a group early', async () => {
    const r = rig();
    const [a, b, c, d] = [r.gc.begin(), r.gc.begin(), r.gc.begin(), r.gc.begin()];
    b.end();
    b.end();
    const first = a.commit(() => r.log.append(rec(0)).seq);
    a.end();
    await turn();
    await turn();
    // c and d are still in flight: the group waits for them (or for the window).
    expect(r.committedActors()).toEqual([]);
    expect(r.window.armed()).toBe(1);
    c.end();
    await turn();
    expect(r.committedActors()).toEqual([]);
    d.end();
    expect(await first).toBe(1);
    expect(r.window.armed()).toBe(0);
  });

  it('flush() with nothing queued opens no transaction; stats count groups, members and time spent in them', async () => {
    const r = rig();
    r.gc.flush();
    expect(r.transactions()).toBe(0);
    expect(r.gc.stats()).toEqual({ groups: 0, members: 0, transactionMs: 0 });
    const t = r.gc.begin();
    await t.commit(() => r.log.append(rec(0)));
    const s = r.gc.stats();
    expect([s.groups, s.members]).toEqual([1, 1]);
    expect(s.transactionMs).toBeGreaterThan(0);
  });

  it('an operation that ends with nothing queued arms no window', async () => {
    const r = rig();
    const [a, b] = [r.gc.begin(), r.gc.begin()];
    a.end();
    await turn();
    expect(r.window.armed()).toBe(0);
    expect(r.transactions()).toBe(0);
    b.end();
  });

  it('flush() cancels the commit it had scheduled for the next turn: work queued after it still waits for the operations in flight', async () => {
    const r = rig();
    const a = r.gc.begin();
    const first = a.commit(() => r.log.append(rec(0)).seq); // nothing else in flight: scheduled for the next turn
    r.gc.flush();
    expect(r.committedActors()).toEqual(['op-0']);
    const [b, c] = [r.gc.begin(), r.gc.begin()];
    const second = b.commit(() => r.log.append(rec(1)).seq);
    await turn();
    await turn();
    // c is still in flight and the window has not elapsed: b's work waits.
    expect(r.committedActors()).toEqual(['op-0']);
    expect(r.window.armed()).toBe(1);
    c.end();
    expect(await Promise.all([first, second])).toEqual([1, 2]);
  });

  it('the default timer is cancelled when the group commits before the window elapses', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    cleanups.push(() => vi.useRealTimers());
    const r = rig({ timers: undefined, windowMs: 1000 });
    const others = vi.getTimerCount();
    const [a, b] = [r.gc.begin(), r.gc.begin()];
    // Work that arms no timer of its own (an audit append may arm the checkpoint timer).
    const done = a.commit(() => r.db.prepare('SELECT 7').pluck().get());
    expect(vi.getTimerCount()).toBe(others + 1);
    b.end(); // the last one in flight: the group commits now, not at the window
    expect(await done).toBe(7);
    expect(vi.getTimerCount()).toBe(others);
  });

  it('stats count the time inside the group transactions in ms: never more than the test measured around them', () => {
    const r = rig();
    const tickets = Array.from({ length: 3 }, () => r.gc.begin());
    tickets.forEach((t, i) => void t.commit(() => r.log.append(rec(i))));
    const before = process.hrtime.bigint();
    r.gc.flush();
    const aroundMs = Number(process.hrtime.bigint() - before) / 1e6;
    const { transactionMs } = r.gc.stats();
    expect(transactionMs).toBeGreaterThan(0);
    expect(transactionMs).toBeLessThanOrEqual(aroundMs);
  });

  // [option, value, accepted]: windowMs from 0 to 1000 ms, maxBatch a positive integer.
  const RANGES: Array<['windowMs' | 'maxBatch', number, boolean]> = [
    ['windowMs', 0, true], ['windowMs', 1000, true], ['windowMs', 0.5, true], ['windowMs', -1, false], ['windowMs', 1000.5, false],
    ['windowMs', Number.NaN, false], ['windowMs', Number.POSITIVE_INFINITY, false],
    ['maxBatch', 1, true], ['maxBatch', 10_000, true], ['maxBatch', 0, false], ['maxBatch', -3, false], ['maxBatch', 1.5, false], ['maxBatch', Number.NaN, false],
  ];
  it.each(RANGES)('%s = %s: accepted %s', (name, value, ok) => {
    const make = () => createGroupCommit({ transaction: <T>(fn: () => T) => fn(), inTransaction: () => false, [name]: value });
    if (ok) expect(make).not.toThrow();
    else expect(make).toThrow(new RangeError(name === 'windowMs' ? 'windowMs must be from 0 to 1000' : 'maxBatch must be a positive integer'));
  });
});
