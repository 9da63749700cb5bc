// The CLI's emergency and lockdown commands (docs/emergency-response.md, docs/cli.md) through runCli in this process
// on a real store in a temp folder: preview and execute with --json, the exit code of a run with a failed action (1)
// and of its retry (0), a wide scope refused without break-glass (1), usage mistakes (2), and lockdown order / lift
// files that the robot's checks accept. Robots and keys are seeded through a console while no command runs.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsole } from '../../electron/app.ts';
import { silentLogger } from '../../electron/logger.ts';
import { applyOrder, distrustsCa, UNLOCKED, verifyOrder } from '../../electron/services/emergency/lockdownOrder.ts';
import { contract, type ChannelInput, type ChannelName, type ChannelOutput } from '../../shared/contract.ts';
import { CTX, FAST_KDF } from '../unit/store-testkit.ts';
import { cliJson, cliRunner } from './support/cliProcess.ts';

const PASS = 'Emergency-CLI-Passphrase-Marker 0451';
const { dir, cli: run } = cliRunner('ecps-cli-emergency-', PASS, 'in-process');
const data = join(dir, 'store');
const json = cliJson(run);
const ids = { comm: '', emergency: '' };
let emergencyPem = '';

type Call = <C extends ChannelName>(channel: C, input: ChannelInput<C>) => Promise<ChannelOutput<C>>;
async function withConsole<T>(fn: (call: Call) => Promise<T>): Promise<T> {
  const c = await createConsole({ dataDir: data, kdf: FAST_KDF, logger: silentLogger, rotation: { scheduler: false } });
  const call: Call = async (channel, input) => {
    const raw = await (c.handlers[channel] as (i: unknown, ctx: typeof CTX) => Promise<unknown>)(contract[channel].input.parse(input), CTX);
    return contract[channel].output.parse(raw) as never;
  };
  try {
    await call('session:unlock', { operator: 'alice', passphrase: PASS });
    return await fn(call);
  } finally {
    c.close();
  }
}

beforeAll(async () => {
  expect((await run(['init'])).code).toBe(0);
  await withConsole(async (call) => {
    ids.comm = (await call('keys:create', { type: 'communication', label: 'Plant 1 comm', algorithm: 'AES_256' })).id;
    ids.emergency = (await call('keys:create', { type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' })).id;
    emergencyPem = (await call('keys:publicKey', { keyId: ids.emergency })).pem;
    for (const deviceId of ['uv-001', 'uv-002', 'uv-003']) {
      await call('fleet:create', { deviceId, name: deviceId, model: 'UV-7', site: 'Plant 1', firmware: '2.1.0', status: 'deployed' });
    }
    await call('fleet:assignKey', { scope: 'site', scopeId: 'Plant 1', keyType: 'communication', keyId: ids.comm });
  });
  // The robots hold the site key (as after provisioning).
  const c = await createConsole({ dataDir: data, kdf: FAST_KDF, logger: silentLogger, rotation: { scheduler: false } });
  try {
    await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASS }, CTX);
    for (const deviceId of ['uv-001', 'uv-002', 'uv-003']) c.fleet.recordKeyVersions(deviceId, [{ keyId: ids.comm, version: 1 }], 'provisioning');
  } finally {
    c.close();
  }
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const accepts = (file: string, deviceId: string, lastSequence: number) =>
  verifyOrder(readFileSync(file), { emergencyPublicKey: createPublicKey(emergencyPem), robot: { deviceId, site: 'Plant 1', model: 'UV-7', firmware: '2.1.0', tags: [] }, lastSequence, now: new Date() });

describe('emergency preview / execute', () => {
  it('preview --json: the robot, its shared site key to rotate for the two others; the human form says the same', async () => {
    const p = await json(['emergency', 'preview', '--robot', 'uv-001']);
    expect(p).toMatchObject({ approval: 'one_officer', robots: { total: 1 }, outside: { sharedKeys: 1, holdingsOutside: 2 } });
    expect((p.keys as Array<{ keyId: string; plan: string }>).map((k) => [k.keyId, k.plan])).toEqual([[ids.comm, 'rotate']]);
    const human = await run(['emergency', 'preview', '--site', 'Plant 1']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/robots: 3 \(3 deployed\)/);
    expect(human.stdout).toMatch(/two-person approval/);
  });

  it('usage mistakes exit 2: no scope, two scopes, no action, a malformed --key', async () => {
    for (const args of [
      ['emergency', 'preview'],
      ['emergency', 'preview', '--robot', 'uv-001', '--site', 'Plant 1'],
      ['emergency', 'execute', '--robot', 'uv-001', '--reason', 'x'],
      ['emergency', 'execute', '--key', 'abc:zero', '--quarantine', '--reason', 'x'],
      ['lockdown', 'order', '--key', 'abc:zero', '--reason', 'x', '--out', join(dir, 'x.json')],
      ['lockdown', 'order', '--key', 'abc', '--site', 'Plant 1', '--reason', 'x', '--out', join(dir, 'x.json')],
      // A lift never needs approval: break-glass does not apply to it.
      ['lockdown', 'lift', '--site', 'Plant 1', '--reason', 'x', '--break-glass', 'alone', '--out', join(dir, 'x.json')],
    ]) expect((await run(args)).code, args.join(' ')).toBe(2);
  });

  it('a wide scope without --break-glass exits 1 (two-person approval); with --dry-run it exits 0 and changes nothing', async () => {
    const refused = await run(['emergency', 'execute', '--site', 'Plant 1', '--quarantine', '--reason', 'site breach']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/approval_required|two-person approval/);
    const dry = await json(['emergency', 'execute', '--site', 'Plant 1', '--quarantine', '--reason', 'site breach', '--dry-run']);
    expect(dry).toMatchObject({ dryRun: true, run: null, preview: { robots: { total: 3 } } });
    expect((await json(['emergency', 'preview', '--site', 'Plant 1'])).robots).toMatchObject({ byStatus: [{ status: 'deployed', count: 3 }] });
  });

  it('execute --json on one robot: quarantined, site key rotated, lockdown order written; exit 0', async () => {
    const out = join(dir, 'uv-001-lockdown.json');
    const r = await json(['emergency', 'execute', '--robot', 'uv-001', '--quarantine', '--rotate-shared', '--lockdown', '--reason', 'uv-001 stolen', '--message', 'Stolen: stop', '--valid-for', '3600', '--out', out]);
    const runView = r.run as { state: string; steps: Array<{ action: string; state: string }> };
    expect(runView.state).toBe('done');
    expect(runView.steps.map((s) => [s.action, s.state])).toEqual([['quarantine', 'done'], ['rotate_shared', 'done'], ['lockdown', 'done']]);
    expect(accepts(out, 'uv-001', 0)).toMatchObject({ kind: 'lockdown', actions: ['stop_operating'], message: 'Stolen: stop' });
    expect(() => accepts(out, 'uv-002', 0)).toThrow(expect.objectContaining({ code: 'out_of_scope' }));
  });

  it('a failed action exits 1 (no active emergency key to sign the order); the retry, once there is one, exits 0', async () => {
    await withConsole((call) => call('keys:setState', { keyId: ids.emergency, state: 'suspended', reason: 'drill' }));
    const failed = await run(['emergency', 'execute', '--robot', 'uv-002', '--robot', 'uv-003', '--quarantine', '--lockdown', '--reason', 'drill', '--json']);
    expect(failed.code).toBe(1);
    const runView = (JSON.parse(failed.stdout) as { run: { runId: string; state: string; steps: Array<{ action: string; state: string; errorCode: string | null }> } }).run;
    expect(runView.steps.map((s) => [s.action, s.state, s.errorCode])).toEqual([['quarantine', 'done', null], ['lockdown', 'failed', 'not_found']]);
    await withConsole((call) => call('keys:setState', { keyId: ids.emergency, state: 'active', reason: 'drill over' }));
    const out = join(dir, 'retry-lockdown.json');
    const retried = await run(['emergency', 'retry', runView.runId, '--out', out]);
    expect(retried.code).toBe(0);
    expect(retried.stdout).toMatch(/lockdown: done/);
    expect(accepts(out, 'uv-003', 1).scope).toEqual({ deviceIds: ['uv-002', 'uv-003'] });
  });
});

describe('lockdown order / lift', () => {
  it('writes signed files the robot accepts in sequence', async () => {
    const lock = join(dir, 'site-lock.json');
    const lift = join(dir, 'site-lift.json');
    const a = await json(['lockdown', 'order', '--site', 'Plant 1', '--reason', 'site drill', '--order-actions', 'safe_mode', '--out', lock]);
    const b = await json(['lockdown', 'lift', '--site', 'Plant 1', '--reason', 'drill over', '--out', lift]);
    expect([a.kind, b.kind]).toEqual(['lockdown', 'lift']);
    expect(b.sequence).toBe((a.sequence as number) + 1);
    expect(accepts(lock, 'uv-002', 0)).toMatchObject({ kind: 'lockdown', actions: ['safe_mode'] });
    expect(accepts(lift, 'uv-002', a.sequence as number).kind).toBe('lift');
    // An existing file is not replaced without --force.
    expect((await run(['lockdown', 'lift', '--site', 'Plant 1', '--reason', 'again', '--out', lift])).code).toBe(1);
  });

  it('--key ID:VERSION names the robots holding that version; --break-glass signs at once and records a run to review', async () => {
    // beforeAll: uv-001, uv-002 and uv-003 hold version 1 of the site key.
    const file = join(dir, 'key-lock.json');
    const o = await json(['lockdown', 'order', '--key', `${ids.comm}:1`, '--reason', 'site key copied', '--break-glass', 'no second officer', '--out', file]);
    expect(o.scope).toEqual({ deviceIds: ['uv-001', 'uv-002', 'uv-003'] });
    expect(typeof o.runId).toBe('string');
    expect(accepts(file, 'uv-002', 0)).toMatchObject({ kind: 'lockdown', scope: { deviceIds: ['uv-001', 'uv-002', 'uv-003'] } });
    const runView = await withConsole((call) => call('emergency:run', { runId: o.runId as string }));
    expect([runView.review, runView.breakGlassReason, runView.actions]).toEqual(['needs_review', 'no second officer', ['lockdown']]);
    // A key version nobody holds: refused (exit 1), no file written.
    const none = await run(['lockdown', 'order', '--key', `${ids.comm}:7`, '--reason', 'x', '--out', join(dir, 'nobody.json')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/order for nobody/);
    expect(existsSync(join(dir, 'nobody.json'))).toBe(false);
  });

  it('each refusal exits 1 with no file and no order number used; each is audited, an existing --out refused first (by the CLI)', async () => {
    // [what, arguments, stderr, the audited refusal code].
    const taken = join(dir, 'taken.json');
    writeFileSync(taken, 'an earlier order file');
    const cases: Array<[string, string[], RegExp, string]> = [
      ['a key version nobody holds', ['--key', `${ids.comm}:9`], /order for nobody/, 'invalid_input'],
      ['an unknown serial', ['--serial', '0badc0de'], /not_found.*No robot certificate with serial 0badc0de/, 'not_found'],
      ['wipe_keys naming no key', ['--robot', 'uv-001', '--order-actions', 'wipe_keys'], /invalid_input.*The order is not valid/, 'invalid_input'],
      ['an --out file that exists', ['--robot', 'uv-001', '--out', taken], /exists; it was not changed/, 'invalid_input'],
    ];
    const count = () => withConsole(async (call) => ({
      sequences: (await call('emergency:lockdownList', {})).orders.map((o) => o.sequence),
      refusals: (await call('audit:query', { action: 'lockdown.order', offset: 0, limit: 1000 })).records.filter((r) => r.outcome === 'failure'),
    }));
    const before = await count();
    let refusals = before.refusals.length;
    for (const [what, args, stderr, audited] of cases) {
      const out = args.includes('--out') ? [] : ['--out', join(dir, `refused-${refusals}.json`)];
      const r = await run(['lockdown', 'order', ...args, '--reason', 'refusal drill', ...out]);
      expect({ what, code: r.code, stderr: stderr.test(r.stderr) }).toEqual({ what, code: 1, stderr: true });
      const now = await count();
      expect({ what, sequences: now.sequences }).toEqual({ what, sequences: before.sequences });
      expect({ what, refusals: now.refusals.length, code: now.refusals[0]?.details.code, signed: now.refusals[0]?.details.signed, why: now.refusals[0]?.details.reason })
        .toEqual({ what, refusals: refusals + 1, code: audited, signed: false, why: 'refusal drill' });
      refusals++;
    }
    expect(readFileSync(taken, 'utf8')).toBe('an earlier order file');
    expect(existsSync(join(dir, 'refused-0.json'))).toBe(false);
    // The next order takes the next number.
    const next = await json(['lockdown', 'order', '--robot', 'uv-001', '--reason', 'after the refusals', '--out', join(dir, 'after-refusals.json')]);
    expect(next.sequence).toBe(Math.max(0, ...before.sequences) + 1);
  });

  it('--expect-robots N: another count is refused with a clear error, exit 1, nothing signed; the right count signs', async () => {
    // beforeAll: three robots (uv-001..uv-003) hold version 1 of the site key.
    const wrong = join(dir, 'expect-wrong.json');
    const refused = await run(['lockdown', 'order', '--key', `${ids.comm}:1`, '--expect-robots', '2', '--reason', 'counted', '--break-glass', 'alone', '--out', wrong]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/illegal_transition.*now resolves to 3 robot\(s\), not the 2 expected: nothing was signed/);
    expect(existsSync(wrong)).toBe(false);
    const right = join(dir, 'expect-right.json');
    const signed = await json(['lockdown', 'order', '--key', `${ids.comm}:1`, '--expect-robots', '3', '--reason', 'counted', '--break-glass', 'alone', '--out', right]);
    expect(signed.scope).toEqual({ deviceIds: ['uv-001', 'uv-002', 'uv-003'] });
    // The refusal used no order number: the signed order follows the one before it.
    const orders = await withConsole((call) => call('emergency:lockdownList', {}));
    expect(orders.orders.map((o) => o.sequence).slice(0, 2)).toEqual([signed.sequence, (signed.sequence as number) - 1]);
    expect(accepts(right, 'uv-003', 0).scope).toEqual({ deviceIds: ['uv-001', 'uv-002', 'uv-003'] });
  });
});

describe('--distrust-ca: robots stop trusting a fleet CA (docs/lockdown-orders.md, "Version 2")', () => {
  const ca = { id: '', keyId: '' };
  /** The order file's body (docs/lockdown-orders.md, "File format"): base64 JSON inside the signed envelope. */
  const bodyOf = (file: string) => JSON.parse(Buffer.from((JSON.parse(readFileSync(file, 'utf8')) as { body: string }).body, 'base64').toString('utf8')) as Record<string, unknown>;
  beforeAll(async () => {
    await withConsole(async (call) => {
      await call('ca:init', { providerId: 'local', algorithm: 'EC_P256', commonName: 'CLI Distrust CA' });
      const [current] = (await call('ca:history', {})).cas;
      ca.id = current!.id;
      // The key id robots know a CA by: SHA-256 (hex) of its certificate's SubjectPublicKeyInfo DER.
      ca.keyId = createHash('sha256').update(new X509Certificate(current!.certificatePem).publicKey.export({ format: 'der', type: 'spki' })).digest('hex');
    });
  }, 60_000);

  it('lockdown order --distrust-ca CAID: a version 2 order naming the CA by its key id, which the robot accepts and then distrusts', async () => {
    const file = join(dir, 'distrust.json');
    const o = await json(['lockdown', 'order', '--robot', 'uv-002', '--distrust-ca', ca.id, '--reason', 'fleet CA key copied', '--out', file]);
    expect(o.actions).toEqual(['stop_operating', 'distrust_ca']);
    expect(bodyOf(file)).toMatchObject({ v: 2, actions: ['stop_operating', 'distrust_ca'], distrustCas: [ca.keyId], scope: { deviceIds: ['uv-002'] } });
    const state = applyOrder(UNLOCKED, accepts(file, 'uv-002', 0));
    expect(distrustsCa(state, ca.keyId)).toBe(true);
    // The human form says what the order does to trust.
    const human = await run(['lockdown', 'order', '--robot', 'uv-002', '--order-actions', 'safe_mode', '--distrust-ca', ca.id, '--reason', 'again', '--out', join(dir, 'distrust-2.json')]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`stop trusting fleet CA(s) ${ca.id} for good`);
    expect(bodyOf(join(dir, 'distrust-2.json'))).toMatchObject({ v: 2, actions: ['safe_mode', 'distrust_ca'], distrustCas: [ca.keyId] });
  });

  it('emergency execute --lockdown --distrust-ca CAID needs --break-glass and writes the run\'s order naming the CA; without --lockdown it is a usage mistake', async () => {
    const file = join(dir, 'distrust-run.json');
    const args = ['emergency', 'execute', '--robot', 'uv-003', '--lockdown', '--distrust-ca', ca.id, '--reason', 'fleet CA key copied', '--out', file];
    // Wide even for one robot (a distrust is final on robots): approval, or break-glass.
    const asked = await run(args);
    expect([asked.code, /approval_required.*Stopping robots trusting a fleet CA needs two-person approval/.test(asked.stderr), existsSync(file)]).toEqual([1, true, false]);
    const r = await json([...args, '--break-glass', 'no second officer']);
    expect(r.run as Record<string, unknown>).toMatchObject({ state: 'done', breakGlassReason: 'no second officer' });
    expect(bodyOf(file)).toMatchObject({ v: 2, actions: ['stop_operating', 'distrust_ca'], distrustCas: [ca.keyId], scope: { deviceIds: ['uv-003'] } });
    expect(distrustsCa(applyOrder(UNLOCKED, accepts(file, 'uv-003', 0)), ca.keyId)).toBe(true);
    const usage = await run(['emergency', 'execute', '--robot', 'uv-003', '--quarantine', '--distrust-ca', ca.id, '--reason', 'x']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--distrust-ca goes with --lockdown/);
  });

  it('a CA id that is not one, and an unknown CA: exit 1 with the typed error, no file, no order number used', async () => {
    const sequences = () => withConsole(async (call) => (await call('emergency:lockdownList', {})).orders.map((o) => o.sequence));
    const before = await sequences();
    const unknown = '00000000-0000-4000-8000-0000000000ca';
    // [what, the --distrust-ca value, stderr].
    const cases: Array<[string, string, RegExp]> = [
      ['not a CA id', 'ca-1', /invalid_input.*distrustCaIds.0: must be a fleet CA id \(a UUID, as ca:history lists it\)/],
      ['an unknown CA', unknown, new RegExp(`not_found.*No fleet CA ${unknown}`)],
    ];
    for (const [what, value, stderr] of cases) {
      const file = join(dir, `distrust-refused-${value}.json`);
      const r = await run(['lockdown', 'order', '--robot', 'uv-002', '--distrust-ca', value, '--reason', 'refusal drill', '--out', file]);
      expect({ what, code: r.code, stderr: r.stderr }).toEqual({ what, code: 1, stderr: expect.stringMatching(stderr) });
      expect({ what, written: existsSync(file) }).toEqual({ what, written: false });
    }
    expect(await sequences()).toEqual(before);
  });
});

describe('an --out file that exists', () => {
  it('each emergency command refuses it before anything is signed (exit 1, the file kept) and audits the refusal as the console does', async () => {
    const taken = join(dir, 'taken-by-an-earlier-order.json');
    writeFileSync(taken, 'an earlier order file');
    // A finished run to retry (its one action done: nothing pending).
    const finished = (await json(['emergency', 'execute', '--robot', 'uv-002', '--quarantine', '--reason', 'a run to retry'])).run as { runId: string; state: string };
    expect(finished.state).toBe('done');
    const why = { code: 'invalid_input', refusal: `Output file ${taken} exists; it was not changed (use --force to replace it).`, field: 'out', refusedBy: 'cli' };
    const failed = (action: string, targetId: string | null, details: Record<string, unknown>) => ({ actor: 'alice', action, targetType: null, targetId, outcome: 'failure', details: { ...details, ...why } });
    // [command line, the one record of the operation it leaves].
    const cases: Array<[string[], ReturnType<typeof failed>]> = [
      [['lockdown', 'order', '--site', 'Plant 1', '--reason', 'out taken', '--out', taken],
        failed('lockdown.order', null, { kind: 'lockdown', reason: 'out taken', scope: '{"site":"Plant 1"}', signed: false })],
      [['lockdown', 'lift', '--robot', 'uv-002', '--robot', 'uv-003', '--reason', 'lift, out taken', '--out', taken],
        failed('lockdown.order', null, { kind: 'lift', reason: 'lift, out taken', scope: '{"deviceIds":["uv-002","uv-003"]}', signed: false })],
      [['emergency', 'execute', '--robot', 'uv-003', '--lockdown', '--quarantine', '--reason', 'run, out taken', '--out', taken],
        failed('emergency.execute', null, { scope: '{"kind":"robot","deviceId":"uv-003"}', actions: 'quarantine,lockdown', reason: 'run, out taken', dryRun: false })],
      [['emergency', 'retry', finished.runId, '--out', taken],
        failed('emergency.retry', finished.runId, { actions: '' })],
    ];
    const OPERATIONS = ['lockdown.order', 'emergency.execute', 'emergency.retry'];
    const state = () => withConsole(async (call) => {
      const records = (await call('audit:query', { offset: 0, limit: 1000 })).records;
      return {
        seq: Math.max(...records.map((r) => r.seq)),
        records,
        sequences: (await call('emergency:lockdownList', {})).orders.map((o) => o.sequence),
        runs: (await call('emergency:runs', {})).runs.map((r) => [r.runId, r.state]),
      };
    });
    for (const [args, expected] of cases) {
      const before = await state();
      const r = await run(args);
      expect({ args, code: r.code, stderr: /invalid_input.*exists; it was not changed/.test(r.stderr) }).toEqual({ args, code: 1, stderr: true });
      const after = await state();
      // Nothing signed, no order number used, no run started or changed.
      expect({ args, sequences: after.sequences, runs: after.runs }).toEqual({ args, sequences: before.sequences, runs: before.runs });
      const added = after.records.filter((x) => x.seq > before.seq && OPERATIONS.includes(x.action));
      expect(added.map(({ actor, action, targetType, targetId, outcome, details }) => ({ actor, action, targetType, targetId, outcome, details }))).toEqual([expected]);
      expect(JSON.stringify(added)).not.toContain(PASS);
    }
    expect(readFileSync(taken, 'utf8')).toBe('an earlier order file');
  });
});
