// The CLI's commands in this process (runCli: argument handling, output formats, typed errors, exit codes) on a real
// store in a temp folder. What only a real process shows (the terminal prompt, serve and its signals, the binary
// itself) is in cli-process.slow.test.ts.
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_HINTS } from '../../shared/errors.ts';
import { cliEnv, cliInProcess, type CliRun } from './support/cliProcess.ts';

const PASS = 'Cli-Passphrase-Marker correct horse';

type Run = CliRun;

function cli(args: string[], options: { env?: Record<string, string>; stdin?: string } = {}): Promise<Run> {
  return cliInProcess(args, { env: cliEnv(options.env), ...(options.stdin === undefined ? {} : { stdin: options.stdin }) });
}

let dir: string;
let data: string;
const withPass = { env: { ECPS_PASSPHRASE: PASS } };
const d = () => ['--data-dir', data];

function expectNoSecret(r: Run): void {
  expect(r.stdout + r.stderr).not.toContain('Cli-Passphrase-Marker');
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ecps-cli-'));
  data = join(dir, 'store');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cli usage', () => {
  it('prints help with every command and exits 0', async () => {
    const r = await cli(['help']);
    expect(r.code).toBe(0);
    for (const c of ['serve', 'init', 'unlock', 'keys list', 'keys create', 'keys rotate', 'keys state', 'encrypt', 'decrypt', 'audit verify', 'audit export']) {
      expect(r.stdout).toContain(c);
    }
  });

  it('refuses a passphrase on the command line, saying why, and exits 2', async () => {
    for (const flag of [['--passphrase', 'x'], ['--passphrase=x'], ['--password=x']]) {
      const r = await cli(['unlock', ...flag, ...d()]);
      expect(r.code, flag.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/refusing a passphrase on the command line: argv is visible to other users/);
      expect(r.stderr).toContain('ECPS_PASSPHRASE');
    }
  });

  it('exits 2 on usage mistakes without touching the store', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['launch'], /unknown command "launch"/],
      [['keys', 'create', '--type', 'storage'], /--label is required/],
      [['keys', 'rotate'], /expected ID/],
      [['keys', 'list', '--bogus'], /usage error/],
      [['serve', '--port', 'http'], /--port must be a number/],
      [['unlock', '--label', 'x'], /--label does not apply/],
    ];
    for (const [args, message] of cases) {
      const r = await cli([...args, ...d()]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
  });
});

describe('cli commands on a real store', () => {
  let keyId: string;

  it('init reads the passphrase from stdin when there is no terminal', async () => {
    const r = await cli(['init', ...d()], { stdin: `${PASS}\n` });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/key store created at .*; unlocked as alice/);
    expectNoSecret(r);
  });

  it('a second init fails with already_initialized, its hint, and exit 1; the store is kept', async () => {
    const r = await cli(['init', ...d()], withPass);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error \[already_initialized\]: .+\nhint: A key store already exists here; unlock it instead\.\n$/);
    expect((await cli(['unlock', ...d()], withPass)).code).toBe(0);
  });

  it('unlock checks the passphrase: wrong is error [wrong_passphrase] with its hint', async () => {
    const ok = await cli(['unlock', '--json', ...d()], withPass);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ state: 'unlocked', operator: 'alice' });
    const bad = await cli(['unlock', ...d()], { env: { ECPS_PASSPHRASE: 'Cli-Passphrase-Marker wrong one' } });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('error [wrong_passphrase]');
    expect(bad.stderr).toContain(`hint: ${ERROR_HINTS.wrong_passphrase}`);
    expectNoSecret(bad);
  });

  it('says how to give a passphrase when none is given', async () => {
    const r = await cli(['keys', 'list', ...d()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error [invalid_input]: No passphrase given: set ECPS_PASSPHRASE');
  });

  it('keys create, list, rotate and state go through the router and its validation', async () => {
    const created = await cli(['keys', 'create', '--type', 'storage', '--label', 'Backup disk', '--json', ...d()], withPass);
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; label: string; currentVersion: number; state: string };
    expect(key).toMatchObject({ label: 'Backup disk', currentVersion: 1, state: 'active' });
    keyId = key.id;

    const table = await cli(['keys', 'list', ...d()], withPass);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`^ID\\s+LABEL.*\\n${keyId}\\s+Backup disk\\s+storage\\s+AES_256\\s+active\\s+v1`));

    const rotated = await cli(['keys', 'rotate', keyId, '--json', ...d()], withPass);
    expect(JSON.parse(rotated.stdout)).toMatchObject({ id: keyId, currentVersion: 2 });

    const badType = await cli(['keys', 'create', '--type', 'rocket', '--label', 'x', ...d()], withPass);
    expect(badType.code).toBe(1);
    expect(badType.stderr).toMatch(/^error \[invalid_input\]: Invalid input for keys:create: type: /);

    const badId = await cli(['keys', 'rotate', 'not-a-uuid', ...d()], withPass);
    expect(badId.stderr).toContain('error [invalid_input]');
    expect(badId.stderr).toContain('keyId');

    const illegal = await cli(['keys', 'state', keyId, 'destroyed', '--reason', 'test', ...d()], withPass);
    expect(illegal.code).toBe(1);
    expect(illegal.stderr).toContain('error [illegal_transition]');

    const suspended = await cli(['keys', 'state', keyId, 'suspended', '--reason', 'maintenance', '--json', ...d()], withPass);
    expect(JSON.parse(suspended.stdout)).toMatchObject({ id: keyId, state: 'suspended' });
    const back = await cli(['keys', 'state', keyId, 'active', '--reason', 'done', ...d()], withPass);
    expect(back.stdout).toContain('active');
  });

  it('encrypt and decrypt round-trip a file with its associated data', async () => {
    const input = join(dir, 'firmware.bin');
    const payload = Buffer.concat([Buffer.from('robot firmware '), Buffer.from([0, 1, 2, 255])]);
    writeFileSync(input, payload);
    const sealed = join(dir, 'firmware.enc');
    const enc = await cli(['encrypt', '--key', keyId, '--in', input, '--out', sealed, '--aad', 'robot-7', ...d()], withPass);
    expect(enc.stderr).toBe('');
    expect(enc.stdout).toMatch(new RegExp(`encrypted ${payload.length} bytes with key ${keyId} v2`));
    expect(readFileSync(sealed, 'utf8')).not.toContain('robot firmware');

    const opened = join(dir, 'firmware.out');
    const dec = await cli(['decrypt', '--in', sealed, '--out', opened, '--aad', 'robot-7', ...d()], withPass);
    expect(dec.code).toBe(0);
    expect(readFileSync(opened).equals(payload)).toBe(true);
    expect(statSync(opened).mode & 0o777).toBe(0o600);

    const wrongAad = await cli(['decrypt', '--in', sealed, '--out', join(dir, 'x.out'), '--aad', 'robot-8', ...d()], withPass);
    expect(wrongAad.code).toBe(1);
    expect(wrongAad.stderr).toContain('error [aad_mismatch]');
  });

  it('never overwrites an existing output file unless --force', async () => {
    const input = join(dir, 'small.txt');
    writeFileSync(input, 'hello');
    const existing = join(dir, 'keep.txt');
    writeFileSync(existing, 'precious');
    const r = await cli(['encrypt', '--key', keyId, '--in', input, '--out', existing, ...d()], withPass);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('exists; it was not changed (use --force to replace it)');
    expect(readFileSync(existing, 'utf8')).toBe('precious');
    chmodSync(existing, 0o644);
    const forced = await cli(['encrypt', '--key', keyId, '--in', input, '--out', existing, '--force', ...d()], withPass);
    expect(forced.code).toBe(0);
    expect(readFileSync(existing, 'utf8')).not.toBe('precious');
    // The replaced file is owner-only too, not left at its old 0644.
    expect(statSync(existing).mode & 0o777).toBe(0o600);
  });

  it('encrypts a file over the single-call limit of the window (1 MiB + 1) and decrypts it back; a missing one is not_found', async () => {
    const big = join(dir, 'big.bin');
    const payload = Buffer.alloc(1024 * 1024 + 1, 7);
    writeFileSync(big, payload);
    const r = await cli(['encrypt', '--key', keyId, '--in', big, '--out', join(dir, 'big.enc'), '--json', ...d()], withPass);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ keyId, bytes: payload.length, format: 2 });
    const back = await cli(['decrypt', '--in', join(dir, 'big.enc'), '--out', join(dir, 'big.out'), ...d()], withPass);
    expect(back.code).toBe(0);
    expect(readFileSync(join(dir, 'big.out')).equals(payload)).toBe(true);
    const missing = await cli(['encrypt', '--key', keyId, '--in', join(dir, 'nope'), '--out', join(dir, 'n.enc'), ...d()], withPass);
    expect(missing.stderr).toContain('error [not_found]');
  });

  it('audit verify reports an intact chain and audit export writes the records', async () => {
    const v = await cli(['audit', 'verify', ...d()], withPass);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/audit chain intact: \d+ records/);
    const out = join(dir, 'audit.jsonl');
    const e = await cli(['audit', 'export', '--out', out, '--json', ...d()], withPass);
    expect(e.code).toBe(0);
    const summary = JSON.parse(e.stdout) as { records: number };
    expect(summary.records).toBeGreaterThan(5);
    const content = readFileSync(out, 'utf8');
    expect(content).toContain('"action":"key.create"');
    // the CLI unlocks before it acts: no refused "locked" calls clutter the trail
    expect(content).not.toContain('"code":"locked"');
    expect(content).not.toContain('Cli-Passphrase-Marker');
  });
});
