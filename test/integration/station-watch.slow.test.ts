// Port watching: the USB vendor/product filter over what the port lister reports, and a robot re-plugged on the
// same path (the port disappears, then comes back) counted as a new robot. Real ptys, real serialport.
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import { silentLogger } from '../../electron/logger.ts';
import type { SessionResult } from '../../electron/station/session.ts';
import { ProvisioningStation, listSerialPorts, type PortInfo } from '../../electron/station/station.ts';
import { realDeps, spawnRobot, startPtyPair, tempDir, type PtyPair, type RobotProcess } from '../robot-sim/harness.ts';
import { useTestCaBench } from './support/testCaBench.ts';

const bench = useTestCaBench();

describe('station: watching ports', () => {
  it('SerialPort.list() runs on this machine (udevadm present)', async () => {
    expect(Array.isArray(await listSerialPorts())).toBe(true);
  });

  it('provisions only ports whose USB ids match, and a re-plugged port again', async () => {
    const pairs: PtyPair[] = [];
    const robots: RobotProcess[] = [];
    const { deps, commits } = realDeps(bench.ca, ['W-1', 'W-2']);
    let listed: PortInfo[] = [];
    const station = new ProvisioningStation({
      deps, clock: manualClock(), logger: silentLogger, stepTimeoutMs: 5000,
      vendorIds: ['2E8A'], productIds: ['000a'], listPorts: async () => listed,
    });
    const results: SessionResult[] = [];
    station.on('result', (r: { result: SessionResult }) => results.push(r.result));
    try {
      const robotPair = await startPtyPair();
      const otherPair = await startPtyPair();
      pairs.push(robotPair, otherPair);
      listed = [
        { path: robotPair.consolePath, vendorId: '2e8a', productId: '000A' },
        { path: otherPair.consolePath, vendorId: '1a86', productId: '7523' }, // another USB serial device on the bench
      ];
      // Each robot boots first and says HELLO only once the port waits for it: the 5 s step timeout never covers a
      // Node process start on a loaded machine.
      const first = spawnRobot({ port: robotPair.robotPath, deviceId: 'W-1', keystore: tempDir('robot-ks-', bench.root), caCertFile: bench.caFile, waitSignal: true });
      robots.push(first);
      await first.ready;
      let opened = once(station, 'progress'); // the port is open and the session waits for HELLO
      expect(await station.scan()).toEqual([robotPair.consolePath]);
      await opened;
      first.powerOn();
      await station.stop();
      expect(results.map((r) => r.ok)).toEqual([true]);
      expect(await station.scan()).toEqual([]); // still plugged in: not provisioned twice

      // Unplugged (gone from the list), then another robot on the same path.
      listed = [];
      await station.scan();
      listed = [{ path: robotPair.consolePath, vendorId: '2e8a', productId: '000a' }];
      const second = spawnRobot({ port: robotPair.robotPath, deviceId: 'W-2', keystore: tempDir('robot-ks-', bench.root), caCertFile: bench.caFile, waitSignal: true });
      robots.push(second);
      await second.ready;
      opened = once(station, 'progress');
      expect(await station.scan()).toEqual([robotPair.consolePath]);
      await opened;
      second.powerOn();
      await station.stop();
      expect(results.map((r) => r.ok)).toEqual([true, true]);
      expect(commits.map((c) => c.deviceId)).toEqual(['W-1', 'W-2']);
      expect(station.stats()).toMatchObject({ provisioned: 2, failed: 0, active: 0 });
    } finally {
      await station.stop();
      for (const r of robots) r.kill();
      for (const p of pairs) p.unplug();
    }
  });
});
