import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleError } from '../../shared/errors.ts';
import { makeLog, openTestDb } from './audit-testdb.ts';

let t: ReturnType<typeof openTestDb>;
let log: ReturnType<typeof makeLog>['log'];

// 2,000 records, one per minute, with known distributions of actor, action and target.
beforeAll(() => {
  t = openTestDb('audit-query-');
  const made = makeLog(t.db);
  log = made.log;
  const entries = [];
  for (let i = 1; i <= 2000; i++) {
    entries.push({
      actor: i % 4 === 0 ? 'bob' : 'alice',
      action: i % 10 === 0 ? 'key.rotate' : 'key.encrypt',
      targetType: 'key' as const,
      targetId: `k${i % 5}`,
      outcome: 'success' as const,
      details: { i },
    });
  }
  // appendMany stamps one clock time per record; advance the clock between small batches for distinct times
  for (let b = 0; b < 2000; b += 1) {
    log.appendMany(entries.slice(b, b + 1));
    made.clock.advance(60_000);
  }
});
afterAll(() => t.cleanup());

describe('audit query', () => {
  it('pages newest first with the total count', () => {
    const p1 = log.query({ offset: 0, limit: 50 });
    expect(p1.total).toBe(2000);
    expect(p1.records.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 2000 - i));
    const last = log.query({ offset: 1990, limit: 50 });
    expect(last.records.map((r) => r.seq)).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(log.query({ offset: 5000, limit: 10 })).toEqual({ total: 2000, records: [] });
  });

  it('filters by action, actor and key, alone and combined', () => {
    expect(log.query({ action: 'key.rotate', offset: 0, limit: 1000 }).total).toBe(200);
    expect(log.query({ actor: 'bob', offset: 0, limit: 1 }).total).toBe(500);
    const k3 = log.query({ targetId: 'k3', offset: 0, limit: 1000 });
    expect(k3.total).toBe(400);
    expect(k3.records.every((r) => r.targetId === 'k3')).toBe(true);
    const both = log.query({ actor: 'bob', action: 'key.rotate', offset: 0, limit: 1000 });
    expect(both.total).toBe(100);
    expect(both.records.every((r) => r.actor === 'bob' && r.action === 'key.rotate' && r.seq % 20 === 0)).toBe(true);
  });

  it('filters by time range inclusively, accepting offsets other than Z', () => {
    // record i has ts = start + (i - 1) minutes
    const r = log.query({ from: '2026-01-01T01:00:00Z', to: '2026-01-01T03:00:00+01:00', offset: 0, limit: 1000 });
    expect(r.total).toBe(61); // 01:00 .. 02:00 UTC inclusive: records 61..121
    expect(r.records[0]!.seq).toBe(121);
    expect(r.records.at(-1)!.seq).toBe(61);
  });

  it('uses an index for every filter (no full table scan)', () => {
    for (const [where, order] of [['action = ?', 'seq DESC'], ['actor = ?', 'seq DESC'], ['target_id = ?', 'seq DESC'], ['ts >= ?', 'ts DESC, seq DESC']]) {
      const plan = t.db.prepare(`EXPLAIN QUERY PLAN SELECT * FROM audit_records WHERE ${where} ORDER BY ${order} LIMIT 10`).all('x') as Array<{ detail: string }>;
      expect(plan.map((p) => p.detail).join(' | ')).toMatch(/SEARCH audit_records USING (COVERING )?INDEX/);
    }
  });

  it('refuses bad paging and bad times with invalid_input', () => {
    for (const q of [{ offset: -1, limit: 10 }, { offset: 0, limit: 0 }, { offset: 0, limit: 5000 }, { offset: 0.5, limit: 1 }, { from: 'yesterday', offset: 0, limit: 1 }]) {
      try {
        log.query(q);
        expect.unreachable(JSON.stringify(q));
      } catch (e) {
        expect((e as ConsoleError).code).toBe('invalid_input');
      }
    }
  });
});
