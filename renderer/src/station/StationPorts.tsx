// The live ports: each robot's step-by-step progress (the steps of the port's mode), its error in words, a Retry
// button for a failed port, and for a robot refused as already provisioned a per-robot re-provisioning confirmation.
import { useCallback, useState } from 'react';
import { DISTRIBUTE_STEPS, PROVISION_STEPS, type StationMode, type StationPort, type StationStep } from '../../../shared/stationContract.ts';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { ReprovisionDialog } from './ReprovisionDialog.tsx';
import { useShowStationStatus } from './useStationEvents.ts';

const STEPS_OF: Record<StationMode, readonly StationStep[]> = { provision: PROVISION_STEPS, distribute: DISTRIBUTE_STEPS };
const DONE_TEXT: Record<StationMode, string> = { provision: 'provisioned', distribute: 'bundle installed' };

function stepClass(port: StationPort, steps: readonly StationStep[], index: number): string {
  const at = steps.indexOf(port.step);
  if (port.state === 'done') return 'station-step step-done';
  if (index < at) return 'station-step step-done';
  if (index === at) return port.state === 'failed' ? 'station-step step-failed' : 'station-step step-current';
  return 'station-step';
}

function stateText(p: StationPort): string {
  if (p.state === 'done') return DONE_TEXT[p.mode];
  if (p.state === 'failed') return `failed at ${p.step}`;
  return p.step;
}

export function StationPorts({ ports, running, mode }: { ports: StationPort[]; running: boolean; mode: StationMode }) {
  const retry = useChannelMutation('station:retry', useShowStationStatus());
  const [reprovision, setReprovision] = useState<{ deviceId: string; path: string } | null>(null);
  const closeDialog = useCallback(() => setReprovision(null), []);
  if (ports.length === 0) return <p className="muted">{running ? 'Waiting for a robot to be plugged in…' : 'No ports yet.'}</p>;
  return (
    <>
      <table className="grid compact" aria-label="Station ports">
        <thead>
          <tr>
            <th>Port</th>
            <th>Robot</th>
            <th>Progress</th>
            <th>State</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {ports.map((p) => {
            const steps = STEPS_OF[p.mode];
            const refusedProvisioned = p.state === 'failed' && p.error?.code === 'already_provisioned' && p.deviceId !== null;
            return (
              <tr key={p.path} data-port={p.path} data-state={p.state} data-mode={p.mode}>
                <td>
                  <code>{p.path}</code>
                </td>
                <td>{p.deviceId ?? <span className="muted">unknown yet</span>}</td>
                <td>
                  <ol className="station-steps" aria-label={`Steps on ${p.path}`}>
                    {steps.map((s, i) => (
                      <li key={s} className={stepClass(p, steps, i)} data-step={s}>
                        {s}
                      </li>
                    ))}
                  </ol>
                  {p.error && (
                    <div className="error" role="alert" data-code={p.error.code}>
                      <strong>{p.error.code}</strong>: {p.error.message}
                    </div>
                  )}
                </td>
                <td>{stateText(p)}</td>
                <td className="actions">
                  {p.state === 'failed' && running && (
                    <button type="button" onClick={() => retry.mutate({ path: p.path })} disabled={retry.isPending}>
                      Retry
                    </button>
                  )}
                  {refusedProvisioned && running && mode === 'provision' && p.deviceId && (
                    <button type="button" onClick={() => setReprovision({ deviceId: p.deviceId as string, path: p.path })}>
                      Re-provision {p.deviceId}…
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <ErrorMessage error={retry.error} />
      {reprovision && <ReprovisionDialog deviceId={reprovision.deviceId} path={reprovision.path} onClose={closeDialog} />}
    </>
  );
}
