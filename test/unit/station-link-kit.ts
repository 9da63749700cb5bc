// An in-memory serial cable for station session tests in this process (so mutation testing can reach the session
// code; the pty tests run the robot simulator in a child process). Each end is a ByteLink: what one end writes arrives
// at the other on a later tick. Every byte each end wrote is kept, so a test can decode the frames the console sent.
import { crc32 } from 'node:zlib';
import type { OpenPort } from '../../electron/station/station.ts';
import type { ByteLink } from '../../electron/station/transport.ts';
import { FrameDecoder, type Frame } from '../../electron/station/frame.ts';
import { FrameChannel } from '../../electron/station/transport.ts';

type Listener = (arg?: unknown) => void;

export class MemoryEnd implements ByteLink {
  peer: MemoryEnd | undefined;
  /** Every chunk this end wrote, in order. */
  readonly written: Buffer[] = [];
  /** Writes numbered from this one (0-based) fail with this error; null: none fails. */
  failFrom: { index: number; error: Error } | null = null;
  /** Writes from this index on are never acknowledged (a peer that stopped reading); null: all are. */
  stallFrom: number | null = null;
  private writes = 0;
  private readonly listeners = new Map<string, Listener[]>();

  write(data: Buffer, cb?: (err?: Error | null) => void): boolean {
    const index = this.writes++;
    if (this.failFrom && index >= this.failFrom.index) {
      const error = this.failFrom.error;
      setImmediate(() => cb?.(error));
      return false;
    }
    if (this.stallFrom !== null && index >= this.stallFrom) return false;
    const copy = Buffer.from(data);
    this.written.push(copy);
    setImmediate(() => {
      this.peer?.emit('data', copy);
      cb?.(null);
    });
    return true;
  }

  drain(cb: (err?: Error | null) => void): void {
    setImmediate(() => cb(null));
  }

  on(event: 'data', fn: (chunk: Buffer) => void): this;
  on(event: 'close' | 'error', fn: (err?: Error | null) => void): this;
  on(event: string, fn: (arg: never) => void): this {
    // emit passes each event's own argument (a chunk for data, an error or nothing for close and error).
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), fn as Listener]);
    return this;
  }

  removeAllListeners(event?: string): this {
    if (event === undefined) this.listeners.clear();
    else this.listeners.delete(event);
    return this;
  }

  emit(event: string, arg?: unknown): void {
    for (const fn of this.listeners.get(event) ?? []) fn(arg);
  }

  /** The frames in everything this end wrote (whole frames only). */
  frames(): Frame[] {
    const out: Frame[] = [];
    for (const ev of new FrameDecoder().push(Buffer.concat(this.written))) if (ev.kind === 'frame') out.push(ev.frame);
    return out;
  }

  /** The raw bytes of each whole frame this end wrote. */
  rawFrames(): Buffer[] {
    const out: Buffer[] = [];
    for (const ev of new FrameDecoder().push(Buffer.concat(this.written))) if (ev.kind === 'frame') out.push(ev.raw);
    return out;
  }
}

/** The console's end of an in-memory cable as the station opens it (a serial port: open until closed). */
export class MemoryPort extends MemoryEnd implements OpenPort {
  isOpen = true;
  close(cb?: (err?: Error | null) => void): void {
    this.isOpen = false;
    cb?.(null);
  }
}

/** A cable: the console's end and the robot's end, with a FrameChannel on each. */
export function memoryCable() {
  const consoleEnd = new MemoryEnd();
  const robotEnd = new MemoryEnd();
  consoleEnd.peer = robotEnd;
  robotEnd.peer = consoleEnd;
  return {
    consoleEnd,
    robotEnd,
    consoleChannel: new FrameChannel(consoleEnd),
    robotChannel: new FrameChannel(robotEnd),
    /** The cable is pulled: both ends see `close`. */
    unplug() {
      consoleEnd.emit('close');
      robotEnd.emit('close');
    },
  };
}

/** A frame built by hand from docs/provisioning-protocol.md ("Frame"): "EP", version, type, seq, length, payload, CRC-32. */
export function handFrame(version: number, type: number, seq: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.write('EP', 0, 'latin1');
  head[2] = version;
  head[3] = type;
  head.writeUInt32BE(seq, 4);
  head.writeUInt32BE(payload.length, 8);
  const body = Buffer.concat([head, payload]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([body, crc]);
}

/** The documented field encoding, written here independently: u32 BE length | bytes; an integer is a 4-byte field. */
export function fields(...parts: Array<Buffer | number | string>): Buffer {
  const out: Buffer[] = [];
  for (const p of parts) {
    const bytes = typeof p === 'number' ? Buffer.from([p >>> 24, (p >>> 16) & 0xff, (p >>> 8) & 0xff, p & 0xff]) : Buffer.from(p);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    out.push(len, bytes);
  }
  return Buffer.concat(out);
}

/** What `fn` threw: its station code, `details.reason` and message ('none' when it did not throw). */
export function refusal(fn: () => unknown): { code: string; reason: unknown; message: string } {
  try {
    fn();
  } catch (e) {
    return { code: (e as { code: string }).code, reason: (e as { details?: { reason?: unknown } }).details?.reason, message: (e as Error).message };
  }
  return { code: 'none', reason: undefined, message: '' };
}
