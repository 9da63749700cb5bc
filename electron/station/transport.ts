// A frame channel over a byte link (a serialport SerialPort on the console, the same on the robot simulator):
// sends frames, waits for the next frame with a time limit, and turns a closed or failing link into a typed error.
import { StationError } from './errors.ts';
import { FrameDecoder, encodeFrame, type Frame } from './frame.ts';

/** The part of a serialport SerialPort (a Node Duplex) the channel uses. */
export interface ByteLink {
  write(data: Buffer, cb?: (err?: Error | null) => void): boolean;
  drain(cb: (err?: Error | null) => void): void;
  on(event: 'data', fn: (chunk: Buffer) => void): unknown;
  on(event: 'close' | 'error', fn: (err?: Error | null) => void): unknown;
  removeAllListeners(event?: string): unknown;
}

/** Timer functions, injected so tests and the simulator control them; defaults are the global ones. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}
export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** How long one frame may take to be written and drained before the channel calls it a `timeout`. */
export const DEFAULT_WRITE_TIMEOUT_MS = 30_000;

export interface Received { frame: Frame; raw: Buffer }
type Item = { ok: Received } | { err: StationError };

export class FrameChannel {
  private readonly decoder = new FrameDecoder();
  private readonly queue: Item[] = [];
  private waiter: ((item: Item) => void) | undefined;
  private closedError: StationError | undefined;
  private readonly link: ByteLink;
  private readonly timers: Timers;
  private readonly probeIntervalMs: number;
  private readonly writeTimeoutMs: number;
  private readonly lost: (err?: Error | null) => void;
  /** Bytes skipped while looking for a frame start (line noise, boot messages). */
  garbageBytes = 0;

  /**
   * `probeIntervalMs`: while waiting for a frame, check the link this often with a drain (tcdrain, sends nothing).
   * serialport does not always report a hang-up on a pseudo-terminal (or a USB adapter whose other side vanished) as
   * a close; the drain fails with EIO on a dead line, so a pulled cable is `disconnected`, not a `timeout`.
   * `writeTimeoutMs`: a frame not written and drained within this time is a `timeout` (a robot that stopped reading,
   * with the line's buffers full, would otherwise hold the session, and its port, for ever). Default 30 s.
   */
  constructor(link: ByteLink, timers: Timers = realTimers, options: { probeIntervalMs?: number; writeTimeoutMs?: number } = {}) {
    this.link = link;
    this.timers = timers;
    this.probeIntervalMs = options.probeIntervalMs ?? 0;
    this.writeTimeoutMs = options.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS;
    link.on('data', (chunk: Buffer) => {
      for (const ev of this.decoder.push(chunk)) {
        if (ev.kind === 'garbage') this.garbageBytes += ev.bytes;
        else this.deliver(ev.kind === 'frame' ? { ok: { frame: ev.frame, raw: ev.raw } } : { err: ev.error });
      }
    });
    this.lost = (err?: Error | null) => {
      if (this.closedError) return;
      this.closedError = new StationError('disconnected', err?.message ? `serial link lost: ${err.message}` : 'serial link closed');
      this.deliver({ err: this.closedError });
    };
    link.on('close', this.lost);
    link.on('error', this.lost);
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  async send(frame: Frame): Promise<Buffer> {
    const raw = encodeFrame(frame);
    await this.sendRaw(raw);
    return raw;
  }

  /** Writes bytes as they are (the simulator uses it to misbehave). */
  sendRaw(raw: Buffer): Promise<void> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (err: StationError | null) => {
        if (settled) return;
        settled = true;
        this.timers.clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const timer = this.timers.setTimeout(
        () => settle(new StationError('timeout', `a ${raw.length}-byte frame was not taken by the other side within ${this.writeTimeoutMs / 1000} s (serial write not drained)`, { bytes: raw.length })),
        this.writeTimeoutMs,
      );
      this.link.write(raw, (err) => {
        if (err) return settle(new StationError('disconnected', `serial write failed: ${err.message}`));
        this.link.drain((e) => settle(e ? new StationError('disconnected', `serial drain failed: ${e.message}`) : null));
      });
    });
  }

  /** The next frame, or the decoder's typed error, or `timeout` after `timeoutMs`, or `disconnected`. */
  receive(timeoutMs: number, step: string): Promise<Received> {
    const queued = this.queue.shift();
    if (queued) return settle(queued);
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise<Received>((resolve, reject) => {
      let probe: unknown;
      const stopProbe = () => {
        if (probe !== undefined) this.timers.clearTimeout(probe);
        probe = undefined;
      };
      const timer = this.timers.setTimeout(() => {
        stopProbe();
        this.waiter = undefined;
        reject(new StationError('timeout', `no answer from the robot within ${timeoutMs} ms (waiting for ${step})`, { step, timeoutMs }));
      }, timeoutMs);
      const waiter = (item: Item) => {
        this.timers.clearTimeout(timer);
        stopProbe();
        this.waiter = undefined;
        settle(item).then(resolve, reject);
      };
      this.waiter = waiter;
      if (this.probeIntervalMs > 0) {
        const tick = () => {
          probe = undefined;
          if (this.waiter !== waiter) return;
          this.link.drain((err) => {
            if (err) this.lost(err);
            else if (this.waiter === waiter) probe = this.timers.setTimeout(tick, this.probeIntervalMs);
          });
        };
        probe = this.timers.setTimeout(tick, this.probeIntervalMs);
      }
    });
  }

  detach(): void {
    this.link.removeAllListeners('data');
    const w = this.waiter;
    this.waiter = undefined;
    if (w) w({ err: new StationError('disconnected', 'channel detached') });
  }

  private deliver(item: Item): void {
    if (this.waiter) this.waiter(item);
    else this.queue.push(item);
  }
}

function settle(item: Item): Promise<Received> {
  return 'ok' in item ? Promise.resolve(item.ok) : Promise.reject(item.err);
}
