// When the log goes quiet, or its oldest unsigned record gets old, a checkpoint is due: this keeps the unsigned tail
// short in time as the every-N-records rule keeps it short in count. One timer at most; it is armed by an append and
// runs on injected timers (Node's are unref'd, so an idle timer never keeps a CLI process alive).
import { ConsoleError } from '../../../shared/errors.ts';
import type { Clock } from '../../clock.ts';
import type { Timers } from '../../providers/resilience/resilienceOptions.ts';

export const DEFAULT_QUIET_CHECKPOINT_MS = 60_000;
export const DEFAULT_MAX_UNSIGNED_AGE_MS = 300_000;

export interface CheckpointTimerOptions {
  clock: Clock;
  timers: Pick<Timers, 'setTimeout'>;
  /** Due this long after the last append (0: the timer is off). */
  quietMs: number;
  /** Due at the latest this long after the first record appended since the last checkpoint. */
  maxAgeMs: number;
  /** Whether a checkpoint can be written now (a trusted key is set, the database is open and free). */
  ready(): boolean;
  /** Writes the checkpoint; its errors are the caller's to log. */
  checkpoint(): void;
}

export interface CheckpointTimer {
  /** A record was appended (while a checkpoint can be signed). */
  appended(): void;
  /** A checkpoint was written: nothing is unsigned. */
  signed(): void;
  stop(): void;
  pending(): boolean;
}

function checkMs(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new ConsoleError('invalid_input', `${name} must be an integer of at least ${min}`);
}

export function createCheckpointTimer(o: CheckpointTimerOptions): CheckpointTimer {
  checkMs('quietCheckpointMs', o.quietMs, 0);
  checkMs('maxUnsignedAgeMs', o.maxAgeMs, 1);
  let lastAppendAt = 0;
  let firstUnsignedAt: number | null = null;
  let cancel: (() => void) | null = null;

  const dueAt = () => Math.min(lastAppendAt + o.quietMs, (firstUnsignedAt ?? lastAppendAt) + o.maxAgeMs);

  function schedule(): void {
    cancel = o.timers.setTimeout(() => {
      cancel = null;
      if (firstUnsignedAt === null) return;
      if (o.clock.now() < dueAt()) return schedule();
      if (!o.ready()) return;
      o.checkpoint();
    }, Math.max(1, dueAt() - o.clock.now()));
  }

  return {
    appended() {
      if (o.quietMs === 0) return;
      lastAppendAt = o.clock.now();
      firstUnsignedAt ??= lastAppendAt;
      if (!cancel) schedule();
    },
    signed() {
      firstUnsignedAt = null;
    },
    stop() {
      cancel?.();
      cancel = null;
      firstUnsignedAt = null;
    },
    pending: () => cancel !== null,
  };
}
