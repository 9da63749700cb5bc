// Child process of rotation-batch-kill.slow.test.ts: opens the store in argv[2], unlocks it, then either starts a
// batch job over every storage key (argv[3] = "start") or resumes the one a killed predecessor left running
// ("resume"), prints READY <jobId>, one line per progress event (P <done> <failed> <pending>) the moment it is
// emitted (a synchronous write), and END <json> once the job has finished. The parent kills it at random points.
import { writeSync } from 'node:fs';
import { createConsole } from '../../../electron/app.ts';
import { silentLogger } from '../../../electron/logger.ts';
import { FAST_KDF } from '../../unit/store-testkit.ts';

const [dataDir, mode, concurrency] = process.argv.slice(2);
if (!dataDir || (mode !== 'start' && mode !== 'resume')) throw new Error('usage: rotationBatchChild.ts DATA_DIR start|resume [CONCURRENCY]');
const print = (line: string) => writeSync(1, `${line}\n`);

const c = await createConsole({ dataDir, kdf: FAST_KDF, logger: silentLogger, env: {}, rotation: { scheduler: false } });
c.onEvent((event, payload) => {
  if (event !== 'rotation:batchProgress') return;
  const p = payload as { done: number; failed: number; pending: number };
  print(`P ${p.done} ${p.failed} ${p.pending}`);
});
await c.handlers['session:unlock']({ operator: 'alice', passphrase: process.env.BATCH_PASSPHRASE ?? '' }, { transport: 'test' });
let jobId: string;
if (mode === 'start') {
  jobId = c.rotation.batches.start({ selection: { type: 'storage' }, concurrency: Number(concurrency ?? 8) }).batchId;
} else {
  const resumed = c.rotation.batches.resumeInterrupted();
  jobId = resumed[0] ?? c.rotation.batches.list(1)[0]!.batchId;
}
print(`READY ${jobId}`);
const end = await c.rotation.batches.wait(jobId);
c.close();
print(`END ${JSON.stringify(end)}`);
