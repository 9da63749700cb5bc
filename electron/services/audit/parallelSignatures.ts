// Checkpoint signatures verified on a worker thread while the chain walk hashes records on the calling thread: an
// Ed25519 verification costs as much as hashing ~50 records, so at one checkpoint per 100 records it was half of a
// verify (measured in docs/audit-log.md). The walk stays synchronous: it hands signatures over in batches and reads
// the verdicts from shared memory (Atomics), blocking only at the end for the ones still being checked. Every
// signature is still verified against the trusted key; if the worker stops answering, the rest are verified inline.
import { verify as verifySignature, type KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** One walk's signature checks, in walk order; each check gets the next ordinal (0, 1, 2, ...). */
export interface SignatureBatch {
  /** Queues a checkpoint message and its signature (base64, already checked to be canonical and 64 bytes). */
  add(message: string, signatureBase64: string): void;
  /** The ordinal of the first signature found invalid so far, without waiting; null while none. */
  firstInvalid(): number | null;
  /** Waits until every queued signature is checked: the ordinal of the first invalid one, or null. */
  settle(): number | null;
  /** How many leading checks are known valid (the walk drops what it kept for them). */
  checkedValid(): number;
}

export interface ParallelSignatures {
  /** A batch for one walk under this trusted key (DER SPKI, already known to be an Ed25519 key). */
  begin(trustedKey: KeyObject, spki: Buffer): SignatureBatch;
  /** Stops the worker (it also stops after an idle minute, and never keeps the process alive). */
  close(): void;
}

// The worker verifies each [message, signature] of a message and publishes progress in shared memory: ctl[0] =
// signatures checked, ctl[1] = ordinal of the first invalid one (-1: none). Plain CommonJS, so it runs the same from
// the sources, the tests and the bundled Electron main process. Strings cross (a pooled Buffer would copy its pool).
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createPublicKey, verify } = require('node:crypto');
let walk = -1;
let key = null;
parentPort.on('message', (m) => {
  const ctl = new Int32Array(m.ctl);
  if (m.walk !== walk) {
    walk = m.walk;
    try { key = createPublicKey({ key: Buffer.from(m.spki, 'base64'), format: 'der', type: 'spki' }); } catch { key = null; }
  }
  for (let i = 0; i < m.items.length; i += 2) {
    if (Atomics.load(ctl, 1) >= 0) break;
    let ok = false;
    try { ok = key !== null && verify(null, Buffer.from(m.items[i]), key, Buffer.from(m.items[i + 1], 'base64')); } catch { ok = false; }
    if (!ok) Atomics.store(ctl, 1, m.first + i / 2);
  }
  Atomics.add(ctl, 0, m.items.length / 2);
  Atomics.notify(ctl, 0);
});
`;

/** Signatures sent to the worker per message (posting one costs about as much as one verification). */
const POST_EVERY = 32;
/** The walk waits when this many signatures are queued and unchecked, so what it keeps stays bounded. */
const MAX_QUEUED = 4096;
/** Without progress for this long the worker is presumed stuck, and the rest is verified inline. */
const STALL_MS = 20_000;
const IDLE_MS = 60_000;

export function createParallelSignatures(): ParallelSignatures {
  let worker: Worker | null = null;
  let idle: ReturnType<typeof setTimeout> | null = null;
  let walks = 0;

  function ensureWorker(): Worker {
    if (idle) clearTimeout(idle);
    idle = null;
    if (worker) return worker;
    const w = new Worker(WORKER_SOURCE, { eval: true });
    w.unref();
    const drop = () => {
      if (worker === w) worker = null;
    };
    w.on('error', drop);
    w.on('exit', drop);
    worker = w;
    return w;
  }

  function close(): void {
    if (idle) clearTimeout(idle);
    idle = null;
    const w = worker;
    worker = null;
    void w?.terminate();
  }

  function stopWhenIdle(): void {
    if (idle) clearTimeout(idle);
    idle = setTimeout(close, IDLE_MS);
    idle.unref();
  }

  return {
    close,
    begin(trustedKey, spki) {
      const walk = ++walks;
      const spkiText = spki.toString('base64');
      const w = ensureWorker();
      const ctl = new Int32Array(new SharedArrayBuffer(8));
      ctl[1] = -1;
      // Messages and signatures from ordinal keptFrom on, kept until the worker confirmed them.
      let kept: string[] = [];
      let keptFrom = 0;
      let posted = 0; // ordinals handed to the worker
      let added = 0;
      let pending: string[] = [];
      // Once the worker fails us, everything it has not confirmed is verified here, in order, and so is the rest.
      let inline = false;
      let invalid: number | null = null;

      const checked = () => Math.min(Atomics.load(ctl, 0), posted);
      const workerInvalid = () => {
        const v = Atomics.load(ctl, 1);
        return v < 0 ? null : v;
      };
      const trim = () => {
        const done = checked();
        if (done > keptFrom) {
          kept = kept.slice((done - keptFrom) * 2);
          keptFrom = done;
        }
      };
      const verifyKept = () => {
        for (let i = 0; i < kept.length && invalid === null; i += 2) {
          const ok = verifySignature(null, Buffer.from(kept[i] as string), trustedKey, Buffer.from(kept[i + 1] as string, 'base64'));
          if (!ok) invalid = keptFrom + i / 2;
        }
        keptFrom += kept.length / 2;
        kept = [];
      };
      const goInline = () => {
        if (inline) return;
        inline = true;
        invalid = workerInvalid();
        trim();
        pending = [];
        verifyKept();
      };
      const post = () => {
        if (!pending.length || inline) return;
        try {
          w.postMessage({ walk, spki: spkiText, ctl: ctl.buffer, first: posted, items: pending });
          posted += pending.length / 2;
          pending = [];
        } catch {
          goInline();
        }
      };
      /** Blocks until the worker checked `target` signatures (or found one invalid); false when it stalled. */
      const waitFor = (target: number): boolean => {
        let last = checked();
        let since = Date.now();
        while (last < target && workerInvalid() === null) {
          Atomics.wait(ctl, 0, Atomics.load(ctl, 0), 1000);
          const now = checked();
          if (now !== last) {
            last = now;
            since = Date.now();
          } else if (Date.now() - since > STALL_MS) return false;
        }
        return true;
      };

      return {
        add(message, signatureBase64) {
          added++;
          kept.push(message, signatureBase64);
          if (inline) {
            verifyKept();
            return;
          }
          pending.push(message, signatureBase64);
          if (pending.length >= POST_EVERY * 2) post();
          if (posted - checked() > MAX_QUEUED) {
            if (!waitFor(posted - MAX_QUEUED / 2)) goInline();
            else trim();
          }
        },
        firstInvalid() {
          return inline ? invalid : workerInvalid();
        },
        settle() {
          post();
          if (!inline && !waitFor(posted)) goInline();
          stopWhenIdle();
          return inline ? invalid : workerInvalid();
        },
        checkedValid() {
          if (inline) return invalid ?? added;
          if (workerInvalid() !== null) return workerInvalid() as number;
          const done = checked();
          if (done - keptFrom > 1024) trim();
          return done;
        },
      };
    },
  };
}
