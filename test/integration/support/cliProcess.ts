// The CLI as a real process (node electron/cli.ts) on a store in a temp folder, for the station CLI tests, and the
// robot simulator powered on once the CLI has opened its end of the pty.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RobotProcess } from '../../robot-sim/harness.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CLI = join(ROOT, 'electron', 'cli.ts');

export interface CliRun { code: number | null; stdout: string; stderr: string }

/** True once process `pid` holds `file` open (Linux /proc): the console has opened its end of the pty. */
function holds(pid: number, file: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === file;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

/**
 * A temp folder `dir` (prefix `dirPrefix`; the test removes it) and `cli(args)`, which runs the CLI with
 * `--data-dir dir/store` as operator alice with `passphrase` and a low scrypt cost; `onSpawn` gets the process id;
 * `extraEnv` adds variables for that run (KMS_PROVIDER and its friends).
 */
export function cliRunner(
  dirPrefix: string,
  passphrase: string,
): { dir: string; cli: (args: string[], onSpawn?: (pid: number) => void, extraEnv?: Record<string, string>) => Promise<CliRun> } {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, ECPS_KDF_LOG2N: '10', ECPS_OPERATOR: 'alice', ECPS_PASSPHRASE: passphrase };
  const cli = (args: string[], onSpawn?: (pid: number) => void, extraEnv: Record<string, string> = {}): Promise<CliRun> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, '--data-dir', join(dir, 'store'), ...args], { cwd: ROOT, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      if (child.pid !== undefined) onSpawn?.(child.pid);
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  return { dir, cli };
}

/**
 * An `onSpawn` for cli(): polls (every 20 ms) until the CLI process holds `consolePath` open, then powers `robot` on
 * (it sends HELLO). `stop()` ends the polling if it is still running.
 */
export function powerOnWhenOpened(robot: RobotProcess, consolePath: string): { onSpawn: (pid: number) => void; stop: () => void } {
  let poll: ReturnType<typeof setInterval> | undefined;
  return {
    onSpawn: (pid) => {
      poll = setInterval(() => {
        if (!holds(pid, consolePath)) return;
        clearInterval(poll);
        robot.powerOn();
      }, 20);
    },
    stop: () => clearInterval(poll),
  };
}
