// Which operators:setRole and operators:add calls need approval, and under which action (docs/two-person-control.md,
// "Guarded actions", "Adding an approver", "Taking an approver away"): the classifier alone, with the store's operators
// and the policies in force given, so the mutation run (unit tests only) reaches every branch. The expectations are
// the docs' rules written out as a table: role before -> role after, who else is in the store -> no request, or the
// request's action, the policy it is approved under, and the operator it concerns (not counted as their own witness).
// The same rules through the router: test/integration/operator-demotion-approval.slow.test.ts, approver-additions.slow.test.ts.
import { describe, expect, it } from 'vitest';
import type { ApprovalAction, ApprovalPolicy } from '../../shared/approvalsContract.ts';
import type { OperatorRole } from '../../shared/operatorsContract.ts';
import { classify, DEFAULT_POLICIES, type GuardContext, type GuardedCall } from '../../electron/services/approvals/guardedActions.ts';

type Store = Record<string, OperatorRole>;
type Changes = Partial<Record<ApprovalAction, Partial<ApprovalPolicy>>>;

/** The console's context: `store` (names as stored), `me` signed in (undefined: no session lookup), policies changed. */
const ctxOf = (store: Store, me: string | undefined, changes: Changes = {}): GuardContext => ({
  policyOf: (a) => ({ ...DEFAULT_POLICIES[a], ...changes[a] }),
  rotationPolicy: () => null,
  operatorNamed: (name) => Object.keys(store).find((s) => s.toLowerCase() === name.toLowerCase()) ?? null,
  ...(me === undefined ? {} : { signedIn: () => me }),
  operators: () => Object.entries(store).map(([name, role]) => ({ name, role })),
});

const DEMOTE: GuardedCall = { action: 'operator.demote', policyAction: 'operator.remove' };
const approver = (concerns?: string): GuardedCall => ({ action: 'operator.approver', policyAction: 'operator.approver', ...(concerns ? { concerns } : {}) });
const admin = (concerns?: string): GuardedCall => ({ action: 'operator.admin', policyAction: 'operator.admin', ...(concerns ? { concerns } : {}) });

const K = 'key_custodian' as const;
const O = 'security_officer' as const;
const A = 'admin' as const;
const V = 'viewer' as const;
const S = 'station_operator' as const;

interface Row {
  what: string;
  store: Store;
  me?: string;
  /** Set to undefined for a context without a session lookup. */
  noSession?: true;
  name: string;
  to: OperatorRole;
  changes?: Changes;
  expected: GuardedCall | null;
}

// Default approvers: custodian: key.destroy, rotation.lower, operator.remove, operator.approver; officer:
// key.compromise, emergency.wide, ca.*, operator.remove, operator.approver; admin: all; viewer, station operator: none.
const SET_ROLE: Row[] = [
  // Approving less: operator.demote under operator.remove's policy, the target not excluded (their consent).
  { what: 'custodian -> viewer, an officer there', store: { alice: A, Kate: K, Otto: O }, name: 'Kate', to: V, expected: DEMOTE },
  { what: 'custodian -> viewer, the only other operator', store: { alice: A, Kate: K }, name: 'Kate', to: V, expected: DEMOTE },
  { what: 'officer -> station operator', store: { alice: A, Otto: O }, name: 'Otto', to: S, expected: DEMOTE },
  { what: 'admin -> custodian', store: { alice: A, Bea: A }, name: 'Bea', to: K, expected: DEMOTE },
  { what: 'named in another case', store: { alice: A, Kate: K }, name: 'KATE', to: V, expected: DEMOTE },
  { what: 'no session lookup: the target is not known to be oneself', store: { alice: A, Kate: K }, noSession: true, name: 'Kate', to: V, expected: DEMOTE },
  // Oneself: at once.
  { what: 'oneself, admin -> viewer', store: { alice: A, Bea: A }, me: 'Bea', name: 'Bea', to: V, expected: null },
  { what: 'oneself named in another case, admin -> custodian', store: { alice: A, Bea: A }, me: 'Bea', name: 'bea', to: K, expected: null },
  // Losing nothing and gaining nothing: at once.
  { what: 'viewer -> station operator', store: { alice: A, Vera: V, Kate: K }, name: 'Vera', to: S, expected: null },
  { what: 'station operator -> viewer', store: { alice: A, Sam: S, Kate: K }, name: 'Sam', to: V, expected: null },
  { what: 'custodian -> custodian', store: { alice: A, Kate: K, Otto: O }, name: 'Kate', to: K, expected: null },
  { what: 'no such operator, to viewer', store: { alice: A, Kate: K }, name: 'Nobody', to: V, expected: null },
  // Gaining: a grant, the target excluded as its witness.
  { what: 'viewer -> custodian, a custodian there', store: { alice: A, Vera: V, Kate: K }, name: 'Vera', to: K, expected: approver('Vera') },
  { what: 'viewer -> custodian, no one else', store: { alice: A, Vera: V }, name: 'Vera', to: K, expected: approver('Vera') },
  { what: 'viewer -> custodian, named in another case (the stored name is the one concerned)', store: { alice: A, Vera: V, Kate: K }, name: 'VERA', to: K, expected: approver('Vera') },
  { what: 'custodian -> admin, another admin there', store: { alice: A, Kate: K, Bea: A }, name: 'Kate', to: A, expected: admin('Kate') },
  { what: 'custodian -> admin, an officer there', store: { alice: A, Kate: K, Otto: O }, name: 'Kate', to: A, expected: approver('Kate') },
  { what: 'custodian -> admin, no one else', store: { alice: A, Kate: K }, name: 'Kate', to: A, expected: admin('Kate') },
  { what: 'no such operator, to custodian (as an addition; the handler refuses it)', store: { alice: A, Kate: K }, name: 'Nobody', to: K, expected: approver() },
  // Gaining and losing: the grant when someone else witnesses it, else the target consents to the loss, else the grant.
  { what: 'custodian -> officer, another custodian there', store: { alice: A, Kate: K, Ken: K }, name: 'Kate', to: O, expected: approver('Kate') },
  { what: 'custodian -> officer, the only other operator', store: { alice: A, Kate: K }, name: 'Kate', to: O, expected: DEMOTE },
  { what: 'custodian -> officer, another custodian there, additions need 0 approvals', store: { alice: A, Kate: K, Ken: K }, name: 'Kate', to: O, changes: { 'operator.approver': { approvals: 0 } }, expected: DEMOTE },
  { what: 'custodian -> officer, only admins approve removals', store: { alice: A, Kate: K }, name: 'Kate', to: O, changes: { 'operator.remove': { roles: ['admin'] } }, expected: approver('Kate') },
  // The policies in force decide what "approve less" is.
  { what: 'station operator -> viewer while station operators destroy keys', store: { alice: A, Sam: S, Kate: K }, name: 'Sam', to: V, changes: { 'key.destroy': { roles: [K, A, S] } }, expected: DEMOTE },
  { what: 'station operator -> viewer while Sam destroys keys by name', store: { alice: A, Sam: S, Kate: K }, name: 'Sam', to: V, changes: { 'key.destroy': { operators: ['Sam'] } }, expected: null },
];

describe('operators:setRole: role before -> role after', () => {
  for (const row of SET_ROLE) {
    it(`${row.what}: ${row.expected === null ? 'at once' : row.expected.action}`, () => {
      const ctx = ctxOf(row.store, row.noSession ? undefined : (row.me ?? 'alice'), row.changes);
      expect(classify('operators:setRole', { name: row.name, role: row.to }, ctx)).toEqual(row.expected);
    });
  }

  it('without the store in the context, a role that approves nothing needs none', () => {
    const bare: GuardContext = { policyOf: (a) => DEFAULT_POLICIES[a], rotationPolicy: () => null };
    expect(classify('operators:setRole', { name: 'Kate', role: 'viewer' }, bare)).toBeNull();
  });

  it('without a name lookup in the context, the name as given finds the operator', () => {
    const noLookup: GuardContext = { ...ctxOf({ alice: A, Kate: K }, 'alice'), operatorNamed: undefined };
    expect(classify('operators:setRole', { name: 'Kate', role: 'viewer' }, noLookup)).toEqual(DEMOTE);
  });
});

describe('operators:add: the role of the new operator', () => {
  const ADD: Array<[string, Store, OperatorRole, GuardedCall | null]> = [
    ['a viewer, a custodian there', { alice: A, Kate: K }, V, null],
    ['a custodian, a custodian there', { alice: A, Kate: K }, K, approver()],
    ['a custodian to a store of one', { alice: A }, K, approver()],
    ['an admin, another admin there', { alice: A, Bea: A }, A, admin()],
    ['an admin, a custodian there', { alice: A, Kate: K }, A, approver()],
    ['an admin to a store of one', { alice: A }, A, admin()],
  ];
  it('a viewer whose name a policy already lists (eligible by name): operator.approver', () => {
    const ctx = ctxOf({ alice: A, Kate: K }, 'alice', { 'key.destroy': { operators: ['New'] } });
    expect(classify('operators:add', { name: 'New', role: V, passphrase: 'a long passphrase here' }, ctx)).toEqual(approver());
  });
  for (const [what, store, role, expected] of ADD) {
    it(`${what}: ${expected === null ? 'at once' : expected.action}`, () => {
      expect(classify('operators:add', { name: 'New', role, passphrase: 'a long passphrase here' }, ctxOf(store, 'alice'))).toEqual(expected);
    });
  }
});
