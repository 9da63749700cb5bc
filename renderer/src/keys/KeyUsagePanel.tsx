// Which robots depend on this key (issue 5): how many robots hold each version (over the whole fleet), the holders a
// page at a time (oldest version first: they are what blocks retiring it), filtered to one version on request, and
// every site and robot the key is assigned to, with why an assignment cannot be delivered. A holder opens in the
// fleet screen.
import { keepPreviousData } from '@tanstack/react-query';
import { useState } from 'react';
import Table from '@cloudscape-design/components/table';
import Header from '@cloudscape-design/components/header';
import Button from '@cloudscape-design/components/button';
import ToggleButton from '@cloudscape-design/components/toggle-button';
import Box from '@cloudscape-design/components/box';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
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

  const deviceLink = (deviceId: string, text = deviceId) => (
    <Button variant="inline-link" onClick={() => openRobot(deviceId)}>
      {text}
    </Button>
  );
  const allVersions = (
    <Button onClick={() => showVersion(undefined)} variant="normal">
      All versions
    </Button>
  );

  return (
    <section aria-label="Robots and assignments">
      <SpaceBetween size="s">
        <Header variant="h3">Robots and assignments</Header>
        <ErrorMessage error={usage.error} />
        {usage.isPending && <StatusIndicator type="loading">Loading which robots hold this key…</StatusIndicator>}
        {u && (
          <>
            <div data-testid="key-usage-summary">{keyUsageSummary(u)}</div>
            {u.versions.length > 0 && (
              <Table
                variant="embedded"
                ariaLabels={{ tableLabel: 'Robots per key version' }}
                items={u.versions}
                trackBy={(v) => String(v.version)}
                columnDefinitions={[
                  { id: 'version', header: 'Version', cell: (v) => `v${v.version}${v.version === u.currentVersion ? ' (current)' : ' (behind)'}` },
                  { id: 'robots', header: 'Robots', cell: (v) => v.robots.toLocaleString('en') },
                  {
                    id: 'show',
                    header: 'Show',
                    cell: (v) => (
                      <ToggleButton pressed={version === v.version} onChange={(e) => showVersion(e.detail.pressed ? v.version : undefined)}>
                        {`Show robots on v${v.version}`}
                      </ToggleButton>
                    ),
                  },
                ]}
              />
            )}
            {u.matching > 0 && (
              <Table
                variant="embedded"
                wrapLines
                ariaLabels={{ tableLabel: 'Robots holding this key' }}
                items={u.holders}
                trackBy="deviceId"
                header={
                  <Header
                    variant="h3"
                    counter={`(${u.matching.toLocaleString('en')})`}
                    actions={
                      <SpaceBetween direction="horizontal" size="xs">
                        {version !== undefined && allVersions}
                        <Button disabled={u.offset === 0} onClick={() => setOffset(Math.max(0, u.offset - KEY_USAGE_PAGE))}>
                          {`Previous ${KEY_USAGE_PAGE}`}
                        </Button>
                        <Button disabled={last >= u.matching} onClick={() => setOffset(u.offset + KEY_USAGE_PAGE)}>
                          {`Next ${KEY_USAGE_PAGE}`}
                        </Button>
                      </SpaceBetween>
                    }
                  >
                    <span role="status" data-testid="key-holders-range">
                      {version === undefined ? 'All holders' : `Holders of v${version}`}: {(u.offset + 1).toLocaleString('en')}–{last.toLocaleString('en')} of{' '}
                      {u.matching.toLocaleString('en')}
                    </span>
                  </Header>
                }
                columnDefinitions={[
                  { id: 'device', header: 'Device id', cell: (h) => deviceLink(h.deviceId) },
                  { id: 'name', header: 'Name', cell: (h) => h.name },
                  { id: 'site', header: 'Site', cell: (h) => h.site },
                  { id: 'status', header: 'Status', cell: (h) => h.status },
                  { id: 'version', header: 'Version', cell: (h) => `v${h.version}` },
                  { id: 'recorded', header: 'Recorded', cell: (h) => `${formatTime(h.recordedAt)} (${h.source})` },
                ]}
              />
            )}
            {version !== undefined && u.matching === 0 && (
              <SpaceBetween direction="horizontal" size="xs" alignItems="center">
                <Box>No robot holds v{version}.</Box>
                {allVersions}
              </SpaceBetween>
            )}
            {u.assignments.length > 0 && (
              <Table
                variant="embedded"
                wrapLines
                ariaLabels={{ tableLabel: 'Where this key is assigned' }}
                items={u.assignments}
                trackBy={(a) => `${a.scope}:${a.scopeId}:${a.keyType}`}
                columnDefinitions={[
                  { id: 'to', header: 'Assigned to', cell: (a) => (a.scope === 'robot' ? deviceLink(a.scopeId, `robot ${a.scopeId}`) : `site ${a.scopeId}`) },
                  { id: 'as', header: 'As', cell: (a) => `${a.keyType} key` },
                  { id: 'by', header: 'By', cell: (a) => `${a.assignedBy}, ${formatTime(a.assignedAt)}` },
                  {
                    id: 'delivery',
                    header: 'Delivery',
                    cell: (a) =>
                      a.problem ? (
                        <span role="alert">
                          <StatusIndicator type="warning">{a.problem}</StatusIndicator>
                        </span>
                      ) : (
                        `delivers v${a.version ?? '?'}`
                      ),
                  },
                ]}
              />
            )}
          </>
        )}
      </SpaceBetween>
    </section>
  );
}
