// The CLI on a store in a temp folder, two ways with the same result: in this process (runCli, the command's code
// without a Node start: argument handling, output, errors, exit codes) or as a real process (node electron/cli.ts:
// what only a process shows, such as signals, a terminal, exit under a pending timer; *.slow.test.ts files). Also
// the robot simulator powered on once a CLI process has opened its end of the pty.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { runCli, type CliIo } from '../../../electron/ipc/cli/runCli.ts';
import type { RobotProcess } from '../../robot-sim/harness.ts';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const CLI = join(ROOT, 'electron', 'cli.ts');

export interface CliRun { code: number | null; stdout: string; stderr: string }

export type CliMode = 'in-process' | 'process';

export interface CliCall {
  env: NodeJS.ProcessEnv;
  /** What stdin holds (then it ends); default: nothing. */
  stdin?: string;
  /** Process mode only: gets the process id once it is spawned. */
  onSpawn?: (pid: number) => void;
  /** In-process mode only: the offline console's clock (kit status / use). */
  now?: () => Date;
  /** In-process mode only: the share files' file system calls replaced (a full disk; runCli's CliIo.outputFs). */
  outputFs?: CliIo['outputFs'];
}

/** The environment a test CLI starts with: no inherited provider variables, a low scrypt cost, operator alice. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ECPS_KDF_LOG2N: '10', ECPS_OPERATOR: 'alice', ...extra };
}

/** One command line through runCli in this process; stdin is a plain stream (not a terminal). */
export async function cliInProcess(args: string[], call: CliCall): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli({
    argv: args,
    env: { ...call.env },
    stdin: Readable.from(call.stdin ? [Buffer.from(call.stdin)] : []),
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    ...(call.now ? { now: call.now } : {}),
    ...(call.outputFs ? { outputFs: call.outputFs } : {}),
  });
  return { code, stdout, stderr };
}

/** One command line as a real process (node electron/cli.ts), stdin piped. */
export function cliAsProcess(args: string[], call: CliCall): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: call.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    if (child.pid !== undefined) call.onSpawn?.(child.pid);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(call.stdin ?? '');
  });
}

export const runCliAs = (mode: CliMode) => (mode === 'in-process' ? cliInProcess : cliAsProcess);

/**
 * True once process `pid` holds `file` open (Linux /proc): the console has opened its end of the pty. `file` may be a
 * cable's symbolic link (test/robot-sim/harness.ts); what the process holds is the pty it points to.
 */
function holds(pid: number, file: string): boolean {
  try {
    const target = realpathSync(file);
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === target;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

/**
 * A temp folder `dir` (prefix `dirPrefix`; the test removes it) and `cli(args)`, which runs the CLI (`mode`) with
 * `--data-dir dir/store` as operator alice with `passphrase` and a low scrypt cost; `onSpawn` gets the process id
 * (process mode); `extraEnv` adds variables for that run (KMS_PROVIDER and its friends).
 */
export function cliRunner(
  dirPrefix: string,
  passphrase: string,
  mode: CliMode,
): { dir: string; cli: (args: string[], onSpawn?: (pid: number) => void, extraEnv?: Record<string, string>) => Promise<CliRun> } {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const run = runCliAs(mode);
  const cli = (args: string[], onSpawn?: (pid: number) => void, extraEnv: Record<string, string> = {}): Promise<CliRun> => {
    if (onSpawn && mode !== 'process') throw new Error('onSpawn needs a CLI process');
    return run(['--data-dir', join(dir, 'store'), ...args], { env: cliEnv({ ECPS_PASSPHRASE: passphrase, ...extraEnv }), ...(onSpawn ? { onSpawn } : {}) });
  };
  return { dir, cli };
}

/** A command run with `--json` that must succeed (exit 0, nothing on stderr): its parsed output. */
export function cliJson(cli: (args: string[]) => Promise<CliRun>): (args: string[]) => Promise<Record<string, unknown>> {
  return async (args) => {
    const r = await cli([...args, '--json']);
    expect(r.stderr, args.join(' ')).toBe('');
    expect(r.code, args.join(' ')).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };
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
