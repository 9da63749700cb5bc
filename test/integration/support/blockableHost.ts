// A browser host on a real console in a worker thread, whose event loop the test can block (issue 15's hung console:
// the process lives, its socket stays open, it answers nothing). The test posts 'block'; the worker says 'blocked' and
// waits on Atomics until the test stores 1 in the shared cell and notifies. Run by Node itself (type stripping).
import { parentPort, workerData } from 'node:worker_threads';
import { startHostKit } from '../../security/hostKit.ts';

const cell = new Int32Array(workerData.shared as SharedArrayBuffer);
const kit = await startHostKit({ renderer: false });
parentPort!.on('message', (message: string) => {
  if (message === 'block') {
    parentPort!.postMessage({ kind: 'blocked' });
    Atomics.wait(cell, 0, 0);
    Atomics.store(cell, 0, 0);
    parentPort!.postMessage({ kind: 'unblocked' });
  } else if (message === 'close') {
    void kit.close().then(() => parentPort!.postMessage({ kind: 'closed' }));
  }
});
parentPort!.postMessage({ kind: 'ready', port: kit.host.port, token: kit.host.token });
