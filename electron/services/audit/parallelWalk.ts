// Verification of a long chain on several cores. The store's connection holds SQLite's exclusive lock (no second
// connection can read the file), so the calling thread reads the records, in chunks of the walk's size, and hands each
// chunk to a hash worker, which rebuilds every canonical line, hashes it, compares the stored hash and checks the
// chunk's checkpoints (head and Ed25519 signature against the trusted key). A chunk starts from the stored hash of the
// record before it; the worker of the chunk before recomputes that hash, so a record spliced in at a boundary fails one
// of the two. The verdict is always the serial walk's: the first chunk that is not confirmed whole (a failed check, a gap
// in seq, a value the serial walk would read differently, a worker that stopped answering) is walked serially from its
// start to the end, so the failing seq and reason are exactly the serial path's. Workers run the line format compiled
// from canonicalFormats' own source, so their lines cannot drift from the writer's.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { CheckpointRow, RecordTuple } from '../../store/auditRepo.ts';
import { canonicalFormats, GENESIS_HASH } from './canonical.ts';
import type { ParallelSignatures } from './parallelSignatures.ts';
import { CHUNK, ed25519Key, walkChain, type ChainReader, type WalkResult } from './walkChain.ts';

/** What a hash worker checks: a chunk of consecutive records, the stored hash before it, its checkpoints. */
export interface ChunkJob {
  rows: RecordTuple[];
  prev: string;
  /** [seq, head, ts, signature] of each checkpoint on a record of the chunk, ascending. */
  checkpoints: Array<[number, string, string, string]>;
  /** The trusted key, base64 DER SPKI. */
  spki: string;
}

export interface HashWorkers {
  readonly size: number;
  /** Hands a chunk to a worker; status[0] becomes 1 (every record and checkpoint verified) or 2 (anything else). */
  submit(job: ChunkJob): Int32Array | null;
  /** Blocks until the chunk's status is set: true when verified, false otherwise (also when the worker stalled). */
  wait(status: Int32Array): boolean;
  /** Stops every worker (they also stop after an idle minute, and never keep the process alive). */
  close(): void;
  /** Workers started and not stopped. */
  running(): number;
}

// Plain CommonJS, so it runs the same from the sources, the tests and the bundled Electron main process. Status 2 for
// anything unexpected, including a value that is not a string (the serial walk, not a worker, judges those).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { hash, createPublicKey, verify } = require('node:crypto');
let f = null;
try { f = new Function('return (' + workerData.formats + ')')()(); } catch { f = null; }
const keys = new Map();
function keyOf(spki) {
  let k = keys.get(spki);
  if (k === undefined) {
    try { k = createPublicKey({ key: Buffer.from(spki, 'base64'), format: 'der', type: 'spki' }); } catch { k = null; }
    keys.set(spki, k);
  }
  return k;
}
function check(m) {
  const key = f && keyOf(m.spki);
  if (!key) return 2;
  const rows = m.rows, cps = m.checkpoints;
  let prev = m.prev, c = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (typeof r[0] !== 'number') return 2;
    for (let k = 1; k < 9; k++) if (typeof r[k] !== 'string' && r[k] !== null) return 2;
    const h = hash('sha256', f.recordLine(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], prev), 'hex');
    if (h !== r[8]) return 2;
    for (; c < cps.length && cps[c][0] === r[0]; c++) {
      const cp = cps[c];
      if (typeof cp[2] !== 'string' || typeof cp[3] !== 'string' || cp[1] !== h) return 2;
      const sig = f.canonicalSignature(cp[3]);
      if (!sig || !verify(null, Buffer.from(f.checkpointMessage(cp[0], cp[1], cp[2])), key, sig)) return 2;
    }
    prev = h;
  }
  return c === cps.length ? 1 : 2;
}
parentPort.on('message', (m) => {
  let result = 2;
  try { result = check(m); } catch { result = 2; }
  const status = new Int32Array(m.status);
  Atomics.store(status, 0, result);
  Atomics.notify(status, 0);
});
`;

/** Without an answer for this long a worker is presumed stuck: the pool stops and the serial walk takes over. */
const STALL_MS = 20_000;
/**
 * Below this many records a verification stays serial: starting a worker cost 30-500 ms here (idle to loaded machine),
 * what the serial walk spends on 8,000-90,000 records (docs/audit-log.md).
 */
export const PARALLEL_MIN_RECORDS = 8 * CHUNK;
const IDLE_MS = 60_000;

/**
 * One worker per core beyond the calling thread (which reads the records), at most 4; none on 2 cores or fewer: on the
 * shared 2-core build machine verify with a worker measured slower than the serial walk in 8 of 10 bench rows
 * (docs/audit-log.md).
 */
export function defaultVerifyWorkers(cores = availableParallelism()): number {
  return cores <= 2 ? 0 : Math.min(4, cores - 1);
}

export function createHashWorkers(size: number): HashWorkers {
  if (!Number.isInteger(size) || size < 1) throw new RangeError('verify workers must be a positive integer');
  const formats = canonicalFormats.toString();
  let workers: Worker[] = [];
  let next = 0;
  let idle: ReturnType<typeof setTimeout> | null = null;

  function close(): void {
    if (idle) clearTimeout(idle);
    idle = null;
    const all = workers;
    workers = [];
    for (const w of all) void w.terminate();
  }

  function start(): void {
    for (let i = 0; i < size; i++) {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { formats } });
      w.unref();
      // A worker that dies leaves the pool; its chunks stall and the walk goes serial.
      const drop = () => {
        workers = workers.filter((x) => x !== w);
      };
      w.on('error', drop);
      w.on('exit', drop);
      workers.push(w);
    }
  }

  return {
    size,
    submit(job) {
      if (idle) clearTimeout(idle);
      idle = setTimeout(close, IDLE_MS);
      idle.unref();
      if (!workers.length) start();
      const w = workers[next++ % workers.length];
      if (!w) return null;
      const status = new Int32Array(new SharedArrayBuffer(4));
      try {
        w.postMessage({ ...job, status: status.buffer });
      } catch {
        return null;
      }
      return status;
    },
    wait(status) {
      const since = Date.now();
      while (Atomics.load(status, 0) === 0) {
        Atomics.wait(status, 0, 0, 1000);
        if (Atomics.load(status, 0) === 0 && Date.now() - since > STALL_MS) {
          close();
          return false;
        }
      }
      return Atomics.load(status, 0) === 1;
    },
    close,
    running: () => workers.length,
  };
}

export interface VerifyOptions {
  /** The audit public key authenticated under the master key (DER SPKI). */
  trustedKey: Buffer | null;
  /** Hash workers; null: the serial walk alone. */
  workers: HashWorkers | null;
  /** Handed to the serial walk (for the part it walks). */
  parallel?: ParallelSignatures;
  /**
   * Chunks queued per worker (default 2); a chunk read while they are all queued is checked on the calling thread.
   * 0: every chunk on the calling thread (tests of that path).
   */
  queuePerWorker?: number;
  /** Logs shorter than this many records are walked serially (default PARALLEL_MIN_RECORDS). */
  minRecords?: number;
}

interface InFlight {
  status: Int32Array;
  lastSeq: number;
  lastHash: string;
  checkpoints: number;
  lastCheckpointSeq: number | null;
}

/** The whole chain from genesis, with the serial walk's verdict (same fields, same failing seq and reason). */
export function verifyChain(reader: ChainReader, o: VerifyOptions): WalkResult {
  const serialFrom = (startSeq: number, startHash: string): WalkResult =>
    walkChain(reader, { startSeq, startHash, checkpoints: 'stored', trustedKey: o.trustedKey, ...(o.parallel ? { parallel: o.parallel } : {}) });
  const pool = o.workers;
  const checkpointsAfter = reader.checkpointsAfter?.bind(reader);
  if (!pool || !o.trustedKey || !ed25519Key(o.trustedKey) || !checkpointsAfter) return serialFrom(0, GENESIS_HASH);
  const spki = o.trustedKey.toString('base64');
  if ((reader.headSeq?.() ?? Number.MAX_SAFE_INTEGER) < (o.minRecords ?? PARALLEL_MIN_RECORDS)) return serialFrom(0, GENESIS_HASH);

  // Confirmed so far: every record up to verifiedSeq and every checkpoint on them.
  let verifiedSeq = 0;
  let verifiedHash = GENESIS_HASH;
  let checkpoints = 0;
  let lastCheckpointSeq: number | null = null;
  const inFlight: InFlight[] = [];
  let broken = false;
  /** Collects the oldest chunk's verdict; false when it was not confirmed (the serial walk starts at its first record). */
  const settleOldest = (): boolean => {
    const job = inFlight.shift() as InFlight;
    if (broken || !pool.wait(job.status)) {
      broken = true;
      return false;
    }
    verifiedSeq = job.lastSeq;
    verifiedHash = job.lastHash;
    checkpoints += job.checkpoints;
    lastCheckpointSeq = job.lastCheckpointSeq ?? lastCheckpointSeq;
    return true;
  };

  /** Checks a chunk on this thread (while every worker is busy): the serial walk over just these rows. */
  const checkHere = (rows: RecordTuple[], after: number, prev: string, cps: CheckpointRow[]): Int32Array => {
    const these: ChainReader = { recordsAfter: (afterSeq) => (afterSeq === after ? rows : []) };
    const last = (rows[rows.length - 1] as RecordTuple)[0];
    const walk = walkChain(these, { startSeq: after, startHash: prev, endSeq: last, checkpoints: cps, trustedKey: o.trustedKey });
    return Int32Array.of(walk.ok ? 1 : 2);
  };

  try {
    let after = 0;
    let prev = GENESIS_HASH;
    const maxInFlight = pool.size * (o.queuePerWorker ?? 2);
    reading: for (;;) {
      const rows = reader.recordsAfter(after, Number.MAX_SAFE_INTEGER, CHUNK);
      const first = rows[0];
      const last = rows[rows.length - 1];
      // Seqs come ascending and unique (the primary key): first and last tell whether the chunk has no gap.
      if (!first || !last || first[0] !== after + 1 || last[0] !== after + rows.length) break;
      const cps: CheckpointRow[] = checkpointsAfter(after, last[0], CHUNK);
      let status: Int32Array | null;
      if (inFlight.length < maxInFlight) {
        status = pool.submit({ rows, prev, checkpoints: cps.map((c) => [c.seq, c.head, c.ts, c.signature]), spki });
        if (!status) break;
      } else {
        // Every worker has work queued: this thread takes the chunk instead of waiting.
        status = checkHere(rows, after, prev, cps);
      }
      inFlight.push({ status, lastSeq: last[0], lastHash: last[8], checkpoints: cps.length, lastCheckpointSeq: cps.length ? (cps[cps.length - 1] as CheckpointRow).seq : null });
      after = last[0];
      prev = last[8];
      // Verdicts in chunk order: the finished ones now, and wait when too much is pending.
      while (inFlight.length && (Atomics.load((inFlight[0] as InFlight).status, 0) !== 0 || inFlight.length >= 4 * maxInFlight + 1)) {
        if (!settleOldest()) break reading;
      }
      if (rows.length < CHUNK) break;
    }
    while (inFlight.length && settleOldest());
  } catch (e) {
    // The read failed (e.g. the database closed): nothing of this walk is left running.
    pool.close();
    throw e;
  }
  inFlight.length = 0;

  const rest = serialFrom(verifiedSeq, verifiedHash);
  return {
    ...rest,
    checkedRecords: verifiedSeq + rest.checkedRecords,
    checkpoints: checkpoints + rest.checkpoints,
    lastCheckpointSeq: rest.lastCheckpointSeq ?? lastCheckpointSeq,
  };
}
