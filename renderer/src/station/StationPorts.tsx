// The live ports: each robot's step-by-step progress, its error in words, and a Retry button for a failed port.
import { STATION_STEPS, type StationPort } from '../../../shared/stationContract.ts';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';

function stepClass(port: StationPort, index: number): string {
  const at = STATION_STEPS.indexOf(port.step);
  if (port.state === 'done') return 'station-step step-done';
  if (index < at) return 'station-step step-done';
  if (index === at) return port.state === 'failed' ? 'station-step step-failed' : 'station-step step-current';
  return 'station-step';
}

export function StationPorts({ ports, running }: { ports: StationPort[]; running: boolean }) {
  const retry = useChannelMutation('station:retry');
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
          {ports.map((p) => (
            <tr key={p.path} data-port={p.path} data-state={p.state}>
              <td>
                <code>{p.path}</code>
              </td>
              <td>{p.deviceId ?? <span className="muted">unknown yet</span>}</td>
              <td>
                <ol className="station-steps" aria-label={`Steps on ${p.path}`}>
                  {STATION_STEPS.map((s, i) => (
                    <li key={s} className={stepClass(p, i)} data-step={s}>
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
              <td>{p.state === 'done' ? 'provisioned' : p.state === 'failed' ? `failed at ${p.step}` : p.step}</td>
              <td className="actions">
                {p.state === 'failed' && running && (
                  <button type="button" onClick={() => retry.mutate({ path: p.path })} disabled={retry.isPending}>
                    Retry
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorMessage error={retry.error} />
    </>
  );
}
