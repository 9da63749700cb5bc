// One run's progress as the Emergency screen shows it: the steps as read from the console (emergency:run), with the
// counts of a running step taken from the newest pushed `progress` event instead (emergency:runChanged). Those counts
// are not stored while the step runs (revoke_certificates commits its batches together at its end), so reading the
// run again would show none of them. Pure, so that the screen's rules are tested without a window.
import type { EmergencyRunChanged, EmergencyRunView } from '../../../shared/emergencyContract.ts';

export interface Counts {
  total: number;
  done: number;
  failed: number;
  skipped: number;
}

/** The newest pushed counts of each step of one run (by position) during its current attempt. */
export type LiveCounts = Readonly<Record<number, Counts>>;

type Step = Pick<EmergencyRunView['steps'][number], 'position' | 'state' | 'detail'>;

/**
 * The live counts after an event of the run: a `progress` event records its step's counts; a new attempt (`started`,
 * `retried`) forgets them all (the counts start again from what is stored). Other changes keep them: they apply only
 * while the step read back still shows running.
 */
export function applyRunChange(live: LiveCounts, e: EmergencyRunChanged): LiveCounts {
  if (e.change === 'progress' && e.step) {
    const { total, done, failed, skipped } = e.step.items;
    return { ...live, [e.step.position]: { total, done, failed, skipped } };
  }
  if (e.change === 'started' || e.change === 'retried') return {};
  return live;
}

/** Whether an event needs the run read again: a progress event changed nothing stored. */
export const needsRefetch = (e: EmergencyRunChanged) => e.change !== 'progress';

/** A step's items counted by state: the list of runs gives the counts, a run's full detail gives every item. */
export function storedCounts(detail: Record<string, unknown>): Counts {
  if (typeof detail.total === 'number') {
    const { total, done, failed, skipped } = detail as unknown as Counts;
    return { total, done, failed, skipped };
  }
  const items = Object.values((detail.items ?? {}) as Record<string, { state?: string }>);
  const n = (s: string) => items.filter((i) => i.state === s).length;
  return { total: items.length, done: n('done'), failed: n('failed'), skipped: n('skipped') };
}

/** What the screen shows for a step: the pushed counts while it runs (when there are any), else the stored ones. */
export function shownCounts(step: Step, live: LiveCounts): Counts {
  const pushed = live[step.position];
  return step.state === 'running' && pushed ? pushed : storedCounts(step.detail);
}

/** The share of a step's items that have an outcome, in percent (0 when it has none yet). */
export const percentDone = (c: Counts) => (c.total === 0 ? 0 : Math.floor(((c.done + c.failed + c.skipped) * 100) / c.total));

/** Retry is offered only for a failed run: not while it runs (a retry in progress makes it running again). */
export const canRetry = (run: Pick<EmergencyRunView, 'state'>) => run.state === 'failed';
