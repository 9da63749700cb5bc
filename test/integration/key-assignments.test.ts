// Key assignment through the console's own handlers (inputs and outputs checked with the contract's schemas) over a
// real SQLite store: robot > site > newest unassigned key, dedicated keys never offered as anyone's default, the
// refusals (typed codes, each audited), a broken assignment reported instead of silently replaced, rotation moving
// the effective version, and the contract refusing a scope id that does not fit its scope.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelInput, KeySummary } from '../../shared/contract.ts';
import { createConsole, type FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { createRouter } from '../../electron/ipc/router.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { CTX, FAST_KDF, removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { contractCaller, failure } from './support/consoleCalls.ts';

describe('key assignment', () => {
  const dir = tempDir('ecps-key-assign-');
  const clock = manualClock(Date.parse('2026-06-01T00:00:00Z'));
  const events: Array<{ event: string; payload: unknown }> = [];
  let c: FleetConsole;
  const call = contractCaller(() => c);
  const lastAudit = () => c.audit.query({ offset: 0, limit: 1 }).records[0]!;
  /** Keys are created a minute apart, so "newest" is well defined. */
  const key = async (type: 'communication' | 'storage' | 'emergency', label: string, activate = true): Promise<KeySummary> => {
    clock.advance(60_000);
    return call('keys:create', { type, label, activate });
  };
  const effective = async (deviceId: string, type: 'communication' | 'storage') =>
    (await call('fleet:keyAssignments', { deviceId })).effective.find((e) => e.keyType === type)!;
  let commOld: KeySummary;
  let commNew: KeySummary;
  let storOld: KeySummary;
  let storNew: KeySummary;

  beforeAll(async () => {
    c = await createConsole({ dataDir: dir, kdf: FAST_KDF, logger: createMemoryLogger(), clock });
    c.onEvent((event, payload) => events.push({ event, payload }));
    await call('session:init', { operator: 'Officer Ada', passphrase: 'fleet passphrase 0123' });
    commOld = await key('communication', 'plant A comm');
    storOld = await key('storage', 'customer disk');
    commNew = await key('communication', 'fleet comm');
    storNew = await key('storage', 'fleet disk');
    await call('fleet:create', { deviceId: 'uv-a1', name: 'A one', model: 'UV-7', site: 'Plant A' });
    await call('fleet:create', { deviceId: 'uv-a2', name: 'A two', model: 'UV-7', site: 'Plant A' });
    await call('fleet:create', { deviceId: 'uv-b1', name: 'B one', model: 'UV-7', site: 'Plant B' });
  });
  afterAll(() => {
    c.close();
    removeTempDirs();
  });

  it('without assignments a robot gets the newest active key of each type (source newest)', async () => {
    const view = await call('fleet:keyAssignments', { deviceId: 'uv-a1' });
    expect(view).toMatchObject({ deviceId: 'uv-a1', site: 'Plant A', robotAssignments: [], siteAssignments: [] });
    expect(view.effective).toEqual([
      { keyType: 'communication', keyId: commNew.id, keyLabel: 'fleet comm', version: 1, source: 'newest', error: null, errorCode: null },
      { keyType: 'storage', keyId: storNew.id, keyLabel: 'fleet disk', version: 1, source: 'newest', error: null, errorCode: null },
    ]);
  });

  it('a site assignment applies to every robot of the site only, and is audited with ids under the key', async () => {
    events.length = 0;
    const out = await call('fleet:assignKey', { scope: 'site', scopeId: 'Plant A', keyType: 'communication', keyId: commOld.id });
    expect(out).toMatchObject({ scope: 'site', scopeId: 'Plant A', assignments: [{ keyType: 'communication', keyId: commOld.id, keyLabel: 'plant A comm', version: 1, assignedBy: 'Officer Ada', problem: null }] });
    expect(lastAudit()).toMatchObject({
      action: 'fleet.key.assign',
      targetType: 'key',
      targetId: commOld.id,
      outcome: 'success',
      actor: 'Officer Ada',
      details: { scope: 'site', scopeId: 'Plant A', keyType: 'communication', keyId: commOld.id, previousKeyId: null, version: 1 },
    });
    expect(events).toContainEqual({ event: 'fleet:changed', payload: { deviceId: null } });
    for (const id of ['uv-a1', 'uv-a2']) expect(await effective(id, 'communication')).toMatchObject({ keyId: commOld.id, source: 'site', error: null });
    expect(await effective('uv-b1', 'communication')).toMatchObject({ keyId: commNew.id, source: 'newest' });
    expect(await call('fleet:siteKeyAssignments', { site: 'Plant A' })).toMatchObject({ site: 'Plant A', robots: 2, assignments: [{ keyId: commOld.id }] });
    expect((await call('fleet:keyAssignments', { deviceId: 'uv-a2' })).siteAssignments).toHaveLength(1);
  });

  it('a robot assignment wins over its site and lands in the robot audit trail', async () => {
    await call('fleet:assignKey', { scope: 'robot', scopeId: 'uv-a1', keyType: 'communication', keyId: commNew.id });
    await call('fleet:assignKey', { scope: 'robot', scopeId: 'uv-a1', keyType: 'storage', keyId: storOld.id });
    expect(lastAudit()).toMatchObject({ action: 'fleet.key.assign', targetType: 'robot', targetId: 'uv-a1', details: { scope: 'robot', keyType: 'storage', keyId: storOld.id } });
    expect(await effective('uv-a1', 'communication')).toMatchObject({ keyId: commNew.id, source: 'robot' });
    expect(await effective('uv-a1', 'storage')).toMatchObject({ keyId: storOld.id, keyLabel: 'customer disk', source: 'robot' });
    expect(await effective('uv-a2', 'communication')).toMatchObject({ keyId: commOld.id, source: 'site' });
    // Replacing an assignment records the key it replaced.
    await call('fleet:assignKey', { scope: 'robot', scopeId: 'uv-a1', keyType: 'communication', keyId: commOld.id });
    expect(lastAudit().details).toMatchObject({ keyId: commOld.id, previousKeyId: commNew.id });
    await call('fleet:assignKey', { scope: 'robot', scopeId: 'uv-a1', keyType: 'communication', keyId: commNew.id });
  });

  it('an assigned key is dedicated: a newer key assigned to one robot never becomes the others’ default', async () => {
    const spare = await key('communication', 'spare comm');
    const customer = await key('communication', 'customer X comm');
    // Created last, so it is the newest: unassigned robots would get it ...
    expect(await effective('uv-b1', 'communication')).toMatchObject({ keyId: customer.id, source: 'newest' });
    await call('fleet:assignKey', { scope: 'robot', scopeId: 'uv-b1', keyType: 'communication', keyId: customer.id });
    await call('fleet:create', { deviceId: 'uv-c1', name: 'C one', model: 'UV-7', site: 'Plant C' });
    // ... but once assigned, only its assignee does; the others get the newest key assigned to nobody.
    expect(await effective('uv-c1', 'communication')).toMatchObject({ keyId: spare.id, source: 'newest' });
    await call('fleet:clearKeyAssignment', { scope: 'robot', scopeId: 'uv-b1', keyType: 'communication' });
    expect(lastAudit()).toMatchObject({ action: 'fleet.key.unassign', targetType: 'robot', targetId: 'uv-b1', outcome: 'success', details: { previousKeyId: customer.id } });
    expect(await effective('uv-c1', 'communication')).toMatchObject({ keyId: customer.id, source: 'newest' });
    await call('keys:setState', { keyId: customer.id, state: 'deactivated', reason: 'test over' });
  });

  it('when every active key of a type is dedicated, an unassigned robot has none (source none) and says why', async () => {
    await call('fleet:assignKey', { scope: 'robot', scopeId: 'uv-b1', keyType: 'storage', keyId: storNew.id });
    // storOld is uv-a1's, storNew is uv-b1's: uv-c1 has no storage key left.
    const e = await effective('uv-c1', 'storage');
    expect(e).toMatchObject({ keyId: null, version: null, source: 'none', errorCode: 'not_found' });
    expect(e.error).toMatch(/No active AES-256 storage key/);
    await call('fleet:clearKeyAssignment', { scope: 'robot', scopeId: 'uv-b1', keyType: 'storage' });
    expect(await effective('uv-c1', 'storage')).toMatchObject({ keyId: storNew.id, source: 'newest' });
  });

  it('refuses what cannot be assigned with typed errors, each audited as a failure with its code', async () => {
    const refused = async (input: ChannelInput<'fleet:assignKey'>, code: string, text: RegExp) => {
      const f = await failure(call('fleet:assignKey', input));
      expect(f.code, JSON.stringify(input)).toBe(code);
      expect(f.message).toMatch(text);
      expect(lastAudit()).toMatchObject({ action: 'fleet.key.assign', outcome: 'failure', details: { code } });
    };
    await refused({ scope: 'robot', scopeId: 'uv-nobody', keyType: 'communication', keyId: commNew.id }, 'not_found', /No robot with device id uv-nobody/);
    await refused({ scope: 'site', scopeId: 'Plant Z', keyType: 'communication', keyId: commNew.id }, 'not_found', /No site named Plant Z/);
    await refused({ scope: 'site', scopeId: 'Plant A', keyType: 'communication', keyId: '00000000-0000-4000-8000-000000000000' }, 'not_found', /No key with id/);
    await refused({ scope: 'site', scopeId: 'Plant A', keyType: 'communication', keyId: storNew.id }, 'invalid_input', /is a storage key, not a communication key/);
    const emergency = await key('emergency', 'override');
    await refused({ scope: 'site', scopeId: 'Plant A', keyType: 'storage', keyId: emergency.id }, 'invalid_input', /is a emergency key/);
    const pending = await key('storage', 'not yet active', false);
    await refused({ scope: 'robot', scopeId: 'uv-a2', keyType: 'storage', keyId: pending.id }, 'key_disabled', /is pre_activation; only active keys/);
    const suspended = await key('storage', 'suspended disk');
    await call('keys:setState', { keyId: suspended.id, state: 'suspended', reason: 'audit' });
    await refused({ scope: 'robot', scopeId: 'uv-a2', keyType: 'storage', keyId: suspended.id }, 'key_disabled', /is suspended/);
    const gone = await key('storage', 'gone disk');
    await call('keys:setState', { keyId: gone.id, state: 'deactivated', reason: 'retire' });
    await call('keys:setState', { keyId: gone.id, state: 'destroyed', reason: 'retire' });
    await refused({ scope: 'robot', scopeId: 'uv-a2', keyType: 'storage', keyId: gone.id }, 'key_destroyed', /was destroyed/);
    // Nothing was stored by any refusal.
    expect((await call('fleet:keyAssignments', { deviceId: 'uv-a2' })).robotAssignments).toEqual([]);
    // Clearing what is not there.
    const none = await failure(call('fleet:clearKeyAssignment', { scope: 'robot', scopeId: 'uv-a2', keyType: 'storage' }));
    expect(none).toMatchObject({ code: 'not_found', message: 'Robot uv-a2 has no storage key assignment to clear.' });
    expect(lastAudit()).toMatchObject({ action: 'fleet.key.unassign', outcome: 'failure', details: { code: 'not_found' } });
    expect((await failure(call('fleet:keyAssignments', { deviceId: 'uv-nobody' }))).code).toBe('not_found');
    expect((await failure(call('fleet:siteKeyAssignments', { site: 'Plant Z' }))).code).toBe('not_found');
  });

  it('the contract refuses a scope id that does not fit its scope, naming the field', async () => {
    const router = createRouter({ handlers: c.handlers });
    const env = await router.route({
      channel: 'fleet:assignKey',
      input: { scope: 'robot', scopeId: 'Plant A', keyType: 'communication', keyId: commNew.id },
      ctx: CTX,
      trustedSender: true,
    });
    expect(env).toMatchObject({ ok: false, error: { code: 'invalid_input', details: { field: 'scopeId' } } });
    const clear = await router.route({ channel: 'fleet:clearKeyAssignment', input: { scope: 'site', scopeId: ' leading space', keyType: 'storage' }, ctx: CTX, trustedSender: true });
    expect(clear).toMatchObject({ ok: false, error: { code: 'invalid_input', details: { field: 'scopeId' } } });
    const emergencyType = await router.route({ channel: 'fleet:assignKey', input: { scope: 'site', scopeId: 'Plant A', keyType: 'emergency', keyId: commNew.id }, ctx: CTX, trustedSender: true });
    expect(emergencyType).toMatchObject({ ok: false, error: { code: 'invalid_input', details: { field: 'keyType' } } });
  });

  it('rotation moves the effective version: the key’s current version is what the next delivery carries', async () => {
    expect(await effective('uv-a2', 'communication')).toMatchObject({ keyId: commOld.id, version: 1 });
    await call('keys:rotate', { keyId: commOld.id });
    expect(await effective('uv-a2', 'communication')).toMatchObject({ keyId: commOld.id, version: 2, source: 'site' });
    expect((await call('fleet:siteKeyAssignments', { site: 'Plant A' })).assignments[0]).toMatchObject({ version: 2, problem: null });
  });

  it('a compromised or destroyed assigned key is not replaced: the row stays, reported broken with what to do', async () => {
    // The state change itself is never blocked by an assignment: an officer must be able to compromise a key at once.
    await call('keys:setState', { keyId: commOld.id, state: 'compromised', reason: 'leaked' });
    const e = await effective('uv-a2', 'communication');
    expect(e).toMatchObject({ keyId: commOld.id, keyLabel: 'plant A comm', source: 'site', errorCode: 'key_disabled' });
    expect(e.error).toBe(
      `The communication key "plant A comm" (${commOld.id}) assigned to site Plant A is compromised; only active keys are delivered. ` +
        'Assign another communication key to site Plant A or clear that assignment.',
    );
    const site = await call('fleet:siteKeyAssignments', { site: 'Plant A' });
    expect(site.assignments[0]).toMatchObject({ keyId: commOld.id, keyState: 'compromised' });
    expect(site.assignments[0]!.problem).toMatch(/is compromised/);
    // uv-a1 has its own communication key: unaffected.
    expect(await effective('uv-a1', 'communication')).toMatchObject({ keyId: commNew.id, source: 'robot', error: null });
    await call('keys:setState', { keyId: commOld.id, state: 'destroyed', reason: 'leaked' });
    expect(await effective('uv-a2', 'communication')).toMatchObject({ keyId: commOld.id, source: 'site', errorCode: 'key_destroyed' });
    expect((await effective('uv-a2', 'communication')).error).toMatch(/assigned to site Plant A was destroyed/);
    // Reassigning the site repairs it.
    await call('fleet:assignKey', { scope: 'site', scopeId: 'Plant A', keyType: 'communication', keyId: commNew.id });
    expect(lastAudit().details).toMatchObject({ previousKeyId: commOld.id });
    expect(await effective('uv-a2', 'communication')).toMatchObject({ keyId: commNew.id, source: 'site', error: null });
  });

  it('a robot moved to another site follows that site; its own rows stay', async () => {
    await call('fleet:update', { deviceId: 'uv-a1', site: 'Plant B' });
    const view = await call('fleet:keyAssignments', { deviceId: 'uv-a1' });
    expect(view.site).toBe('Plant B');
    expect(view.siteAssignments).toEqual([]);
    expect(view.robotAssignments.map((a) => a.keyType)).toEqual(['communication', 'storage']);
    await call('fleet:clearKeyAssignment', { scope: 'robot', scopeId: 'uv-a1', keyType: 'communication' });
    expect(await effective('uv-a1', 'communication')).toMatchObject({ source: 'newest' });
    expect((await call('fleet:siteKeyAssignments', { site: 'Plant A' })).robots).toBe(1);
  });

  it('audit records carry ids only, and every channel answers locked when the store is locked', async () => {
    const records = c.audit.query({ action: 'fleet.key.assign', offset: 0, limit: 100 }).records;
    expect(records.length).toBeGreaterThan(5);
    for (const r of records) {
      for (const k of Object.keys(r.details)) expect(['scope', 'scopeId', 'keyType', 'keyId', 'previousKeyId', 'version', 'code']).toContain(k);
    }
    await call('session:lock', {});
    expect((await failure(call('fleet:keyAssignments', { deviceId: 'uv-a2' }))).code).toBe('locked');
    expect((await failure(call('fleet:assignKey', { scope: 'site', scopeId: 'Plant A', keyType: 'storage', keyId: storNew.id }))).code).toBe('locked');
  });
});
