// One robot, in the shell's split panel: its facts, the key versions it holds (and whether it is behind the key's
// newest version), its key assignment, its certificates, its key bundles and its audit trail.
import Table from '@cloudscape-design/components/table';
import Header from '@cloudscape-design/components/header';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Box from '@cloudscape-design/components/box';
import type { RobotDetail } from '../../../shared/fleetContract.ts';
import { useChannelQuery } from '../hooks/channelQuery.ts';
import { formatTime } from '../format.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { RobotBundlesPanel } from './RobotBundlesPanel.tsx';
import { RobotKeyAssignment } from './RobotKeyAssignment.tsx';
import { RobotStatusIndicator } from './StatusBadge.tsx';
import Alert from '@cloudscape-design/components/alert';
import { useNeedsVisit } from './needsVisit.ts';

const TRAIL_LIMIT = 50;

type Holding = RobotDetail['keys'][number];
type Certificate = RobotDetail['certificates'][number];

export function RobotDetailPanel({ deviceId }: { deviceId: string }) {
  const detail = useChannelQuery('fleet:get', { deviceId });
  const trail = useChannelQuery('audit:query', { targetId: deviceId, offset: 0, limit: TRAIL_LIMIT });
  const robot = detail.data;
  const visits = useNeedsVisit().byRobot.get(deviceId) ?? [];

  return (
    <div>
      {detail.isPending && <StatusIndicator type="loading">Loading robot…</StatusIndicator>}
      <ErrorMessage error={detail.error} />
      {robot && (
        <SpaceBetween size="l">
          {visits.length > 0 && (
            <Alert type="warning" header="Needs a visit">
              A retired key version is all this robot holds for{' '}
              {visits.length === 1 ? 'this key' : 'these keys'}: bring it to a station or give it a key bundle.
              <ul data-testid="robot-visits">
                {visits.map((v) => (
                  <li key={v.keyId}>
                    {`${robot.keys.find((k) => k.keyId === v.keyId)?.label ?? v.keyId}: version ${v.version} retired on ${formatTime(v.flaggedAt)} by ${v.flaggedBy} (${v.reason})`}
                  </li>
                ))}
              </ul>
            </Alert>
          )}
          <KeyValuePairs
            columns={4}
            items={[
              { label: 'Name', value: robot.name },
              { label: 'Model / site', value: `${robot.model} at ${robot.site}` },
              { label: 'Firmware', value: robot.firmware || '—' },
              {
                label: 'Status',
                value: (
                  <>
                    <RobotStatusIndicator status={robot.status} /> {robot.statusReason ? `(${robot.statusReason})` : ''}
                  </>
                ),
              },
              { label: 'Tags', value: robot.tags.join(', ') || '—' },
              { label: 'Last seen', value: formatTime(robot.lastSeen) },
            ]}
          />
          <Table<Holding>
            variant="embedded"
            header={<Header variant="h3">Keys held</Header>}
            ariaLabels={{ tableLabel: 'Keys held by the robot' }}
            items={robot.keys}
            trackBy="keyId"
            empty={<Box color="text-status-inactive">No key versions recorded for this robot.</Box>}
            columnDefinitions={[
              { id: 'key', header: 'Key', cell: (k) => k.label ?? k.keyId },
              { id: 'type', header: 'Type', cell: (k) => k.type ?? 'unknown' },
              { id: 'version', header: 'Version held', cell: (k) => k.version },
              {
                id: 'newest',
                header: 'Newest version',
                cell: (k) =>
                  k.currentVersion !== null && k.version < k.currentVersion ? (
                    <StatusIndicator type="warning">{`${k.currentVersion} (behind)`}</StatusIndicator>
                  ) : (
                    (k.currentVersion ?? '—')
                  ),
              },
              { id: 'recorded', header: 'Recorded', cell: (k) => formatTime(k.recordedAt) },
              { id: 'source', header: 'By', cell: (k) => k.source },
            ]}
          />
          <RobotKeyAssignment deviceId={deviceId} />
          <Table<Certificate>
            variant="embedded"
            header={<Header variant="h3">Certificates</Header>}
            ariaLabels={{ tableLabel: 'Certificates of the robot' }}
            items={robot.certificates}
            trackBy="serial"
            empty={<Box color="text-status-inactive">No certificates issued to this robot.</Box>}
            columnDefinitions={[
              { id: 'serial', header: 'Serial', cell: (c) => <Box variant="code">{c.serial}</Box> },
              { id: 'subject', header: 'Subject', cell: (c) => c.subject },
              { id: 'from', header: 'Valid from', cell: (c) => formatTime(c.notBefore) },
              { id: 'until', header: 'Valid until', cell: (c) => formatTime(c.notAfter) },
              { id: 'status', header: 'Status', cell: (c) => <StatusIndicator type={c.status === 'revoked' ? 'error' : 'success'}>{c.status}</StatusIndicator> },
            ]}
          />
          <RobotBundlesPanel deviceId={deviceId} />
          <SpaceBetween size="xs">
            <ErrorMessage error={trail.error} />
            <Table
              variant="embedded"
              header={<Header variant="h3">Audit trail</Header>}
              ariaLabels={{ tableLabel: 'Audit trail of the robot' }}
              items={trail.data?.records ?? []}
              loading={trail.isPending}
              loadingText="Loading the audit trail"
              trackBy="seq"
              empty={<Box color="text-status-inactive">No audit records name this robot.</Box>}
              columnDefinitions={[
                { id: 'seq', header: 'Seq', cell: (r) => r.seq },
                { id: 'ts', header: 'Time', cell: (r) => formatTime(r.ts) },
                { id: 'actor', header: 'Actor', cell: (r) => r.actor },
                { id: 'action', header: 'Action', cell: (r) => r.action },
                { id: 'outcome', header: 'Outcome', cell: (r) => (r.outcome === 'failure' ? <StatusIndicator type="error">failure</StatusIndicator> : r.outcome) },
                {
                  id: 'details',
                  header: 'Details',
                  cell: (r) =>
                    Object.entries(r.details)
                      .map(([k, v]) => `${k}=${String(v)}`)
                      .join(' '),
                },
              ]}
            />
            {trail.data?.more && (
              <Box variant="small">
                Newest {TRAIL_LIMIT} of {trail.data.totalExact ? '' : 'more than '}
                {(trail.data.total ?? 0).toLocaleString('en-US')} records; the Audit screen filtered by this device id shows all.
              </Box>
            )}
          </SpaceBetween>
        </SpaceBetween>
      )}
    </div>
  );
}
