// The CLI as a function (electron/ipc/cli/runCli.ts and the commands of electron/ipc/cli/commands.ts) in this process,
// against docs/cli.md: exit codes (0 done, 1 a typed error as "error [code]: message" and "hint: ...", 2 a usage
// mistake), the passphrase from ECPS_PASSPHRASE, commands on a locked store unlocking first, --json printing the raw
// value, and each command's effect on a real store in a temp folder (real SQLite, real crypto, real files).
// Every test opens its own console through runCli (never in a beforeAll hook: vitest.mutate.config.ts).
import Database from 'better-sqlite3';
import crypto from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportCliFailure, reportUnfinished, runCli } from '../../electron/ipc/cli/runCli.ts';
import { ConsoleError } from '../../shared/errors.ts';
import { verifyExport } from '../../electron/services/audit/verifyExport.ts';

const PASS = 'Cli-Rules-Passphrase correct horse';
let root: string;
let n = 0;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'ecps-cli-rules-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Run { code: number; stdout: string; stderr: string }

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ECPS_KDF_LOG2N: '10', ECPS_OPERATOR: 'alice', ECPS_PASSPHRASE: PASS, ...extra };
}

async function cli(args: string[], o: { env?: NodeJS.ProcessEnv; stdin?: string; untilStopped?: () => Promise<string> } = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli({
    argv: args,
    env: o.env ?? env(),
    stdin: Readable.from(o.stdin ? [Buffer.from(o.stdin)] : []),
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    ...(o.untilStopped ? { untilStopped: o.untilStopped } : {}),
  });
  return { code, stdout, stderr };
}

/** A fresh store folder (not created yet) and a command runner on it. */
function store() {
  const dir = join(root, `store-${++n}`);
  const run = (args: string[], o: Parameters<typeof cli>[1] = {}) => cli([...args, '--data-dir', dir], o);
  return { dir, run };
}

const ok = (r: Run) => {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r;
};

function auditRows(dir: string): Array<{ actor: string; action: string; outcome: string; details: string }> {
  const db = new Database(join(dir, 'console.db'), { readonly: true });
  try {
    return db.prepare('SELECT actor, action, outcome, details FROM audit_records ORDER BY seq').all() as Array<{ actor: string; action: string; outcome: string; details: string }>;
  } finally {
    db.close();
  }
}

describe('runCli: exit codes and error output (docs/cli.md "Exit codes")', () => {
  it('help prints the usage on stdout and exits 0, without opening a store', async () => {
    const s = store();
    const r = ok(await s.run(['help']));
    expect(r.stdout.startsWith('Usage: ecps-console <command>')).toBe(true);
    for (const command of ['init', 'keys create', 'encrypt', 'decrypt', 'audit export --out FILE', 'serve']) expect(r.stdout).toContain(command);
    expect(r.stdout.endsWith('\n')).toBe(true);
    expect(existsSync(s.dir)).toBe(false);
  });

  it('a usage mistake exits 2 with the mistake and where to look on stderr, and opens no store', async () => {
    const s = store();
    const r = await s.run(['no-such-command']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^usage error: .+\nRun "ecps-console help" for the list of commands\.\n$/);
    const flag = await s.run(['unlock', '--passphrase', 'x']);
    expect(flag.code).toBe(2);
    expect(existsSync(s.dir)).toBe(false);
  });

  it('a refused command exits 1 with "error [code]: message" and a hint', async () => {
    const s = store();
    const r = await s.run(['keys', 'list']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error \[not_initialized\]: .+\nhint: .+\n$/);
  });

  it('an unexpected failure exits 1 as internal, after one log line naming it', async () => {
    const file = join(root, `a-file-${++n}`);
    writeFileSync(file, 'not a folder');
    const r = await cli(['keys', 'list', '--data-dir', join(file, 'store')]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    const logged = JSON.parse(lines[0]!) as { level: string; message: string; error?: { message?: string } };
    expect(logged).toMatchObject({ level: 'error', message: 'cli failed' });
    expect(logged.error?.message).toMatch(/ENOTDIR|EEXIST/); // what went wrong, for whoever reads the log
    expect(lines[1]).toBe('error [internal]: The console failed unexpectedly (details in the log line above).');
    expect(lines[2]).toMatch(/^hint: ./);
    expect(lines).toHaveLength(3);
  });

  it('reportCliFailure prints a typed error with its hint, and no hint line for a code without one', () => {
    let out = '';
    reportCliFailure({ write: (t: string) => void (out += t) }, new ConsoleError('locked', 'The console is locked.'));
    expect(out).toMatch(/^error \[locked\]: The console is locked\.\nhint: .+\n$/);
  });

  it('reportUnfinished says the outcome is unknown', () => {
    let out = '';
    reportUnfinished({ write: (t: string) => void (out += t) });
    expect(out).toMatch(/^error \[internal\]: The command stopped before it finished \(nothing was left to wait for\); its outcome is unknown\.\nhint: .+\n$/);
  });

  it('creates the data folder owner-only (0700), parents included', async () => {
    const dir = join(root, `nested-${++n}`, 'a', 'store');
    const r = await cli(['keys', 'list', '--data-dir', dir]);
    expect(r.stderr).toContain('error [not_initialized]');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });
});

describe('commands on a real store', () => {
  it('init, then every command unlocks first (one unlock record, no refused "locked" call), keys create / list / rotate / state', async () => {
    const s = store();
    const init = ok(await s.run(['init']));
    expect(init.stdout).toBe(`key store created at ${join(s.dir, 'console.db')}; unlocked as alice\n`);
    const unlock = ok(await s.run(['unlock']));
    expect(unlock.stdout).toBe(`passphrase accepted: ${join(s.dir, 'console.db')} unlocks for alice\n`);

    const created = JSON.parse(ok(await s.run(['keys', 'create', '--type', 'storage', '--label', 'Firmware', '--json'])).stdout) as { id: string; label: string; type: string; currentVersion: number; state: string };
    expect(created).toMatchObject({ label: 'Firmware', type: 'storage', currentVersion: 1, state: 'active', provider: 'local' });
    const human = ok(await s.run(['keys', 'create', '--type', 'communication', '--label', 'Radio']));
    expect(human.stdout).toMatch(/^created .*Radio/);

    const listed = JSON.parse(ok(await s.run(['keys', 'list', '--type', 'storage', '--json'])).stdout) as { keys: Array<{ id: string }> };
    expect(listed.keys.map((k) => k.id)).toEqual([created.id]);
    const all = JSON.parse(ok(await s.run(['keys', 'list', '--json'])).stdout) as { keys: unknown[] };
    expect(all.keys).toHaveLength(2);
    expect(ok(await s.run(['keys', 'list'])).stdout).toContain(created.id);

    const rotated = ok(await s.run(['keys', 'rotate', created.id]));
    expect(rotated.stdout).toMatch(/^rotated .*v2/);
    const state = await s.run(['keys', 'state', created.id, 'suspended', '--reason', 'maintenance', '--json']);
    expect([state.code, state.stderr]).toEqual([0, '']);
    expect(JSON.parse(state.stdout)).toMatchObject({ complete: true });

    const rows = auditRows(s.dir);
    expect(rows.filter((r) => r.details.includes('"code":"locked"'))).toEqual([]);
    // each command after init ran in its own console: one successful unlock per command, as alice
    expect(rows.filter((r) => r.action === 'session.unlock' && r.outcome === 'success').length).toBe(8); // unlock, 2 creates, 3 lists, rotate, state
    expect(rows.find((r) => r.action === 'key.rotate')).toMatchObject({ actor: 'alice', outcome: 'success' });
  });

  it('a wrong passphrase is refused (exit 1, wrong_passphrase) and the command does not run', async () => {
    const s = store();
    ok(await s.run(['init']));
    const r = await s.run(['keys', 'create', '--type', 'storage', '--label', 'X'], { env: env({ ECPS_PASSPHRASE: 'Not-The-Passphrase at all' }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error \[wrong_passphrase\]/);
    expect(auditRows(s.dir).filter((x) => x.action === 'key.create')).toEqual([]);
  });

  it('the passphrase is read from stdin when ECPS_PASSPHRASE is unset', async () => {
    const s = store();
    const noPass = env();
    delete noPass.ECPS_PASSPHRASE;
    ok(await s.run(['init'], { env: noPass, stdin: `${PASS}\n` }));
    ok(await s.run(['unlock'], { env: noPass, stdin: `${PASS}\n` }));
  });

  it('encrypt / decrypt print the summary (--json: keyId, version, bytes, format, out) and round-trip the file', async () => {
    const s = store();
    ok(await s.run(['init']));
    const key = JSON.parse(ok(await s.run(['keys', 'create', '--type', 'storage', '--label', 'F', '--json'])).stdout) as { id: string };
    const plain = join(root, `plain-${++n}`);
    const data = crypto.randomBytes(70_000);
    writeFileSync(plain, data);
    const enc = `${plain}.enc`;
    const e = JSON.parse(ok(await s.run(['encrypt', '--key', key.id, '--in', plain, '--out', enc, '--aad', 'robot-7', '--json'])).stdout);
    expect(e).toEqual({ keyId: key.id, version: 1, bytes: 70_000, format: 2, out: enc });
    const dec = `${plain}.dec`;
    const d = ok(await s.run(['decrypt', '--in', enc, '--out', dec, '--aad', 'robot-7']));
    expect(d.stdout).toBe(`decrypted 70000 bytes (key ${key.id} v1) -> ${dec}\n`);
    expect(readFileSync(dec).equals(data)).toBe(true);
    const again = ok(await s.run(['encrypt', '--key', key.id, '--in', plain, '--out', `${plain}.2.enc`]));
    expect(again.stdout).toBe(`encrypted 70000 bytes with key ${key.id} v1 -> ${plain}.2.enc\n`);
    // encrypt does not replace an existing file without --force either
    const refusedEnc = await s.run(['encrypt', '--key', key.id, '--in', plain, '--out', enc, '--aad', 'robot-7']);
    expect([refusedEnc.code, refusedEnc.stderr]).toEqual([1, expect.stringMatching(/^error \[invalid_input\]: .*exists/)]);
    ok(await s.run(['encrypt', '--key', key.id, '--in', plain, '--out', enc, '--aad', 'robot-7', '--force']));
    // the associated data is bound: without --aad it is the empty one
    const wrong = await s.run(['decrypt', '--in', enc, '--out', `${plain}.x`]);
    expect([wrong.code, wrong.stderr.split('\n')[0]!.slice(0, 20)]).toEqual([1, 'error [aad_mismatch]']);
    expect(existsSync(`${plain}.x`)).toBe(false);
    // an existing output only with --force
    const exists = await s.run(['decrypt', '--in', enc, '--out', dec, '--aad', 'robot-7']);
    expect(exists.stderr).toMatch(/^error \[invalid_input\]: .*exists/);
    ok(await s.run(['decrypt', '--in', enc, '--out', dec, '--aad', 'robot-7', '--force']));
  });

  it('audit verify and audit export: intact chain; export to a file (not over an existing one without --force)', async () => {
    const s = store();
    ok(await s.run(['init']));
    ok(await s.run(['keys', 'create', '--type', 'storage', '--label', 'F']));
    const v = ok(await s.run(['audit', 'verify']));
    expect(v.stdout).toMatch(/^audit chain intact: \d+ records, \d+ checkpoints\n$/);
    const vj = JSON.parse(ok(await s.run(['audit', 'verify', '--json'])).stdout) as { ok: boolean; checkedRecords: number };
    expect(vj.ok).toBe(true);

    const out = join(root, `audit-${++n}.jsonl`);
    const x = JSON.parse(ok(await s.run(['audit', 'export', '--out', out, '--json'])).stdout) as { fileName: string; records: number; checkpoints: number; bytes: number; out: string };
    expect(x.out).toBe(out);
    expect(x.bytes).toBe(statSync(out).size);
    expect(x.fileName).toMatch(/^ecps-audit-.+\.jsonl$/);
    const check = verifyExport(readFileSync(out));
    expect([check.ok, check.checkedRecords]).toEqual([true, x.records]);
    expect(statSync(out).mode & 0o777).toBe(0o600);

    const refused = await s.run(['audit', 'export', '--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error \[invalid_input\]: .*exists; it was not changed \(use --force to replace it\)\./);
    const forced = ok(await s.run(['audit', 'export', '--out', out, '--force']));
    expect(forced.stdout).toMatch(new RegExp(`^exported \\d+ audit records -> ${out.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\n$`));
  });

  it('audit verify of a broken chain exits 1 with integrity_failure naming the record', async () => {
    const s = store();
    ok(await s.run(['init']));
    for (let i = 0; i < 3; i++) ok(await s.run(['keys', 'create', '--type', 'storage', '--label', `K${i}`]));
    const db = new Database(join(s.dir, 'console.db'));
    db.prepare("UPDATE audit_records SET actor = 'mallory' WHERE seq = 3").run();
    db.close();
    const r = await s.run(['audit', 'verify']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error \[integrity_failure\]: Audit chain broken at record 3: .+ \(\d+ records checked\)\./);
  });

  it('serve needs a way to be stopped: without one it fails as internal and says why in the log line', async () => {
    const s = store();
    ok(await s.run(['init']));
    const r = await s.run(['serve', '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('serve needs untilStopped');
    expect(r.stderr).toContain('error [internal]');
  });

  it('serve listens on the --port given', async () => {
    const s = store();
    ok(await s.run(['init']));
    // a port that is free now: the OS picks it, the probe lets it go
    const port = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const p = (probe.address() as AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    const r = await s.run(['serve', '--port', String(port)], { untilStopped: async () => 'test stop' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^ECPS console: http://127\\.0\\.0\\.1:${port}/`));
  });

  it('serve prints the browser host address, runs until stopped, then says why it closes', async () => {
    const s = store();
    ok(await s.run(['init']));
    let printed = '';
    const r = await s.run(['serve', '--port', '0'], {
      untilStopped: async () => {
        printed = 'stopped';
        return 'test stop';
      },
    });
    expect(printed).toBe('stopped');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ECPS console: http:\/\/127\.0\.0\.1:\d+\/\S*\n$/);
    expect(r.stderr).toBe('test stop: closing the browser host and the key store\n');
    // the store was closed: another console opens it
    ok(await s.run(['unlock']));
  });
});
