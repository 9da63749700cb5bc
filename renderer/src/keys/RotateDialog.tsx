import Modal from '@cloudscape-design/components/modal';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import type { KeySummary } from '../../../shared/contract.ts';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { useUiStore } from '../state/uiStore.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { DialogFooter } from '../components/DialogFooter.tsx';

export function RotateDialog({ keySummary }: { keySummary: KeySummary }) {
  const closeDialog = useUiStore((s) => s.closeDialog);
  const rotate = useChannelMutation('keys:rotate', () => closeDialog());
  const next = keySummary.currentVersion + 1;

  return (
    <Modal
      visible
      closeAriaLabel="Close dialog"
      onDismiss={closeDialog}
      header={`Rotate key “${keySummary.label}”`}
      footer={
        <DialogFooter onCancel={closeDialog}>
          <Button variant="primary" loading={rotate.isPending} loadingText="Rotating" onClick={() => rotate.mutate({ keyId: keySummary.id })}>
            {`Rotate “${keySummary.label}” to version ${next}`}
          </Button>
        </DialogFooter>
      }
    >
      <SpaceBetween size="m">
        <Box variant="p">
          Rotating <strong>{keySummary.label}</strong> creates version {next}. New data is protected with version {next}; data
          protected with earlier versions stays readable until those versions are retired.
        </Box>
        <ErrorMessage error={rotate.error} />
      </SpaceBetween>
    </Modal>
  );
}
