// The parts of audit checkpointing, one at a time, with expectations from docs/audit-log.md ("Chain and checkpoints",
// "The audit alarm", "Export format") and tables written here: when the checkpoint timer fires (quiet interval, oldest
// unsigned record), what the alarm holds and when listeners hear it, which keys may sign, what the check before a
// checkpoint says for a head it cannot confirm, and the export of a log without records.
import { createPrivateKey, createSecretKey, generateKeyPairSync, verify } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditAlarm } from '../../shared/contract.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { createAlarmState } from '../../electron/services/audit/auditAlarm.ts';
import { createAuditSigner } from '../../electron/services/audit/auditSigner.ts';
import { createCheckpointTimer, type CheckpointTimerOptions } from '../../electron/services/audit/checkpointTimer.ts';
import { tailProblem } from '../../electron/services/audit/tailCheck.ts';
import { verifyExport } from '../../electron/services/audit/verifyExport.ts';
import { createAuditRepo } from '../../electron/store/auditRepo.ts';
import { entry, makeLog, newSigner, openTestDb } from './audit-testdb.ts';
import { manualTimers } from './provider-testkit.ts';

function codeAndMessage(fn: () => unknown): { code: unknown; message: string } {
  try {
    fn();
  } catch (e) {
    return { code: (e as { code?: unknown }).code, message: (e as Error).message };
  }
  throw new Error('expected a throw');
}

describe('checkpoint timer (docs: due a quiet interval after the last record, at the latest maxUnsignedAgeMs after the first unsigned one)', () => {
  /** A timer on manual time: the delays it asked for, and the times it asked for a checkpoint. */
  function timer(o: Partial<Pick<CheckpointTimerOptions, 'quietMs' | 'maxAgeMs'>> & { ready?: () => boolean } = {}) {
    const timers = manualTimers();
    const delays: number[] = [];
    const checkpoints: number[] = [];
    const start = timers.clock.now();
    const t = createCheckpointTimer({
      clock: timers.clock,
      timers: { setTimeout: (fn, ms) => (delays.push(ms), timers.setTimeout(fn, ms)) },
      quietMs: o.quietMs ?? 1000,
      maxAgeMs: o.maxAgeMs ?? 5000,
      ready: o.ready ?? (() => true),
      checkpoint: () => void checkpoints.push(timers.clock.now() - start),
    });
    const at = async (ms: number) => timers.advance(start + ms - timers.clock.now());
    return { t, timers, delays, checkpoints, at };
  }

  it('refuses intervals that are not integers of at least 0 (quiet) or 1 (age)', () => {
    const timers = manualTimers();
    const make = (quietMs: number, maxAgeMs: number) => () =>
      createCheckpointTimer({ clock: timers.clock, timers, quietMs, maxAgeMs, ready: () => true, checkpoint: () => undefined });
    for (const q of [-1, 0.5, Number.NaN]) {
      expect(codeAndMessage(make(q, 10))).toEqual({ code: 'invalid_input', message: 'quietCheckpointMs must be an integer of at least 0' });
    }
    for (const a of [0, -5, 2.5]) {
      expect(codeAndMessage(make(10, a))).toEqual({ code: 'invalid_input', message: 'maxUnsignedAgeMs must be an integer of at least 1' });
    }
    expect(make(0, 1)).not.toThrow();
  });

  it('waits the quiet interval after the last record, re-arming once for records that came meanwhile', async () => {
    const { t, timers, delays, checkpoints, at } = timer();
    expect(t.pending()).toBe(false);
    t.appended();
    expect(t.pending()).toBe(true);
    expect(delays).toEqual([1000]);
    await at(400);
    t.appended(); // one timer at a time: the running one is not replaced
    expect(timers.pending()).toBe(1);
    await at(1000);
    // Due at 400 + 1000: the timer that fired at 1000 asks again for the rest.
    expect(checkpoints).toEqual([]);
    expect(delays).toEqual([1000, 400]);
    expect(t.pending()).toBe(true);
    await at(1400);
    expect(checkpoints).toEqual([1400]);
    expect(t.pending()).toBe(false);
    expect(timers.pending()).toBe(0);
  });

  it('is due at the latest maxUnsignedAgeMs after the first unsigned record, however busy the log stays', async () => {
    const { t, checkpoints, at } = timer({ quietMs: 1000, maxAgeMs: 2500 });
    for (let ms = 0; ms <= 2400; ms += 600) {
      await at(ms);
      t.appended();
    }
    await at(2499);
    expect(checkpoints).toEqual([]);
    await at(2500);
    expect(checkpoints).toEqual([2500]);
  });

  it('asks for at least 1 ms even when the age limit is 1 ms', async () => {
    const { t, delays, checkpoints, at } = timer({ quietMs: 1000, maxAgeMs: 1 });
    t.appended();
    expect(delays).toEqual([1]);
    await at(1);
    expect(checkpoints).toEqual([1]);
  });

  it('does nothing when switched off (quiet interval 0)', async () => {
    const { t, timers, checkpoints, at } = timer({ quietMs: 0 });
    t.appended();
    expect(t.pending()).toBe(false);
    expect(timers.pending()).toBe(0);
    await at(10_000);
    expect(checkpoints).toEqual([]);
  });

  it('skips the checkpoint when something else signed first, or when no checkpoint can be written now', async () => {
    const signedFirst = timer();
    signedFirst.t.appended();
    signedFirst.t.signed();
    await signedFirst.at(5000);
    expect(signedFirst.checkpoints).toEqual([]);
    expect(signedFirst.timers.pending()).toBe(0);

    let ready = false;
    const busy = timer({ ready: () => ready });
    busy.t.appended();
    await busy.at(1000);
    expect(busy.checkpoints).toEqual([]);
    expect(busy.t.pending()).toBe(false);
    // The next record arms it again, and the age still counts from the first unsigned record.
    ready = true;
    await busy.at(4500);
    busy.t.appended();
    expect(busy.delays).toEqual([1000, 500]);
    await busy.at(5000);
    expect(busy.checkpoints).toEqual([5000]);
  });

  it('stop cancels the timer and forgets the unsigned records', async () => {
    const { t, timers, checkpoints, at, delays } = timer();
    t.appended();
    t.stop();
    expect(t.pending()).toBe(false);
    expect(timers.pending()).toBe(0);
    await at(6000);
    expect(checkpoints).toEqual([]);
    t.appended();
    expect(delays).toEqual([1000, 1000]);
    t.stop();
    t.stop();
    expect(timers.pending()).toBe(0);
  });
});

describe('the audit alarm state (docs: key problem until an unlock whose key passes; chain problem until a full verification passes)', () => {
  const T1 = '2026-01-01T00:00:01.000Z';
  const T2 = '2026-01-01T00:00:02.000Z';

  it('holds the key problem, telling listeners only of changes', () => {
    const a = createAlarmState();
    const heard: Array<AuditAlarm | null> = [];
    a.onChange((x) => heard.push(x));
    expect(a.current()).toBeNull();
    a.setKeyProblem('the key failed');
    a.setKeyProblem('the key failed');
    expect(a.current()).toEqual({ keyProblem: 'the key failed', chainProblem: null });
    a.setKeyProblem(null);
    a.setKeyProblem(null);
    expect(a.current()).toBeNull();
    expect(heard).toEqual([{ keyProblem: 'the key failed', chainProblem: null }, null]);
  });

  it('says whether a chain problem was newly raised, keeps the first detection time for the same problem and follows a new one', () => {
    const a = createAlarmState();
    const heard: Array<AuditAlarm | null> = [];
    a.onChange((x) => heard.push(x));
    a.clearChain(); // nothing standing: nobody is told
    expect(a.raiseChain(5, 'record 5 was modified', T1)).toBe(true);
    expect(a.raiseChain(5, 'record 5 was modified', T2)).toBe(false);
    const first = { keyProblem: null, chainProblem: { seq: 5, reason: 'record 5 was modified', detectedAt: T1 } };
    expect(a.current()).toEqual(first);
    expect(a.raiseChain(7, 'record 5 was modified', T2)).toBe(false);
    const moved = { keyProblem: null, chainProblem: { seq: 7, reason: 'record 5 was modified', detectedAt: T2 } };
    expect(a.current()).toEqual(moved);
    expect(a.raiseChain(7, 'record 7 is missing (deleted)', T2)).toBe(false);
    const reworded = { keyProblem: null, chainProblem: { seq: 7, reason: 'record 7 is missing (deleted)', detectedAt: T2 } };
    a.setKeyProblem('k');
    a.clearChain();
    a.clearChain();
    expect(heard).toEqual([first, moved, reworded, { ...reworded, keyProblem: 'k' }, { keyProblem: 'k', chainProblem: null }]);
    a.setKeyProblem(null);
    expect(a.raiseChain(7, 'record 7 is missing (deleted)', T1)).toBe(true);
  });

  it('a failing listener is logged and the others still hear; an unsubscribed one hears nothing', () => {
    const logger = createMemoryLogger();
    const a = createAlarmState(logger);
    const heard: string[] = [];
    a.onChange(() => {
      throw new Error('window gone');
    });
    a.onChange(() => {
      throw 'no window';
    });
    const off = a.onChange((x) => heard.push(x?.keyProblem ?? 'none'));
    a.setKeyProblem('k');
    off();
    a.setKeyProblem(null);
    expect(heard).toEqual(['k']);
    expect(logger.entries).toStrictEqual([
      { level: 'warn', message: 'audit alarm listener failed', fields: { error: { name: 'Error', message: 'window gone' } } },
      { level: 'warn', message: 'audit alarm listener failed', fields: { error: 'no window' } },
      { level: 'warn', message: 'audit alarm listener failed', fields: { error: { name: 'Error', message: 'window gone' } } },
      { level: 'warn', message: 'audit alarm listener failed', fields: { error: 'no window' } },
    ]);
    // Without a logger a failing listener is still contained.
    const quiet = createAlarmState();
    quiet.onChange(() => {
      throw new Error('x');
    });
    expect(() => quiet.raiseChain(1, 'r', T1)).not.toThrow();
  });
});

describe('the audit signer (docs: checkpoints are signed with the console audit key, Ed25519)', () => {
  it('signs with an Ed25519 private key and gives its public half as DER SPKI', () => {
    const pair = generateKeyPairSync('ed25519');
    const s = createAuditSigner(pair.privateKey);
    expect(s.publicKeySpki).toEqual(pair.publicKey.export({ format: 'der', type: 'spki' }));
    const message = Buffer.from('{"type":"checkpoint","seq":1}');
    expect(verify(null, message, pair.publicKey, s.sign(message))).toBe(true);
  });

  it('refuses any other key: a public key, another algorithm, a secret key', () => {
    const refused = { code: 'invalid_input', message: 'The audit key must be an Ed25519 private key' };
    const keys = [
      generateKeyPairSync('ed25519').publicKey,
      generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey,
      generateKeyPairSync('x25519').privateKey,
      createPrivateKey(generateKeyPairSync('ed448').privateKey.export({ format: 'pem', type: 'pkcs8' })),
      createSecretKey(Buffer.alloc(32, 1)),
    ];
    for (const k of keys) expect(codeAndMessage(() => createAuditSigner(k))).toEqual(refused);
  });
});

describe('the check before a checkpoint', () => {
  let t: ReturnType<typeof openTestDb>;
  beforeEach(() => {
    t = openTestDb('audit-rules-');
  });
  afterEach(() => t.cleanup());

  /** Seven records signed by a trusted key, the last checkpoint at 5 (every 5). */
  function seven() {
    const { log } = makeLog(t.db, { checkpointEvery: 5, quietCheckpointMs: 0 });
    const signer = newSigner();
    log.setSigner(signer);
    for (let i = 0; i < 7; i++) log.append(entry(i));
    const repo = createAuditRepo(t.db);
    return { log, signer, repo };
  }

  it('finds nothing to refuse in an empty log or an untouched tail', () => {
    const { signer, repo } = seven();
    expect(tailProblem(repo, null, null, signer.publicKeySpki)).toBeNull();
    expect(tailProblem(repo, repo.head(), repo.lastCheckpoint(), signer.publicKeySpki)).toBeNull();
  });

  it('refuses a head it cannot reach with the walk, or whose hash the walk does not find', () => {
    const { signer, repo } = seven();
    const head = repo.head()!;
    expect(head.seq).toBe(7);
    const moved = 'the chain head moved during the check';
    expect(tailProblem(repo, { seq: 9, hash: head.hash }, repo.lastCheckpoint(), signer.publicKeySpki)).toEqual({ seq: 8, reason: moved });
    expect(tailProblem(repo, { seq: 7, hash: '0'.repeat(64) }, repo.lastCheckpoint(), signer.publicKeySpki)).toEqual({ seq: 8, reason: moved });
  });

  it('a rewritten head record that the last checkpoint signed: it no longer matches its checkpoint', () => {
    const { log } = seven();
    log.checkpoint();
    expect(t.db.prepare('SELECT seq FROM audit_checkpoints').pluck().all()).toEqual([5, 7]);
    t.db.prepare("UPDATE audit_records SET hash = ? WHERE seq = 7").run('f'.repeat(64));
    log.checkpoint();
    expect(log.alarm()?.chainProblem).toMatchObject({ seq: 7, reason: 'record 7 no longer matches the checkpoint that signed it (records up to 7 were changed)' });
  });

  it('every record deleted under a checkpoint: the checkpoint refers to removed records, nothing is signed', () => {
    const { log } = seven();
    t.db.prepare('DELETE FROM audit_records').run();
    expect(() => log.checkpoint()).not.toThrow();
    expect(log.alarm()?.chainProblem).toMatchObject({ seq: 1, reason: 'the checkpoint at record 5 refers to records that were removed (the log ends at record 0)' });
    expect(t.db.prepare('SELECT seq FROM audit_checkpoints').pluck().all()).toEqual([5]);
  });
});

describe('the export of a log without records (docs: header, N record lines, M checkpoints, seal)', () => {
  let t: ReturnType<typeof openTestDb>;
  beforeEach(() => {
    t = openTestDb('audit-rules-');
  });
  afterEach(() => t.cleanup());

  it('is the header and the seal, and verifies', () => {
    const { log } = makeLog(t.db, { quietCheckpointMs: 0 });
    const signer = newSigner();
    log.setSigner(signer);
    const out = log.exportJsonl();
    expect(out.records).toBe(0);
    const lines = out.content.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(JSON.parse(lines[0]!)).toMatchObject({ format: 'ecps-uv-audit-export', records: 0, checkpoints: 0 });
    expect(JSON.parse(lines[1]!)).toMatchObject({ type: 'seal' });
    expect(verifyExport(out.content, signer.publicKeySpki)).toMatchObject({ ok: true, checkedRecords: 0, checkpoints: 0 });
  });
});
