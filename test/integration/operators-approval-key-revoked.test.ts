// operators:list tells a revoked approval key from none ever enrolled (docs/operators.md "Operators screen",
// docs/two-person-control.md "Revoking an approval key"), on a real store. The rules written here, not read from the
// service:
// - an operator with a key enrolled now: approvalKey {fingerprint, enrolledAt}, approvalKeyRevoked null;
// - an operator with no key enrolled now whose last key was revoked: approvalKey null and approvalKeyRevoked
//   {fingerprint, revokedAt, revokedBy, reason} of the most recent revocation under their name (the admin's reason);
// - a key revoked then a new one enrolled: the new one, approvalKeyRevoked null;
// - two revocations at the same instant (enrolling a key replaces the old one, then an admin revokes the new one): the
//   key enrolled later is the one shown;
// - never enrolled: both null;
// - a removed operator is not listed; added again under the same name, the key their namesake had (revoked with the
//   removal, reason "operator removed") is not theirs: both null; the repository answers no removed name either;
// - the same answers through the router (the output contract checked) and through the CLI's `operators list`.
import crypto from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { generateApprovalKey } from '../../electron/services/approvals/approvalFile.ts';
import { createApprovalsRepo } from '../../electron/store/approvalsRepo.ts';
import type { OperatorInfo } from '../../shared/operatorsContract.ts';
import { cliRunner } from './support/cliProcess.ts';
import { addOperators, contractCaller } from './support/consoleCalls.ts';
import { CTX, open, PASSPHRASE, removeTempDirs, withRawDb } from '../unit/store-testkit.ts';

const pass = (name: string) => (name === 'alice' ? PASSPHRASE : `${name} has a long passphrase`);
const T0 = Date.parse('2026-05-04T08:00:00.000Z');
const at = (hours: number) => new Date(T0 + hours * 3600_000).toISOString();
const VIEWERS = ['Nev', 'Ed', 'Rex', 'Rea', 'Rob', 'Ray'] as const;
const newKey = () => {
  const { publicPem } = generateApprovalKey('approval key passphrase');
  const fingerprint = crypto.createHash('sha256').update(crypto.createPublicKey(publicPem).export({ format: 'der', type: 'spki' })).digest('hex');
  return { publicPem, fingerprint };
};

afterAll(() => removeTempDirs());

describe('operators:list: the approval key enrolled now, or the one last revoked', () => {
  const { dir, cli } = cliRunner('ecps-operators-key-revoked-', PASSPHRASE, 'in-process');
  const clock = manualClock(T0);
  let c: FleetConsole;
  const call = contractCaller(() => c);
  const keys = new Map<string, string[]>(); // operator -> fingerprints enrolled, in order

  async function signIn(name: string): Promise<void> {
    if ((await c.handlers['session:status']({}, CTX)).state === 'unlocked') await c.handlers['session:lock']({}, CTX);
    await c.handlers['session:unlock']({ operator: name, passphrase: pass(name) }, CTX);
  }
  /** `below`: a key whose fingerprint sorts before this one (so that a tie is not broken by the fingerprint's order). */
  async function enrol(who: string, hour: number, below?: string): Promise<string> {
    clock.set(Date.parse(at(hour)));
    await signIn(who);
    let key = newKey();
    while (below !== undefined && key.fingerprint > below) key = newKey();
    expect(await call('approvals:enrolKey', { publicKeyPem: key.publicPem })).toEqual({ operator: who, fingerprint: key.fingerprint });
    keys.set(who, [...(keys.get(who) ?? []), key.fingerprint]);
    return key.fingerprint;
  }
  async function revoke(who: string, hour: number, reason: string): Promise<void> {
    clock.set(Date.parse(at(hour)));
    await signIn('alice');
    await call('approvals:revokeKey', { operator: who, reason });
  }
  const listed = async (): Promise<Record<string, Pick<OperatorInfo, 'approvalKey' | 'approvalKeyRevoked'>>> => {
    await signIn('alice');
    const { operators } = await call('operators:list', {});
    return Object.fromEntries(operators.map((o) => [o.name, { approvalKey: o.approvalKey, approvalKeyRevoked: o.approvalKeyRevoked }]));
  };
  const nth = (who: string, i: number) => keys.get(who)![i]!;

  beforeAll(async () => {
    c = await open(join(dir, 'store'), { clock, rotation: { scheduler: false }, idleLock: { intervalMs: null } });
    await c.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    const alice = { name: 'alice', passphrase: PASSPHRASE };
    await addOperators(c, alice, [{ name: 'Bea', role: 'admin', passphrase: pass('Bea') }]);
    await addOperators(c, alice, VIEWERS.map((name) => ({ name, role: 'viewer' as const, passphrase: pass(name) })), [{ name: 'Bea', passphrase: pass('Bea') }]);
    for (const who of ['Ed', 'Rex', 'Rea', 'Rob', 'Ray']) await enrol(who, 1);
    await revoke('Rex', 2, 'laptop stolen on the 3rd');
    await revoke('Rea', 2, 'rotated out');
    await enrol('Rea', 3);
    // Rob replaces his key at hour 4 and an admin revokes the new one at the same instant: the new key (enrolled
    // later) is the one shown, although its fingerprint sorts first.
    await enrol('Rob', 4, nth('Rob', 0));
    await revoke('Rob', 4, 'enrolled from an unmanaged laptop');
  });

  let closed = false;
  afterAll(() => {
    if (!closed) c?.close();
  });

  it('each operator: never enrolled, enrolled, revoked by an admin with the reason, revoked then enrolled again, two revocations at one instant', async () => {
    expect(await listed()).toEqual({
      alice: { approvalKey: null, approvalKeyRevoked: null },
      Bea: { approvalKey: null, approvalKeyRevoked: null },
      Nev: { approvalKey: null, approvalKeyRevoked: null },
      Ed: { approvalKey: { fingerprint: nth('Ed', 0), enrolledAt: at(1) }, approvalKeyRevoked: null },
      Rex: { approvalKey: null, approvalKeyRevoked: { fingerprint: nth('Rex', 0), revokedAt: at(2), revokedBy: 'alice', reason: 'laptop stolen on the 3rd' } },
      Rea: { approvalKey: { fingerprint: nth('Rea', 1), enrolledAt: at(3) }, approvalKeyRevoked: null },
      Rob: { approvalKey: null, approvalKeyRevoked: { fingerprint: nth('Rob', 1), revokedAt: at(4), revokedBy: 'alice', reason: 'enrolled from an unmanaged laptop' } },
      Ray: { approvalKey: { fingerprint: nth('Ray', 0), enrolledAt: at(1) }, approvalKeyRevoked: null },
    });
  });

  it('operators:add and operators:setRole answer the same key state for the one operator', async () => {
    clock.set(Date.parse(at(5)));
    await signIn('alice');
    expect(await call('operators:setRole', { name: 'Rex', role: 'station_operator' })).toMatchObject({
      name: 'Rex',
      approvalKey: null,
      approvalKeyRevoked: { fingerprint: nth('Rex', 0), revokedAt: at(2), revokedBy: 'alice', reason: 'laptop stolen on the 3rd' },
    });
    expect(await call('operators:setRole', { name: 'Ed', role: 'station_operator' })).toMatchObject({
      name: 'Ed',
      approvalKey: { fingerprint: nth('Ed', 0), enrolledAt: at(1) },
      approvalKeyRevoked: null,
    });
  });

  it('a removed operator is not listed; added again, their namesake\'s revoked key is not theirs', async () => {
    clock.set(Date.parse(at(6)));
    await signIn('alice');
    const asked = await c.handlers['operators:remove']({ name: 'Ray' }, CTX).then(
      () => null,
      (e: { code?: string; details?: { requestId?: string } }) => e,
    );
    if (asked !== null) {
      expect(asked.code).toBe('approval_required');
      const requestId = String(asked.details?.requestId);
      await signIn('Bea');
      await call('approvals:approve', { requestId });
      await signIn('alice');
      await call('approvals:execute', { requestId });
    }
    const afterRemoval = await listed();
    expect(Object.keys(afterRemoval)).not.toContain('Ray');
    // The removal revoked Ray's key (docs/two-person-control.md): it is in the revoked list, under Ray.
    expect((await call('approvals:listRevokedKeys', {})).keys).toContainEqual(expect.objectContaining({ operator: 'Ray', fingerprint: nth('Ray', 0), reason: 'operator removed' }));

    clock.set(Date.parse(at(7)));
    await signIn('alice');
    await addOperators(c, { name: 'alice', passphrase: PASSPHRASE }, [{ name: 'Ray', role: 'viewer', passphrase: pass('Ray') }], [{ name: 'Bea', passphrase: pass('Bea') }]);
    expect((await listed()).Ray).toEqual({ approvalKey: null, approvalKeyRevoked: null });
  });

  it('the CLI\'s operators list says which key was revoked, when, by whom and why; the repository answers only operators in the table', async () => {
    c.close();
    closed = true;
    const r = await cli(['operators', 'list'], undefined, { ECPS_OPERATOR: 'alice' });
    expect(r.code).toBe(0);
    const line = (name: string) => r.stdout.split('\n').find((l) => l.startsWith(`${name}  `)) ?? '';
    expect(line('Rex')).toContain(`approval key ${nth('Rex', 0).slice(0, 16)}… revoked ${at(2)} by alice ("laptop stolen on the 3rd")`);
    expect(line('Rea')).toMatch(new RegExp(`approval key ${nth('Rea', 1).slice(0, 16)}…$`));
    expect(line('Nev')).not.toContain('approval key');
    expect(line('Ray')).not.toContain('approval key');

    const states = withRawDb(join(dir, 'store'), (db) => createApprovalsRepo(db).approvalKeyStates());
    expect([...states.keys()].sort()).toEqual(['Bea', 'Ed', 'Nev', 'Ray', 'Rea', 'Rex', 'Rob', 'alice']);
    // The repository gives the newest key of a name whatever the namesake: the service filters by the operator's
    // creation time (the last test). Rob's state for one name equals the whole list's.
    const rob = withRawDb(join(dir, 'store'), (db) => createApprovalsRepo(db).approvalKeyStates('Rob'));
    expect([...rob.values()]).toEqual([states.get('Rob')]);
    expect(states.get('Rob')).toEqual({
      operator: 'Rob',
      current: null,
      lastRevoked: { fingerprint: nth('Rob', 1), enrolledAt: at(4), revokedAt: at(4), revokedBy: 'alice', why: 'removed', reason: 'enrolled from an unmanaged laptop' },
    });
  });
});
