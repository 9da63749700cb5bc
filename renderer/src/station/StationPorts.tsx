// The live ports: each robot's step-by-step progress (the steps of the port's mode, each with a status indicator, and
// an `orders` step when a distribution sends orders or a CRL), what the robot answered to each order and CRL in words,
// its error in words, a Retry button for a failed port, and for a robot refused as already provisioned a per-robot
// re-provisioning confirmation. The first cell carries the port's path, state and mode as data attributes (tests).
import { useCallback, useState } from 'react';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator, { type StatusIndicatorProps } from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import Header from '@cloudscape-design/components/header';
import type { StationMode, StationOrderResult, StationPort, StationStep } from '../../../shared/stationContract.ts';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { ReprovisionDialog } from './ReprovisionDialog.tsx';
import { notSentLine, orderResultLine, robotErrorWords } from './orderWords.ts';
import { stepState, stepsOf, type StepState } from './portSteps.ts';
import { useShowStationStatus } from './useStationEvents.ts';

const DONE_TEXT: Record<StationMode, string> = { provision: 'provisioned', distribute: 'bundle installed' };


const STEP_LOOK: Record<StepState, StatusIndicatorProps.Type> = { done: 'success', current: 'in-progress', failed: 'error', pending: 'pending' };


/** A done orders step with an item not accepted shows as a warning (the session went on; the officer should look). */
function stepLook(s: StationStep, state: StepState, p: StationPort): StatusIndicatorProps.Type {
  if (s === 'orders' && state === 'done' && p.orders.some((r) => r.outcome !== 'accepted')) return 'warning';
  return STEP_LOOK[state];
}

const OUTCOME_LOOK: Record<StationOrderResult['outcome'], StatusIndicatorProps.Type> = { accepted: 'success', refused: 'warning', answer_refused: 'error' };

function PortState({ p }: { p: StationPort }) {
  if (p.state === 'done') return <StatusIndicator type="success">{DONE_TEXT[p.mode]}</StatusIndicator>;
  if (p.state === 'failed') return <StatusIndicator type="error">failed at {p.step}</StatusIndicator>;
  return <StatusIndicator type="in-progress">{p.step}</StatusIndicator>;
}

function Steps({ p }: { p: StationPort }) {
  const steps = stepsOf(p);
  return (
    <div aria-label={`Steps on ${p.path}`} role="group">
      <SpaceBetween direction="horizontal" size="xs">
        {steps.map((s, i) => {
          const state = stepState(p, steps, i);
          return (
            <span key={s} data-step={s} data-step-state={state}>
              <StatusIndicator type={stepLook(s, state, p)} iconAriaLabel={state} colorOverride={state === 'pending' ? 'grey' : undefined}>
                {s}
              </StatusIndicator>
            </span>
          );
        })}
      </SpaceBetween>
    </div>
  );
}

/** What the robot answered to each order and CRL of this session, one line each, in the order sent; then those its failed session never sent. */
function OrderResults({ p }: { p: StationPort }) {
  if (p.orders.length === 0 && p.notSent.length === 0) return null;
  return (
    <ul aria-label={`Orders and CRLs sent on ${p.path}`}>
      {p.orders.map((r, i) => (
        <li key={`${r.item}-${r.ref}-${i}`} data-item={r.item} data-ref={r.ref} data-outcome={r.outcome} data-result={r.result}>
          <StatusIndicator type={OUTCOME_LOOK[r.outcome]}>{orderResultLine(r)}</StatusIndicator>
          {r.outcome !== 'accepted' && r.message && (
            <Box variant="small" color="text-body-secondary">
              {r.outcome === 'answer_refused' ? 'Console' : 'Robot'}: {r.message}
            </Box>
          )}
        </li>
      ))}
      {p.notSent.map((i, n) => (
        <li key={`not-sent-${i.item}-${i.ref}-${n}`} data-item={i.item} data-ref={i.ref} data-outcome="not_sent">
          <StatusIndicator type="stopped">{notSentLine(i, p.step)}</StatusIndicator>
        </li>
      ))}
    </ul>
  );
}

export function StationPorts({ ports, running, mode }: { ports: StationPort[]; running: boolean; mode: StationMode }) {
  const retry = useChannelMutation('station:retry', useShowStationStatus());
  const [reprovision, setReprovision] = useState<{ deviceId: string; path: string } | null>(null);
  const closeDialog = useCallback(() => setReprovision(null), []);
  return (
    <>
      <Table<StationPort>
        variant="container"
        items={ports}
        trackBy="path"
        ariaLabels={{ tableLabel: 'Station ports' }}
        header={
          <Header variant="h2" counter={`(${ports.length})`}>
            Ports
          </Header>
        }
        empty={<Box textAlign="center">{running ? 'Waiting for a robot to be plugged in…' : 'No ports yet.'}</Box>}
        wrapLines
        columnDefinitions={[
          {
            id: 'port',
            header: 'Port',
            cell: (p) => (
              <span data-port={p.path} data-state={p.state} data-mode={p.mode}>
                <Box variant="code">{p.path}</Box>
              </span>
            ),
          },
          { id: 'robot', header: 'Robot', cell: (p) => p.deviceId ?? <Box color="text-status-inactive">unknown yet</Box> },
          {
            id: 'progress',
            header: 'Progress',
            cell: (p) => (
              <SpaceBetween size="xs">
                <Steps p={p} />
                <OrderResults p={p} />
                {p.error && (
                  <div role="alert" data-code={p.error.code} data-robot-code={p.error.robotCode}>
                    <StatusIndicator type="error">
                      {robotErrorWords(p.error) ?? `${p.error.code}: ${p.error.message}`}
                    </StatusIndicator>
                    {robotErrorWords(p.error) && (
                      <Box variant="small" color="text-body-secondary">
                        {p.error.code}: {p.error.message}
                      </Box>
                    )}
                  </div>
                )}
              </SpaceBetween>
            ),
          },
          { id: 'state', header: 'State', cell: (p) => <PortState p={p} /> },
          {
            id: 'actions',
            header: 'Actions',
            cell: (p) => {
              const refusedProvisioned = p.state === 'failed' && p.error?.code === 'already_provisioned' && p.deviceId !== null;
              return (
                <SpaceBetween direction="horizontal" size="xs">
                  {p.state === 'failed' && running && (
                    <Button onClick={() => retry.mutate({ path: p.path })} disabled={retry.isPending}>
                      Retry
                    </Button>
                  )}
                  {refusedProvisioned && running && mode === 'provision' && p.deviceId && (
                    <Button onClick={() => setReprovision({ deviceId: p.deviceId as string, path: p.path })}>Re-provision {p.deviceId}…</Button>
                  )}
                </SpaceBetween>
              );
            },
          },
        ]}
      />
      <ErrorMessage error={retry.error} header="The port was not retried" />
      {reprovision && <ReprovisionDialog deviceId={reprovision.deviceId} path={reprovision.path} onClose={closeDialog} />}
    </>
  );
}
