// operators:changed (docs/operators.md, "Operators screen"): the main process pushes it after each committed change of
// an operator, whoever made it in this process, so the Operators screen refreshes without a reload. The expected
// events are written here step by step: added, role changed, passphrase changed (through either channel), second
// factor enabled and reset, recovery codes made, removed; a change approved and executed as a request; a refused change and a list push none.
// No other process can change the operators unannounced: a CLI command on the store the console holds is refused
// (store_busy) and changes nothing, so the push covers every change the window could miss.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperatorsChanged } from '../../shared/operatorsContract.ts';
import type { FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { codeAt } from './support/totpCodes.ts';
import { cliEnv, cliInProcess } from './support/cliProcess.ts';
import { contractCaller, failure } from './support/consoleCalls.ts';
import { CTX, open, PASSPHRASE, removeTempDirs, tempDir } from '../unit/store-testkit.ts';

const pass = (name: string) => `${name} has a long passphrase`;
const clock = manualClock(Date.parse('2026-06-01T08:00:00Z'));
const dir = tempDir('ecps-operators-events-');
let c: FleetConsole;
const call = contractCaller(() => c);
const pushed: OperatorsChanged[] = [];

async function signIn(name: string): Promise<void> {
  await c.handlers['session:lock']({}, CTX);
  await c.handlers['session:unlock']({ operator: name, passphrase: name === 'alice' ? PASSPHRASE : pass(name) }, CTX);
}

/** The operators:changed events pushed while fn ran. */
async function pushedBy(fn: () => Promise<unknown>): Promise<OperatorsChanged[]> {
  const from = pushed.length;
  await fn();
  return pushed.slice(from);
}

beforeAll(async () => {
  c = await open(dir, { clock, rotation: { scheduler: false } });
  c.onEvent((event, payload) => {
    if (event === 'operators:changed') pushed.push(payload as OperatorsChanged);
  });
  await c.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
});

afterAll(() => {
  c.close();
  removeTempDirs();
});

describe('operators:changed', () => {
  it('added, role changed, removed (alone: waived): one event each, naming the operator', async () => {
    expect(await pushedBy(() => call('operators:add', { name: 'Vera', role: 'viewer', passphrase: pass('Vera') }))).toEqual([{ name: 'Vera' }]);
    expect(await pushedBy(() => call('operators:setRole', { name: 'Vera', role: 'station_operator' }))).toEqual([{ name: 'Vera' }]);
    expect(await pushedBy(() => call('operators:remove', { name: 'Vera' }))).toEqual([{ name: 'Vera' }]);
  });

  it('a second factor enabled, recovery codes made again, the factor reset by an admin, a passphrase changed', async () => {
    await call('operators:add', { name: 'Sam', role: 'station_operator', passphrase: pass('Sam') });
    await signIn('Sam');
    const { secret } = await call('operators:enrollTotp', {});
    expect(await pushedBy(() => call('operators:confirmTotp', { code: codeAt(secret, clock.now()) }))).toEqual([{ name: 'Sam' }]);
    expect(await pushedBy(() => call('operators:regenerateRecoveryCodes', {}))).toEqual([{ name: 'Sam' }]);
    expect(await pushedBy(() => call('operators:changePassphrase', { current: pass('Sam'), next: `${pass('Sam')} and more` }))).toEqual([{ name: 'Sam' }]);
    // The older channel (the Settings screen's) is the same change: it pushes too (until 2026-12-05 it did not, and
    // the Operators screen showed the old "passphrase changed" time until a reload).
    expect(await pushedBy(() => call('session:changePassphrase', { current: `${pass('Sam')} and more`, next: `${pass('Sam')} once more` }))).toEqual([{ name: 'Sam' }]);
    await c.handlers['session:lock']({}, CTX);
    await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    expect(await pushedBy(() => call('operators:resetTotp', { name: 'Sam' }))).toEqual([{ name: 'Sam' }]);
  });

  it('a change made as an approved request pushes when it is executed, not when it is requested or approved', async () => {
    await call('operators:add', { name: 'Kate', role: 'key_custodian', passphrase: pass('Kate') });
    let requestId = '';
    expect(await pushedBy(async () => (requestId = (await failure(call('operators:add', { name: 'Ken', role: 'key_custodian', passphrase: pass('Ken') }))).details.requestId as string))).toEqual([]);
    await signIn('Kate');
    expect(await pushedBy(() => call('approvals:approve', { requestId }))).toEqual([]);
    await signIn('alice');
    expect(await pushedBy(() => call('approvals:execute', { requestId }))).toEqual([{ name: 'Ken' }]);
  });

  it('a refused change, a list and a role set to the one held push nothing', async () => {
    expect(await pushedBy(async () => (await failure(call('operators:add', { name: 'Kate', role: 'viewer', passphrase: pass('Kate') }))).code)).toEqual([]);
    expect(await pushedBy(async () => (await failure(call('operators:remove', { name: 'alice' }))).code)).toEqual([]);
    expect(await pushedBy(async () => (await failure(call('operators:resetTotp', { name: 'Kate' }))).code)).toEqual([]);
    expect(await pushedBy(() => call('operators:list', {}))).toEqual([]);
    expect(await pushedBy(() => call('operators:setRole', { name: 'Kate', role: 'key_custodian' }))).toEqual([]);
  });

  it('the CLI cannot change the operators of a store the console holds: store_busy, nothing added', async () => {
    const before = (await call('operators:list', {})).operators.map((o) => o.name);
    const run = await cliInProcess(['--data-dir', dir, 'operators', 'add', 'Cli Carl', '--role', 'viewer'], {
      env: cliEnv({ ECPS_PASSPHRASE: PASSPHRASE, ECPS_NEW_OPERATOR_PASSPHRASE: pass('Cli Carl') }),
    });
    expect([run.code === 0, run.stderr]).toEqual([false, expect.stringContaining('store_busy')]);
    expect((await call('operators:list', {})).operators.map((o) => o.name)).toEqual(before);
  });
});
