// Change a robot's status: only the transitions ROBOT_TRANSITIONS allows are offered; the reason is audited. Revoking
// shows first which certificates are revoked with the robot and that the CRL is updated (RevocationNotice).
import { useState } from 'react';
import Modal from '@cloudscape-design/components/modal';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import RadioGroup from '@cloudscape-design/components/radio-group';
import Input from '@cloudscape-design/components/input';
import Button from '@cloudscape-design/components/button';
import Box from '@cloudscape-design/components/box';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { ROBOT_TRANSITIONS, type CertRevocationReason, type RobotStatus } from '../../../shared/domain.ts';
import type { RobotSummary } from '../../../shared/fleetContract.ts';
import { useChannelMutation, useChannelQuery, useQueryClient } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { RevocationNotice } from './RevocationNotice.tsx';
import { DialogFooter } from '../components/DialogFooter.tsx';
import { mayCall, useSessionRole } from '../session/permissions.ts';

const MAX_REASON = 500;

export function RobotStatusDialog({ robot, onClose }: { robot: RobotSummary; onClose(): void }) {
  const queryClient = useQueryClient();
  // Only the states the role may set (quarantine and revocation are the security officer's, the rest the station operator's).
  const role = useSessionRole((s) => s.role);
  const targets = ROBOT_TRANSITIONS[robot.status].filter((s) => mayCall(role, 'fleet:setStatus', { status: s }));
  const [status, setStatus] = useState<RobotStatus | ''>(targets[0] ?? '');
  const [reason, setReason] = useState('');
  const [certificateReason, setCertificateReason] = useState<CertRevocationReason>('privilegeWithdrawn');
  const revoking = status === 'revoked';
  const plan = useChannelQuery('fleet:revocationPlan', { deviceId: robot.deviceId }, { enabled: revoking });
  const change = useChannelMutation('fleet:setStatus', () => {
    // A revocation also changed the certificate inventory.
    if (revoking) void queryClient.invalidateQueries({ predicate: (q) => q.queryKey[0] === 'certs:list' || q.queryKey[0] === 'fleet:revocationPlan' });
    onClose();
  });
  const reasonError = reason.length > MAX_REASON ? `The reason is ${reason.length} characters long; at most ${MAX_REASON}.` : undefined;
  const submit = () => {
    if (status && !reasonError) change.mutate({ deviceId: robot.deviceId, status, reason, ...(revoking ? { certificateReason } : {}) });
  };
  return (
    <Modal
      visible
      onDismiss={onClose}
      header="Change robot status"
      size="medium"
      footer={
        <DialogFooter onCancel={onClose}>
          {targets.length > 0 && (
            /* A revocation is confirmed only once the officer can see what it revokes. */
            <Button variant="primary" loading={change.isPending} disabled={revoking && !plan.data} onClick={submit}>
              {revoking ? 'Revoke robot and certificates' : 'Change status'}
            </Button>
          )}
        </DialogFooter>
      }
    >
      {targets.length === 0 ? (
        <Box variant="p">
          Robot {robot.deviceId} is {robot.status}; that status is final.
        </Box>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            submit();
          }}
        >
          <Form>
            <SpaceBetween size="m">
              <FormField label="New status" description={`Robot ${robot.deviceId} is ${robot.status} now; these are the statuses it can go to.`}>
                <RadioGroup
                  ariaLabel="New status"
                  value={status}
                  onChange={(e) => setStatus(e.detail.value as RobotStatus)}
                  items={targets.map((t) => ({ value: t, label: t }))}
                />
              </FormField>
              <FormField label="Reason (recorded in the audit log)" errorText={reasonError} stretch>
                <Input value={reason} invalid={reasonError !== undefined} onChange={(e) => setReason(e.detail.value)} />
              </FormField>
              <Box variant="p">
                Robot {robot.deviceId} goes from {robot.status} to {status}.
              </Box>
              {revoking && <RevocationNotice deviceId={robot.deviceId} plan={plan.data} error={plan.error} reason={certificateReason} onReason={setCertificateReason} />}
              <ErrorMessage error={change.error} />
            </SpaceBetween>
          </Form>
        </form>
      )}
    </Modal>
  );
}
