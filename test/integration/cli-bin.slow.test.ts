// The installed entry point, electron/cli-bin.js, as a process: it derives the passphrase key ahead (kekAhead.js)
// when ECPS_PASSPHRASE is set and the store is named, then runs the CLI. The right passphrase must unlock through it,
// a wrong one must still be refused with its code, and commands that derive nothing ahead (help, the environment's
// store folder without a passphrase) behave as before. The key logic itself: kek-ahead.test.ts.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, cliAsProcess, cliEnv, type CliRun } from './support/cliProcess.ts';

const BIN = join(ROOT, 'electron', 'cli-bin.js');
const PASS = 'Bin-Passphrase-Marker correct horse';

function bin(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cliEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

let dir: string;
let data: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ecps-cli-bin-'));
  data = join(dir, 'store');
  const init = await cliAsProcess(['init', '--data-dir', data], { env: cliEnv(), stdin: `${PASS}\n` });
  expect(init.code, init.stderr).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the installed entry point (electron/cli-bin.js)', () => {
  it('unlocks with the right passphrase from the environment, the store named by --data-dir or ECPS_DATA_DIR', async () => {
    const created = await bin(['keys', 'create', '--type', 'storage', '--label', 'Bin', '--json', '--data-dir', data], { ECPS_PASSPHRASE: PASS });
    expect(created.code, created.stderr).toBe(0);
    const keyId = (JSON.parse(created.stdout) as { id: string }).id;
    const listed = await bin(['keys', 'list'], { ECPS_PASSPHRASE: PASS, ECPS_DATA_DIR: data });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${keyId}\\s+Bin\\s+storage`, 'm'));
  });

  it('refuses a wrong passphrase from the environment with its code, without echoing it', async () => {
    const bad = await bin(['keys', 'list', '--data-dir', data], { ECPS_PASSPHRASE: 'Bin-Passphrase-Marker wrong one' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('error [wrong_passphrase]: ');
    expect(bad.stdout + bad.stderr).not.toContain('Bin-Passphrase-Marker');
  });

  it('derives nothing ahead for help or a passphrase from stdin, and still works', async () => {
    const help = await bin(['help'], { ECPS_PASSPHRASE: PASS });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: ecps-console <command>');
    const piped = await bin(['keys', 'list', '--data-dir', data], {}, `${PASS}\n`);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout).toMatch(/\sBin\s+storage/);
  });
});
