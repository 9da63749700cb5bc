// One robot: its facts, the key versions it holds (and whether it is behind the key's newest version), its
// certificates and its audit trail.
import { ROBOT_TRANSITIONS } from '../../../shared/domain.ts';
import { useChannelQuery } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { formatTime } from '../format.ts';
import { RobotBundlesPanel } from './RobotBundlesPanel.tsx';
import { RobotKeyAssignment } from './RobotKeyAssignment.tsx';
import { StatusBadge } from './StatusBadge.tsx';
import { useFleetUi } from './fleetUiStore.ts';

const TRAIL_LIMIT = 50;

export function RobotDetailPanel({ deviceId }: { deviceId: string }) {
  const detail = useChannelQuery('fleet:get', { deviceId });
  const trail = useChannelQuery('audit:query', { targetId: deviceId, offset: 0, limit: TRAIL_LIMIT });
  const select = useFleetUi((s) => s.select);
  const open = useFleetUi((s) => s.open);
  const robot = detail.data;

  return (
    <section className="panel robot-detail" aria-labelledby="robot-detail-title">
      <div className="toolbar">
        <h2 id="robot-detail-title">Robot {deviceId}</h2>
        <span className="spacer" />
        {robot && ROBOT_TRANSITIONS[robot.status].length > 0 && (
          <button type="button" onClick={() => open({ kind: 'status', deviceId })}>
            Change status…
          </button>
        )}
        <button type="button" onClick={() => select(null)}>
          Close details
        </button>
      </div>
      {detail.isPending && <p role="status">Loading robot…</p>}
      <ErrorMessage error={detail.error} />
      {robot && (
        <>
          <dl className="facts">
            <dt>Name</dt>
            <dd>{robot.name}</dd>
            <dt>Model / site</dt>
            <dd>
              {robot.model} at {robot.site}
            </dd>
            <dt>Firmware</dt>
            <dd>{robot.firmware || '—'}</dd>
            <dt>Status</dt>
            <dd>
              <StatusBadge status={robot.status} /> {robot.statusReason ? `(${robot.statusReason})` : ''}
            </dd>
            <dt>Tags</dt>
            <dd>{robot.tags.join(', ') || '—'}</dd>
            <dt>Last seen</dt>
            <dd>{formatTime(robot.lastSeen)}</dd>
          </dl>
          <h3>Keys held</h3>
          {robot.keys.length === 0 ? (
            <p className="muted">No key versions recorded for this robot.</p>
          ) : (
            <table aria-label="Keys held by the robot">
              <thead>
                <tr>
                  <th>Key</th>
                  <th>Type</th>
                  <th>Version held</th>
                  <th>Newest version</th>
                  <th>Recorded</th>
                  <th>By</th>
                </tr>
              </thead>
              <tbody>
                {robot.keys.map((k) => (
                  <tr key={k.keyId} className={k.currentVersion !== null && k.version < k.currentVersion ? 'behind' : undefined}>
                    <td title={k.keyId}>{k.label ?? k.keyId}</td>
                    <td>{k.type ?? 'unknown'}</td>
                    <td>{k.version}</td>
                    <td>
                      {k.currentVersion ?? '—'}
                      {k.currentVersion !== null && k.version < k.currentVersion ? ' (behind)' : ''}
                    </td>
                    <td>{formatTime(k.recordedAt)}</td>
                    <td>{k.source}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <RobotKeyAssignment deviceId={deviceId} />
          <h3>Certificates</h3>
          {robot.certificates.length === 0 ? (
            <p className="muted">No certificates issued to this robot.</p>
          ) : (
            <table aria-label="Certificates of the robot">
              <thead>
                <tr>
                  <th>Serial</th>
                  <th>Subject</th>
                  <th>Valid from</th>
                  <th>Valid until</th>
                  <th>Status</th>
                </tr>
              </thead>
              <tbody>
                {robot.certificates.map((c) => (
                  <tr key={c.serial}>
                    <td>
                      <code>{c.serial}</code>
                    </td>
                    <td>{c.subject}</td>
                    <td>{formatTime(c.notBefore)}</td>
                    <td>{formatTime(c.notAfter)}</td>
                    <td>{c.status}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <RobotBundlesPanel deviceId={deviceId} />
          <h3>Audit trail</h3>
          <ErrorMessage error={trail.error} />
          {trail.data && (
            <table aria-label="Audit trail of the robot">
              <thead>
                <tr>
                  <th>Seq</th>
                  <th>Time</th>
                  <th>Actor</th>
                  <th>Action</th>
                  <th>Outcome</th>
                  <th>Details</th>
                </tr>
              </thead>
              <tbody>
                {trail.data.records.map((r) => (
                  <tr key={r.seq}>
                    <td>{r.seq}</td>
                    <td>{formatTime(r.ts)}</td>
                    <td>{r.actor}</td>
                    <td>{r.action}</td>
                    <td>{r.outcome}</td>
                    <td className="muted">
                      {Object.entries(r.details)
                        .map(([k, v]) => `${k}=${String(v)}`)
                        .join(' ')}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {trail.data?.more && (
            <p className="small">
              Newest {TRAIL_LIMIT} of {trail.data.totalExact ? '' : 'more than '}
              {(trail.data.total ?? 0).toLocaleString('en-US')} records; the Audit screen filtered by this device id shows all.
            </p>
          )}
        </>
      )}
    </section>
  );
}
