// The CLI as a real process (node electron/cli.ts ...) where the process is the point: the binary starts and every
// command family works through it (argv, real stdin and stdout, exit codes), the no-echo prompt on a real terminal,
// and serve with its signals. The commands' behaviour in detail is tested in this process (cli.test.ts).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsole } from '../../electron/app.ts';
import { silentLogger } from '../../electron/logger.ts';
import { ERROR_HINTS } from '../../shared/errors.ts';
import { CTX, FAST_KDF } from '../unit/store-testkit.ts';
import { forgeAuditHistory } from './support/auditForgery.ts';
import { CLI, ROOT, cliAsProcess, cliEnv, type CliRun } from './support/cliProcess.ts';

const PASS = 'Cli-Passphrase-Marker correct horse';

function cli(args: string[], options: { env?: Record<string, string>; stdin?: string } = {}): Promise<CliRun> {
  return cliAsProcess(args, { env: cliEnv(options.env), ...(options.stdin === undefined ? {} : { stdin: options.stdin }) });
}

let dir: string;
let data: string;
const withPass = { env: { ECPS_PASSPHRASE: PASS } };
const d = () => ['--data-dir', data];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ecps-cli-process-'));
  data = join(dir, 'store');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the real binary: one command of each family', () => {
  it('help exits 0; a usage mistake exits 2 naming it', async () => {
    const help = await cli(['help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: ecps-console <command>');
    const usage = await cli(['launch', ...d()]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^usage error: unknown command "launch"/);
  });

  it('init reads the passphrase from a piped stdin; a wrong passphrase exits 1 with its hint', async () => {
    const init = await cli(['init', ...d()], { stdin: `${PASS}\n` });
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(init.stdout).toMatch(/key store created at .*; unlocked as alice/);
    const bad = await cli(['unlock', ...d()], { env: { ECPS_PASSPHRASE: 'Cli-Passphrase-Marker wrong one' } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`error [wrong_passphrase]: `);
    expect(bad.stderr).toContain(`hint: ${ERROR_HINTS.wrong_passphrase}`);
    expect(bad.stdout + bad.stderr).not.toContain('Cli-Passphrase-Marker');
  });

  it('keys, encrypt / decrypt and audit work through the binary', async () => {
    const created = await cli(['keys', 'create', '--type', 'storage', '--label', 'Smoke', '--json', ...d()], withPass);
    expect(created.code, created.stderr).toBe(0);
    const keyId = (JSON.parse(created.stdout) as { id: string }).id;
    expect((await cli(['keys', 'list', ...d()], withPass)).stdout).toMatch(new RegExp(`^${keyId}\\s+Smoke\\s+storage`, 'm'));
    const input = join(dir, 'orders.txt');
    writeFileSync(input, 'hold position');
    const sealed = join(dir, 'orders.enc');
    expect((await cli(['encrypt', '--key', keyId, '--in', input, '--out', sealed, ...d()], withPass)).code).toBe(0);
    const opened = join(dir, 'orders.out');
    expect((await cli(['decrypt', '--in', sealed, '--out', opened, ...d()], withPass)).code).toBe(0);
    expect(readFileSync(opened, 'utf8')).toBe('hold position');
    const verified = await cli(['audit', 'verify', ...d()], withPass);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/audit chain intact: \d+ records/);
  });

  it('a history forged in console.db (issue 10, item 2) makes the binary\'s audit verify exit 1', async () => {
    // Its own store: the forgery edits a record, recomputes the hashes, re-signs every checkpoint with another key and
    // flips one bit of the audit key's MAC (test/integration/support/auditForgery.ts).
    const forgedData = join(dir, 'forged-store');
    const f = ['--data-dir', forgedData];
    expect((await cli(['init', ...f], withPass)).code).toBe(0);
    expect((await cli(['keys', 'create', '--type', 'storage', '--label', 'victim', ...f], withPass)).code).toBe(0);
    expect((await cli(['audit', 'verify', ...f], withPass)).code).toBe(0);
    expect(forgeAuditHistory(join(forgedData, 'console.db'), { victimAction: 'key.create', newActor: 'mallory' }).resigned).toBeGreaterThan(0);
    const v = await cli(['audit', 'verify', ...f], withPass);
    expect(v.stdout).not.toContain('intact');
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(/^error \[integrity_failure\]: .*audit key failed its check against the master key/m);
  });

  it('the fleet key commands work through the binary', async () => {
    const c = await createConsole({ dataDir: data, kdf: FAST_KDF, logger: silentLogger });
    try {
      await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASS }, CTX);
      await c.handlers['fleet:importCsv']({ csv: 'device_id,name,model,site,firmware,tags,status\nuv-0001,Robot 1,UV-7,Plant A,1.0.0,,manufactured\n' }, CTX);
    } finally {
      c.close();
    }
    const key = JSON.parse((await cli(['keys', 'create', '--type', 'communication', '--label', 'comm', '--json', ...d()], withPass)).stdout) as { id: string };
    const assigned = await cli(['assign-key', '--site', 'Plant A', '--type', 'communication', '--key', key.id, ...d()], withPass);
    expect(assigned.code, assigned.stderr).toBe(0);
    expect(assigned.stdout).toContain(`assigned the communication key "comm" (${key.id}) v1 to site Plant A`);
    const view = await cli(['key-assignments', '--device-id', 'uv-0001', '--json', ...d()], withPass);
    expect(JSON.parse(view.stdout)).toMatchObject({ deviceId: 'uv-0001', effective: [{ keyType: 'communication', keyId: key.id, source: 'site' }, expect.anything()] });
    const usage = await cli(['key-usage', '--key', key.id, ...d()], withPass);
    expect(usage.code).toBe(0);
    expect(usage.stdout).toMatch(/^0 robots hold this key; current version v1$/m);
  });
});

// `script` (util-linux) gives the CLI a real pseudo-terminal, so the no-echo prompt is exercised as a user meets it.
const SCRIPT = ['/usr/bin/script', '/bin/script'].find((p) => existsSync(p));
if (!SCRIPT) console.log('SKIPPED cli terminal prompt: no `script` command (util-linux) on this machine');

describe('cli passphrase prompt on a terminal', () => {
  it.skipIf(!SCRIPT)('asks without echoing what is typed', async () => {
    const ttyData = join(dir, 'tty-store');
    expect((await cli(['init', '--data-dir', ttyData], { stdin: `${PASS}\n` })).code).toBe(0);
    const command = [process.execPath, CLI, 'unlock', '--data-dir', ttyData].map((a) => `'${a}'`).join(' ');
    const child = spawn(SCRIPT!, ['-qfec', command, '/dev/null'], { cwd: ROOT, env: cliEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let typed = false;
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (!typed && out.includes('Passphrase: ')) {
        typed = true;
        child.stdin.write(`${PASS}\r`);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdin.destroy();
    expect(typed).toBe(true);
    expect(code).toBe(0);
    expect(out).toContain('passphrase accepted');
    expect(out).not.toContain('Cli-Passphrase-Marker');
  });
});

describe('cli serve', () => {
  it('prints its URL, serves the router over the socket, and closes cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...d()], { cwd: ROOT, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /^ECPS console: (http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43})\n/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', () => reject(new Error(`serve exited early: ${stderr}`)));
    });
    const { origin, searchParams } = new URL(url);
    const ws = new WebSocket(`${origin.replace('http', 'ws')}/ws?token=${searchParams.get('token')}`);
    const reply = await new Promise<string>((resolve, reject) => {
      ws.once('open', () => ws.send(JSON.stringify({ id: 1, channel: 'session:status', input: {} })));
      ws.once('message', (m) => resolve(m.toString()));
      ws.once('error', reject);
    });
    expect(JSON.parse(reply)).toMatchObject({ id: 1, envelope: { ok: true, value: { state: 'locked' } } });
    const refused = await fetch(`${origin}/`);
    expect(refused.status).toBe(401);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('SIGTERM: closing the browser host and the key store');
    // the store was closed properly: the next process opens it
    expect((await cli(['unlock', ...d()], withPass)).code).toBe(0);
  });
});
