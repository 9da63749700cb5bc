// "Are we safe?" at a glance: robots by status (donut) and by site, keys by state and provider, certificates expiring
// by week, keys overdue for rotation, key versions held across the fleet (current / behind), provider health. Data from fleet:dashboard and keys:list only. Every figure is a
// link (hash deep link, shell/routes.ts) to the list behind it, filtered where that list has the filter; overdue,
// expired, compromised, quarantined and unreachable items carry a StatusIndicator so they stand out.
import ContentLayout from '@cloudscape-design/components/content-layout';
import Header from '@cloudscape-design/components/header';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import Grid from '@cloudscape-design/components/grid';
import SpaceBetween from '@cloudscape-design/components/space-between';
import PieChart from '@cloudscape-design/components/pie-chart';
import BarChart from '@cloudscape-design/components/bar-chart';
import Table from '@cloudscape-design/components/table';
import Link from '@cloudscape-design/components/link';
import Box from '@cloudscape-design/components/box';
import StatusIndicator, { type StatusIndicatorProps } from '@cloudscape-design/components/status-indicator';
import Alert from '@cloudscape-design/components/alert';
import { CERT_EXPIRY_WARNING_DAYS, KEY_STATE_LABELS, ROBOT_STATUSES, type RobotStatus } from '../../../shared/domain.ts';
import type { FleetDashboard } from '../../../shared/fleetContract.ts';
import { useChannelQuery } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { formatTime } from '../format.ts';
import { hrefFor } from '../shell/routes.ts';
import { certificatesByWeek, keysByStateAndProvider } from './dashboardFigures.ts';

const n = (v: number) => v.toLocaleString('en-US');

/** How a robot status looks on the dashboard: the states an officer must act on stand out. */
const ROBOT_STATUS_LOOK: Readonly<Record<RobotStatus, StatusIndicatorProps.Type>> = {
  manufactured: 'pending',
  provisioned: 'info',
  deployed: 'success',
  quarantined: 'warning',
  revoked: 'error',
  decommissioned: 'stopped',
};

export function FleetDashboardPage() {
  const dash = useChannelQuery('fleet:dashboard', {});
  const keys = useChannelQuery('keys:list', {});
  const waited = useChannelQuery('rotation:status', {}).data?.waitedWhileLocked;
  const d = dash.data;
  const keyFigures = keysByStateAndProvider(keys.data?.keys ?? []);
  const compromised = (keys.data?.keys ?? []).filter((k) => k.state === 'compromised').length;
  const weeks = d ? certificatesByWeek(d.expiringCertificates, CERT_EXPIRY_WARNING_DAYS) : [];

  return (
    <ContentLayout
      header={
        <Header
          variant="h1"
          description={d ? `As of ${formatTime(d.generatedAt)}` : undefined}
          actions={
            <Button
              onClick={() => {
                void dash.refetch();
                void keys.refetch();
              }}
            >
              Refresh
            </Button>
          }
        >
          Fleet dashboard
        </Header>
      }
    >
      {dash.isPending && <StatusIndicator type="loading">Loading the dashboard…</StatusIndicator>}
      <ErrorMessage error={dash.error ?? keys.error} />
      {waited && <Alert type="info" header="Rotations waited while the console was locked">{`${n(waited.count)} ${waited.count === 1 ? 'rotation was' : 'rotations were'} due when the console was unlocked (${formatTime(waited.unlockedAt)}). `}<Link href={hrefFor('rotation')}>See the rotation schedules</Link></Alert>}
      {d && (
        <SpaceBetween size="l">
          {(compromised > 0 || d.overdueKeys.length > 0) && (
            <Alert type="error" header="Keys need attention">
              <SpaceBetween size="xxs" direction="horizontal">
                {compromised > 0 && <Link href={hrefFor('keys', { state: 'compromised' })}>{`${n(compromised)} compromised ${compromised === 1 ? 'key' : 'keys'}`}</Link>}
                {d.overdueKeys.length > 0 && <Box>{`${n(d.overdueKeys.length)} overdue for rotation (listed below)`}</Box>}
              </SpaceBetween>
            </Alert>
          )}
          <Grid gridDefinition={[{ colspan: { default: 12, m: 6 } }, { colspan: { default: 12, m: 6 } }, { colspan: { default: 12, m: 6 } }, { colspan: { default: 12, m: 6 } }]}>
            <Container header={<Header variant="h2">Robots by status</Header>}>
              <SpaceBetween size="m">
                <PieChart
                  variant="donut"
                  size="medium"
                  ariaLabel="Robots by status (chart)"
                  hideFilter
                  innerMetricValue={n(d.total)}
                  innerMetricDescription="robots"
                  data={ROBOT_STATUSES.filter((s) => (d.byStatus[s] ?? 0) > 0).map((s) => ({ title: s, value: d.byStatus[s] ?? 0 }))}
                  detailPopoverContent={(datum) => [{ key: 'Robots', value: <Link href={hrefFor('fleet', { status: datum.title })}>{n(datum.value)}</Link> }]}
                  empty={<Box textAlign="center">No robots registered.</Box>}
                />
                <ul className="dash-figures" aria-label="Robots by status">
                  <li>
                    <Link href={hrefFor('fleet')}>{`total: ${n(d.total)}`}</Link>
                  </li>
                  {ROBOT_STATUSES.map((s) => (
                    <li key={s}>
                      <StatusIndicator type={ROBOT_STATUS_LOOK[s]} colorOverride={(d.byStatus[s] ?? 0) === 0 ? 'grey' : undefined}>
                        <Link href={hrefFor('fleet', { status: s })}>{`${s}: ${n(d.byStatus[s] ?? 0)}`}</Link>
                      </StatusIndicator>
                    </li>
                  ))}
                </ul>
              </SpaceBetween>
            </Container>
            <Container header={<Header variant="h2">Keys by state and provider</Header>}>
              <SpaceBetween size="m">
                <BarChart
                  ariaLabel="Keys by state and provider (chart)"
                  xScaleType="categorical"
                  stackedBars
                  height={200}
                  hideFilter
                  xTitle="State"
                  yTitle="Keys"
                  series={keyFigures.series.map((s) => ({
                    title: s.provider,
                    type: 'bar' as const,
                    data: keyFigures.states.map((st) => ({ x: KEY_STATE_LABELS[st], y: s.counts[st] })),
                  }))}
                  empty={<Box textAlign="center">No keys yet.</Box>}
                />
                <ul className="dash-figures" aria-label="Keys by state">
                  {keyFigures.states.map((st) => {
                    const count = keyFigures.series.reduce((sum, s) => sum + s.counts[st], 0);
                    return (
                      <li key={st}>
                        <StatusIndicator type={st === 'compromised' ? 'error' : st === 'active' ? 'success' : 'stopped'}>
                          <Link href={hrefFor('keys', { state: st })}>{`${KEY_STATE_LABELS[st]}: ${n(count)}`}</Link>
                        </StatusIndicator>
                      </li>
                    );
                  })}
                </ul>
                <ul className="dash-figures" aria-label="Keys by provider">
                  {keyFigures.series.map((s) => (
                    <li key={s.provider}>
                      <Link href={hrefFor('keys', { provider: s.provider })}>{`${s.provider}: ${n(Object.values(s.counts).reduce((a, b) => a + b, 0))}`}</Link>
                    </li>
                  ))}
                </ul>
              </SpaceBetween>
            </Container>
            <Container
              header={
                <Header variant="h2" description="Certificates held by robots in the fleet registry, by week until they expire.">
                  {`Certificates expiring within ${CERT_EXPIRY_WARNING_DAYS} days: ${n(d.expiringCertificatesTotal)}`}
                </Header>
              }
            >
              <SpaceBetween size="m">
                <BarChart
                  ariaLabel="Certificates expiring by week (chart)"
                  xScaleType="categorical"
                  height={200}
                  hideFilter
                  hideLegend
                  xTitle="Until expiry"
                  yTitle="Certificates"
                  series={[{ title: 'Certificates', type: 'bar', data: weeks.map((w) => ({ x: w.label, y: w.count })) }]}
                />
                {d.expiringCertificatesTotal > d.expiringCertificates.length && (
                  <Box variant="small">{`The chart counts the ${n(d.expiringCertificates.length)} soonest of ${n(d.expiringCertificatesTotal)}.`}</Box>
                )}
                <ul className="dash-figures" aria-label="Certificates by week until expiry">
                  {weeks.map((w) => (
                    <li key={w.label}>
                      {w.withinDays === null ? (
                        <StatusIndicator type={w.count > 0 ? 'error' : 'stopped'}>{`${w.label}: ${n(w.count)}`}</StatusIndicator>
                      ) : (
                        <Link href={hrefFor('certs', { expiringWithinDays: String(w.withinDays) })}>{`${w.label}: ${n(w.count)}`}</Link>
                      )}
                    </li>
                  ))}
                </ul>
                {d.expiringCertificates.length > 0 && (
                  <Table
                    variant="embedded"
                    ariaLabels={{ tableLabel: 'Certificates expiring soon' }}
                    items={d.expiringCertificates}
                    trackBy="serial"
                    columnDefinitions={[
                      { id: 'robot', header: 'Robot', cell: (c) => <Link href={hrefFor('fleet', { q: c.deviceId })}>{c.deviceId}</Link> },
                      { id: 'serial', header: 'Serial', cell: (c) => <Box variant="code">{c.serial}</Box> },
                      { id: 'expires', header: 'Expires', cell: (c) => formatTime(c.notAfter) },
                      {
                        id: 'left',
                        header: 'Days left',
                        cell: (c) => (c.daysLeft < 0 ? <StatusIndicator type="error">expired</StatusIndicator> : <StatusIndicator type="warning">{String(c.daysLeft)}</StatusIndicator>),
                      },
                    ]}
                  />
                )}
              </SpaceBetween>
            </Container>
            <Container header={<Header variant="h2">{`Keys overdue for rotation: ${d.overdueKeys.length}`}</Header>}>
              {d.overdueKeys.length === 0 ? (
                <StatusIndicator type="success">Every active key is within its rotation schedule.</StatusIndicator>
              ) : (
                <Table
                  variant="embedded"
                  ariaLabels={{ tableLabel: 'Keys overdue for rotation' }}
                  items={d.overdueKeys}
                  trackBy="keyId"
                  columnDefinitions={[
                    { id: 'key', header: 'Key', cell: (k) => <Link href={hrefFor('keys', { key: k.keyId })}>{k.label}</Link> },
                    { id: 'type', header: 'Type', cell: (k) => k.type },
                    { id: 'due', header: 'Was due', cell: (k) => <StatusIndicator type="error">{`overdue since ${formatTime(k.nextRotationAt)}`}</StatusIndicator> },
                    { id: 'robots', header: 'Robots holding it', cell: (k) => n(k.robots) },
                  ]}
                />
              )}
            </Container>
          </Grid>
          <Table
            header={<Header variant="h2">Robots by site</Header>}
            ariaLabels={{ tableLabel: 'Robots by site' }}
            items={d.bySite}
            trackBy="site"
            empty={<Box textAlign="center">No robots registered.</Box>}
            columnDefinitions={[
              { id: 'site', header: 'Site', cell: (s) => <Link href={hrefFor('fleet', { site: s.site })}>{s.site}</Link> },
              { id: 'total', header: 'Robots', cell: (s) => n(s.total) },
              { id: 'deployed', header: 'Deployed', cell: (s) => <Link href={hrefFor('fleet', { site: s.site, status: 'deployed' })}>{n(s.byStatus.deployed ?? 0)}</Link> },
              {
                id: 'quarantined',
                header: 'Quarantined',
                cell: (s) =>
                  (s.byStatus.quarantined ?? 0) > 0 ? (
                    <StatusIndicator type="warning">
                      <Link href={hrefFor('fleet', { site: s.site, status: 'quarantined' })}>{n(s.byStatus.quarantined ?? 0)}</Link>
                    </StatusIndicator>
                  ) : (
                    '0'
                  ),
              },
            ]}
          />
          <KeyVersionsHeld versions={d.keyVersions} total={d.keyVersionsTotal} />
          <Table
            header={<Header variant="h2">Provider health</Header>}
            ariaLabels={{ tableLabel: 'Provider health' }}
            items={d.providers}
            trackBy="id"
            columnDefinitions={[
              { id: 'id', header: 'Provider', cell: (p) => <Link href={hrefFor('providers')}>{p.id}</Link> },
              { id: 'kind', header: 'Kind', cell: (p) => p.kind },
              {
                id: 'health',
                header: 'Health',
                cell: (p) =>
                  p.ok === null ? (
                    <StatusIndicator type="pending">not checked</StatusIndicator>
                  ) : p.ok ? (
                    <StatusIndicator type="success">reachable</StatusIndicator>
                  ) : (
                    <StatusIndicator type="error">{`unreachable${p.detail ? `: ${p.detail}` : ''}`}</StatusIndicator>
                  ),
              },
              { id: 'circuit', header: 'Circuit', cell: (p) => p.circuit },
              { id: 'checked', header: 'Checked', cell: (p) => formatTime(p.checkedAt) },
            ]}
          />
        </SpaceBetween>
      )}
    </ContentLayout>
  );
}

/** How many keys the "key versions held" chart draws (the table under it lists every key the dashboard sent). */
const KEY_VERSIONS_CHARTED = 10;

/**
 * Key versions held across the fleet: per key robots hold, robots on its current version and robots behind it, as
 * stacked bars and a table; each key links to its details (their robots panel lists the holders of each version).
 */
function KeyVersionsHeld({ versions, total }: { versions: FleetDashboard['keyVersions']; total: FleetDashboard['keyVersionsTotal'] }) {
  const name = (k: FleetDashboard['keyVersions'][number]) => k.label ?? `${k.keyId} (not in this store)`;
  const charted = versions.slice(0, KEY_VERSIONS_CHARTED);
  return (
    <Container
      header={
        <Header variant="h2" description="Robots holding each key's current version, and robots behind it (an older version), the keys with the most robots behind first.">
          {`Key versions held across the fleet: ${n(total.current)} current, ${n(total.behind)} behind`}
        </Header>
      }
    >
      <SpaceBetween size="m">
        <BarChart
          ariaLabel="Key versions held across the fleet (chart)"
          xScaleType="categorical"
          stackedBars
          height={200}
          hideFilter
          xTitle="Key"
          yTitle="Robots"
          series={[
            { title: 'Current version', type: 'bar' as const, data: charted.map((k) => ({ x: name(k), y: k.current })) },
            { title: 'Behind', type: 'bar' as const, data: charted.map((k) => ({ x: name(k), y: k.behind })) },
          ]}
          empty={<Box textAlign="center">No robot holds a key yet.</Box>}
        />
        {total.keys > charted.length && <Box variant="small">{`The chart shows the ${n(charted.length)} keys with the most robots behind, of ${n(total.keys)} keys held.`}</Box>}
        {versions.length > 0 && (
          <Table
            variant="embedded"
            ariaLabels={{ tableLabel: 'Key versions held across the fleet' }}
            items={versions}
            trackBy="keyId"
            columnDefinitions={[
              { id: 'key', header: 'Key', cell: (k) => (k.label === null ? name(k) : <Link href={hrefFor('keys', { key: k.keyId })}>{k.label}</Link>) },
              { id: 'version', header: 'Current version', cell: (k) => (k.currentVersion === null ? '—' : `v${k.currentVersion}`) },
              { id: 'current', header: 'Robots on it', cell: (k) => n(k.current) },
              {
                id: 'behind',
                header: 'Robots behind',
                cell: (k) => (k.behind > 0 ? <StatusIndicator type="warning">{n(k.behind)}</StatusIndicator> : '0'),
              },
            ]}
          />
        )}
      </SpaceBetween>
    </Container>
  );
}
