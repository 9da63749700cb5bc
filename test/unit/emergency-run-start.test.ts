// How an emergency run starts (docs/emergency-response.md, "Playbooks", "Revoking the fleet CA", "Pushed run
// changes", "Approval and break-glass"), in process so the mutation run reaches executeRun after its gates: the
// up-front refusals (no fleet CA, a CA revoked already, a scope naming no robot), the options stored with the run
// (the certificate reason, the lockdown settings and their defaults, which a retry reads back), the run's origin, the
// first action stored running with the run, the `started` and `reviewed` events, and a break-glass alert that cannot
// be raised. The expected values are the docs', written out here. emergency-gates.test.ts has who may run what.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import type { Logger } from '../../electron/logger.ts';
import type { EmergencyRunChanged } from '../../shared/emergencyContract.ts';
import { contract } from '../../shared/contract.ts';
import { benchDeviceId, seedSiteWithCertificates } from '../bench/fleetSeed.ts';
import { CTX, dbFile, emergencyExecutes, open, openUnlocked, PASSPHRASE, refusalOf, removeTempDirs, tempDir, withRawDb } from './store-testkit.ts';

afterAll(() => removeTempDirs());

const R1 = benchDeviceId(1);
const BOB_PASS = `${PASSPHRASE} bob`;
const GLASS = { reason: 'second officer unreachable' };
const SEVEN_DAYS_MS = 7 * 24 * 3600 * 1000; // docs: the lockdown action's default validity
let withKey: string;
let noKey: string;

// Two stores with a local fleet CA, three deployed robots (one certificate each) and a second officer, Bob: one with an
// emergency key (lockdown orders), one without. Each test works on its own copy.
beforeAll(async () => {
  const make = async (emergencyKey: boolean) => {
    const dir = tempDir('ecps-runstart-');
    const c = await openUnlocked(dir);
    await c.handlers['ca:init']({ providerId: 'local', algorithm: 'EC_P256', commonName: 'Run Start CA' }, CTX);
    await c.handlers['operators:add']({ name: 'bob', role: 'security_officer', passphrase: BOB_PASS }, CTX);
    if (emergencyKey) await c.handlers['keys:create']({ type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' }, CTX);
    c.close();
    seedSiteWithCertificates(dbFile(dir), 3, (i) => `5a${String(i).padStart(30, '0')}`);
    return dir;
  };
  withKey = await make(true);
  noKey = await make(false);
});

interface Fresh {
  c: FleetConsole;
  dir: string;
  logged: Array<[string, Record<string, unknown> | undefined]>;
}

async function fresh(o: { template?: string; prepare?: (dir: string) => void } = {}): Promise<Fresh> {
  const dir = tempDir('ecps-runstart-');
  fs.cpSync(o.template ?? withKey, dir, { recursive: true });
  o.prepare?.(dir);
  const logged: Fresh['logged'] = [];
  const logger: Logger = { info() {}, warn() {}, error: (message, fields) => void logged.push([message, fields]) };
  const c = await open(dir, { logger });
  await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
  return { c, dir, logged };
}

const refusal = refusalOf;

const executes = emergencyExecutes;
const glassAlerts = async (c: FleetConsole) => (await c.handlers['alerts:list']({}, CTX)).alerts.filter((a) => a.kind === 'emergency_break_glass').length;
const orderBody = (content: string) => JSON.parse(Buffer.from(JSON.parse(Buffer.from(content, 'base64').toString('utf8')).body, 'base64').toString('utf8')) as Record<string, unknown>;
const batchReasons = (c: FleetConsole) => c.audit.query({ action: 'ca.revoke.batch', offset: 0, limit: 20 }).records.reverse().map((r) => r.details.reason);

describe('refused up front, after the approval gate: nothing runs, one failed record, no alert', () => {
  it('revoke_ca with no fleet CA is not_initialized; naming a CA revoked already is illegal_transition', async () => {
    const { c } = await fresh();
    try {
      const first = await c.emergency.execute({ scope: { kind: 'fleet' }, actions: ['revoke_ca'], reason: 'CA key leaked', breakGlass: GLASS });
      expect(first.run!.state).toBe('done');
      const caId = first.preview.ca!.caId;
      const before = { runs: c.emergency.runs(50, false).length, alerts: await glassAlerts(c) };
      // "Afterwards there is no current CA": revoke_ca again is not_initialized.
      const none = await refusal(c.emergency.execute({ scope: { kind: 'fleet' }, actions: ['revoke_ca'], reason: 'again', breakGlass: GLASS }));
      expect(none).toEqual({ code: 'not_initialized', message: 'There is no fleet CA to revoke; nothing was done.', details: undefined });
      // Naming the revoked CA: compromised already.
      const again = await refusal(c.emergency.execute({ scope: { kind: 'fleet' }, actions: ['revoke_ca'], reason: 'again', caId, breakGlass: GLASS }));
      expect(again).toEqual({ code: 'illegal_transition', message: `Fleet CA ${caId} was revoked already; nothing was done.`, details: { from: 'compromised', to: 'compromised' } });
      expect({ runs: c.emergency.runs(50, false).length, alerts: await glassAlerts(c) }).toEqual(before);
      expect(executes(c).slice(1).map((r) => [r.outcome, r.targetId, r.details.code, r.details.actions])).toEqual([
        ['failure', null, 'not_initialized', 'revoke_ca'], ['failure', null, 'illegal_transition', 'revoke_ca'],
      ]);
      // The CA's refusals are revoke_ca's alone: a quarantine of the same fleet still runs.
      expect((await c.emergency.execute({ scope: { kind: 'fleet' }, actions: ['quarantine'], reason: 'after', breakGlass: GLASS })).run!.state).toBe('done');
    } finally {
      c.close();
    }
  });

  it('a scope naming no robot is invalid_input (field scope); a key scope with no holder still runs', async () => {
    const { c } = await fresh();
    try {
      const none = await refusal(c.emergency.execute({ scope: { kind: 'tag', tag: 'no-such-tag' }, actions: ['quarantine'], reason: 'drill', breakGlass: GLASS }));
      expect(none).toEqual({ code: 'invalid_input', message: 'The scope (tag no-such-tag) names no robot; nothing was done.', details: { field: 'scope' } });
      expect(c.emergency.runs(50, false)).toEqual([]);
      expect(await glassAlerts(c)).toBe(0);
      expect(executes(c).map((r) => [r.outcome, r.details.code])).toEqual([['failure', 'invalid_input']]);
      // A key scope answers for the key itself (docs: "for a key scope, the key itself"), robots or not.
      const key = (await c.handlers['keys:list']({ type: 'emergency' }, CTX)).keys[0]!;
      const out = await c.emergency.execute({ scope: { kind: 'key', keyId: key.id }, actions: ['quarantine'], reason: 'drill', breakGlass: GLASS });
      expect([out.run!.state, out.run!.robots]).toEqual(['done', 0]);
    } finally {
      c.close();
    }
  });
});

describe('the options stored with the run', () => {
  it('revoke_certificates: the reason given, keyCompromise by default', async () => {
    const { c } = await fresh();
    try {
      await c.emergency.execute({ scope: { kind: 'robot', deviceId: R1 }, actions: ['revoke_certificates'], reason: 'default reason' });
      await c.emergency.execute({ scope: { kind: 'robot', deviceId: benchDeviceId(2) }, actions: ['revoke_certificates'], reason: 'given reason', certificateReason: 'superseded' });
      expect(batchReasons(c)).toEqual(['keyCompromise', 'superseded']);
    } finally {
      c.close();
    }
  });

  it('a retry revokes with the reason stored at the start (the console reopened in between)', async () => {
    const failCa = "CREATE TRIGGER test_abort BEFORE UPDATE ON robot_certificates BEGIN SELECT RAISE(ABORT, 'injected failure'); END";
    const f = await fresh({ prepare: (dir) => withRawDb(dir, (db) => db.exec(failCa)) });
    let runId: string;
    try {
      const out = await f.c.emergency.execute({ scope: { kind: 'robot', deviceId: R1 }, actions: ['revoke_certificates'], reason: 'drill', certificateReason: 'affiliationChanged' });
      expect(out.run!.state).toBe('failed');
      runId = out.run!.runId;
    } finally {
      f.c.close();
    }
    withRawDb(f.dir, (db) => db.exec('DROP TRIGGER test_abort'));
    const c = await open(f.dir);
    try {
      await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
      expect((await c.emergency.retry(runId)).run!.state).toBe('done');
      expect(batchReasons(c)).toEqual(['affiliationChanged']);
    } finally {
      c.close();
    }
  });

  it('lockdown: stop_operating, the reason as message, valid 7 days by default; the settings given otherwise', async () => {
    const { c } = await fresh();
    try {
      const plain = await c.emergency.execute({ scope: { kind: 'robot', deviceId: R1 }, actions: ['lockdown'], reason: 'robot stolen' });
      const d = orderBody(plain.lockdownFile!.content);
      expect([d.kind, d.actions, d.message, d.reason, d.scope]).toEqual(['lockdown', ['stop_operating'], 'robot stolen', 'robot stolen', { deviceIds: [R1] }]);
      expect(Date.parse(String(d.expiresAt)) - Date.parse(String(d.issuedAt))).toBe(SEVEN_DAYS_MS);
      const set = await c.emergency.execute({ scope: { kind: 'robot', deviceId: R1 }, actions: ['lockdown'], reason: 'robot stolen', lockdown: { actions: ['safe_mode'], message: 'Park now', validForSeconds: 3600 } });
      const e = orderBody(set.lockdownFile!.content);
      expect([e.actions, e.message]).toEqual([['safe_mode'], 'Park now']);
      expect(Date.parse(String(e.expiresAt)) - Date.parse(String(e.issuedAt))).toBe(3_600_000);
    } finally {
      c.close();
    }
  });

  it('a lockdown that failed (no emergency key) is signed at the retry with the settings stored at the start', async () => {
    const f = await fresh({ template: noKey });
    let runId: string;
    try {
      const out = await f.c.emergency.execute({ scope: { kind: 'robot', deviceId: R1 }, actions: ['lockdown'], reason: 'robot stolen', lockdown: { actions: ['safe_mode'], message: 'Park now', validForSeconds: 7200 } });
      expect([out.run!.state, out.lockdownFile]).toEqual(['failed', null]);
      runId = out.run!.runId;
      await f.c.handlers['keys:create']({ type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' }, CTX);
    } finally {
      f.c.close();
    }
    const c = await open(f.dir);
    try {
      await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
      const retried = await c.emergency.retry(runId);
      expect(retried.run!.state).toBe('done');
      const d = orderBody(retried.lockdownFile!.content);
      expect([d.actions, d.message, d.reason]).toEqual([['safe_mode'], 'Park now', 'robot stolen']);
      expect(Date.parse(String(d.expiresAt)) - Date.parse(String(d.issuedAt))).toBe(7_200_000);
    } finally {
      c.close();
    }
  });

  it('the origin: a playbook run is "playbook" (no origin in its record); a stand-alone order that broke glass is "order"', async () => {
    const { c } = await fresh();
    try {
      const run = (await c.emergency.execute({ scope: { kind: 'site', site: 'Bench Site' }, actions: ['quarantine'], reason: 'drill', breakGlass: GLASS })).run!;
      expect(c.emergency.run(run.runId).origin).toBe('playbook');
      const order = contract['emergency:lockdownOrder'].input.parse({ kind: 'lockdown', actions: ['stop_operating'], reason: 'stolen', message: 'Stop', validForSeconds: 3600, scope: { site: 'Bench Site' }, breakGlass: GLASS });
      const issued = await c.emergency.issueOrder(order);
      expect(c.emergency.run(issued.runId!).origin).toBe('order');
      expect(c.emergency.runs(50, false).map((r) => [r.runId, r.origin]).sort()).toEqual([[issued.runId, 'order'], [run.runId, 'playbook']].sort());
      expect(executes(c).map((r) => [r.targetId, r.details.origin])).toEqual([[run.runId, undefined], [issued.runId, 'order']]);
    } finally {
      c.close();
    }
  });
});

describe('the run stored and announced at its start', () => {
  it('at the started event the run is stored, its first action running (attempt 1), the others pending', async () => {
    const { c } = await fresh();
    try {
      const events: EmergencyRunChanged[] = [];
      let stored: Array<[string, string, number]> | null = null;
      c.onEvent((event, payload) => {
        if (event !== 'emergency:runChanged') return;
        const p = payload as EmergencyRunChanged;
        events.push(p);
        if (p.change === 'started') stored = c.emergency.run(p.runId).steps.map((s) => [s.action, s.state, s.attempts]);
      });
      const run = (await c.emergency.execute({ scope: { kind: 'robot', deviceId: R1 }, actions: ['lockdown', 'quarantine'], reason: 'drill' })).run!;
      expect(stored).toEqual([['quarantine', 'running', 1], ['lockdown', 'pending', 0]]);
      expect(events[0]).toEqual({
        runId: run.runId, change: 'started', state: 'running', review: 'not_needed',
        step: { position: 0, action: 'quarantine', state: 'running', attempts: 1, items: { total: 1, done: 0, failed: 0, skipped: 0, pending: 1 } },
      });
      expect(events.filter((e) => e.change === 'started')).toHaveLength(1);
      expect(run.steps.map((s) => [s.state, s.attempts])).toEqual([['done', 1], ['done', 1]]);
    } finally {
      c.close();
    }
  });

  it('a break-glass run is announced needing review; its review is announced reviewed, with the run\'s state and no step', async () => {
    const { c } = await fresh();
    try {
      const events: EmergencyRunChanged[] = [];
      c.onEvent((event, payload) => {
        if (event === 'emergency:runChanged') events.push(payload as EmergencyRunChanged);
      });
      const run = (await c.emergency.execute({ scope: { kind: 'fleet' }, actions: ['quarantine'], reason: 'drill', breakGlass: GLASS })).run!;
      expect(events[0]).toMatchObject({ runId: run.runId, change: 'started', state: 'running', review: 'needs_review' });
      await c.handlers['session:lock']({}, CTX);
      await c.handlers['session:unlock']({ operator: 'bob', passphrase: BOB_PASS }, CTX);
      events.length = 0;
      c.emergency.review(run.runId, 'confirmed');
      expect(events).toEqual([{ runId: run.runId, change: 'reviewed', state: 'done', review: 'reviewed', step: null }]);
    } finally {
      c.close();
    }
  });

  it('a review that finds the run reviewed meanwhile (the conditional update changes no row) is illegal_transition; nothing recorded as reviewed', async () => {
    // Another connection reviewing first, in effect: the update of this review skips the row.
    const skip = "CREATE TRIGGER test_skip BEFORE UPDATE OF review ON emergency_runs WHEN NEW.review = 'reviewed' BEGIN SELECT RAISE(IGNORE); END";
    const { c } = await fresh({ prepare: (dir) => withRawDb(dir, (db) => db.exec(skip)) });
    try {
      const run = (await c.emergency.execute({ scope: { kind: 'fleet' }, actions: ['quarantine'], reason: 'drill', breakGlass: GLASS })).run!;
      await c.handlers['session:lock']({}, CTX);
      await c.handlers['session:unlock']({ operator: 'bob', passphrase: BOB_PASS }, CTX);
      const events: string[] = [];
      c.onEvent((event, payload) => {
        if (event === 'emergency:runChanged') events.push((payload as EmergencyRunChanged).change);
      });
      const lost = await refusal(Promise.resolve().then(() => c.emergency.review(run.runId, 'confirmed')));
      expect(lost).toEqual({ code: 'illegal_transition', message: `Emergency run ${run.runId} was reviewed meanwhile.`, details: undefined });
      expect(c.audit.query({ action: 'emergency.review', offset: 0, limit: 20 }).records.filter((r) => r.outcome === 'success')).toEqual([]);
      expect(c.emergency.run(run.runId).review).toBe('needs_review');
      expect(events).toEqual([]);
    } finally {
      c.close();
    }
  });

  it('a break-glass alert that cannot be raised is logged; the run still takes effect', async () => {
    const failAlerts = "CREATE TRIGGER test_abort BEFORE INSERT ON alerts WHEN NEW.kind = 'emergency_break_glass' BEGIN SELECT RAISE(ABORT, 'injected failure'); END";
    const { c, logged } = await fresh({ prepare: (dir) => withRawDb(dir, (db) => db.exec(failAlerts)) });
    try {
      const run = (await c.emergency.execute({ scope: { kind: 'fleet' }, actions: ['quarantine'], reason: 'drill', breakGlass: GLASS })).run!;
      expect([run.state, run.review]).toEqual(['done', 'needs_review']);
      expect((await c.handlers['fleet:get']({ deviceId: R1 }, CTX)).status).toBe('quarantined');
      expect(logged.filter(([m]) => m === 'raising the break-glass alert failed')).toEqual([['raising the break-glass alert failed', { runId: run.runId, code: 'internal' }]]);
    } finally {
      c.close();
    }
  });
});
