// Who may run what in the emergency playbook (docs/emergency-response.md, "Approval and break-glass", "Dry run"), in
// process so the mutation run reaches the service's gates (the integration test emergency-response.test.ts checks the
// same through the whole console and its guard, outside the mutation configuration). The service is called directly,
// as the console's guard calls it after its own decision: a robot-level scope (one robot, a list) runs for one security
// officer; every wider scope, and any run with revoke_ca, needs an approved two-person request or break-glass; a
// break-glass run takes effect at once, raises one CRITICAL alert and needs a second officer's review (not the officer
// who ran it); breakGlass on a robot-level run is ignored; a dry run writes one audit record and nothing else.
// The expected outcomes are the table below, written from the docs.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import type { EmergencyAction, EmergencyScope } from '../../shared/emergencyContract.ts';
import { contract } from '../../shared/contract.ts';
import { benchDeviceId, seedSiteWithCertificates } from '../bench/fleetSeed.ts';
import { CTX, dbFile, emergencyExecutes, open, openUnlocked, PASSPHRASE, refusalOf, removeTempDirs, tempDir } from './store-testkit.ts';

afterAll(() => removeTempDirs());

const R1 = benchDeviceId(1);
const R2 = benchDeviceId(2);
const BOB_PASS = `${PASSPHRASE} bob`;
let template: string;

// A store with a local fleet CA, an emergency key (for lockdown orders), three deployed robots at "Bench Site" (model
// UV-B, firmware 1.0.0) and a second security officer, Bob; each test works on its own copy. Nothing here reaches the emergency service.
beforeAll(async () => {
  template = tempDir('ecps-gates-');
  const c = await openUnlocked(template);
  await c.handlers['ca:init']({ providerId: 'local', algorithm: 'EC_P256', commonName: 'Gates Test CA' }, CTX);
  await c.handlers['operators:add']({ name: 'bob', role: 'security_officer', passphrase: BOB_PASS }, CTX);
  await c.handlers['keys:create']({ type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' }, CTX);
  c.close();
  seedSiteWithCertificates(dbFile(template), 3, (i) => `4f${String(i).padStart(30, '0')}`);
});

async function fresh(as: 'alice' | 'bob' = 'alice'): Promise<{ c: FleetConsole }> {
  const dir = tempDir('ecps-gates-');
  fs.cpSync(template, dir, { recursive: true });
  const c = await open(dir);
  await c.handlers['session:unlock']({ operator: as, passphrase: as === 'alice' ? PASSPHRASE : BOB_PASS }, CTX);
  return { c };
}

const refusal = refusalOf;

const executes = emergencyExecutes;
const glassAlerts = async (c: FleetConsole) =>
  (await c.handlers['alerts:list']({}, CTX)).alerts.filter((a) => a.kind === 'emergency_break_glass').map((a) => [a.severity, a.subject]);
const statuses = async (c: FleetConsole) => Promise.all([1, 2, 3].map(async (i) => (await c.handlers['fleet:get']({ deviceId: benchDeviceId(i) }, CTX)).status));
const storedRuns = (c: FleetConsole) => c.emergency.runs(50, false).length;

describe('the preview says which approval a scope needs', () => {
  const TABLE: Array<[EmergencyScope, 'one_officer' | 'two_person']> = [
    [{ kind: 'robot', deviceId: R1 }, 'one_officer'],
    [{ kind: 'robots', deviceIds: [R1, R2] }, 'one_officer'],
    [{ kind: 'site', site: 'Bench Site' }, 'two_person'],
    [{ kind: 'model', model: 'UV-B' }, 'two_person'],
    [{ kind: 'firmware', firmware: '1.0.0' }, 'two_person'],
    [{ kind: 'fleet' }, 'two_person'],
  ];
  it.each(TABLE)('%j: %s', async (scope, approval) => {
    const { c } = await fresh();
    try {
      expect(c.emergency.preview(scope).approval).toBe(approval);
    } finally {
      c.close();
    }
  });
});

type Path = 'none' | 'breakGlass' | 'approved';
interface Row {
  name: string;
  scope: EmergencyScope;
  actions: EmergencyAction[];
  path: Path;
  /** null: it runs; otherwise the refusal's code. */
  refused: string | null;
  /** When it runs: review needed (break-glass) and the robots' statuses after. */
  review?: 'not_needed' | 'needs_review';
  after?: string[];
}

const D = 'deployed';
const Q = 'quarantined';
const RULES: Row[] = [
  { name: 'one robot, one officer', scope: { kind: 'robot', deviceId: R1 }, actions: ['quarantine'], path: 'none', refused: null, review: 'not_needed', after: [Q, D, D] },
  { name: 'a robot list, one officer', scope: { kind: 'robots', deviceIds: [R1, R2] }, actions: ['quarantine'], path: 'none', refused: null, review: 'not_needed', after: [Q, Q, D] },
  { name: 'break-glass on one robot is ignored (no alert, no review)', scope: { kind: 'robot', deviceId: R2 }, actions: ['quarantine'], path: 'breakGlass', refused: null, review: 'not_needed', after: [D, Q, D] },
  { name: 'a site without approval', scope: { kind: 'site', site: 'Bench Site' }, actions: ['quarantine'], path: 'none', refused: 'approval_required' },
  { name: 'the fleet without approval', scope: { kind: 'fleet' }, actions: ['quarantine'], path: 'none', refused: 'approval_required' },
  { name: 'a model without approval', scope: { kind: 'model', model: 'UV-B' }, actions: ['quarantine'], path: 'none', refused: 'approval_required' },
  { name: 'revoking the CA on one robot without approval', scope: { kind: 'robot', deviceId: R1 }, actions: ['revoke_ca'], path: 'none', refused: 'approval_required' },
  { name: 'a site with break-glass', scope: { kind: 'site', site: 'Bench Site' }, actions: ['quarantine'], path: 'breakGlass', refused: null, review: 'needs_review', after: [Q, Q, Q] },
  { name: 'the fleet with an approved request', scope: { kind: 'fleet' }, actions: ['quarantine'], path: 'approved', refused: null, review: 'not_needed', after: [Q, Q, Q] },
];
const GLASS = 'second officer unreachable';
const REQUEST = 'request-7';

describe('who may run what: the table', () => {
  it.each(RULES.map((r) => [r.name, r] as const))('%s', async (_name, row) => {
    const { c } = await fresh();
    try {
      const input = { scope: row.scope, actions: row.actions, reason: 'drill', ...(row.path === 'breakGlass' ? { breakGlass: { reason: GLASS } } : {}) };
      const pending = c.emergency.execute(input, row.path === 'approved' ? REQUEST : undefined);
      if (row.refused !== null) {
        const err = await refusal(pending);
        expect(err?.code).toBe(row.refused);
        expect(err?.message).toMatch(row.actions.includes('revoke_ca') ? /^Revoking the fleet CA needs two-person approval/ : /^Acting on .* needs two-person approval .*break glass with a reason/);
        expect(err?.details).toEqual({ scope: row.scope.kind });
        // Nothing ran: no run stored, no robot changed, no alert; one failed record with the code.
        expect(await statuses(c)).toEqual([D, D, D]);
        expect(storedRuns(c)).toBe(0);
        expect(await glassAlerts(c)).toEqual([]);
        expect(executes(c).map((r) => [r.outcome, r.targetId, r.details.code])).toEqual([['failure', null, row.refused]]);
        return;
      }
      const out = await pending;
      const run = out.run!;
      expect(out.dryRun).toBe(false);
      expect([run.state, run.review, run.breakGlassReason]).toEqual(['done', row.review, row.review === 'needs_review' ? GLASS : null]);
      expect(await statuses(c)).toEqual(row.after);
      expect(await glassAlerts(c)).toEqual(row.review === 'needs_review' ? [['CRITICAL', run.runId]] : []);
      const records = executes(c);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ outcome: 'success', targetId: run.runId, details: { dryRun: false } });
      expect(records[0]!.details.breakGlass).toBe(row.review === 'needs_review' ? GLASS : undefined);
      expect(records[0]!.details.approvalRequestId).toBe(row.path === 'approved' ? REQUEST : undefined);
      expect(c.emergency.runs(50, true).map((r) => r.runId)).toEqual(row.review === 'needs_review' ? [run.runId] : []);
    } finally {
      c.close();
    }
  });
});

describe('a dry run', () => {
  it.each([
    ['the fleet, no approval', { kind: 'fleet' } as EmergencyScope, ['quarantine'] as EmergencyAction[]],
    ['one robot', { kind: 'robot', deviceId: R1 } as EmergencyScope, ['quarantine', 'revoke_certificates'] as EmergencyAction[]],
  ])('%s: one audit record with the counts, nothing else', async (_name, scope, actions) => {
    const { c } = await fresh();
    try {
      const out = await c.emergency.execute({ scope, actions, reason: 'what if', dryRun: true });
      expect([out.dryRun, out.run, out.lockdownFile]).toEqual([true, null, null]);
      const robots = scope.kind === 'fleet' ? 3 : 1;
      expect(out.preview.robots.total).toBe(robots);
      expect(await statuses(c)).toEqual([D, D, D]);
      expect(storedRuns(c)).toBe(0);
      expect(await glassAlerts(c)).toEqual([]);
      expect(executes(c).map((r) => [r.outcome, r.targetId, r.details.dryRun, r.details.robots, r.details.certificates])).toEqual([['success', null, true, robots, robots]]);
    } finally {
      c.close();
    }
  });

  it('with break-glass on a wide scope: still nothing but the record (no run, no alert)', async () => {
    const { c } = await fresh();
    try {
      const out = await c.emergency.execute({ scope: { kind: 'site', site: 'Bench Site' }, actions: ['quarantine'], reason: 'what if', dryRun: true, breakGlass: { reason: GLASS } });
      expect(out.run).toBeNull();
      expect(await statuses(c)).toEqual([D, D, D]);
      expect(await glassAlerts(c)).toEqual([]);
      expect(executes(c).map((r) => [r.outcome, r.details.dryRun, r.details.breakGlass])).toEqual([['success', true, undefined]]);
    } finally {
      c.close();
    }
  });
});

describe("a break-glass run's review", () => {
  const review = (c: FleetConsole) => c.audit.query({ action: 'emergency.review', offset: 0, limit: 20 }).records.reverse().map((r) => [r.actor, r.outcome, r.details.code ?? null]);

  it('not by the officer who ran it (forbidden, audited); by a second officer once; then illegal_transition', async () => {
    const { c } = await fresh();
    try {
      const runId = (await c.emergency.execute({ scope: { kind: 'fleet' }, actions: ['quarantine'], reason: 'drill', breakGlass: { reason: GLASS } })).run!.runId;
      const self = await refusal(Promise.resolve().then(() => c.emergency.review(runId, 'my own work')));
      expect([self?.code, self?.message]).toEqual(['forbidden', 'alice ran this break-glass run; a different security officer must review it.']);
      expect(c.emergency.run(runId).review).toBe('needs_review');
      await c.handlers['session:lock']({}, CTX);
      await c.handlers['session:unlock']({ operator: 'bob', passphrase: BOB_PASS }, CTX);
      const reviewed = c.emergency.review(runId, 'confirmed');
      expect([reviewed.review, reviewed.reviewedBy, reviewed.reviewNote]).toEqual(['reviewed', 'bob', 'confirmed']);
      expect(c.emergency.runs(50, true)).toEqual([]);
      const again = await refusal(Promise.resolve().then(() => c.emergency.review(runId, 'again')));
      expect(again?.code).toBe('illegal_transition');
      expect(review(c)).toEqual([['alice', 'failure', 'forbidden'], ['bob', 'success', null], ['bob', 'failure', 'illegal_transition']]);
      const ok = c.audit.query({ action: 'emergency.review', offset: 0, limit: 20 }).records.find((r) => r.outcome === 'success');
      expect([ok?.targetId, ok?.details.ranBy, ok?.details.note]).toEqual([runId, 'alice', 'confirmed']);
    } finally {
      c.close();
    }
  });

  it('a review whose conditional update loses (the run reviewed since it was read) is refused and audited (illegal_transition)', async () => {
    // The store is opened with an exclusive lock, so nothing else can review the run between this console's read of it
    // and its conditional update; the trigger below, put in the store before the console opens it, plays that other
    // review: it records a review by carol first and skips this console's update, which then changes no row.
    const dir = tempDir('ecps-gates-');
    fs.cpSync(template, dir, { recursive: true });
    const raw = new Database(dbFile(dir));
    raw.exec(`CREATE TRIGGER reviewed_first_elsewhere BEFORE UPDATE OF review ON emergency_runs WHEN NEW.reviewed_by = 'bob'
      BEGIN
        UPDATE emergency_runs SET review = 'reviewed', reviewed_by = 'carol', reviewed_at = NEW.reviewed_at, review_note = 'reviewed first' WHERE run_id = OLD.run_id;
        SELECT RAISE(IGNORE);
      END`);
    raw.close();
    const c = await open(dir);
    try {
      await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
      const runId = (await c.emergency.execute({ scope: { kind: 'fleet' }, actions: ['quarantine'], reason: 'drill', breakGlass: { reason: GLASS } })).run!.runId;
      await c.handlers['session:lock']({}, CTX);
      await c.handlers['session:unlock']({ operator: 'bob', passphrase: BOB_PASS }, CTX);
      const lost = await refusal(Promise.resolve().then(() => c.emergency.review(runId, 'confirmed')));
      expect([lost?.code, lost?.message]).toEqual(['illegal_transition', `Emergency run ${runId} was reviewed meanwhile.`]);
      // The other review stands; this refusal is audited like every other refused review.
      const run = c.emergency.run(runId);
      expect([run.review, run.reviewedBy, run.reviewNote]).toEqual(['reviewed', 'carol', 'reviewed first']);
      expect(review(c)).toEqual([['bob', 'failure', 'illegal_transition']]);
      expect(c.audit.query({ action: 'emergency.review', offset: 0, limit: 20 }).records[0]?.targetId).toBe(runId);
    } finally {
      c.close();
    }
  });

  it('a run that needed no review, and an unknown run, are refused (audited)', async () => {
    const { c } = await fresh('bob');
    try {
      const runId = (await c.emergency.execute({ scope: { kind: 'robot', deviceId: R1 }, actions: ['quarantine'], reason: 'drill' })).run!.runId;
      const none = await refusal(Promise.resolve().then(() => c.emergency.review(runId, 'nothing to see')));
      expect([none?.code, none?.message]).toEqual(['illegal_transition', `Emergency run ${runId} needs no review (not_needed).`]);
      const unknown = '00000000-0000-4000-8000-000000000000';
      const missing = await refusal(Promise.resolve().then(() => c.emergency.review(unknown, 'x')));
      expect([missing?.code, missing?.message]).toEqual(['not_found', `No emergency run ${unknown}.`]);
      expect(review(c)).toEqual([['bob', 'failure', 'illegal_transition'], ['bob', 'failure', 'not_found']]);
      // A locked console reviews nothing and records nothing.
      await c.handlers['session:lock']({}, CTX);
      expect((await refusal(Promise.resolve().then(() => c.emergency.review(runId, 'x'))))?.code).toBe('locked');
    } finally {
      c.close();
    }
  });
});

describe('a lockdown order on its own: break-glass only where the order is wide (docs/emergency-response.md)', () => {
  const order = (o: Record<string, unknown>) =>
    contract['emergency:lockdownOrder'].input.parse({ kind: 'lockdown', actions: ['stop_operating'], reason: 'stolen', message: 'Stop', validForSeconds: 3600, ...o });
  const orderRecords = (c: FleetConsole) => c.audit.query({ action: 'lockdown.order', offset: 0, limit: 20 }).records.reverse();
  const signed = async (c: FleetConsole) => (await c.handlers['emergency:lockdownList']({}, CTX)).orders.length;
  const TABLE: Array<[string, Record<string, unknown>, string]> = [
    ['a robot list with break-glass', { scope: { deviceIds: [R1, R2] }, breakGlass: { reason: GLASS } }, 'An order for 2 robots needs no approval: issue it without break-glass.'],
    ['a lift of a site with break-glass', { kind: 'lift', actions: [], scope: { site: 'Bench Site' }, breakGlass: { reason: GLASS } }, 'A lift order never needs approval: issue it without break-glass.'],
  ];
  it.each(TABLE)('%s: invalid_input (field breakGlass), audited, nothing signed, no run', async (_name, o, message) => {
    const { c } = await fresh();
    try {
      const err = await refusal(c.emergency.issueOrder(order(o)));
      expect(err).toEqual({ code: 'invalid_input', message, details: { field: 'breakGlass' } });
      expect(await signed(c)).toBe(0);
      expect(storedRuns(c)).toBe(0);
      expect(await glassAlerts(c)).toEqual([]);
      expect(orderRecords(c).map((r) => [r.outcome, r.details.code, r.details.field, r.details.breakGlass, r.details.signed])).toEqual([['failure', 'invalid_input', 'breakGlass', true, false]]);
    } finally {
      c.close();
    }
  });

  it('a robot list without break-glass: signed at once, no run, no alert', async () => {
    const { c } = await fresh();
    try {
      const out = await c.emergency.issueOrder(order({ scope: { deviceIds: [R1] } }));
      expect(out.runId).toBeNull();
      expect(JSON.parse(Buffer.from(out.content, 'base64').toString('utf8'))).toMatchObject({ format: 'ECPS-LOCKDOWN-v1' });
      expect([await signed(c), storedRuns(c)]).toEqual([1, 0]);
      expect(await glassAlerts(c)).toEqual([]);
    } finally {
      c.close();
    }
  });

  it('a site lockdown with break-glass: signed at once as a break-glass run (CRITICAL alert, review needed)', async () => {
    const { c } = await fresh();
    try {
      const out = await c.emergency.issueOrder(order({ scope: { site: 'Bench Site' }, breakGlass: { reason: GLASS } }));
      expect(typeof out.runId).toBe('string');
      const run = c.emergency.run(out.runId!);
      expect([run.actions, run.review, run.breakGlassReason]).toEqual([['lockdown'], 'needs_review', GLASS]);
      expect(await signed(c)).toBe(1);
      expect(await glassAlerts(c)).toEqual([['CRITICAL', out.runId]]);
    } finally {
      c.close();
    }
  });
});
