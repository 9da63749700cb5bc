// Reading while writing (docs/station.md): the console's serial ports widen each wait of serialport's Unix poller to
// every event still awaited, and leave a port of another binding (no Unix poller, e.g. Windows) as it is. The real
// poller is exercised over socat ptys in test/integration/station-read-while-writing.test.ts; here, the request each
// waiter combination must send to the native side, from libuv's flag values (uv.h: UV_READABLE 1, UV_WRITABLE 2,
// UV_DISCONNECT 4, as @serialport/bindings-cpp 13 passes them), and a port that cannot be opened.
import { EventEmitter } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StationError } from '../../electron/station/errors.ts';
import { pollForEveryWaiter } from '../../electron/station/serialPoller.ts';
import { openSerialPort } from '../../electron/station/station.ts';

const READABLE = 1;
const WRITABLE = 2;
const DISCONNECT = 4;

/** A poller of bindings-cpp's shape (an EventEmitter whose poll() goes to the native side), recording each request. */
class RecordingPoller extends EventEmitter {
  readonly sent: number[] = [];
  poll(flag = 0): void {
    this.sent.push(flag);
  }
}

type Waiting = Array<'readable' | 'writable' | 'disconnect'>;
/** [events already awaited, flag asked for, flag the native side must get]. */
const WIDENED: Array<[Waiting, number | undefined, number]> = [
  [[], READABLE, READABLE],
  [[], WRITABLE, WRITABLE],
  [[], undefined, 0],
  [['readable'], WRITABLE, READABLE | WRITABLE],
  [['writable'], READABLE, READABLE | WRITABLE],
  [['readable'], undefined, READABLE],
  [['writable'], undefined, WRITABLE],
  [['disconnect'], READABLE, READABLE | DISCONNECT],
  [['disconnect'], undefined, DISCONNECT],
  [['readable', 'writable', 'disconnect'], undefined, READABLE | WRITABLE | DISCONNECT],
  [['readable', 'writable'], DISCONNECT, READABLE | WRITABLE | DISCONNECT],
];

describe('pollForEveryWaiter', () => {
  it.each(WIDENED)('awaiting %j, a request for %s goes out as %i', (waiting, asked, expected) => {
    const poller = new RecordingPoller();
    expect(pollForEveryWaiter({ port: { poller } })).toBe(true);
    // Waiters register as serialport's read and write do (a listener that stays until the event fires).
    for (const event of waiting) poller.on(event, () => undefined);
    if (asked === undefined) poller.poll();
    else poller.poll(asked);
    expect(poller.sent).toEqual([expected]);
  });

  it('a waiter that got its event no longer widens the next request', () => {
    const poller = new RecordingPoller();
    pollForEveryWaiter({ port: { poller } });
    poller.once('writable', () => undefined);
    poller.poll(READABLE);
    poller.emit('writable', null);
    poller.poll(READABLE);
    expect(poller.sent).toEqual([READABLE | WRITABLE, READABLE]);
  });

  const poll = () => undefined;
  const listenerCount = () => 1;
  const OTHER_BINDINGS: Array<[string, unknown]> = [
    ['nothing', null],
    ['a port object without a binding', {}],
    ['a binding without a poller (Windows)', { port: {} }],
    ['a poller without poll()', { port: { poller: { listenerCount } } }],
    ['a poller without listenerCount()', { port: { poller: { poll } } }],
    ['a poll that is not a function', { port: { poller: { poll: 1, listenerCount } } }],
    ['a listenerCount that is not a function', { port: { poller: { poll, listenerCount: 1 } } }],
  ];
  it.each(OTHER_BINDINGS)('leaves %s as it is', (_what, port) => {
    const before = (port as { port?: { poller?: { poll?: unknown } } } | null)?.port?.poller?.poll;
    expect(pollForEveryWaiter(port)).toBe(false);
    expect((port as { port?: { poller?: { poll?: unknown } } } | null)?.port?.poller?.poll).toBe(before);
  });
});

describe('openSerialPort', () => {
  it('a port that cannot be opened is a typed station error naming the port', async () => {
    const path = join(tmpdir(), `ecps-no-such-port-${process.pid}`);
    const err = await openSerialPort(path, 115200).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StationError);
    expect((err as StationError).code).toBe('disconnected');
    expect((err as StationError).details).toEqual({ port: path });
    expect((err as StationError).message).toContain(path);
  });
});
