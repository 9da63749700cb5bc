// The fleet at a glance: robots by status and by site, certificates expiring within 30 days, keys overdue for
// rotation (and how many robots hold them), provider health. Everything comes from fleet:dashboard.
import { CERT_EXPIRY_WARNING_DAYS, ROBOT_STATUSES } from '../../../shared/domain.ts';
import { useChannelQuery } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { formatTime } from '../format.ts';
import './fleet.css';

export function FleetDashboardPage() {
  const dash = useChannelQuery('fleet:dashboard', {});
  const d = dash.data;

  return (
    <section aria-labelledby="dashboard-title" className="dashboard-page">
      <div className="toolbar">
        <h1 id="dashboard-title">Fleet dashboard</h1>
        <span className="spacer" />
        {d && <span className="muted small">As of {formatTime(d.generatedAt)}</span>}
        <button type="button" onClick={() => void dash.refetch()}>
          Refresh
        </button>
      </div>
      {dash.isPending && <p role="status">Loading the dashboard…</p>}
      <ErrorMessage error={dash.error} />
      {d && (
        <div className="dash-grid">
          <section className="panel" aria-labelledby="dash-status">
            <h2 id="dash-status">Robots by status</h2>
            <div className="dash-tiles" role="list" aria-label="Robots by status">
              <div className="dash-tile" role="listitem" aria-label={`total: ${d.total}`}>
                <strong>{d.total.toLocaleString('en-US')}</strong> total
              </div>
              {ROBOT_STATUSES.map((s) => (
                <div key={s} className={`dash-tile robot-status-${s}`} role="listitem" aria-label={`${s}: ${d.byStatus[s] ?? 0}`}>
                  <strong>{(d.byStatus[s] ?? 0).toLocaleString('en-US')}</strong> {s}
                </div>
              ))}
            </div>
          </section>
          <section className="panel" aria-labelledby="dash-sites">
            <h2 id="dash-sites">Robots by site</h2>
            {d.bySite.length === 0 ? (
              <p className="muted">No robots registered.</p>
            ) : (
              <table aria-label="Robots by site">
                <thead>
                  <tr>
                    <th>Site</th>
                    <th>Robots</th>
                    <th>Deployed</th>
                    <th>Quarantined</th>
                  </tr>
                </thead>
                <tbody>
                  {d.bySite.map((s) => (
                    <tr key={s.site}>
                      <td>{s.site}</td>
                      <td>{s.total.toLocaleString('en-US')}</td>
                      <td>{(s.byStatus.deployed ?? 0).toLocaleString('en-US')}</td>
                      <td>{(s.byStatus.quarantined ?? 0).toLocaleString('en-US')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <section className="panel" aria-labelledby="dash-certs">
            <h2 id="dash-certs">
              Certificates expiring within {CERT_EXPIRY_WARNING_DAYS} days: {d.expiringCertificatesTotal}
            </h2>
            {d.expiringCertificates.length > 0 && (
              <table aria-label="Certificates expiring soon">
                <thead>
                  <tr>
                    <th>Robot</th>
                    <th>Serial</th>
                    <th>Expires</th>
                    <th>Days left</th>
                  </tr>
                </thead>
                <tbody>
                  {d.expiringCertificates.map((c) => (
                    <tr key={c.serial} className={c.daysLeft < 0 ? 'expired' : undefined}>
                      <td>{c.deviceId}</td>
                      <td>
                        <code>{c.serial}</code>
                      </td>
                      <td>{formatTime(c.notAfter)}</td>
                      <td>{c.daysLeft < 0 ? 'expired' : c.daysLeft}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <section className="panel" aria-labelledby="dash-keys">
            <h2 id="dash-keys">Keys overdue for rotation: {d.overdueKeys.length}</h2>
            {d.overdueKeys.length > 0 && (
              <table aria-label="Keys overdue for rotation">
                <thead>
                  <tr>
                    <th>Key</th>
                    <th>Type</th>
                    <th>Was due</th>
                    <th>Robots holding it</th>
                  </tr>
                </thead>
                <tbody>
                  {d.overdueKeys.map((k) => (
                    <tr key={k.keyId}>
                      <td>{k.label}</td>
                      <td>{k.type}</td>
                      <td>{formatTime(k.nextRotationAt)}</td>
                      <td>{k.robots.toLocaleString('en-US')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <section className="panel" aria-labelledby="dash-providers">
            <h2 id="dash-providers">Provider health</h2>
            <table aria-label="Provider health">
              <thead>
                <tr>
                  <th>Provider</th>
                  <th>Kind</th>
                  <th>Health</th>
                  <th>Circuit</th>
                  <th>Checked</th>
                </tr>
              </thead>
              <tbody>
                {d.providers.map((p) => (
                  <tr key={p.id}>
                    <td>{p.id}</td>
                    <td>{p.kind}</td>
                    <td title={p.detail ?? undefined}>{p.ok === null ? 'not checked' : p.ok ? 'reachable' : 'unreachable'}</td>
                    <td>{p.circuit}</td>
                    <td>{formatTime(p.checkedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </div>
      )}
    </section>
  );
}
