// Every station fault case from the UI: robots that misbehave on the wire (the simulator's --misbehave, plus a frame
// made by hand), an unknown robot, a cable pulled mid-frame and a robot that stops answering. Several robots share
// one station run, each on its own socat pty pair. For each: the port row shows the failed step and the error code,
// the shift's failed counter counts it, the audit log (Audit screen and audit:query) holds the station.provision
// failure with that code, and the registry has no provisioned robot and no valid certificate for it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { MessageType, encodeFrame } from '../../electron/station/frame.ts';
import { ROBOT_SEQ, encodeHello } from '../../electron/station/protocol.ts';
import { spawnRobot, startPtyPair, type PtyPair, type RobotProcess } from '../robot-sim/harness.ts';
import { expect, test } from './support/consoleFixture.ts';
import { CTX, expectNotProvisioned, portRow, portState, prepareStation, provisionAudits, startStation, stopStation } from './support/stationUi.ts';
import { auditRows, goToAudit, pickAuditAction } from './support/ui.ts';

interface FaultCase {
  deviceId: string;
  /** The simulator's misbehaviour; none for the hand-made frame and the unknown robot. */
  misbehave?: string;
  code: string;
  step: string;
  /** false: the robot is not in the registry (unknown_robot). */
  registered?: boolean;
  /** The HELLO itself is malformed: the console never learns a device id. */
  handMade?: boolean;
}

const CASES: FaultCase[] = [
  { deviceId: 'uv-badframe', code: 'bad_frame', step: 'hello', handMade: true },
  { deviceId: 'uv-crc', misbehave: 'corrupt-frame', code: 'bad_crc', step: 'csr' },
  { deviceId: 'uv-replay', misbehave: 'replay', code: 'replayed_message', step: 'csr' },
  { deviceId: 'uv-wrongid', misbehave: 'wrong-id', code: 'forged_csr', step: 'csr' },
  { deviceId: 'uv-badconfirm', misbehave: 'bad-confirm', code: 'key_confirmation_failed', step: 'confirm' },
  { deviceId: 'uv-stranger', code: 'unknown_robot', step: 'hello', registered: false },
  { deviceId: 'uv-drop', misbehave: 'drop', code: 'disconnected', step: 'csr' },
];

/** A HELLO frame with a valid CRC whose payload has a byte too many: a well-framed but malformed message. */
function malformedHello(deviceId: string): Buffer {
  const payload = Buffer.concat([encodeHello({ deviceId, robotNonce: Buffer.alloc(32, 7), firmware: 'hand-made' }), Buffer.from([0])]);
  return encodeFrame({ type: MessageType.HELLO, seq: ROBOT_SEQ.HELLO, payload });
}

async function openRaw(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  return port;
}

test('each fault case fails its port with a clear code, is counted and audited, and provisions nothing', async ({ page, harness }) => {
  test.setTimeout(180_000);
  const work = mkdtempSync(join(tmpdir(), 'ecps-e2e-faults-'));
  const pairs: PtyPair[] = [];
  const robots: RobotProcess[] = [];
  let raw: SerialPort | undefined;
  try {
    const h = harness.current().fleet.handlers;
    const caFile = await prepareStation(page, harness.current().host.url, h, work, CASES.filter((c) => c.registered !== false).map((c) => c.deviceId));
    pairs.push(...(await Promise.all(CASES.map(() => startPtyPair()))));
    const byDevice = new Map<string, { pair: PtyPair; robot?: RobotProcess }>();
    for (const [i, c] of CASES.entries()) {
      const pair = pairs[i] as PtyPair;
      if (c.handMade) {
        raw = await openRaw(pair.robotPath);
        byDevice.set(c.deviceId, { pair });
        continue;
      }
      const robot = spawnRobot({ port: pair.robotPath, deviceId: c.deviceId, keystore: mkdtempSync(join(work, 'robot-')), caCertFile: caFile, waitSignal: true, ...(c.misbehave ? { misbehave: c.misbehave } : {}) });
      robots.push(robot);
      byDevice.set(c.deviceId, { pair, robot });
      // The dropping robot leaves mid-frame; then the cable is pulled (socat ended), as on a real station. Pulled once
      // the port shows the console waiting for the CSR (it enters that step when its CHALLENGE has drained): pulled
      // earlier on a loaded machine, the CHALLENGE's drain fails and the port rightly fails at "challenge" instead.
      if (c.misbehave === 'drop') {
        void robot.result
          .then(() => expect(portRow(page, pair.consolePath).locator('[data-step="csr"][data-step-state="current"]')).toHaveCount(1, { timeout: 30_000 }))
          .finally(() => pair.unplug());
      }
    }
    await Promise.all(robots.map((r) => r.ready));

    await startStation(page, pairs.map((p) => p.consolePath));
    for (const r of robots) r.powerOn();
    const bad = malformedHello('uv-badframe');
    await new Promise<void>((resolve, reject) => raw?.write(bad, (e) => (e ? reject(e) : raw?.drain(() => resolve()))));

    for (const c of CASES) {
      const { pair } = byDevice.get(c.deviceId) as { pair: PtyPair };
      const row = portRow(page, pair.consolePath);
      await expect(portState(row), c.deviceId).toHaveAttribute('data-state', 'failed', { timeout: 30_000 });
      await expect(row.getByRole('alert'), c.deviceId).toHaveAttribute('data-code', c.code);
      await expect(row.getByRole('alert'), c.deviceId).toContainText(c.code);
      await expect(row.locator('[data-step-state="failed"]'), c.deviceId).toHaveText(c.step);
      await expect(row, c.deviceId).toContainText(`failed at ${c.step}`);
      // The console never learnt who sent a malformed HELLO; every other row names the robot.
      if (c.handMade) await expect(row).toContainText('unknown yet');
      else await expect(row).toContainText(c.deviceId);
    }
    await expect(page.getByTestId('shift-failed')).toHaveText(String(CASES.length));
    await expect(page.getByTestId('shift-provisioned')).toHaveText('0');

    // The robots heard about it (an ERROR frame) unless they had left; none counts itself provisioned.
    for (const r of robots) expect((await r.result).exitCode).toBe(1);
    await stopStation(page);

    // Audit: one station.provision failure per port, with its code, step, port and robot.
    const failures = await provisionAudits(h, 'failure');
    expect(failures).toHaveLength(CASES.length);
    for (const c of CASES) {
      const { pair } = byDevice.get(c.deviceId) as { pair: PtyPair };
      const record = failures.find((r) => r.details.port === pair.consolePath);
      expect(record, c.deviceId).toMatchObject({ targetId: c.handMade ? null : c.deviceId, details: { code: c.code, step: c.step } });
      expect(typeof record?.details.message).toBe('string');
    }
    expect(await provisionAudits(h, 'success')).toEqual([]);

    // The registry: nobody provisioned, no key versions, no valid certificate (the one issued to the robot that
    // failed key confirmation is revoked as soon as its session ends).
    for (const c of CASES) if (!c.handMade) await expectNotProvisioned(h, c.deviceId, c.registered !== false);
    await expect
      .poll(async () => (await h['certs:list']({}, CTX)).certificates.filter((c) => c.deviceId === 'uv-badconfirm').map((c) => `${c.status} ${c.revocationReason}`))
      .toEqual(['revoked cessationOfOperation']);

    // The same failures on the Audit screen, filtered by action.
    await goToAudit(page);
    await pickAuditAction(page, 'station.provision');
    const rows = auditRows(page);
    await expect(rows).toHaveCount(CASES.length);
    for (const c of CASES) await expect(rows.filter({ hasText: `code=${c.code}` }).first(), c.code).toContainText('failure');
  } finally {
    for (const r of robots) r.kill();
    if (raw?.isOpen) await new Promise<void>((resolve) => raw?.close(() => resolve()));
    for (const p of pairs) p.unplug();
    rmSync(work, { recursive: true, force: true });
  }
});

test.describe('with a 2 s station step timeout', () => {
  test.use({ consoleOptions: { station: { stepTimeoutMs: 2_000 } } });

  test('a robot that stops answering fails its port with timeout; Retry after the cable is pulled is disconnected', async ({ page, harness }) => {
    test.setTimeout(90_000);
    const work = mkdtempSync(join(tmpdir(), 'ecps-e2e-faults-'));
    const pair = await startPtyPair();
    let robot: RobotProcess | undefined;
    try {
      const h = harness.current().fleet.handlers;
      const caFile = await prepareStation(page, harness.current().host.url, h, work, ['uv-stall']);
      robot = spawnRobot({ port: pair.robotPath, deviceId: 'uv-stall', keystore: mkdtempSync(join(work, 'robot-')), caCertFile: caFile, misbehave: 'stall', waitSignal: true });
      await robot.ready;
      await startStation(page, [pair.consolePath]);
      robot.powerOn();

      const row = portRow(page, pair.consolePath);
      await expect(portState(row)).toHaveAttribute('data-state', 'failed', { timeout: 30_000 });
      await expect(row.getByRole('alert')).toHaveAttribute('data-code', 'timeout');
      await expect(row.locator('[data-step-state="failed"]')).toHaveText('csr');
      await expect(row).toContainText('uv-stall');
      await expect(page.getByTestId('shift-failed')).toHaveText('1');
      // The console's ERROR frame ends the stalled robot too.
      expect((await robot.result).json).toMatchObject({ ok: false, code: 'robot_error' });

      pair.unplug();
      await row.getByRole('button', { name: 'Retry' }).click();
      await expect(page.getByTestId('shift-failed')).toHaveText('2', { timeout: 15_000 });
      await expect(row.getByRole('alert')).toHaveAttribute('data-code', 'disconnected');
      await stopStation(page);

      const failures = await provisionAudits(h, 'failure');
      expect(failures.map((r) => r.details.code).sort()).toEqual(['disconnected', 'timeout']);
      const timedOut = failures.find((r) => r.details.code === 'timeout');
      expect(timedOut).toMatchObject({ targetId: 'uv-stall', details: { port: pair.consolePath } });
      // Known: the timeout's own details ({step: 'CSR', the wait's label}) overwrite the session step in this record.
      expect(String(timedOut?.details.step).toLowerCase()).toBe('csr');
      await expectNotProvisioned(h, 'uv-stall');
    } finally {
      robot?.kill();
      pair.unplug();
      rmSync(work, { recursive: true, force: true });
    }
  });
});
