// What the guard does with a call judged under one or two policies (docs/two-person-control.md, "A request under two
// policies" and "When no one else can approve"): the table is the docs' rule written out, over guardDecision and
// eligibleUnderAll (the integration table, test/integration/emergency-ca-approval.test.ts, covers the one call judged
// under two policies today, which is not waivable; the rows here cover the waivable case too).
import { describe, expect, it } from 'vitest';
import type { ApprovalPolicy } from '../../shared/approvalsContract.ts';
import type { OperatorRole } from '../../shared/operatorsContract.ts';
import { eligibleUnderAll, guardDecision, requestAlsoUnder, strictest } from '../../electron/services/approvals/guardedActions.ts';

const policy = (approvals: number, roles: OperatorRole[], operators: string[] = [], ttlSeconds = 3600): ApprovalPolicy => ({ action: 'emergency.wide', approvals, roles, operators, ttlSeconds });
const OFFICERS = policy(1, ['security_officer']);
const ADMINS = policy(1, ['admin']);
const NO_ONE = policy(1, []);
const otto = { name: 'Otto', role: 'security_officer' as const };
const bea = { name: 'Bea', role: 'admin' as const };

describe('guardDecision', () => {
  // [what, policies, others, waivable, decision]
  const ROWS: Array<[string, ApprovalPolicy[], Array<{ name: string; role: OperatorRole }>, boolean, ReturnType<typeof guardDecision>]> = [
    ['one policy, someone eligible', [OFFICERS], [otto], true, 'request'],
    ['one policy, no one else', [OFFICERS], [], true, 'waive'],
    ['one policy, no one else, not waivable', [OFFICERS], [], false, 'pass'],
    ['one policy asking none', [policy(0, ['admin'])], [], true, 'run'],
    ['two policies, both asking none', [policy(0, ['admin']), policy(0, [])], [otto], true, 'run'],
    ['two policies, one asking none: the other counts', [policy(0, ['admin']), OFFICERS], [otto], true, 'request'],
    ['two policies, someone under both', [OFFICERS, policy(1, ['admin'], ['Otto'])], [otto, bea], true, 'request'],
    ['two policies, each alone has someone, no one under both: refused, not waived', [OFFICERS, ADMINS], [otto, bea], true, 'refuse'],
    ['the same, not waivable: refused', [OFFICERS, ADMINS], [otto, bea], false, 'refuse'],
    ['two policies, one names no one else: waived as that policy alone would be', [OFFICERS, NO_ONE], [otto], true, 'waive'],
    ['two policies, no one else at all', [OFFICERS, ADMINS], [], true, 'waive'],
    ['two policies, no one else at all, not waivable', [OFFICERS, ADMINS], [], false, 'pass'],
  ];
  for (const [what, policies, others, waivable, decision] of ROWS) {
    it(what, () => expect(guardDecision(policies, others, waivable)).toBe(decision));
  }
});

describe('eligibleUnderAll and strictest', () => {
  it('eligible under each policy by role or by name; no policy: no one', () => {
    expect(eligibleUnderAll([OFFICERS, policy(1, [], ['Otto'])], 'Otto', 'security_officer')).toBe(true);
    expect(eligibleUnderAll([OFFICERS, policy(1, [], ['Olga'])], 'Otto', 'security_officer')).toBe(false);
    expect(eligibleUnderAll([policy(1, ['admin'], ['Kate']), policy(1, [], ['Kate'])], 'Kate', 'key_custodian')).toBe(true);
    expect(eligibleUnderAll([], 'Otto', 'security_officer')).toBe(false);
  });
  it('the most approvals, the shortest life', () => {
    expect(strictest([policy(2, [], [], 7200), policy(1, [], [], 3600)])).toEqual({ approvals: 2, ttlSeconds: 3600 });
    expect(strictest([policy(0, [], [], 60), policy(3, [], [], 86400)])).toEqual({ approvals: 3, ttlSeconds: 60 });
  });
});

describe('requestAlsoUnder: a stored request judged under a second policy', () => {
  const run = (summary: Record<string, string>, channel = 'emergency:execute', action: 'emergency.wide' | 'ca.revoke' = 'emergency.wide') => requestAlsoUnder({ channel, action, summary });
  it('a wide emergency run with revoke_ca: ca.revoke too; without it: none; no actions recorded: ca.revoke (the stricter)', () => {
    expect(run({ actions: '["quarantine","revoke_ca"]' })).toBe('ca.revoke');
    expect(run({ actions: '["quarantine","revoke_certificates"]' })).toBeNull();
    expect(run({})).toBe('ca.revoke');
    expect(run({ actions: '["revoke_ca"]' }, 'emergency:lockdownOrder')).toBeNull();
    expect(run({ actions: '["revoke_ca"]' }, 'ca:revoke', 'ca.revoke')).toBeNull();
  });
});

describe('a policy asking no approvals restricts no one', () => {
  it('only the policies asking approvals decide eligibility; when none asks, all do', () => {
    expect(eligibleUnderAll([policy(0, ['admin']), OFFICERS], 'Otto', 'security_officer')).toBe(true);
    expect(eligibleUnderAll([policy(0, ['admin']), policy(0, ['security_officer'])], 'Otto', 'security_officer')).toBe(false);
    expect(eligibleUnderAll([policy(0, ['security_officer'])], 'Otto', 'security_officer')).toBe(true);
    expect(guardDecision([policy(0, ['admin']), OFFICERS], [bea], true)).toBe('waive');
  });
});
