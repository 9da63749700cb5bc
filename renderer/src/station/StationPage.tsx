// Provisioning station: start it in a mode (provision robots, or distribute key bundles to provisioned robots) on
// explicit port paths (fixed cables, socat ptys) or on USB vendor/product ids, watch each robot's progress live,
// retry a failed port, confirm one robot's re-provisioning, and count the shift.
import { useState } from 'react';
import type { StationMode, StationStatus } from '../../../shared/stationContract.ts';
import { useChannelMutation, useChannelQuery } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { StationPorts } from './StationPorts.tsx';
import { useShowStationStatus, useStationEvents } from './useStationEvents.ts';
import './station.css';

const words = (text: string) => text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);

const MODE_CHOICES: Array<{ mode: StationMode; label: string; hint: string }> = [
  { mode: 'provision', label: 'Provision robots', hint: 'new robots get their identity certificate and first keys' },
  { mode: 'distribute', label: 'Distribute keys', hint: 'provisioned robots get a key bundle with their assigned key versions' },
];
const RUNNING_TEXT: Record<StationMode, string> = { provision: 'provisioning robots', distribute: 'distributing keys' };

export function StationPage() {
  useStationEvents();
  const status = useChannelQuery('station:status', {}, { refetchInterval: 2_000 });
  const ca = useChannelQuery('ca:status', {});
  const s = status.data;

  return (
    <section aria-labelledby="station-title">
      <div className="toolbar">
        <h1 id="station-title">Provisioning station</h1>
        <span className="spacer" />
        {s && <ShiftCounter status={s} />}
      </div>
      {ca.data && !ca.data.initialized && (
        <div className="banner banner-warn">No fleet CA yet: create it on the Certificates page before provisioning robots.</div>
      )}
      {status.isError && <ErrorMessage error={status.error} />}
      {s && !s.running && <StartForm lastMode={s.mode} />}
      {s?.running && <RunningBar status={s} />}
      {s && <StationPorts ports={s.ports} running={s.running} mode={s.mode} />}
    </section>
  );
}

function ShiftCounter({ status: s }: { status: StationStatus }) {
  return (
    <span className="station-counter" role="status" aria-label="Shift counter">
      This shift: <strong data-testid="shift-provisioned">{s.provisionedThisShift}</strong> provisioned,{' '}
      <strong data-testid="shift-distributed">{s.distributedThisShift}</strong> distributed,{' '}
      <strong data-testid="shift-failed">{s.failedThisShift}</strong> failed
    </span>
  );
}

function StartForm({ lastMode }: { lastMode: StationMode }) {
  const [mode, setMode] = useState<StationMode>(lastMode);
  const [paths, setPaths] = useState('');
  const [vendorIds, setVendorIds] = useState('');
  const [productIds, setProductIds] = useState('');
  const start = useChannelMutation('station:start', useShowStationStatus());

  const onStart = (e: React.FormEvent) => {
    e.preventDefault();
    const p = words(paths);
    const v = words(vendorIds);
    const pr = words(productIds);
    start.mutate({ mode, ...(p.length ? { paths: p } : {}), ...(v.length ? { vendorIds: v } : {}), ...(pr.length ? { productIds: pr } : {}) });
  };

  return (
    <form className="form panel" onSubmit={onStart} aria-label="Start the station">
      <fieldset className="station-modes">
        <legend>Mode</legend>
        {MODE_CHOICES.map((c) => (
          <label key={c.mode} className="checkbox">
            <input type="radio" name="station-mode" value={c.mode} checked={mode === c.mode} onChange={() => setMode(c.mode)} />
            <span>
              <strong>{c.label}</strong> <span className="muted">— {c.hint}</span>
            </span>
          </label>
        ))}
      </fieldset>
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
      <p className="small muted">
        A robot that is already provisioned is refused; its port then offers to re-provision that one robot after a confirmation.
      </p>
      <button type="submit" className="primary" disabled={start.isPending}>
        Start station
      </button>
      <ErrorMessage error={start.error} />
    </form>
  );
}

function RunningBar({ status: s }: { status: StationStatus }) {
  const stop = useChannelMutation('station:stop', useShowStationStatus());
  return (
    <>
      <div className="toolbar">
        <span role="status" data-testid="station-mode" data-mode={s.mode}>
          Station running: {RUNNING_TEXT[s.mode]}.
        </span>
        <button type="button" onClick={() => stop.mutate({})} disabled={stop.isPending}>
          {stop.isPending ? 'Stopping…' : 'Stop station'}
        </button>
        <ErrorMessage error={stop.error} />
      </div>
      {s.reprovisionConfirmed.length > 0 && (
        <div className="banner banner-warn" role="status" aria-label="Re-provisioning confirmed">
          Re-provisioning confirmed, waiting for the robot&apos;s next session:{' '}
          {s.reprovisionConfirmed.map((id, i) => (
            <span key={id}>
              {i > 0 ? ', ' : ''}
              <strong>{id}</strong>
            </span>
          ))}
        </div>
      )}
    </>
  );
}
