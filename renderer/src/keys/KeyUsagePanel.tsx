// Which robots depend on this key (issue 5): how many robots hold each version (over the whole fleet), the holders a
// page at a time (oldest version first: they are what blocks retiring it), filtered to one version on request, and
// every site and robot the key is assigned to, with why an assignment cannot be delivered. A holder opens in the
// fleet screen.
import { keepPreviousData } from '@tanstack/react-query';
import { useState } from 'react';
import { KEY_USAGE_PAGE, type KeyUsage } from '../../../shared/fleetContract.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { formatTime } from '../format.ts';
import { useChannelQuery } from '../hooks/channelQuery.ts';
import { useUiStore } from '../state/uiStore.ts';
import { useFleetUi } from '../fleet/fleetUiStore.ts';

const plural = (n: number, one: string, many: string) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

/** One line an officer can read before disabling the key: who holds it and where it is assigned. */
export function keyUsageSummary(u: KeyUsage): string {
  const held =
    u.robots === 0
      ? 'No robot holds this key.'
      : `${plural(u.robots, 'robot holds', 'robots hold')} this key (${u.versions.map((v) => `v${v.version}: ${v.robots.toLocaleString('en')}`).join(', ')}).`;
  const assigned = u.assignments.length === 0 ? '' : ` It is assigned to ${u.assignments.map((a) => `${a.scope} ${a.scopeId} (${a.keyType})`).join(', ')}.`;
  return held + assigned;
}

export function KeyUsagePanel({ keyId }: { keyId: string }) {
  const [version, setVersion] = useState<number | undefined>(undefined);
  const [offset, setOffset] = useState(0);
  const usage = useChannelQuery('fleet:keyUsage', version === undefined ? { keyId, offset } : { keyId, version, offset }, { placeholderData: keepPreviousData });
  const goTo = useUiStore((s) => s.goTo);
  const selectRobot = useFleetUi((s) => s.select);
  const u = usage.data;
  const showVersion = (v: number | undefined) => {
    setVersion(v);
    setOffset(0);
  };
  const openRobot = (deviceId: string) => {
    selectRobot(deviceId);
    goTo('fleet');
  };
  const last = u ? Math.min(u.offset + u.holders.length, u.matching) : 0;

  return (
    <section aria-labelledby="key-usage-title" className="key-usage">
      <h3 id="key-usage-title">Robots and assignments</h3>
      <ErrorMessage error={usage.error} />
      {usage.isPending && <p role="status">Loading which robots hold this key…</p>}
      {u && (
        <>
          <p data-testid="key-usage-summary">{keyUsageSummary(u)}</p>
          {u.versions.length > 0 && (
            <table className="grid compact" aria-label="Robots per key version">
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Robots</th>
                  <th scope="col">
                    <span className="visually-hidden">Show</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {u.versions.map((v) => (
                  <tr key={v.version} data-version={v.version}>
                    <td className="num">
                      v{v.version}
                      {v.version === u.currentVersion ? ' (current)' : ' (behind)'}
                    </td>
                    <td className="num">{v.robots.toLocaleString('en')}</td>
                    <td>
                      <button type="button" onClick={() => showVersion(v.version)} aria-pressed={version === v.version}>
                        Show robots on v{v.version}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {u.matching > 0 && (
            <>
              <div className="toolbar">
                <span role="status" data-testid="key-holders-range">
                  {version === undefined ? 'All holders' : `Holders of v${version}`}: {(u.offset + 1).toLocaleString('en')}–{last.toLocaleString('en')} of{' '}
                  {u.matching.toLocaleString('en')}
                </span>
                <span className="spacer" />
                {version !== undefined && (
                  <button type="button" onClick={() => showVersion(undefined)}>
                    All versions
                  </button>
                )}
                <button type="button" disabled={u.offset === 0} onClick={() => setOffset(Math.max(0, u.offset - KEY_USAGE_PAGE))}>
                  Previous {KEY_USAGE_PAGE}
                </button>
                <button type="button" disabled={last >= u.matching} onClick={() => setOffset(u.offset + KEY_USAGE_PAGE)}>
                  Next {KEY_USAGE_PAGE}
                </button>
              </div>
              <div className="scroll-box">
                <table className="grid compact" aria-label="Robots holding this key">
                  <thead>
                    <tr>
                      <th scope="col">Device id</th>
                      <th scope="col">Name</th>
                      <th scope="col">Site</th>
                      <th scope="col">Status</th>
                      <th scope="col">Version</th>
                      <th scope="col">Recorded</th>
                    </tr>
                  </thead>
                  <tbody>
                    {u.holders.map((h) => (
                      <tr key={h.deviceId} data-device-id={h.deviceId}>
                        <td>
                          <button type="button" className="link" onClick={() => openRobot(h.deviceId)} title={`Open robot ${h.deviceId} in the fleet`}>
                            {h.deviceId}
                          </button>
                        </td>
                        <td>{h.name}</td>
                        <td>{h.site}</td>
                        <td>{h.status}</td>
                        <td className="num">v{h.version}</td>
                        <td>
                          {formatTime(h.recordedAt)} <span className="muted">({h.source})</span>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )}
          {version !== undefined && u.matching === 0 && (
            <p>
              No robot holds v{version}.{' '}
              <button type="button" onClick={() => showVersion(undefined)}>
                All versions
              </button>
            </p>
          )}
          {u.assignments.length > 0 && (
            <table className="grid compact" aria-label="Where this key is assigned">
              <thead>
                <tr>
                  <th scope="col">Assigned to</th>
                  <th scope="col">As</th>
                  <th scope="col">By</th>
                  <th scope="col">Delivery</th>
                </tr>
              </thead>
              <tbody>
                {u.assignments.map((a) => (
                  <tr key={`${a.scope}:${a.scopeId}:${a.keyType}`} className={a.problem ? 'assignment-broken' : undefined}>
                    <td>
                      {a.scope === 'robot' ? (
                        <button type="button" className="link" onClick={() => openRobot(a.scopeId)}>
                          robot {a.scopeId}
                        </button>
                      ) : (
                        `site ${a.scopeId}`
                      )}
                    </td>
                    <td>{a.keyType} key</td>
                    <td>
                      {a.assignedBy}, {formatTime(a.assignedAt)}
                    </td>
                    <td role={a.problem ? 'alert' : undefined}>{a.problem ?? `delivers v${a.version ?? '?'}`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
