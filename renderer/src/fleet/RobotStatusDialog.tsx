// Change a robot's status: only the transitions ROBOT_TRANSITIONS allows are offered; the reason is audited.
import { useState } from 'react';
import { ROBOT_TRANSITIONS, type RobotStatus } from '../../../shared/domain.ts';
import type { RobotSummary } from '../../../shared/fleetContract.ts';
import { Dialog } from '../components/Dialog.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { useFleetUi } from './fleetUiStore.ts';

export function RobotStatusDialog({ robot }: { robot: RobotSummary }) {
  const close = () => useFleetUi.getState().open(null);
  const targets = ROBOT_TRANSITIONS[robot.status];
  const [status, setStatus] = useState<RobotStatus | ''>(targets[0] ?? '');
  const [reason, setReason] = useState('');
  const change = useChannelMutation('fleet:setStatus', () => close());
  return (
    <Dialog title="Change robot status" onClose={close}>
      {targets.length === 0 ? (
        <p>Robot {robot.deviceId} is {robot.status}; that status is final.</p>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (status) change.mutate({ deviceId: robot.deviceId, status, reason });
          }}
        >
          <label>
            New status
            <select value={status} onChange={(e) => setStatus(e.target.value as RobotStatus)}>
              {targets.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </label>
          <label>
            Reason (recorded in the audit log)
            <input value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} />
          </label>
          <p className="small">
            Robot {robot.deviceId} goes from {robot.status} to {status}.
          </p>
          <ErrorMessage error={change.error} />
          <div className="actions">
            <button type="button" onClick={close}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={change.isPending}>
              Change status
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
