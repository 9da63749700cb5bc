import type { JobProgress } from '../../../shared/contract.ts';

/** A migration's progress bar, fed by jobs:progress events, and its final result in words. */
export function MigrationProgress({ progress, target }: { progress: JobProgress; target: string }) {
  const { done, total, state } = progress;
  return (
    <div className={`migration migration-${state}`} aria-label="Migration">
      <progress aria-label="Migration progress" value={done} max={Math.max(total, 1)} />
      <p className="small" role="status" aria-label="Migration status">
        {state === 'running' && `Migrating to ${target}: ${done} of ${total}${progress.current ? ` — ${progress.current}` : ''}`}
        {state === 'done' && `Migration finished: ${done} of ${total} key${total === 1 ? '' : 's'} now on ${target}.`}
        {state === 'failed' && `Migration FAILED after ${done} of ${total}: ${progress.error ?? 'no reason given'}. Keys not yet moved stay local.`}
      </p>
    </div>
  );
}
