// Whether the console behind an open socket answers (renderer/src/transport/liveness.ts, docs/ui.md "The console is
// not answering"). Driven by the test's own clock and timers; the intervals are the documented ones (a ping 5 s after
// the last answer, 10 s to answer it), written here, not read from the module.
import { describe, expect, it } from 'vitest';
import { createLiveness } from '../../renderer/src/transport/liveness.ts';
import { ManualTimers } from './manualTimers.ts';

const INTERVAL = 5_000;
const TIMEOUT = 10_000;

function rig() {
  const timers = new ManualTimers();
  const log = { pings: [] as Array<{ n: number; at: number }>, silent: [] as number[], answering: 0 };
  const liveness = createLiveness({
    timers,
    sendPing: (n) => log.pings.push({ n, at: timers.now() }),
    onSilent: (since) => log.silent.push(since),
    onAnswering: () => void log.answering++,
  });
  return { timers, log, liveness };
}

describe('liveness of the console behind the socket', () => {
  it('pings one interval after opening and one interval after each answer, one ping at a time', () => {
    const { timers, log, liveness } = rig();
    const opened = timers.now();
    liveness.start();
    timers.advance(INTERVAL - 1);
    expect(log.pings).toEqual([]);
    timers.advance(1);
    expect(log.pings).toEqual([{ n: 1, at: opened + INTERVAL }]);
    // No second ping while the first awaits its answer (up to just before the limit).
    timers.advance(TIMEOUT - 1);
    expect(log.pings).toHaveLength(1);
    liveness.pong(1);
    const answered = timers.now();
    timers.advance(INTERVAL);
    expect(log.pings[1]).toEqual({ n: 2, at: answered + INTERVAL });
    // The answered ping's limit does not run on: no silence while each ping is answered.
    liveness.pong(2);
    timers.advance(TIMEOUT);
    expect(log.silent).toEqual([]);
  });

  it('says the console is silent when a ping is not answered in time, since the last answer, and recovers at the next answer', () => {
    const { timers, log, liveness } = rig();
    liveness.start();
    timers.advance(INTERVAL);
    liveness.pong(1);
    const lastAnswer = timers.now();
    timers.advance(INTERVAL); // ping 2
    timers.advance(TIMEOUT - 1);
    expect(log.silent).toEqual([]);
    timers.advance(1);
    expect(log.silent).toEqual([lastAnswer]);
    expect(liveness.silent).toBe(true);
    // Said once, however long it lasts; no ping piles up.
    timers.advance(10 * TIMEOUT);
    expect(log.silent).toHaveLength(1);
    expect(log.pings).toHaveLength(2);
    liveness.pong(2);
    expect(log.answering).toBe(1);
    expect(liveness.silent).toBe(false);
    timers.advance(INTERVAL);
    expect(log.pings).toHaveLength(3);
  });

  it('counts only the answer to the ping in flight', () => {
    const { timers, log, liveness } = rig();
    liveness.start();
    timers.advance(INTERVAL);
    liveness.pong(7);
    timers.advance(TIMEOUT);
    expect(log.silent).toHaveLength(1);
  });

  it('ignores an answer before it starts, and a stop while silent clears it', () => {
    const { timers, log, liveness } = rig();
    expect(liveness.silent).toBe(false);
    liveness.pong(1);
    expect(log.answering).toBe(0);
    liveness.start();
    timers.advance(INTERVAL + TIMEOUT);
    expect(liveness.silent).toBe(true);
    liveness.stop();
    expect(liveness.silent).toBe(false);
    liveness.start();
    timers.advance(INTERVAL);
    expect(log.pings).toHaveLength(2);
  });

  it('stops with the socket: no timer left, no ping, no silence reported', () => {
    const { timers, log, liveness } = rig();
    liveness.start();
    timers.advance(INTERVAL);
    liveness.stop();
    expect(timers.timerCount).toBe(0);
    timers.advance(10 * TIMEOUT);
    expect(log.silent).toEqual([]);
    expect(log.pings).toHaveLength(1);
    liveness.pong(1);
    expect(log.answering).toBe(0);
  });
});
