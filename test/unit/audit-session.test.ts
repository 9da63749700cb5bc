// The session's side of audit trust (issue 10 items 2 and 3), on a real console and store: the key check at unlock
// and the alarm in the session status, and the checkpoints at unlock and lock that keep the unsigned tail short.
import { afterEach, describe, expect, it } from 'vitest';
import type { EventName, SessionStatus } from '../../shared/contract.ts';
import { flipAuditKeyMacBit, forgeRecords } from '../integration/support/auditForgery.ts';
import { codeOf, CTX, open, openUnlocked, PASSPHRASE, removeTempDirs, tempDir, withRawDb } from './store-testkit.ts';

afterEach(removeTempDirs);

const tail = (dir: string) =>
  withRawDb(dir, (db) => ({
    last: db.prepare('SELECT seq, action, outcome FROM audit_records ORDER BY seq DESC LIMIT 1').get() as { seq: number; action: string; outcome: string },
    checkpoint: db.prepare('SELECT max(seq) FROM audit_checkpoints').pluck().get() as number | null,
  }));

/** A closed store with a few records and checkpoints, in a fresh folder. */
async function closedStore(): Promise<string> {
  const dir = tempDir('ecps-audit-session-');
  const c = await openUnlocked(dir, { auditCheckpointEvery: 3 });
  for (const label of ['a', 'b', 'c']) await c.handlers['keys:create']({ type: 'storage', label }, CTX);
  c.close();
  return dir;
}

describe('the audit key check at unlock', () => {
  it('a MAC that fails: the session opens, nothing is signed, the failure is recorded and the status carries the alarm, also once locked', async () => {
    const dir = await closedStore();
    withRawDb(dir, flipAuditKeyMacBit);
    const before = tail(dir);
    const c = await open(dir);
    const pushed: SessionStatus[] = [];
    c.onEvent((event: EventName, payload) => event === 'session:changed' && pushed.push(payload as SessionStatus));
    const status = await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    const alarm = {
      keyProblem: 'The audit key failed its check against the master key (the MAC of the stored audit public key does not match), so the audit chain cannot be trusted.',
      chainProblem: null,
    };
    expect(status).toMatchObject({ state: 'unlocked', auditAlarm: alarm });
    expect(pushed.at(-1)?.auditAlarm).toEqual(alarm);
    await c.handlers['session:lock']({}, CTX);
    expect(await c.handlers['session:status']({}, CTX)).toMatchObject({ state: 'locked', auditAlarm: alarm });
    c.close();
    const after = withRawDb(dir, (db) => ({
      actions: db.prepare('SELECT action, outcome FROM audit_records WHERE seq > ? ORDER BY seq').all(before.last.seq),
      checkpoint: db.prepare('SELECT max(seq) FROM audit_checkpoints').pluck().get(),
    }));
    expect(after.actions).toEqual([
      { action: 'audit.key_check', outcome: 'failure' },
      { action: 'session.unlock', outcome: 'success' },
      { action: 'session.lock', outcome: 'success' },
    ]);
    expect(after.checkpoint).toBe(before.checkpoint);
  });

  it('a key that passes: no alarm in the status', async () => {
    const dir = await closedStore();
    const c = await open(dir);
    const status = await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    expect(status.auditAlarm).toBeUndefined();
    c.close();
  });
});

describe('checkpoints at unlock and lock', () => {
  it('unlock signs what was appended while locked (a refused unlock) and its own record', async () => {
    const dir = await closedStore();
    const c = await open(dir);
    expect(await codeOf(() => c.handlers['session:unlock']({ operator: 'mallory', passphrase: 'not the passphrase' }, CTX))).toBe('wrong_passphrase');
    await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    c.close();
    const rows = withRawDb(dir, (db) => db.prepare("SELECT seq, action, outcome FROM audit_records WHERE action LIKE 'session.%' ORDER BY seq DESC LIMIT 3").all() as Array<{ seq: number; action: string; outcome: string }>);
    expect(rows.map((r) => `${r.action} ${r.outcome}`)).toEqual(['session.lock success', 'session.unlock success', 'session.unlock failure']);
    const signed = withRawDb(dir, (db) => db.prepare('SELECT seq FROM audit_checkpoints ORDER BY seq').pluck().all() as number[]);
    // One checkpoint right at the unlock record, one at the lock on close.
    expect(signed).toContain(rows[1]!.seq);
    expect(signed.at(-1)).toBe(rows[0]!.seq);
  });

  it('lock signs the head, the lock record included', async () => {
    const dir = tempDir('ecps-audit-session-');
    const c = await openUnlocked(dir);
    await c.handlers['keys:create']({ type: 'storage', label: 'x' }, CTX);
    await c.handlers['session:lock']({}, CTX);
    c.close();
    const { last, checkpoint } = tail(dir);
    expect(last.action).toBe('session.lock');
    expect(checkpoint).toBe(last.seq);
  });

  it('an unlock on checkpoints re-signed by another key (MAC intact) raises the chain alarm before any verify, and signs nothing', async () => {
    const dir = await closedStore();
    const before = tail(dir);
    withRawDb(dir, (db) => forgeRecords(db, { victim: { action: 'key.create' }, newActor: 'mallory' }));
    const c = await open(dir);
    const status = await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    expect(status.auditAlarm).toEqual({
      keyProblem: null,
      chainProblem: { seq: before.checkpoint, reason: `the checkpoint at record ${before.checkpoint} has an invalid signature (not signed by the trusted audit key)`, detectedAt: expect.any(String) },
    });
    expect(await codeOf(() => c.handlers['audit:export']({}, CTX))).toBe('integrity_failure');
    c.close();
    expect(tail(dir).checkpoint).toBe(before.checkpoint);
  });
});
