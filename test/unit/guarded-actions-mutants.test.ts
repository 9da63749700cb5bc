// The guard rules merged on 2026-12-05 that the mutation run found unpinned (docs/mutation-testing.md,
// "Mutation round of 2026-12-05 (d)"): which operators:remove calls become an operator.remove request (docs/two-person-control.md's table:
// any operator, not oneself nor a name that does not exist), and rows of the "Lowering a rotation policy" table that
// the other rows did not separate (a longer period whose period + jitter is not longer; the time zone moved while only
// blackout windows apply). Expectations are the docs' tables, written out below.
import { describe, expect, it } from 'vitest';
import type { ApprovalAction } from '../../shared/approvalsContract.ts';
import { classify, DEFAULT_POLICIES, type GuardContext } from '../../electron/services/approvals/guardedActions.ts';
import type { RotationPolicy } from '../../electron/services/rotation/policy.ts';

const REMOVE = { action: 'operator.remove', policyAction: 'operator.remove' };

/** A context where the store holds `stored` (names as stored) and `me` is signed in; lookups ignore case like the store. */
const people = (stored: string[], me: string | null): GuardContext => ({
  policyOf: (a: ApprovalAction) => DEFAULT_POLICIES[a],
  rotationPolicy: () => null,
  operatorNamed: (name) => stored.find((s) => s.toLowerCase() === name.toLowerCase()) ?? null,
  signedIn: () => me,
});

describe('operators:remove: an operator.remove request unless the handler refuses it', () => {
  // [what, stored operators, signed in, name asked, request?]
  const ROWS: Array<[string, string[], string | null, string, boolean]> = [
    ['another operator', ['alice', 'bob'], 'alice', 'bob', true],
    ['another operator, named in other case', ['alice', 'Bob'], 'alice', 'BOB', true],
    ['no such operator (the handler refuses it)', ['alice', 'bob'], 'alice', 'carol', false],
    ['oneself (the handler refuses it)', ['alice', 'bob'], 'alice', 'alice', false],
    ['oneself, named in other case', ['Alice', 'bob'], 'Alice', 'alice', false],
    ['another operator while no one is known to be signed in', ['alice', 'bob'], null, 'bob', true],
  ];
  for (const [what, stored, me, name, request] of ROWS) {
    it(`${what}: ${request ? 'a request' : 'no request'}`, () => {
      expect(classify('operators:remove', { name }, people(stored, me))).toEqual(request ? REMOVE : null);
    });
  }

  it('without a store lookup or a session in the context, the name as given counts (a request)', () => {
    const bare: GuardContext = { policyOf: (a) => DEFAULT_POLICIES[a], rotationPolicy: () => null };
    expect(classify('operators:remove', { name: 'bob' }, bare)).toEqual(REMOVE);
    expect(classify('operators:remove', { name: 'bob' }, { ...bare, signedIn: () => 'bob' })).toBeNull();
    expect(classify('operators:remove', { name: 'bob' }, { ...bare, signedIn: () => 'alice' })).toEqual(REMOVE);
  });

  it('its default approvers: every role that approves something, one approval, 24 h', () => {
    const p = DEFAULT_POLICIES['operator.remove'];
    expect({ approvals: p.approvals, roles: [...p.roles].sort(), operators: p.operators, ttl: p.ttlSeconds }).toEqual({
      approvals: 1, roles: ['admin', 'key_custodian', 'security_officer'], operators: [], ttl: 24 * 3600,
    });
  });
});

describe('lowering a rotation policy: rows the table test did not separate', () => {
  const H = 3600;
  const DAY = 24 * H;
  const policy = (p: Partial<RotationPolicy>): RotationPolicy => ({
    mode: 'scheduled', driver: 'console', periodSeconds: DAY, jitterSeconds: 0, usageLimit: 1000, timeZone: 'UTC', maintenanceWindow: null, blackoutWindows: [], ...p,
  });
  const WEEKEND = { cron: '0 0 * * 6', durationMinutes: 2880 };
  const inForce = (current: RotationPolicy): GuardContext => ({ policyOf: (a) => DEFAULT_POLICIES[a], rotationPolicy: () => current });
  const LOWER = { action: 'rotation.lower', policyAction: 'rotation.lower' };

  // [what, in force, asked for, lowering] from docs/two-person-control.md's table: each field is lowering on its own.
  const ROWS: Array<[string, RotationPolicy, RotationPolicy, boolean]> = [
    ['a longer period with less jitter (period + jitter not longer): the period row', policy({ jitterSeconds: 2 * H }), policy({ periodSeconds: DAY + H, jitterSeconds: 0 }), true],
    ['the same period with less jitter', policy({ jitterSeconds: 2 * H }), policy({ jitterSeconds: 0 }), false],
    ['the time zone moved while only a blackout window applies', policy({ blackoutWindows: [WEEKEND] }), policy({ blackoutWindows: [WEEKEND], timeZone: 'Europe/Berlin' }), true],
    ['the same blackout window, the same time zone', policy({ blackoutWindows: [WEEKEND] }), policy({ blackoutWindows: [WEEKEND] }), false],
  ];
  for (const [what, current, next, lowering] of ROWS) {
    it(`${what}: ${lowering ? 'needs approval' : 'runs at once'}`, () => {
      expect(classify('rotation:setTypePolicy', { type: 'communication', policy: next }, inForce(current))).toEqual(lowering ? LOWER : null);
    });
  }
});

describe('kit:export: emergency.wide when any order would be wide issued now (docs/two-person-control.md, docs/incident-kit.md)', () => {
  const WIDE = { action: 'emergency.wide', policyAction: 'emergency.wide' };
  const bare: GuardContext = { policyOf: (a) => DEFAULT_POLICIES[a], rotationPolicy: () => null };
  const CA = '10000000-0000-4000-8000-000000000001';
  const order = (scope: object, more: object = {}) => ({ name: 'o', scope, maxUses: 1, validForSeconds: 60, ...more });
  // [what, orders, request?]
  const ROWS: Array<[string, object[], boolean]> = [
    ['a list of robots (default action stop_operating)', [order({ deviceIds: ['uv-1'] })], false],
    ['a list of robots, safe mode', [order({ deviceIds: ['uv-1'] }, { actions: ['safe_mode'] })], false],
    ['a site', [order({ site: 'Plant 1' })], true],
    ['the fleet', [order({ fleet: true })], true],
    ['a distrust order for a list of robots (wide whatever its scope)', [order({ deviceIds: ['uv-1'] }, { actions: ['distrust_ca'], distrustCaIds: [CA] })], true],
    ['a distrust order for the fleet', [order({ fleet: true }, { actions: ['distrust_ca', 'refuse_revoked_peers'], distrustCaIds: [CA] })], true],
    ['a robot list, then a distrust order', [order({ deviceIds: ['uv-1'] }), order({ deviceIds: ['uv-2'] }, { actions: ['distrust_ca'], distrustCaIds: [CA] })], true],
  ];
  for (const [what, orders, request] of ROWS) {
    it(`${what}: ${request ? 'a request' : 'no request'}`, () => {
      expect(classify('kit:export', { dir: '/media/kit', passphrase: 'p', reason: 'r', orders } as never, bare)).toEqual(request ? WIDE : null);
    });
  }
});
