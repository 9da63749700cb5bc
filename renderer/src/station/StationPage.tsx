// Provisioning station: start it on explicit port paths (fixed cables, socat ptys) or on USB vendor/product ids,
// watch each robot's progress live, retry a failed port, and count the shift.
import { useState } from 'react';
import { useChannelMutation, useChannelQuery } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { StationPorts } from './StationPorts.tsx';
import { useStationEvents } from './useStationEvents.ts';
import './station.css';

const words = (text: string) => text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);

export function StationPage() {
  useStationEvents();
  const status = useChannelQuery('station:status', {}, { refetchInterval: 2_000 });
  const ca = useChannelQuery('ca:status', {});
  const [paths, setPaths] = useState('');
  const [vendorIds, setVendorIds] = useState('');
  const [productIds, setProductIds] = useState('');
  const [allowReprovision, setAllowReprovision] = useState(false);
  const start = useChannelMutation('station:start');
  const stop = useChannelMutation('station:stop');
  const s = status.data;

  const onStart = (e: React.FormEvent) => {
    e.preventDefault();
    const p = words(paths);
    const v = words(vendorIds);
    const pr = words(productIds);
    start.mutate({ ...(p.length ? { paths: p } : {}), ...(v.length ? { vendorIds: v } : {}), ...(pr.length ? { productIds: pr } : {}), allowReprovision });
  };

  return (
    <section aria-labelledby="station-title">
      <div className="toolbar">
        <h1 id="station-title">Provisioning station</h1>
        <span className="spacer" />
        {s && (
          <span className="station-counter" role="status" aria-label="Shift counter">
            This shift: <strong data-testid="shift-provisioned">{s.provisionedThisShift}</strong> provisioned,{' '}
            <strong data-testid="shift-failed">{s.failedThisShift}</strong> failed
          </span>
        )}
      </div>
      {ca.data && !ca.data.initialized && (
        <div className="banner banner-warn">No fleet CA yet: create it on the Certificates page before provisioning robots.</div>
      )}
      {status.isError && <ErrorMessage error={status.error} />}
      {s && !s.running && (
        <form className="form panel" onSubmit={onStart} aria-label="Start the station">
          <label>
            Serial port paths (space or comma separated; or leave empty and give USB ids below)
            <input value={paths} onChange={(e) => setPaths(e.target.value)} placeholder="/dev/ttyACM0 /dev/ttyACM1" />
          </label>
          <label>
            USB vendor ids (hex)
            <input value={vendorIds} onChange={(e) => setVendorIds(e.target.value)} placeholder="2e8a" />
          </label>
          <label>
            USB product ids (hex)
            <input value={productIds} onChange={(e) => setProductIds(e.target.value)} placeholder="000a" />
          </label>
          <label className="checkbox">
            <input type="checkbox" checked={allowReprovision} onChange={(e) => setAllowReprovision(e.target.checked)} />
            Re-provision robots that are already provisioned
          </label>
          <button type="submit" className="primary" disabled={start.isPending}>
            Start station
          </button>
          <ErrorMessage error={start.error} />
        </form>
      )}
      {s?.running && (
        <div className="toolbar">
          <span role="status">Station running.</span>
          <button type="button" onClick={() => stop.mutate({})} disabled={stop.isPending}>
            {stop.isPending ? 'Stopping…' : 'Stop station'}
          </button>
          <ErrorMessage error={stop.error} />
        </div>
      )}
      {s && <StationPorts ports={s.ports} running={s.running} />}
    </section>
  );
}
