// The Audit screen's new filters (issue 12), on a real SQLite log: action prefix, free text, robot and key, the list
// of actions, a reversed time range refused (by the contract and by the service, naming the field), LIKE's wildcards
// typed by the officer matched literally, and the audit key fingerprint. Every expectation comes from the tables
// written below, never from the code under test.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contract } from '../../shared/contract.ts';
import { ConsoleError } from '../../shared/errors.ts';
import { invalidInputError } from '../../electron/ipc/router.ts';
import type { AuditEntry, AuditQuery } from '../../electron/services/audit/index.ts';
import { makeLog, newSigner, openTestDb } from './audit-testdb.ts';

let t: ReturnType<typeof openTestDb>;
let log: ReturnType<typeof makeLog>['log'];
const START = Date.parse('2026-01-01T00:00:00Z'); // manualClock's default start
/** Record n is appended at START + n minutes (the clock moves one minute per record). */
const AT = (n: number) => new Date(START + n * 60_000).toISOString();

// The log, seq by seq. Actions, targets and details chosen so that an unescaped % or _ would match more rows.
const RECORDS: ReadonlyArray<AuditEntry> = [
  /* 1 */ { actor: 'alice', action: 'key.create', targetType: 'key', targetId: 'k-1', outcome: 'success', details: { label: '100%_sure' } },
  /* 2 */ { actor: 'bob', action: 'key.rotate', targetType: 'key', targetId: 'k-1', outcome: 'success', details: { version: 2 } },
  /* 3 */ { actor: 'alice', action: 'robot.status', targetType: 'robot', targetId: 'r-1', outcome: 'success', details: { to: 'quarantined' } },
  /* 4 */ { actor: 'carol', action: 'station.provision', targetType: 'robot', targetId: 'r-2', outcome: 'failure', details: { port: 'tty_a' } },
  /* 5 */ { actor: 'bob', action: 'key.encrypt', targetType: 'key', targetId: 'k-2', outcome: 'success', details: {} },
  /* 6 */ { actor: 'dave', action: 'key_odd', targetType: null, targetId: null, outcome: 'success', details: {} },
  /* 7 */ { actor: 'dave', action: 'audit.export', targetType: 'audit', targetId: null, outcome: 'success', details: { note: '50% done' } },
  /* 8 */ { actor: 'Eve', action: 'session.unlock', targetType: 'store', targetId: null, outcome: 'success', details: {} },
  /* 9 */ { actor: 'alice', action: 'robot.status', targetType: 'robot', targetId: 'k-1', outcome: 'success', details: { to: 'active' } },
];

beforeAll(() => {
  t = openTestDb('audit-filters-');
  const made = makeLog(t.db);
  log = made.log;
  for (const r of RECORDS) {
    made.clock.advance(60_000);
    log.append(r);
  }
});
afterAll(() => t.cleanup());

// Filter -> the seqs it must give, newest first (filtered lists are newest time first; here time follows seq).
const CASES: ReadonlyArray<[string, Partial<AuditQuery>, number[]]> = [
  ['prefix key.', { actionPrefix: 'key.' }, [5, 2, 1]],
  ['prefix in upper case (ASCII letters in any case)', { actionPrefix: 'KEY.' }, [5, 2, 1]],
  ['prefix with a literal _ (not "any one character")', { actionPrefix: 'key_' }, [6]],
  ['prefix % matches no action (literal, not "anything")', { actionPrefix: '%' }, []],
  ['prefix robot.', { actionPrefix: 'robot.' }, [9, 3]],
  ['free text in details', { text: 'quarantined' }, [3]],
  ['free text with % and _ taken literally', { text: '0%_' }, [1]],
  ['free text 50%', { text: '50%' }, [7]],
  ['free text _ alone (a literal underscore)', { text: '_' }, [6, 4, 1]],
  ['free text in the actor, any case', { text: 'EVE' }, [8]],
  ['free text in the target id', { text: 'r-' }, [4, 3]],
  ['free text in the action', { text: 'provision' }, [4]],
  ['action from the list (exact)', { action: 'robot.status' }, [9, 3]],
  ['robot', { robotId: 'r-2' }, [4]],
  ['robot whose id is also a key id: only robot targets', { robotId: 'k-1' }, [9]],
  ['key: only key targets', { keyId: 'k-1' }, [2, 1]],
  ['key k-2', { keyId: 'k-2' }, [5]],
  ['prefix + actor', { actionPrefix: 'key.', actor: 'bob' }, [5, 2]],
  ['text + time range', { text: 'alice', from: AT(2), to: AT(8) }, [3]],
  ['range of one instant', { from: AT(4), to: AT(4) }, [4]],
  ['nothing matches', { text: 'no such words' }, []],
];

describe('audit filters', () => {
  it.each(CASES)('%s', (_name, filter, seqs) => {
    const result = log.query({ ...filter, limit: 100 });
    expect(result.records.map((r) => r.seq)).toEqual(seqs);
    expect(result.total).toBe(seqs.length);
    expect(result.totalExact).toBe(true);
    // The contract accepts the same input.
    expect(contract['audit:query'].input.safeParse({ ...filter, limit: 100 }).success).toBe(true);
  });

  it.each(CASES.filter(([, , seqs]) => seqs.length > 1))('%s, paged one record at a time with cursors', (_name, filter, seqs) => {
    const seen: number[] = [];
    let before: number | undefined;
    for (;;) {
      const page = log.query({ ...filter, limit: 1, ...(before === undefined ? {} : { before }) });
      seen.push(...page.records.map((r) => r.seq));
      if (!page.more) break;
      before = page.records.at(-1)!.seq;
    }
    expect(seen).toEqual(seqs);
  });

  it('lists every action the log holds, sorted, once each', () => {
    expect(log.actions()).toEqual(['audit.export', 'key.create', 'key.encrypt', 'key.rotate', 'key_odd', 'robot.status', 'session.unlock', 'station.provision']);
  });

  it('reads the action list with index probes, not a scan of the table', () => {
    const plan = t.db
      .prepare(
        `EXPLAIN QUERY PLAN WITH RECURSIVE acts(action) AS (SELECT min(action) FROM audit_records UNION ALL
         SELECT (SELECT min(a.action) FROM audit_records a WHERE a.action > acts.action) FROM acts WHERE acts.action IS NOT NULL)
         SELECT action FROM acts WHERE action IS NOT NULL`,
      )
      .all() as Array<{ detail: string }>;
    const details = plan.map((p) => p.detail).join('\n');
    expect(details).not.toMatch(/SCAN audit_records\b(?! USING)/);
    expect(details).toMatch(/audit_records_by_action_ts/);
  });
});

describe('a reversed time range is refused, naming the field', () => {
  const reversed = { from: AT(5), to: AT(2), limit: 100 };

  it('by the service: invalid_input with field "to"', () => {
    let caught: unknown;
    try {
      log.query(reversed);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ConsoleError);
    expect((caught as ConsoleError).code).toBe('invalid_input');
    expect((caught as ConsoleError).details).toEqual({ field: 'to' });
    expect((caught as ConsoleError).message).toMatch(/ends before it starts/);
  });

  it('by the contract: the channel refuses it with invalid_input naming "to"', () => {
    const parsed = contract['audit:query'].input.safeParse(reversed);
    expect(parsed.success).toBe(false);
    const err = invalidInputError('audit:query', parsed.error!);
    expect(err.code).toBe('invalid_input');
    expect(err.details).toEqual({ field: 'to' });
  });

  it('the same instant on both ends is a range, not a reversed one', () => {
    expect(contract['audit:query'].input.safeParse({ from: AT(3), to: AT(3), limit: 1 }).success).toBe(true);
  });

  it.each([
    ['actionPrefix', { actionPrefix: 'x'.repeat(129) }],
    ['text', { text: 'a\u0000b' }],
    ['robotId', { robotId: '' }],
    ['keyId', { keyId: 'k\n1' }],
  ] as const)('bad %s refused by the contract, naming it', (field, input) => {
    const parsed = contract['audit:query'].input.safeParse({ ...input, limit: 10 });
    expect(parsed.success).toBe(false);
    expect(invalidInputError('audit:query', parsed.error!).details).toEqual({ field });
  });
});

describe('audit key fingerprint', () => {
  it('is the SHA-256 of the trusted key\'s DER public key, and refused while locked', () => {
    const signer = newSigner();
    expect(() => log.keyFingerprint()).toThrow(expect.objectContaining({ code: 'locked' }));
    log.setSigner(signer);
    try {
      // The recipe of docs/audit-log.md ("Verifying an audit export", step 1), computed here.
      const expected = createHash('sha256').update(signer.publicKeySpki).digest('hex');
      expect(log.keyFingerprint()).toBe(expected);
    } finally {
      log.setSigner(null);
    }
  });
});
