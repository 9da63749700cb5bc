// The CLI's `provision` command (provision_robot_with_kms) as a real process on a real store, with the robot
// simulator on the other end of a socat pty pair: the first run creates the fleet CA and writes its certificate
// even though no robot answers (a typed error, exit 1); the second provisions the robot and writes its record.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnRobot, startPtyPair } from '../robot-sim/harness.ts';
import { cliRunner, powerOnWhenOpened } from './support/cliProcess.ts';

const { dir, cli } = cliRunner('ecps-station-cli-', 'Station-cli passphrase 0123', 'process');

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
    const power = powerOnWhenOpened(robot, pair.consolePath);
    try {
      const storage = join(dir, 'records');
      const r = await cli(['provision', '--device-id', 'uv-300', '--port', pair.consolePath, '--ca-cert-out', ca, '--storage-path', storage, '--json'], power.onSpawn);
      power.stop();
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
