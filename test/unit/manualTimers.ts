// A clock moved by hand with the timers it runs, for the window's reconnect and liveness logic
// (renderer/src/transport/reconnect.ts, liveness.ts): test/unit/ws-reconnect, ws-liveness and
// test/integration/host-liveness drive them with it instead of waiting for real time.
import type { ReconnectTimers } from '../../renderer/src/transport/reconnect.ts';

export class ManualTimers implements ReconnectTimers {
  private time = 1_000_000;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  /** What random() answers (the reconnect's jitter). */
  randomValue = 0;

  now(): number {
    return this.time;
  }
  random(): number {
    return this.randomValue;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { at: this.time + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** Moves the clock, running each timer that falls due on the way, in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.pending.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
    }
    this.time = end;
  }
  /** The timers still pending. */
  get timerCount(): number {
    return this.pending.size;
  }
}
