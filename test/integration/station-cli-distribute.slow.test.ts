// The CLI's `distribute` command as a real process on a real store: a robot provisioned by `provision` over a socat
// pty with the simulator, then its next key bundle sent over a new cable, installed and confirmed by the simulator.
// Usage errors exit 2; a port that cannot be opened is a typed error (exit 1).
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnRobot, startPtyPair } from '../robot-sim/harness.ts';
import { lastSequence } from '../robot-sim/installBundle.ts';
import { cliRunner, powerOnWhenOpened } from './support/cliProcess.ts';

const { dir, cli } = cliRunner('ecps-cli-distribute-', 'Distribute-cli passphrase 0123', 'process');

/** Runs a CLI command against a simulator on a fresh cable; the robot powers on once the CLI opened its end. */
async function withRobot(keystore: string, caFile: string, args: (consolePath: string) => string[]) {
  const pair = await startPtyPair();
  const robot = spawnRobot({ port: pair.robotPath, deviceId: 'uv-500', keystore, caCertFile: caFile, waitSignal: true });
  await robot.ready;
  const power = powerOnWhenOpened(robot, pair.consolePath);
  try {
    const r = await cli(args(pair.consolePath), power.onSpawn);
    return { cli: r, robot: await robot.result };
  } finally {
    power.stop();
    robot.kill();
    pair.unplug();
  }
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cli distribute', () => {
  it('requires --device-id and --port', async () => {
    const r = await cli(['distribute', '--device-id', 'uv-500']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--port is required/);
  });

  it('sends a provisioned robot its next key bundle over a serial port; the robot installs and confirms it', async () => {
    expect((await cli(['init'])).code).toBe(0);
    expect((await cli(['keys', 'create', '--type', 'communication', '--label', 'comm', '--algorithm', 'AES_256'])).code).toBe(0);
    expect((await cli(['keys', 'create', '--type', 'storage', '--label', 'storage', '--algorithm', 'AES_256'])).code).toBe(0);
    const keystore = mkdtempSync(join(dir, 'robot-'));
    const ca = join(dir, 'ca.pem');
    // provision creates the CA and writes its certificate before it opens the port; the simulator reads it at power-on.
    const provisioned = await withRobot(keystore, ca, (p) => ['provision', '--device-id', 'uv-500', '--port', p, '--ca-cert-out', ca, '--json']);
    expect(provisioned.cli.stderr).toBe('');
    expect(provisioned.cli.code).toBe(0);

    const sent = await withRobot(keystore, ca, (p) => ['distribute', '--device-id', 'uv-500', '--port', p, '--json']);
    expect(sent.cli.stderr).toBe('');
    expect(sent.cli.code).toBe(0);
    const out = JSON.parse(sent.cli.stdout) as { deviceId: string; sequence: number; keyVersions: unknown[] };
    expect(out).toMatchObject({ deviceId: 'uv-500', sequence: 1, keyVersions: [expect.anything(), expect.anything()] });
    expect(sent.robot.exitCode).toBe(0);
    expect(sent.robot.json).toMatchObject({ ok: true, mode: 'distribute', sequence: 1 });
    expect(lastSequence(keystore)).toBe(1);

    // A port that cannot be opened: the session fails at hello with a typed error.
    const noPort = await cli(['distribute', '--device-id', 'uv-500', '--port', join(dir, 'no-such-port')]);
    expect(noPort.code).toBe(1);
    expect(noPort.stderr).toMatch(/error \[provider_unavailable\]: Distributing to uv-500 on .* failed at step hello/);
  });
});
