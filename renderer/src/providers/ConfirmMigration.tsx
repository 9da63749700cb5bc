import Modal from '@cloudscape-design/components/modal';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Alert from '@cloudscape-design/components/alert';
import { DialogFooter } from '../components/DialogFooter.tsx';

/** "Migrate local keys" asks first (issue 12): what moves, where, and that it is not undone from here. */
export function ConfirmMigration({ target, localKeys, onConfirm, onCancel }: { target: string; localKeys: number; onConfirm(): void; onCancel(): void }) {
  return (
    <Modal
      visible
      closeAriaLabel="Close dialog"
      onDismiss={onCancel}
      header={`Migrate local keys to ${target}?`}
      footer={
        <DialogFooter onCancel={onCancel}>
          <Button variant="primary" onClick={onConfirm}>
            {`Migrate to ${target}`}
          </Button>
        </DialogFooter>
      }
    >
      <SpaceBetween size="m">
        <Box variant="p">
          The local encryption keys (of {localKeys} local key{localKeys === 1 ? '' : 's'}; signing keys stay local) get their next version on{' '}
          <strong>{target}</strong>, and new data is protected there from then on. Earlier versions keep decrypting what they protected.
        </Box>
        <Alert type="warning">This cannot be undone from the console: the keys then depend on {target} being reachable. Progress is shown under Migration.</Alert>
      </SpaceBetween>
    </Modal>
  );
}
