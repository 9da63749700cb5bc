// Field key distribution for one robot: issue a key bundle file (for a USB stick) after a confirmation naming the
// robot and what the file does, and list the bundles issued to it (file and serial deliveries, with their state).
// The bundle's key material is wrapped to the robot inside the file; the window only passes the bytes on.
import { useCallback, useEffect, useState } from 'react';
import type { ChannelOutput } from '../../../shared/contract.ts';
import { subscribe } from '../api.ts';
import { useChannelMutation, useChannelQuery, useQueryClient } from '../hooks/channelQuery.ts';
import Modal from '@cloudscape-design/components/modal';
import Table from '@cloudscape-design/components/table';
import Header from '@cloudscape-design/components/header';
import Button from '@cloudscape-design/components/button';
import Box from '@cloudscape-design/components/box';
import Alert from '@cloudscape-design/components/alert';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator, { type StatusIndicatorProps } from '@cloudscape-design/components/status-indicator';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { downloadBase64 } from '../download.ts';
import { formatTime } from '../format.ts';
import { DialogFooter } from '../components/DialogFooter.tsx';
import { useMayCall } from '../session/permissions.ts';

type Issued = ChannelOutput<'bundles:build'>;
type KeyVersion = { keyId: string; version: number };

const STATE_WORDS = { issuing: 'issuing', issued: 'issued (file)', installed: 'installed', failed: 'failed' } as const;
const STATE_LOOK: Record<keyof typeof STATE_WORDS, StatusIndicatorProps.Type> = { issuing: 'in-progress', issued: 'info', installed: 'success', failed: 'error' };

function keyText(keys: KeyVersion[], labels: Map<string, string>): string {
  return keys.map((k) => `${labels.get(k.keyId) ?? k.keyId} v${k.version}`).join(', ');
}

export function RobotBundlesPanel({ deviceId }: { deviceId: string }) {
  const queryClient = useQueryClient();
  const list = useChannelQuery('bundles:list', { deviceId });
  const keys = useChannelQuery('keys:list', {});
  const [confirming, setConfirming] = useState(false);
  // The last bundle issued here, remembered with its robot so that another robot's panel does not show it.
  const [lastIssued, setIssued] = useState<{ deviceId: string; fileName: string; sequence: number; keys: KeyVersion[] } | null>(null);
  const issued = lastIssued?.deviceId === deviceId ? lastIssued : null;
  const labels = new Map((keys.data?.keys ?? []).map((k) => [k.id, k.label]));

  const refresh = useCallback(() => {
    void queryClient.invalidateQueries({ queryKey: ['bundles:list', { deviceId }] });
  }, [queryClient, deviceId]);
  // A bundle installed over the serial link changes the robot's key versions: fleet:changed names the robot.
  useEffect(() => subscribe('fleet:changed', (e) => (e.deviceId === null || e.deviceId === deviceId ? refresh() : undefined)), [deviceId, refresh]);

  const closeDialog = useCallback(() => setConfirming(false), []);
  // Issuing a bundle is the station operator's (bundles:build).
  const mayIssue = useMayCall('bundles:build');

  type Bundle = NonNullable<typeof list.data>['bundles'][number];
  return (
    <SpaceBetween size="xs">
      {issued && (
        <Alert type="success">
          <span role="status">
            Bundle #{issued.sequence} issued and saved as <Box variant="code">{issued.fileName}</Box>: {keyText(issued.keys, labels)}. Copy it to the
            robot&apos;s USB stick; the robot refuses it if it is altered or older than a bundle it has installed.
          </span>
        </Alert>
      )}
      <ErrorMessage error={list.error} />
      <Table<Bundle>
        variant="embedded"
        header={
          <Header variant="h3" actions={mayIssue && <Button onClick={() => setConfirming(true)}>Issue key bundle…</Button>}>
            Key bundles
          </Header>
        }
        ariaLabels={{ tableLabel: 'Key bundles of the robot' }}
        items={list.data?.bundles ?? []}
        loading={list.isPending}
        loadingText="Loading key bundles"
        trackBy={(b) => String(b.sequence)}
        empty={<Box color="text-status-inactive">No key bundles issued to this robot.</Box>}
        columnDefinitions={[
          { id: 'sequence', header: 'Sequence', isRowHeader: true, cell: (b) => b.sequence },
          { id: 'issued', header: 'Issued', cell: (b) => formatTime(b.issuedAt) },
          { id: 'delivery', header: 'Delivery', cell: (b) => (b.delivery === 'file' ? 'file' : 'serial link') },
          {
            id: 'state',
            header: 'State',
            cell: (b) => <StatusIndicator type={STATE_LOOK[b.state]}>{STATE_WORDS[b.state]}</StatusIndicator>,
          },
          { id: 'keys', header: 'Keys', cell: (b) => keyText(b.keys, labels) || '—' },
          { id: 'error', header: 'Error', cell: (b) => (b.errorCode ? <Box variant="code">{b.errorCode}</Box> : '') },
        ]}
      />
      {confirming && (
        <IssueBundleDialog
          deviceId={deviceId}
          onClose={closeDialog}
          onIssued={(r) => {
            // The file itself is not kept: it has been handed to the download.
            setIssued({ deviceId, fileName: r.fileName, sequence: r.sequence, keys: r.keys });
            refresh();
            setConfirming(false);
          }}
        />
      )}
    </SpaceBetween>
  );
}

function IssueBundleDialog({ deviceId, onClose, onIssued }: { deviceId: string; onClose(): void; onIssued(r: Issued): void }) {
  const build = useChannelMutation('bundles:build', (r) => {
    downloadBase64(r.fileName, r.content, 'application/json');
    onIssued(r);
  });
  return (
    <Modal
      visible
      onDismiss={onClose}
      header="Issue key bundle"
      footer={
        <DialogFooter onCancel={onClose}>
          <Button variant="primary" loading={build.isPending} onClick={() => build.mutate({ deviceId })}>
            {`Issue bundle for ${deviceId}`}
          </Button>
        </DialogFooter>
      }
    >
      <SpaceBetween size="m">
        <Box variant="p">
          Issue a key bundle file for robot <strong>{deviceId}</strong>? It carries the key versions assigned to the robot, wrapped to its
          identity key (only this robot can open it) and signed by the fleet CA. The registry records these versions as distributed to{' '}
          {deviceId} as soon as the file is issued; the console cannot see when it is installed.
        </Box>
        <ErrorMessage error={build.error} />
      </SpaceBetween>
    </Modal>
  );
}
