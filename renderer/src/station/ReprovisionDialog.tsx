// Re-provisioning one robot that the station refused as already provisioned: a confirmation (Cloudscape Modal: focus
// trapped, Escape closes, focus back to the opener) naming the robot, its port and what happens to it; on confirm the
// station accepts that robot's next session (this run only) and retries the port now.
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Modal from '@cloudscape-design/components/modal';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { useChannelMutation, useChannelQuery } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { useShowStationStatus } from './useStationEvents.ts';
import { DialogFooter } from '../components/DialogFooter.tsx';

export function ReprovisionDialog({ deviceId, path, onClose }: { deviceId: string; path: string; onClose(): void }) {
  const robot = useChannelQuery('fleet:get', { deviceId });
  const show = useShowStationStatus();
  const confirm = useChannelMutation('station:confirmReprovision', (status) => {
    show(status);
    onClose();
  });
  const current = (robot.data?.certificates ?? []).filter((c) => c.status === 'active');
  return (
    <Modal
      visible
      onDismiss={onClose}
      header="Re-provision robot"
      closeAriaLabel="Close"
      footer={
        <DialogFooter onCancel={onClose}>
          <Button variant="primary" onClick={() => confirm.mutate({ deviceId, path })} loading={confirm.isPending} disabled={confirm.isPending}>
            Re-provision {deviceId}
          </Button>
        </DialogFooter>
      }
    >
      <SpaceBetween size="s">
        <Box>
          Re-provision robot <strong>{deviceId}</strong> on <Box variant="code">{path}</Box>? It is already provisioned. Re-provisioning replaces its
          identity:
        </Box>
        <ul>
          <li>the robot generates a new identity key pair;</li>
          <li>the fleet CA issues it a new certificate;</li>
          <li>
            its current certificate{current.length === 1 ? '' : 's'}{' '}
            {current.length > 0 ? (
              current.map((c, i) => (
                <span key={c.serial}>
                  {i > 0 ? ', ' : ''}
                  <Box variant="code">{c.serial}</Box>
                </span>
              ))
            ) : (
              <Box variant="span" color="text-status-inactive">
                (none active)
              </Box>
            )}{' '}
            {current.length === 1 ? 'is' : 'are'} revoked;
          </li>
          <li>it receives new keys, replacing the ones it holds.</li>
        </ul>
        <Box>The confirmation holds for this robot&apos;s next session in this station run only. The port is retried now.</Box>
        <ErrorMessage error={confirm.error} header="Re-provisioning was not confirmed" />
      </SpaceBetween>
    </Modal>
  );
}
