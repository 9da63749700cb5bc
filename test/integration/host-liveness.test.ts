// A hung console behind the browser host (issue 15, docs/ui.md "The console is not answering"): the host runs in a
// worker thread whose event loop the test blocks for real; the window's liveness check (renderer/src/transport/
// liveness.ts) is wired to a real socket and driven by the test's own timers. It must say the console is silent while
// the loop is blocked, and recover by itself at the answer that comes once the loop runs again. Readiness signals
// only: the worker says when it blocked; the silence is the window's timer running out, which needs no real time.
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { createLiveness } from '../../renderer/src/transport/liveness.ts';
import { ManualTimers } from '../unit/manualTimers.ts';
import { openSocket } from '../security/hostKit.ts';

/** The documented limits (docs/ui.md): a ping 5 s after the last answer, 10 s to answer it. */
const INTERVAL = 5_000;
const TIMEOUT = 10_000;

type FromWorker = { kind: 'ready'; port: number; token: string } | { kind: 'blocked' } | { kind: 'unblocked' } | { kind: 'closed' };

let worker: Worker | null = null;
afterEach(async () => {
  if (!worker) return;
  const w = worker;
  worker = null;
  w.postMessage('close');
  await nextFrom(w, 'closed');
  await w.terminate();
});

function nextFrom(w: Worker, kind: FromWorker['kind']): Promise<FromWorker> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: FromWorker) => {
      if (m.kind !== kind) return;
      w.off('message', onMessage);
      resolve(m);
    };
    w.on('message', onMessage);
    w.once('error', reject);
  });
}

describe('a hung console behind the browser host', () => {
  it('the window says the console is silent while its event loop is blocked, and recovers at the first answer after', async () => {
    const shared = new SharedArrayBuffer(4);
    const cell = new Int32Array(shared);
    worker = new Worker(new URL('./support/blockableHost.ts', import.meta.url), { workerData: { shared } });
    const ready = (await nextFrom(worker, 'ready')) as Extract<FromWorker, { kind: 'ready' }>;
    const opened = await openSocket(`ws://127.0.0.1:${ready.port}/ws`, { cookie: `ecps_token=${ready.token}` });
    if (!('ws' in opened)) throw new Error(`socket refused: ${opened.refused}`);
    const ws = opened.ws;

    const timers = new ManualTimers();
    const log: string[] = [];
    const pongs: number[] = [];
    let pongArrived: (() => void) | null = null;
    const liveness = createLiveness({
      timers,
      sendPing: (n) => ws.send(JSON.stringify({ ping: n })),
      onSilent: () => log.push('silent'),
      onAnswering: () => log.push('answering'),
    });
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { pong?: number };
      if (typeof m.pong !== 'number') return;
      pongs.push(m.pong);
      liveness.pong(m.pong);
      pongArrived?.();
    });
    const nextPong = () => new Promise<void>((r) => (pongArrived = r));

    // A healthy console answers the ping.
    liveness.start();
    let answered = nextPong();
    timers.advance(INTERVAL);
    await answered;
    expect(pongs).toEqual([1]);

    // Block the console's event loop; the next ping goes out and cannot be answered.
    worker.postMessage('block');
    await nextFrom(worker, 'blocked');
    timers.advance(INTERVAL);
    timers.advance(TIMEOUT);
    expect(log).toEqual(['silent']);
    expect(pongs).toEqual([1]);

    // The loop runs again: the queued ping is answered, the window recovers by itself.
    answered = nextPong();
    const unblocked = nextFrom(worker, 'unblocked');
    Atomics.store(cell, 0, 1);
    Atomics.notify(cell, 0);
    await unblocked;
    await answered;
    expect(pongs).toEqual([1, 2]);
    expect(log).toEqual(['silent', 'answering']);
    liveness.stop();
    ws.close();
  });
});
