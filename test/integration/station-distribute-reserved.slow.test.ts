// A key bundle over the serial link whose build fails AFTER its sequence was reserved: the failure record names the
// reserved (burnt) sequence, consistent with the key_bundles row. Real console (createConsole in a temp folder) whose
// fleet CA key lives in the AWS KMS emulator; the robot simulator on a socat pty. The failure is real: the CA key is
// disabled in KMS (out of band, as an administrator would) after provisioning, so the robot, its certificate and the
// keys check out and the sequence is reserved, then the CA signature is refused (DisabledException).
import { DisableKeyCommand, EnableKeyCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventPayload } from '../../shared/contract.ts';
import type { FleetConsole } from '../../electron/app.ts';
import type { DistributionResult } from '../../electron/station/distributeSession.ts';
import type { AwsKmsEmulator } from '../emulators/aws-kms/index.ts';
import { rawClient, startTestEmulator, TEST_CREDENTIALS, TEST_REGION } from '../emulators/aws-kms/testkit.ts';
import { writeCaFile, type RobotProcess } from '../robot-sim/harness.ts';
import { lastSequence } from '../robot-sim/installBundle.ts';
import { removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { contractCaller, until } from './support/consoleCalls.ts';
import { createStationConsole, PASS, robotBench } from './support/stationRig.ts';

describe('station: a bundle build that fails after its sequence was reserved', () => {
  const dir = tempDir('ecps-reserved-console-');
  const work = tempDir('ecps-reserved-work-');
  const progress: Array<EventPayload<'station:progress'>> = [];
  let emu: AwsKmsEmulator;
  let c: FleetConsole;
  let caFile = '';
  let caKeyRef = '';
  let keystore = '';

  const call = contractCaller(() => c);
  const bench = robotBench(() => caFile);
  const installAudits = (deviceId: string) => c.audit.query({ action: 'bundle.install', targetId: deviceId, offset: 0, limit: 20 }).records;

  /** One distribution session through the station (distributeOnce): the robot is powered on once the console listens. */
  const distribute = async (deviceId: string): Promise<{ result: DistributionResult; robot: Awaited<RobotProcess['result']> }> => {
    const { pair, robot } = await bench.robotOn(deviceId, { keystore, waitSignal: true });
    await robot.ready;
    const seen = progress.length;
    const session = c.station.distributeOnce(pair.consolePath, deviceId);
    await until('the console session on the port', () => (progress.slice(seen).some((p) => p.port === pair.consolePath && p.step === 'hello') ? true : undefined));
    robot.powerOn();
    const [result, robotResult] = await Promise.all([session, robot.result]);
    return { result, robot: robotResult };
  };

  beforeAll(async () => {
    emu = await startTestEmulator();
    c = await createStationConsole({
      dataDir: dir, env: {},
      providers: { baseDelayMs: 5, maxDelayMs: 20, failureThreshold: 5, openMs: 60_000, healthIntervalMs: 3_600_000 },
      station: { stepTimeoutMs: 60_000, pollIntervalMs: 200 },
      progress,
    });
    await call('session:init', { operator: 'Officer Ada', passphrase: PASS });
    await call('providers:save', {
      config: {
        provider: 'aws_kms', id: 'aws-ca', region: TEST_REGION, endpoint: emu.endpoint,
        aws_access_key_id: TEST_CREDENTIALS.accessKeyId, aws_secret_access_key: TEST_CREDENTIALS.secretAccessKey,
        use_kms_for_storage: false, timeout_ms: 2000, retries: 1,
      },
    });
    await call('keys:create', { type: 'communication', label: 'fleet comm', algorithm: 'AES_256', provider: 'local' });
    await call('keys:create', { type: 'storage', label: 'fleet storage', algorithm: 'AES_256', provider: 'local' });
    const ca = await call('ca:init', { providerId: 'aws-ca', algorithm: 'EC_P256', commonName: 'KMS Fleet CA' });
    expect(ca).toMatchObject({ initialized: true, providerId: 'aws-ca' });
    caKeyRef = ca.keyRef ?? '';
    caFile = writeCaFile(work, ca.certificatePem ?? '');
    await call('fleet:create', { deviceId: 'uv-rs1', name: 'Reserved sequence', model: 'UV-7', site: 'Plant 1' });

    // Provisioned over a pty (its certificate signed through KMS), so that it may receive bundles.
    keystore = tempDir('ecps-robot-ks-');
    const { pair, robot } = await bench.robotOn('uv-rs1', { keystore });
    const provisioned = await c.station.provisionOnce(pair.consolePath, 'uv-rs1');
    expect(provisioned.ok, JSON.stringify(provisioned)).toBe(true);
    expect((await robot.result).exitCode).toBe(0);
  });
  afterAll(async () => {
    bench.release();
    c.close();
    await emu.close();
    removeTempDirs();
  });

  it('the CA key disabled in KMS: the session fails at the bundle step and its failure record carries the reserved sequence', async () => {
    await rawClient(emu).send(new DisableKeyCommand({ KeyId: caKeyRef }));
    const { result, robot } = await distribute('uv-rs1');
    expect(robot.json).toMatchObject({ ok: false, code: 'robot_error' }); // the robot heard the console's ERROR
    expect(result).toMatchObject({ ok: false, deviceId: 'uv-rs1', step: 'bundle', sequence: 1, error: { code: 'internal' } });

    // The reserved row: burnt by the bundle service ('failed' with the build's code), never installed.
    const rows = (await call('bundles:list', { deviceId: 'uv-rs1' })).bundles;
    expect(rows).toEqual([expect.objectContaining({ sequence: 1, delivery: 'serial', state: 'failed', errorCode: 'internal' })]);
    // The failure record names that sequence (it said null before the fix) and the same code as the row.
    const audits = installAudits('uv-rs1');
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      outcome: 'failure',
      details: expect.objectContaining({ step: 'bundle', code: 'internal', consoleCode: rows[0]?.errorCode, sequence: rows[0]?.sequence }),
    });
    expect(String(audits[0]?.details?.message)).toContain('disabled');
    // Nothing recorded in the registry as delivered by distribution.
    expect((await call('fleet:get', { deviceId: 'uv-rs1' })).keys.every((k) => k.source === 'provisioning')).toBe(true);
    expect(lastSequence(keystore)).toBe(0);
  });

  it('the CA key enabled again: the next bundle takes the next sequence (the burnt one is not reused) and is installed', async () => {
    await rawClient(emu).send(new EnableKeyCommand({ KeyId: caKeyRef }));
    const { result, robot } = await distribute('uv-rs1');
    expect(result, JSON.stringify(result)).toMatchObject({ ok: true, sequence: 2 });
    expect(robot.json).toMatchObject({ ok: true, mode: 'distribute', sequence: 2 });
    expect(lastSequence(keystore)).toBe(2);
    expect((await call('bundles:list', { deviceId: 'uv-rs1' })).bundles.map((b) => [b.sequence, b.state])).toEqual([[2, 'installed'], [1, 'failed']]);
    expect(installAudits('uv-rs1').map((r) => [r.outcome, r.details?.sequence])).toEqual([['success', 2], ['failure', 1]]);
  });
});
