// Progress of fleet-wide emergency actions and of a retry, as pushed to the window (emergency:runChanged, issue 15,
// docs/emergency-response.md "Progress and retries"): quarantine and revoke_certificates go 1,000 robots or
// certificates a batch and push one `progress` event per batch, the done counts rising to the total; a retry makes the
// run `running` (stored, and pushed) until it ends, then `done` or `failed`; a run this console is working on is not
// retried a second time at once. Fleets seeded as in the batch-revocation
// tests (test/bench/fleetSeed.ts: every robot deployed with one valid certificate of a real local fleet CA).
import { afterAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import type { EmergencyRunChanged, EmergencyRunView } from '../../shared/emergencyContract.ts';
import { benchDeviceId } from '../bench/fleetSeed.ts';
import { codeOf, CTX, removeTempDirs, withRawDb } from '../unit/store-testkit.ts';
import { fleetFailingAt, fleetWithCertificates, reopen } from './batch-revocation-kit.ts';

afterAll(() => removeTempDirs());

/** Every emergency:runChanged event the console pushes from now on. */
function collect(c: FleetConsole): EmergencyRunChanged[] {
  const pushed: EmergencyRunChanged[] = [];
  c.onEvent((event, payload) => {
    if (event === 'emergency:runChanged') pushed.push(payload as EmergencyRunChanged);
  });
  return pushed;
}

const GLASS = { reason: 'no second officer in a test' };
/** [action, items done, items in all, run state] of each progress event, in order. */
const progressOf = (pushed: EmergencyRunChanged[]) =>
  pushed.filter((e) => e.change === 'progress').map((e) => [e.step?.action, e.step?.items.done, e.step?.items.total, e.state]);

describe('a fleet-wide run pushes one progress event per batch', () => {
  // 2,500 robots, each with one certificate: three batches of each action (1,000, 1,000, 500).
  const ROBOTS = 2500;
  const EXPECTED: Array<[string, number, number, string]> = [
    ['revoke_certificates', 1000, 2500, 'running'],
    ['revoke_certificates', 2000, 2500, 'running'],
    ['revoke_certificates', 2500, 2500, 'running'],
    ['quarantine', 1000, 2500, 'running'],
    ['quarantine', 2000, 2500, 'running'],
    ['quarantine', 2500, 2500, 'running'],
  ];

  it(`${ROBOTS} robots: revoke_certificates then quarantine, done counts rising to the total, each step then done`, async () => {
    const { c } = await fleetWithCertificates(ROBOTS);
    try {
      const pushed = collect(c);
      const running = c.handlers['emergency:execute']({ scope: { kind: 'fleet' }, actions: ['quarantine', 'revoke_certificates'], reason: 'fleet drill', breakGlass: GLASS }, CTX);
      // The run is stored at once; while this console works on it, a retry of it is refused (and audited).
      const [runId] = (await c.handlers['emergency:runs']({ limit: 1 }, CTX)).runs.map((r) => r.runId);
      expect(await codeOf(() => c.handlers['emergency:retry']({ runId: runId! }, CTX))).toBe('illegal_transition');
      expect(c.audit.query({ action: 'emergency.retry', offset: 0, limit: 10 }).records.map((r) => [r.targetId, r.outcome, r.details.code])).toEqual([[runId, 'failure', 'illegal_transition']]);
      const out = await running;
      expect(out.run!.runId).toBe(runId);
      expect(out.run!.steps.map((s) => [s.action, s.state])).toEqual([['revoke_certificates', 'done'], ['quarantine', 'done']]);
      expect(progressOf(pushed)).toEqual(EXPECTED);
      // Every count of each event: what is not done yet is still pending (the total less EXPECTED's done), none failed.
      expect(pushed.filter((e) => e.change === 'progress').map((e) => e.step?.items)).toEqual(
        EXPECTED.map(([, done, total]) => ({ total, done, pending: total - done, failed: 0, skipped: 0 })),
      );
      // Each action's outcome pushed with its final counts: all 2,500 done.
      expect(pushed.filter((e) => e.change === 'step' && e.step?.state === 'done').map((e) => [e.step?.action, e.step?.items])).toEqual(
        ['revoke_certificates', 'quarantine'].map((action) => [action, { total: ROBOTS, done: ROBOTS, pending: 0, failed: 0, skipped: 0 }]),
      );
      // Each action's progress comes after it started and before its outcome.
      const order = pushed.map((e) => `${e.change}:${e.step?.action ?? ''}:${e.step?.state ?? ''}`);
      expect(order).toEqual([
        'started:revoke_certificates:running', 'progress:revoke_certificates:running', 'progress:revoke_certificates:running', 'progress:revoke_certificates:running',
        'step:revoke_certificates:done',
        'step:quarantine:running', 'progress:quarantine:running', 'progress:quarantine:running', 'progress:quarantine:running',
        'step:quarantine:done',
      ]);
    } finally {
      c.close();
    }
  });
});

describe('a retry makes the run running until it ends', () => {
  it('stored and pushed running while the retry works, then done; progress of the retried batch alone', async () => {
    // 1,500 robots; the database refuses to change robot 1,200's status, so the second batch (1,001-1,500) fails.
    const dir = await fleetFailingAt(1500, `BEFORE UPDATE OF status ON robots WHEN NEW.device_id = '${benchDeviceId(1200)}'`);
    let c = await reopen(dir);
    let runId = '';
    try {
      const first = collect(c);
      const out = await c.handlers['emergency:execute']({ scope: { kind: 'fleet' }, actions: ['quarantine'], reason: 'fleet drill', breakGlass: GLASS }, CTX);
      runId = out.run!.runId;
      expect([out.run!.state, out.run!.steps[0]!.state]).toEqual(['failed', 'failed']);
      // Every count of each quarantine progress event: the first batch of 1,000 done, the rest pending; then the
      // second batch (500, one transaction) failed as a whole.
      expect(first.filter((e) => e.change === 'progress').map((e) => e.step?.items)).toEqual([
        { total: 1500, done: 1000, pending: 500, failed: 0, skipped: 0 },
        { total: 1500, done: 1000, pending: 0, failed: 500, skipped: 0 },
      ]);
    } finally {
      c.close();
    }
    withRawDb(dir, (db) => db.exec('DROP TRIGGER test_abort'));
    c = await reopen(dir);
    try {
      const pushed = collect(c);
      // What the window reads (emergency:run and emergency:runs) at each pushed change of the retry.
      const seen: Array<Promise<[string, EmergencyRunView['state'], EmergencyRunView['state'] | undefined]>> = [];
      c.onEvent((event, payload) => {
        if (event !== 'emergency:runChanged') return;
        const change = (payload as EmergencyRunChanged).change;
        const one = c.handlers['emergency:run']({ runId }, CTX);
        const list = c.handlers['emergency:runs']({}, CTX);
        seen.push(Promise.all([one, list]).then(([r, l]) => [change, r.state, l.runs.find((x) => x.runId === runId)?.state]));
      });
      const retried = await c.handlers['emergency:retry']({ runId }, CTX);
      expect([retried.run!.state, retried.run!.steps[0]!.state]).toEqual(['done', 'done']);
      expect(pushed.map((e) => [e.change, e.state, e.step?.state ?? null])).toEqual([
        ['retried', 'running', null],
        ['step', 'running', 'running'],
        ['progress', 'running', 'running'],
        ['step', 'done', 'done'],
      ]);
      // The retried batch (500 robots) brings the done count from 1,000 to the total.
      expect(progressOf(pushed)).toEqual([['quarantine', 1500, 1500, 'running']]);
      // The 500 failed ones retried and done: none failed or pending any more.
      expect(pushed.filter((e) => e.change === 'progress').map((e) => e.step?.items)).toEqual([{ total: 1500, done: 1500, pending: 0, failed: 0, skipped: 0 }]);
      expect(await Promise.all(seen)).toEqual([
        ['retried', 'running', 'running'],
        ['step', 'running', 'running'],
        ['progress', 'running', 'running'],
        ['step', 'done', 'done'],
      ]);
      expect((await c.handlers['emergency:run']({ runId }, CTX)).state).toBe('done');
    } finally {
      c.close();
    }
  });

  it('ends failed when what it retried fails again, running in between', async () => {
    const dir = await fleetFailingAt(3, `BEFORE UPDATE OF status ON robots WHEN NEW.device_id = '${benchDeviceId(2)}'`);
    const c = await reopen(dir);
    try {
      const out = await c.handlers['emergency:execute']({ scope: { kind: 'fleet' }, actions: ['quarantine'], reason: 'fleet drill', breakGlass: GLASS }, CTX);
      const runId = out.run!.runId;
      expect(out.run!.state).toBe('failed');
      const pushed = collect(c);
      const during: Array<Promise<EmergencyRunView['state']>> = [];
      c.onEvent((event, payload) => {
        if (event === 'emergency:runChanged' && (payload as EmergencyRunChanged).change === 'retried') during.push(c.handlers['emergency:run']({ runId }, CTX).then((r) => r.state));
      });
      const retried = await c.handlers['emergency:retry']({ runId }, CTX);
      expect(retried.run!.state).toBe('failed');
      expect(pushed.map((e) => [e.change, e.state])).toEqual([['retried', 'running'], ['step', 'running'], ['progress', 'running'], ['step', 'failed']]);
      expect(await Promise.all(during)).toEqual(['running']);
      expect((await c.handlers['emergency:run']({ runId }, CTX)).state).toBe('failed');
    } finally {
      c.close();
    }
  });
});
