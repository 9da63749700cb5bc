// A pulled cable must end a session as `disconnected`, not after the step timeout as `timeout`. serialport does not
// always report the hang-up of a pseudo-terminal (the socat pair ended) as a close: measured here, about half of the
// unplugs went unnoticed by the read side. FrameChannel's link probe (a drain while waiting, which fails with EIO on
// a dead line) catches every one. Real socat pairs, real serialport on both ends.
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { StationError } from '../../electron/station/errors.ts';
import { FrameChannel } from '../../electron/station/transport.ts';
import { startPtyPair, type PtyPair } from '../robot-sim/harness.ts';

const open = (path: string) =>
  new Promise<SerialPort>((resolve, reject) => {
    const p = new SerialPort({ path, baudRate: 115200, autoOpen: false });
    p.open((e) => (e ? reject(e) : resolve(p)));
  });
const close = (p: SerialPort) => new Promise<void>((r) => (p.isOpen ? p.close(() => r()) : r()));

describe('station link probe', () => {
  const pairs: PtyPair[] = [];
  const ports: SerialPort[] = [];
  afterEach(async () => {
    for (const p of ports.splice(0)) await close(p);
    for (const p of pairs.splice(0)) p.unplug();
  });

  it('a cable pulled while the console waits is disconnected at once, every time', async () => {
    for (let i = 0; i < 6; i++) {
      const pair = await startPtyPair();
      pairs.push(pair);
      const consolePort = await open(pair.consolePath);
      ports.push(consolePort);
      const robotPort = await open(pair.robotPath);
      ports.push(robotPort);
      const channel = new FrameChannel(consolePort, undefined, { probeIntervalMs: 50 });
      // The robot says something (as a robot does before it is pulled), then the cable goes.
      const robotSide = new FrameChannel(robotPort);
      await robotSide.send({ type: 0x01, seq: 0, payload: Buffer.from('hello') });
      await channel.receive(10_000, 'HELLO');
      // 60 s: far beyond the test's own limit, so only the probe (or a close event) can end the wait in time.
      const waiting = channel.receive(60_000, 'CSR').catch((e: unknown) => e);
      robotSide.detach();
      if (i % 2 === 0) await close(robotPort); // half the robots leave first, half are cut with their end open
      pair.unplug();
      const err = await waiting;
      expect(err).toBeInstanceOf(StationError);
      expect((err as StationError).code).toBe('disconnected');
      channel.detach();
    }
  }, 30_000);

  it('a live line is left alone: the probe sends nothing, and a frame still arrives', async () => {
    const pair = await startPtyPair();
    pairs.push(pair);
    const consolePort = await open(pair.consolePath);
    const robotPort = await open(pair.robotPath);
    ports.push(consolePort, robotPort);
    const received: Buffer[] = [];
    robotPort.on('data', (d: Buffer) => received.push(d));
    const consoleSide = new FrameChannel(consolePort, undefined, { probeIntervalMs: 20 });
    const robotSide = new FrameChannel(robotPort);
    const waiting = consoleSide.receive(10_000, 'HELLO');
    await new Promise((r) => setTimeout(r, 300)); // ~15 probes
    await robotSide.send({ type: 0x01, seq: 0, payload: Buffer.from('x') });
    const got = await waiting;
    expect(got.frame).toMatchObject({ type: 0x01, seq: 0 });
    expect(Buffer.concat(received).length).toBe(0);
    consoleSide.detach();
    robotSide.detach();
  });
});
