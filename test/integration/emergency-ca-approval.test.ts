// A playbook run that revokes the fleet CA (revoke_ca) is judged under the stricter of emergency.wide and ca.revoke
// (issue 14; docs/two-person-control.md, "A request under two policies"): as many approvals as the larger asks, only
// an operator eligible under BOTH policies may approve (each policy by role or by name), the shorter life; when no one
// but the requester is eligible under both although each policy alone names someone, the call is refused (no request,
// no waiver). The table below is the specification, through the router as the console calls it: the two policies,
// who is in the store -> the request's count and life, who may approve it (canApprove, and approvals:approve), or
// the refusal. The playbook is never executed here: the guard decides before the emergency service runs.
import { afterAll, describe, expect, it } from 'vitest';
import type { ApprovalPolicy } from '../../shared/approvalsContract.ts';
import type { ChannelInput } from '../../shared/contract.ts';
import type { FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { addOperators, contractCaller, failure } from './support/consoleCalls.ts';
import { CTX, open, PASSPHRASE, removeTempDirs, tempDir } from '../unit/store-testkit.ts';

type Role = 'key_custodian' | 'security_officer' | 'admin';
const pass = (name: string) => `${name} has a long passphrase`;
/** Everyone a row may name; alice (admin) is the first operator of every store and makes the request. */
const ROLE_OF: Record<string, Role> = { Bea: 'admin', Otto: 'security_officer', Olga: 'security_officer', Kate: 'key_custodian' };
const HOUR = 3600;
const DAY = 24 * HOUR;
/** The documented defaults (docs/two-person-control.md, "Guarded actions"). */
const WIDE: ApprovalPolicy = { action: 'emergency.wide', approvals: 1, roles: ['security_officer', 'admin'], operators: [], ttlSeconds: HOUR };
const REVOKE: ApprovalPolicy = { action: 'ca.revoke', approvals: 1, roles: ['security_officer', 'admin'], operators: [], ttlSeconds: DAY };
const T0 = Date.parse('2026-06-01T08:00:00Z');

const REVOKE_CA: ChannelInput<'emergency:execute'> = { scope: { kind: 'fleet' }, actions: ['revoke_ca'], reason: 'CA key leaked' };
const SITE_QUARANTINE: ChannelInput<'emergency:execute'> = { scope: { kind: 'site', site: 'Plant A' }, actions: ['quarantine'], reason: 'site breach' };

const consoles: FleetConsole[] = [];
afterAll(() => {
  for (const c of consoles) c.close();
  removeTempDirs();
});

interface Row {
  what: string;
  wide?: Partial<ApprovalPolicy>;
  revoke?: Partial<ApprovalPolicy>;
  /** Operators besides alice, added in order (Bea first: the approvers after her need a witness). */
  store: string[];
  run?: ChannelInput<'emergency:execute'>;
  /** A request: its count, its life, who may approve it and who may not. */
  expect:
    | { request: { required: number; ttlSeconds: number; may: string[]; mayNot: string[] } }
    | { refused: 'forbidden' | 'approval_required' };
}

const TABLE: Row[] = [
  { what: 'the defaults: a security officer approves', store: ['Bea', 'Otto', 'Kate'], expect: { request: { required: 1, ttlSeconds: HOUR, may: ['Otto', 'Bea'], mayNot: ['Kate'] } } },
  // The hole: ca.revoke narrowed to admins; an officer eligible under emergency.wide alone is not an approver.
  { what: 'ca.revoke by admins only: the officer may not, the admin may', revoke: { roles: ['admin'] }, store: ['Bea', 'Otto'], expect: { request: { required: 1, ttlSeconds: HOUR, may: ['Bea'], mayNot: ['Otto'] } } },
  { what: 'emergency.wide by admins only: the officer may not, the admin may', wide: { roles: ['admin'] }, store: ['Bea', 'Otto'], expect: { request: { required: 1, ttlSeconds: HOUR, may: ['Bea'], mayNot: ['Otto'] } } },
  // Names and roles: eligible under each policy by either.
  { what: 'ca.revoke names Otto only: Otto (an officer, eligible under emergency.wide by role) may, Olga may not', revoke: { roles: [], operators: ['Otto'] }, store: ['Bea', 'Otto', 'Olga'], expect: { request: { required: 1, ttlSeconds: HOUR, may: ['Otto'], mayNot: ['Olga', 'Bea'] } } },
  { what: 'emergency.wide names Olga and admins; ca.revoke officers: Olga may; Otto and Bea may not', wide: { roles: ['admin'], operators: ['Olga'] }, revoke: { roles: ['security_officer'] }, store: ['Bea', 'Otto', 'Olga'], expect: { request: { required: 1, ttlSeconds: HOUR, may: ['Olga'], mayNot: ['Otto', 'Bea'] } } },
  { what: 'a key custodian named in both: may', wide: { operators: ['Kate'] }, revoke: { operators: ['Kate'] }, store: ['Bea', 'Kate'], expect: { request: { required: 1, ttlSeconds: HOUR, may: ['Kate', 'Bea'], mayNot: [] } } },
  { what: 'a key custodian named in one only: may not', wide: { operators: ['Kate'] }, store: ['Bea', 'Kate'], expect: { request: { required: 1, ttlSeconds: HOUR, may: ['Bea'], mayNot: ['Kate'] } } },
  // The count is the larger, the life the shorter.
  { what: 'emergency.wide asks 2, ca.revoke 1: 2', wide: { approvals: 2 }, store: ['Bea', 'Otto', 'Olga'], expect: { request: { required: 2, ttlSeconds: HOUR, may: ['Otto', 'Olga', 'Bea'], mayNot: [] } } },
  { what: 'ca.revoke asks 3, emergency.wide 1: 3', revoke: { approvals: 3 }, store: ['Bea', 'Otto', 'Olga'], expect: { request: { required: 3, ttlSeconds: HOUR, may: ['Otto', 'Olga', 'Bea'], mayNot: [] } } },
  { what: 'ca.revoke lives 2 h, emergency.wide 3 h: 2 h', wide: { ttlSeconds: 3 * HOUR }, revoke: { ttlSeconds: 2 * HOUR }, store: ['Bea', 'Otto'], expect: { request: { required: 1, ttlSeconds: 2 * HOUR, may: ['Otto'], mayNot: [] } } },
  // No one under both although each alone has someone: refused, not a request nor a waiver.
  { what: 'emergency.wide by officers, ca.revoke by admins: no one under both', wide: { roles: ['security_officer'] }, revoke: { roles: ['admin'] }, store: ['Bea', 'Otto'], expect: { refused: 'forbidden' } },
  // No one else at all: not waivable, the service refuses it (break-glass is the one-officer path).
  { what: 'no other operator', store: [], expect: { refused: 'approval_required' } },
  { what: 'only a key custodian besides: no other approver under either', store: ['Kate'], expect: { refused: 'approval_required' } },
  // Without revoke_ca a wide run is emergency.wide's alone.
  { what: 'a site quarantine (no revoke_ca) with ca.revoke by admins only: the officer may', revoke: { roles: ['admin'] }, store: ['Bea', 'Otto'], run: SITE_QUARANTINE, expect: { request: { required: 1, ttlSeconds: HOUR, may: ['Otto', 'Bea'], mayNot: [] } } },
];

async function store(row: Row) {
  const c = await open(tempDir('ecps-ca-approval-'), { clock: manualClock(T0), rotation: { scheduler: false } });
  consoles.push(c);
  const call = contractCaller(() => c);
  await c.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
  await addOperators(c, { name: 'alice', passphrase: PASSPHRASE }, row.store.map((name) => ({ name, role: ROLE_OF[name]!, passphrase: pass(name) })));
  const signIn = async (name: string) => {
    await c.handlers['session:lock']({}, CTX);
    await c.handlers['session:unlock']({ operator: name, passphrase: name === 'alice' ? PASSPHRASE : pass(name) }, CTX);
  };
  // The policies, set by alice once everyone they may name exists; a change that lowers one is approved by Bea (an
  // admin approves every action by default) and executed by alice.
  for (const policy of [row.wide && { ...WIDE, ...row.wide }, row.revoke && { ...REVOKE, ...row.revoke }]) {
    if (!policy) continue;
    try {
      await call('approvals:setPolicy', { policy });
    } catch (e) {
      const requestId = (await failure(Promise.reject(e))).details.requestId as string;
      await signIn('Bea');
      await call('approvals:approve', { requestId });
      await signIn('alice');
      await call('approvals:execute', { requestId });
    }
  }
  const records = (action: string) => c.audit.query({ action, limit: 1000 }).records;
  return { call, signIn, records };
}

describe('a revoke_ca playbook run is judged under the stricter of emergency.wide and ca.revoke', () => {
  for (const row of TABLE) {
    it(row.what, async () => {
      const s = await store(row);
      await s.signIn('alice');
      const requestsBefore = s.records('approval.request').filter((r) => r.outcome === 'success').length;
      const refused = await failure(s.call('emergency:execute', row.run ?? REVOKE_CA));
      expect(s.records('approval.waived').filter((r) => r.details.channel === 'emergency:execute'), 'never waived').toEqual([]);
      if ('refused' in row.expect) {
        expect(refused.code).toBe(row.expect.refused);
        expect(refused.details.requestId, 'no request').toBeUndefined();
        expect(s.records('approval.request').filter((r) => r.outcome === 'success').length - requestsBefore).toBe(0);
        expect(s.records('emergency.execute').filter((r) => r.outcome === 'success')).toEqual([]);
        return;
      }
      const want = row.expect.request;
      const requestId = refused.details.requestId as string;
      expect([refused.code, refused.details.action, refused.details.required]).toEqual(['approval_required', 'emergency.wide', want.required]);
      const [listed] = (await s.call('approvals:list', { open: true })).requests.filter((r) => r.id === requestId);
      expect([listed?.required, listed?.expiresAt]).toEqual([want.required, new Date(T0 + want.ttlSeconds * 1000).toISOString()]);
      // Who may approve: what the list says and what approving does agree.
      for (const name of [...want.mayNot, ...want.may]) {
        await s.signIn(name);
        const seen = (await s.call('approvals:list', { open: true })).requests.find((r) => r.id === requestId);
        expect([name, seen?.canApprove]).toEqual([name, want.may.includes(name)]);
        if (want.may.includes(name)) {
          const after = await s.call('approvals:approve', { requestId });
          expect(after.approvals.map((a) => a.approver)).toContain(name);
        } else {
          expect([name, (await failure(s.call('approvals:approve', { requestId }))).code]).toEqual([name, 'forbidden']);
        }
      }
      const approvers = s.records('approval.approve').filter((r) => r.outcome === 'success' && r.targetId === requestId).map((r) => r.details.approver);
      expect(approvers.sort()).toEqual([...want.may].sort());
    });
  }
});
