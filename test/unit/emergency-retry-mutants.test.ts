// The retry rules of an emergency run (docs/emergency-response.md, "Progress and retries"), in process so the mutation
// run reaches them (the integration test emergency-progress.slow.test.ts checks the same on 1,500 robots, outside the
// mutation configuration): a retry makes the run `running` (stored, and pushed) until it ends, then `done` or
// `failed`; a run this console is working on is not retried a second time (refused, audited, illegal_transition); once
// the retry ended it can be retried again; a run with nothing left to do is refused (audited); an unknown run is not_found.
// Three robots with one certificate each, seeded as in the batch-revocation tests; a SQLite trigger makes robot 2's
// status change fail.
import { afterAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import type { EmergencyRunChanged } from '../../shared/emergencyContract.ts';
import { isConsoleError } from '../../shared/errors.ts';
import { benchDeviceId, seedSiteWithCertificates } from '../bench/fleetSeed.ts';
import { CTX, dbFile, open, openUnlocked, PASSPHRASE, removeTempDirs, tempDir, withRawDb } from './store-testkit.ts';

afterAll(() => removeTempDirs());

const GLASS = { reason: 'no second officer in a test' };
const FAIL_ROBOT_2 = `CREATE TRIGGER test_abort BEFORE UPDATE OF status ON robots WHEN NEW.device_id = '${benchDeviceId(2)}' BEGIN SELECT RAISE(ABORT, 'injected failure'); END`;

async function reopen(dir: string): Promise<FleetConsole> {
  const c = await open(dir);
  await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
  return c;
}

/** A store with a local fleet CA and three robots (one certificate each), where quarantining robot 2 fails. */
async function failingFleet(): Promise<string> {
  const dir = tempDir('ecps-retry-');
  const c = await openUnlocked(dir);
  await c.handlers['ca:init']({ providerId: 'local', algorithm: 'EC_P256', commonName: 'Retry Test CA' }, CTX);
  c.close();
  seedSiteWithCertificates(dbFile(dir), 3, (i) => `3e${String(i).padStart(30, '0')}`);
  withRawDb(dir, (db) => db.exec(FAIL_ROBOT_2));
  return dir;
}

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string } | null> {
  try {
    await p;
    return null;
  } catch (e) {
    return isConsoleError(e) ? { code: e.code, message: e.message } : { code: 'not a console error', message: String(e) };
  }
}

const retries = (c: FleetConsole) =>
  c.audit.query({ action: 'emergency.retry', offset: 0, limit: 20 }).records.reverse().map((r) => [r.targetId, r.outcome, r.details.actions, r.details.code ?? null]);

describe('retrying an emergency run', () => {
  it('running while it works (stored and pushed), a second retry meanwhile refused and audited, then failed; retried again once it ended', async () => {
    const dir = await failingFleet();
    const c = await reopen(dir);
    try {
      const out = await c.handlers['emergency:execute']({ scope: { kind: 'fleet' }, actions: ['quarantine'], reason: 'drill', breakGlass: GLASS }, CTX);
      const runId = out.run!.runId;
      expect([out.run!.state, out.run!.steps[0]!.state]).toEqual(['failed', 'failed']);
      // What the window sees when the retry is announced: the stored state, and a second retry at that moment.
      const seen: Array<Promise<unknown>> = [];
      const pushed: Array<[string, string]> = [];
      c.onEvent((event, payload) => {
        if (event !== 'emergency:runChanged') return;
        const p = payload as EmergencyRunChanged;
        pushed.push([p.change, p.state]);
        if (p.change === 'retried' && p.state === 'running' && seen.length === 0) {
          seen.push(c.handlers['emergency:run']({ runId }, CTX).then((r) => r.state));
          seen.push(refusal(c.handlers['emergency:retry']({ runId }, CTX)));
        }
      });
      const retried = await c.handlers['emergency:retry']({ runId }, CTX);
      expect(retried.run!.state).toBe('failed');
      expect(await Promise.all(seen)).toEqual([
        'running',
        { code: 'illegal_transition', message: `Emergency run ${runId} is being worked on already; wait for it to finish.` },
      ]);
      expect(pushed[0]).toEqual(['retried', 'running']);
      expect(pushed.at(-1)).toEqual(['step', 'failed']);
      expect((await c.handlers['emergency:run']({ runId }, CTX)).state).toBe('failed');
      // The retry ended: the run is no longer being worked on, so it can be retried again.
      expect((await c.handlers['emergency:retry']({ runId }, CTX)).run!.state).toBe('failed');
      expect(retries(c)).toEqual([
        [runId, 'success', 'quarantine', null],
        [runId, 'failure', 'quarantine', 'illegal_transition'],
        [runId, 'success', 'quarantine', null],
      ]);
      // Each attempt's emergency.action record (docs/emergency-response.md): its attempt number and whether it was a retry.
      const attempts = c.audit.query({ action: 'emergency.action', offset: 0, limit: 20 }).records.reverse().map((r) => [r.details.attempt, r.details.retry]);
      expect(attempts).toEqual([[1, false], [2, true], [3, true]]);
    } finally {
      c.close();
    }
  });

  it('a retry that succeeds ends done; then there is nothing to retry (refused, audited); an unknown run is not_found', async () => {
    const dir = await failingFleet();
    let c = await reopen(dir);
    let runId: string;
    try {
      runId = (await c.handlers['emergency:execute']({ scope: { kind: 'fleet' }, actions: ['quarantine'], reason: 'drill', breakGlass: GLASS }, CTX)).run!.runId;
    } finally {
      c.close();
    }
    withRawDb(dir, (db) => db.exec('DROP TRIGGER test_abort'));
    c = await reopen(dir);
    try {
      const states: string[] = [];
      c.onEvent((event, payload) => {
        if (event === 'emergency:runChanged') states.push((payload as EmergencyRunChanged).state);
      });
      expect((await c.handlers['emergency:retry']({ runId }, CTX)).run!.state).toBe('done');
      expect([states[0], states.at(-1)]).toEqual(['running', 'done']);
      expect(await refusal(c.handlers['emergency:retry']({ runId }, CTX))).toEqual({
        code: 'illegal_transition', message: `Every action of emergency run ${runId} is done; there is nothing to retry.`,
      });
      expect(retries(c)).toEqual([[runId, 'success', 'quarantine', null], [runId, 'failure', '', 'illegal_transition']]);
      expect((await c.handlers['emergency:run']({ runId }, CTX)).state).toBe('done');
      const unknown = '00000000-0000-4000-8000-000000000000';
      expect(await refusal(c.handlers['emergency:retry']({ runId: unknown }, CTX))).toEqual({ code: 'not_found', message: `No emergency run ${unknown}.` });
    } finally {
      c.close();
    }
  });
});
