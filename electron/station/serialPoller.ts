// serialport's Unix binding (@serialport/bindings-cpp 13) waits for room to write (a write that got EAGAIN) and for data
// to read (a read that got EAGAIN) on one native poller per port. Its poll() records the event asked for but restarts
// libuv's uv_poll with that event alone, so the last waiter replaces the other: a write waiting for a full line to drain
// stops the wait for data, and a read waiting for data stops the wait for room, until the event still watched fires.
// A console writing ORDER_CHUNK frames to a robot that had refused one and stopped reading therefore never read the
// robot's ERROR frame (docs/station.md, "Reading while writing"). The fix below asks, at each wait, for every event that
// someone is still waiting for. The native side re-arms the events left after one fires, so nothing else is needed.

const UV_READABLE = 0b001;
const UV_WRITABLE = 0b010;
const UV_DISCONNECT = 0b100;

/** The part of bindings-cpp's Poller (an EventEmitter over the native poller) the fix uses. */
interface PollerLike {
  poll(flag?: number): void;
  listenerCount(event: string): number;
}

/**
 * Makes the port's poller watch for data and for room at once while both are awaited. A port of another binding (no
 * Unix poller, e.g. Windows) is left as it is. Returns whether the poller was changed.
 */
export function pollForEveryWaiter(port: unknown): boolean {
  const poller = (port as { port?: { poller?: Partial<PollerLike> } } | null)?.port?.poller;
  if (!poller || typeof poller.poll !== 'function' || typeof poller.listenerCount !== 'function') return false;
  const p = poller as PollerLike;
  const pollOnly = p.poll.bind(p);
  const waiting = () =>
    (p.listenerCount('readable') > 0 ? UV_READABLE : 0) | (p.listenerCount('writable') > 0 ? UV_WRITABLE : 0) | (p.listenerCount('disconnect') > 0 ? UV_DISCONNECT : 0);
  p.poll = (flag = 0) => pollOnly(flag | waiting());
  return true;
}
