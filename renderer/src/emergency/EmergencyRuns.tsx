// The playbook runs (emergency:runs) and one run's detail (emergency:run): progress per action, refreshed by the pushed
// emergency:runChanged event (a slow fallback refresh while a run is running: a run driven by another process on the
// same database, the CLI's `emergency retry`, pushes nothing to this window); a running step's progress bar follows
// its pushed `progress` events (one per batch; runProgress.ts); Retry of what failed (emergency:retry, the run shows
// running while it works);
// the second officer's review of a break-glass run (emergency:review); the CRL and the lockdown order the run produced,
// as files. A lockdown order issued on its own with break-glass is recorded as a run too, and marked so.
import { useEffect, useState } from 'react';
import Badge from '@cloudscape-design/components/badge';
import Table from '@cloudscape-design/components/table';
import Header from '@cloudscape-design/components/header';
import Container from '@cloudscape-design/components/container';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import ProgressBar from '@cloudscape-design/components/progress-bar';
import StatusIndicator, { type StatusIndicatorProps } from '@cloudscape-design/components/status-indicator';
import { describeScope, type EmergencyAction, type EmergencyRunView } from '../../../shared/emergencyContract.ts';
import { subscribe } from '../api.ts';
import { useChannelMutation, useChannelQuery, useQueryClient } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { NoteDialog } from '../components/NoteDialog.tsx';
import { downloadBase64, downloadText } from '../download.ts';
import { formatTime } from '../format.ts';
import { applyRunChange, canRetry, needsRefetch, percentDone, shownCounts, type LiveCounts } from './runProgress.ts';

export const ACTION_LABELS: Readonly<Record<EmergencyAction, string>> = {
  compromise_keys: 'Mark keys compromised',
  revoke_certificates: 'Revoke certificates and publish a CRL',
  revoke_ca: 'Revoke the fleet CA (compromised CA: every certificate it issued)',
  quarantine: 'Quarantine robots',
  rotate_shared: 'Rotate shared keys of robots outside the scope',
  lockdown: 'Issue a lockdown order',
};

type StepState = EmergencyRunView['steps'][number]['state'];
const STEP_STATUS: Readonly<Record<StepState | EmergencyRunView['state'], { type: StatusIndicatorProps.Type; text: string }>> = {
  pending: { type: 'pending', text: 'Pending' },
  running: { type: 'in-progress', text: 'Running' },
  done: { type: 'success', text: 'Done' },
  failed: { type: 'error', text: 'Failed' },
  skipped: { type: 'stopped', text: 'Skipped (nothing to do)' },
};
const REVIEW_WORDS: Readonly<Record<EmergencyRunView['review'], string>> = {
  not_needed: 'Not needed',
  needs_review: 'Break glass: needs a second officer’s review',
  reviewed: 'Reviewed',
};

/**
 * While a run shows running, a refresh this often besides the pushed events. The events are not dropped while the
 * window is connected (one ordered socket or Electron IPC channel; a reconnect refetches everything), but a run changed
 * by another console process on the same database (the CLI) emits them only in that process.
 */
const FALLBACK_REFRESH_MS = 15_000;
const whileRunning = (running: boolean) => (running ? FALLBACK_REFRESH_MS : false);

/**
 * Refetches on every emergency:runChanged event (of `runId` alone when given) but a progress event, which changed
 * nothing stored; `onChange` sees every event of the run.
 */
function useRunChanged(refetch: () => unknown, runId?: string, onChange?: (e: Parameters<typeof applyRunChange>[1]) => void) {
  useEffect(
    () =>
      subscribe('emergency:runChanged', (e) => {
        if (runId !== undefined && e.runId !== runId) return;
        onChange?.(e);
        if (needsRefetch(e)) void refetch();
      }),
    [refetch, runId, onChange],
  );
}

/** What a run was: a playbook, or a lockdown order issued on its own (break-glass, recorded as a one-action run). */
const OriginBadge = ({ run }: { run: EmergencyRunView }) =>
  run.origin === 'order' ? <Badge color="red">Lockdown order issued on its own (break-glass)</Badge> : null;

const State = ({ state }: { state: StepState | EmergencyRunView['state'] }) => <StatusIndicator type={STEP_STATUS[state].type}>{STEP_STATUS[state].text}</StatusIndicator>;

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

function ReviewDialog({ run, onClose }: { run: EmergencyRunView; onClose: () => void }) {
  const review = useChannelMutation('emergency:review', onClose);
  return (
    <NoteDialog
      header="Review the break-glass run"
      label="Review note (recorded in the audit log)"
      submitText="Record review"
      required
      pending={review.isPending}
      error={review.error}
      onSubmit={(note) => review.mutate({ runId: run.runId, note })}
      onClose={onClose}
    >
      {run.actor} broke glass on {describeScope(run.scope)}: “{run.breakGlassReason}”. A different security officer records here that the run was checked.
    </NoteDialog>
  );
}

export function RunDetail({ runId, canAct }: { runId: string; canAct: boolean }) {
  const queryClient = useQueryClient();
  const run = useChannelQuery('emergency:run', { runId }, { refetchInterval: (q) => whileRunning(q.state.data?.state === 'running') });
  const [live, setLive] = useState<LiveCounts>({});
  const [onChange] = useState(() => (e: Parameters<typeof applyRunChange>[1]) => setLive((l) => applyRunChange(l, e)));
  useRunChanged(run.refetch, runId, onChange);
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ['emergency:run'] });
    void queryClient.invalidateQueries({ queryKey: ['emergency:runs'] });
    void queryClient.invalidateQueries({ queryKey: ['emergency:lockdownList'] });
  };
  const retry = useChannelMutation('emergency:retry', refresh);
  const [reviewing, setReviewing] = useState(false);
  const r = run.data;
  if (!r) return <ErrorMessage error={run.error} />;
  const crl = r.steps.find((s) => s.action === 'revoke_certificates' && str(s.detail.crlPem));
  const finalCrl = r.steps.find((s) => s.action === 'revoke_ca' && str(s.detail.crlPem));
  const order = r.steps.find((s) => s.action === 'lockdown' && str(s.detail.content));
  return (
    <Container
      data-testid="emergency-run"
      header={
        <Header
          variant="h2"
          description={`${formatTime(r.createdAt)} by ${r.actor}: ${describeScope(r.scope)}, ${r.robots} robot(s). Reason: ${r.reason}`}
          actions={
            <SpaceBetween direction="horizontal" size="xs">
              {crl && (
                <Button iconName="download" onClick={() => downloadText(`fleet-crl-${String(crl.detail.crlNumber)}.pem`, String(crl.detail.crlPem), 'application/pkix-crl')}>
                  Download CRL
                </Button>
              )}
              {finalCrl && (
                <Button iconName="download" onClick={() => downloadText(String(finalCrl.detail.fileName), String(finalCrl.detail.crlPem), 'application/pkix-crl')}>
                  Download the revoked CA's final CRL
                </Button>
              )}
              {order && (
                <Button iconName="download" onClick={() => downloadBase64(String(order.detail.fileName), String(order.detail.content), 'application/json')}>
                  Download lockdown order
                </Button>
              )}
              {canAct && r.review === 'needs_review' && <Button onClick={() => setReviewing(true)}>Review…</Button>}
              {canAct && (
                <Button disabled={!canRetry(r)} loading={retry.isPending} onClick={() => retry.mutate({ runId: r.runId })}>
                  Retry failed actions
                </Button>
              )}
            </SpaceBetween>
          }
        >
          <SpaceBetween direction="horizontal" size="xs">
            <span>Run {r.runId}</span>
            <OriginBadge run={r} />
          </SpaceBetween>
        </Header>
      }
    >
      <SpaceBetween size="m">
        <ColumnLayout columns={3} variant="text-grid">
          <div>
            <Box variant="awsui-key-label">State</Box>
            <span data-testid="run-state" data-state={r.state}>
              <State state={r.state} />
            </span>
          </div>
          <div>
            <Box variant="awsui-key-label">Review</Box>
            <span data-testid="run-review">{REVIEW_WORDS[r.review]}</span>
            {r.reviewedBy && <Box>{`by ${r.reviewedBy}: ${r.reviewNote ?? ''}`}</Box>}
          </div>
          {r.breakGlassReason && (
            <div>
              <Box variant="awsui-key-label">Break-glass reason</Box>
              {r.breakGlassReason}
            </div>
          )}
        </ColumnLayout>
        <Table
          variant="embedded"
          ariaLabels={{ tableLabel: 'Run progress' }}
          items={r.steps}
          trackBy="position"
          columnDefinitions={[
            { id: 'action', header: 'Action', cell: (s) => ACTION_LABELS[s.action] },
            { id: 'state', header: 'State', cell: (s) => <span data-step-state={s.state}><State state={s.state} /></span> },
            {
              id: 'items',
              header: 'Items',
              cell: (s) => {
                const c = shownCounts(s, live);
                const words = `${c.done} done, ${c.failed} failed, ${c.skipped} skipped of ${c.total}`;
                return s.state === 'running' ? (
                  <span data-testid="step-progress" data-done={c.done} data-total={c.total}>
                    <ProgressBar value={percentDone(c)} additionalInfo={words} ariaLabel={`${ACTION_LABELS[s.action]}: progress`} />
                  </span>
                ) : (
                  words
                );
              },
            },
            { id: 'attempts', header: 'Attempts', cell: (s) => s.attempts },
            {
              id: 'outcome',
              header: 'Outcome',
              cell: (s) =>
                s.errorMessage ??
                (typeof s.detail.crlNumber === 'number' ? `CRL number ${s.detail.crlNumber}` : typeof s.detail.sequence === 'number' ? `Order sequence ${s.detail.sequence}` : str(s.detail.note) ?? '—'),
            },
          ]}
        />
        <ErrorMessage error={retry.error} />
      </SpaceBetween>
      {reviewing && (
        <ReviewDialog
          run={r}
          onClose={() => {
            setReviewing(false);
            refresh();
          }}
        />
      )}
    </Container>
  );
}

export function EmergencyRuns({ selected, onSelect, canAct }: { selected: string | null; onSelect: (runId: string | null) => void; canAct: boolean }) {
  const runs = useChannelQuery('emergency:runs', { limit: 50 }, { refetchInterval: (q) => whileRunning(q.state.data?.runs.some((r) => r.state === 'running') === true) });
  useRunChanged(runs.refetch);
  const items = runs.data?.runs ?? [];
  const current = items.find((r) => r.runId === selected) ?? null;
  return (
    <SpaceBetween size="l">
      <Table
        ariaLabels={{ tableLabel: 'Emergency runs', itemSelectionLabel: (_s, r) => `Run ${r.runId}`, allItemsSelectionLabel: () => 'all', selectionGroupLabel: 'Runs' }}
        header={<Header variant="h2" counter={runs.data ? `(${items.length})` : undefined} description="The newest first. Select a run for its progress per action.">Runs</Header>}
        loading={runs.isPending}
        loadingText="Loading runs"
        items={items}
        trackBy="runId"
        selectionType="single"
        selectedItems={current ? [current] : []}
        onSelectionChange={(e) => onSelect(e.detail.selectedItems[0]?.runId ?? null)}
        empty={<Box textAlign="center">No emergency run yet.</Box>}
        columnDefinitions={[
          { id: 'when', header: 'Started', cell: (r) => formatTime(r.createdAt) },
          { id: 'actor', header: 'By', cell: (r) => r.actor },
          { id: 'scope', header: 'Scope', cell: (r) => describeScope(r.scope) },
          {
            id: 'actions',
            header: 'Actions',
            cell: (r) =>
              r.origin === 'order' ? (
                <span data-testid="run-origin-order">
                  <OriginBadge run={r} />
                </span>
              ) : (
                r.actions.map((a) => ACTION_LABELS[a]).join('; ')
              ),
          },
          { id: 'state', header: 'State', cell: (r) => <State state={r.state} /> },
          { id: 'review', header: 'Review', cell: (r) => REVIEW_WORDS[r.review] },
        ]}
      />
      <ErrorMessage error={runs.error} />
      {selected && <RunDetail key={selected} runId={selected} canAct={canAct} />}
    </SpaceBetween>
  );
}
