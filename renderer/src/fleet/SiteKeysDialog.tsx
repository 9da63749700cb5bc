// The keys of one site (issue 5): for communication and storage, the site's assigned key (label, version, and why it
// cannot be delivered when it is broken) and a choice to assign, replace or clear it. Robots of the site that have a
// key of their own keep it; the others receive the site's key at their next provisioning or bundle.
import Modal from '@cloudscape-design/components/modal';
import Table from '@cloudscape-design/components/table';
import Button from '@cloudscape-design/components/button';
import Box from '@cloudscape-design/components/box';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import { ASSIGNABLE_KEY_TYPES, type AssignableKeyType, type KeyAssignment } from '../../../shared/fleetContract.ts';
import { useChannelQuery } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { KeyChoice, useAssignableKeys, useKeyAssignmentRefresh } from './KeyAssignmentChoice.tsx';

type Row = { keyType: AssignableKeyType; row: KeyAssignment | null };

export function SiteKeysDialog({ site, onClose }: { site: string; onClose(): void }) {
  const refresh = useKeyAssignmentRefresh();
  const view = useChannelQuery('fleet:siteKeyAssignments', { site });
  const assignable = useAssignableKeys();
  const data = view.data;
  const rows: Row[] = ASSIGNABLE_KEY_TYPES.map((keyType) => ({ keyType, row: data?.assignments.find((a) => a.keyType === keyType) ?? null }));
  return (
    <Modal
      visible
      onDismiss={onClose}
      header={`Site keys: ${site}`}
      size="large"
      footer={
        <Box float="right">
          <Button variant="primary" onClick={onClose}>
            Close
          </Button>
        </Box>
      }
    >
      <SpaceBetween size="m">
        {view.isPending && <StatusIndicator type="loading">Loading site keys…</StatusIndicator>}
        <ErrorMessage error={view.error ?? assignable.error} />
        {data && (
          <>
            <Box variant="p">
              {data.robots} robot{data.robots === 1 ? '' : 's'} at {site}. Robots with a key of their own keep it; the others receive the site key
              at their next provisioning or bundle. A key assigned here is no longer any other robot&apos;s default key.
            </Box>
            <Table<Row>
              variant="embedded"
              ariaLabels={{ tableLabel: 'Site key assignment' }}
              items={rows}
              trackBy="keyType"
              columnDefinitions={[
                { id: 'type', header: 'Type', isRowHeader: true, cell: (r) => r.keyType },
                {
                  id: 'key',
                  header: 'Site key',
                  cell: ({ row }) =>
                    row ? (
                      <SpaceBetween size="xxs">
                        <span>
                          {row.keyLabel ?? 'unknown key'} <Box variant="code">{row.keyId}</Box>
                        </span>
                        {row.problem && (
                          <StatusIndicator type="error">
                            <span role="alert">{row.problem}</span>
                          </StatusIndicator>
                        )}
                      </SpaceBetween>
                    ) : (
                      <Box color="text-status-inactive">none: robots get their own or the newest key</Box>
                    ),
                },
                { id: 'version', header: 'Version', cell: ({ row }) => row?.version ?? '—' },
                {
                  id: 'change',
                  header: 'Change',
                  cell: ({ keyType, row }) => (
                    <KeyChoice
                      key={row?.keyId ?? 'none'}
                      scope="site"
                      scopeId={site}
                      keyType={keyType}
                      current={row}
                      keys={assignable.keys}
                      label={`Site ${keyType} key`}
                      noneText="— none —"
                      onApplied={refresh}
                    />
                  ),
                },
              ]}
            />
          </>
        )}
      </SpaceBetween>
    </Modal>
  );
}
