// Verification on hash workers (electron/services/audit/parallelWalk.ts): the log is read in chunks of 4096 records and
// each chunk is checked on a worker from the stored hash of the record before it. Every tampering the docs name
// (docs/audit-log.md, "Chain and checkpoints") is placed inside a chunk, on the first and last record of a chunk and
// across a boundary; the expected seq, reason and counts come from the table below and the chunk layout, not from the
// code. One log of 12,788 records (3 full chunks and a partial one), checkpoint every 100, is written once; each case
// tampers inside a transaction that is rolled back afterwards.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConsoleError } from '../../shared/errors.ts';
import { checkpointMessage, recordLine, sha256Hex } from '../../electron/services/audit/canonical.ts';
import { createHashWorkers, defaultVerifyWorkers, verifyChain, type HashWorkers } from '../../electron/services/audit/parallelWalk.ts';
import { createAuditRepo } from '../../electron/store/auditRepo.ts';
import { entry, makeLog, newSigner, openTestDb } from './audit-testdb.ts';

const CHUNK = 4096;
const N = 3 * CHUNK + 500; // 12,788: chunks 1-4096, 4097-8192, 8193-12288, 12289-12788
const EVERY = 100;

const MODIFIED = (s: number) => `record ${s} was modified (its content no longer matches its hash${s > 1 ? `, or record ${s - 1} was rewritten` : ''})`;
const MISSING = (s: number) => `record ${s} is missing (deleted)`;
const INVALID = (s: number) => `the checkpoint at record ${s} has an invalid signature (not signed by the trusted audit key)`;
const MISMATCH = (s: number) => `the checkpoint at record ${s} does not match the chain (records up to ${s} were changed, or the checkpoint was)`;
const TRUNCATED = (from: number, cp: number) => `the checkpoint at record ${cp} refers to records that were removed (records ${from} to ${cp} are missing: the log was truncated)`;

/** What a walk that stops at record s reports: every record and checkpoint before s was checked. */
const stoppedAt = (s: number, reason: string) => ({
  ok: false,
  checkedRecords: s - 1,
  checkpoints: Math.floor((s - 1) / EVERY),
  lastCheckpointSeq: s - 1 >= EVERY ? Math.floor((s - 1) / EVERY) * EVERY : null,
  firstBad: { seq: s, reason },
});

let t: ReturnType<typeof openTestDb>;
let signer: ReturnType<typeof newSigner>;
let log: ReturnType<typeof makeLog>['log'];

beforeAll(() => {
  t = openTestDb('audit-parallel-');
  signer = newSigner();
  const made = makeLog(t.db, { checkpointEvery: EVERY, verifyWorkers: 2, verifyParallelFrom: 2 * CHUNK });
  log = made.log;
  log.setSigner(signer);
  for (let from = 0; from < N; from += 1000) {
    log.appendMany(Array.from({ length: Math.min(1000, N - from) }, (_, i) => entry(from + i)));
    made.clock.advance(60_000);
  }
});
afterAll(() => {
  log.close();
  t.cleanup();
});

/** Runs fn's tampering in a transaction, verifies, and rolls the tampering back. */
function tampered(fn: () => void) {
  t.db.exec('BEGIN');
  try {
    fn();
    return log.verify();
  } finally {
    t.db.exec('ROLLBACK');
  }
}

const column = (seq: number, c: string) => t.db.prepare(`SELECT ${c} FROM audit_records WHERE seq = ?`).pluck().get(seq) as string;
const edit = (seq: number) => t.db.prepare("UPDATE audit_records SET actor = 'mallory' WHERE seq = ?").run(seq);

describe('verification on hash workers', () => {
  it('an untouched log: every record and checkpoint checked, the head reported', () => {
    expect(log.verify()).toEqual({
      ok: true, checkedRecords: N, checkpoints: Math.floor(N / EVERY), lastCheckpointSeq: Math.floor(N / EVERY) * EVERY, firstBad: null,
      headSeq: N, headHash: column(N, 'hash'),
    });
  });

  // [where, seq edited]: inside each chunk, and the first and last record of chunks.
  it.each<[string, number]>([
    ['inside chunk 1', 50],
    ['inside chunk 2', 5000],
    ['inside chunk 3', 9000],
    ['inside the last, partial chunk', 12_500],
    ['first record of chunk 2', 4097],
    ['first record of chunk 3', 8193],
    ['last record of chunk 1', 4096],
    ['last record of chunk 3', 8192],
    ['the very last record', N],
  ])('an edited record %s (seq %i) is reported there', (_where, seq) => {
    expect(tampered(() => edit(seq))).toMatchObject(stoppedAt(seq, MODIFIED(seq)));
  });

  it('edits in every chunk: the first one is reported', () => {
    expect(tampered(() => [9000, 12_500, 5000, 50].forEach(edit))).toMatchObject(stoppedAt(50, MODIFIED(50)));
  });

  it.each<[string, number]>([
    ['last record of chunk 1', 4096],
    ['first record of chunk 2', 4097],
    ['first record of chunk 3', 8193],
  ])('an edit at a boundary whose stored hash was recomputed (%s, seq %i) fails at the next record', (_where, seq) => {
    const forge = () => {
      const r = t.db.prepare('SELECT * FROM audit_records WHERE seq = ?').get(seq) as Record<string, string>;
      const line = recordLine(seq, r.ts!, 'mallory', r.action!, r.target_type!, r.target_id!, r.outcome!, r.details!, column(seq - 1, 'hash'));
      t.db.prepare("UPDATE audit_records SET actor = 'mallory', hash = ? WHERE seq = ?").run(sha256Hex(line), seq);
    };
    expect(tampered(forge)).toMatchObject(stoppedAt(seq + 1, MODIFIED(seq + 1)));
  });

  it.each<[string, number]>([
    ['last record of chunk 1', 4096],
    ['first record of chunk 2', 4097],
    ['first record of chunk 3', 8193],
    ['inside chunk 2', 6000],
  ])('a deleted record (%s, seq %i) is missing', (_where, seq) => {
    expect(tampered(() => t.db.prepare('DELETE FROM audit_records WHERE seq = ?').run(seq))).toMatchObject(stoppedAt(seq, MISSING(seq)));
  });

  it('two records swapped across a chunk boundary (4096 and 4097): the first of them no longer matches', () => {
    const swap = () => t.db.exec('UPDATE audit_records SET seq = -1 WHERE seq = 4096; UPDATE audit_records SET seq = 4096 WHERE seq = 4097; UPDATE audit_records SET seq = 4097 WHERE seq = -1');
    expect(tampered(swap)).toMatchObject(stoppedAt(4096, MODIFIED(4096)));
  });

  it.each<[string, number]>([
    ['chunk 2', 4100],
    ['chunk 3', 8200],
    ['the last chunk', 12_700],
  ])('a forged checkpoint signature in %s (record %i) is invalid', (_where, seq) => {
    const forge = () => {
      const sig = Buffer.from(t.db.prepare('SELECT signature FROM audit_checkpoints WHERE seq = ?').pluck().get(seq) as string, 'base64');
      sig[7]! ^= 1;
      t.db.prepare('UPDATE audit_checkpoints SET signature = ? WHERE seq = ?').run(sig.toString('base64'), seq);
    };
    expect(tampered(forge)).toMatchObject(stoppedAt(seq, INVALID(seq)));
  });

  it('a checkpoint in chunk 3 over another head, signed by the trusted key itself, does not match the chain', () => {
    const resign = () => {
      const ts = t.db.prepare('SELECT ts FROM audit_checkpoints WHERE seq = 8200').pluck().get() as string;
      const head = 'f'.repeat(64);
      const signature = signer.sign(Buffer.from(checkpointMessage(8200, head, ts))).toString('base64');
      t.db.prepare('UPDATE audit_checkpoints SET head = ?, signature = ? WHERE seq = 8200').run(head, signature);
    };
    expect(tampered(resign)).toMatchObject(stoppedAt(8200, MISMATCH(8200)));
  });

  it('a record deleted in the unsigned tail, the next one re-hashed over the gap: still missing', () => {
    // After the last checkpoint (12,700) nothing signed covers the hashes: only the seq gap shows the deletion.
    const gap = () => {
      const r = t.db.prepare('SELECT * FROM audit_records WHERE seq = ?').get(N) as Record<string, string>;
      const line = recordLine(N, r.ts!, r.actor!, r.action!, r.target_type!, r.target_id!, r.outcome!, r.details!, column(N - 2, 'hash'));
      t.db.prepare('DELETE FROM audit_records WHERE seq = ?').run(N - 1);
      t.db.prepare('UPDATE audit_records SET hash = ? WHERE seq = ?').run(sha256Hex(line), N);
    };
    expect(tampered(gap)).toMatchObject(stoppedAt(N - 1, MISSING(N - 1)));
  });

  it('a log truncated behind its last checkpoint', () => {
    expect(tampered(() => t.db.prepare('DELETE FROM audit_records WHERE seq > 12650').run())).toMatchObject(stoppedAt(12_651, TRUNCATED(12_651, 12_700)));
  });

  it('a value stored as a blob of the same bytes (chunk 2): the line, built from its text, is unchanged, as on the serial walk', () => {
    // Workers take only text and null; the chunk holding the blob is walked serially, which reads the blob's text.
    const blob = () => t.db.prepare('UPDATE audit_records SET actor = CAST(actor AS BLOB) WHERE seq = 5000').run();
    expect(tampered(blob)).toMatchObject({ ok: true, checkedRecords: N, checkpoints: Math.floor(N / EVERY), firstBad: null });
  });
});

describe('the options', () => {
  it.each<[string, Record<string, number>]>([
    ['verifyWorkers', { verifyWorkers: -1 }],
    ['verifyWorkers', { verifyWorkers: 1.5 }],
    ['verifyParallelFrom', { verifyParallelFrom: -1 }],
    ['verifyParallelFrom', { verifyParallelFrom: Number.NaN }],
  ])('%s must be a non-negative integer: %o is refused with invalid_input', (name, bad) => {
    let caught: unknown;
    try {
      makeLog(t.db, bad);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ConsoleError);
    expect(caught).toMatchObject({ code: 'invalid_input', message: `${name} must be a non-negative integer` });
  });
});

describe('the defaults (docs/audit-log.md)', () => {
  // [cores, workers]: one per core beyond the calling thread, at most 4; none on 2 cores or fewer.
  const WORKERS: Array<[number, number]> = [[1, 0], [2, 0], [3, 2], [4, 3], [5, 4], [6, 4], [64, 4]];
  it.each(WORKERS)('%i cores: %i hash workers', (cores, workers) => {
    expect(defaultVerifyWorkers(cores)).toBe(workers);
  });
});

describe('the hash workers themselves', () => {
  /** The workers, counting the chunks they confirmed. */
  function counted(): { pool: HashWorkers; confirmed: () => number; submitted: () => number } {
    const pool = createHashWorkers(2);
    let confirmed = 0;
    let submitted = 0;
    return {
      pool: { ...pool, submit: (job) => (submitted++, pool.submit(job)), wait: (s) => (pool.wait(s) ? (confirmed++, true) : false) },
      confirmed: () => confirmed,
      submitted: () => submitted,
    };
  }
  const trusted = () => signer.publicKeySpki;

  it('confirm every chunk of an untouched log (the serial walk only looks past the head)', () => {
    const { pool, confirmed } = counted();
    try {
      const v = t.db.transaction(() => verifyChain(createAuditRepo(t.db), { trustedKey: trusted(), workers: pool, minRecords: 0 }))();
      expect(v).toMatchObject({ ok: true, checkedRecords: N });
      expect(confirmed()).toBe(Math.ceil(N / CHUNK));
    } finally {
      pool.close();
    }
  });

  it('confirm the chunks before a tampered one and not the tampered one', () => {
    const { pool, confirmed } = counted();
    try {
      const v = tampered(() => {
        edit(9000);
        expect(verifyChain(createAuditRepo(t.db), { trustedKey: trusted(), workers: pool, minRecords: 0 })).toMatchObject(stoppedAt(9000, MODIFIED(9000)));
      });
      expect(v.ok).toBe(false);
      expect(confirmed()).toBe(2);
    } finally {
      pool.close();
    }
  });

  it('chunks checked on the calling thread (every worker busy) give the same verdicts, at the same seq', () => {
    const unused = createHashWorkers(1);
    const verifyHere = (fn: () => void) => {
      t.db.exec('BEGIN');
      try {
        fn();
        // No chunk is queued on a worker: each is checked here (the workers never start).
        return verifyChain(createAuditRepo(t.db), { trustedKey: trusted(), workers: unused, queuePerWorker: 0, minRecords: 0 });
      } finally {
        t.db.exec('ROLLBACK');
      }
    };
    expect(verifyHere(() => undefined)).toMatchObject({ ok: true, checkedRecords: N, checkpoints: Math.floor(N / EVERY) });
    expect(verifyHere(() => edit(4097))).toMatchObject(stoppedAt(4097, MODIFIED(4097)));
    expect(verifyHere(() => edit(8192))).toMatchObject(stoppedAt(8192, MODIFIED(8192)));
    const forgeSig = () => {
      const sig = Buffer.from(t.db.prepare('SELECT signature FROM audit_checkpoints WHERE seq = 8200').pluck().get() as string, 'base64');
      sig[7]! ^= 1;
      t.db.prepare('UPDATE audit_checkpoints SET signature = ? WHERE seq = 8200').run(sig.toString('base64'));
    };
    expect(verifyHere(forgeSig)).toMatchObject(stoppedAt(8200, INVALID(8200)));
    expect(unused.running()).toBe(0);
    unused.close();
  });

  it('by default, hash only from 32,768 records on (the head seq decides; shorter logs stay serial)', () => {
    // The reader reports a head of 32,767 or 32,768 records; the chain read is this file's 12,788 records.
    for (const [head, chunks] of [[32_767, 0], [32_768, Math.ceil(N / CHUNK)]] as const) {
      const { pool, confirmed } = counted();
      try {
        const repo = createAuditRepo(t.db);
        const v = t.db.transaction(() => verifyChain({ ...repo, headSeq: () => head }, { trustedKey: trusted(), workers: pool }))();
        expect(v).toMatchObject({ ok: true, checkedRecords: N });
        expect(confirmed()).toBe(chunks);
      } finally {
        pool.close();
      }
    }
  });

  // [case, trusted key, verdict]: without an Ed25519 trusted key no chunk goes to a worker; the serial walk gives its
  // verdict at the first checkpoint (docs/audit-log.md: signatures are checked against the trusted key only).
  const P256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
  const SERIAL_ONLY: Array<[string, () => Buffer | null, object]> = [
    ['no trusted key', () => null, stoppedAt(EVERY, `the checkpoint at record ${EVERY} cannot be checked: no trusted audit key`)],
    ['a trusted key that is not Ed25519 (P-256)', () => P256, stoppedAt(EVERY, 'the trusted audit key is not an Ed25519 key')],
  ];
  it.each(SERIAL_ONLY)('hand nothing to the workers with %s', (_case, key, verdict) => {
    const { pool, submitted } = counted();
    try {
      const v = t.db.transaction(() => verifyChain(createAuditRepo(t.db), { trustedKey: key(), workers: pool, minRecords: 0 }))();
      expect(v).toMatchObject(verdict);
      expect(submitted()).toBe(0);
    } finally {
      pool.close();
    }
  });

  it('hand nothing to the workers from a reader that cannot list checkpoints: the serial walk refuses it', () => {
    const { pool, submitted } = counted();
    try {
      const reader = { ...createAuditRepo(t.db), checkpointsAfter: undefined };
      expect(() => verifyChain(reader, { trustedKey: trusted(), workers: pool, minRecords: 0 })).toThrow(new Error('this chain reader cannot read checkpoints'));
      expect(submitted()).toBe(0);
    } finally {
      pool.close();
    }
  });

  it('a reader that cannot tell its head is not held to the minimum: its chunks go to the workers', () => {
    const { pool, confirmed } = counted();
    try {
      const repo = createAuditRepo(t.db);
      const v = t.db.transaction(() => verifyChain({ ...repo, headSeq: undefined }, { trustedKey: trusted(), workers: pool }))();
      expect(v).toMatchObject({ ok: true, checkedRecords: N });
      expect(confirmed()).toBe(Math.ceil(N / CHUNK));
    } finally {
      pool.close();
    }
  });

  it.each([0, -1, 1.5, Number.NaN])('refuse a pool of %s workers (RangeError)', (size) => {
    expect(() => createHashWorkers(size)).toThrow(new RangeError('verify workers must be a positive integer'));
  });

  it('the idle minute counts from the last chunk handed out, and close() ends it (manual timers)', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const pool = createHashWorkers(2);
    const walk = () => t.db.transaction(() => verifyChain(createAuditRepo(t.db), { trustedKey: trusted(), workers: pool, minRecords: 0 }))();
    try {
      walk();
      vi.advanceTimersByTime(30_000);
      walk(); // the minute starts again here
      vi.advanceTimersByTime(30_000);
      expect(pool.running()).toBe(2);
      pool.close();
      expect(pool.running()).toBe(0);
      walk(); // a new minute; the one close() ended does not stop these workers
      vi.advanceTimersByTime(59_999);
      expect(pool.running()).toBe(2);
      vi.advanceTimersByTime(1);
      expect(pool.running()).toBe(0);
    } finally {
      pool.close();
      vi.useRealTimers();
    }
  });

  it('without workers, or on an empty log, the serial walk alone gives the verdict', () => {
    expect(t.db.transaction(() => verifyChain(createAuditRepo(t.db), { trustedKey: trusted(), workers: null, minRecords: 0 }))()).toMatchObject({ ok: true, checkedRecords: N });
    const empty = openTestDb('audit-parallel-empty-');
    const pool = createHashWorkers(2);
    try {
      expect(verifyChain(createAuditRepo(empty.db), { trustedKey: trusted(), workers: pool, minRecords: 0 })).toMatchObject({ ok: true, checkedRecords: 0, firstBad: null });
      expect(pool.running()).toBe(0);
    } finally {
      pool.close();
      empty.cleanup();
    }
  });

  it('start on the first chunk, and stop after an idle minute (manual timers)', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const pool = createHashWorkers(2);
    try {
      expect(pool.running()).toBe(0);
      expect(t.db.transaction(() => verifyChain(createAuditRepo(t.db), { trustedKey: trusted(), workers: pool, minRecords: 0 }))()).toMatchObject({ ok: true, checkedRecords: N });
      expect(pool.running()).toBe(2);
      vi.advanceTimersByTime(59_999);
      expect(pool.running()).toBe(2);
      vi.advanceTimersByTime(1);
      expect(pool.running()).toBe(0);
    } finally {
      pool.close();
      vi.useRealTimers();
    }
  });

  /**
   * Workers scripted by this test (the scheduling, not the hashing, is under test): chunk k's verdict is verdicts[k]
   * (1 confirmed, 2 not; null: the pool cannot take it), given at once or only when the walk waits for it.
   */
  function scripted(verdicts: Array<1 | 2 | null>, answer: 'at once' | 'when waited for') {
    const given = new Map<Int32Array, number>();
    let submitted = 0;
    const pool: HashWorkers = {
      size: 2,
      submit() {
        const v = verdicts[submitted++];
        if (v === null || v === undefined) return null;
        const status = new Int32Array(1);
        if (answer === 'at once') status[0] = v;
        given.set(status, v);
        return status;
      },
      wait(status) {
        status[0] = given.get(status)!;
        return status[0] === 1;
      },
      close: () => undefined,
      running: () => 0,
    };
    return { pool, submitted: () => submitted };
  }
  // [verdicts, when, chunks handed out]: chunks go out in order, two per worker (2 workers: 4) may wait unanswered;
  // after the first chunk not confirmed (or not taken) nothing more is handed out (docs/audit-log.md). The log is
  // untouched, so the serial walk from that chunk on always ends ok.
  const SCHEDULE: Array<[Array<1 | 2 | null>, 'at once' | 'when waited for', number]> = [
    [[1, 1, 1, 1], 'at once', 4],
    [[1, 1, 2, 1], 'at once', 3],
    [[2, 1, 1, 1], 'at once', 1],
    [[1, null, 1, 1], 'at once', 2],
    [[1, 1, 1, 1], 'when waited for', 4],
    [[1, 2, 1, 1], 'when waited for', 4],
  ];
  it.each(SCHEDULE)('hand out chunks by the rules: verdicts %j given %s: %i chunks handed out', (verdicts, answer, handedOut) => {
    const { pool, submitted } = scripted(verdicts, answer);
    const v = t.db.transaction(() => verifyChain(createAuditRepo(t.db), { trustedKey: trusted(), workers: pool, minRecords: 0 }))();
    expect(v).toMatchObject({ ok: true, checkedRecords: N, checkpoints: Math.floor(N / EVERY), firstBad: null });
    expect(submitted()).toBe(handedOut);
  });

  it('leave a short log to the serial walk', () => {
    const { pool, confirmed } = counted();
    try {
      expect(verifyChain(createAuditRepo(t.db), { trustedKey: trusted(), workers: pool, minRecords: N + 1 })).toMatchObject({ ok: true, checkedRecords: N });
      expect(confirmed()).toBe(0);
    } finally {
      pool.close();
    }
  });

  it('stop when the read fails midway (e.g. the database closed), and start again on the next walk', () => {
    const pool = createHashWorkers(2);
    const repo = createAuditRepo(t.db);
    let reads = 0;
    const failing = { ...repo, recordsAfter: (a: number, e: number, l: number) => (++reads === 3 ? failRead() : repo.recordsAfter(a, e, l)) };
    const failRead = (): never => {
      throw new Error('disk I/O error');
    };
    try {
      expect(() => verifyChain(failing, { trustedKey: trusted(), workers: pool, minRecords: 0 })).toThrow('disk I/O error');
      expect(pool.running()).toBe(0);
      expect(verifyChain(repo, { trustedKey: trusted(), workers: pool, minRecords: 0 })).toMatchObject({ ok: true, checkedRecords: N });
      expect(pool.running()).toBe(2);
    } finally {
      pool.close();
    }
    expect(pool.running()).toBe(0);
  });

  it("stop with the log's close(); a closed log's next verify starts them again", () => {
    const own = makeLog(t.db, { checkpointEvery: EVERY, verifyWorkers: 2, verifyParallelFrom: 0 }).log;
    own.setSigner(signer);
    expect(own.verify()).toMatchObject({ ok: true, checkedRecords: N });
    own.close();
    expect(own.verify()).toMatchObject({ ok: true, checkedRecords: N });
    own.close();
  });
});
