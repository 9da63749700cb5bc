// Rotation schedules (issue 13): the scheduler's state, the due and overdue rotations with "Run now", what rotates when
// over the next 30 days (a chart per day and type, a calendar of weeks whose days narrow the list, and the list per key,
// type and site), the policies per key type and per key, a key's schedule at its provider with the drift check (ProviderScheduleDialog.tsx), the scheduler's job
// history, the batch jobs with their progress and per-key errors (BatchJobs.tsx) and each key version's usage against
// its limit. Data from the rotation:*
// channels; times and lateness come from the console's clock (status.now), not the window's.
import { useMemo, useState } from 'react';
import ContentLayout from '@cloudscape-design/components/content-layout';
import Header from '@cloudscape-design/components/header';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import SpaceBetween from '@cloudscape-design/components/space-between';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Table from '@cloudscape-design/components/table';
import Box from '@cloudscape-design/components/box';
import BarChart from '@cloudscape-design/components/bar-chart';
import Select, { type SelectProps } from '@cloudscape-design/components/select';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import ProgressBar from '@cloudscape-design/components/progress-bar';
import Alert from '@cloudscape-design/components/alert';
import Link from '@cloudscape-design/components/link';
import Pagination from '@cloudscape-design/components/pagination';
import { useCollection } from '@cloudscape-design/collection-hooks';
import { KEY_TYPES } from '../../../shared/domain.ts';
import type { DueRotation, RotationJob, RotationPolicyView, VersionUsageView } from '../../../shared/rotationContract.ts';
import { useChannelMutation, useChannelQuery } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { formatTime } from '../format.ts';
import { hrefFor } from '../shell/routes.ts';
import { calendarWeeks, dayOf, durationWords, KEY_TYPE_WORDS, periodWords, rotationsPerDay, shortDay, windowsWords } from './rotationFormat.ts';
import { RotationCalendar } from './RotationCalendar.tsx';
import { PolicyEditor, type PolicyTarget } from './PolicyEditor.tsx';
import { RunNowDialog } from './RunNowDialog.tsx';
import { RolloutWaves } from './RolloutWaves.tsx';
import { ProviderScheduleDialog } from './ProviderScheduleDialog.tsx';
import { RolloutPolicyDialog } from './RolloutPolicyDialog.tsx';
import { BatchJobs } from './BatchJobs.tsx';
import { useMayCall } from '../session/permissions.ts';

const FORECAST_DAYS = 30;
const FORECAST_PAGE = 50;
const n = (v: number) => v.toLocaleString('en-US');
const ALL: SelectProps.Option = { value: '', label: 'All' };

const WAIT_WORDS: Readonly<Record<NonNullable<DueRotation['waitingFor']>, string>> = {
  locked: 'waits: the console is locked',
  paused: 'waits: the scheduler is paused',
  maintenance: 'waits for its maintenance window',
  blackout: 'waits: inside a blackout window',
};

const JOB_STATE_WORDS: Readonly<Record<RotationJob['state'], { type: 'success' | 'error' | 'pending' | 'in-progress' | 'stopped'; text: string }>> = {
  done: { type: 'success', text: 'Done' },
  failed: { type: 'error', text: 'Failed' },
  pending: { type: 'pending', text: 'Planned' },
  running: { type: 'in-progress', text: 'Running' },
  superseded: { type: 'stopped', text: 'Superseded (rotated by an officer)' },
};

const REASON_WORDS = { schedule: 'Schedule', usage_limit: 'Usage limit reached' } as const;

export function RotationPage() {
  const canRotate = useMayCall('rotation:runNow');
  // Rotation policies are the admin's (rotation:setTypePolicy, rotation:setKeyPolicy): the others read them.
  const mayEditPolicy = useMayCall('rotation:setTypePolicy');
  const status = useChannelQuery('rotation:status', {});
  const due = useChannelQuery('rotation:due', {});
  const upcoming = useChannelQuery('rotation:upcoming', { days: FORECAST_DAYS });
  const policies = useChannelQuery('rotation:policies', {});
  const jobs = useChannelQuery('rotation:jobs', { limit: 200 });
  const usage = useChannelQuery('rotation:usage', {});
  const keys = useChannelQuery('keys:list', { state: 'active' });
  const pause = useChannelMutation('rotation:pause', () => void status.refetch());
  const resume = useChannelMutation('rotation:resume', () => void status.refetch());
  const [runNow, setRunNow] = useState<DueRotation | null>(null);
  const [ran, setRan] = useState<string | null>(null);
  const [editing, setEditing] = useState<PolicyTarget | null>(null);
  const [typeFilter, setTypeFilter] = useState<SelectProps.Option>(ALL);
  const [siteFilter, setSiteFilter] = useState<SelectProps.Option>(ALL);
  const [keyFilter, setKeyFilter] = useState<SelectProps.Option>(ALL);
  const [dayFilter, setDayFilter] = useState<string | null>(null);
  const [overrideKey, setOverrideKey] = useState<SelectProps.Option | null>(null);
  const [atProvider, setAtProvider] = useState<{ keyId: string; label: string } | null>(null);
  const [rolloutPolicyOf, setRolloutPolicyOf] = useState<{ keyId: string; label: string } | null>(null);

  const refreshAll = () => {
    for (const q of [status, due, upcoming, policies, jobs, usage, keys]) void q.refetch();
  };
  const s = status.data;
  const items = useMemo(() => upcoming.data?.items ?? [], [upcoming.data]);
  const sites = useMemo(() => [...new Set(items.flatMap((i) => i.sites))].sort(), [items]);
  const forecastKeys = useMemo(() => [...new Map(items.map((i) => [i.keyId, i.label])).entries()].sort((a, b) => a[1].localeCompare(b[1])), [items]);
  const shown = items.filter(
    (i) => (!typeFilter.value || i.keyType === typeFilter.value) && (!siteFilter.value || i.sites.includes(siteFilter.value)) && (!keyFilter.value || i.keyId === keyFilter.value),
  );
  const perDay = upcoming.data ? rotationsPerDay(shown, upcoming.data.now, FORECAST_DAYS) : [];
  // The calendar's chosen day narrows the list (the chart and the calendar keep every day).
  const listed = dayFilter === null ? shown : shown.filter((i) => dayOf(i.startsAt ?? i.dueAt) === dayFilter);
  // A long forecast (many keys, short periods) is paged in the window.
  const forecastPages = useCollection(listed, { pagination: { pageSize: FORECAST_PAGE } });
  const typesShown = KEY_TYPES.filter((t) => perDay.some((d) => d.byType[t] > 0));
  const dueItems = due.data?.items ?? [];

  return (
    <ContentLayout
      header={
        <Header
          variant="h1"
          description={s ? `Console time ${formatTime(s.now)}. Keys rotate by their policy; due work waits while the console is locked or the scheduler is paused.` : undefined}
          actions={
            <SpaceBetween direction="horizontal" size="xs">
              <Button onClick={refreshAll}>Refresh</Button>
              {s &&
                canRotate &&
                (s.paused ? (
                  <Button variant="primary" loading={resume.isPending} onClick={() => resume.mutate({})}>
                    Resume scheduler
                  </Button>
                ) : (
                  <Button loading={pause.isPending} onClick={() => pause.mutate({})}>
                    Pause scheduler
                  </Button>
                ))}
            </SpaceBetween>
          }
        >
          Rotation schedules
        </Header>
      }
    >
      <SpaceBetween size="l">
        <ErrorMessage error={status.error ?? pause.error ?? resume.error} />
        {s?.waitedWhileLocked && (
          <Alert type="info" header="Work waited while the console was locked">
            {`${n(s.waitedWhileLocked.count)} ${s.waitedWhileLocked.count === 1 ? 'rotation was' : 'rotations were'} due when the console was unlocked at ${formatTime(s.waitedWhileLocked.unlockedAt)}.`}
          </Alert>
        )}
        {ran && (
          <Alert type="success" dismissible onDismiss={() => setRan(null)}>
            {ran}
          </Alert>
        )}

        <Container header={<Header variant="h2">Scheduler</Header>}>
          {status.isPending && <StatusIndicator type="loading">Loading…</StatusIndicator>}
          {s && (
            <ColumnLayout columns={4} variant="text-grid">
              <div>
                <Box variant="awsui-key-label">State</Box>
                {s.paused ? <StatusIndicator type="stopped">Paused</StatusIndicator> : <StatusIndicator type="success">Running</StatusIndicator>}
                {!s.periodic && <Box variant="small">Passes run only when asked in this process.</Box>}
              </div>
              <div>
                <Box variant="awsui-key-label">Due now</Box>
                <Box>{n(s.dueNow)}</Box>
              </div>
              <div>
                <Box variant="awsui-key-label">Overdue</Box>
                {s.overdue > 0 ? (
                  <StatusIndicator type="error">{`${n(s.overdue)}, the latest by ${durationWords(s.maxLateMs)}`}</StatusIndicator>
                ) : (
                  <Box>None</Box>
                )}
              </div>
              <div>
                <Box variant="awsui-key-label">Next due</Box>
                <Box>{formatTime(s.nextDueAt)}</Box>
                {s.deferredByWindow > 0 && <Box variant="small">{`${n(s.deferredByWindow)} held by a window`}</Box>}
              </div>
            </ColumnLayout>
          )}
        </Container>

        <Table
          ariaLabels={{ tableLabel: 'Due and overdue rotations' }}
          header={<Header variant="h2" counter={`(${dueItems.length})`} description="Overdue: due for an hour or more. Run now rotates the key at once, whatever its windows.">Due and overdue</Header>}
          items={dueItems}
          loading={due.isPending}
          loadingText="Loading due rotations"
          trackBy={(d) => `${d.keyId}:${d.fromVersion}`}
          empty={<Box textAlign="center">Nothing is due.</Box>}
          columnDefinitions={[
            { id: 'key', header: 'Key', cell: (d) => <Link href={hrefFor('keys', { key: d.keyId })}>{d.label}</Link> },
            { id: 'type', header: 'Type', cell: (d) => KEY_TYPE_WORDS[d.keyType] },
            { id: 'version', header: 'Version', cell: (d) => `v${d.fromVersion}` },
            { id: 'due', header: 'Due', cell: (d) => formatTime(d.dueAt) },
            {
              id: 'state',
              header: 'Status',
              cell: (d) =>
                d.overdue ? <StatusIndicator type="error">{`Overdue by ${durationWords(d.lateMs)}`}</StatusIndicator> : <StatusIndicator type="warning">Due</StatusIndicator>,
            },
            { id: 'why', header: 'Note', cell: (d) => [d.reason === 'usage_limit' ? 'usage limit reached' : null, d.waitingFor ? WAIT_WORDS[d.waitingFor] : null, d.state === 'failed' ? `failed ${d.attempts}×, retrying` : null].filter(Boolean).join('; ') || '—' },
            // Hidden from a role that may not rotate (issue 14); disabled, with the reason, while the rotation runs.
            ...(canRotate
              ? [
                  {
                    id: 'run',
                    header: 'Action',
                    minWidth: 130,
                    cell: (d: DueRotation) => (
                      <Button ariaLabel={`Run now: ${d.label}`} disabled={d.state === 'running'} disabledReason="This rotation is running now." onClick={() => setRunNow(d)}>
                        Run now
                      </Button>
                    ),
                  },
                ]
              : []),
          ]}
        />
        <ErrorMessage error={due.error} />

        <Container
          header={
            <Header variant="h2" description="When each rotation starts (after its due time, jitter and windows); later versions are projected.">
              {`Next ${FORECAST_DAYS} days`}
            </Header>
          }
        >
          <SpaceBetween size="m">
            <ErrorMessage error={upcoming.error} />
            <SpaceBetween direction="horizontal" size="m">
              <Box>
                <Box variant="awsui-key-label">Key type</Box>
                <Select
                  ariaLabel="Key type"
                  selectedOption={typeFilter}
                  onChange={(e) => setTypeFilter(e.detail.selectedOption)}
                  options={[ALL, ...KEY_TYPES.map((t) => ({ value: t, label: KEY_TYPE_WORDS[t] }))]}
                />
              </Box>
              <Box>
                <Box variant="awsui-key-label">Key</Box>
                <Select ariaLabel="Key" selectedOption={keyFilter} onChange={(e) => setKeyFilter(e.detail.selectedOption)} options={[ALL, ...forecastKeys.map(([id, label]) => ({ value: id, label }))]} />
              </Box>
              <Box>
                <Box variant="awsui-key-label">Site</Box>
                <Select ariaLabel="Site" selectedOption={siteFilter} onChange={(e) => setSiteFilter(e.detail.selectedOption)} options={[ALL, ...sites.map((x) => ({ value: x, label: x }))]} />
              </Box>
            </SpaceBetween>
            <BarChart
              ariaLabel={`Rotations per day over the next ${FORECAST_DAYS} days (chart)`}
              xScaleType="categorical"
              stackedBars
              height={180}
              hideFilter
              xTitle="Day"
              yTitle="Rotations"
              series={typesShown.map((t) => ({ title: KEY_TYPE_WORDS[t], type: 'bar' as const, data: perDay.map((d) => ({ x: d.day.slice(5), y: d.byType[t] })) }))}
              empty={<Box textAlign="center">Nothing rotates in the next {FORECAST_DAYS} days.</Box>}
            />
            <RotationCalendar weeks={calendarWeeks(perDay)} today={upcoming.data ? dayOf(upcoming.data.now) : ''} picked={dayFilter} onPick={setDayFilter} loading={upcoming.isPending} />
            {upcoming.data?.truncated && <Box variant="small">The list is cut short: it shows the earliest rotations only.</Box>}
            {dayFilter !== null && (
              <SpaceBetween direction="horizontal" size="xs" alignItems="center">
                <Box>{`Showing the rotations of ${shortDay(dayFilter)} only.`}</Box>
                <Button variant="inline-link" onClick={() => setDayFilter(null)}>
                  Show every day
                </Button>
              </SpaceBetween>
            )}
            <Table
              ariaLabels={{ tableLabel: `Rotations in the next ${FORECAST_DAYS} days` }}
              variant="embedded"
              {...forecastPages.collectionProps}
              items={forecastPages.items}
              pagination={<Pagination {...forecastPages.paginationProps} ariaLabels={{ nextPageLabel: 'Next page', previousPageLabel: 'Previous page', pageLabel: (p) => `Page ${p}` }} />}
              loading={upcoming.isPending}
              loadingText="Loading the forecast"
              trackBy={(i) => `${i.keyId}:${i.fromVersion}`}
              empty={<Box textAlign="center">{dayFilter === null ? `Nothing rotates in the next ${FORECAST_DAYS} days.` : `Nothing rotates on ${shortDay(dayFilter)}.`}</Box>}
              columnDefinitions={[
                { id: 'starts', header: 'Starts', cell: (i) => (i.startsAt ? formatTime(i.startsAt) : 'no allowed time within 30 days') },
                { id: 'key', header: 'Key', cell: (i) => i.label },
                { id: 'type', header: 'Type', cell: (i) => KEY_TYPE_WORDS[i.keyType] },
                { id: 'sites', header: 'Sites', cell: (i) => (i.sites.length > 0 ? i.sites.join(', ') : '—') },
                { id: 'version', header: 'Version', cell: (i) => `v${i.fromVersion} → v${i.fromVersion + 1}` },
                { id: 'due', header: 'Due', cell: (i) => formatTime(i.dueAt) },
                {
                  id: 'note',
                  header: 'Note',
                  cell: (i) =>
                    [i.overdue ? 'overdue' : null, i.heldBy === 'blackout' ? 'held by a blackout window' : i.heldBy === 'maintenance' ? 'waits for the maintenance window' : null, i.reason === 'usage_limit' ? 'usage limit reached' : null, i.projected ? 'projected' : null]
                      .filter(Boolean)
                      .join('; ') || '—',
                },
              ]}
            />
          </SpaceBetween>
        </Container>

        <Container header={<Header variant="h2" description="A key's own policy overrides its type's; the specification's defaults apply until an officer sets one.">Policies</Header>}>
          <SpaceBetween size="m">
            <ErrorMessage error={policies.error} />
            <Table
              ariaLabels={{ tableLabel: 'Policies per key type' }}
              variant="embedded"
              items={policies.data?.types ?? []}
              loading={policies.isPending}
              loadingText="Loading policies"
              trackBy="type"
              columnDefinitions={[
                { id: 'type', header: 'Key type', cell: (t) => KEY_TYPE_WORDS[t.type] },
                ...policyColumns<{ policy: RotationPolicyView }>(),
                { id: 'source', header: 'Set by', cell: (t) => (t.source === 'default' ? 'specification default' : 'officer') },
                {
                  id: 'edit',
                  header: 'Action',
                  minWidth: 100,
                  cell: (t) =>
                    mayEditPolicy && (
                    <Button ariaLabel={`Edit the ${KEY_TYPE_WORDS[t.type].toLowerCase()} policy`} onClick={() => setEditing({ kind: 'type', type: t.type, title: `${KEY_TYPE_WORDS[t.type]} keys`, policy: t.policy })}>
                      Edit
                    </Button>
                    ),
                },
              ]}
            />
            <Table
              ariaLabels={{ tableLabel: 'Policies of single keys' }}
              variant="embedded"
              header={<Header variant="h3">Single keys</Header>}
              items={policies.data?.overrides ?? []}
              trackBy="keyId"
              empty={<Box textAlign="center">No key has its own policy.</Box>}
              columnDefinitions={[
                { id: 'key', header: 'Key', cell: (o) => o.label ?? o.keyId },
                ...policyColumns<{ policy: RotationPolicyView }>(),
                { id: 'by', header: 'Set by', cell: (o) => `${o.updatedBy}, ${formatTime(o.updatedAt)}` },
                {
                  id: 'edit',
                  header: 'Action',
                  minWidth: 100,
                  cell: (o) =>
                    mayEditPolicy && (
                    <Button
                      ariaLabel={`Edit the policy of ${o.label ?? o.keyId}`}
                      onClick={() => setEditing({ kind: 'key', keyId: o.keyId, title: `key ${o.label ?? o.keyId}`, policy: o.policy, override: true })}
                    >
                      Edit
                    </Button>
                  ),
                },
              ]}
            />
            <SpaceBetween direction="horizontal" size="xs">
              <Select
                ariaLabel="Key for its own policy"
                placeholder="Choose a key"
                selectedOption={overrideKey}
                onChange={(e) => setOverrideKey(e.detail.selectedOption)}
                options={(keys.data?.keys ?? []).map((k) => ({ value: k.id, label: k.label, description: KEY_TYPE_WORDS[k.type] }))}
                empty="No active keys"
              />
              {mayEditPolicy && (
              <Button
                disabled={!overrideKey}
                onClick={() => {
                  const k = (keys.data?.keys ?? []).find((x) => x.id === overrideKey?.value);
                  if (!k) return;
                  const own = policies.data?.overrides.find((o) => o.keyId === k.id);
                  const base = own?.policy ?? policies.data?.types.find((t) => t.type === k.type)?.policy;
                  if (base) setEditing({ kind: 'key', keyId: k.id, title: `key ${k.label}`, policy: base, override: own !== undefined });
                }}
              >
                Set this key's own policy
              </Button>
              )}
              <Button
                disabled={!overrideKey}
                onClick={() => {
                  if (overrideKey?.value) setAtProvider({ keyId: overrideKey.value, label: overrideKey.label ?? overrideKey.value });
                }}
              >
                Schedule at the provider and drift
              </Button>
              {/* A key's own rollout policy, whether or not a rollout of it exists yet (issue 13). */}
              <Button
                disabled={!overrideKey}
                onClick={() => {
                  if (overrideKey?.value) setRolloutPolicyOf({ keyId: overrideKey.value, label: overrideKey.label ?? overrideKey.value });
                }}
              >
                This key's rollout policy
              </Button>
            </SpaceBetween>
          </SpaceBetween>
        </Container>

        <Table
          ariaLabels={{ tableLabel: 'Scheduler job history' }}
          header={<Header variant="h2" counter={`(${jobs.data?.jobs.length ?? 0})`} description="One job per key version rotated away from, most recent first.">Job history</Header>}
          items={jobs.data?.jobs ?? []}
          loading={jobs.isPending}
          loadingText="Loading jobs"
          trackBy={(j) => `${j.keyId}:${j.fromVersion}`}
          empty={<Box textAlign="center">No rotation jobs yet.</Box>}
          columnDefinitions={[
            { id: 'key', header: 'Key', cell: (j) => j.label ?? j.keyId },
            { id: 'versions', header: 'Versions', cell: (j) => (j.toVersion === null ? `from v${j.fromVersion}` : `v${j.fromVersion} → v${j.toVersion}`) },
            { id: 'reason', header: 'Reason', cell: (j) => REASON_WORDS[j.reason] },
            { id: 'state', header: 'Outcome', cell: (j) => <StatusIndicator type={JOB_STATE_WORDS[j.state].type}>{JOB_STATE_WORDS[j.state].text}</StatusIndicator> },
            { id: 'due', header: 'Due', cell: (j) => formatTime(j.dueAt) },
            { id: 'started', header: 'Started', cell: (j) => formatTime(j.startedAt) },
            { id: 'late', header: 'Late by', cell: (j) => (j.lateMs === null ? '—' : durationWords(j.lateMs)) },
            { id: 'attempts', header: 'Attempts', cell: (j) => String(j.attempts) },
            {
              id: 'error',
              header: 'Error',
              cell: (j) => (j.errorCode ? `${j.errorCode}${j.nextAttemptAt ? `; tried again at ${formatTime(j.nextAttemptAt)}` : ''}` : '—'),
            },
          ]}
        />
        <ErrorMessage error={jobs.error} />

        <BatchJobs canRotate={canRotate} keyLabel={(id) => keys.data?.keys.find((k) => k.id === id)?.label ?? id} />

        <RolloutWaves keyLabel={(id) => keys.data?.keys.find((k) => k.id === id)?.label ?? id} onChanged={setRan} />

        <Table
          ariaLabels={{ tableLabel: 'Usage per key version' }}
          header={<Header variant="h2" description="Encryptions the console counted with each active key's current version, against its limit; a warning at 80 %.">Usage against limits</Header>}
          items={usage.data?.versions ?? []}
          loading={usage.isPending}
          loadingText="Loading usage"
          trackBy={(u) => `${u.keyId}:${u.version}`}
          empty={<Box textAlign="center">No active keys.</Box>}
          columnDefinitions={[
            { id: 'key', header: 'Key', cell: (u) => `${u.label} v${u.version}` },
            { id: 'type', header: 'Type', cell: (u) => KEY_TYPE_WORDS[u.keyType] },
            { id: 'meter', header: 'Used', minWidth: 260, cell: (u) => <UsageMeter u={u} /> },
            { id: 'state', header: 'Status', cell: (u) => usageState(u) },
          ]}
        />
        <ErrorMessage error={usage.error} />
      </SpaceBetween>

      {runNow && (
        <RunNowDialog
          item={runNow}
          onClose={(result) => {
            setRunNow(null);
            if (result) {
              setRan(`${result.label} rotated: version ${result.fromVersion} → ${result.toVersion}.`);
              refreshAll();
            }
          }}
        />
      )}
      {atProvider && (
        <ProviderScheduleDialog
          keyId={atProvider.keyId}
          keyLabel={atProvider.label}
          onClose={(changed) => {
            setAtProvider(null);
            if (changed) refreshAll();
          }}
        />
      )}
      {rolloutPolicyOf && (
        <RolloutPolicyDialog
          keyId={rolloutPolicyOf.keyId}
          keyLabel={rolloutPolicyOf.label}
          onClose={(message) => {
            setRolloutPolicyOf(null);
            if (message) setRan(message);
          }}
        />
      )}
      {editing && (
        <PolicyEditor
          target={editing}
          onClose={(saved) => {
            setEditing(null);
            if (saved) {
              setRan(saved);
              refreshAll();
            }
          }}
        />
      )}
    </ContentLayout>
  );
}

function policyColumns<T extends { policy: RotationPolicyView }>() {
  return [
    { id: 'period', header: 'Rotation', cell: (t: T) => periodWords(t.policy.mode === 'manual' ? null : t.policy.periodSeconds) },
    { id: 'jitter', header: 'Jitter', cell: (t: T) => (t.policy.jitterSeconds > 0 ? `up to ${t.policy.jitterSeconds} s` : 'none') },
    { id: 'limit', header: 'Usage limit', cell: (t: T) => n(t.policy.usageLimit) },
    { id: 'windows', header: 'Windows', cell: (t: T) => windowsWords(t.policy) },
  ];
}

function usageState(u: VersionUsageView) {
  if (u.limitReached) return <StatusIndicator type="error">Limit reached: rotate</StatusIndicator>;
  if (u.count >= u.warnAt) return <StatusIndicator type="warning">Over 80 % of its limit</StatusIndicator>;
  return <StatusIndicator type="success">Within its limit</StatusIndicator>;
}

function UsageMeter({ u }: { u: VersionUsageView }) {
  const percent = Math.min(100, (u.count / u.limit) * 100);
  return (
    <ProgressBar
      value={percent}
      ariaLabel={`Usage of ${u.label} version ${u.version}`}
      status={u.limitReached ? 'error' : 'in-progress'}
      resultText="Limit reached"
      description={`${n(u.count)} of ${n(u.limit)} encryptions`}
      additionalInfo={u.count >= u.warnAt && !u.limitReached ? `Warning: over 80 % (${n(u.warnAt)})` : undefined}
    />
  );
}


