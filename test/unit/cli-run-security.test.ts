// The CLI's sign-in factors and incident kit commands of issues 14 and 15 (electron/ipc/cli/commands.ts through
// runCli), in this process on real stores, against docs/cli.md, docs/operators.md ("Recovery codes", "Second factor") and
// docs/incident-kit.md: --recovery-code and --totp at sign-in, `operators totp enrol / confirm` (and the usage of
// `operators token`), `operators recovery-codes regenerate`, `operators
// reset-factor`, `kit export` / `kit import` and the offline kit commands (no store), `serve --kit`, with their exit
// codes, files and role refusals. Stores are seeded through the console's channels
// while no command runs; every test opens its own consoles (never in a beforeAll hook: vitest.mutate.config.ts).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeAt } from '../integration/support/totpCodes.ts';
import { asBob, auditRows, BOB_PASS, cli, cliEnv as env, cliFolder, escapeRegExp, fleetStore, ok, refused, seededStore, TEST_CTX, withConsole } from './cli-run-testkit.ts';

const { fresh } = cliFolder('ecps-cli-security-');
/** docs/operators.md: four groups of four characters of Crockford's base32 (no I, L, O, U). */
const CODE_SHAPE = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/;
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

  it('operators reset-factor NAME (admin): NAME signs in with the passphrase alone, and their codes are gone (docs/operators.md)', async () => {
    const dir = await seededStore(fresh());
    const bobCodes = await withConsole(dir, async (c) => {
      await c.handlers['session:lock']({}, TEST_CTX);
      await c.handlers['session:unlock']({ operator: 'bob', passphrase: BOB_PASS }, TEST_CTX);
      const { secret } = await c.handlers['operators:enrollTotp']({}, TEST_CTX);
      return (await c.handlers['operators:confirmTotp']({ code: codeAt(secret, Date.now(), -1) }, TEST_CTX)).recoveryCodes;
    });
    refused(await cli(['keys', 'list', '--data-dir', dir], { env: asBob() }), 'second_factor_required');
    // a viewer may not reset anyone's factor, not even with a valid code of their own
    refused(await cli(['operators', 'reset-factor', 'bob', '--recovery-code', bobCodes[0]!, '--data-dir', dir], { env: asBob() }), 'forbidden');
    const reset = ok(await cli(['operators', 'reset-factor', 'bob', '--data-dir', dir]));
    expect(reset.stdout).toMatch(/^second factor of bob removed/);
    expect(reset.stdout.split('\n')).toHaveLength(2);
    ok(await cli(['keys', 'list', '--data-dir', dir], { env: asBob() }));
    // nothing left to reset (docs/operators.md's channel table: illegal_transition)
    refused(await cli(['operators', 'reset-factor', 'bob', '--json', '--data-dir', dir]), 'illegal_transition');
  });

  it('an operator without a second factor has no codes to regenerate: illegal_transition, exit 1', async () => {
    const dir = await seededStore(fresh());
    refused(await cli(['operators', 'recovery-codes', 'regenerate', '--data-dir', dir]), 'illegal_transition');
  });
});

/** A six-digit code the app does not show around now for `secret` (none of the steps a verifier accepts). */
function wrongCode(secret: string): string {
  const valid = new Set([-2, -1, 0, 1, 2].map((offset) => codeAt(secret, Date.now(), offset)));
  return ['000000', '111111', '222222'].find((c) => !valid.has(c))!;
}

describe('operators totp enrol / confirm: the signed-in operator enrols their authenticator app (docs/cli.md, docs/operators.md)', () => {
  it('enrol prints the URI and secret once; a wrong code is refused; the right one prints ten codes; then --totp signs in', async () => {
    const dir = await seededStore(fresh());
    const run = (args: string[], e = env()) => cli([...args, '--data-dir', dir], { env: e });
    const enrol = ok(await run(['operators', 'totp', 'enrol']));
    const secret = /^ {2}secret: ([A-Z2-7]+)$/m.exec(enrol.stdout)?.[1] ?? '';
    const uri = /^ {2}uri: +(\S+)$/m.exec(enrol.stdout)?.[1] ?? '';
    // RFC 4648 base32, the key an app takes (at least 128 bits: 26 characters)
    expect(secret.length).toBeGreaterThanOrEqual(26);
    // the URI an app scans: otpauth://totp/ with the same secret, labelled with the operator
    const parsedUri = new URL(uri);
    expect([parsedUri.protocol, parsedUri.host, parsedUri.searchParams.get('secret')]).toEqual(['otpauth:', 'totp', secret]);
    expect(decodeURIComponent(parsedUri.pathname)).toContain('alice');
    expect(enrol.stdout).toMatch(/operators totp confirm --code/);
    // pending only: until confirmed, the passphrase alone still signs in
    ok(await run(['keys', 'list']));

    refused(await run(['operators', 'totp', 'confirm', '--code', wrongCode(secret)]), 'wrong_second_factor');
    ok(await run(['keys', 'list']));
    // the code of the previous step, so that the sign-in below may use the current one
    const confirmed = ok(await run(['operators', 'totp', 'confirm', '--code', codeAt(secret, Date.now(), -1)]));
    const lines = confirmed.stdout.split('\n');
    expect(lines[0]).toMatch(/authenticator app enabled.*recovery codes/i);
    expect(lines.slice(1, -1)).toHaveLength(10);
    for (const code of lines.slice(1, -1)) expect(code).toMatch(CODE_SHAPE);
    expect(lines.at(-1)).toBe('');

    refused(await run(['keys', 'list']), 'second_factor_required');
    ok(await run(['keys', 'list', '--totp', codeAt(secret, Date.now())]));
    // one of the printed codes stands in for the app once
    ok(await run(['keys', 'list', '--recovery-code', lines[1]!]));

    const rows = auditRows(dir);
    const steps = rows.filter((r) => r.action === 'operator.totp_enroll' || r.action === 'operator.totp_enable').map((r) => [r.actor, r.action, r.outcome, r.details.code ?? null]);
    expect(steps).toEqual([
      ['alice', 'operator.totp_enroll', 'success', null],
      ['alice', 'operator.totp_enable', 'failure', 'wrong_second_factor'],
      ['alice', 'operator.totp_enable', 'success', null],
    ]);
    expect(rows.filter((r) => r.action === 'session.unlock' && r.outcome === 'success').at(-2)?.details).toMatchObject({ secondFactor: 'totp' });
    // the secret was on stdout only: in no file of the data folder (log, audit, store) and on no stderr
    for (const name of readdirSync(dir)) {
      const bytes = readFileSync(join(dir, name));
      expect(bytes.includes(secret), name).toBe(false);
    }
    expect(enrol.stderr + confirmed.stderr).toBe('');
  });

  it('enrol --json gives the URI, secret, issuer and label; confirm with no enrolment pending is illegal_transition', async () => {
    const dir = await seededStore(fresh());
    refused(await cli(['operators', 'totp', 'confirm', '--code', '123456', '--data-dir', dir]), 'illegal_transition');
    const value = JSON.parse(ok(await cli(['operators', 'totp', 'enrol', '--json', '--data-dir', dir])).stdout) as Record<string, string>;
    expect(Object.keys(value).sort()).toEqual(['issuer', 'label', 'secret', 'uri']);
    expect(new URL(value.uri!).searchParams.get('secret')).toBe(value.secret);
    // a viewer enrols their own factor too (any signed-in operator; docs/operators.md)
    ok(await cli(['operators', 'totp', 'enrol', '--data-dir', dir], { env: asBob() }));
    expect(auditRows(dir).filter((r) => r.action === 'operator.totp_enroll' && r.outcome === 'success').map((r) => r.actor)).toEqual(['alice', 'bob']);
  });

  it('a module path the channel refuses is its typed error (invalid_input, exit 1), audited', async () => {
    const dir = await seededStore(fresh());
    refused(await cli(['operators', 'token', 'slots', '--module', 'relative/libsofthsm2.so', '--data-dir', dir]), 'invalid_input');
    refused(await cli(['operators', 'token', 'slots', '--module', '/usr/lib/no-such-pkcs11-module.so', '--data-dir', dir]), 'invalid_input');
    expect(auditRows(dir).filter((r) => r.action === 'operator.token_slots').map((r) => [r.outcome, r.details.code])).toEqual([['failure', 'invalid_input']]);
  });
});

describe('operators totp / token: usage mistakes exit 2 before any store is opened (docs/cli.md)', () => {
  // [argv after "operators", what the usage line must say] (from docs/cli.md's command list)
  const CASES: Array<[string[], RegExp]> = [
    [['totp'], /operators totp: expected enrol or confirm/],
    [['totp', 'start'], /operators totp: expected enrol or confirm/],
    [['totp', 'enrol', 'now'], /operators totp: expected enrol or confirm/],
    [['totp', 'confirm'], /--code must be the 6-digit code/],
    [['totp', 'confirm', '--code', '12345'], /--code must be the 6-digit code/],
    [['totp', 'confirm', '--code', '12345a'], /--code must be the 6-digit code/],
    [['totp', 'enrol', '--code', '123456'], /operators totp enrol: option --code does not apply/],
    [['token', 'slots'], /operators token: --module is required/],
    [['token', 'list', '--module', '/m.so'], /operators token: expected slots or bind/],
    [['token', 'slots', '--module', '/m.so', '--key-label', 'k'], /operators token slots: option --key-label does not apply/],
    [['token', 'bind', '--module', '/m.so', '--key-label', 'k'], /operators token bind: --token-label is required/],
    [['token', 'bind', '--module', '/m.so', '--token-label', 't'], /operators token bind: --key-label is required/],
    [['token', 'bind', '--module', '/m.so', '--token-label', 't', '--key-label', 'k', '--pin', '1234'], /refusing a token PIN on the command line.*ECPS_TOKEN_PIN/],
    [['token', 'bind', '--module', '/m.so', '--token-label', 't', '--key-label', 'k', '--pin=1234'], /refusing a token PIN on the command line/],
    [['token', 'bind', '--module', '/m.so', '--token-label', 't', '--key-label', 'k', '--token-pin', '1234'], /refusing a token PIN on the command line/],
    [['totp', 'enrol', '--module', '/m.so'], /operators totp: option --module does not apply/],
  ];
  it.each(CASES)('operators %j', async (argv, words) => {
    const dir = fresh('never-created');
    const r = await cli(['operators', ...argv, '--data-dir', dir]);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toMatch(/^usage error: /);
    expect(r.stderr.split('\n')[0]).toMatch(words);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('kit export / import and the offline kit commands (docs/incident-kit.md, docs/cli.md)', () => {
  it('export writes the sealed kit and says what is in it; the offline commands read it with no store; import merges once', async () => {
    const { dir } = await fleetStore(fresh, );
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
    const { dir } = await fleetStore(fresh, );
    const kit = fresh('kit');
    const value = JSON.parse(ok(await cli(['kit', 'export', '--out', kit, '--order', 'fleet', '--reason', 'drill', '--json', '--data-dir', dir])).stdout) as { responder: string; robots: number; orders: Array<{ name: string; maxUses: number }> };
    expect(value).toMatchObject({ responder: 'alice', robots: 2 });
    // docs/cli.md: --max-uses defaults to 3
    expect(value.orders.map((x) => [x.name, x.maxUses])).toEqual([['fleet', 3]]);
  });

  it('the kit is sealed with the passphrase the responder signs in with: a wrong one exports nothing', async () => {
    const { dir } = await fleetStore(fresh, );
    const kit = fresh('kit');
    refused(await cli(['kit', 'export', '--out', kit, '--order', 'fleet', '--reason', 'x', '--data-dir', dir], { env: env({ ECPS_PASSPHRASE: 'not alice passphrase at all' }) }), 'wrong_passphrase');
    expect(existsSync(kit) ? readdirSync(kit) : []).toEqual([]);
  });

  it('a viewer may not export a kit (forbidden, exit 1, nothing written)', async () => {
    const { dir } = await fleetStore(fresh, );
    const kit = fresh('kit');
    refused(await cli(['kit', 'export', '--out', kit, '--order', 'fleet', '--reason', 'x', '--data-dir', dir], { env: asBob() }), 'forbidden');
    expect(existsSync(kit) ? readdirSync(kit) : []).toEqual([]);
  });

  it('serve --kit serves the offline console on the kit until stopped, with no store opened', async () => {
    const { dir } = await fleetStore(fresh, );
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
