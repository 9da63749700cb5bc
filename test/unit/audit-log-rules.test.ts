// The audit log's own rules (electron/services/audit/createAuditLog.ts), with expectations from docs/audit-log.md
// ("Chain and checkpoints", "Export format") and tables written here: which options and batches it refuses and with
// what, what appendMany returns and tells listeners, when the timed checkpoint may run, what a refused checkpoint logs
// and records (also inside a batch and before an export), and the alarm an export raises and clears.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AuditRecord } from '../../shared/contract.ts';
import type { AuditEntry } from '../../electron/services/audit/index.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { createAuditLog } from '../../electron/services/audit/createAuditLog.ts';
import { entry, makeLog, newSigner, openTestDb } from './audit-testdb.ts';
import { manualTimers } from './provider-testkit.ts';

let t: ReturnType<typeof openTestDb>;
beforeEach(() => {
  t = openTestDb('audit-log-rules-');
});
afterEach(() => {
  vi.useRealTimers();
  t.cleanup();
});

const checkpointSeqs = () => t.db.prepare('SELECT seq FROM audit_checkpoints ORDER BY seq').pluck().all();
const actions = () => t.db.prepare('SELECT seq, action, outcome FROM audit_records ORDER BY seq').all();

function thrown(fn: () => unknown): { code: unknown; message: string } {
  try {
    fn();
  } catch (e) {
    return { code: (e as { code?: unknown }).code, message: (e as Error).message };
  }
  throw new Error('expected a throw');
}

describe('options and arguments', () => {
  it('checkpointEvery must be an integer of at least 1', () => {
    for (const every of [0, -1, 1.5, Number.NaN]) {
      expect(thrown(() => makeLog(t.db, { checkpointEvery: every }))).toEqual({ code: 'invalid_input', message: 'checkpointEvery must be a positive integer' });
    }
    const { log } = makeLog(t.db, { checkpointEvery: 1, quietCheckpointMs: 0 });
    log.setSigner(newSigner());
    log.append(entry(0));
    log.append(entry(1));
    expect(checkpointSeqs()).toEqual([1, 2]);
  });

  it('appendMany takes an array only', () => {
    const { log } = makeLog(t.db);
    for (const bad of ['abc', { length: 1, 0: entry(0) }, null]) {
      expect(thrown(() => log.appendMany(bad as unknown as AuditEntry[]))).toEqual({ code: 'invalid_input', message: 'appendMany expects an array of entries' });
    }
    expect(actions()).toEqual([]);
  });

  it('verify while locked: locked, with the reason', () => {
    const { log } = makeLog(t.db);
    expect(thrown(() => log.verify())).toEqual({
      code: 'locked',
      message: 'Unlock the console to verify or export the audit log: only the audit key authenticated by the master key is trusted.',
    });
  });
});

describe('appendMany (docs: writes exactly the rows the same append calls would)', () => {
  it('an empty batch writes nothing, returns null, tells no listener and arms no timer', () => {
    const timers = manualTimers();
    const { log } = makeLog(t.db, { clock: timers.clock, timers, quietCheckpointMs: 1000 });
    log.setSigner(newSigner());
    const heard: AuditRecord[] = [];
    log.onAppend((r) => heard.push(r));
    expect(log.appendMany([])).toBeNull();
    expect(heard).toEqual([]);
    expect(timers.pending()).toBe(0);
  });

  it('returns the last record with its details, tells listeners once and arms the quiet checkpoint', async () => {
    const timers = manualTimers();
    const { log } = makeLog(t.db, { clock: timers.clock, timers, quietCheckpointMs: 1000 });
    log.setSigner(newSigner());
    const heard: number[] = [];
    log.onAppend((r) => heard.push(r.seq));
    const last = log.appendMany([
      { actor: 'alice', action: 'key.create', targetType: 'key', targetId: null, outcome: 'success', details: { version: 1 } },
      { actor: 'bob', action: 'key.rotate', targetType: 'key', targetId: null, outcome: 'failure', details: { code: 'timeout', attempt: 2 } },
    ]);
    expect(last).toMatchObject({ seq: 2, actor: 'bob', action: 'key.rotate', outcome: 'failure', details: { code: 'timeout', attempt: 2 } });
    expect(heard).toEqual([2]);
    expect(timers.pending()).toBe(1);
    await timers.advance(1000);
    expect(checkpointSeqs()).toEqual([2]);
  });
});

describe('listeners', () => {
  it('a failing listener is logged as "audit listener failed" with its error; the record stays', () => {
    const logger = createMemoryLogger();
    const { log } = makeLog(t.db, { logger });
    log.onAppend(() => {
      throw new Error('listener broke');
    });
    log.append(entry(0));
    expect(logger.entries).toContainEqual(expect.objectContaining({ level: 'warn', message: 'audit listener failed', fields: { error: expect.objectContaining({ message: 'listener broke' }) } }));
    expect(actions()).toHaveLength(1);
  });
});

describe('the timed checkpoint (docs: only while unlocked; never inside a caller transaction or on a closed database)', () => {
  function quietLog(logger = createMemoryLogger()) {
    const timers = manualTimers();
    const { log } = makeLog(t.db, { clock: timers.clock, timers, quietCheckpointMs: 1000, checkpointEvery: 1000, logger });
    return { log, timers, logger };
  }

  it('does not run on a closed database', async () => {
    const { log, timers, logger } = quietLog();
    log.setSigner(newSigner());
    log.append(entry(0));
    t.db.close();
    await timers.advance(1000);
    expect(logger.entries.filter((e) => e.level === 'error')).toEqual([]);
  });

  it('does not run inside a transaction of the caller, and runs at the next due time after it', async () => {
    const { log, timers } = quietLog();
    log.setSigner(newSigner());
    log.append(entry(0));
    t.db.exec('BEGIN');
    await timers.advance(1000);
    t.db.exec('ROLLBACK');
    expect(checkpointSeqs()).toEqual([]);
    log.append(entry(1));
    await timers.advance(1000);
    expect(checkpointSeqs()).toEqual([2]);
  });

  it('a failing timed checkpoint is logged as "timed audit checkpoint failed" with its error', async () => {
    const { log, timers, logger } = quietLog();
    const signer = newSigner();
    log.setSigner({ publicKeySpki: signer.publicKeySpki, sign: () => { throw new Error('token removed'); } });
    log.append(entry(0));
    await timers.advance(1000);
    expect(logger.entries).toContainEqual(expect.objectContaining({ level: 'error', message: 'timed audit checkpoint failed', fields: { error: expect.objectContaining({ message: 'token removed' }) } }));
    expect(checkpointSeqs()).toEqual([]);
  });

  it('a failing timed checkpoint without a logger is dropped quietly: nothing signed, nothing thrown', async () => {
    const timers = manualTimers();
    const { log } = makeLog(t.db, { clock: timers.clock, timers, quietCheckpointMs: 1000, checkpointEvery: 1000 });
    const signer = newSigner();
    log.setSigner({ publicKeySpki: signer.publicKeySpki, sign: () => { throw new Error('token removed'); } });
    log.append(entry(0));
    await expect(timers.advance(1000)).resolves.toBeUndefined();
    expect(checkpointSeqs()).toEqual([]);
  });

  it('re-setting a trusted key keeps the quiet checkpoint due; an untrusted key cancels it', async () => {
    const { log, timers } = quietLog();
    log.setSigner(newSigner());
    log.append(entry(0));
    log.setSigner(newSigner());
    expect(timers.pending()).toBe(1);
    log.setKey({ state: 'untrusted', reason: 'the MAC of the stored audit public key does not match' });
    expect(timers.pending()).toBe(0);
  });

  it("on Node's timers (no timers given): the pending timer is cancelled at lock", () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const log = createAuditLog(t.db, { clock: { now: () => Date.now() }, quietCheckpointMs: 1000 });
    log.setSigner(newSigner());
    log.append(entry(0));
    expect(vi.getTimerCount()).toBe(1);
    log.setSigner(null);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('a refused checkpoint (docs: nothing signed, alarm raised, error logged, one audit.checkpoint failure record)', () => {
  const MODIFIED_3 = 'record 3 was modified (its content no longer matches its hash, or record 2 was rewritten)';

  it('at the every-N rule inside append: logged, and recorded after the tail', () => {
    const logger = createMemoryLogger();
    const { log } = makeLog(t.db, { checkpointEvery: 5, quietCheckpointMs: 0, logger });
    log.setSigner(newSigner());
    for (let i = 0; i < 4; i++) log.append(entry(i));
    t.db.prepare("UPDATE audit_records SET actor = 'mallory' WHERE seq = 3").run();
    log.append(entry(4));
    expect(checkpointSeqs()).toEqual([]);
    expect(logger.entries).toContainEqual({
      level: 'error', message: 'audit checkpoint refused: the records since the last checkpoint failed verification', fields: { seq: 3, reason: MODIFIED_3 },
    });
    const refusal = t.db.prepare('SELECT actor, action, outcome, details FROM audit_records WHERE seq = 6').get() as Record<string, string>;
    expect({ ...refusal, details: JSON.parse(refusal.details!) }).toEqual({
      actor: 'system', action: 'audit.checkpoint', outcome: 'failure', details: { code: 'integrity_failure', seq: 3, reason: MODIFIED_3 },
    });
  });

  it('inside appendMany: the batch is kept, nothing signed, the refusal recorded after it', () => {
    const { log } = makeLog(t.db, { checkpointEvery: 5, quietCheckpointMs: 0 });
    log.setSigner(newSigner());
    for (let i = 0; i < 3; i++) log.append(entry(i));
    t.db.prepare("UPDATE audit_records SET actor = 'mallory' WHERE seq = 3").run();
    expect(log.appendMany([entry(3), entry(4), entry(5)])).toMatchObject({ seq: 6 });
    expect(checkpointSeqs()).toEqual([]);
    expect(actions()).toHaveLength(7);
    expect(actions()[6]).toEqual({ seq: 7, action: 'audit.checkpoint', outcome: 'failure' });
    expect(log.alarm()?.chainProblem).toMatchObject({ seq: 3, reason: MODIFIED_3 });
  });

  it('before an export: integrity_failure "so it was not signed", nothing exported or signed', () => {
    const { log } = makeLog(t.db, { checkpointEvery: 100, quietCheckpointMs: 0 });
    log.setSigner(newSigner());
    for (let i = 0; i < 4; i++) log.append(entry(i));
    t.db.prepare("UPDATE audit_records SET actor = 'mallory' WHERE seq = 3").run();
    expect(thrown(() => log.exportJsonl())).toEqual({ code: 'integrity_failure', message: `The audit log failed verification, so it was not signed: ${MODIFIED_3}.` });
    expect(checkpointSeqs()).toEqual([]);
  });
});

describe('an export of a log damaged under its last checkpoint (docs: not exported, integrity_failure, the alarm is raised)', () => {
  it('raises the alarm at the damaged record; an export after the repair clears it', () => {
    const { log } = makeLog(t.db, { checkpointEvery: 5, quietCheckpointMs: 0 });
    log.setSigner(newSigner());
    for (let i = 0; i < 7; i++) log.append(entry(i));
    const original = t.db.prepare('SELECT actor FROM audit_records WHERE seq = 2').pluck().get();
    t.db.prepare("UPDATE audit_records SET actor = 'mallory' WHERE seq = 2").run();
    const modified2 = 'record 2 was modified (its content no longer matches its hash, or record 1 was rewritten)';
    expect(thrown(() => log.exportJsonl())).toEqual({ code: 'integrity_failure', message: `The audit log failed verification, so it was not exported: ${modified2}.` });
    expect(log.alarm()?.chainProblem).toMatchObject({ seq: 2, reason: modified2 });
    t.db.prepare('UPDATE audit_records SET actor = ? WHERE seq = 2').run(original);
    expect(log.exportJsonl().records).toBe(7);
    expect(log.alarm()).toBeNull();
  });
});
