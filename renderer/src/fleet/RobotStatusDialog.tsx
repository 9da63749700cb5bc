// Change a robot's status: only the transitions ROBOT_TRANSITIONS allows are offered; the reason is audited. Revoking
// shows first which certificates are revoked with the robot and that the CRL is updated (RevocationNotice).
import { useState } from 'react';
import { ROBOT_TRANSITIONS, type CertRevocationReason, type RobotStatus } from '../../../shared/domain.ts';
import type { RobotSummary } from '../../../shared/fleetContract.ts';
import { Dialog } from '../components/Dialog.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { useChannelMutation, useChannelQuery, useQueryClient } from '../hooks/channelQuery.ts';
import { useFleetUi } from './fleetUiStore.ts';
import { RevocationNotice } from './RevocationNotice.tsx';

export function RobotStatusDialog({ robot }: { robot: RobotSummary }) {
  const close = () => useFleetUi.getState().open(null);
  const queryClient = useQueryClient();
  const targets = ROBOT_TRANSITIONS[robot.status];
  const [status, setStatus] = useState<RobotStatus | ''>(targets[0] ?? '');
  const [reason, setReason] = useState('');
  const [certificateReason, setCertificateReason] = useState<CertRevocationReason>('privilegeWithdrawn');
  const revoking = status === 'revoked';
  const plan = useChannelQuery('fleet:revocationPlan', { deviceId: robot.deviceId }, { enabled: revoking });
  const change = useChannelMutation('fleet:setStatus', () => {
    // A revocation also changed the certificate inventory.
    if (revoking) void queryClient.invalidateQueries({ predicate: (q) => q.queryKey[0] === 'certs:list' || q.queryKey[0] === 'fleet:revocationPlan' });
    close();
  });
  return (
    <Dialog title="Change robot status" onClose={close}>
      {targets.length === 0 ? (
        <p>Robot {robot.deviceId} is {robot.status}; that status is final.</p>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (status) change.mutate({ deviceId: robot.deviceId, status, reason, ...(revoking ? { certificateReason } : {}) });
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
          {revoking && <RevocationNotice deviceId={robot.deviceId} plan={plan.data} error={plan.error} reason={certificateReason} onReason={setCertificateReason} />}
          <ErrorMessage error={change.error} />
          <div className="actions">
            <button type="button" onClick={close}>
              Cancel
            </button>
            {/* A revocation is confirmed only once the officer can see what it revokes. */}
            <button type="submit" className={revoking ? 'danger' : 'primary'} disabled={change.isPending || (revoking && !plan.data)}>
              {revoking ? 'Revoke robot and certificates' : 'Change status'}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
