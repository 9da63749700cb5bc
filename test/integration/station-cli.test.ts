// The CLI's `provision` command (provision_robot_with_kms) as a real process on a real store, with the robot
// simulator on the other end of a socat pty pair: the first run creates the fleet CA and writes its certificate
// even though no robot answers (a typed error, exit 1); the second provisions the robot and writes its record.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnRobot, startPtyPair } from '../robot-sim/harness.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'electron', 'cli.ts');
const dir = mkdtempSync(join(tmpdir(), 'ecps-station-cli-'));
const env = { PATH: process.env.PATH, HOME: process.env.HOME, ECPS_KDF_LOG2N: '10', ECPS_OPERATOR: 'alice', ECPS_PASSPHRASE: 'Station-cli passphrase 0123' };

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

function cli(args: string[], onSpawn?: (pid: number) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--data-dir', join(dir, 'store'), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    if (child.pid !== undefined) onSpawn?.(child.pid);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cli provision', () => {
  it('requires --device-id and --port', async () => {
    const r = await cli(['provision', '--port', '/dev/null']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--device-id is required/);
  });

  it('creates the CA on first use, then provisions a robot on a pty and writes the CA certificate and its record', async () => {
    expect((await cli(['init'])).code).toBe(0);
    expect((await cli(['keys', 'create', '--type', 'communication', '--label', 'comm', '--algorithm', 'AES_256'])).code).toBe(0);
    expect((await cli(['keys', 'create', '--type', 'storage', '--label', 'storage', '--algorithm', 'AES_256'])).code).toBe(0);
    const ca = join(dir, 'ca.pem');
    const first = await cli(['provision', '--device-id', 'uv-300', '--port', join(dir, 'no-such-port'), '--ca-cert-out', ca]);
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/error \[provider_unavailable\]: Provisioning uv-300 on .* failed at step hello/);
    expect(readFileSync(ca, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);

    const pair = await startPtyPair();
    const keystore = mkdtempSync(join(dir, 'robot-'));
    // The robot powers on (sends HELLO) once the CLI has opened its end of the cable.
    const robot = spawnRobot({ port: pair.robotPath, deviceId: 'uv-300', keystore, caCertFile: ca, waitSignal: true });
    await robot.ready;
    let poll: ReturnType<typeof setInterval> | undefined;
    try {
      const storage = join(dir, 'records');
      const r = await cli(['provision', '--device-id', 'uv-300', '--port', pair.consolePath, '--ca-cert-out', ca, '--storage-path', storage, '--json'], (pid) => {
        poll = setInterval(() => {
          if (!holds(pid, pair.consolePath)) return;
          clearInterval(poll);
          robot.powerOn();
        }, 20);
      });
      clearInterval(poll);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as { deviceId: string; serial: string; keyVersions: unknown[] };
      expect(out).toMatchObject({ deviceId: 'uv-300', keyVersions: [expect.anything(), expect.anything()] });
      expect((await robot.result).exitCode).toBe(0);
      const record = JSON.parse(readFileSync(join(storage, 'uv-300.json'), 'utf8')) as { status: string; certificates: Array<{ serial: string }> };
      expect(record.status).toBe('provisioned');
      expect(record.certificates[0]?.serial).toBe(out.serial);
      expect(readFileSync(join(storage, 'uv-300.cert.pem'), 'utf8')).toMatch(/BEGIN CERTIFICATE/);

      // A key bundle for the provisioned robot, as a file for a USB stick.
      const bundleFile = join(dir, 'uv-300.bundle.json');
      const b = await cli(['bundle', '--device-id', 'uv-300', '--out', bundleFile, '--json']);
      expect(b.stderr).toBe('');
      expect(b.code).toBe(0);
      expect(JSON.parse(b.stdout)).toMatchObject({ sequence: 1, out: bundleFile });
      expect(JSON.parse(readFileSync(bundleFile, 'utf8'))).toMatchObject({ format: 'ECPS-KEYBUNDLE-v1' });
      const unknown = await cli(['bundle', '--device-id', 'uv-999', '--out', join(dir, 'x.json')]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/error \[/);
    } finally {
      robot.kill();
      pair.unplug();
    }
  });
});
