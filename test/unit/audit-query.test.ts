// The Audit screen's reads: every filter the screen offers, paged forward and back with cursors through page
// boundaries (also inside a block of records that share one time), against a reference computed here by a plain scan
// of the table; the total (exact, or capped and said so); and the query plan of every page: one index range, never a
// scan of the table or a sort.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConsoleError } from '../../shared/errors.ts';
import type { AuditQuery } from '../../electron/services/audit/index.ts';
import { queryRecords, TOTAL_CAP } from '../../electron/services/audit/queryRecords.ts';
import { createAuditRepo } from '../../electron/store/auditRepo.ts';
import { makeLog, openTestDb } from './audit-testdb.ts';

let t: ReturnType<typeof openTestDb>;
let log: ReturnType<typeof makeLog>['log'];
const START = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

// 2,400 records, one per minute, with known actors, actions and targets; records 1001-1060 share one time (appended
// in one batch), and after record 2000 the clock is set back 10 hours (a corrected clock): records 2001-2400 are
// older by time than records 1400-2000.
beforeAll(() => {
  t = openTestDb('audit-query-');
  const made = makeLog(t.db);
  log = made.log;
  const entry = (i: number) => ({
    actor: ['alice', 'bob', 'carol', 'dave'][i % 4] as string,
    action: i % 10 === 0 ? 'key.rotate' : i % 3 === 0 ? 'key.create' : 'key.encrypt',
    targetType: 'key' as const,
    targetId: i % 11 === 0 ? null : `k${i % 7}`,
    outcome: 'success' as const,
    details: { i },
  });
  for (let i = 1; i <= 2400; i++) {
    if (i === 1001) {
      log.appendMany(Array.from({ length: 60 }, (_, k) => entry(1001 + k)));
      made.clock.advance(60_000);
      i = 1060;
      continue;
    }
    if (i === 2001) made.clock.advance(-10 * 3_600_000);
    log.append(entry(i));
    made.clock.advance(60_000);
  }
});
afterAll(() => t.cleanup());

interface Row { seq: number; ts: string; actor: string; action: string; targetId: string | null }

/** The reference: every row read plainly, filtered and ordered as docs/audit-log.md says, here in the test. */
function expected(f: Partial<AuditQuery>): number[] {
  const rows = t.db.prepare('SELECT seq, ts, actor, action, target_id AS targetId FROM audit_records').all() as Row[];
  const from = f.from ? iso(Date.parse(f.from)) : null;
  const to = f.to ? iso(Date.parse(f.to)) : null;
  const match = rows.filter((r) => (!f.action || r.action === f.action) && (!f.actor || r.actor === f.actor) && (!f.targetId || r.targetId === f.targetId) &&
    (!from || r.ts >= from) && (!to || r.ts <= to));
  const filtered = Object.values(f).some((v) => v !== undefined);
  // Unfiltered: the chain's order (newest seq first). Filtered: newest time first, then newest seq.
  match.sort((a, b) => (filtered && a.ts !== b.ts ? (a.ts < b.ts ? 1 : -1) : b.seq - a.seq));
  return match.map((r) => r.seq);
}

const AT = (minutes: number) => iso(START + minutes * 60_000);
const FILTERS: Array<[string, Partial<AuditQuery>]> = [
  ['no filter', {}],
  ['action', { action: 'key.rotate' }],
  ['actor', { actor: 'bob' }],
  ['target', { targetId: 'k3' }],
  ['actor + action', { actor: 'carol', action: 'key.create' }],
  ['time range (crossing the clock correction)', { from: AT(1500), to: AT(1800) }],
  ['from only', { from: AT(2300) }],
  ['to only', { to: AT(40) }],
  ['a time range inside the block of one time', { from: AT(1000), to: AT(1000) }],
  ['actor + action + time range', { actor: 'bob', action: 'key.encrypt', from: AT(900), to: AT(1700) }],
  ['action + target', { action: 'key.encrypt', targetId: 'k5' }],
  ['actor + target + time', { actor: 'alice', targetId: 'k2', from: AT(100) }],
  ['nothing matches', { actor: 'nobody' }],
];
const PAGE = 37;
/** The index each filter's pages must range over (the screen's filters have one each; other combinations use one of them). */
const INDEX_OF: Record<string, RegExp> = {
  'no filter': /INTEGER PRIMARY KEY/,
  action: /INDEX audit_records_by_action_ts \(action=\?/,
  actor: /INDEX audit_records_by_actor_ts \(actor=\?/,
  target: /INDEX audit_records_by_target_ts \(target_id=\?/,
  'actor + action': /INDEX audit_records_by_actor_action_ts \(actor=\? AND action=\?/,
  'time range (crossing the clock correction)': /INDEX audit_records_by_ts \(ts>\? AND ts<\?\)/,
  'from only': /INDEX audit_records_by_ts \(ts[<>]\?/,
  'to only': /INDEX audit_records_by_ts \(ts[<>]\?/,
  'a time range inside the block of one time': /INDEX audit_records_by_ts \(ts>\? AND ts<\?\)/,
  'actor + action + time range': /INDEX audit_records_by_actor_action_ts \(actor=\? AND action=\? AND ts>\? AND ts<\?\)/,
  'action + target': /INDEX audit_records_by_(action|target)_ts /,
  'actor + target + time': /INDEX audit_records_by_(actor|target)_ts /,
  'nothing matches': /INDEX audit_records_by_actor_ts \(actor=\?/,
};

describe('audit query against a plain scan', () => {
  it('the reference itself has what the table needs: ties in time, and time order that differs from chain order', () => {
    expect(expected({ from: AT(1000), to: AT(1000) })).toHaveLength(60);
    const crossing = expected({ from: AT(1500), to: AT(1800) });
    expect(crossing.some((s) => s > 2000) && crossing.some((s) => s < 2000)).toBe(true);
    expect(crossing).not.toEqual([...crossing].sort((a, b) => b - a));
  });

  it.each(FILTERS)('%s: pages forward with `before` give exactly the reference, with the total and `more`', (_name, f) => {
    const want = expected(f);
    const first = log.query({ ...f, limit: PAGE });
    // An unfiltered total is the head's seq; a filtered one is counted (exact below the cap).
    expect(first).toMatchObject({ total: want.length, totalExact: true });
    const got: number[] = [];
    let page = first;
    for (;;) {
      got.push(...page.records.map((r) => r.seq));
      expect(page.more).toBe(got.length < want.length);
      if (!page.more) break;
      page = log.query({ ...f, limit: PAGE, before: page.records.at(-1)!.seq });
      expect(page.total).toBeNull();
    }
    expect(got).toEqual(want);
  });

  it.each(FILTERS)('%s: pages back with `after`, from the last record up, give the reference too', (_name, f) => {
    const want = expected(f);
    if (want.length === 0) return;
    const got: number[] = [want.at(-1)!];
    for (let cursor = want.at(-1)!; ;) {
      const page = log.query({ ...f, limit: PAGE, after: cursor });
      got.unshift(...page.records.map((r) => r.seq));
      expect(page.more).toBe(got.length < want.length);
      if (!page.more) break;
      cursor = page.records[0]!.seq;
    }
    expect(got).toEqual(want);
  });

  it('a cursor in the middle of records of one time continues right after it, both ways', () => {
    const f = { from: AT(990), to: AT(1010) };
    const want = expected(f);
    const i = want.indexOf(1030);
    expect(log.query({ ...f, limit: 5, before: 1030 }).records.map((r) => r.seq)).toEqual(want.slice(i + 1, i + 6));
    expect(log.query({ ...f, limit: 5, after: 1030 }).records.map((r) => r.seq)).toEqual(want.slice(i - 5, i));
  });

  it('offset paging still works (it costs the rows it skips; the screen uses cursors)', () => {
    expect(log.query({ offset: 5, limit: 10 }).records.map((r) => r.seq)).toEqual(expected({}).slice(5, 15));
    expect(log.query({ actor: 'dave', offset: 100, limit: 10 }).records.map((r) => r.seq)).toEqual(expected({ actor: 'dave' }).slice(100, 110));
    expect(log.query({ offset: 5000, limit: 10 })).toEqual({ total: 2400, totalExact: true, more: false, records: [] });
  });

  it('a filtered total counts up to the cap and then says it is a lower bound', () => {
    const repo = createAuditRepo(t.db);
    const many = expected({ action: 'key.encrypt' }).length;
    expect(many).toBeGreaterThan(100);
    expect(queryRecords(repo, { action: 'key.encrypt', limit: 10 }, 100)).toMatchObject({ total: 100, totalExact: false, more: true });
    expect(queryRecords(repo, { action: 'key.rotate', limit: 10 }, 240)).toMatchObject({ total: 240, totalExact: true });
    expect(queryRecords(repo, { action: 'key.rotate', limit: 10 }, 239)).toMatchObject({ total: 239, totalExact: false });
    expect(TOTAL_CAP).toBe(1_000);
  });

  it('refuses bad paging and bad times with invalid_input', () => {
    for (const q of [{ offset: -1, limit: 10 }, { offset: 0, limit: 0 }, { offset: 0, limit: 5000 }, { offset: 0.5, limit: 1 }, { from: 'yesterday', limit: 1 },
      { before: 5, after: 3, limit: 1 }, { before: 5, offset: 2, limit: 1 }, { after: -1, limit: 1 }, { before: 1.5, limit: 1 }]) {
      try {
        log.query(q);
        expect.unreachable(JSON.stringify(q));
      } catch (e) {
        expect((e as ConsoleError).code, JSON.stringify(q)).toBe('invalid_input');
      }
    }
  });
});

describe('the query plan of every page', () => {
  it.each(FILTERS)('%s: first page, count, and both cursors read one index range, with no sort', (name, f) => {
    const repo = createAuditRepo(t.db);
    const prepare = vi.spyOn(t.db, 'prepare');
    let sqls: string[];
    try {
      queryRecords(repo, { ...f, limit: PAGE });
      queryRecords(repo, { ...f, limit: PAGE, before: 1500 });
      queryRecords(repo, { ...f, limit: PAGE, after: 1500 });
      sqls = prepare.mock.calls.map((c) => c[0] as string).filter((s) => s.includes('audit_records'));
    } finally {
      prepare.mockRestore();
    }
    expect(sqls.length).toBeGreaterThanOrEqual(3);
    // The statements the repository prepared once, used by these pages: the head's seq and a cursor's time.
    sqls.push('SELECT max(seq) FROM audit_records', 'SELECT ts FROM audit_records WHERE seq = ?');
    for (const sql of sqls) {
      const params = Array.from({ length: sql.split('?').length - 1 }, () => 1);
      const plan = (t.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((p) => p.detail);
      const onTable = plan.filter((d) => / audit_records\b/.test(d));
      expect(onTable.length, sql).toBeGreaterThan(0);
      // SEARCH: a range of the primary key or of one of the screen's indexes ("SEARCH audit_records" alone: max(seq)).
      for (const d of onTable) expect(d, `${sql}\n${plan.join('\n')}`).toMatch(/^SEARCH audit_records( USING (INTEGER PRIMARY KEY|(COVERING )?INDEX audit_records_by_\w+ )|$)/);
      expect(plan.join('\n'), sql).not.toMatch(/TEMP B-TREE/);
      // The page's range (and the count's) runs over the filter's own index.
      if (sql.includes('ORDER BY') || sql.includes('count(*)')) expect(plan.join('\n'), sql).toMatch(INDEX_OF[name]!);
      // One bound on ts per side: with two (the filter's and the cursor's) SQLite ranges over one of them only, so a
      // cursor page deep inside a time range read every entry between the range's end and the cursor.
      const bounds = sql.replace(/\(ts [<>] \? OR seq [<>] \?\)/, '');
      expect((bounds.match(/\bts <=? \?/g) ?? []).length, sql).toBeLessThanOrEqual(1);
      expect((bounds.match(/\bts >=? \?/g) ?? []).length, sql).toBeLessThanOrEqual(1);
    }
  });
});
