// An incident kit whose responder is demoted or removed after the export (issue 15, docs/incident-kit.md "Roles in the
// offline console"): the kit is offline and cannot know, so the responder can still use it; at import, what the kit
// records after the change (by the main audit's time of the change) is merged in order like the rest but reported as
// `responder_revoked` conflicts, and the import's audit record counts them.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { openOfflineKit } from '../../electron/services/incidentKit/offlineKit.ts';
import { contract, type ChannelInput, type ChannelName, type ChannelOutput } from '../../shared/contract.ts';
import { isConsoleError } from '../../shared/errors.ts';
import { CTX, PASSPHRASE, openUnlocked, removeTempDirs, tempDir } from '../unit/store-testkit.ts';

afterAll(removeTempDirs);

const RESPONDER = 'officer-responder-kilo';
const RESPONDER_PASS = 'the responder has a passphrase 42';
const MINUTE = 60_000;

async function call<C extends ChannelName>(c: FleetConsole, channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>> {
  const raw = await (c.handlers[channel] as (i: unknown, ctx: typeof CTX) => Promise<unknown>)(contract[channel].input.parse(input), CTX);
  return contract[channel].output.parse(raw) as ChannelOutput<C>;
}

async function signIn(c: FleetConsole, operator: string, passphrase: string): Promise<void> {
  await call(c, 'session:lock', {});
  await call(c, 'session:unlock', { operator, passphrase });
}

/** Runs an operator change as alice; when it needs a second person, the responder consents (approves) and alice executes. */
async function asAlice(c: FleetConsole, run: () => Promise<unknown>): Promise<unknown> {
  try {
    return await run();
  } catch (e) {
    if (!isConsoleError(e) || e.code !== 'approval_required') throw e;
    const requestId = String(e.details?.requestId);
    await signIn(c, RESPONDER, RESPONDER_PASS);
    await call(c, 'approvals:approve', { requestId });
    await signIn(c, 'alice', PASSPHRASE);
    return (await call(c, 'approvals:execute', { requestId })).result;
  }
}

// The change made to the responder after the export, and the main audit record it leaves.
const CHANGES: Array<[string, (c: FleetConsole) => Promise<unknown>, string]> = [
  ['demoted to viewer', (c) => call(c, 'operators:setRole', { name: RESPONDER, role: 'viewer' }), 'operator.set_role'],
  ['removed', (c) => call(c, 'operators:remove', { name: RESPONDER }), 'operator.remove'],
];

// What the kit records (seq, action, outcome, target), and whether it comes after the change (kit clock 5 minutes
// before it, then 5 minutes after): the ones after are the expected `responder_revoked` conflicts.
const KIT_RECORDS: Array<[number, string, 'success' | 'failure', string | null, 'before' | 'after']> = [
  [1, 'kit.open', 'success', null, 'before'],
  [2, 'kit.order.use', 'success', null, 'before'],
  [3, 'kit.robot.quarantine', 'success', 'uv-001', 'before'],
  [4, 'kit.robot.quarantine', 'success', 'uv-002', 'before'],
  [5, 'kit.open', 'success', null, 'after'],
  [6, 'kit.order.use', 'success', null, 'after'],
  [7, 'kit.robot.quarantine', 'success', 'uv-003', 'after'],
  [8, 'kit.order.use', 'failure', null, 'after'],
];

describe.each(CHANGES)('incident kit: a responder %s after the export', (_what, change, changeAction) => {
  let c: FleetConsole | undefined;
  afterAll(() => c?.close());

  it('reports what the kit did after the change as responder_revoked, merged in order and counted', async () => {
    const clock = manualClock(Date.parse('2026-12-06T08:00:00Z'));
    c = await openUnlocked(tempDir(), { clock });
    const con = c;
    await call(con, 'keys:create', { type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' });
    for (const deviceId of ['uv-001', 'uv-002', 'uv-003', 'uv-004'])
      await call(con, 'fleet:create', { deviceId, name: deviceId, model: 'UV-7', site: 'Plant 1', firmware: '2.1.0', status: 'deployed' });
    await call(con, 'operators:add', { name: RESPONDER, role: 'security_officer', passphrase: RESPONDER_PASS });

    // The responder exports their own kit (orders naming robots only: no second person needed).
    await signIn(con, RESPONDER, RESPONDER_PASS);
    const kitDir = join(tempDir('ecps-kit-resp-'), 'kit');
    const kit = await call(con, 'kit:export', {
      dir: kitDir, passphrase: RESPONDER_PASS, reason: 'drill',
      orders: [
        { name: 'first pair', scope: { deviceIds: ['uv-001', 'uv-002'] }, maxUses: 1, validForSeconds: 7200 },
        { name: 'third', scope: { deviceIds: ['uv-003'] }, maxUses: 1, validForSeconds: 7200 },
      ],
    }) as { kitId: string };
    await signIn(con, 'alice', PASSPHRASE);

    // The kit as the console names it: exported at the clock's start, orders valid two hours.
    const OPEN_KIT = { kitId: kit.kitId, exportedAt: '2026-12-06T08:00:00.000Z', expiresAt: '2026-12-06T10:00:00.000Z' };
    clock.advance(30 * MINUTE);
    const listed = (await call(con, 'operators:list', {})).operators;
    expect(listed.map((o) => [o.name, o.openKits])).toEqual([['alice', undefined], [RESPONDER, [OPEN_KIT]]]);
    const result = await asAlice(con, () => change(con));
    expect((result as { openKits?: unknown }).openKits).toEqual([OPEN_KIT]);
    const changed = (await call(con, 'audit:query', { action: changeAction, targetId: RESPONDER, offset: 0, limit: 5 })).records;
    expect(changed.map((r) => r.outcome)).toEqual(['success']);
    expect([changed[0]!.details.openKits, changed[0]!.details.openKitList]).toEqual([1, `${OPEN_KIT.kitId} exported ${OPEN_KIT.exportedAt} expires ${OPEN_KIT.expiresAt}`]);
    const changedAt = Date.parse(changed[0]!.ts);
    expect(changedAt).toBe(clock.now());

    // Offline, by the kit's own clock: one order before the change, the other (and a refused reuse) after it.
    const before = await openOfflineKit(kitDir, RESPONDER, RESPONDER_PASS, () => new Date(changedAt - 5 * MINUTE));
    expect((await before.useOrder('first pair', 'before the change')).quarantined).toEqual(['uv-001', 'uv-002']);
    const after = await openOfflineKit(kitDir, RESPONDER, RESPONDER_PASS, () => new Date(changedAt + 5 * MINUTE));
    expect((await after.useOrder('third', 'after the change')).quarantined).toEqual(['uv-003']);
    await expect(after.useOrder('first pair', 'again')).rejects.toMatchObject({ code: 'usage_limit_reached' });

    clock.advance(60 * MINUTE);
    const report = await call(con, 'kit:import', { dir: kitDir });
    const expected = KIT_RECORDS.filter((r) => r[4] === 'after');
    expect(report.records).toBe(KIT_RECORDS.length);
    expect(report.conflicts.map((x) => [x.kitSeq, x.kind, x.deviceId])).toEqual(expected.map(([seq, , , target]) => [seq, 'responder_revoked', target]));
    for (const x of report.conflicts) expect(x.message).toContain(RESPONDER);
    // Merged all the same: every quarantine, before and after the change.
    expect(report.quarantined).toEqual(['uv-001', 'uv-002', 'uv-003']);
    for (const [deviceId, status] of [['uv-001', 'quarantined'], ['uv-002', 'quarantined'], ['uv-003', 'quarantined'], ['uv-004', 'deployed']])
      expect((await call(con, 'fleet:get', { deviceId: deviceId! })).status, deviceId).toBe(status);
    const merged = (await call(con, 'audit:query', { actionPrefix: 'kit.offline.', offset: 0, limit: 50 })).records.reverse();
    expect(merged.map((r) => [r.details.kitSeq, r.action.replace('kit.offline.', 'kit.'), r.outcome, r.targetType === 'robot' ? r.targetId : null]))
      .toEqual(KIT_RECORDS.map(([seq, action, outcome, target]) => [seq, action, outcome, target]));
    const imported = (await call(con, 'audit:query', { action: 'kit.import', offset: 0, limit: 5 })).records;
    expect(imported.map((r) => [r.outcome, r.targetId, r.details.responderRevoked, r.details.conflicts])).toEqual([['success', kit.kitId, expected.length, expected.length]]);
    expect((await call(con, 'audit:verify', {})).ok).toBe(true);
  }, 60_000);
});

describe('incident kit: a responder demoted and given security back before using the kit', () => {
  let c: FleetConsole | undefined;
  afterAll(() => c?.close());

  it('reports nothing: the kit was used while the responder held security again', async () => {
    const clock = manualClock(Date.parse('2026-12-06T08:00:00Z'));
    c = await openUnlocked(tempDir(), { clock });
    const con = c;
    await call(con, 'keys:create', { type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' });
    await call(con, 'fleet:create', { deviceId: 'uv-001', name: 'uv-001', model: 'UV-7', site: 'Plant 1', firmware: '2.1.0', status: 'deployed' });
    await call(con, 'operators:add', { name: RESPONDER, role: 'security_officer', passphrase: RESPONDER_PASS });
    await signIn(con, RESPONDER, RESPONDER_PASS);
    const kitDir = join(tempDir('ecps-kit-resp-'), 'kit');
    await call(con, 'kit:export', { dir: kitDir, passphrase: RESPONDER_PASS, reason: 'drill', orders: [{ name: 'one', scope: { deviceIds: ['uv-001'] }, maxUses: 1, validForSeconds: 7200 }] });
    await signIn(con, 'alice', PASSPHRASE);
    clock.advance(10 * MINUTE);
    await asAlice(con, () => call(con, 'operators:setRole', { name: RESPONDER, role: 'viewer' }));
    clock.advance(10 * MINUTE);
    await asAlice(con, () => call(con, 'operators:setRole', { name: RESPONDER, role: 'security_officer' }));
    // The demotion named the kit; the promotion, which takes nothing away, does not.
    const roleRecords = (await call(con, 'audit:query', { action: 'operator.set_role', targetId: RESPONDER, offset: 0, limit: 5 })).records;
    expect(roleRecords.map((r) => [r.details.to, r.details.openKits])).toEqual([['security_officer', undefined], ['viewer', 1]]);
    const kit = await openOfflineKit(kitDir, RESPONDER, RESPONDER_PASS, () => new Date(clock.now() + 5 * MINUTE));
    await kit.useOrder('one', 'after security came back');
    clock.advance(30 * MINUTE);
    const report = await call(con, 'kit:import', { dir: kitDir });
    expect(report.conflicts).toEqual([]);
    expect(report.quarantined).toEqual(['uv-001']);
    // Imported: the console no longer names it.
    expect((await call(con, 'operators:list', {})).operators.find((o) => o.name === RESPONDER)?.openKits).toBeUndefined();
  }, 60_000);

  it('names no kit whose orders have all expired', async () => {
    const clock = manualClock(Date.parse('2026-12-06T08:00:00Z'));
    const con = await openUnlocked(tempDir(), { clock });
    try {
      await call(con, 'keys:create', { type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' });
      await call(con, 'fleet:create', { deviceId: 'uv-001', name: 'uv-001', model: 'UV-7', site: 'Plant 1', firmware: '2.1.0', status: 'deployed' });
      await call(con, 'operators:add', { name: RESPONDER, role: 'security_officer', passphrase: RESPONDER_PASS });
      await signIn(con, RESPONDER, RESPONDER_PASS);
      await call(con, 'kit:export', { dir: join(tempDir('ecps-kit-resp-'), 'kit'), passphrase: RESPONDER_PASS, reason: 'drill', orders: [{ name: 'one', scope: { deviceIds: ['uv-001'] }, maxUses: 1, validForSeconds: 600 }] });
      await signIn(con, 'alice', PASSPHRASE);
      clock.advance(9 * MINUTE);
      expect((await call(con, 'operators:list', {})).operators.find((o) => o.name === RESPONDER)?.openKits?.length).toBe(1);
      clock.advance(2 * MINUTE);
      expect((await call(con, 'operators:list', {})).operators.find((o) => o.name === RESPONDER)?.openKits).toBeUndefined();
      const result = await asAlice(con, () => call(con, 'operators:remove', { name: RESPONDER }));
      expect(result).toEqual({ removed: true });
      const removed = (await call(con, 'audit:query', { action: 'operator.remove', targetId: RESPONDER, offset: 0, limit: 5 })).records;
      expect(removed.map((r) => r.details.openKits)).toEqual([undefined]);
    } finally {
      con.close();
    }
  }, 60_000);
});
