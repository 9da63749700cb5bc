// The CLI's provider and key-integrity commands (electron/ipc/cli/commands.ts, providersCli.ts through runCli, in this
// process) against docs/cli.md ("Providers and key integrity") and the role table of docs/operators.md: `providers
// list / test / save / remove` and `keys verify-integrity`. The exit code must tell the truth for scripted stations:
// a provider that does not answer (the AWS KMS emulator stopped, or a closed port on 127.0.0.1) and a key version
// whose material was altered exit 1 with their typed error. A provider's secret is a known string that no output, no
// audit record and no store file may carry. Every test seeds its own store (vitest.mutate.config.ts).
import Database from 'better-sqlite3';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperatorRole } from '../../shared/operatorsContract.ts';
import type { AwsKmsEmulator } from '../emulators/aws-kms/index.ts';
import { startTestEmulator, TEST_REGION } from '../emulators/aws-kms/testkit.ts';
import { asBob, auditRows, cli, cliEnv, cliFolder, freePort, ok, refused, seededStore, TEST_CTX, withConsole, usageError, type Run } from './cli-run-testkit.ts';

const { fresh } = cliFolder('ecps-cli-providers-');
/** The provider's secret: printed, audited or stored in the clear anywhere, the test finds it. */
const SECRET = 'Zq7-known-provider-secret-0f5e1c9a';
const ACCESS_KEY = 'AKIDECPSCLIPROVIDERS';
const CAROL_PASS = 'carol keeps the keys safe 42';

let emu: AwsKmsEmulator;
beforeAll(async () => {
  emu = await startTestEmulator({ credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET } });
});
afterAll(async () => {
  await emu?.close();
});

/** The settings docs/providers.md names for AWS KMS, secret included; one attempt, a short deadline. */
const awsConfig = (id: string, endpoint: string) => ({
  provider: 'aws_kms', id, region: TEST_REGION, endpoint, aws_access_key_id: ACCESS_KEY, aws_secret_access_key: SECRET, use_kms_for_storage: false, retries: 0, timeout_ms: 5000,
});

/** A JSON file of settings, mode 0600 unless told. */
function configFile(dir: string, name: string, config: unknown, mode = 0o600): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, typeof config === 'string' ? config : JSON.stringify(config), { mode });
  chmodSync(path, mode);
  return path;
}

/** A store (alice admin, bob viewer, carol key custodian) and a runner on it; every run's output is kept. */
async function store(): Promise<{ dir: string; run: (args: string[], env?: NodeJS.ProcessEnv) => Promise<Run>; outputs: string[] }> {
  const dir = await seededStore(fresh());
  await withConsole(dir, async (c) => {
    await c.handlers['operators:add']({ name: 'carol', role: 'key_custodian', passphrase: CAROL_PASS }, TEST_CTX);
  });
  const outputs: string[] = [];
  const run = async (args: string[], env = cliEnv()) => {
    const r = await cli([...args, '--data-dir', dir], { env });
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  return { dir, run, outputs };
}

/** Nothing the commands printed, nothing audited and no store file holds the secret. */
function secretNowhere(dir: string, outputs: string[]): void {
  for (const text of outputs) expect(text).not.toContain(SECRET);
  expect(JSON.stringify(auditRows(dir))).not.toContain(SECRET);
  for (const f of readdirSync(dir).filter((n) => n.startsWith('console.db'))) expect(readFileSync(join(dir, f)).includes(Buffer.from(SECRET))).toBe(false);
}

/** The audit records of one action: target, outcome and details. */
function auditOf(dir: string, action: string): Array<{ targetId: string | null; actor: string; outcome: string; details: Record<string, unknown> }> {
  const db = new Database(join(dir, 'console.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT target_id AS targetId, actor, outcome, details FROM audit_records WHERE action = ? ORDER BY seq').all(action) as Array<{ targetId: string | null; actor: string; outcome: string; details: string }>;
    return rows.map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> }));
  } finally {
    db.close();
  }
}

const listIds = async (run: (args: string[]) => Promise<Run>) => {
  const r = ok(await run(['providers', 'list', '--json']));
  return (JSON.parse(r.stdout) as { providers: Array<{ id: string }> }).providers.map((p) => p.id);
};

describe('providers save / list / test: through the window\'s channels, never a secret in the output', () => {
  it('save from a 0600 file; list shows id, kind, where, origin, health checked by the command; test exits 0', async () => {
    const { dir, run, outputs } = await store();
    const file = configFile(dir, 'aws', awsConfig('aws-cli', emu.endpoint));
    const saved = ok(await run(['providers', 'save', '--config', file]));
    expect(saved.stdout).toBe(`saved provider aws-cli (aws_kms, ${emu.endpoint}); aws_secret_access_key set, aws_session_token not set\n`);
    const again = JSON.parse(ok(await run(['providers', 'save', '--config', file, '--json'])).stdout) as { id: string; kind: string; settings: Record<string, unknown> };
    expect(again).toMatchObject({ id: 'aws-cli', kind: 'aws_kms', settings: { aws_secret_access_key: 'set', aws_access_key_id: ACCESS_KEY, region: TEST_REGION } });

    const list = ok(await run(['providers', 'list']));
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +KIND +WHERE +ORIGIN +STORAGE +HEALTH +CIRCUIT +LAST ERROR$/);
    expect(lines[1]).toMatch(/^local +local +- +built-in +no +ok \(0 ms\) +closed +-$/);
    expect(lines[2]).toMatch(new RegExp(`^aws-cli +aws_kms +${emu.endpoint.replace(/[.]/g, '\\.')} +saved +no +ok \\(\\d+ ms\\) +closed +-$`));
    expect(lines).toHaveLength(3);
    const json = JSON.parse(ok(await run(['providers', 'list', '--json'])).stdout) as { providers: Array<{ id: string; health: { ok: boolean } | null }>; environmentRefusal: unknown };
    expect(json.providers.map((p) => [p.id, p.health?.ok])).toEqual([['local', true], ['aws-cli', true]]);
    expect(json.environmentRefusal).toBeNull();

    expect(ok(await run(['providers', 'test', 'aws-cli'])).stdout).toMatch(/^provider aws-cli reachable \(\d+ ms\)\n$/);
    expect(JSON.parse(ok(await run(['providers', 'test', 'aws-cli', '--json'])).stdout)).toMatchObject({ id: 'aws-cli', ok: true, detail: null });
    expect(ok(await run(['providers', 'test', 'local'])).stdout).toBe('provider local reachable (0 ms)\n');

    const audit = auditRows(dir);
    expect(audit.filter((r) => r.action === 'provider.save').map((r) => [r.actor, r.outcome, r.details.protectedFields])).toEqual([
      ['alice', 'success', 'aws_secret_access_key'],
      ['alice', 'success', 'aws_secret_access_key'],
    ]);
    expect(audit.filter((r) => r.action === 'provider.test').map((r) => [r.actor, r.outcome])).toEqual([['alice', 'success'], ['alice', 'success'], ['alice', 'success']]);
    secretNowhere(dir, outputs);
  });

  it('test: exit 1 with provider_unavailable once the emulator is stopped, and for a closed port on 127.0.0.1', async () => {
    const { dir, run, outputs } = await store();
    const other = await startTestEmulator({ credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET } });
    let stopped = false;
    try {
      ok(await run(['providers', 'save', '--config', configFile(dir, 'down', awsConfig('aws-down', other.endpoint))]));
      ok(await run(['providers', 'test', 'aws-down']));
      await other.close();
      stopped = true;
      const down = await run(['providers', 'test', 'aws-down']);
      refused(down, 'provider_unavailable');
      expect(down.stderr).toMatch(/^error \[provider_unavailable\]: Provider aws-down did not pass its health check: .+\.\n/);
      // --json: nothing on stdout, the same error and exit code
      refused(await run(['providers', 'test', 'aws-down', '--json']), 'provider_unavailable');
    } finally {
      if (!stopped) await other.close();
    }
    const closed = await freePort();
    ok(await run(['providers', 'save', '--config', configFile(dir, 'closed', awsConfig('aws-closed', `http://127.0.0.1:${closed}`))]));
    const r = await run(['providers', 'test', 'aws-closed']);
    refused(r, 'provider_unavailable');
    expect(r.stderr).toContain('Provider aws-closed did not pass its health check');

    // list still lists (exit 0) and says which ones fail, as its own check found them
    const list = ok(await run(['providers', 'list']));
    expect(list.stdout).toMatch(/^aws-down +aws_kms +\S+ +saved +no +failing: .+$/m);
    expect(list.stdout).toMatch(/^aws-closed +aws_kms +\S+ +saved +no +failing: .+$/m);
    const failed = auditOf(dir, 'provider.test').map((r) => [r.targetId, r.details.ok]);
    expect(failed).toEqual([['aws-down', true], ['aws-down', false], ['aws-down', false], ['aws-closed', false]]);
    secretNowhere(dir, outputs);
  });

  it('an unknown provider is not_found, a malformed id invalid_input (exit 1)', async () => {
    const { run } = await store();
    refused(await run(['providers', 'test', 'no-such']), 'not_found');
    refused(await run(['providers', 'test', 'NOT A VALID ID!']), 'invalid_input');
    refused(await run(['providers', 'remove', 'no-such']), 'not_found');
  });
});

describe('providers save takes secrets only from a file readable by the operator alone', () => {
  it('refuses a secret flag, settings on argv and a group-readable file; nothing is saved, the secret is never echoed', async () => {
    const { dir, run, outputs } = await store();
    const good = configFile(dir, 'good', awsConfig('aws-cli', emu.endpoint));
    for (const argv of [
      ['providers', 'save', '--config', good, '--aws-secret-access-key', SECRET],
      ['providers', 'save', '--config', good, `--aws_secret_access_key=${SECRET}`],
      ['providers', 'save', '--config', good, '--vault-token', SECRET],
      ['providers', 'save', '--config', JSON.stringify(awsConfig('aws-argv', emu.endpoint))],
      ['providers', 'save', '--config', ` [${JSON.stringify(SECRET)}]`],
      ['providers', 'save', '--config', good, SECRET],
    ]) {
      const r = await run(argv);
      expect([r.code, r.stdout], argv.join(' ')).toEqual([2, '']);
      expect(r.stderr).toMatch(/^usage error: /);
    }
    // a secret's flag is named as such, whatever its spelling
    for (const [flag, name] of [['--aws-secret-access-key', 'aws-secret-access-key'], [`--AWS_SECRET_ACCESS_KEY=${SECRET}`, 'AWS_SECRET_ACCESS_KEY'], ['-vault-token', 'vault-token'], ['--pkcs11-pin', 'pkcs11-pin']] as const) {
      const r = await run(['providers', 'save', '--config', good, flag, SECRET]);
      expect(r.stderr).toMatch(new RegExp(`^usage error: refusing the provider secret ${name} on the command line: argv is visible to other users \\(ps\\)`));
    }
    expect((await run(['providers', 'save', '--config', '{"vault_token": "x"}'])).stderr).toMatch(/^usage error: providers save: --config takes the name of a JSON file, not the settings themselves/);
    const open = configFile(dir, 'open', awsConfig('aws-open', emu.endpoint), 0o640);
    const r = await run(['providers', 'save', '--config', open]);
    refused(r, 'invalid_input');
    expect(r.stderr).toContain('holds aws_secret_access_key and is readable by other users (mode 640); nothing was saved');
    // without a secret the mode does not matter
    const { aws_secret_access_key: _s, aws_access_key_id: _a, ...noSecret } = awsConfig('aws-nosecret', emu.endpoint);
    ok(await run(['providers', 'save', '--config', configFile(dir, 'nosecret', noSecret, 0o644)]));
    refused(await run(['providers', 'save', '--config', configFile(dir, 'notjson', `{"aws_secret_access_key": "${SECRET}"`)]), 'invalid_input');
    refused(await run(['providers', 'save', '--config', configFile(dir, 'array', [SECRET])]), 'invalid_input');
    refused(await run(['providers', 'save', '--config', join(dir, 'absent.json')]), 'not_found');
    refused(await run(['providers', 'save', '--config', dir]), 'invalid_input');
    // the channel's own check: a region that is no region (named, nothing stored)
    const bad = await run(['providers', 'save', '--config', configFile(dir, 'badregion', { ...awsConfig('aws-bad', emu.endpoint), region: 'eu central!' })]);
    refused(bad, 'invalid_input');
    expect(await listIds(run)).toEqual(['local', 'aws-nosecret']);
    secretNowhere(dir, outputs);
  });

  it('remove: a provider no key uses goes; one a key uses, and the local one, stay (invalid_input)', async () => {
    const { dir, run, outputs } = await store();
    ok(await run(['providers', 'save', '--config', configFile(dir, 'used', awsConfig('aws-used', emu.endpoint))]));
    ok(await run(['providers', 'save', '--config', configFile(dir, 'spare', awsConfig('aws-spare', emu.endpoint))]));
    await withConsole(dir, async (c) => {
      await c.handlers['keys:create']({ type: 'storage', label: 'held at aws', provider: 'aws-used' }, TEST_CTX);
    });
    expect(ok(await run(['providers', 'remove', 'aws-spare'])).stdout).toBe('removed provider aws-spare\n');
    const used = await run(['providers', 'remove', 'aws-used']);
    refused(used, 'invalid_input');
    expect(used.stderr).toContain('Provider aws-used is still used by 1 key');
    refused(await run(['providers', 'remove', 'local']), 'invalid_input');
    expect(await listIds(run)).toEqual(['local', 'aws-used']);
    ok(await run(['providers', 'save', '--config', configFile(dir, 'spare2', awsConfig('aws-spare', emu.endpoint))]));
    expect(JSON.parse(ok(await run(['providers', 'remove', 'aws-spare', '--json'])).stdout)).toEqual({ id: 'aws-spare', removed: true });
    expect(auditOf(dir, 'provider.remove').map((r) => [r.targetId, r.outcome])).toEqual([
      ['aws-spare', 'success'], ['aws-used', 'failure'], ['local', 'failure'], ['aws-spare', 'success'],
    ]);
    secretNowhere(dir, outputs);
  });
});

/** Flips version 1's check value in the store, as test/unit/keys.test.ts makes an integrity failure. */
function alterCheckValue(dir: string, keyId: string): void {
  const db = new Database(join(dir, 'console.db'));
  try {
    const row = db.prepare('SELECT check_value AS v FROM key_versions WHERE key_id = ? AND version = 1').get(keyId) as { v: Buffer | string };
    let next: Buffer | string;
    if (typeof row.v === 'string') next = (row.v[0] === '0' ? '1' : '0') + row.v.slice(1);
    else {
      next = Buffer.from(row.v);
      next[0] = next[0]! ^ 1;
    }
    db.prepare('UPDATE key_versions SET check_value = ? WHERE key_id = ? AND version = 1').run(next, keyId);
  } finally {
    db.close();
  }
}

describe('keys verify-integrity ID: exit 0 when every version is intact, 1 with integrity_failure when one is not', () => {
  it('an intact key and a key whose version 1 was altered in the store', async () => {
    const { dir, run } = await store();
    const { intact, altered } = await withConsole(dir, async (c) => {
      const a = await c.handlers['keys:create']({ type: 'storage', label: 'intact', algorithm: 'AES_256' }, TEST_CTX);
      const b = await c.handlers['keys:create']({ type: 'storage', label: 'altered', algorithm: 'AES_256' }, TEST_CTX);
      await c.handlers['keys:rotate']({ keyId: b.id }, TEST_CTX);
      return { intact: a.id, altered: b.id };
    });
    alterCheckValue(dir, altered);
    expect(ok(await run(['keys', 'verify-integrity', intact])).stdout).toBe(`key ${intact}: 1 version(s) intact\n  v1  ok\n`);
    expect(JSON.parse(ok(await run(['keys', 'verify-integrity', intact, '--json'])).stdout)).toEqual({ ok: true, versions: [{ version: 1, ok: true, reason: null }] });

    const bad = await run(['keys', 'verify-integrity', altered]);
    refused(bad, 'integrity_failure');
    expect(bad.stderr).toMatch(new RegExp(`^error \\[integrity_failure\\]: Key ${altered}: 1 of 2 version\\(s\\) failed the integrity check: v1 \\(.*(match|authentication).*\\)\\.\\n`));
    refused(await run(['keys', 'verify-integrity', altered, '--json']), 'integrity_failure');
    refused(await run(['keys', 'verify-integrity', '6adc3764-d2ca-4ea0-b97f-147b1c0fee40']), 'not_found');
    refused(await run(['keys', 'verify-integrity', 'not-a-key-id']), 'invalid_input');
    const checks = auditRows(dir).filter((r) => r.action === 'key.verify_integrity' && r.outcome !== 'denied');
    expect(checks.slice(0, 4).map((r) => [r.outcome, r.details.failedVersions ?? null])).toEqual([['success', null], ['success', null], ['failure', '1'], ['failure', '1']]);
  });
});

// docs/operators.md: provider configurations are the admin's (providers:test, :save, :remove need `admin`, as the
// window's Providers screen); providers:list and keys:verifyIntegrity need `read`, which every role has.
const MAY: Readonly<Record<string, readonly OperatorRole[]>> = {
  'providers list': ['viewer', 'key_custodian', 'admin'],
  'keys verify-integrity': ['viewer', 'key_custodian', 'admin'],
  'providers test': ['admin'],
  'providers save': ['admin'],
  'providers remove': ['admin'],
};
const AS: ReadonlyArray<[OperatorRole, NodeJS.ProcessEnv]> = [
  ['viewer', asBob()],
  ['key_custodian', cliEnv({ ECPS_OPERATOR: 'carol', ECPS_PASSPHRASE: CAROL_PASS })],
  ['admin', cliEnv()],
];

describe('roles: the role table decides (forbidden, exit 1, audited)', () => {
  it('viewer and key custodian may list and verify, not test, save or remove; the admin may all', async () => {
    const { dir, run, outputs } = await store();
    const file = configFile(dir, 'aws', awsConfig('aws-cli', emu.endpoint));
    const keyId = await withConsole(dir, async (c) => (await c.handlers['keys:create']({ type: 'storage', label: 'k', algorithm: 'AES_256' }, TEST_CTX)).id);
    ok(await run(['providers', 'save', '--config', configFile(dir, 'spare', awsConfig('aws-spare', emu.endpoint))]));
    const argv: Record<string, string[]> = {
      'providers list': ['providers', 'list'],
      'keys verify-integrity': ['keys', 'verify-integrity', keyId],
      'providers test': ['providers', 'test', 'aws-spare'],
      'providers save': ['providers', 'save', '--config', file],
      'providers remove': ['providers', 'remove', 'aws-spare'],
    };
    for (const [role, env] of AS) {
      for (const [command, roles] of Object.entries(MAY)) {
        const r = await run(argv[command]!, env);
        if (roles.includes(role)) expect([role, command, r.code, r.stderr]).toEqual([role, command, 0, '']);
        else refused(r, 'forbidden');
      }
    }
    // the role is checked before the file is read: a viewer's bad file is forbidden, not invalid_input
    refused(await run(['providers', 'save', '--config', configFile(dir, 'open', awsConfig('aws-open', emu.endpoint), 0o644)], asBob()), 'forbidden');
    refused(await run(['providers', 'save', '--config', join(dir, 'absent.json')], asBob()), 'forbidden');
    const denied = auditRows(dir).filter((r) => r.outcome === 'denied' || r.details.code === 'forbidden').map((r) => r.actor);
    expect(denied.filter((a) => a === 'bob')).toHaveLength(5);
    expect(denied.filter((a) => a === 'carol')).toHaveLength(3);
    expect(await listIds(run)).toEqual(['local', 'aws-cli']);
    secretNowhere(dir, outputs);
  });
});

describe('usage mistakes exit 2 before any store is opened', () => {
  it.each([
    [['providers']],
    [['providers', 'list', 'extra']],
    [['providers', 'test']],
    [['providers', 'test', 'a', 'b']],
    [['providers', 'save']],
    [['providers', 'save', '--config']],
    [['providers', 'remove']],
    [['providers', 'list', '--config', 'x.json']],
    [['providers', 'test', 'aws', '--force']],
    [['keys', 'verify-integrity']],
    [['keys', 'verify-integrity', 'a', 'b']],
  ])('%j', async (argv) => {
    const dir = fresh('never');
    usageError(await cli([...argv, '--data-dir', dir]));
    expect(readdirSync(join(dir, '..')).includes(dir.split('/').pop()!)).toBe(false);
  });
});
