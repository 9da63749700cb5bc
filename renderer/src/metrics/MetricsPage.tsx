// Metrics and alerts (issue 13, docs/metrics-and-alerts.md): the specification's indicators charted over the last hour,
// day or week (key operations per second, rotation success rate, availability and encryption latency p50 / p95 / p99
// per provider), and the alert inbox with acknowledge. Data from metrics:series and alerts:* channels; alerts:changed
// events refresh both.
import { useState } from 'react';
import ContentLayout from '@cloudscape-design/components/content-layout';
import Header from '@cloudscape-design/components/header';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import SpaceBetween from '@cloudscape-design/components/space-between';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import SegmentedControl from '@cloudscape-design/components/segmented-control';
import LineChart from '@cloudscape-design/components/line-chart';
import type { MixedLineBarChartProps } from '@cloudscape-design/components/mixed-line-bar-chart';
import Box from '@cloudscape-design/components/box';
import Toggle from '@cloudscape-design/components/toggle';
import StatusIndicator, { type StatusIndicatorProps } from '@cloudscape-design/components/status-indicator';
import type { Alert } from '../../../shared/metricsContract.ts';
import { useChannelMutation, useChannelQuery } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { SectionTable } from '../components/SectionTable.tsx';
import { formatTime } from '../format.ts';
import { useMayCall } from '../session/permissions.ts';

type Range = 'hour' | 'day' | 'week';
type Point = { t: string; value: number | null };

const RANGE_WORDS: Readonly<Record<Range, string>> = { hour: 'Last hour', day: 'Last day', week: 'Last week' };

const SEVERITY_LOOK: Readonly<Record<Alert['severity'], StatusIndicatorProps.Type>> = { CRITICAL: 'error', HIGH: 'warning', MEDIUM: 'info', LOW: 'info' };

const KIND_WORDS: Readonly<Record<Alert['kind'], string>> = {
  rotation_failure: 'Rotation failure',
  provider_connectivity: 'Provider connectivity',
  unauthorized_access: 'Unauthorised access',
  usage_limit_near: 'Usage limit near',
  rotation_overdue: 'Rotation overdue',
  emergency_break_glass: 'Emergency break-glass',
};

/** A chart series from points, leaving out the buckets without data (no rate where nothing ran). */
const line = (title: string, points: Point[]): MixedLineBarChartProps.LineDataSeries<Date> => ({
  type: 'line',
  title,
  data: points.filter((p) => p.value !== null).map((p) => ({ x: new Date(p.t), y: p.value as number })),
});

const round = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toPrecision(2));

function Chart({ label, series, from, to, yTitle, yMax }: { label: string; series: MixedLineBarChartProps.LineDataSeries<Date>[]; from: string; to: string; yTitle: string; yMax?: number }) {
  const empty = series.every((s) => s.data.length === 0);
  return (
    <LineChart
      ariaLabel={label}
      series={empty ? [] : series}
      xScaleType="time"
      xDomain={[new Date(from), new Date(to)]}
      {...(yMax === undefined ? {} : { yDomain: [0, yMax] })}
      xTitle="Time"
      yTitle={yTitle}
      height={180}
      hideFilter
      i18nStrings={{ xTickFormatter: (d) => formatTime(d.toISOString()).slice(5, 16), yTickFormatter: (v) => round(v) }}
      empty={<Box textAlign="center">No data in this range.</Box>}
    />
  );
}

export function MetricsPage() {
  // Acknowledging is the security officer's (alerts:acknowledge): the others see who did, or nothing yet.
  const mayAck = useMayCall('alerts:acknowledge');
  const [range, setRange] = useState<Range>('hour');
  const [openOnly, setOpenOnly] = useState(true);
  const series = useChannelQuery('metrics:series', { range });
  const alerts = useChannelQuery('alerts:list', { unacknowledgedOnly: openOnly });
  const ack = useChannelMutation('alerts:acknowledge', () => {
    void alerts.refetch();
  });
  const s = series.data;
  const open = alerts.data?.open;

  return (
    <ContentLayout
      header={
        <Header
          variant="h1"
          description="The specification's indicators and alerts: rotation failures and unauthorised access are critical, a lost provider is high."
          actions={<Button onClick={() => void Promise.all([series.refetch(), alerts.refetch()])}>Refresh</Button>}
        >
          Metrics and alerts
        </Header>
      }
    >
      <SpaceBetween size="l">
        <SectionTable
          title="Alert inbox"
          label="Alerts"
          counter={open ? `(${open.CRITICAL + open.HIGH + open.MEDIUM + open.LOW} open)` : undefined}
          actions={<Toggle checked={openOnly} onChange={(e) => setOpenOnly(e.detail.checked)}>Unacknowledged only</Toggle>}
          items={alerts.data?.alerts ?? []}
          loading={alerts.isPending}
          loadingText="Loading alerts"
          trackBy="id"
          empty={openOnly ? 'No unacknowledged alerts.' : 'No alerts.'}
          columnDefinitions={[
            { id: 'severity', header: 'Severity', cell: (a) => <StatusIndicator type={SEVERITY_LOOK[a.severity]}>{a.severity}</StatusIndicator> },
            { id: 'kind', header: 'Kind', cell: (a) => KIND_WORDS[a.kind] },
            { id: 'message', header: 'What happened', cell: (a) => a.message },
            { id: 'raised', header: 'Raised', cell: (a) => formatTime(a.raisedAt) },
            { id: 'seen', header: 'Seen', cell: (a) => (a.occurrences > 1 ? `${a.occurrences}×, last ${formatTime(a.lastSeenAt)}` : 'once') },
            {
              id: 'ack',
              header: 'Acknowledged',
              cell: (a) =>
                a.acknowledgedBy ? (
                  `${a.acknowledgedBy}, ${formatTime(a.acknowledgedAt!)}`
                ) : !mayAck ? (
                  'Not yet'
                ) : (
                  <Button ariaLabel={`Acknowledge: ${KIND_WORDS[a.kind]} ${a.subject ?? ''}`.trim()} loading={ack.isPending && ack.variables?.id === a.id} onClick={() => ack.mutate({ id: a.id })}>
                    Acknowledge
                  </Button>
                ),
            },
          ]}
        />
        {ack.error && <ErrorMessage error={ack.error} />}
        {alerts.error && <ErrorMessage error={alerts.error} />}

        <Container
          header={
            <Header
              variant="h2"
              description={s ? `${RANGE_WORDS[range]}, one point per ${s.resolutionSeconds === 60 ? 'minute' : s.resolutionSeconds === 3600 ? 'hour' : 'day'}.` : undefined}
              actions={
                <SegmentedControl
                  label="Range"
                  selectedId={range}
                  onChange={(e) => setRange(e.detail.selectedId as Range)}
                  options={(Object.keys(RANGE_WORDS) as Range[]).map((r) => ({ id: r, text: RANGE_WORDS[r] }))}
                />
              }
            >
              Indicators
            </Header>
          }
        >
          {series.error && <ErrorMessage error={series.error} />}
          {s && (
            <ColumnLayout columns={2} variant="text-grid">
              <SpaceBetween size="xs">
                <Box variant="h3">Key operations per second</Box>
                <Chart label="Key operations per second (chart)" series={[line('Operations per second', s.operationsPerSecond)]} from={s.from} to={s.to} yTitle="ops/s" />
              </SpaceBetween>
              <SpaceBetween size="xs">
                <Box variant="h3">Rotation success rate</Box>
                <Chart label="Rotation success rate (chart)" series={[line('Success rate (%)', s.rotationSuccessRate)]} from={s.from} to={s.to} yTitle="%" yMax={100} />
              </SpaceBetween>
              <SpaceBetween size="xs">
                <Box variant="h3">Availability per provider</Box>
                <Chart label="Availability per provider (chart)" series={s.availability.map((a) => line(a.provider, a.points))} from={s.from} to={s.to} yTitle="%" yMax={100} />
              </SpaceBetween>
              <SpaceBetween size="xs">
                <Box variant="h3">Encryption latency (p50 / p95 / p99)</Box>
                <Chart
                  label="Encryption latency per provider (chart)"
                  series={s.encryptionLatency.flatMap((l) =>
                    (['p50', 'p95', 'p99'] as const).map((q) => line(`${l.provider} ${q}`, l.points.map((p) => ({ t: p.t, value: p[q] })))),
                  )}
                  from={s.from}
                  to={s.to}
                  yTitle="ms"
                />
              </SpaceBetween>
            </ColumnLayout>
          )}
        </Container>
      </SpaceBetween>
    </ContentLayout>
  );
}
