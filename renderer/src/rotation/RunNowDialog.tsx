// "Run now" asks first: it names the key and the version it leaves, and what happens (a new version now, whatever the
// windows; audited like a manual rotation). The result or the refusal shows in the dialog until it closes.
import Modal from '@cloudscape-design/components/modal';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import type { DueRotation } from '../../../shared/rotationContract.ts';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { durationWords } from './rotationFormat.ts';
import { DialogFooter } from '../components/DialogFooter.tsx';

export interface RunNowResult {
  label: string;
  fromVersion: number;
  toVersion: number;
}

export function RunNowDialog({ item, onClose }: { item: DueRotation; onClose: (result: RunNowResult | null) => void }) {
  const run = useChannelMutation('rotation:runNow', (r) => onClose({ label: item.label, fromVersion: r.fromVersion, toVersion: r.toVersion }));
  return (
    <Modal
      visible
      onDismiss={() => onClose(null)}
      header={`Rotate ${item.label} now?`}
      footer={
        <DialogFooter onCancel={() => onClose(null)}>
          <Button variant="primary" loading={run.isPending} onClick={() => run.mutate({ keyId: item.keyId })}>
            Rotate now
          </Button>
        </DialogFooter>
      }
    >
      <SpaceBetween size="s">
        <Box>
          {`Key ${item.label} gets a new version now; version ${item.fromVersion} stops encrypting (what it encrypted still decrypts). `}
          {item.lateMs > 0 ? `The rotation is late by ${durationWords(item.lateMs)}. ` : ''}
          {item.waitingFor === 'blackout' || item.waitingFor === 'maintenance' ? 'This starts it outside its windows. ' : ''}
          The rotation is recorded in the audit log under your name.
        </Box>
        <ErrorMessage error={run.error} />
      </SpaceBetween>
    </Modal>
  );
}
