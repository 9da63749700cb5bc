// A store for the tables of who may approve what (approver-additions, operator-demotion-approval): alice, its first
// admin, then the named operators with the roles ROLE_OF gives them, each approver after the first approved by an
// earlier one (addOperators). The rows' expectations stay in their own test files; this only builds the store.
import type { ApprovalAction, ApprovalPolicy } from '../../../shared/approvalsContract.ts';
import type { FleetConsole } from '../../../electron/app.ts';
import { manualClock } from '../../../electron/clock.ts';
import { addOperators, contractCaller } from './consoleCalls.ts';
import { CTX, open, PASSPHRASE, tempDir } from '../../unit/store-testkit.ts';

export type Role = 'viewer' | 'station_operator' | 'key_custodian' | 'security_officer' | 'admin';
/** Everyone a row may name, with their role; alice is the first admin of every store. */
export const ROLE_OF: Record<string, Role> = { Vera: 'viewer', Sam: 'station_operator', Kate: 'key_custodian', Ken: 'key_custodian', Otto: 'security_officer', Bea: 'admin' };
export const pass = (name: string) => `${name} has a long passphrase`;

/**
 * Opens a store (kept in `consoles` for the file's afterAll), signs alice in, sets `policy` over `defaults` while she
 * is alone (a lowering then is waived), then adds `names`.
 */
export async function approverStore(
  consoles: FleetConsole[],
  dirPrefix: string,
  names: string[],
  defaults: Partial<Record<ApprovalAction, ApprovalPolicy>>,
  policy?: Partial<ApprovalPolicy> & { action: ApprovalAction },
) {
  const clock = manualClock(Date.parse('2026-06-01T08:00:00Z'));
  const c = await open(tempDir(dirPrefix), { clock, rotation: { scheduler: false } });
  consoles.push(c);
  const call = contractCaller(() => c);
  await c.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
  if (policy) await call('approvals:setPolicy', { policy: { ...defaults[policy.action]!, ...policy } });
  await addOperators(c, { name: 'alice', passphrase: PASSPHRASE }, names.map((name) => ({ name, role: ROLE_OF[name]!, passphrase: pass(name) })));
  const signIn = async (name: string, passphrase = name === 'alice' ? PASSPHRASE : pass(name)) => {
    await c.handlers['session:lock']({}, CTX);
    await c.handlers['session:unlock']({ operator: name, passphrase }, CTX);
  };
  const roles = async () => Object.fromEntries((await call('operators:list', {})).operators.map((o) => [o.name, o.role]));
  const records = (action: string) => c.audit.query({ action, limit: 1000 }).records;
  return { c, call, signIn, roles, records };
}
