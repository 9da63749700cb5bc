// Re-provisioning one robot that the station refused as already provisioned: a confirmation naming the robot, its
// port and what happens to it; on confirm the station accepts that robot's next session (this run only) and retries
// the port now.
import { useChannelMutation, useChannelQuery } from '../hooks/channelQuery.ts';
import { Dialog } from '../components/Dialog.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { useShowStationStatus } from './useStationEvents.ts';

export function ReprovisionDialog({ deviceId, path, onClose }: { deviceId: string; path: string; onClose(): void }) {
  const robot = useChannelQuery('fleet:get', { deviceId });
  const show = useShowStationStatus();
  const confirm = useChannelMutation('station:confirmReprovision', (status) => {
    show(status);
    onClose();
  });
  const current = (robot.data?.certificates ?? []).filter((c) => c.status === 'active');
  return (
    <Dialog title="Re-provision robot" onClose={onClose}>
      <div className="confirm-text">
        <p>
          Re-provision robot <strong>{deviceId}</strong> on <code>{path}</code>? It is already provisioned. Re-provisioning replaces its
          identity:
        </p>
        <ul>
          <li>the robot generates a new identity key pair;</li>
          <li>the fleet CA issues it a new certificate;</li>
          <li>
            its current certificate{current.length === 1 ? '' : 's'}{' '}
            {current.length > 0 ? (
              current.map((c, i) => (
                <span key={c.serial}>
                  {i > 0 ? ', ' : ''}
                  <code>{c.serial}</code>
                </span>
              ))
            ) : (
              <span className="muted">(none active)</span>
            )}{' '}
            {current.length === 1 ? 'is' : 'are'} revoked;
          </li>
          <li>it receives new keys, replacing the ones it holds.</li>
        </ul>
        <p>The confirmation holds for this robot&apos;s next session in this station run only. The port is retried now.</p>
      </div>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          confirm.mutate({ deviceId, path });
        }}
      >
        <ErrorMessage error={confirm.error} />
        <div className="dialog-buttons">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="danger" disabled={confirm.isPending}>
            Re-provision {deviceId}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
