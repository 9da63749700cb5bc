// Issue 10 item 3: the console never signs over records it could have caught as forged. Before a checkpoint is signed
// the latest checkpoint must verify under the trusted key and still match its record, and the records since it must
// verify; otherwise nothing is signed, the alarm is raised and the refusal is recorded after the tail. Checkpoints
// also follow a quiet interval after the last record, on an injected clock and timers (no sleeping).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { createMemoryLogger } from '../../electron/logger.ts';
import { forgeRecords } from '../integration/support/auditForgery.ts';
import { entry, makeLog, newSigner, openTestDb } from './audit-testdb.ts';
import { manualTimers } from './provider-testkit.ts';

let t: ReturnType<typeof openTestDb>;
beforeEach(() => {
  t = openTestDb('audit-checkpoint-');
});
afterEach(() => t.cleanup());

const checkpointSeqs = () => t.db.prepare('SELECT seq FROM audit_checkpoints ORDER BY seq').pluck().all() as number[];
const recordAt = (seq: number) => t.db.prepare('SELECT actor, action, outcome, details FROM audit_records WHERE seq = ?').get(seq) as
  { actor: string; action: string; outcome: string; details: string } | undefined;
const headSeq = () => t.db.prepare('SELECT max(seq) FROM audit_records').pluck().get() as number;

/** 15 records by a trusted signer, one checkpoint at 10 (every 10); records 11..15 are the unsigned tail. */
function fifteen() {
  const logger = createMemoryLogger();
  const { log, clock } = makeLog(t.db, { checkpointEvery: 10, logger, quietCheckpointMs: 0 });
  const signer = newSigner();
  log.setSigner(signer);
  for (let i = 0; i < 15; i++) {
    log.append(entry(i));
    clock.advance(1000);
  }
  expect(checkpointSeqs()).toEqual([10]);
  return { log, clock, logger, signer };
}

// What can be done to the stored chain, and what the check before the next checkpoint must say (docs/audit-log.md).
const TAMPERING: ReadonlyArray<{ name: string; tamper: () => void; seq: number; reason: string }> = [
  {
    name: 'a record of the tail edited in place',
    tamper: () => void t.db.prepare("UPDATE audit_records SET actor = 'mallory' WHERE seq = 13").run(),
    seq: 13,
    reason: 'record 13 was modified (its content no longer matches its hash, or record 12 was rewritten)',
  },
  {
    name: 'a record of the tail deleted',
    tamper: () => void t.db.prepare('DELETE FROM audit_records WHERE seq = 12').run(),
    seq: 12,
    reason: 'record 12 is missing (deleted)',
  },
  {
    name: 'a signed record rewritten with recomputed hashes and every checkpoint re-signed by another key',
    tamper: () => void forgeRecords(t.db, { victim: 5, newActor: 'mallory' }),
    seq: 10,
    reason: 'the checkpoint at record 10 has an invalid signature (not signed by the trusted audit key)',
  },
  {
    name: 'a signed record rewritten with recomputed hashes, the checkpoint left as it was',
    tamper: () => void forgeRecords(t.db, { victim: 5, newActor: 'mallory', resignCheckpoints: false }),
    seq: 10,
    reason: 'record 10 no longer matches the checkpoint that signed it (records up to 10 were changed)',
  },
  {
    name: 'the log truncated before the latest checkpoint',
    tamper: () => void t.db.prepare('DELETE FROM audit_records WHERE seq > 8').run(),
    seq: 9,
    reason: 'the checkpoint at record 10 refers to records that were removed (the log ends at record 8)',
  },
];

describe('the check before a checkpoint', () => {
  it('signs an untouched tail (the control)', () => {
    const { log } = fifteen();
    log.checkpoint();
    expect(checkpointSeqs()).toEqual([10, 15]);
    expect(log.alarm()).toBeNull();
  });

  it.each(TAMPERING)('refuses to sign after $name, raises the alarm and records the refusal after the tail', ({ tamper, seq, reason }) => {
    const { log, clock, logger } = fifteen();
    const alarms: unknown[] = [];
    log.onAlarmChange((a) => alarms.push(a));
    tamper();
    const before = headSeq();
    const checkpointsBefore = checkpointSeqs();
    clock.advance(500);
    log.checkpoint();

    expect(checkpointSeqs()).toEqual(checkpointsBefore);
    const alarm = { keyProblem: null, chainProblem: { seq, reason, detectedAt: new Date(clock.now()).toISOString() } };
    expect(log.alarm()).toEqual(alarm);
    expect(alarms).toEqual([alarm]);
    expect(logger.entries.filter((e) => e.level === 'error').map((e) => e.fields)).toEqual([{ seq, reason }]);
    // The refusal is the next record: chained after the tail like any other, and itself never signed.
    expect(headSeq()).toBe(before + 1);
    expect(recordAt(before + 1)).toEqual({
      actor: 'system', action: 'audit.checkpoint', outcome: 'failure', details: JSON.stringify({ code: 'integrity_failure', reason, seq }),
    });
  });

  it('keeps refusing while the tampering stands, automatic checkpoints included, and records the refusal once', () => {
    const { log } = fifteen();
    t.db.prepare("UPDATE audit_records SET actor = 'mallory' WHERE seq = 13").run();
    log.checkpoint();
    for (let i = 15; i < 40; i++) log.append(entry(i));
    log.checkpoint();
    expect(checkpointSeqs()).toEqual([10]);
    expect(t.db.prepare("SELECT count(*) FROM audit_records WHERE action = 'audit.checkpoint'").pluck().get()).toBe(1);
    expect(log.verify().firstBad?.seq).toBe(13);
  });

  it('refuses to export a tampered tail with integrity_failure and raises the alarm', () => {
    const { log } = fifteen();
    t.db.prepare("UPDATE audit_records SET actor = 'mallory' WHERE seq = 14").run();
    expect(() => log.exportJsonl()).toThrow(expect.objectContaining({ code: 'integrity_failure' }));
    expect(log.alarm()?.chainProblem?.seq).toBe(14);
    expect(checkpointSeqs()).toEqual([10]);
  });
});

describe('the quiet-interval checkpoint', () => {
  function quietLog(quietCheckpointMs?: number) {
    const timers = manualTimers();
    const { log } = makeLog(t.db, { checkpointEvery: 1000, clock: timers.clock, timers, ...(quietCheckpointMs === undefined ? {} : { quietCheckpointMs }) });
    return { log, timers };
  }

  it('signs the head 60 s (the default) after the last record, each record restarting the wait', async () => {
    const { log, timers } = quietLog();
    log.setSigner(newSigner());
    log.append(entry(0));
    log.append(entry(1));
    await timers.advance(59_999);
    expect(checkpointSeqs()).toEqual([]);
    log.append(entry(2));
    await timers.advance(30_000);
    expect(checkpointSeqs()).toEqual([]);
    await timers.advance(30_000);
    expect(checkpointSeqs()).toEqual([3]);
    expect(timers.pending()).toBe(0);
    expect(log.verify()).toMatchObject({ ok: true, checkpoints: 1, lastCheckpointSeq: 3 });
  });

  it('signs at the latest 5 min (the default) after the first unsigned record, however busy the log stays', async () => {
    const { log, timers } = quietLog();
    log.setSigner(newSigner());
    // A record every 30 s never leaves the log quiet for 60 s.
    for (let i = 0; i < 10; i++) {
      log.append(entry(i));
      await timers.advance(30_000);
    }
    expect(checkpointSeqs()).toEqual([10]);
    for (let i = 10; i < 19; i++) {
      log.append(entry(i));
      await timers.advance(30_000);
    }
    expect(checkpointSeqs()).toEqual([10]);
    log.append(entry(19));
    await timers.advance(30_000);
    expect(checkpointSeqs()).toEqual([10, 20]);
  });

  it('follows a configured interval', async () => {
    const { log, timers } = quietLog(5_000);
    log.setSigner(newSigner());
    log.append(entry(0));
    await timers.advance(4_999);
    expect(checkpointSeqs()).toEqual([]);
    await timers.advance(1);
    expect(checkpointSeqs()).toEqual([1]);
  });

  it('waits for nothing while locked, after lock, or when switched off (0)', async () => {
    const locked = quietLog();
    locked.log.append(entry(0));
    expect(locked.timers.pending()).toBe(0);
    locked.log.setSigner(newSigner());
    locked.log.append(entry(1));
    expect(locked.timers.pending()).toBe(1);
    locked.log.setSigner(null);
    expect(locked.timers.pending()).toBe(0);
    const off = quietLog(0);
    off.log.setSigner(newSigner());
    off.log.append(entry(2));
    expect(off.timers.pending()).toBe(0);
  });

  it('runs the same check: a tail edited while quiet is not signed and raises the alarm', async () => {
    const { log, timers } = quietLog();
    log.setSigner(newSigner());
    for (let i = 0; i < 5; i++) log.append(entry(i));
    t.db.prepare("UPDATE audit_records SET action = 'key.view' WHERE seq = 4").run();
    await timers.advance(60_000);
    expect(checkpointSeqs()).toEqual([]);
    expect(log.alarm()?.chainProblem).toMatchObject({ seq: 4, reason: 'record 4 was modified (its content no longer matches its hash, or record 3 was rewritten)' });
  });

  it('does not keep a process alive: a script that appends and returns exits with the timer still pending', async () => {
    // With a one-hour quiet interval on Node's timers, the child would live an hour (and this test time out) if the timer held it.
    const script = `
      import { generateKeyPairSync } from 'node:crypto';
      import { openTestDb, makeLog, entry } from ${JSON.stringify(fileURLToPath(new URL('./audit-testdb.ts', import.meta.url)))};
      import { createAuditSigner } from ${JSON.stringify(fileURLToPath(new URL('../../electron/services/audit/index.ts', import.meta.url)))};
      const t = openTestDb('audit-quiet-exit-');
      const { log } = makeLog(t.db, { quietCheckpointMs: 3_600_000 });
      log.setSigner(createAuditSigner(generateKeyPairSync('ed25519').privateKey));
      log.append(entry(0));
      process.on('exit', () => t.cleanup());
      console.log('appended');`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    // If the timer did hold it, the test times out: the child must not outlive it.
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(err).toBe('');
    expect(out).toBe('appended\n');
    expect(code).toBe(0);
  });
});
