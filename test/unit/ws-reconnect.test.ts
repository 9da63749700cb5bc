// The browser host window's reconnect policy (renderer/src/transport/reconnect.ts, docs/ui.md "Connection lost"): the
// waits after a drop, the triggers that try at once, one attempt at a time, a hung handshake given up. Driven by a
// clock and timers of the test's own: nothing waits for real time. Expected waits come from the tables below, written
// from the policy (1 s doubling, never above 5 s, shortened by up to a quarter at random), not from the code.
import { describe, expect, it } from 'vitest';
import {
  browserTimers,
  CONNECT_TIMEOUT_MS,
  createReconnector,
  listenForReconnectTriggers,
  reconnectDelayMs,
} from '../../renderer/src/transport/reconnect.ts';
import { ManualTimers } from './manualTimers.ts';

function rig() {
  const timers = new ManualTimers();
  const log = { connects: 0, aborts: 0, waits: [] as number[] };
  const reconnector = createReconnector({
    timers,
    connect: () => void log.connects++,
    abort: () => {
      log.aborts++;
      reconnector.closed();
    },
    onWaiting: (at) => log.waits.push(at - timers.now()),
  });
  return { timers, log, reconnector };
}

describe('the wait before each attempt', () => {
  // [attempt since the socket was last open, random in [0, 1), wait in ms]
  const TABLE: Array<[number, number, number]> = [
    [1, 0, 1_000],
    [2, 0, 2_000],
    [3, 0, 4_000],
    [4, 0, 5_000],
    [5, 0, 5_000],
    [12, 0, 5_000],
    [1_000, 0, 5_000],
    // Jitter only shortens: at random 0.5 an eighth off, at the top of the range (nearly) a quarter off.
    [1, 0.5, 875],
    [2, 0.5, 1_750],
    [3, 0.5, 3_500],
    [4, 0.5, 4_375],
    [9, 0.5, 4_375],
    [1, 0.999, 750],
    [6, 0.999, 3_751],
  ];
  it.each(TABLE)('attempt %i at random %d waits %i ms', (attempt, random, wait) => {
    expect(reconnectDelayMs(attempt, random)).toBe(wait);
  });
});

describe('the reconnector', () => {
  it('waits 1, 2, 4, then 5 s between failed attempts, and starts over once open', () => {
    const { timers, log, reconnector } = rig();
    reconnector.start();
    expect(log.connects).toBe(1);
    reconnector.opened();
    // Dropped, then every attempt fails.
    const expectedWaits = [1_000, 2_000, 4_000, 5_000, 5_000, 5_000, 5_000];
    for (const [i, wait] of expectedWaits.entries()) {
      reconnector.closed();
      expect(log.waits[i]).toBe(wait);
      timers.advance(wait - 1);
      expect(log.connects).toBe(1 + i);
      timers.advance(1);
      expect(log.connects).toBe(2 + i);
    }
    expect(log.waits).toEqual(expectedWaits);
    reconnector.opened();
    reconnector.closed();
    expect(log.waits.at(-1)).toBe(1_000);
  });

  it('tries at once when asked while waiting, and the wait it cut short does not start a second attempt', () => {
    const { timers, log, reconnector } = rig();
    reconnector.start();
    reconnector.opened();
    reconnector.closed();
    reconnector.closed(); // a second close report for the same drop schedules nothing more
    expect(log.waits).toEqual([1_000]);
    expect(reconnector.now()).toBe(true);
    expect(log.connects).toBe(2);
    // Only the handshake guard is left; the cut wait never fires.
    timers.advance(CONNECT_TIMEOUT_MS - 1);
    expect(log.connects).toBe(2);
    expect(timers.timerCount).toBe(1);
  });

  it('never has two attempts in flight: a trigger while connecting or open does nothing', () => {
    const { log, reconnector } = rig();
    reconnector.start();
    expect(reconnector.now()).toBe(false);
    expect(reconnector.now()).toBe(false);
    expect(log.connects).toBe(1);
    reconnector.opened();
    expect(reconnector.now()).toBe(false);
    expect(log.connects).toBe(1);
    reconnector.closed();
    expect(reconnector.now()).toBe(true);
    expect(reconnector.now()).toBe(false);
    expect(log.connects).toBe(2);
  });

  it('a triggered attempt that fails continues the schedule (2 s next), not from the start', () => {
    const { log, reconnector } = rig();
    reconnector.start();
    reconnector.opened();
    reconnector.closed();
    reconnector.now();
    reconnector.closed();
    expect(log.waits).toEqual([1_000, 2_000]);
  });

  it('gives up a handshake that hangs and waits for the next attempt', () => {
    const { timers, log, reconnector } = rig();
    reconnector.start();
    timers.advance(CONNECT_TIMEOUT_MS - 1);
    expect(log.aborts).toBe(0);
    timers.advance(1);
    expect(log.aborts).toBe(1);
    expect(log.waits).toEqual([1_000]);
    expect(reconnector.phase).toBe('waiting');
  });

  it('each attempt has its own handshake deadline: an earlier attempt\'s never cuts a later one short', () => {
    const { timers, log, reconnector } = rig();
    reconnector.start();
    timers.advance(100);
    reconnector.closed(); // the first attempt failed after 0.1 s
    timers.advance(1_000); // the second starts
    expect(log.connects).toBe(2);
    timers.advance(CONNECT_TIMEOUT_MS - 1);
    expect(log.aborts).toBe(0);
    timers.advance(1);
    expect(log.aborts).toBe(1);
  });

  it('an open socket is never aborted, however long it stays open', () => {
    const { timers, log, reconnector } = rig();
    expect(reconnector.phase).toBe('connecting');
    reconnector.start();
    reconnector.opened();
    expect(reconnector.phase).toBe('open');
    expect(timers.timerCount).toBe(0);
    timers.advance(10 * CONNECT_TIMEOUT_MS);
    expect(log.aborts).toBe(0);
    expect(timers.timerCount).toBe(0);
  });
});

describe('the triggers', () => {
  function sources(visible: boolean) {
    const state = { visible };
    return { state, src: { window: new EventTarget(), document: new EventTarget(), isVisible: () => state.visible } };
  }

  // [where, event, visible, tries at once]
  const TABLE: Array<['window' | 'document', string, boolean, boolean]> = [
    ['window', 'pointerdown', true, true],
    ['window', 'keydown', true, true],
    ['window', 'online', true, true],
    ['document', 'visibilitychange', true, true],
    ['document', 'visibilitychange', false, false],
    ['window', 'offline', true, false],
    ['window', 'scroll', true, false],
  ];
  it.each(TABLE)('%s %s (visible: %s) tries at once: %s', (where, type, visible, fires) => {
    const { src } = sources(visible);
    let calls = 0;
    listenForReconnectTriggers(src, () => calls++);
    src[where].dispatchEvent(new Event(type));
    expect(calls).toBe(fires ? 1 : 0);
  });

  it('stop listening: no trigger afterwards', () => {
    const { src } = sources(true);
    let calls = 0;
    const stop = listenForReconnectTriggers(src, () => calls++);
    stop();
    for (const type of ['pointerdown', 'keydown', 'online']) src.window.dispatchEvent(new Event(type));
    src.document.dispatchEvent(new Event('visibilitychange'));
    expect(calls).toBe(0);
  });

  it('a key pressed while the window waits 5 s brings the attempt forward; a key while it is open does nothing', () => {
    const { timers, log, reconnector } = rig();
    const { src } = sources(true);
    listenForReconnectTriggers(src, () => void reconnector.now());
    reconnector.start();
    reconnector.opened();
    src.window.dispatchEvent(new Event('keydown'));
    expect(log.connects).toBe(1);
    for (let i = 0; i < 4; i++) {
      reconnector.closed();
      timers.advance(log.waits.at(-1)!);
    }
    reconnector.closed();
    expect(log.waits.at(-1)).toBe(5_000);
    const before = log.connects;
    src.window.dispatchEvent(new Event('keydown'));
    expect(log.connects).toBe(before + 1);
    src.window.dispatchEvent(new Event('pointerdown'));
    expect(log.connects).toBe(before + 1);
  });
});

describe('the page\'s timers (browserTimers)', () => {
  it('reads the clock, runs a timer, cancels one, and draws random numbers in [0, 1)', async () => {
    const before = Date.now();
    const now = browserTimers.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
    const r = browserTimers.random();
    expect(r).toBeGreaterThanOrEqual(0);
    expect(r).toBeLessThan(1);
    expect(new Set(Array.from({ length: 20 }, () => browserTimers.random())).size).toBeGreaterThan(1);
    const ran: string[] = [];
    const cancelled = browserTimers.setTimeout(() => ran.push('cancelled'), 0);
    browserTimers.clearTimeout(cancelled);
    await new Promise<void>((resolve) =>
      browserTimers.setTimeout(() => {
        ran.push('ran');
        resolve();
      }, 0),
    );
    expect(ran).toEqual(['ran']);
  });
});
