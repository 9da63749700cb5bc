// The CLI's security-relevant commands of issues 11, 14 and 15 (electron/ipc/cli/commands.ts through runCli), in this
// process on real stores, against docs/cli.md, docs/operators.md ("Recovery codes"), docs/incident-kit.md and
// docs/emergency-response.md: --recovery-code and --totp at sign-in, `operators recovery-codes regenerate`, `kit
// export` / `kit import` and the offline kit commands (no store), `serve --kit`, `lockdown order` / `lift` and
// `emergency execute` / `retry` with their exit codes and files. Stores are seeded through the console's channels
// while no command runs; every test opens its own consoles (never in a beforeAll hook: vitest.mutate.config.ts).
import { createPublicKey } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { verifyOrder } from '../../electron/services/emergency/lockdownOrder.ts';
import { codeAt } from '../integration/support/totpCodes.ts';
import { auditRows, BOB_PASS, cli, cliEnv as env, cliFolder, escapeRegExp, seededStore, TEST_CTX, withConsole, type Run } from './cli-run-testkit.ts';

const { fresh } = cliFolder('ecps-cli-security-');
/** docs/operators.md: four groups of four characters of Crockford's base32 (no I, L, O, U). */
const CODE_SHAPE = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/;
const asBob = () => env({ ECPS_OPERATOR: 'bob', ECPS_PASSPHRASE: BOB_PASS });

const ok = (r: Run) => {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r;
};
const refused = (r: Run, code: string) => {
  expect([r.code, r.stdout]).toEqual([1, '']);
  expect(r.stderr).toMatch(new RegExp(`^error \\[${code}\\]: .+\\nhint: .+\\n$`));
};

/** alice with an authenticator app: its secret and the ten recovery codes of the enrolment. */
async function withAuthenticator(): Promise<{ dir: string; secret: string; codes: string[] }> {
  const dir = await seededStore(fresh());
  return withConsole(dir, async (c) => {
    const { secret } = await c.handlers['operators:enrollTotp']({}, TEST_CTX);
    // the code of the previous step, so that a command may use the current one
    const { recoveryCodes } = await c.handlers['operators:confirmTotp']({ code: codeAt(secret, Date.now(), -1) }, TEST_CTX);
    return { dir, secret, codes: recoveryCodes };
  });
}

describe('--recovery-code: one of the operator\'s codes instead of the second factor, once (docs/operators.md)', () => {
  it('without the factor the command is refused; a code opens once (audited as recovery_code), in any case and without dashes', async () => {
    const { dir, codes } = await withAuthenticator();
    const run = (args: string[], e = env()) => cli([...args, '--data-dir', dir], { env: e });
    refused(await run(['keys', 'list']), 'second_factor_required');
    ok(await run(['keys', 'list', '--recovery-code', codes[0]!]));
    const unlocks = auditRows(dir).filter((r) => r.action === 'session.unlock' && r.outcome === 'success');
    expect(unlocks.at(-1)).toMatchObject({ actor: 'alice', details: { secondFactor: 'recovery_code' } });
    // used up
    refused(await run(['keys', 'list', '--recovery-code', codes[0]!]), 'wrong_second_factor');
    // typed without dashes, in lower case
    ok(await run(['keys', 'list', '--recovery-code', codes[1]!.replace(/-/g, '').toLowerCase()]));
    // or from ECPS_RECOVERY_CODE
    ok(await run(['keys', 'list'], env({ ECPS_RECOVERY_CODE: codes[2]! })));
    // a wrong passphrase spends no code
    const wrongPass = await run(['keys', 'list', '--recovery-code', codes[3]!], env({ ECPS_PASSPHRASE: 'not alice passphrase at all' }));
    refused(wrongPass, 'wrong_passphrase');
    ok(await run(['keys', 'list', '--recovery-code', codes[3]!]));
    // no code is ever written to the output or the audit
    const text = JSON.stringify(auditRows(dir));
    for (const code of codes) expect(text).not.toContain(code);
  });

  it('--totp: the authenticator code signs in, on a one-shot command as at unlock', async () => {
    const { dir, secret } = await withAuthenticator();
    ok(await cli(['keys', 'list', '--totp', codeAt(secret, Date.now()), '--data-dir', dir]));
    expect(auditRows(dir).filter((r) => r.action === 'session.unlock' && r.outcome === 'success').at(-1)?.details).toMatchObject({ secondFactor: 'totp' });
  });

  it('operators recovery-codes regenerate prints ten new codes once; the old set no longer opens, a new code does', async () => {
    const { dir, codes } = await withAuthenticator();
    const run = (args: string[]) => cli([...args, '--data-dir', dir]);
    const regen = ok(await run(['operators', 'recovery-codes', 'regenerate', '--recovery-code', codes[0]!]));
    const lines = regen.stdout.split('\n');
    expect(lines.at(-1)).toBe('');
    // a heading that says what they are, then the ten codes, one a line
    expect(lines[0]).toMatch(/recovery codes/);
    expect(lines[0]).not.toMatch(CODE_SHAPE);
    const printed = lines.slice(1, -1);
    expect(printed).toHaveLength(10);
    for (const code of printed) expect(code).toMatch(CODE_SHAPE);
    expect(new Set(printed).size).toBe(10);
    refused(await run(['keys', 'list', '--recovery-code', codes[1]!]), 'wrong_second_factor');
    ok(await run(['keys', 'list', '--recovery-code', printed[9]!]));

    const json = ok(await run(['operators', 'recovery-codes', 'regenerate', '--recovery-code', printed[0]!, '--json']));
    const value = JSON.parse(json.stdout) as { recoveryCodes: string[] };
    expect(value.recoveryCodes).toHaveLength(10);
    for (const code of value.recoveryCodes) expect(code).toMatch(CODE_SHAPE);
    refused(await run(['keys', 'list', '--recovery-code', printed[1]!]), 'wrong_second_factor');
    // audited each time, as the set made at the enrolment was (docs/operators.md)
    expect(auditRows(dir).filter((r) => r.action === 'operator.recoveryCode.regenerate' && r.outcome === 'success')).toHaveLength(3);
  });

  it('an operator without a second factor has no codes to regenerate: illegal_transition, exit 1', async () => {
    const dir = await seededStore(fresh());
    refused(await cli(['operators', 'recovery-codes', 'regenerate', '--data-dir', dir]), 'illegal_transition');
  });
});

/** A store with an emergency key and two deployed robots at Plant 1 (what a kit and an order need). */
async function fleetStore(o: { siteKey?: boolean } = {}): Promise<{ dir: string; emergencyPem: string; emergencyId: string }> {
  const dir = await seededStore(fresh());
  return withConsole(dir, async (c) => {
    const call = <T,>(channel: string, input: unknown) => (c.handlers as unknown as Record<string, (i: unknown, ctx: typeof TEST_CTX) => Promise<T>>)[channel]!(input, TEST_CTX);
    const emergency = await call<{ id: string }>('keys:create', { type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' });
    for (const deviceId of ['uv-001', 'uv-002']) await call('fleet:create', { deviceId, name: deviceId, model: 'UV-7', site: 'Plant 1', firmware: '2.1.0', tags: [], status: 'deployed' });
    if (o.siteKey) {
      const comm = await call<{ id: string }>('keys:create', { type: 'communication', label: 'Plant 1 comm', algorithm: 'AES_256' });
      await call('fleet:assignKey', { scope: 'site', scopeId: 'Plant 1', keyType: 'communication', keyId: comm.id });
      for (const deviceId of ['uv-001', 'uv-002']) c.fleet.recordKeyVersions(deviceId, [{ keyId: comm.id, version: 1 }], 'provisioning');
    }
    const { pem } = await call<{ pem: string }>('keys:publicKey', { keyId: emergency.id });
    return { dir, emergencyPem: pem, emergencyId: emergency.id };
  });
}

/** What a robot's check says of an order file (docs/emergency-response.md, the robot's side). */
const robotCheck = (file: string, pem: string, deviceId: string, lastSequence: number) =>
  verifyOrder(readFileSync(file), { emergencyPublicKey: createPublicKey(pem), robot: { deviceId, site: 'Plant 1', model: 'UV-7', firmware: '2.1.0', tags: [] }, lastSequence, now: new Date() });

describe('kit export / import and the offline kit commands (docs/incident-kit.md, docs/cli.md)', () => {
  it('export writes the sealed kit and says what is in it; the offline commands read it with no store; import merges once', async () => {
    const { dir } = await fleetStore();
    const kit = fresh('kit');
    const exported = ok(await cli(['kit', 'export', '--out', kit, '--order', 'site:Plant 1', '--order', 'robot:uv-002', '--max-uses', '1', '--reason', 'uv-002 stolen', '--data-dir', dir]));
    const lines = exported.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^incident kit \\S+ for alice written to ${escapeRegExp(kit)} \\(2 robot\\(s\\); usable until \\S+\\)$`));
    expect(lines.slice(1, 3).map((l) => l.replace(/#\d+/, '#N').replace(/expires \S+$/, 'expires T'))).toEqual([
      '  order "site:Plant 1" #N: 1 use(s), expires T',
      '  order "robot:uv-002" #N: 1 use(s), expires T',
    ]);
    expect(lines.slice(3)).toEqual(['']);
    expect(readdirSync(kit).sort()).toEqual(['audit-head.json', 'audit.jsonl', 'kit.sealed', 'manifest.json']);

    // offline: no data folder is opened, the kit's own passphrase (alice's at export) opens it
    const noStore = fresh('never-created');
    const offline = (args: string[], e = env()) => cli(['--data-dir', noStore, ...args], { env: e });
    const status = ok(await offline(['kit', 'status', '--kit', kit]));
    expect(status.stdout).toMatch(/^OFFLINE: incident kit \S+ for alice /);
    refused(await offline(['kit', 'status', '--kit', kit], env({ ECPS_PASSPHRASE: 'not the kit passphrase' })), 'wrong_passphrase');
    const order = fresh('order');
    ok(await offline(['kit', 'use', 'site:Plant 1', '--kit', kit, '--reason', 'lock the site', '--out', order]));
    refused(await offline(['kit', 'use', 'site:Plant 1', '--kit', kit, '--reason', 'again']), 'usage_limit_reached');
    expect(existsSync(noStore)).toBe(false);
    expect(existsSync(order)).toBe(true);

    const imported = ok(await cli(['kit', 'import', kit, '--data-dir', dir]));
    expect(imported.stdout).toMatch(/^kit \S+ \(responder alice\): \d+ offline record\(s\) merged into the audit/);
    refused(await cli(['kit', 'import', kit, '--data-dir', dir]), 'illegal_transition');
  });

  it('export --json gives the kit id, responder, robots and orders', async () => {
    const { dir } = await fleetStore();
    const kit = fresh('kit');
    const value = JSON.parse(ok(await cli(['kit', 'export', '--out', kit, '--order', 'fleet', '--reason', 'drill', '--json', '--data-dir', dir])).stdout) as { responder: string; robots: number; orders: Array<{ name: string; maxUses: number }> };
    expect(value).toMatchObject({ responder: 'alice', robots: 2 });
    // docs/cli.md: --max-uses defaults to 3
    expect(value.orders.map((x) => [x.name, x.maxUses])).toEqual([['fleet', 3]]);
  });

  it('the kit is sealed with the passphrase the responder signs in with: a wrong one exports nothing', async () => {
    const { dir } = await fleetStore();
    const kit = fresh('kit');
    refused(await cli(['kit', 'export', '--out', kit, '--order', 'fleet', '--reason', 'x', '--data-dir', dir], { env: env({ ECPS_PASSPHRASE: 'not alice passphrase at all' }) }), 'wrong_passphrase');
    expect(existsSync(kit) ? readdirSync(kit) : []).toEqual([]);
  });

  it('a viewer may not export a kit (forbidden, exit 1, nothing written)', async () => {
    const { dir } = await fleetStore();
    const kit = fresh('kit');
    refused(await cli(['kit', 'export', '--out', kit, '--order', 'fleet', '--reason', 'x', '--data-dir', dir], { env: asBob() }), 'forbidden');
    expect(existsSync(kit) ? readdirSync(kit) : []).toEqual([]);
  });

  it('serve --kit serves the offline console on the kit until stopped, with no store opened', async () => {
    const { dir } = await fleetStore();
    const kit = fresh('kit');
    ok(await cli(['kit', 'export', '--out', kit, '--order', 'fleet', '--reason', 'drill', '--data-dir', dir]));
    const noStore = fresh('never-created');
    let whileServing = '';
    const r = await cli(['serve', '--kit', kit, '--port', '0', '--data-dir', noStore], {
      untilStopped: async (out) => {
        whileServing = out();
        return 'test stop';
      },
    });
    expect([r.code, r.stderr]).toEqual([0, 'test stop: closing the browser host\n']);
    expect(r.stdout).toMatch(new RegExp(`^ECPS console \\(OFFLINE, incident kit ${escapeRegExp(kit)}; no provider is called\\): http://127\\.0\\.0\\.1:\\d+/\\S*\\n$`));
    expect(whileServing).toBe(r.stdout);
    expect(existsSync(noStore)).toBe(false);
  });

  it('serve --kit needs a way to be stopped', async () => {
    const r = await cli(['serve', '--kit', fresh('kit'), '--port', '0', '--data-dir', fresh('never-created')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('serve needs untilStopped');
  });
});

describe('lockdown order / lift (docs/emergency-response.md)', () => {
  it('writes a signed order the robots in scope accept, 0600; says what it wrote; the lift follows in sequence', async () => {
    const { dir, emergencyPem, emergencyId } = await fleetStore();
    const lock = fresh('lock');
    const made = ok(await cli(['lockdown', 'order', '--site', 'Plant 1', '--reason', 'site drill', '--order-actions', 'safe_mode', '--out', lock, '--data-dir', dir]));
    const order = robotCheck(lock, emergencyPem, 'uv-002', 0);
    expect(order).toMatchObject({ kind: 'lockdown', actions: ['safe_mode'] });
    expect(statSync(lock).mode & 0o777).toBe(0o600);
    // the human line names the kind, the sequence, the signing key and where the file went
    expect(made.stdout).toMatch(new RegExp(`^lockdown order ${order.sequence} \\(\\S+\\) signed with key ${emergencyId} v1, valid until \\S+; written to ${escapeRegExp(lock)}\\n$`));

    const lift = fresh('lift');
    const lifted = JSON.parse(ok(await cli(['lockdown', 'lift', '--site', 'Plant 1', '--reason', 'drill over', '--out', lift, '--json', '--data-dir', dir])).stdout) as { kind: string; sequence: number };
    expect(lifted).toMatchObject({ kind: 'lift', sequence: order.sequence + 1 });
    expect(robotCheck(lift, emergencyPem, 'uv-002', order.sequence).kind).toBe('lift');
  });

  it('an existing file is kept without --force (exit 1) and replaced, made 0600, with it', async () => {
    const { dir, emergencyPem } = await fleetStore();
    const file = fresh('lock');
    writeFileSync(file, 'the old content', { mode: 0o644 });
    refused(await cli(['lockdown', 'order', '--robot', 'uv-001', '--reason', 'x', '--out', file, '--data-dir', dir]), 'invalid_input');
    expect(readFileSync(file, 'utf8')).toBe('the old content');
    ok(await cli(['lockdown', 'order', '--robot', 'uv-001', '--reason', 'x', '--out', file, '--force', '--data-dir', dir]));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(robotCheck(file, emergencyPem, 'uv-001', 0).kind).toBe('lockdown');
  });

  it('a viewer may not issue one (forbidden, no file)', async () => {
    const { dir } = await fleetStore();
    const file = fresh('lock');
    refused(await cli(['lockdown', 'order', '--robot', 'uv-001', '--reason', 'x', '--out', file, '--data-dir', dir], { env: asBob() }), 'forbidden');
    expect(existsSync(file)).toBe(false);
  });
});

describe('emergency preview --limit (docs/cli.md: the sample of robots shown; the channel takes at most 500)', () => {
  it('--limit N shows N robots of the scope; a --limit above 500 shows at most 500 instead of being refused', async () => {
    const { dir } = await fleetStore();
    const sampled = async (limit: string[]) => {
      const r = ok(await cli(['emergency', 'preview', '--site', 'Plant 1', ...limit, '--json', '--data-dir', dir]));
      const value = JSON.parse(r.stdout) as { robots: { total: number; sample: Array<{ deviceId: string }> } };
      return [value.robots.total, value.robots.sample.length];
    };
    expect(await sampled(['--limit', '1'])).toEqual([2, 1]);
    expect(await sampled(['--limit', '1000'])).toEqual([2, 2]);
    expect(await sampled([])).toEqual([2, 2]);
  });
});

describe('emergency execute / retry: exit 1 while an action failed, the lockdown order file (docs/cli.md)', () => {
  it('a failed action exits 1 and prints the run; the retry, once it can succeed, exits 0 and writes the order to --out', async () => {
    const { dir, emergencyPem, emergencyId } = await fleetStore({ siteKey: true });
    // no active emergency key: the lockdown step cannot sign
    await withConsole(dir, (c) => c.handlers['keys:setState']({ keyId: emergencyId, state: 'suspended', reason: 'drill' }, TEST_CTX));
    const failedOut = fresh('never-written');
    const failed = await cli(['emergency', 'execute', '--robot', 'uv-001', '--quarantine', '--lockdown', '--reason', 'drill', '--out', failedOut, '--data-dir', dir]);
    expect([failed.code, failed.stderr]).toEqual([1, '']);
    expect(failed.stdout).toMatch(/lockdown: failed/);
    expect(failed.stdout).not.toMatch(/lockdown order written/);
    expect(existsSync(failedOut)).toBe(false);
    const runId = /^run (\S+): failed /m.exec(failed.stdout)?.[1] ?? '';
    expect(runId).not.toBe('');

    await withConsole(dir, (c) => c.handlers['keys:setState']({ keyId: emergencyId, state: 'active', reason: 'drill over' }, TEST_CTX));
    const out = fresh('retry-order');
    const retried = ok(await cli(['emergency', 'retry', runId, '--out', out, '--data-dir', dir]));
    expect(retried.stdout).toMatch(/lockdown: done/);
    expect(retried.stdout.endsWith(`\nlockdown order written to ${out}\n`)).toBe(true);
    expect(robotCheck(out, emergencyPem, 'uv-001', 0).scope).toEqual({ deviceIds: ['uv-001'] });
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it('execute --json on one robot: the run is done (exit 0) and the order is written; without --out nothing is written', async () => {
    const { dir, emergencyPem } = await fleetStore({ siteKey: true });
    const out = fresh('order');
    const value = JSON.parse(ok(await cli(['emergency', 'execute', '--robot', 'uv-002', '--quarantine', '--lockdown', '--reason', 'stolen', '--out', out, '--json', '--data-dir', dir])).stdout) as { run: { state: string } };
    expect(value.run.state).toBe('done');
    expect(robotCheck(out, emergencyPem, 'uv-002', 0).kind).toBe('lockdown');
    const human = ok(await cli(['emergency', 'execute', '--robot', 'uv-001', '--quarantine', '--lockdown', '--reason', 'stolen', '--data-dir', dir]));
    expect(human.stdout).not.toMatch(/written to/);
  });

  it('a viewer may not execute (forbidden, nothing quarantined)', async () => {
    const { dir } = await fleetStore();
    refused(await cli(['emergency', 'execute', '--robot', 'uv-001', '--quarantine', '--reason', 'x', '--data-dir', dir], { env: asBob() }), 'forbidden');
    expect(auditRows(dir).filter((r) => r.action.startsWith('emergency.') && r.outcome === 'success')).toEqual([]);
  });
});
