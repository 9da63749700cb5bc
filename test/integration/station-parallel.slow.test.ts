// Four robots on four socat pty pairs, provisioned in parallel by one watching station.
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../electron/clock.ts';
import { silentLogger } from '../../electron/logger.ts';
import type { SessionResult } from '../../electron/station/session.ts';
import { ProvisioningStation, type StationProgress } from '../../electron/station/station.ts';
import { realDeps, spawnRobot, startPtyPair, tempDir, type PtyPair, type RobotProcess } from '../robot-sim/harness.ts';
import { robotStoredKeys } from '../robot-sim/scenario.ts';
import { useTestCaBench } from './support/testCaBench.ts';

const bench = useTestCaBench();

describe('station: several robots in parallel', () => {
  it('watches 4 ports and provisions 4 robots at once, counting them for the shift', async () => {
    const ids = ['R-1', 'R-2', 'R-3', 'R-4'];
    const pairs: PtyPair[] = [];
    const robots: RobotProcess[] = [];
    const { deps, commits, audits, delivered } = realDeps(bench.ca, ids);
    const station = new ProvisioningStation({ deps, clock: manualClock(), logger: silentLogger, paths: () => pairs.map((p) => p.consolePath), pollIntervalMs: 100 });
    try {
      for (let i = 0; i < ids.length; i++) pairs.push(await startPtyPair());
      const results: Array<{ port: string; result: SessionResult }> = [];
      const progress: StationProgress[] = [];
      station.on('progress', (p: StationProgress) => progress.push(p));
      const allDone = new Promise<void>((resolve) => station.on('result', (r: { port: string; result: SessionResult }) => {
        results.push(r);
        if (results.length === ids.length) resolve();
      }));
      // The robots boot first and say HELLO only when powered on, so no step timeout covers a Node process start.
      const keystores = ids.map(() => tempDir('robot-ks-', bench.root));
      ids.forEach((id, i) => robots.push(spawnRobot({ port: pairs[i]!.robotPath, deviceId: id, keystore: keystores[i]!, caCertFile: bench.caFile, waitSignal: true })));
      await Promise.all(robots.map((r) => r.ready));
      // Wait until the station has all four ports open (each session waits for HELLO), then power the robots on.
      const opened = () => progress.filter((p) => p.step === 'hello').length;
      const allOpen = new Promise<void>((resolve) => station.on('progress', () => opened() === ids.length && resolve()));
      station.start();
      await allOpen;
      expect(opened()).toBe(4);
      expect(station.stats().active).toBe(4);
      for (const r of robots) r.powerOn();
      await allDone;

      expect(results.map((r) => r.result.ok)).toEqual([true, true, true, true]);
      expect(commits.map((c) => c.deviceId).sort()).toEqual(ids);
      expect(audits.filter((a) => a.outcome === 'success')).toHaveLength(4);
      expect(station.stats()).toMatchObject({ provisioned: 4, failed: 0 });
      // Sessions overlapped: some robot reached 'csr' before another had finished.
      const firstDone = Math.min(...progress.map((p, i) => (p.step === 'done' ? i : Infinity)));
      expect(new Set(progress.slice(0, firstDone).map((p) => p.port)).size).toBe(4);
      ids.forEach((id, i) => {
        expect(robotStoredKeys(keystores[i]!).map((k) => k.material)).toEqual(delivered.get(id)!.map((k) => k.material.toString('base64')));
      });
      // The ports stay present: a second scan starts nothing new.
      expect(await station.scan()).toEqual([]);
      for (const r of robots) expect((await r.result).exitCode).toBe(0);
    } finally {
      await station.stop();
      for (const r of robots) r.kill();
      for (const p of pairs) p.unplug();
    }
  });
});
