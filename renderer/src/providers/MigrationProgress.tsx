import ProgressBar from '@cloudscape-design/components/progress-bar';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import type { JobProgress } from '../../../shared/contract.ts';

/** A migration's progress bar, fed by jobs:progress events, and its final result in words. */
export function MigrationProgress({ progress, target }: { progress: JobProgress; target: string }) {
  const { done, total, state } = progress;
  const percent = Math.round((done / Math.max(total, 1)) * 100);
  return (
    <div aria-label="Migration">
      <ProgressBar value={percent} ariaLabel="Migration progress" label={`${done} of ${total}`} />
      <span role="status" aria-label="Migration status">
        {state === 'running' && `Migrating to ${target}: ${done} of ${total}${progress.current ? ` — ${progress.current}` : ''}`}
        {state === 'done' && <StatusIndicator type="success">{`Migration finished: ${done} of ${total} key${total === 1 ? '' : 's'} now on ${target}.`}</StatusIndicator>}
        {state === 'failed' && (
          <StatusIndicator type="error">{`Migration FAILED after ${done} of ${total}: ${progress.error ?? 'no reason given'}. Keys not yet moved stay local.`}</StatusIndicator>
        )}
      </span>
    </div>
  );
}
