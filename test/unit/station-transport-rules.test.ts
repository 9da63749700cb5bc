// FrameChannel (electron/station/transport.ts) over an in-memory link with manual timers, against
// docs/provisioning-protocol.md ("Session": each wait bounded by the step timeout, `timeout` naming the step; a port
// that closes or fails, or a link probe (a drain while waiting) that fails, is `disconnected`; decoder errors are
// delivered as typed errors; garbage before a frame is skipped and counted) and docs/station.md (the link probe).
// Frames are built by hand from the documented layout (magic "EP", version 1, type, seq, length, payload, CRC-32).
import { describe, expect, it } from 'vitest';
import { StationError } from '../../electron/station/errors.ts';
import { FrameChannel, realTimers, type Timers } from '../../electron/station/transport.ts';
import { MemoryEnd, handFrame } from './station-link-kit.ts';

const frameBytes = (type: number, seq: number, payload: Buffer): Buffer => handFrame(1, type, seq, payload);
const HELLO = 0x01;

/** Timers that run only when the test fires them; `armed` lists the live ones by delay. */
function manualTimers() {
  let next = 1;
  const live = new Map<number, { fn: () => void; ms: number }>();
  const cleared: number[] = [];
  const timers: Timers & { armed(): number[]; fire(ms: number): void; cleared: number[] } = {
    setTimeout(fn, ms) {
      live.set(next, { fn, ms });
      return next++;
    },
    clearTimeout(h) {
      cleared.push(h as number);
      live.delete(h as number);
    },
    armed: () => [...live.values()].map((t) => t.ms),
    fire(ms) {
      for (const [h, t] of [...live]) {
        if (t.ms !== ms) continue;
        live.delete(h);
        t.fn();
      }
    },
    cleared,
  };
  return timers;
}

/** A link end whose drain answers as the test says, counting the drains. */
class ProbedEnd extends MemoryEnd {
  drains = 0;
  drainError: Error | null = null;
  override drain(cb: (err?: Error | null) => void): void {
    this.drains++;
    const err = this.drainError;
    setImmediate(() => cb(err));
  }
}

async function outcome<T>(p: Promise<T>): Promise<T | { code: string; message: string; details: unknown }> {
  try {
    return await p;
  } catch (e) {
    expect(e).toBeInstanceOf(StationError);
    const s = e as StationError;
    return { code: s.code, message: s.message, details: s.details };
  }
}
const tick = () => new Promise((r) => setImmediate(r));

describe('FrameChannel.receive', () => {
  it('gives frames in arrival order, whether they came before or after the wait, with their raw bytes', async () => {
    const end = new MemoryEnd();
    const ch = new FrameChannel(end, manualTimers());
    const a = frameBytes(HELLO, 0, Buffer.from('first'));
    const b = frameBytes(HELLO, 1, Buffer.from('second'));
    end.emit('data', Buffer.concat([a, b]));
    expect(await ch.receive(1000, 'HELLO')).toEqual({ frame: { type: HELLO, seq: 0, payload: Buffer.from('first') }, raw: a });
    expect(await ch.receive(1000, 'HELLO')).toEqual({ frame: { type: HELLO, seq: 1, payload: Buffer.from('second') }, raw: b });
    const later = ch.receive(1000, 'HELLO');
    end.emit('data', a);
    expect(await later).toEqual({ frame: { type: HELLO, seq: 0, payload: Buffer.from('first') }, raw: a });
  });

  it('delivers a damaged frame as its typed error, and counts the garbage skipped before a frame', async () => {
    const end = new MemoryEnd();
    const ch = new FrameChannel(end, manualTimers());
    const bad = frameBytes(HELLO, 0, Buffer.from('x'));
    bad[bad.length - 1]! ^= 0xff;
    end.emit('data', Buffer.concat([Buffer.from('boot!'), bad]));
    expect(await outcome(ch.receive(1000, 'HELLO'))).toMatchObject({ code: 'bad_crc' });
    // The noise, then the damaged frame after its first byte (the decoder skips one byte and searches the next magic).
    expect(ch.garbageBytes).toBe(5 + bad.length - 1);
    end.emit('data', Buffer.concat([Buffer.from('\r\n'), frameBytes(HELLO, 0, Buffer.from('ok'))]));
    expect((await ch.receive(1000, 'HELLO')).frame.payload).toEqual(Buffer.from('ok'));
    expect(ch.garbageBytes).toBe(5 + bad.length - 1 + 2);
  });

  it('a wait that runs out is a timeout naming the step and the limit; a frame arriving later is kept for the next wait', async () => {
    const end = new MemoryEnd();
    const timers = manualTimers();
    const ch = new FrameChannel(end, timers);
    const waiting = outcome(ch.receive(1500, 'CSR'));
    expect(timers.armed()).toEqual([1500]);
    timers.fire(1500);
    expect(await waiting).toStrictEqual({ code: 'timeout', message: 'no answer from the robot within 1500 ms (waiting for CSR)', details: { step: 'CSR', timeoutMs: 1500 } });
    end.emit('data', frameBytes(HELLO, 4, Buffer.from('late')));
    expect((await ch.receive(1500, 'CSR')).frame.seq).toBe(4);
  });

  it('a frame that arrives in time stops the wait\'s timer', async () => {
    const end = new MemoryEnd();
    const timers = manualTimers();
    const ch = new FrameChannel(end, timers);
    const got = ch.receive(1500, 'CSR');
    end.emit('data', frameBytes(HELLO, 0, Buffer.alloc(0)));
    await got;
    expect(timers.armed()).toEqual([]);
  });
});

describe('a closed or failing link: disconnected', () => {
  it('a close ends the wait; every later receive and send is refused with the same error, nothing written', async () => {
    const end = new MemoryEnd();
    const timers = manualTimers();
    const ch = new FrameChannel(end, timers);
    expect(ch.closed).toBe(false);
    const waiting = outcome(ch.receive(1500, 'CSR'));
    end.emit('close');
    expect(await waiting).toStrictEqual({ code: 'disconnected', message: 'serial link closed', details: undefined });
    expect(timers.armed()).toEqual([]);
    expect(ch.closed).toBe(true);
    expect(await outcome(ch.receive(1500, 'CSR'))).toMatchObject({ code: 'disconnected', message: 'serial link closed' });
    expect(await outcome(ch.send({ type: HELLO, seq: 0, payload: Buffer.alloc(1) }))).toMatchObject({ code: 'disconnected', message: 'serial link closed' });
    expect(await outcome(ch.sendRaw(Buffer.from('x')))).toMatchObject({ code: 'disconnected', message: 'serial link closed' });
    expect(end.written).toEqual([]);
  });

  it('a link error names its cause; the first loss is the one reported', async () => {
    const end = new MemoryEnd();
    const ch = new FrameChannel(end, manualTimers());
    end.emit('error', new Error('EIO'));
    end.emit('close');
    end.emit('error', new Error('ENXIO'));
    expect(await outcome(ch.receive(1500, 'CSR'))).toMatchObject({ code: 'disconnected', message: 'serial link lost: EIO' });
    expect(await outcome(ch.receive(1500, 'CSR'))).toMatchObject({ code: 'disconnected', message: 'serial link lost: EIO' });
    const quiet = new FrameChannel(new MemoryEnd(), manualTimers());
    const e = new MemoryEnd();
    const withEmpty = new FrameChannel(e, manualTimers());
    e.emit('error', new Error(''));
    expect(await outcome(withEmpty.receive(1, 'x'))).toMatchObject({ message: 'serial link closed' });
    expect(quiet.closed).toBe(false);
  });

  it('a loss while no one waits is kept for the next receive, after the frames that came before it', async () => {
    const end = new MemoryEnd();
    const ch = new FrameChannel(end, manualTimers());
    end.emit('data', frameBytes(HELLO, 0, Buffer.from('a')));
    end.emit('close');
    expect((await ch.receive(1, 'HELLO')).frame.payload).toEqual(Buffer.from('a'));
    expect(await outcome(ch.receive(1, 'HELLO'))).toMatchObject({ code: 'disconnected' });
  });

  it('a drain that fails after a write is disconnected naming the cause', async () => {
    const end = new ProbedEnd();
    end.drainError = new Error('EIO');
    expect(await outcome(new FrameChannel(end, manualTimers()).sendRaw(Buffer.from('x')))).toMatchObject({ code: 'disconnected', message: 'serial drain failed: EIO' });
  });
});

describe('the link probe (docs/station.md: while waiting, a drain every probe interval; a failing drain is disconnected)', () => {
  it('without a probe interval nothing but the step timer is armed', () => {
    const timers = manualTimers();
    void new FrameChannel(new ProbedEnd(), timers).receive(1500, 'CSR').catch(() => undefined);
    expect(timers.armed()).toEqual([1500]);
  });

  it('drains every interval while waiting, re-arming after each good drain; a frame stops it', async () => {
    const end = new ProbedEnd();
    const timers = manualTimers();
    const ch = new FrameChannel(end, timers, { probeIntervalMs: 250 });
    const got = ch.receive(1500, 'CSR');
    expect(timers.armed().sort()).toEqual([1500, 250].sort());
    for (let i = 1; i <= 3; i++) {
      timers.fire(250);
      await tick();
      expect(end.drains).toBe(i);
      expect(timers.armed().sort()).toEqual([1500, 250].sort());
    }
    end.emit('data', frameBytes(HELLO, 0, Buffer.alloc(0)));
    await got;
    expect(timers.armed()).toEqual([]);
  });

  it('a wait that runs out stops its probe too: no timer is left', async () => {
    const end = new ProbedEnd();
    const timers = manualTimers();
    const waiting = outcome(new FrameChannel(end, timers, { probeIntervalMs: 250 }).receive(1500, 'CSR'));
    timers.fire(1500);
    expect(await waiting).toMatchObject({ code: 'timeout' });
    expect(timers.armed()).toEqual([]);
  });

  it('a failing drain ends the wait as disconnected with the cause; the channel is then closed', async () => {
    const end = new ProbedEnd();
    const timers = manualTimers();
    const ch = new FrameChannel(end, timers, { probeIntervalMs: 250 });
    const waiting = outcome(ch.receive(1500, 'CSR'));
    end.drainError = new Error('EIO');
    timers.fire(250);
    expect(await waiting).toStrictEqual({ code: 'disconnected', message: 'serial link lost: EIO', details: undefined });
    expect(ch.closed).toBe(true);
    expect(timers.armed()).toEqual([]);
  });

  it('a drain that answers after the wait ended arms no new probe', async () => {
    const end = new ProbedEnd();
    const timers = manualTimers();
    const ch = new FrameChannel(end, timers, { probeIntervalMs: 250 });
    const got = ch.receive(1500, 'CSR');
    timers.fire(250);
    // The frame arrives while the drain is in flight.
    end.emit('data', frameBytes(HELLO, 0, Buffer.alloc(0)));
    await got;
    await tick();
    expect(timers.armed()).toEqual([]);
    // A probe that fires after its wait ended (a stale timer) does not drain.
    const drains = end.drains;
    const second = ch.receive(1500, 'CSR');
    end.emit('data', frameBytes(HELLO, 1, Buffer.alloc(0)));
    await second;
    expect(end.drains).toBe(drains);
  });

  it('a stale probe of an ended wait does not drain (its timer fired after the wait was answered)', async () => {
    const end = new ProbedEnd();
    const fns: Array<() => void> = [];
    const timers: Timers = { setTimeout: (fn, ms) => (ms === 250 ? fns.push(fn) : 0), clearTimeout: () => undefined };
    const ch = new FrameChannel(end, timers, { probeIntervalMs: 250 });
    const got = ch.receive(1500, 'CSR');
    end.emit('data', frameBytes(HELLO, 0, Buffer.alloc(0)));
    await got;
    fns[0]!();
    await tick();
    expect(end.drains).toBe(0);
  });
});

describe('detach', () => {
  it('ends a pending wait as disconnected and stops taking data', async () => {
    const end = new MemoryEnd();
    const timers = manualTimers();
    const ch = new FrameChannel(end, timers);
    const waiting = outcome(ch.receive(1500, 'CSR'));
    ch.detach();
    expect(await waiting).toStrictEqual({ code: 'disconnected', message: 'channel detached', details: undefined });
    end.emit('data', frameBytes(HELLO, 0, Buffer.alloc(0)));
    const next = outcome(ch.receive(1500, 'CSR'));
    timers.fire(1500);
    expect(await next).toMatchObject({ code: 'timeout' });
    // With no one waiting it only stops taking data.
    const idle = new FrameChannel(new MemoryEnd(), manualTimers());
    expect(() => idle.detach()).not.toThrow();
  });
});

describe('the default timers', () => {
  it('clear what they set: a cleared timer never runs (checked after a later timer ran)', async () => {
    let fired = false;
    realTimers.clearTimeout(realTimers.setTimeout(() => void (fired = true), 1));
    // Node runs due timers in order of their deadline: once this later one has run, the cleared one would have too.
    await new Promise((r) => realTimers.setTimeout(() => r(undefined), 20));
    expect(fired).toBe(false);
  });
});
