// The Emergency screen's run progress (renderer/src/emergency/runProgress.ts), against docs/emergency-response.md
// ("Progress and retries"): a running step shows the counts of its newest pushed progress event (they are not stored
// while it runs), a finished step its stored counts; a new attempt starts from the stored counts; a progress event
// needs no refetch, every other change does; Retry is offered only for a failed run, not while a retry runs. The
// events and the counts they must give are written here as tables.
import { describe, expect, it } from 'vitest';
import { EmergencyRunChanged } from '../../shared/emergencyContract.ts';
import { applyRunChange, canRetry, needsRefetch, percentDone, shownCounts, type Counts, type LiveCounts } from '../../renderer/src/emergency/runProgress.ts';

const RUN = '3b1f2a4e-6c7d-4e8f-9a0b-1c2d3e4f5a6b';
const items = (total: number, done: number, failed = 0, skipped = 0) => ({ total, done, failed, skipped, pending: total - done - failed - skipped });
const event = (change: EmergencyRunChanged['change'], position: number | null, state: 'running' | 'done' | 'failed', counts = items(0, 0)): EmergencyRunChanged =>
  // Every event built here must be one the contract accepts (the console's pushes are checked against it).
  EmergencyRunChanged.parse({
    runId: RUN, change, state, review: 'needs_review',
    step: position === null ? null : { position, action: position === 0 ? 'revoke_certificates' : 'quarantine', state: change === 'step' && state !== 'running' ? state : 'running', attempts: 1, items: counts },
  });

/** A step as read from the console: its state and its stored items (`done` of `total` done, the rest pending). */
const step = (position: number, state: 'pending' | 'running' | 'done' | 'failed', total: number, done: number) => ({
  position, state,
  detail: { items: Object.fromEntries(Array.from({ length: total }, (_, i) => [`item-${i}`, { state: i < done ? 'done' : 'pending' }])) },
});

describe('a running step shows its newest pushed counts', () => {
  // [events in order, the step read back, the counts shown]
  const TABLE: Array<[string, EmergencyRunChanged[], ReturnType<typeof step>, Counts]> = [
    ['no progress yet: the stored counts', [event('started', 0, 'running')], step(0, 'running', 2500, 0), { total: 2500, done: 0, failed: 0, skipped: 0 }],
    ['one batch', [event('started', 0, 'running'), event('progress', 0, 'running', items(2500, 1000))], step(0, 'running', 2500, 0), { total: 2500, done: 1000, failed: 0, skipped: 0 }],
    [
      'the newest of three batches',
      [event('progress', 0, 'running', items(2500, 1000)), event('progress', 0, 'running', items(2500, 2000)), event('progress', 0, 'running', items(2500, 2500))],
      step(0, 'running', 2500, 0),
      { total: 2500, done: 2500, failed: 0, skipped: 0 },
    ],
    ['a failed batch counted', [event('progress', 1, 'running', items(1500, 1000, 500))], step(1, 'running', 1500, 0), { total: 1500, done: 1000, failed: 500, skipped: 0 }],
    ["another step's progress is not this step's", [event('progress', 0, 'running', items(2500, 2500))], step(1, 'running', 2500, 0), { total: 2500, done: 0, failed: 0, skipped: 0 }],
    ['finished: the stored counts, not the pushed ones', [event('progress', 0, 'running', items(2500, 2000)), event('step', 0, 'done', items(2500, 2500))], step(0, 'done', 3, 3), { total: 3, done: 3, failed: 0, skipped: 0 }],
    ['a retry starts from the stored counts', [event('progress', 1, 'running', items(1500, 1000, 500)), event('retried', null, 'running')], step(1, 'running', 1500, 1000), { total: 1500, done: 1000, failed: 0, skipped: 0 }],
    ['a new run starts from the stored counts', [event('progress', 0, 'running', items(10, 10)), event('started', 0, 'running')], step(0, 'running', 10, 0), { total: 10, done: 0, failed: 0, skipped: 0 }],
  ];
  it.each(TABLE)('%s', (_name, events, read, expected) => {
    const live = events.reduce<LiveCounts>(applyRunChange, {});
    expect(shownCounts(read, live)).toEqual(expected);
  });

  it('the list of runs gives counts, not items: shown as given', () => {
    expect(shownCounts({ position: 0, state: 'done', detail: { total: 7, done: 5, failed: 1, skipped: 1, pending: 0 } }, {})).toEqual({ total: 7, done: 5, failed: 1, skipped: 1 });
  });
});

describe('the progress bar', () => {
  const TABLE: Array<[Counts, number]> = [
    [{ total: 2500, done: 0, failed: 0, skipped: 0 }, 0],
    [{ total: 2500, done: 1000, failed: 0, skipped: 0 }, 40],
    [{ total: 2500, done: 2000, failed: 0, skipped: 0 }, 80],
    [{ total: 2500, done: 2500, failed: 0, skipped: 0 }, 100],
    [{ total: 3, done: 1, failed: 0, skipped: 0 }, 33],
    [{ total: 1500, done: 1000, failed: 250, skipped: 250 }, 100],
    [{ total: 0, done: 0, failed: 0, skipped: 0 }, 0],
  ];
  it.each(TABLE)('%j is %i %%', (counts, percent) => expect(percentDone(counts)).toBe(percent));
});

describe('refetch and retry', () => {
  const REFETCH: Array<[EmergencyRunChanged['change'], boolean]> = [['started', true], ['step', true], ['progress', false], ['retried', true], ['reviewed', true]];
  it.each(REFETCH)('a %s event reads the run again: %s', (change, expected) => {
    expect(needsRefetch(event(change, change === 'retried' || change === 'reviewed' ? null : 0, 'running'))).toBe(expected);
  });
  const RETRY: Array<['running' | 'done' | 'failed', boolean]> = [['failed', true], ['running', false], ['done', false]];
  it.each(RETRY)('a %s run offers Retry: %s', (state, expected) => expect(canRetry({ state })).toBe(expected));
});
