// A serial line is full duplex: the console must see what the robot says while one of its own writes waits for the robot
// to take bytes, and a write must go on once the robot reads again while the console also waits for data. serialport's
// Unix poller (bindings-cpp 13) watched only the last thing asked for, so either wait could silence the other; the
// console's ports now watch both (electron/station/serialPoller.ts, docs/station.md "Reading while writing"). This was
// the cause of the flaky refusals in lockdown-delivery-chunked.slow.test.ts: the robot's ERROR frame was never read.
// Real socat pairs, the station's own openSerialPort on the console end, serialport on the robot end.
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageType, encodeFrame } from '../../electron/station/frame.ts';
import { openSerialPort, type OpenPort } from '../../electron/station/station.ts';
import { FrameChannel } from '../../electron/station/transport.ts';
import { startPtyPair, type PtyPair } from '../robot-sim/harness.ts';

const openRobotEnd = (path: string) =>
  new Promise<SerialPort>((resolve, reject) => {
    const p = new SerialPort({ path, baudRate: 115200, autoOpen: false });
    p.open((e) => (e ? reject(e) : resolve(p)));
  });
const close = (p: { isOpen: boolean; close(cb: () => void): void }) => new Promise<void>((r) => (p.isOpen ? p.close(() => r()) : r()));

/**
 * The readiness signal: how many waits the port's poller has for `event` ('readable': a read found no data;
 * 'writable': a write found the line full). Read from serialport's binding, the only place that knows.
 */
const waiters = (port: OpenPort, event: 'readable' | 'writable') => (port as unknown as { port: { poller: { listenerCount(e: string): number } } }).port.poller.listenerCount(event);
/** Resolves once `ready()` holds, checking on each turn of the event loop (no fixed delay). */
const until = async (ready: () => boolean) => {
  while (!ready()) await new Promise((r) => setImmediate(r));
};

/** More than a socat pty pair holds when the far end does not read (about 30-70 KiB, measured). */
const MORE_THAN_THE_LINE_HOLDS = 1024 * 1024;

describe('the console reads while it writes (serial ports)', () => {
  const pairs: PtyPair[] = [];
  const ports: Array<{ isOpen: boolean; close(cb: () => void): void }> = [];
  afterEach(async () => {
    // The cable goes first: a write the robot never took then fails at once instead of holding the close.
    for (const p of pairs.splice(0)) p.unplug();
    for (const p of ports.splice(0)) await close(p);
  });

  it("the robot's answer arrives while a console write waits for a robot that stopped reading", async () => {
    const pair = await startPtyPair();
    pairs.push(pair);
    const consolePort = await openSerialPort(pair.consolePath, 115200);
    const robotPort = await openRobotEnd(pair.robotPath); // never read: no 'data' listener
    ports.push(consolePort, robotPort);
    const channel = new FrameChannel(consolePort, undefined, { writeTimeoutMs: 60_000 });
    // The console waits for the robot's answer (its read finds no data yet) ...
    const answer = channel.receive(20_000, 'the robot answer');
    await until(() => waiters(consolePort, 'readable') > 0);
    // ... and writes more than the line holds: its write waits for room that never comes.
    const writing = channel.sendRaw(Buffer.alloc(MORE_THAN_THE_LINE_HOLDS, 0x42)).catch((e: unknown) => e);
    await until(() => waiters(consolePort, 'writable') > 0);
    // The robot refuses (as a robot refusing a chunk does) and says so.
    const refusal = encodeFrame({ type: MessageType.ERROR, seq: 0xffffffff, payload: Buffer.from('refused') });
    await new Promise<void>((resolve, reject) => robotPort.write(refusal, (e) => (e ? reject(e) : robotPort.drain((d) => (d ? reject(d) : resolve())))));
    const got = await answer;
    expect(got.frame.type).toBe(MessageType.ERROR);
    expect(got.frame.payload.toString()).toBe('refused');
    channel.detach();
    pair.unplug();
    await writing;
  }, 60_000);

  it('a waiting write goes on once the robot reads again, though the console began waiting for data meanwhile', async () => {
    const pair = await startPtyPair();
    pairs.push(pair);
    const consolePort = await openSerialPort(pair.consolePath, 115200);
    const robotPort = await openRobotEnd(pair.robotPath);
    ports.push(consolePort, robotPort);
    const data = Buffer.alloc(256 * 1024, 0x5a);
    // The write comes first and waits for room (the robot is not reading yet) ...
    const written = new Promise<void>((resolve, reject) => consolePort.write(data, (e) => (e ? reject(e) : resolve())));
    written.catch(() => undefined); // awaited below; a write still waiting when the test fails is cancelled by the close
    await until(() => waiters(consolePort, 'writable') > 0);
    // ... then the console starts reading (its read finds no data and waits) ...
    consolePort.on('data', () => undefined);
    await until(() => waiters(consolePort, 'readable') > 0);
    // ... then the robot reads everything: the console's write must finish.
    let taken = 0;
    const all = new Promise<void>((resolve) =>
      robotPort.on('data', (d: Buffer) => {
        taken += d.length;
        if (taken >= data.length) resolve();
      }),
    );
    await written;
    await all;
    expect(taken).toBe(data.length);
  }, 60_000);
});
