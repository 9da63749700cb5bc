// Issue 10 item 2 at the audit log: only the key the session authenticated under the master key counts. Without it
// verify and export answer locked (no session) or integrity_failure (its check failed), never a verdict from the key
// stored beside the checkpoints; and the alarm says so until the condition ends.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditAlarm } from '../../shared/contract.ts';
import { ConsoleError } from '../../shared/errors.ts';
import { entry, makeLog, newSigner, openTestDb } from './audit-testdb.ts';

let t: ReturnType<typeof openTestDb>;
beforeEach(() => {
  t = openTestDb('audit-trust-');
});
afterEach(() => t.cleanup());

function thrown(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConsoleError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a ConsoleError');
}

/** 20 records signed by a trusted key (checkpoints at 10 and 20), then the key is gone (locked). */
function signedThenLocked() {
  const { log, clock } = makeLog(t.db, { checkpointEvery: 10, quietCheckpointMs: 0 });
  const signer = newSigner();
  log.setSigner(signer);
  for (let i = 0; i < 20; i++) log.append(entry(i));
  log.setSigner(null);
  return { log, clock, signer };
}

describe('verification without the trusted key', () => {
  it('answers locked to verify and export when no session holds the key', () => {
    const { log } = signedThenLocked();
    expect(thrown(() => log.verify()).code).toBe('locked');
    expect(thrown(() => log.exportJsonl()).code).toBe('locked');
    expect(log.alarm()).toBeNull();
  });

  it('answers integrity_failure saying why when the key failed its check, even for checkpoints that verify under the stored key', () => {
    const { log } = signedThenLocked();
    log.setKey({ state: 'untrusted', reason: 'the MAC of the stored audit public key does not match' });
    const words = 'The audit key failed its check against the master key (the MAC of the stored audit public key does not match), so the audit chain cannot be trusted';
    expect(thrown(() => log.verify())).toEqual({
      code: 'integrity_failure',
      message: `${words}: no checkpoint signature can be verified. Restore console.db from a backup you trust.`,
    });
    expect(thrown(() => log.exportJsonl())).toEqual({
      code: 'integrity_failure',
      message: `${words}: no checkpoint signature can be verified, so it was not exported. Restore console.db from a backup you trust.`,
    });
    expect(log.alarm()).toEqual({ keyProblem: `${words}.`, chainProblem: null });
  });

  it('signs nothing while the key is untrusted', () => {
    const { log } = signedThenLocked();
    log.setKey({ state: 'untrusted', reason: 'x' });
    for (let i = 20; i < 35; i++) log.append(entry(i));
    log.checkpoint();
    expect(t.db.prepare('SELECT seq FROM audit_checkpoints ORDER BY seq').pluck().all()).toEqual([10, 20]);
  });
});

describe('the audit alarm', () => {
  it('stands from a failed key check until an unlock whose key passes, surviving a lock in between', () => {
    const { log, signer } = signedThenLocked();
    const heard: Array<AuditAlarm | null> = [];
    log.onAlarmChange((a) => heard.push(a));
    log.setKey({ state: 'untrusted', reason: 'r' });
    log.setKey({ state: 'locked' });
    expect(log.alarm()?.keyProblem).toContain('(r)');
    log.setSigner(signer);
    expect(log.alarm()).toBeNull();
    expect(heard.map((a) => a?.keyProblem ?? null)).toEqual([
      'The audit key failed its check against the master key (r), so the audit chain cannot be trusted.',
      null,
    ]);
  });

  it('is raised by a verify that finds the chain broken and ended only by a full verify that passes', () => {
    const { log, clock, signer } = signedThenLocked();
    log.setSigner(signer);
    const heard: Array<AuditAlarm | null> = [];
    log.onAlarmChange((a) => heard.push(a));
    const actor = t.db.prepare('SELECT actor FROM audit_records WHERE seq = 7').pluck().get() as string;
    t.db.prepare("UPDATE audit_records SET actor = 'mallory' WHERE seq = 7").run();
    clock.advance(42_000);
    expect(log.verify()).toMatchObject({ ok: false, firstBad: { seq: 7 } });
    const raised = { keyProblem: null, chainProblem: { seq: 7, reason: 'record 7 was modified (its content no longer matches its hash, or record 6 was rewritten)', detectedAt: '2026-01-01T00:00:42.000Z' } };
    expect(log.alarm()).toEqual(raised);
    // A checkpoint of a clean tail does not end it: only a verification of the whole chain does.
    log.append(entry(99));
    log.checkpoint();
    expect(log.alarm()).toEqual(raised);
    t.db.prepare('UPDATE audit_records SET actor = ? WHERE seq = 7').run(actor);
    expect(log.verify().ok).toBe(true);
    expect(log.alarm()).toBeNull();
    expect(heard).toEqual([raised, null]);
  });
});
