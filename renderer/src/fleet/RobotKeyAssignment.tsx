// The robot's key assignment (issue 5): for communication and storage, the key the provisioning station and field
// bundles deliver to this robot now (label, id, version), where it comes from (the robot's own assignment, its site's,
// or the newest key assigned to nobody), why it cannot be delivered when an assignment is broken, and the robot-level
// choice. The site's keys are set in SiteKeysDialog, opened from here.
import { useCallback, useState } from 'react';
import type { EffectiveKey, RobotKeyAssignments } from '../../../shared/fleetContract.ts';
import Table from '@cloudscape-design/components/table';
import Header from '@cloudscape-design/components/header';
import Button from '@cloudscape-design/components/button';
import Box from '@cloudscape-design/components/box';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { useChannelQuery } from '../hooks/channelQuery.ts';
import { KeyChoice, useAssignableKeys, useKeyAssignmentRefresh } from './KeyAssignmentChoice.tsx';
import { SiteKeysDialog } from './SiteKeysDialog.tsx';

function sourceText(e: EffectiveKey, site: string): string {
  if (e.source === 'robot') return 'robot';
  if (e.source === 'site') return `site ${site}`;
  if (e.source === 'newest') return 'newest unassigned key';
  return 'none';
}

type Row = { effective: EffectiveKey; own: RobotKeyAssignments['robotAssignments'][number] | null };

export function RobotKeyAssignment({ deviceId }: { deviceId: string }) {
  const refresh = useKeyAssignmentRefresh();
  const view = useChannelQuery('fleet:keyAssignments', { deviceId });
  const assignable = useAssignableKeys();
  const [siteOpen, setSiteOpen] = useState(false);
  // Stable, so the dialog does not re-focus its first field whenever this view refetches.
  const closeSite = useCallback(() => setSiteOpen(false), []);
  const data = view.data;
  const rows: Row[] = (data?.effective ?? []).map((effective) => ({ effective, own: data?.robotAssignments.find((a) => a.keyType === effective.keyType) ?? null }));
  return (
    <SpaceBetween size="xs">
      <ErrorMessage error={view.error ?? assignable.error} />
      <Table<Row>
        variant="embedded"
        header={
          <Header
            variant="h3"
            description="The station and field bundles deliver these keys at their current version."
            actions={data && <Button onClick={() => setSiteOpen(true)}>{`Site keys for ${data.site}…`}</Button>}
          >
            Key assignment
          </Header>
        }
        ariaLabels={{ tableLabel: 'Key assignment of the robot' }}
        items={rows}
        loading={view.isPending}
        loadingText="Loading the key assignment"
        trackBy={(r) => r.effective.keyType}
        columnDefinitions={[
          { id: 'type', header: 'Type', isRowHeader: true, cell: (r) => r.effective.keyType },
          {
            id: 'key',
            header: 'Delivered key',
            cell: (r) => (
              <SpaceBetween size="xxs">
                <span>
                  {r.effective.keyId ? (
                    <>
                      {r.effective.keyLabel ?? 'unknown key'} <Box variant="code">{r.effective.keyId}</Box>
                    </>
                  ) : (
                    '—'
                  )}
                </span>
                {r.effective.error && (
                  <StatusIndicator type="error">
                    <span role="alert">{r.effective.error}</span>
                  </StatusIndicator>
                )}
              </SpaceBetween>
            ),
          },
          { id: 'version', header: 'Version', cell: (r) => r.effective.version ?? '—' },
          { id: 'source', header: 'Source', cell: (r) => sourceText(r.effective, data?.site ?? '') },
          {
            id: 'choice',
            header: 'Robot-level key',
            cell: (r) => (
              <KeyChoice
                key={r.own?.keyId ?? 'none'}
                scope="robot"
                scopeId={deviceId}
                keyType={r.effective.keyType}
                current={r.own}
                keys={assignable.keys}
                label={`Robot ${r.effective.keyType} key`}
                noneText="— none (site or newest key) —"
                onApplied={refresh}
              />
            ),
          },
        ]}
      />
      {siteOpen && data && <SiteKeysDialog site={data.site} onClose={closeSite} />}
    </SpaceBetween>
  );
}
