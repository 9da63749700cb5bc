// The offline console's router (`serve --kit`, docs/incident-kit.md) on a kit exported by the real export path: only
// the kitOffline:* channels are served (a console channel such as keys:list is refused with offline_kit, an unknown
// name with unknown_channel), inputs are checked by the contract, nothing opens before the responder's passphrase,
// and the typed refusals of shared/kitOfflineContract.ts hold: wrong passphrase, another operator, an expired order,
// no uses left, a tampered manifest or chain. A use writes the order file, quarantines in the kit and is recorded in
// the kit's chain, which the CLI's offline commands read the same way; the kit then imports into the store.
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { createKitModeRouter, type KitModeRouter } from '../../electron/services/incidentKit/kitModeRouter.ts';
import { runOfflineKitCommand } from '../../electron/ipc/cli/kitCli.ts';
import { parseCommandLine } from '../../electron/ipc/cli/args.ts';
import type { Envelope } from '../../shared/contract.ts';
import { KIT_OFFLINE_REFUSALS } from '../../shared/kitOfflineContract.ts';
import { PASSPHRASE, openUnlocked, removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { contractCaller } from './support/consoleCalls.ts';

let c: FleetConsole;
const call = contractCaller(() => c);
const work = tempDir('ecps-kit-mode-');
const kitDir = join(work, 'kit');
/** The kit's clock: the test moves it past the short order's expiry. */
let ahead = 0;
const now = () => new Date(Date.now() + ahead);
let router: KitModeRouter;

const route = (channel: unknown, input: unknown, r: KitModeRouter = router) => r.route({ channel, input, ctx: { transport: 'test' }, trustedSender: true });
/** A refusal as [code, details.kitError]; null when the call succeeded. */
const refusal = (e: Envelope<unknown>) => (e.ok ? null : [e.error.code, e.error.details?.kitError ?? null]);
const value = <T>(e: Envelope<unknown>): T => {
  if (!e.ok) throw new Error(`${e.error.code}: ${e.error.message}`);
  return e.value as T;
};
const pair = (r: { code: string; kitError: string | null }) => [r.code, r.kitError];

beforeAll(async () => {
  c = await openUnlocked();
  await call('keys:create', { type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' });
  for (const [deviceId, site] of [['uv-001', 'Plant 1'], ['uv-002', 'Plant 1'], ['uv-003', 'Plant 2']] as const) {
    await call('fleet:create', { deviceId, name: deviceId, model: 'UV-7', site, firmware: '2.1.0', status: 'deployed' });
  }
  await call('ca:init', { providerId: 'local', algorithm: 'EC_P256', commonName: 'Fleet CA' });
  await call('kit:export', {
    dir: kitDir, passphrase: PASSPHRASE, reason: 'readiness',
    orders: [
      { name: 'robot uv-002', scope: { deviceIds: ['uv-002'] }, maxUses: 1, validForSeconds: 3600 },
      { name: 'robot uv-003', scope: { deviceIds: ['uv-003'] }, maxUses: 2, validForSeconds: 60 },
    ],
  });
  router = createKitModeRouter({ dir: kitDir, now });
}, 60_000);

afterAll(() => {
  c?.close();
  removeTempDirs();
});

describe('kit mode: what is served', () => {
  it('the manifest before sign-in; nothing of the sealed kit until the passphrase', async () => {
    const status = value<{ kitMode: boolean; signedIn: boolean; offline: boolean; providers: string; manifest: { responder: string; robots: number; orders: Array<{ name: string }> } }>(await route('kitOffline:status', {}));
    expect([status.kitMode, status.offline, status.providers, status.signedIn]).toEqual([true, true, 'none', false]);
    expect([status.manifest.responder, status.manifest.robots, status.manifest.orders.map((o) => o.name)]).toEqual(['alice', 3, ['robot uv-002', 'robot uv-003']]);
    for (const ch of ['kitOffline:info', 'kitOffline:robots', 'kitOffline:certificates', 'kitOffline:audit']) expect(refusal(await route(ch, {})), ch).toEqual(pair(KIT_OFFLINE_REFUSALS.notSignedIn));
    expect(refusal(await route('kitOffline:useOrder', { order: 'robot uv-002', reason: 'x' }))).toEqual(pair(KIT_OFFLINE_REFUSALS.notSignedIn));
  });

  it('every console channel is refused with offline_kit, an unknown one with unknown_channel, an untrusted sender first', async () => {
    for (const [ch, input] of [['keys:list', {}], ['session:status', {}], ['kit:import', { dir: kitDir }], ['fleet:list', {}]] as const) {
      expect(refusal(await route(ch, input)), ch).toEqual(pair(KIT_OFFLINE_REFUSALS.otherChannel));
    }
    expect(refusal(await route('kitOffline:nope', {}))).toEqual(['unknown_channel', null]);
    expect(refusal(await route(42, {}))).toEqual(['unknown_channel', null]);
    const untrusted = await router.route({ channel: 'kitOffline:status', input: {}, ctx: { transport: 'test' }, trustedSender: false });
    expect(refusal(untrusted)).toEqual(['forbidden_sender', null]);
  });

  it('inputs are checked by the contract: extra fields, an empty reason, a relative output path', async () => {
    const BAD: Array<[string, unknown, string]> = [
      ['kitOffline:signIn', { operator: 'alice', passphrase: PASSPHRASE, remember: true }, 'remember'],
      ['kitOffline:signIn', { operator: '', passphrase: PASSPHRASE }, 'operator'],
      ['kitOffline:useOrder', { order: 'robot uv-002', reason: '   ' }, 'reason'],
      ['kitOffline:useOrder', { order: 'robot uv-002', reason: 'x', out: 'relative/order.json' }, 'out'],
      ['kitOffline:status', { extra: 1 }, 'extra'],
    ];
    for (const [ch, input, field] of BAD) {
      const e = await route(ch, input);
      expect(refusal(e), `${ch} ${field}`).toEqual(['invalid_input', null]);
      expect(e.ok ? '' : e.error.message).toContain(field);
    }
  });
});

describe('kit mode: signed in', () => {
  it('a wrong passphrase and another operator are refused; the responder opens it offline', async () => {
    expect(refusal(await route('kitOffline:signIn', { operator: 'alice', passphrase: 'not the passphrase' }))).toEqual(pair(KIT_OFFLINE_REFUSALS.wrongPassphrase));
    expect(refusal(await route('kitOffline:signIn', { operator: 'mallory', passphrase: PASSPHRASE }))).toEqual(['forbidden', 'wrong_responder']);
    const info = value<{ offline: boolean; providers: string; robots: number; crlNumber: number | null; orders: Array<{ remaining: number }> }>(await route('kitOffline:signIn', { operator: 'alice', passphrase: PASSPHRASE }));
    expect([info.offline, info.providers, info.robots, info.orders.map((o) => o.remaining)]).toEqual([true, 'none', 3, [1, 2]]);
    expect(info.crlNumber).not.toBeNull();
    expect(value<{ signedIn: boolean }>(await route('kitOffline:status', {})).signedIn).toBe(true);
    const certs = value<{ crl: { serials: string[] } | null }>(await route('kitOffline:certificates', {}));
    expect(certs.crl?.serials).toEqual([]);
  });

  it('using an order: uses left go down, the robot is quarantined in the kit, the file written, the use recorded', async () => {
    const used = value<{ order: { remaining: number; used: number }; quarantined: string[]; writtenTo: string }>(await route('kitOffline:useOrder', { order: 'robot uv-002', reason: 'uv-002 stolen' }));
    expect([used.order.used, used.order.remaining, used.quarantined]).toEqual([1, 0, ['uv-002']]);
    expect(used.writtenTo.startsWith(join(kitDir, 'orders'))).toBe(true);
    expect(JSON.parse(readFileSync(used.writtenTo, 'utf8'))).toBeTypeOf('object');
    const robots = value<{ robots: Array<{ deviceId: string; status: string }> }>(await route('kitOffline:robots', {})).robots;
    expect(robots.map((r) => [r.deviceId, r.status])).toEqual([['uv-001', 'deployed'], ['uv-002', 'quarantined'], ['uv-003', 'deployed']]);
    const audit = value<{ verified: boolean; records: Array<{ action: string; outcome: string; targetId: string | null }> }>(await route('kitOffline:audit', {}));
    expect(audit.verified).toBe(true);
    expect(audit.records.map((r) => [r.action, r.outcome])).toEqual([['kit.open', 'success'], ['kit.order.use', 'success'], ['kit.robot.quarantine', 'success']]);
    // An output file that is already there is refused before the use counts.
    const out = join(work, 'taken.json');
    writeFileSync(out, 'x');
    expect(refusal(await route('kitOffline:useOrder', { order: 'robot uv-003', reason: 'x', out }))).toEqual(['invalid_input', null]);
    expect(value<{ orders: Array<{ remaining: number }> }>(await route('kitOffline:info', {})).orders[1]!.remaining).toBe(2);
  });

  it('no uses left and an expired order are refused with their typed errors, each refusal recorded in the chain', async () => {
    expect(refusal(await route('kitOffline:useOrder', { order: 'robot uv-002', reason: 'again' }))).toEqual(pair(KIT_OFFLINE_REFUSALS.noUsesLeft));
    ahead = 2 * 3600_000;
    expect(refusal(await route('kitOffline:useOrder', { order: 'robot uv-003', reason: 'too late' }))).toEqual(pair(KIT_OFFLINE_REFUSALS.expiredOrder));
    ahead = 0;
    const audit = value<{ records: Array<{ action: string; outcome: string; details: Record<string, unknown> }> }>(await route('kitOffline:audit', {}));
    expect(audit.records.slice(-2).map((r) => [r.action, r.outcome, r.details.kitError])).toEqual([['kit.order.use', 'failure', 'order_exhausted'], ['kit.order.use', 'failure', 'order_expired']]);
  });

  it('the CLI reads the same kit the window wrote (one offline code path)', async () => {
    const lines: string[] = [];
    const parsed = parseCommandLine(['--operator', 'alice', 'kit', 'status', '--kit', kitDir, '--json'], {});
    expect(await runOfflineKitCommand(parsed, { out: (l) => lines.push(l), readPassphrase: async () => PASSPHRASE, now })).toBe(0);
    const status = JSON.parse(lines.join('\n')) as { orders: Array<{ name: string; used: number }> };
    expect(status.orders.map((o) => [o.name, o.used])).toEqual([['robot uv-002', 1], ['robot uv-003', 0]]);
  });
});

describe('kit mode: a tampered kit', () => {
  it('a changed chain shows as broken; a changed manifest is refused at the sign-in page and at sign-in', async () => {
    const copy = join(work, 'copy');
    cpSync(kitDir, copy, { recursive: true });
    const other = createKitModeRouter({ dir: copy, now });
    value(await route('kitOffline:signIn', { operator: 'alice', passphrase: PASSPHRASE }, other));
    const audit = readFileSync(join(copy, 'audit.jsonl'), 'utf8');
    writeFileSync(join(copy, 'audit.jsonl'), audit.replace('uv-002 stolen', 'uv-002 found'));
    const view = value<{ verified: boolean; problem: { kitError: string } }>(await route('kitOffline:audit', {}, other));
    expect([view.verified, view.problem.kitError]).toEqual([false, KIT_OFFLINE_REFUSALS.tamperedAudit.kitError]);
    expect(refusal(await route('kitOffline:signIn', { operator: 'alice', passphrase: PASSPHRASE }, other))).toEqual(pair(KIT_OFFLINE_REFUSALS.tamperedAudit));

    const manifest = JSON.parse(readFileSync(join(copy, 'manifest.json'), 'utf8')) as { body: string };
    const body = JSON.parse(Buffer.from(manifest.body, 'base64').toString('utf8')) as { robots: number };
    writeFileSync(join(copy, 'manifest.json'), JSON.stringify({ ...manifest, body: Buffer.from(JSON.stringify({ ...body, robots: 99 })).toString('base64') }));
    const status = value<{ manifest: unknown; problem: { code: string; kitError: string } }>(await route('kitOffline:status', {}, other));
    expect([status.manifest, status.problem.code, status.problem.kitError]).toEqual([null, ...pair(KIT_OFFLINE_REFUSALS.tamperedManifest)]);
    expect(refusal(await route('kitOffline:signIn', { operator: 'alice', passphrase: PASSPHRASE }, other))).toEqual(pair(KIT_OFFLINE_REFUSALS.tamperedManifest));
  });
});

/** A copy of the kit (its own files, so its own throttle count) served by a router on a clock the test moves. */
function kitCopy(name: string, idleLock?: { intervalMs: null }) {
  const dir = join(work, name);
  cpSync(kitDir, dir, { recursive: true });
  const clock = { ms: Date.now() };
  const at = () => new Date(clock.ms);
  return { dir, clock, at, router: createKitModeRouter({ dir, now: at, ...(idleLock ? { idleLock } : {}) }) };
}
const errorOf = (e: Envelope<unknown>) => (e.ok ? null : e.error);

describe('kit mode: wrong passphrases are throttled per kit', () => {
  // The operators' unlock policy (docs/operators.md): 3 attempts free, then 5 s after the 3rd failure, doubling.
  const WAIT_AFTER_FAILURE = [0, 0, 5_000, 10_000, 20_000];

  it('waits grow after the free attempts, survive a restart of the console and the CLI, and end with the right passphrase', async () => {
    const { dir, clock, at, router: r } = kitCopy('throttled');
    const wrong = () => route('kitOffline:signIn', { operator: 'alice', passphrase: 'a wrong guess' }, r);
    const right = (via = r) => route('kitOffline:signIn', { operator: 'alice', passphrase: PASSPHRASE }, via);
    for (const wait of WAIT_AFTER_FAILURE.slice(0, 3)) {
      const e = errorOf(await wrong());
      expect([e?.code, e?.details?.retryAfterMs ?? 0]).toEqual(['wrong_passphrase', wait]);
    }
    // Even the right passphrase waits: refused with the wait in words, and the refusal does not count.
    const held = errorOf(await right());
    expect([held?.code, held?.details?.retryAfterMs, held?.message]).toEqual(['too_many_attempts', 5_000, expect.stringContaining('try again in 5 s')]);
    expect(pair({ code: held!.code, kitError: null })).toEqual(pair(KIT_OFFLINE_REFUSALS.tooManyAttempts));
    clock.ms += 4_000;
    expect(value<{ retryAfterMs: number }>(await route('kitOffline:status', {}, r)).retryAfterMs).toBe(1_000);
    // Restarting the offline console (a new router, the CLI) does not reset it: the count is in the kit's files.
    const restarted = createKitModeRouter({ dir, now: at });
    expect(errorOf(await right(restarted))?.code).toBe('too_many_attempts');
    const cli = runOfflineKitCommand(parseCommandLine(['--operator', 'alice', 'kit', 'status', '--kit', dir], {}), { out: () => undefined, readPassphrase: async () => PASSPHRASE, now: at });
    await expect(cli).rejects.toMatchObject({ code: 'too_many_attempts', details: { retryAfterMs: 1_000 } });
    clock.ms += 1_000;
    const fourth = errorOf(await wrong());
    expect([fourth?.code, fourth?.details?.retryAfterMs]).toEqual(['wrong_passphrase', WAIT_AFTER_FAILURE[3]]);
    clock.ms += WAIT_AFTER_FAILURE[3]! - 1;
    expect(errorOf(await right(restarted))?.message).toContain('try again in 1 s');
    clock.ms += 1;
    expect(value<{ kitId: string }>(await right(restarted)).kitId).toBeTypeOf('string');
    // The failures before it are recorded in the kit's chain with the sign-in (a guesser has no key to record them).
    const records = value<{ records: Array<{ action: string; details: Record<string, unknown> }> }>(await route('kitOffline:audit', {}, restarted)).records;
    expect(records.filter((x) => x.action === 'kit.open').at(-1)!.details.failedAttemptsBefore).toBe(4);
    // The count started over: the next wrong passphrases are free again.
    for (const wait of WAIT_AFTER_FAILURE.slice(0, 2)) expect(errorOf(await wrong())?.details?.retryAfterMs ?? 0).toBe(wait);
  });

  it('a second kit keeps its own count, and parallel attempts cannot slip past the wait', async () => {
    const { router: r } = kitCopy('throttled-parallel');
    const { router: other } = kitCopy('throttled-other');
    const attempts = await Promise.all(Array.from({ length: 5 }, () => route('kitOffline:signIn', { operator: 'alice', passphrase: 'a wrong guess' }, r)));
    expect(attempts.map((e) => errorOf(e)?.code)).toEqual(['wrong_passphrase', 'wrong_passphrase', 'wrong_passphrase', 'too_many_attempts', 'too_many_attempts']);
    expect(value<{ kitId: string }>(await route('kitOffline:signIn', { operator: 'alice', passphrase: PASSPHRASE }, other)).kitId).toBeTypeOf('string');
  });
});

describe('kit mode: the idle lock', () => {
  const MIN = 60_000;
  const IDLE = 10 * MIN; // the console's default idle time (docs/operators.md "Idle lock")
  const signIn = (r: KitModeRouter) => route('kitOffline:signIn', { operator: 'alice', passphrase: PASSPHRASE }, r);
  const statusOf = async (r: KitModeRouter) => value<{ signedIn: boolean; lockedBy: string | null }>(await route('kitOffline:status', {}, r));

  it('calls keep the kit open; the idle time without one locks it back to the sign-in page, recorded in the chain', async () => {
    const { clock, router: r } = kitCopy('idle', { intervalMs: null });
    value(await signIn(r));
    clock.ms += IDLE - MIN;
    value(await route('kitOffline:robots', {}, r));
    clock.ms += IDLE - MIN;
    value(await route('kitOffline:info', {}, r));
    // The window's own status polls are not activity.
    clock.ms += IDLE / 2;
    expect(await statusOf(r)).toEqual(expect.objectContaining({ signedIn: true, lockedBy: null }));
    clock.ms += IDLE / 2;
    expect(await statusOf(r)).toEqual(expect.objectContaining({ signedIn: false, lockedBy: 'idle' }));
    expect(refusal(await route('kitOffline:info', {}, r))).toEqual(pair(KIT_OFFLINE_REFUSALS.notSignedIn));
    value(await signIn(r));
    expect((await statusOf(r)).lockedBy).toBeNull();
    const records = value<{ records: Array<{ action: string; details: Record<string, unknown> }> }>(await route('kitOffline:audit', {}, r)).records;
    expect(records.slice(-3).map((x) => [x.action, x.details.reason ?? null])).toEqual([['kit.open', null], ['kit.lock', 'idle'], ['kit.open', null]]);
  });

  it('a page hidden for the idle time locks it, a call after the idle time finds it locked, and the OS suspending locks it at once', async () => {
    const { clock, router: r } = kitCopy('idle-hidden', { intervalMs: null });
    value(await signIn(r));
    value(await route('kitOffline:visibility', { hidden: true }, r));
    clock.ms += IDLE;
    expect((await statusOf(r)).lockedBy).toBe('hidden');
    value(await signIn(r));
    clock.ms += IDLE;
    expect(refusal(await route('kitOffline:robots', {}, r))).toEqual(pair(KIT_OFFLINE_REFUSALS.notSignedIn));
    expect((await statusOf(r)).lockedBy).toBe('idle');
    value(await signIn(r));
    expect(r.idle?.lockNow('suspend')).toBe(true);
    expect(await statusOf(r)).toEqual(expect.objectContaining({ signedIn: false, lockedBy: 'suspend' }));
  });

  it('without the idle lock (the CLI and tests) nothing locks by itself', async () => {
    const { clock, router: r } = kitCopy('no-idle');
    value(await signIn(r));
    clock.ms += 3 * IDLE;
    expect(r.idle).toBeNull();
    value(await route('kitOffline:info', {}, r));
  });
});

describe('back online', () => {
  it('the kit used in the window imports into the store with the quarantine reconciled', async () => {
    expect(existsSync(join(kitDir, 'orders'))).toBe(true);
    expect(readdirSync(join(kitDir, 'orders'))).toHaveLength(1);
    const report = await call('kit:import', { dir: kitDir });
    expect([report.quarantined, report.ordersUsed.map((o) => [o.name, o.uses])]).toEqual([['uv-002'], [['robot uv-002', 1]]]);
    expect((await call('fleet:get', { deviceId: 'uv-002' })).status).toBe('quarantined');
  });
});
